#!/usr/bin/env bash
# The command line's outer layer: global options, dispatch, errors and the JSON log.
. "$(dirname "$0")/../lib.sh"

expect_status "--version exits 0" 0 "$KAGE" --version
contains "-v prints the version" "$("$KAGE" -v)" "kage version"
contains "--help lists the commands" "$("$KAGE" --help)" "Commands:"
expect_status "no command is an error" 1 "$KAGE"
contains "no command says so" "$("$KAGE" 2>&1)" "no command given"
expect_status "unknown command is an error" 1 "$KAGE" frobnicate
contains "unknown command names it" "$("$KAGE" frobnicate 2>&1)" "unknown command 'frobnicate'"
expect_status "unknown global option is an error" 1 "$KAGE" --frob version
expect_status "bad --log-format is an error" 1 "$KAGE" --log-format yaml version
contains "bad --log-format names it" "$("$KAGE" --log-format yaml version 2>&1)" "'yaml'"
expect_status "version rejects extra arguments" 1 "$KAGE" version extra
contains "verb --help" "$("$KAGE" version --help)" "Usage: kage version"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$KAGE" --log "$log" --log-format json frobnicate 2>/dev/null
check "a failing verb writes a JSON error line containerd can read" python3 -c '
import json, sys
line = open(sys.argv[1]).read().splitlines()[-1]
o = json.loads(line)
assert o["level"] == "error" and "frobnicate" in o["msg"] and o["time"], o
' "$log"
expect_status "an unwritable --log is an error" 1 "$KAGE" --log /nonexistent/dir/log version

# --root holds the pids kage signals and the sockets it talks to: another user's, or one
# others can write, could hand it planted state. Verbs that touch state refuse it.
sr=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$sr"' EXIT
mkdir -m 0711 "$sr/ok" "$sr/open" "$sr/theirs"
chmod 1777 "$sr/open"
chown 65534 "$sr/theirs"
expect_status "list under a root-owned 0711 --root works" 0 "$KAGE" --root "$sr/ok" list
expect_status "a --root that does not exist yet is fine (create makes it)" 0 "$KAGE" --root "$sr/new" list
out=$("$KAGE" --root "$sr/open" list 2>&1)
rc=$?
check "a --root writable by others is refused (status $rc)" test "$rc" = 1
contains "naming --root and its mode" "$out" "--root $sr/open is writable by other users (mode 1777)"
out=$("$KAGE" --root "$sr/theirs" state x 2>&1)
contains "a --root owned by another user is refused" "$out" "is owned by uid 65534"
expect_status "a verb that touches no state ignores --root" 0 "$KAGE" --root "$sr/open" version
finish
