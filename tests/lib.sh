# Shared helpers for the shell tests: each check prints one TAP line, which tests/run counts.
# A test script sources this, runs its checks and ends with `finish`.

KAGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAGE=$KAGE_REPO/build/kage
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

finish() { exit "$_failed"; }
