#!/usr/bin/env bash
# vm: none
# A hostile guest agent: a compromised guest may answer the host's requests with anything, or
# never. No VM is needed: tests/helpers/hostile_agent.py stands for a container's sandbox
# process (state.json names its pid and start time) and serves the container's vsock socket
# in one way per mode. Every verb must then fail with a clear error within its deadline
# (agent_timeout_s is 2 here: 2 s, create 24 s), never crash or hang; state and list must
# answer while another verb holds the lock; kill KILL and delete --force must end the
# sandbox from the host.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || { skip "hostile agent" "no python3"; finish; }
base=$(mktemp -d /tmp/kage-hostile.XXXXXX)
root=$base/r
bundle=$base/b
cfg=$base/config.json
id=h1
hpid=
cleanup() {
	[ -n "$hpid" ] && kill -9 "$hpid" 2>/dev/null
	rm -rf "$base"
}
trap cleanup EXIT
mkdir -p "$root" "$bundle/rootfs"
"$KAGE" spec --bundle "$bundle" || not_ok "kage spec"
echo '{"agent_timeout_s": 2}' >"$cfg"

# Safety net only: a verb that reaches it has hung.
NET=45

# start_agent MODE STATUS [CONFIG]: a fresh fake sandbox and state directory.
start_agent() {
	[ -n "$hpid" ] && kill -9 "$hpid" 2>/dev/null
	rm -rf "${root:?}/$id"
	mkdir -m 0711 "$root/$id"
	python3 "$KAGE_REPO/tests/helpers/hostile_agent.py" "$1" "$root/$id" "$bundle" "$2" &
	hpid=$!
	disown "$hpid"	# kage kills it: no "Killed" notice from this shell
	for _ in $(seq 100); do [ -e "$root/$id/state.json" ] && break; sleep 0.05; done
}

# verb LIMIT_S ARGS...: runs kage ARGS; sets rc, out, secs (in tenths: 23) and took ("2.3 s").
verb() {
	local limit=$1 t0 t1
	shift
	t0=$(date +%s%N)
	out=$(timeout -k 5 "$NET" "$KAGE" --root "$root" --config "$cfg" "$@" 2>&1 </dev/null)
	rc=$?
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 100000000))
	took="$((secs / 10)).$((secs % 10)) s"
}

# fails MODE LIMIT_S WANT ARGS...: the verb fails cleanly, in time, saying WANT.
fails() {
	local mode=$1 limit=$2 want=$3
	shift 3
	verb "$limit" "$@"
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$secs" -le $((limit * 10)) ]; then
		contains "$mode: $* fails in $took (limit $limit s): $(echo "$out" | tail -1)" "$out" "$want"
	else
		not_ok "$mode: $* fails cleanly within $limit s (status $rc after $took: $(echo "$out" | tail -1))"
	fi
}

# answers MODE ARGS...: state and list answer at once, with the container in them.
answers() {
	local mode=$1
	verb 5 state "$id"
	if [ "$rc" = 0 ] && [ "$secs" -le 50 ]; then
		contains "$mode: state answers" "$out" "\"id\": \"$id\""
	else
		not_ok "$mode: state answers (status $rc after $took)"
	fi
	verb 5 list -q
	if [ "$rc" = 0 ] && [ "$secs" -le 50 ]; then
		contains "$mode: list answers" "$out" "$id"
	else
		not_ok "$mode: list answers (status $rc after $took)"
	fi
}

# gone PID: the process has ended (a zombie, or reaped) within 5 s; its threads die a
# moment after the SIGKILL returns, and this shell reaps it when it gets to it.
gone() {
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		case "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" in Z | X) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# HOSTILE_MODES picks some modes (to see one fail on an older build).
for mode in ${HOSTILE_MODES:-malformed types badlists nulls huge wrongid close silent}; do
	diag "mode $mode"
	start_agent "$mode" created
	if [ "$mode" = badlists ]; then
		# start and signal carry nothing but "ok":true: they succeed.
		verb 8 kill "$id" TERM
		check "$mode: kill TERM, answered ok, succeeds (status $rc)" test "$rc" = 0
	else
		fails "$mode" 8 "guest agent" start "$id"
		fails "$mode" 8 "guest agent" kill "$id" TERM
	fi
	fails "$mode" 8 "guest agent" kill --all "$id" TERM
	fails "$mode" 8 "guest agent" ps "$id"
	fails "$mode" 30 "guest agent" exec "$id" true
	verb 8 update "$id"
	check "$mode: update does not hang or crash (status $rc)" test "$rc" -lt 128 -a "$secs" -le 80
	answers "$mode"
	verb 15 kill "$id" KILL
	check "$mode: kill KILL ends the sandbox from the host (status $rc, $took)" \
		test "$rc" = 0 -a "$secs" -le 150
	check "$mode: the sandbox process is gone" gone "$hpid"
	verb 15 delete "$id"
	check "$mode: delete removes the stopped container (status $rc: $out)" \
		test "$rc" = 0 -a ! -e "$root/$id"
	start_agent "$mode" running
	verb 20 delete --force "$id"
	check "$mode: delete --force finishes (status $rc, $took: $out)" \
		test "$rc" = 0 -a "$secs" -le 200
	check "$mode: delete --force leaves no sandbox process" gone "$hpid"
	check "$mode: delete --force leaves no state directory" test ! -e "$root/$id"
done

# A verb wedged on a silent agent holds the lock: the others must not wedge with it.
diag "the lock held by a verb waiting on a silent agent"
echo '{"agent_timeout_s": 120}' >"$base/slow.json"
start_agent silent running
# kill takes the container's lock and then waits on the agent (ps and state read without it).
timeout -k 5 150 "$KAGE" --root "$root" --config "$base/slow.json" kill "$id" TERM >/dev/null 2>&1 &
bg=$!
sleep 1
answers locked
verb 10 ps --format json "$id"
check "locked: ps --format json answers without the lock (status $rc, $took: $out)" \
	test "$rc" = 0 -a "$out" = "[$hpid]"
fails locked 40 "is busy: another kage command has held its lock for 30 s" kill "$id" TERM
verb 25 delete --force "$id"
check "locked: delete --force finishes (status $rc, $took: $out)" test "$rc" = 0 -a "$secs" -le 250
check "locked: no sandbox process left" gone "$hpid"
check "locked: no state directory left" test ! -e "$root/$id"
wait "$bg"
rc=$?
check "locked: the wedged kill ended when its VM did, without a crash (status $rc)" \
	test "$rc" -ne 0 -a "$rc" -lt 124
hpid=
finish
