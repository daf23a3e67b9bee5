#!/usr/bin/env bash
# `kage vm run`: a command in a fresh microVM, through the guest agent over vsock, with its
# output, input, exit status, signals and terminal carried faithfully.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { kage_bounded 300 "$KAGE" vm run "$@"; }

out=$(run -- sh -c 'echo hi; exit 3' 2>"$tmp/err")
rc=$?
contains "prints the guest command's output" "$out" "hi"
check "exits with its status (3; got $rc)" test "$rc" = 3
for want in 0 1 42; do
	run -- sh -c "exit $want" >/dev/null 2>&1
	rc=$?
	check "exit status $want comes back (got $rc)" test "$rc" = "$want"
done
run -- sh -c 'kill -KILL $$' >/dev/null 2>&1
rc=$?
check "killed by SIGKILL: 128+9 (got $rc)" test "$rc" = 137
run -- sh -c 'kill -TERM $$' >/dev/null 2>&1
rc=$?
check "killed by SIGTERM: 128+15 (got $rc)" test "$rc" = 143

run -- sh -c 'echo to-out; echo to-err >&2' >"$tmp/o" 2>"$tmp/e"
check "stdout carries only stdout" bash -c "grep -qx to-out '$tmp/o' && ! grep -q to-err '$tmp/o'"
check "stderr carries only stderr" bash -c "grep -qx to-err '$tmp/e' && ! grep -q to-out '$tmp/e'"
contains "the guest runs its own kernel" "$(run -- uname -r)" "6.1.192"
check "the guest kernel is not this machine's" test "$(run -- uname -r)" != "$(uname -r)"

head -c $((100 << 20)) /dev/urandom >"$tmp/in"
want=$(sha256sum <"$tmp/in" | cut -d' ' -f1)
run -i -- cat <"$tmp/in" >"$tmp/out"
rc=$?
got=$(sha256sum <"$tmp/out" | cut -d' ' -f1)
check "cat round-trips 100 MiB of stdin with the same sha256" test "$want" = "$got"
check "and cat sees the end of its stdin and exits 0 (got $rc)" test "$rc" = 0

# A process that never reads stdin must not hold anything up.
yes | run -i -- sh -c 'echo done' >"$tmp/o" 2>&1
rc=$?
check "a process that ignores a flood on stdin still ends (status $rc)" \
	bash -c "[ $rc = 0 ] && grep -qx done '$tmp/o'"

# Signals sent to kage reach the guest process.
"$KAGE" vm run -- sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done' \
	>"$tmp/sig" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q ready "$tmp/sig" && break; sleep 0.2; done
kill -USR1 $pid
wait $pid
rc=$?
check "SIGUSR1 to kage reaches the guest process (status 7; got $rc)" \
	bash -c "[ $rc = 7 ] && grep -q got-usr1 '$tmp/sig'"
"$KAGE" vm run -- sh -c 'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done' >"$tmp/sig" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q ready "$tmp/sig" && break; sleep 0.2; done
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM to kage is forwarded, not fatal to kage (status 9; got $rc)" test "$rc" = 9

out=$(run -- sh -c 'for i in $(seq 10); do (sleep 1; exit $i) & done; n=0; for j in $(seq 10); do wait -n; n=$((n+1)); done; echo waited $n' 2>&1)
contains "10 processes run concurrently in one VM" "$out" "waited 10"

out=$(run -- sh -c 'echo before; echo c >/proc/sysrq-trigger; sleep 5; echo after' 2>&1)
rc=$?
check "the guest dying mid-stream ends kage with an error (status $rc)" test "$rc" != 0
contains "and says the guest stopped, and why" "$out" "the guest stopped before the command ended: the guest kernel panicked"
contains "output before the crash arrived" "$out" "before"

out=$(run -- /no/such/command 2>&1)
rc=$?
check "a command that does not exist fails (status $rc)" test "$rc" != 0
contains "and says so" "$out" "/no/such/command"

python3 "$KAGE_REPO/tests/helpers/tty_check.py" "$KAGE"
finish
