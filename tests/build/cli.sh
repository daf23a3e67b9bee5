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
finish
