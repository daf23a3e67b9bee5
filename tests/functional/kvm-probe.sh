#!/usr/bin/env bash
# The chain the VM tests stand on: a KVM program from our tree runs a guest that does port
# I/O, and every exit is what the guest's instructions say it should be.
. "$(dirname "$0")/../lib.sh"
probe=$KAGE_REPO/build/tests/kvm-probe
[ -x "$probe" ] || { not_ok "build/tests/kvm-probe exists (make helpers)"; finish; }
"$probe"
