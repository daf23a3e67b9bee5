#!/usr/bin/env bash
# `kage events` and `kage ps --format json` on real containers: one stats event whose figures
# come from inside the guest (memory that grows after an allocation, pids, cpu time) and from
# the VM's host cgroup; a stream that ends with exit 0 when the container is killed; an oom
# event when a process passes the container's memory limit; bad input refused.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

# Under a subreaper, as containerd's shim runs runc: a dead sandbox is reaped at once, so a
# killed container reads as stopped.
if [ -z "${KAGE_EVENTS_REAPED:-}" ]; then
	export KAGE_EVENTS_REAPED
	KAGE_EVENTS_REAPED=$(mktemp /var/tmp/kage-events-reaped.XXXXXX)
	python3 "$KAGE_REPO/tests/helpers/subreaper.py" --record "$KAGE_EVENTS_REAPED" -- "$0"
	rc=$?
	rm -f "$KAGE_EVENTS_REAPED"
	exit $rc
fi

oci_scratch events
cg=/kage-events-test/e1

# jqc NAME JSON FILTER: passes when jq -e FILTER holds for JSON.
jqc() {
	if jq -e "$3" >/dev/null 2>&1 <<<"$2"; then ok "$1"; else
		not_ok "$1"
		diag "jq '$3' on: $(head -c 600 <<<"$2")"
	fi
}

# wait_lines FILE N PATTERN: waits up to 120 s for N lines matching PATTERN in FILE.
wait_lines() {
	local _
	for _ in $(seq 600); do
		[ "$(grep -c -- "$3" "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_exit PID: $rc, the status of a background job, or "timeout" after 120 s (it is killed).
# (Not in $(...): a subshell cannot wait for its parent's job.)
wait_exit() {
	local _
	for _ in $(seq 600); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			rc=$?
			return
		fi
		sleep 0.2
	done
	kill -9 "$1" 2>/dev/null
	rc=timeout
}

# --- bad input: refused with the field named, before any container is looked at ---
err=$(k events --interval 5parsecs nope 2>&1)
rc=$?
check "events --interval 5parsecs fails (status $rc)" test "$rc" != 0
contains "and names --interval" "$err" "--interval '5parsecs'"
err=$(k events --stats nope 2>&1)
rc=$?
check "events of a missing container fails (status $rc)" test "$rc" != 0
contains "and says it does not exist" "$err" "does not exist"
err=$(k events 2>&1)
check "events without an id fails" test $? != 0

# --- one stats event, before and after the container allocates 24 MiB ---
b=$base/e1
mkbundle "$b" '["sh","-c","while :; do sleep 1; done"]' "c['linux']['cgroupsPath'] = '$cg'"
k create --bundle "$b" --pid-file "$b/pid" e1 >"$b/out" 2>&1 </dev/null && k start e1
check "the container runs" test "$(k state e1 | jq -r .status)" = running
pid=$(cat "$b/pid" 2>/dev/null)

ps=$(k ps --format json e1)
jqc "ps --format json is a JSON array holding the sandbox's pid ($ps)" "$ps" \
	"type == \"array\" and length == 1 and .[0] == $pid"
# The shell is there at every instant; its `sleep` child only between two of its forks.
table=$(k ps e1)
if awk 'NR > 1 && $NF == "sh" { found = 1 } END { exit !found }' <<<"$table"; then
	ok "ps's table lists the processes inside the VM (the container's sh)"
else
	not_ok "ps's table lists the processes inside the VM (the container's sh)"
	diag "no row with COMMAND sh in: $(head -c 600 <<<"$table")"
fi

one=$(k events --stats e1)
rc=$?
check "events --stats exits 0 (got $rc)" test "$rc" = 0
check "and prints exactly one line ($(wc -l <<<"$one"))" test "$(wc -l <<<"$one")" = 1
jqc "a stats event of e1" "$one" '.type == "stats" and .id == "e1"'
jqc "pids.current >= 1 (the shell and its sleep)" "$one" '.data.pids.current >= 1'
jqc "cpu.usage.total > 0" "$one" '.data.cpu.usage.total > 0'
jqc "memory.usage.usage > 0; no limit set: runc's largest uint64" "$one" \
	'.data.memory.usage.usage > 0 and .data.memory.usage.limit > 1e19'
jqc "memory.raw has memory.stat's lines" "$one" '.data.memory.raw | has("anon") and has("file")'
jqc "the guest answered" "$one" '.data.kage.guest == true'
# The host cgroup has cpu.stat always; memory.current only where a limit enabled its controller.
if [ -e "/sys/fs/cgroup$cg/cpu.stat" ]; then
	jqc "kage.host.cpu_usage_usec: the VMM's host cgroup's CPU time" "$one" \
		'.data.kage.host.cpu_usage_usec > 0'
	if [ -e "/sys/fs/cgroup$cg/memory.current" ]; then
		jqc "kage.host.memory_current from its memory.current" "$one" \
			'.data.kage.host.memory_current > 0'
	else
		jqc "no memory controller there: no kage.host.memory_current made up" "$one" \
			'.data.kage.host | has("memory_current") | not'
	fi
else
	skip "kage.host has the VMM's host cgroup figures" "no cgroup v2 here"
fi
k pause e1
jqc "a paused container's stats: the host's figures, the guest not asked" \
	"$(k events --stats e1)" '.data.kage.guest == false and .data.cpu == {}'
k resume e1
before=$(jq .data.memory.usage.usage <<<"$one")
k exec e1 sh -c 'head -c 25165824 /dev/zero >/dev/shm/fill'
check "an exec filled 24 MiB of the container's /dev/shm" test $? = 0
after=$(k events --stats e1 | jq .data.memory.usage.usage)
check "memory usage grew by at least 16 MiB after it ($before -> $after)" \
	test "$((after - before))" -ge $((16 << 20))

# --- a stream, every second, until the container is killed ---
k events --interval 1s e1 >"$base/stream" 2>"$base/stream.err" &
ev=$!
wait_lines "$base/stream" 3 '"type":"stats"'
check "the stream printed stats events ($(wc -l <"$base/stream") lines)" \
	test "$(grep -c '"type":"stats"' "$base/stream")" -ge 3
k kill e1 KILL
wait_exit $ev
check "events exits 0 once the container is killed (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$base/stream.err" | tail -5
check "every line it printed is a JSON event of e1" \
	bash -c "jq -e -s 'length >= 3 and all(.id == \"e1\" and .type == \"stats\")' '$base/stream' >/dev/null"
err=$(k events --stats e1 2>&1)
check "events --stats of a stopped container fails" test $? != 0
contains "saying it is not running" "$err" "not running"
k delete --force e1 >/dev/null 2>&1

# --- an oom event: a process passes the container's 32 MiB memory limit ---
b=$base/o1
mkbundle "$b" '["sh","-c","while :; do sleep 1; done"]' \
	"c['linux']['resources'] = {'memory': {'limit': 33554432}}
c['linux']['cgroupsPath'] = '${cg%/*}/o1'"
k create --bundle "$b" --pid-file "$b/pid" o1 >"$b/out" 2>&1 </dev/null && k start o1
one=$(k events --stats o1)
jqc "the guest's cgroup has the spec's limit (32 MiB)" "$one" \
	'.data.memory.usage.limit == 33554432'
if [ -e "/sys/fs/cgroup${cg%/*}/o1/memory.current" ]; then
	jqc "kage.host.memory_current: the VMM's host cgroup, limited, has it" "$one" \
		'.data.kage.host.memory_current > 0'
else
	skip "kage.host.memory_current of a limited container" "no cgroup v2 memory controller here"
fi
k events --interval 1s o1 >"$base/oom" 2>"$base/oom.err" &
ev=$!
wait_lines "$base/oom" 1 '"type":"stats"'
# tail keeps the whole of a newline-free input: 64 MiB of it, past the limit
k exec o1 sh -c 'head -c 67108864 /dev/zero | tail >/dev/null'
rc=$?
check "the allocating process was killed (status $rc)" test "$rc" != 0
wait_lines "$base/oom" 1 '"type":"oom"'
check "an oom event of o1 follows" \
	bash -c "grep '\"type\":\"oom\"' '$base/oom' | jq -e -s 'length >= 1 and all(.id == \"o1\" and (has(\"data\") | not))' >/dev/null"
check "the container survived it" test "$(k state o1 | jq -r .status)" = running
k kill o1 KILL
wait_exit $ev
check "that stream exits 0 too (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$base/oom.err" | tail -5
k delete --force o1 >/dev/null 2>&1
rmdir "/sys/fs/cgroup${cg%/*}" 2>/dev/null

finish
