#!/usr/bin/env bash
# The test host's interface, which every VM test relies on: the command runs as root with
# /dev/kvm, sees the repository and --share directories at the same paths, keeps stdout and
# stderr apart, gets the requested vCPUs and memory, and its exit status comes back.
. "$(dirname "$0")/../lib.sh"
run=$KAGE_REPO/tests/testhost/run

share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
echo "from the host" >"$share/in"
cd "$share"
"$run" --share "$share" --cpus 2 --mem 1536 -- sh -c '
	ls /dev/kvm; uname -r; id -u; nproc
	awk "/MemTotal/ { print \"mem\", \$2 }" /proc/meminfo
	pwd; cat in; echo "from the test host" >out
	test -x '"$KAGE_REPO"'/build/kage && echo repo-visible
	echo to-stderr >&2
	exit 42' >"$share/.stdout" 2>"$share/.stderr"
rc=$?
cd "$KAGE_REPO"
o=$(cat "$share/.stdout") e=$(cat "$share/.stderr")
diag "test host kernel: $(sed -n 2p "$share/.stdout")"
[ "$rc" = 42 ] && ok "COMMAND's exit status (42) comes back" || not_ok "exit status 42 (got $rc)"
contains "/dev/kvm exists inside" "$o" "/dev/kvm"
check "a kernel version is printed" grep -qE '^[0-9]+\.[0-9]+\.[0-9]+' "$share/.stdout"
check "the kernel differs from this machine's" bash -c "! grep -qx '$(uname -r)' '$share/.stdout'"
check "runs as root" grep -qx 0 "$share/.stdout"
check "--cpus 2 gives 2 vCPUs" grep -qx 2 "$share/.stdout"
mem=$(awk '$1 == "mem" { print $2 }' "$share/.stdout")
check "--mem 1536 gives about 1.5 GiB (saw ${mem:-?} kB)" test "${mem:-0}" -gt 1300000 -a "${mem:-0}" -le 1572864
check "runs in the caller's directory when shared" grep -qx "$share" "$share/.stdout"
contains "the share is readable at the same path" "$o" "from the host"
check "writes in the share reach the host" grep -qx "from the test host" "$share/out"
contains "the repository is visible" "$o" "repo-visible"
contains "stderr arrives on stderr" "$e" "to-stderr"
case "$o" in *to-stderr*) not_ok "stderr kept off stdout" ;; *) ok "stderr kept off stdout" ;; esac

expect_status "a failing command's status (false → 1) comes back" 1 "$run" -- false
expect_status "bad option is a usage error" 2 "$run" --cpus zero -- true
out=$("$run" --mem 999999999 -- true 2>&1)
rc=$?
[ "$rc" = 199 ] && ok "a test host that cannot start exits 199" || not_ok "cannot-start status (got $rc)"
contains "and says why" "$out" "testhost:"

# A frozen test host (its heartbeat stopped here, as TCG's nested SVM sometimes stops it all)
# ends the run with 199 within the stall limit rather than at the timeout.
t0=$SECONDS
out=$(KAGE_TESTHOST_STALL=20 "$run" --timeout 600 -- sh -c 'kill -STOP $(cat /run/kage-heartbeat.pid); sleep 500' 2>&1)
rc=$?
took=$((SECONDS - t0))
[ "$rc" = 199 ] && ok "a frozen test host exits 199" || not_ok "frozen test host status (got $rc)"
contains "and says it froze" "$out" "the test host froze"
contains "with where QEMU's vCPUs were" "$out" "QEMU's vCPUs:"
check "long before the timeout (${took} s)" test "$took" -lt 200

# A command that outlives the limit in a live test host is its own failure (198), which
# tests/run never retries: it is a stall, not a frozen emulator.
out=$("$run" --timeout 60 -- sleep 600 2>&1)
rc=$?
[ "$rc" = 198 ] && ok "a command past --timeout in a live test host exits 198" ||
	not_ok "past-the-limit status (got $rc)"
contains "and says the test host was alive" "$out" "the test host alive"

out=$("$run" --docker -- docker info --format '{{json .Runtimes}} {{.ServerVersion}}' 2>&1)
rc=$?
expect_status "--docker: docker info succeeds" 0 test "$rc" = 0
contains "--docker: daemon.json names build/kage as runtime kage" "$out" "\"kage\":{\"path\":\"$KAGE_REPO/build/kage\"}"
finish
