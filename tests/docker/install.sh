#!/usr/bin/env bash
# `kage install` / `kage uninstall` against a real dockerd (tests/testhost/run --docker):
# a runtime name dockerd has never heard of is added to daemon.json, dockerd reloads it on
# SIGHUP and runs a container with it, a second install changes nothing, --dry-run only
# prints, uninstall takes it away, and a daemon.json that is not JSON is refused untouched.
. "$(dirname "$0")/../lib.sh"

if ! docker info >/dev/null 2>&1; then
	not_ok "dockerd is not running here (run through tests/testhost/run --docker)"
	finish
fi

dj=/etc/docker/daemon.json
base=$(mktemp -d /var/tmp/kage-install.XXXXXX)
cp -p "$dj" "$base/orig.json"
# has_runtime NAME WANT: waits (10 s at most) until dockerd lists runtime NAME (WANT yes) or
# does not (no); dockerd reloads daemon.json asynchronously after SIGHUP.
has_runtime() {
	local got
	for _ in $(seq 50); do
		got=no
		docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$1\":" && got=yes
		[ "$got" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
hup_dockerd() { kill -HUP "$(cat /var/run/docker.pid)"; }
cleanup() {
	cp -p "$base/orig.json" "$dj"
	hup_dockerd
	has_runtime kage yes || diag "dockerd did not get its runtime kage back"
	docker ps -aq --filter label=kage-test | xargs -r docker rm -f >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT

# The test host's daemon.json less its "kage" runtime: nothing kage installs below is
# preconfigured.
python3 - "$dj" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
# "runtimes" stays, empty: dockerd replaces its runtimes on SIGHUP only when the key is there.
d.get("runtimes", {}).pop("kage", None)
json.dump(d, open(sys.argv[1], "w"), indent="\t")
PY
hup_dockerd
check "without its entry, dockerd no longer lists runtime kage" has_runtime kage no

cp -p "$dj" "$base/before.json"
out=$("$KAGE" install --runtime-name kage2 --dry-run 2>&1)
contains "install --dry-run prints the new entry as a diff" "$out" '+    "kage2": {'
check "install --dry-run leaves daemon.json as it was" cmp -s "$base/before.json" "$dj"

out=$("$KAGE" install --runtime-name kage2 2>&1)
rc=$?
diag "$out"
check "kage install --runtime-name kage2 succeeds (rc $rc)" test "$rc" = 0
contains "it says dockerd reloaded" "$out" \
	"dockerd (pid $(cat /var/run/docker.pid)) reloaded its configuration"
contains "and where the old file was saved" "$out" "as $dj.kage-bak"
check "the backup is the file before" cmp -s "$base/before.json" "$dj.kage-bak"
check "dockerd lists runtime kage2" has_runtime kage2 yes

# The image: Debian's static busybox, imported (as tests/docker/docker.sh makes it).
mkdir -p "$base/rootfs/bin"
cp /bin/busybox "$base/rootfs/bin/busybox"
for a in sh echo uname; do ln -s busybox "$base/rootfs/bin/$a"; done
tar -C "$base/rootfs" -c . | docker import -c 'ENV PATH=/bin' - kage-install:test >/dev/null
out=$(timeout -k 10 180 docker run --rm --label kage-test --runtime kage2 kage-install:test \
	sh -c 'echo hi; uname -r' 2>&1)
first=$(sed -n 1p <<<"$out")
kr=$(sed -n 2p <<<"$out")
check "docker run --runtime kage2 runs the container in a microVM (got '$(echo $out)')" \
	test "$first" = hi -a -n "$kr" -a "$kr" != "$(uname -r)"
docker image rm kage-install:test >/dev/null 2>&1

cp -p "$dj" "$base/installed.json"
out=$("$KAGE" install --runtime-name kage2 2>&1)
contains "a second install says it is already installed" "$out" "already installed"
check "and leaves daemon.json byte for byte" cmp -s "$base/installed.json" "$dj"

out=$("$KAGE" uninstall --runtime-name kage2 --dry-run 2>&1)
contains "uninstall --dry-run prints the removal" "$out" '-    "kage2": {'
check "and changes nothing" cmp -s "$base/installed.json" "$dj"
out=$("$KAGE" uninstall --runtime-name kage2 2>&1)
contains "kage uninstall --runtime-name kage2 removes it" "$out" 'removed runtime "kage2"'
contains "and has dockerd reload" "$out" "reloaded its configuration"
check "dockerd no longer lists runtime kage2" has_runtime kage2 no
check "daemon.json is the file before install again (same JSON)" python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$base/before.json" "$dj"

printf '{\n\t"log-level": "warn",\n}\n' >"$dj"
cp -p "$dj" "$base/bad.json"
out=$("$KAGE" install --runtime-name kage2 2>&1)
rc=$?
check "a daemon.json with a trailing comma is refused (rc $rc)" test "$rc" != 0
contains "naming the line" "$out" "$dj: not valid JSON at line 3"
check "and left byte for byte" cmp -s "$base/bad.json" "$dj"
finish
