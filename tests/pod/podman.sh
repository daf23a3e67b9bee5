#!/usr/bin/env bash
# podman pods with kage as the runtime (Debian's podman 4.3, --runtime naming build/kage): the
# pod's infra container, which carries no pod annotation, boots the one VM as any container
# does, and its members (CRI-O's annotations naming the infra, and the infra's network
# namespace) are created inside it. Two members talk over localhost, podman exec runs in one,
# pause freezes one alone, stopping and removing one leaves the other serving, and podman pod
# rm -f leaves no process, mount or state. The images are imported from a local busybox root;
# the infra's pause image is the one podman builds from catatonit, no registry.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

if ! command -v podman >/dev/null; then
	not_ok "podman is not installed here (run through tests/testhost/run)"
	finish
fi
base=$(mktemp -d /var/tmp/kage-podman.XXXXXX)
cleanup() {
	pm pod rm -f kp >/dev/null 2>&1
	pm rm -fa >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT
# No systemd or journald in the test host: podman's cgroupfs manager and file events.
pm() {
	timeout -k 10 300 podman --runtime "$KAGE" --cgroup-manager cgroupfs --events-backend file "$@"
}
kroot=/run/kage	# kage's own default, as podman names no --root

make_rootfs "$base/rootfs"
mkdir -p "$base/rootfs/www-a" "$base/rootfs/www-b"
echo "served-by-a" >"$base/rootfs/www-a/index.html"
echo "served-by-b" >"$base/rootfs/www-b/index.html"
# (its stderr: Debian's podman warns of a CNI config it does not use, netavark being there)
tar -C "$base/rootfs" -c . | pm import -c 'ENV PATH=/bin' - localhost/kage-bb:test >/dev/null 2>&1
check "podman imported the image" pm image exists localhost/kage-bb:test

out=$(pm pod create --name kp 2>&1)
rc=$?
check "podman pod create (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' <<<"$out" | tail -5
pm run -d --pod kp --name kp-a localhost/kage-bb:test httpd -f -p 8080 -h /www-a >"$base/a.out" 2>&1
rc=$?
check "podman run -d --pod kp: a member serving on 8080 (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$base/a.out" | tail -5
pm run -d --pod kp --name kp-b localhost/kage-bb:test httpd -f -p 8081 -h /www-b >/dev/null 2>&1
check "and a second on 8081" test "$(pm inspect -f '{{.State.Status}}' kp-b 2>/dev/null)" = running
check "the pod's infra and both members are in one VM" test "$(pgrep -xc kage-sandbox)" = 1
check "each member stood for by a relay" test "$(pgrep -xc kage-member)" = 2

get() { echo "for i in \$(seq 50); do wget -qO- http://127.0.0.1:$1/index.html && break; sleep 0.2; done"; }
out=$(pm exec kp-a sh -c "$(get 8081)" 2>&1)
contains "podman exec in one member reaches the other over localhost" "$out" "served-by-b"
out=$(pm run --rm --pod kp localhost/kage-bb:test sh -c "$(get 8080); $(get 8081)" 2>&1)
contains "a third, run --rm in the pod, reaches the first" "$out" "served-by-a"
contains "and the second" "$out" "served-by-b"
pm exec kp-a sh -c 'echo a >/tmp/a-was-here' >/dev/null 2>&1
out=$(pm exec kp-b sh -c 'test -e /tmp/a-was-here && echo SEES-A; echo looked' 2>&1)
check "a member does not see another's files ($(echo $out))" test "$out" = looked
check "its writes stay in its own rootfs on the host" \
	test -e "$(pm inspect -f '{{.GraphDriver.Data.UpperDir}}' kp-a 2>/dev/null)/tmp/a-was-here"

a_id=$(pm inspect -f '{{.Id}}' kp-a 2>/dev/null)
check "kage holds the member's state under podman's id" test -d "$kroot/$a_id"
pm stop -t 2 kp-a >/dev/null 2>&1
check "podman stop of one member stops it" \
	test "$(pm inspect -f '{{.State.Status}}' kp-a 2>/dev/null)" = exited
pm rm kp-a >/dev/null 2>&1
check "podman rm removes it from kage's state" test ! -e "$kroot/$a_id"
out=$(pm exec kp-b sh -c "$(get 8081)" 2>&1)
contains "the other member serves on" "$out" "served-by-b"
check "the pod's VM runs on" test "$(pgrep -xc kage-sandbox)" = 1
pm pause kp-b >/dev/null 2>&1
check "podman pause of a member" test "$(pm inspect -f '{{.State.Status}}' kp-b 2>/dev/null)" = paused
out=$(pm run --rm --pod kp localhost/kage-bb:test sh -c \
	'timeout 5 wget -qO- http://127.0.0.1:8081/index.html || echo no-answer' 2>&1)
contains "freezes it alone: the pod runs a container that finds it silent" "$out" "no-answer"
pm unpause kp-b >/dev/null 2>&1
out=$(pm run --rm --pod kp localhost/kage-bb:test sh -c "$(get 8081)" 2>&1)
contains "podman unpause: it serves again" "$out" "served-by-b"

pm pod rm -f kp >/dev/null 2>&1
check "podman pod rm -f: no VM is left" test "$(pgrep -xc kage-sandbox)" = 0
check "nor a member's relay" test "$(pgrep -xc kage-member)" = 0
check "nor kage state ($(ls "$kroot" 2>/dev/null | tr '\n' ' '))" test -z "$(ls "$kroot" 2>/dev/null)"
check "nor a mount under kage's state directory" bash -c "! grep -q ' $kroot/' /proc/self/mountinfo"
finish
