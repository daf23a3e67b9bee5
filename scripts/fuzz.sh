#!/usr/bin/env bash
# Builds every libFuzzer harness in tests/fuzz/ and runs each for a bounded time.
#   scripts/fuzz.sh [SECONDS]     (default 30 per harness; BUILD=dir as for make)
# A harness tests/fuzz/fuzz_X.c names what it links in comment lines near its top:
#   // sources: a.c b.c          (required; paths from the repository root)
#   // libs: -lfoo               (optional)
# The corpus lives in $BUILD/fuzz/corpus/X and grows across runs; the committed seeds in
# tests/fuzz/corpus/X (scripts/fuzz-seeds.py) are read too, first thing, but never written: libFuzzer
# puts new units in the first directory only. A crash leaves its input in $BUILD/fuzz/artifacts/X/
# and makes the script exit non-zero.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
seconds=${1:-30}
build=${BUILD:-build}
cc=${FUZZ_CC:-clang}
# The same language and sanitizers as the unit tests; UB stops the run instead of a warning.
cflags=(-std=gnu11 -g -O1 -D_GNU_SOURCE -fno-strict-aliasing -Wall -Wno-unused-parameter
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -I.)

# Prints the value of a "// KEY: ..." line in a harness.
header() {
	sed -n "s|^// $2: *||p" "$1" | head -1
}

# Builds one harness; its compiler output goes to $build/fuzz/NAME.build.
build_one() {
	local src=$1 name bin sources libs
	name=$(basename "$src" .c)
	bin=$build/fuzz/$name
	sources=$(header "$src" sources)
	libs=$(header "$src" libs)
	rm -f "$bin"
	if [ -z "$sources" ]; then
		echo "$name: no '// sources:' line" >"$build/fuzz/$name.build"
		return 1
	fi
	# shellcheck disable=SC2086 # sources and libs are word lists by design
	"$cc" "${cflags[@]}" -o "$bin" "$src" $sources $libs >"$build/fuzz/$name.build" 2>&1
}

failed=()
shopt -s nullglob
mkdir -p "$build/fuzz"
# Every harness is built first, FUZZ_JOBS (2) at a time: the builds are a third of a CI run.
for src in tests/fuzz/fuzz_*.c; do
	while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-2}" ]; do
		wait -n
	done
	build_one "$src" &
done
wait
# run_one HARNESS: its report on stdout, status 1 when it failed to build or crashed.
run_one() {
	local src=$1 name bin seeds=()
	name=$(basename "$src" .c)
	bin=$build/fuzz/$name
	mkdir -p "$build/fuzz/corpus/$name" "$build/fuzz/artifacts/$name"
	echo "== $name: build"
	cat "$build/fuzz/$name.build"
	[ -x "$bin" ] || return 1
	[ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
	echo "== $name: run ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/artifacts/$name/" "$build/fuzz/corpus/$name" \
		"${seeds[@]}" 2>"$build/fuzz/$name.log"; then
		tail -60 "$build/fuzz/$name.log"
		return 1
	fi
	# The last status line and the final stats: coverage and speed at a glance.
	grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$build/fuzz/$name.log" | tail -1
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
		"$build/fuzz/$name.log"
}

# The harnesses run FUZZ_JOBS at a time too: each fuzzes on one core for its full time, so
# two at once halve the wall time without taking a second from any of them.
for src in tests/fuzz/fuzz_*.c; do
	while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-2}" ]; do
		wait -n
	done
	name=$(basename "$src" .c)
	{ run_one "$src" >"$build/fuzz/$name.out" 2>&1; echo "$?" >"$build/fuzz/$name.rc"; } &
done
wait
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	cat "$build/fuzz/$name.out"
	[ "$(cat "$build/fuzz/$name.rc" 2>/dev/null)" = 0 ] || failed+=("$name")
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: all harnesses ran ${seconds}s without a crash"
