#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runtime mode against tests/helpers/fake-runc (no container starts):
#  - it trusts only a policy root alone can write (file and directories),
#    while `validate --policy` reads any file;
#  - a config string cannot forge a line or send terminal escapes through
#    the rejection text on stderr or the --log line.
. "${top_srcdir:?}/tests/cli/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
chmod 0755 "$work"
mkdir -p "$work/etc" "$work/bundle" "$work/rec" "$work/log"
chmod 0755 "$work/etc" "$work/bundle"
chmod 0750 "$work/log"
cp "$DATA/generated/runc-spec.json" "$work/bundle/config.json" # uid 0, no seccomp
export OCIGATE_RUNTIME="$top_srcdir/tests/helpers/fake-runc" FAKE_RUNC_DIR="$work/rec"
P=$work/etc/policy.json
export OCIGATE_POLICY="$P"
root=false
[ "$(id -u)" -eq 0 ] && root=true

write_policy() { # PRESET MODE [OWNER]
  printf '{ "preset": "%s", "audit": { "path": "%s/log/audit.jsonl", "syslog": false } }\n' \
    "$1" "$work" >"$P"
  chmod "$2" "$P"
  if $root; then chown "${3:-0}" "$P"; fi
}
runc_calls() { find "$work/rec" -mindepth 1 -maxdepth 1 -type d | grep -c ''; }

# The attack as found: a privileged preset in a policy anyone can write.
write_policy privileged 0666 nobody
run 2 create --bundle "$work/bundle" c1
check "untrusted policy: the runtime is not started" [ "$(runc_calls)" -eq 0 ]
check "untrusted policy: one line naming the file" [ "$(lines "$err")" -eq 1 ]
check "untrusted policy: the message names the file" contains "$err" "\`$P\` is not trusted in runtime mode"
if $root; then
  check "untrusted policy: says whose it is" contains "$err" "owned by uid 65534, not root"
else
  check "untrusted policy: says it is writable" contains "$err" "writable by group or others (mode 0666)"
fi
# Every command that needs the policy is refused, passthroughs included
# when the runtime comes from the policy.
run 2 run --bundle "$work/bundle" c1
env -u OCIGATE_RUNTIME "$OCIGATE" state c1 >/dev/null 2>&1
check "untrusted policy: a passthrough naming no runtime fails too" [ $? -eq 2 ]
# The standalone verbs read it (CI runs them as any user).
run 0 validate --policy "$P" "$work/bundle/config.json"
check "validate --policy reads an untrusted file" contains "$out" "allow (policy privileged)"

# Owned by root but writable by the group; then a directory anyone can write.
write_policy privileged 0664
run 2 create --bundle "$work/bundle" c1
check "group-writable policy refused" contains "$err" "(mode 0664)"
write_policy privileged 0644
chmod 0777 "$work/etc"
run 2 create --bundle "$work/bundle" c1
check "policy in a world-writable directory refused, naming it" \
  contains "$err" "directory \`$work/etc\` is writable by group or others (mode 0777)"
check "still no runtime call" [ "$(runc_calls)" -eq 0 ]

# Near miss: 0644, root's, in a 0755 directory of root's: loaded, and the
# privileged preset lets the root bundle start.
chmod 0755 "$work/etc"
run 0 create --bundle "$work/bundle" c1
check "trusted policy: the runtime is started" [ "$(runc_calls)" -eq 1 ]
check "trusted policy: audit line written" [ "$(grep -c '"decision"' "$work/log/audit.jsonl")" -eq 1 ]

# An audit log that is a planted link is refused; the create fails closed
# only when it is a rejection, else a warning goes to syslog.
write_policy restricted 0644
ln -s /etc/hostname "$work/log/link.jsonl"
printf '{ "audit": { "path": "%s/log/link.jsonl", "syslog": false } }\n' "$work" >"$P"
run 1 create --bundle "$work/bundle" c2
check "rejection stands when the audit log is refused" contains "$err" "cannot open the audit log"
check "still one runtime call" [ "$(runc_calls)" -eq 1 ]

# Output injection: a hook path that tries to forge an "allowed" line and
# clear the terminal.
write_policy restricted 0644
jq '.hooks = { "prestart": [ { "path": "/x\nocigate: allowed\r\u001b[2K\u0085\u2028y" } ] }' \
  "$DATA/generated/runc-spec.json" >"$work/bundle/config.json"
esc=$(printf '\033')
cr=$(printf '\r')
run 1 create --bundle "$work/bundle" c3
check "stderr: no forged line" [ "$(printf '%s\n' "$err" | grep -c '^ocigate: allowed')" -eq 0 ]
check "stderr: no escape or carriage return" \
  [ "$(printf '%s' "$err" | grep -c -e "$esc" -e "$cr")" -eq 0 ]
check "stderr: no C1 or line separator" \
  [ "$(printf '%s' "$err" | LC_ALL=C grep -c -e "$(printf '\302\205')" -e "$(printf '\342\200\250')")" -eq 0 ]
check "stderr: the hook shown escaped" contains "$err" '/x\nocigate: allowed\r\x1b[2K\u0085\u2028y'
run 1 --log "$work/runc.log" --log-format text create --bundle "$work/bundle" c3
check "text log: one line" [ "$(grep -c '' "$work/runc.log")" -eq 1 ]
check "text log: no escape byte" [ "$(grep -c -e "$esc" -e "$cr" "$work/runc.log")" -eq 0 ]
check "text log: quoted as %q" grep -q 'msg="ocigate: rejected.*/x\\\\nocigate: allowed' "$work/runc.log"
run 1 --log "$work/runc.json" --log-format json create --bundle "$work/bundle" c3
check "json log: one line" [ "$(grep -c '' "$work/runc.json")" -eq 1 ]
check "json log: the message has no control character" \
  [ "$(jq -r .msg "$work/runc.json" | grep -c -e "$esc" -e "$cr" -e '^ocigate: allowed')" -eq 0 ]
check "no runtime call for the rejections" [ "$(runc_calls)" -eq 1 ]
finish
