#!/usr/bin/env bash
# Every libFuzzer harness in tests/fuzz/, built with ASan+UBSan and run for a bounded time
# (KAGE_FUZZ_SECONDS, default 10 each: tests/fuzz/README says why) from its committed seeds;
# the corpus in build/fuzz/ grows from run to run.
. "$(dirname "$0")/../lib.sh"

out=$("$KAGE_REPO/scripts/fuzz.sh" "${KAGE_FUZZ_SECONDS:-10}" 2>&1)
rc=$?
failed=$(sed -n 's/^fuzz: failed: //p' <<<"$out")
for src in "$KAGE_REPO"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	execs=$(grep -A3 "^== $name: run" <<<"$out" | sed -n 's/^stat::number_of_executed_units: *//p')
	case " $failed " in
	*" $name "*) not_ok "$name: crashed or failed to build"; grep -A40 "^== $name" <<<"$out" | tail -40 | sed 's/^/# /' ;;
	*) ok "$name: no crash in ${KAGE_FUZZ_SECONDS:-10}s (${execs:-?} inputs)" ;;
	esac
done
[ "$rc" = 0 ] || [ -n "$failed" ] || not_ok "scripts/fuzz.sh exited $rc"
finish
