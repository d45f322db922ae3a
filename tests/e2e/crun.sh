#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# crun as the real runtime behind ocigate (`runtime` in the policy), driven
# with the command lines containerd's shim uses for runc: global --root,
# --log and --log-format json, then create --bundle --pid-file, start,
# state, exec --process, kill, delete.
#
# crun 1.8 refuses this machine's hybrid cgroup layout ("cgroups in hybrid
# mode not supported"); it works in a private mount namespace in which the
# cgroup v2 mount at /sys/fs/cgroup/unified is removed.  So the policy's
# runtime is a small wrapper that does exactly that (only when that mount
# exists) and execs crun, and logs every command line it is given: what
# never shows up there never reached crun.
#
# Checks:
#  - the policy's runtime is used: `ocigate --version` passes through to
#    crun;
#  - a compliant bundle (uid 1000; nnp off, root writable and no seccomp in
#    config.json) runs through ocigate -> crun hardened: no capability
#    beyond NET_BIND_SERVICE, NoNewPrivs 1, Seccomp 2, read-only /;
#    config.json carries ocigate.rewrites;
#  - the engine lifecycle: create/start/state (crun's JSON on stdout,
#    untouched)/exec/kill/delete; an exec --process asking for
#    CAP_SYS_ADMIN and no no_new_privs is clamped to the container; exec
#    --user 0 is refused and never reaches crun;
#  - a root bundle is refused: exit 1, one runc-style JSON error line in
#    --log with the rule id and fix, the reason on stderr, and crun is
#    never called for it.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/common.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd crun runc jq unshare
gate_init
CRUN_BIN=$(command -v crun)

gate_check_clean W
tmpdir W ocigate-crun
CG_TOP=ocigate-e2e-crun
cgroup_snapshot "$W/.cgroups-before"
STATE=$W/crun-state

# ---- the runtime wrapper and the policy ------------------------------------------
hybrid=0
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	hybrid=1
fi
cat >"$W/crun" <<EOF
#!/bin/sh
# crun for ocigate's e2e test: log the command line, hide the hybrid
# cgroup v2 mount from crun (private mount namespace), run crun.
printf '%s\n' "\$*" >>'$W/crun.argv'
if [ $hybrid = 1 ]; then
	exec unshare -m --propagation private -- /bin/sh -c 'umount /sys/fs/cgroup/unified && exec "\$0" "\$@"' '$CRUN_BIN' "\$@"
fi
exec '$CRUN_BIN' "\$@"
EOF
chmod 0755 "$W/crun"
: >"$W/crun.argv"

AUDIT=$W/audit.jsonl
gate_policy "$W/policy.json" <<EOF
{
  "runtime": "$W/crun",
  "audit": { "path": "$AUDIT", "syslog": false }
}
EOF
export OCIGATE_POLICY=$W/policy.json
unset OCIGATE_RUNTIME

# shellcheck disable=SC2317 # run at exit (on_exit)
cleanup_crun() {
	local id
	for id in $(crun --root "$STATE" list -q 2>/dev/null); do
		"$W/crun" --root "$STATE" delete --force "$id" >/dev/null 2>&1 ||
			e2e_log "crun delete --force $id failed"
	done
	cgroup_cleanup "$W/.cgroups-before" "$CG_TOP"
}
on_exit cleanup_crun

# gate ARGS... : ocigate with containerd's global flags
LOG=$W/log.json
gate() { "$OCIGATE" --root "$STATE" --log "$LOG" --log-format json "$@"; }

# bundle DIR ID JQ-FILTER [JQ-ARGS...]: busybox bundle from `runc spec`,
# in its own cgroup
make_busybox_rootfs "$W/rootfs"
bundle() {
	local dir=$1 id=$2 filter=$3
	shift 3
	mkdir -p "$dir"
	(cd "$dir" && runc spec)
	ln -s "$W/rootfs" "$dir/rootfs"
	jq --arg cg "/$CG_TOP/${W##*.}-$id" "$@" '.process.terminal = false | .linux.cgroupsPath = $cg | '"$filter" \
		"$dir/config.json" >"$dir/config.tmp"
	mv -f "$dir/config.tmp" "$dir/config.json"
}

# ---- 1. the policy's runtime is crun ----------------------------------------------
if out=$("$OCIGATE" --version 2>&1) && [[ "$out" == *"crun version"* ]]; then
	ok "passthrough: ocigate --version is crun's (runtime from the policy)"
else
	not_ok "passthrough: ocigate --version is crun's" "$out"
fi

# ---- 2. compliant bundle, foreground run ---------------------------------------------
PROBE='cat /proc/self/status; if touch /ocigate-probe 2>/dev/null; then echo ROOTFS=rw; else echo ROOTFS=ro; fi'
bundle "$W/b1" c1 '.process.user = {uid: 1000, gid: 1000}
	| .process.args = ["sh", "-c", $p] | .process.noNewPrivileges = false | .root.readonly = false
	| del(.linux.seccomp)' --arg p "$PROBE"
if out=$(gate run --bundle "$W/b1" c1 </dev/null 2>&1); then
	ok "compliant bundle runs through ocigate -> crun"
	check_hardened "crun container" "$out" 1000
	check_contains "crun container: root file system" "$out" ROOTFS=ro
else
	not_ok "compliant bundle runs through ocigate -> crun" "$out" "$(cat "$LOG" 2>/dev/null)"
fi
# Every word but the bundle unchanged: ocigate hands the runtime the bundle
# directory it judged, pinned as an open descriptor.
grep -q -E " --log-format json run --bundle=/proc/self/fd/[0-9]+ c1\$" "$W/crun.argv" &&
	ok "crun got the run, argv unchanged but for the pinned bundle" ||
	not_ok "crun got the run, argv unchanged but for the pinned bundle" "$(cat "$W/crun.argv")"
check_contains "config.json annotation ocigate.rewrites" \
	"$(jq -r '.annotations["ocigate.rewrites"] // empty' "$W/b1/config.json")" \
	capabilities no-new-privileges readonly-rootfs seccomp
grep -q ocigate "$LOG" 2>/dev/null && not_ok "ocigate writes nothing to --log on success" "$(cat "$LOG")" ||
	ok "ocigate writes nothing to --log on success"

# ---- 3. engine lifecycle: create, start, state, exec, kill, delete ---------------------
bundle "$W/b2" svc '.process.user = {uid: 1000, gid: 1000} | .process.args = ["sleep", "600"]'
if gate create --bundle "$W/b2" --pid-file "$W/b2/init.pid" svc </dev/null >"$W/create.out" 2>&1 &&
	gate start svc >"$W/start.out" 2>&1; then
	ok "create + start through ocigate -> crun"
	st=$(gate state svc 2>/dev/null) || true
	[ "$(jq -r '.status + " " + .id' <<<"$st" 2>/dev/null)" = "running svc" ] &&
		ok "state: crun's JSON on stdout, running" || not_ok "state: crun's JSON on stdout, running" "$st"

	# An exec process asking for more than the container has.
	jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, cwd: "/", noNewPrivileges: false,
		env: ["PATH=/bin"], args: ["cat", "/proc/self/status"],
		capabilities: {bounding: ["CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"],
			effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]}}' >"$W/process.json"
	if out=$(gate exec --process "$W/process.json" svc </dev/null 2>&1); then
		ok "exec --process asking for CAP_SYS_ADMIN, no no_new_privs: runs"
		check_hardened "exec process (clamped)" "$out" 1000
	else
		not_ok "exec --process asking for CAP_SYS_ADMIN: runs, clamped" "$out"
	fi
	jq -r '.capabilities.bounding | join(",")' "$W/process.json" | grep -q CAP_SYS_ADMIN &&
		not_ok "the --process file was clamped in place" "$(cat "$W/process.json")" ||
		ok "the --process file was clamped in place (no CAP_SYS_ADMIN left)"

	# ocigate itself asks the runtime for the container's state (to find
	# its bundle): only exec lines count.
	n=$(grep -c ' exec ' "$W/crun.argv") || true
	rc=0
	out=$(gate exec --user 0 svc id </dev/null 2>&1) || rc=$?
	if [ $rc = 1 ]; then
		ok "exec --user 0 is refused (exit 1)"
		check_contains "exec --user 0: stderr" "$out" "rejected by policy restricted: root-user" "fix:"
		check_lacks "exec --user 0: stderr" "$out" "uid=0"
		[ "$(grep -c ' exec ' "$W/crun.argv")" = "$n" ] && ok "exec --user 0 never reached crun" ||
			not_ok "exec --user 0 never reached crun" "$(tail -n 3 "$W/crun.argv")"
	else
		not_ok "exec --user 0 is refused (exit 1)" "rc=$rc" "$out"
	fi

	gate kill svc KILL >/dev/null 2>&1 || true
	for _ in $(seq 1 50); do
		[ "$(gate state svc 2>/dev/null | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	if gate delete svc >/dev/null 2>&1; then ok "kill + delete"; else not_ok "kill + delete"; fi
else
	not_ok "create + start through ocigate -> crun" "$(cat "$W/create.out" "$W/start.out" 2>/dev/null)"
fi

# ---- 4. root bundle: refused, crun never called -----------------------------------------
: >"$LOG"
bundle "$W/b3" rootc '.process.args = ["id"]'
n=$(wc -l <"$W/crun.argv")
rc=0
gate create --bundle "$W/b3" --pid-file "$W/b3/init.pid" rootc </dev/null >"$W/out" 2>"$W/err" || rc=$?
[ $rc = 1 ] && ok "root bundle: create refused (exit 1)" || not_ok "root bundle: create refused (exit 1)" "rc=$rc"
[ ! -s "$W/out" ] && ok "root bundle: nothing on stdout" || not_ok "root bundle: nothing on stdout" "$(cat "$W/out")"
check_contains "root bundle: stderr" "$(cat "$W/err")" \
	"ocigate: rejected by policy restricted: root-user: process runs as host root (uid 0) at /process/user/uid; fix:"
if [ "$(wc -l <"$LOG")" = 1 ] && [ "$(jq -r .level "$LOG")" = error ]; then
	ok "root bundle: one JSON error line in --log"
	check_contains "root bundle: --log msg" "$(jq -r .msg "$LOG")" "rejected by policy restricted: root-user:" "fix:"
else
	not_ok "root bundle: one JSON error line in --log" "$(cat "$LOG")"
fi
[ "$(wc -l <"$W/crun.argv")" = "$n" ] && ok "root bundle: crun never called" ||
	not_ok "root bundle: crun never called" "$(tail -n 3 "$W/crun.argv")"
crun --root "$STATE" state rootc >/dev/null 2>&1 && not_ok "root bundle: no crun container rootc" ||
	ok "root bundle: no crun container rootc"

a=$(jq -c 'select(.container_id == "rootc")' "$AUDIT" 2>/dev/null | tail -n1) || true
[ "$(jq -r .decision <<<"$a" 2>/dev/null)" = reject ] && ok "audit: rootc rejected" || not_ok "audit: rootc rejected" "$a"

gate_done
