#!/usr/bin/env bash
# make setup is idempotent: run again on a set-up machine it installs nothing.
. "$(dirname "$0")/../lib.sh"

out=$("$KAGE_REPO/scripts/setup.sh" 2>&1)
expect_status "setup succeeds again" 0 "$KAGE_REPO/scripts/setup.sh"
contains "nothing left to install" "$out" "all build and test packages present"
case "$out" in *installing*) not_ok "second run installed nothing"; diag "$out" ;; *) ok "second run installed nothing" ;; esac
check "deb-src entry derived from the machine's apt sources" \
	grep -q '^Types: deb-src' /etc/apt/sources.list.d/kage-deb-src.sources
finish
