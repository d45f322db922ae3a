#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # work, out and err come from lib.sh
# Keys runc's decoder binds case-insensitively: validate and rewrite refuse
# them with exit 2 and one line naming file, line, column, key and field.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:?}/tests/cli/lib.sh"

gen=$DATA/generated
K=$'\xe2\x84\xaa' # U+212A KELVIN SIGN
S=$'\xc5\xbf'     # U+017F LATIN SMALL LETTER LONG S

# A config the restricted policy allows as it is.
jq '.process.user={"uid":1000,"gid":1000}' "$gen/runc-spec.json" >"$work/user.json"
run 0 rewrite -o "$work/good.json" "$work/user.json"
run 0 validate "$work/good.json"
check "the hardened config is allowed" contains "$out" "allow (policy restricted)"

# bad NAME JQ-PROGRAM POINTER FIELD: the edited config is refused by both verbs.
bad() {
  local name=$1 prog=$2 ptr=$3 field=$4
  jq "$prog" "$work/good.json" >"$work/$name.json" || { echo "jq failed: $prog"; exit 99; }
  run 2 validate "$work/$name.json"
  check "$name: validate names the key and the field" \
    contains "$out" "$name.json\`: line "
  check "$name: message" contains "$out" ": $ptr: key binds to \"$field\" as runc decodes it; spell it exactly"
  check "$name: one line plus the summary" test "$(lines "$out")" -eq 2
  run 2 rewrite -o "$work/$name.out.json" "$work/$name.json"
  check "$name: rewrite names the key" contains "$err" ": $ptr: key binds to \"$field\""
  check "$name: rewrite wrote nothing" test ! -e "$work/$name.out.json"
}

# The review's attack, field by field: each after its vetted twin.
bad user '.process += {"User": {"uid": 0, "gid": 0}}' /process/User user
bad caps '.process += {"Capabilities": {"bounding": ["CAP_SYS_ADMIN"]}}' /process/Capabilities capabilities
bad nnp '.process += {"NoNewPrivileges": false}' /process/NoNewPrivileges noNewPrivileges
bad readonly '.root += {"Readonly": false}' /root/Readonly readonly
bad mounts '. += {"Mounts": [{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "rw"]}]}' /Mounts mounts
bad seccomp '.linux += {"Seccomp": null}' /linux/Seccomp seccomp
bad masked '.linux += {"MaskedPaths": []}' /linux/MaskedPaths maskedPaths
bad hooks '. += {"Hooks": {"prestart": [{"path": "/bin/sh"}]}}' /Hooks hooks
bad source '.mounts[0] += {"Source": "/"}' /mounts/0/Source source
bad nsPath '.linux.namespaces[0] += {"PATH": "/proc/1/ns/pid"}' /linux/namespaces/0/PATH path
bad allow '.linux.resources += {"devices": [{"allow": false, "access": "rwm", "Allow": true}]}' \
  /linux/resources/devices/0/Allow allow
bad longs ".process += {\"u${S}er\": {\"uid\": 0, \"gid\": 0}}" "/process/u${S}er" user
bad kelvin ".linux += {\"ma${S}${K}edPaths\": []}" "/linux/ma${S}${K}edPaths" maskedPaths

# Near misses: keys that bind to nothing, and map keys, are carried through.
jq '.process += {"users": {"uid": 0}, "x-user": 1} | .annotations += {"User": "x", "Seccomp": "y"}
    | .linux.sysctl = {"Net.ipv4.ping_group_range": "0 0"}' "$work/good.json" >"$work/near.json"
run 1 validate "$work/near.json"
check "near miss: no parse error" contains "$out" "1 checked: 0 allowed, 0 rewritten, 1 rejected, 0 errors"
jq 'del(.linux.sysctl)' "$work/near.json" >"$work/near2.json"
run 0 rewrite -o "$work/near2.out.json" "$work/near2.json"
check "near miss: unknown keys survive a rewrite" \
  jq -e '.process.users.uid == 0 and .process["x-user"] == 1 and .annotations.User == "x"' "$work/near2.out.json"

# Runtime mode, with tests/helpers/fake-runc as the runtime: create and
# exec --process refuse the key (exit 2, as every unreadable document) and
# never hand the document on.
mkdir -p "$work/b" "$work/rec"
printf '{"audit": {"path": "%s/audit.jsonl", "syslog": false}}' "$work" >"$work/policy.json"
export OCIGATE_RUNTIME=$top_srcdir/tests/helpers/fake-runc OCIGATE_POLICY=$work/policy.json
export FAKE_RUNC_DIR=$work/rec FAKE_RUNC_BUNDLE=$work/b
calls() { find "$work/rec" -mindepth 1 -maxdepth 1 -type d | wc -l; }
cp "$work/user.json" "$work/b/config.json"
run 2 create --bundle "$work/b" ctr1
check "create: the key is named" contains "$err" "/process/User: key binds to \"user\""
check "create: runc was not called" test "$(calls)" -eq 0
cp "$work/good.json" "$work/b/config.json"
jq '.process' "$work/good.json" >"$work/p-good.json"
jq '. + {"User": {"uid": 0, "gid": 0}}' "$work/p-good.json" >"$work/p-user.json"
run 2 exec --process "$work/p-user.json" --detach ctr1
check "exec: the key is named" contains "$err" "p-user.json\`: line "
check "exec: message" contains "$err" ": /User: key binds to \"user\" as runc decodes it; spell it exactly"
check "exec: only state was called" test "$(calls)" -eq 1
printf '{"user":{"uid":1000,"gid":1000},"cwd":"/","args":["sh"],"capabilitie%s":{"bounding":["CAP_SYS_ADMIN"]}}' "$S" \
  >"$work/p-longs.json"
run 2 exec --process "$work/p-longs.json" ctr1
check "exec: long s" contains "$err" ": /capabilitie${S}: key binds to \"capabilities\""
run 0 exec --process "$work/p-good.json" --detach ctr1
check "exec near miss: the vetted process file runs" test "$(calls)" -eq 4
jq '. + {"users": {"uid": 0}}' "$work/p-good.json" >"$work/p-near.json"
run 0 exec --process "$work/p-near.json" --detach ctr1

finish
