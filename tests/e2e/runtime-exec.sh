#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# exec into a running container: a process asking for uid 0 or
# CAP_SYS_ADMIN is refused (or clamped), a normal one runs.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

rt_bundle "$T/b" 1000
gate run -d --bundle "$T/b" box </dev/null >/dev/null 2>&1 || fail "run -d"
rt_wait_status box running

# process.json the way containerd and podman write it
proc() {
	jq -n --argjson uid "$1" --argjson caps "$2" --argjson args "$3" \
		'{terminal: false, user: {uid: $uid, gid: $uid}, args: $args,
		  env: ["PATH=/bin"], cwd: "/",
		  capabilities: {bounding: $caps, effective: $caps, permitted: $caps},
		  noNewPrivileges: false}' >"$T/process.json"
}

# normal exec
proc 1000 '[]' '["id","-u"]'
out=$(gate exec --process "$T/process.json" box 2>"$T/err") || fail "exec: $(cat "$T/err")"
[ "$out" = 1000 ] || fail "exec id -u: $out"
out=$(gate exec box id -u) || fail "flag exec"
[ "$out" = 1000 ] || fail "flag exec id -u: $out"

# uid 0: refused, with the runc-style log line
proc 0 '[]' '["id","-u"]'
rc=0
gate --log "$T/log.json" --log-format json exec --process "$T/process.json" box >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "uid 0 exec: exit $rc, out $(cat "$T/out")"
[ ! -s "$T/out" ] || fail "uid 0 exec ran: $(cat "$T/out")"
jq -e '.level == "error" and (.msg | test("root-user"))' "$T/log.json" >/dev/null ||
	fail "log: $(cat "$T/log.json")"
rc=0
gate exec --user 0 box id -u >"$T/out" 2>/dev/null || rc=$?
[ "$rc" = 1 ] && [ ! -s "$T/out" ] || fail "--user 0: exit $rc $(cat "$T/out")"

# CAP_SYS_ADMIN: the default policy clamps it away (bit 21 never set) ...
status='["sh","-c","grep -E \"^Cap(Eff|Bnd):\" /proc/self/status"]'
proc 1000 '["CAP_SYS_ADMIN"]' "$status"
gate exec --process "$T/process.json" box >"$T/out" 2>"$T/err" || fail "clamped exec: $(cat "$T/err")"
for v in $(awk '{ print $2 }' "$T/out"); do
	(((0x$v >> 21) & 1)) && fail "CAP_SYS_ADMIN granted: $(cat "$T/out")"
done
jq -e '.capabilities.bounding == [] and .noNewPrivileges == true' "$T/process.json" >/dev/null ||
	fail "process.json not clamped: $(cat "$T/process.json")"
gate exec --cap CAP_SYS_ADMIN box sh -c 'grep ^CapBnd: /proc/self/status' >"$T/out" ||
	fail "--cap exec"
v=$(awk '{ print $2 }' "$T/out")
(((0x$v >> 21) & 1)) && fail "--cap CAP_SYS_ADMIN granted: $v"
# ... and a policy that rejects capabilities refuses the exec
rt_policy '"rules": { "capabilities": "reject" }'
proc 1000 '["CAP_SYS_ADMIN"]' "$status"
rc=0
gate exec --process "$T/process.json" box >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$T/out" ] || fail "CAP_SYS_ADMIN exec: exit $rc $(cat "$T/out")"
grep -q 'capabilities' "$T/err" || fail "$(cat "$T/err")"
rt_policy ''

# still a normal exec afterwards
out=$(gate exec box sh -c 'echo ok') || fail "exec after refusals"
[ "$out" = ok ] || fail "$out"

# The user namespace of an exec is the container's as it runs, not what
# config.json says now: adding one (0 -> 100000) after the start does not
# make --user 0 safe, runc would exec as real host root.
userns='.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
jq "$userns" "$T/b/config.json" >"$T/c.json" && cat "$T/c.json" >"$T/b/config.json"
rc=0
gate exec --user 0:0 box cat /proc/self/uid_map >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$T/out" ] && grep -q root-user "$T/err" ||
	fail "--user 0:0 after a config edit: exit $rc $(cat "$T/out" "$T/err")"
# near miss: a container started in that user namespace execs as its uid 0
rt_bundle "$T/u" 1000
chmod 0755 "$T/u" "$T/u/rootfs"
jq "$userns" "$T/u/config.json" >"$T/c.json" && cat "$T/c.json" >"$T/u/config.json"
gate run -d --bundle "$T/u" ubox </dev/null >/dev/null 2>"$T/err" || fail "run -d userns: $(cat "$T/err")"
rt_wait_status ubox running
out=$(gate exec --user 0:0 ubox cat /proc/self/uid_map 2>"$T/err") || fail "userns exec: $(cat "$T/err")"
[ "$(echo $out)" = "0 100000 65536" ] || fail "userns exec uid_map: $out"
# ... also once config.json loses the mappings: the live map counts
jq 'del(.linux.uidMappings, .linux.gidMappings)' "$T/u/config.json" >"$T/c.json" &&
	cat "$T/c.json" >"$T/u/config.json"
out=$(gate exec --user 0:0 ubox cat /proc/self/uid_map 2>"$T/err") || fail "userns exec, config edited: $(cat "$T/err")"
[ "$(echo $out)" = "0 100000 65536" ] || fail "userns exec uid_map: $out"

# The container's own AppArmor profile, which an exec may keep, is the one
# runc applied (its state.json), not one written into config.json since:
# without --process runc builds the exec from config.json as it is now.
cp "$T/b/config.json" "$T/b.saved"
jq '.process.apparmorProfile = "unconfined"' "$T/b.saved" >"$T/b/config.json"
rc=0
gate exec box id -u >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$T/out" ] && grep -q apparmor "$T/err" ||
	fail "exec after apparmorProfile edit: exit $rc $(cat "$T/out" "$T/err")"
jq '.process.noNewPrivileges = false' "$T/b.saved" >"$T/b/config.json"
out=$(gate exec box sh -c 'grep ^NoNewPrivs: /proc/self/status') || fail "exec, nnp edited"
[ "$(echo $out)" = "NoNewPrivs: 1" ] || fail "exec, nnp edited: $out"
# near miss: the config as runc applied it
cp "$T/b.saved" "$T/b/config.json"
out=$(gate exec box id -u) || fail "exec, config restored"
[ "$out" = 1000 ] || fail "exec, config restored: $out"
rt_log "ok"
