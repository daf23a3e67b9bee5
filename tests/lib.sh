# Shared helpers for the shell tests: each check prints one TAP line, which tests/run counts.
# A test script sources this, runs its checks and ends with `finish`.

KAGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# KAGE_BIN runs the tests against another binary (an older build, to see a test fail there).
KAGE=${KAGE_BIN:-$KAGE_REPO/build/kage}
_failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; _failed=1; }
skip() { echo "ok - $1 # SKIP $2"; }
diag() { echo "# $*"; }

# check NAME COMMAND...: passes when COMMAND exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_status NAME WANT COMMAND...: passes when COMMAND exits with WANT.
expect_status() {
	local name=$1 want=$2 got
	shift 2
	"$@"
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (status $got, want $want)"; fi
}

# contains NAME HAYSTACK NEEDLE
contains() {
	case "$2" in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1"; diag "wanted '$3' in: $(printf '%s' "$2" | head -c 600)" ;;
	esac
}

# busybox_links DIR: a link to busybox in DIR for each of its applets, in one process (an
# `ln` for each of 400 cost a test host under TCG some 10 s a tree).
busybox_links() {
	python3 -c 'import os, subprocess, sys
for a in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split():
    if a != "busybox":
        os.symlink("busybox", os.path.join(sys.argv[1], a))' "$1"
}

finish() {
	local line
	if [ -s "$KAGE_STALL_LOG.all" ]; then
		cat "$KAGE_STALL_LOG.all"
		# A stall is kage's failure (or the test's), never retried away.
		while IFS= read -r line; do
			not_ok "${line#\# STALL: }"
		done < <(grep '^# STALL: ' "$KAGE_STALL_LOG.all")
		rm -f "$KAGE_STALL_LOG.all"
	fi
	exit "$_failed"
}

# kage_bounded SECONDS CMD...: runs CMD (a kage invocation) in the foreground. If it has not
# ended after SECONDS, a watchdog records where every kage thread is stuck (kernel stack and
# wait channel) and kills kage; finish() then prints that and fails the test with one "not ok"
# per stall (it runs inside $(...) often, so it cannot print TAP itself). KAGE_DEBUG_STALL
# also has kage log its devices' and console state to its stderr after that many idle seconds.
# A stall is never retried: a guest that stops making progress is a bug to find, whether in
# kage or in the nested emulation, and a retry would hide it.
KAGE_STALL_LOG=${KAGE_STALL_LOG:-/tmp/kage-stall.$$}
export KAGE_DEBUG_STALL=${KAGE_DEBUG_STALL:-120}
kage_bounded() {
	local secs=$1 rc
	shift
	rm -f "$KAGE_STALL_LOG"
	_kage_watchdog "$secs" </dev/null >/dev/null 2>&1 &
	local dog=$!
	"$@"
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	[ -s "$KAGE_STALL_LOG" ] || return "$rc"
	# Kept apart from stderr, which the caller may be capturing.
	{
		sed 's/^/# /' "$KAGE_STALL_LOG"
		echo "# STALL: '$*' did not end in ${secs}s: a stall (killed, not retried)"
	} >>"$KAGE_STALL_LOG.all"
	return "$rc"
}

_kage_watchdog() {
	local p th
	sleep "$1" & wait $!
	for p in $(pgrep -x kage); do
		echo "kage $p: $(tr '\0' ' ' </proc/$p/cmdline)"
		for th in /proc/$p/task/*; do
			echo "  $(cat $th/comm) state=$(cut -d' ' -f3 $th/stat) wchan=$(cat $th/wchan)"
			sed 's/^/    /' $th/stack 2>/dev/null | head -8
		done
	done >"$KAGE_STALL_LOG.tmp"
	mv "$KAGE_STALL_LOG.tmp" "$KAGE_STALL_LOG"
	pkill -KILL -x kage
}
