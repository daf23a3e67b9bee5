#!/usr/bin/env bash
# The OCI verbs that need no VM: `kage spec`, `kage features`, and `kage env` with the
# settings-file chain (--config, $KAGE_CONFIG, /etc/kage/config.json, defaults).
. "$(dirname "$0")/../lib.sh"

[ -x "$KAGE" ] || { not_ok "build/kage exists (run make)"; finish; }
unset KAGE_CONFIG
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

quiet() { "$@" >/dev/null 2>&1; }

# json_check NAME FILE PYTHON: passes when PYTHON's asserts hold for the JSON o loaded from FILE.
json_check() {
	check "$1" python3 -c "import json, sys
o = json.load(open(sys.argv[1]))
$3" "$2"
}

# --- kage spec ---
# kage spec runs its default through oci_spec__parse() before writing it and fails if the
# parser refuses it, so a written file is one `kage create` reads.
mkdir "$tmp/bundle"
expect_status "spec writes config.json (that our parser accepted) in the current directory" 0 \
	quiet sh -c "cd '$tmp/bundle' && '$KAGE' spec"
check "the spec is valid JSON" quiet python3 -m json.tool "$tmp/bundle/config.json"
json_check "the spec has runc's fields" "$tmp/bundle/config.json" '
p = o["process"]
assert o["ociVersion"] == "1.0.2-dev" and o["hostname"] == "kage", o
assert p["terminal"] is True and p["args"] == ["sh"] and p["cwd"] == "/", p
assert p["user"] == {"uid": 0, "gid": 0} and "TERM=xterm" in p["env"], p
assert p["capabilities"]["bounding"] == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
assert "inheritable" not in p["capabilities"] and p["noNewPrivileges"] is True
assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
assert o["root"] == {"path": "rootfs", "readonly": True}
assert [m["destination"] for m in o["mounts"]] == ["/proc", "/dev", "/dev/pts", "/dev/shm",
	"/dev/mqueue", "/sys", "/sys/fs/cgroup"], o["mounts"]
l = o["linux"]
assert [n["type"] for n in l["namespaces"]] == ["pid", "network", "ipc", "uts", "mount",
	"cgroup"], l
assert l["resources"]["devices"] == [{"allow": False, "access": "rwm"}]
assert "/proc/kcore" in l["maskedPaths"] and "/proc/sys" in l["readonlyPaths"]
'
before=$(md5sum <"$tmp/bundle/config.json")
expect_status "spec refuses to overwrite" 1 quiet "$KAGE" spec --bundle "$tmp/bundle"
contains "and says so as runc does" "$("$KAGE" spec -b "$tmp/bundle" 2>&1)" \
	"File config.json exists. Remove it first"
check "the existing file is untouched" [ "$(md5sum <"$tmp/bundle/config.json")" = "$before" ]
mkdir "$tmp/b2"
expect_status "spec --bundle DIR" 0 quiet "$KAGE" spec --bundle "$tmp/b2"
check "writes DIR/config.json" [ -s "$tmp/b2/config.json" ]
expect_status "spec into a missing directory fails" 1 quiet "$KAGE" spec -b "$tmp/nonexistent"
expect_status "spec --rootless is refused" 1 quiet "$KAGE" spec --rootless -b "$tmp/b2"
contains "with a reason" "$("$KAGE" spec --rootless 2>&1)" "--rootless is not supported"
expect_status "spec rejects an unknown option" 1 quiet "$KAGE" spec --frob
contains "spec --help" "$("$KAGE" spec --help)" "Usage: kage spec"

# --- kage features ---
"$KAGE" features >"$tmp/features.json"
expect_status "features exits 0" 0 quiet "$KAGE" features
check "features is valid JSON" quiet python3 -m json.tool "$tmp/features.json"
json_check "features has runc's fields" "$tmp/features.json" '
assert o["ociVersionMin"] == "1.0.0" and o["ociVersionMax"] == "1.1.0", o
assert o["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer",
	"poststart", "poststop"], o["hooks"]
assert {"ro", "nosuid", "bind", "rbind"} <= set(o["mountOptions"])
l = o["linux"]
assert sorted(l["namespaces"]) == ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"], l["namespaces"]
assert "CAP_SYS_ADMIN" in l["capabilities"] and "CAP_CHECKPOINT_RESTORE" in l["capabilities"]
assert l["cgroup"]["v2"] is True and l["cgroup"]["v1"] is False
s = l["seccomp"]
assert s["enabled"] is True and "SCMP_ACT_ERRNO" in s["actions"]
assert "SCMP_ACT_NOTIFY" not in s["actions"], "kage refuses SCMP_ACT_NOTIFY"
assert "SCMP_CMP_MASKED_EQ" in s["operators"] and "SCMP_ARCH_X86_64" in s["archs"]
assert l["apparmor"] == {"enabled": False} and l["selinux"] == {"enabled": False}
assert o["annotations"]["io.kage.version"], o["annotations"]
'
expect_status "features rejects arguments" 1 quiet "$KAGE" features extra

# --- kage env and the settings chain ---
if [ -e /etc/kage/config.json ]; then
	skip "env with no config file shows the defaults" "/etc/kage/config.json exists here"
else
	"$KAGE" env >"$tmp/env.json"
	json_check "env with no config file shows the defaults" "$tmp/env.json" '
assert o["config_file"] is None and o["config_from"] is None, o
s = o["settings"]
assert all(v["source"] == "default" for v in s.values()), s
assert s["default_vcpus"]["value"] == 1 and s["default_memory_mib"]["value"] == 256
assert s["fs_cache"]["value"] == "auto" and s["log_level"]["value"] == "info"
assert s["annotations_allowed"]["value"] == ["io.kage.vcpus", "io.kage.memory"]
'
fi
printf '{"default_vcpus": 1, "default_memory_mib": 512, "fs_cache": "none"}\n' >"$tmp/a.json"
printf '{"kernel_params": "quiet"}\n' >"$tmp/b.json"
"$KAGE" --config "$tmp/a.json" env >"$tmp/env-a.json"
json_check "--config FILE: its values, marked as from the file" "$tmp/env-a.json" '
assert o["config_file"].endswith("/a.json") and o["config_from"] == "--config", o
s = o["settings"]
assert s["default_memory_mib"] == {"value": 512, "source": "file"}, s
assert s["fs_cache"] == {"value": "none", "source": "file"}, s
assert s["kernel_params"] == {"value": "", "source": "default"}, s
'
KAGE_CONFIG="$tmp/b.json" "$KAGE" env >"$tmp/env-b.json"
json_check "KAGE_CONFIG=FILE: its values" "$tmp/env-b.json" '
assert o["config_file"].endswith("/b.json") and o["config_from"] == "KAGE_CONFIG", o
assert o["settings"]["kernel_params"] == {"value": "quiet", "source": "file"}, o
assert o["settings"]["fs_cache"]["source"] == "default"
'
KAGE_CONFIG="$tmp/b.json" "$KAGE" --config "$tmp/a.json" env >"$tmp/env-ab.json"
json_check "--config wins over KAGE_CONFIG, without merging" "$tmp/env-ab.json" '
assert o["config_from"] == "--config" and o["settings"]["kernel_params"]["value"] == "", o
'

printf '{"default_vcpu": 2}\n' >"$tmp/typo.json"
expect_status "an unknown key is an error" 1 quiet "$KAGE" --config "$tmp/typo.json" env
contains "naming the key" "$("$KAGE" --config "$tmp/typo.json" env 2>&1)" \
	"unknown setting 'default_vcpu'"
printf '{"max_memory_mib": "lots"}\n' >"$tmp/type.json"
contains "a wrong type names the key" "$("$KAGE" --config "$tmp/type.json" env 2>&1)" \
	"max_memory_mib must be an integer"
expect_status "a missing --config file is an error" 1 quiet "$KAGE" --config "$tmp/none.json" env
contains "naming the file" "$("$KAGE" --config "$tmp/none.json" env 2>&1)" \
	"none.json (from --config): No such file"
expect_status "a missing KAGE_CONFIG file is an error" 1 \
	quiet env KAGE_CONFIG="$tmp/none.json" "$KAGE" env
contains "--config in the help" "$("$KAGE" --help)" "--config FILE"
finish
