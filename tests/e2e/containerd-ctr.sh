#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# containerd + ctr with ocigate as the runc binary (`ctr run --runc-binary`),
# the way a developer on a workstation uses it.  A private containerd 1.6
# (everything under a temp dir, see lib/containerd.sh) runs the runc v2 shim,
# which calls ocigate exactly as it calls runc:
#   ocigate --root /run/containerd/runc/default --log BUNDLE/log.json
#           --log-format json create --bundle BUNDLE --pid-file ... ID
#
# The policy comes from OCIGATE_POLICY: containerd hands its environment to
# the shim and the shim to the runtime, so the variable set when containerd
# starts reaches ocigate (checked through the audit log, which names the
# policy file).  The file is read on every call, so cases change it
# between runs without restarting containerd.
#
# Checks:
#  - a compliant container (image with USER 1000) runs, hardened: from
#    inside, /proc/self/status shows no capability beyond
#    NET_BIND_SERVICE, NoNewPrivs 1 even with --allow-new-privs, Seccomp 2,
#    and the root file system is read-only;
#  - a root container and a privileged one (also a privileged one with a
#    non-root user) never start; ctr's error carries ocigate's rule id and
#    fix, as containerd read them back from the runtime's --log;
#  - `ctr task exec` into the running compliant container: the exec process
#    (built by containerd from its own unhardened spec) is clamped to the
#    container's capabilities and no_new_privs; `--user 0` is refused;
#  - warn mode: the root container runs, nothing is rewritten, the audit log
#    says what enforce would have done;
#  - the audit log has one line per decision with the container id.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/containerd.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd containerd ctr containerd-shim-runc-v2 runc jq flock
gate_init
RUNC_BIN=$(command -v runc)

gate_check_clean W
tmpdir W ocigate-ctr

# ---- policy, images, daemon -------------------------------------------------
POLICY=$W/policy.json
AUDIT=$W/audit/audit.jsonl
write_policy() { # write_policy MODE
	gate_policy "$POLICY" <<EOF
{
  "mode": "$1",
  "runtime": "$RUNC_BIN",
  "audit": { "path": "$AUDIT", "syslog": false }
}
EOF
}
write_policy enforce
export OCIGATE_POLICY=$POLICY

make_busybox_rootfs "$W/rootfs"
IMG_ENV='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"'
image_build_rootfs "$W/root.tar" localhost/busybox:test "$W/rootfs" "{$IMG_ENV}"
image_build_rootfs "$W/user.tar" localhost/busybox-user:test "$W/rootfs" "{$IMG_ENV,\"User\":\"1000:1000\"}"

containerd_start "$W/containerd"
containerd_import "$W/root.tar" default
containerd_import "$W/user.tar" default

# run_ctr OUTVAR ID [ctr run options] IMAGE CMD... -> rc; combined output in OUTVAR
run_ctr() {
	local __v=$1 id=$2 __out __rc=0
	shift 2
	local opts=() a
	while [ $# -gt 0 ]; do
		case "$1" in
		localhost/*) break ;;
		*) opts+=("$1"); shift ;;
		esac
	done
	a=$1
	shift
	__out=$(cctr -n default run --rm --runc-binary "$OCIGATE" ${opts[@]+"${opts[@]}"} \
		"$a" "$id" "$@" </dev/null 2>&1) || __rc=$?
	# A failed create leaves the container record behind.
	cctr -n default containers rm "$id" >/dev/null 2>&1 || true
	printf -v "$__v" '%s' "$__out"
	return $__rc
}

audit_of() { # audit_of ID -> the last audit line for container ID
	[ -f "$AUDIT" ] || return 0
	{ jq -c --arg id "$1" 'select(.container_id == $id)' "$AUDIT" || true; } | tail -n1
}

# ---- 1. compliant container: runs, hardened -----------------------------------
PROBE='cat /proc/self/status; if touch /ocigate-probe 2>/dev/null; then echo ROOTFS=rw; else echo ROOTFS=ro; fi'
if run_ctr out ok1 --allow-new-privs localhost/busybox-user:test sh -c "$PROBE"; then
	ok "compliant container (USER 1000) runs"
	check_hardened "compliant container" "$out" 1000
	check_contains "compliant container: root file system" "$out" ROOTFS=ro
else
	not_ok "compliant container (USER 1000) runs" "$out"
fi
a=$(audit_of ok1) || true
if [ -n "$a" ]; then
	ok "OCIGATE_POLICY reached ocigate through containerd and the shim (audit line written)"
	[ "$(jq -r .policy_source <<<"$a")" = "$POLICY" ] &&
		ok "audit: policy_source is the OCIGATE_POLICY file" ||
		not_ok "audit: policy_source is the OCIGATE_POLICY file" "$a"
	[ "$(jq -r .decision <<<"$a")" = rewrite ] && ok "audit: decision rewrite" ||
		not_ok "audit: decision rewrite" "$a"
	check_contains "audit: rewritten rules" "$(jq -r '.rules | join(",")' <<<"$a")" \
		capabilities no-new-privileges readonly-rootfs seccomp
	check_contains "audit: bundle" "$(jq -r .bundle <<<"$a")" \
		/run/containerd/io.containerd.runtime.v2.task/default/ok1
else
	not_ok "OCIGATE_POLICY reached ocigate through containerd and the shim (audit line written)" \
		"no audit line for ok1 in $AUDIT" "$(tail -n 20 "$CONTAINERD_LOG")"
fi

# ---- 2. root container: rejected, reason in ctr's error -----------------------
if run_ctr out root1 localhost/busybox:test id; then
	not_ok "root container is rejected" "$out"
else
	ok "root container is rejected (ctr exit non-zero)"
	check_contains "ctr error (root)" "$out" \
		"OCI runtime create failed: ocigate: rejected by policy restricted: root-user: process runs as host root (uid 0) at /process/user/uid; fix: set securityContext.runAsNonRoot/runAsUser or USER in the image"
	check_lacks "ctr error (root)" "$out" "uid=0" "unable to retrieve OCI runtime error"
fi
a=$(audit_of root1) || true
[ "$(jq -r .decision <<<"$a" 2>/dev/null)" = reject ] && ok "audit: root1 rejected" ||
	not_ok "audit: root1 rejected" "$a"

# ---- 3. privileged: rejected ----------------------------------------------------
if run_ctr out priv1 --privileged localhost/busybox:test id; then
	not_ok "privileged root container is rejected" "$out"
else
	ok "privileged root container is rejected"
	check_contains "ctr error (privileged root)" "$out" \
		"OCI runtime create failed: ocigate: rejected by policy restricted:" \
		"root-user:" "privileged: container is privileged" "fix: remove securityContext.privileged"
fi
if run_ctr out priv2 --privileged localhost/busybox-user:test id; then
	not_ok "privileged non-root container is rejected" "$out"
else
	ok "privileged non-root container is rejected"
	check_contains "ctr error (privileged, USER 1000)" "$out" \
		"OCI runtime create failed: ocigate: rejected by policy restricted: privileged: container is privileged" \
		"fix: remove securityContext.privileged"
	check_lacks "ctr error (privileged, USER 1000)" "$out" "root-user:"
fi

# ---- 4. exec into a running compliant container ---------------------------------
if cctr -n default run -d --runc-binary "$OCIGATE" --allow-new-privs \
	localhost/busybox-user:test svc sleep 600 >/dev/null 2>"$W/svc.err"; then
	ok "long-running compliant container starts (ctr run -d)"
	init_status=$(cctr -n default task exec --exec-id e0 svc cat /proc/1/status 2>&1) || true
	spec=$(cctr -n default containers info svc 2>/dev/null | jq -c '.Spec.process') || true
	check_contains "containerd's own spec for svc (what exec is built from)" \
		"$(jq -r '.capabilities.bounding | join(",")' <<<"$spec")" CAP_CHOWN CAP_SETUID
	if out=$(cctr -n default task exec --exec-id e1 svc cat /proc/self/status 2>&1); then
		ok "ctr task exec runs in the compliant container"
		check_hardened "exec process" "$out" 1000
		[ "$(status_field "$out" CapBnd)" = "$(status_field "$init_status" CapBnd)" ] &&
			ok "exec process: CapBnd equals the container's ($(status_field "$out" CapBnd))" ||
			not_ok "exec process: CapBnd equals the container's" "$out" "$init_status"
	else
		not_ok "ctr task exec runs in the compliant container" "$out"
	fi
	if out=$(cctr -n default task exec --exec-id e2 --user 0 svc id 2>&1); then
		not_ok "ctr task exec --user 0 is refused" "$out"
	else
		ok "ctr task exec --user 0 is refused"
		check_contains "ctr exec error (--user 0)" "$out" "OCI runtime exec failed" "root-user" "fix:"
		check_lacks "ctr exec error (--user 0)" "$out" "uid=0"
	fi
	a=$(jq -c 'select(.container_id == "svc" and .command == "exec")' "$AUDIT" | tail -n1) || true
	[ "$(jq -r .decision <<<"$a" 2>/dev/null)" = reject ] && ok "audit: exec as root rejected" ||
		not_ok "audit: exec as root rejected" "$a"
	cctr -n default task kill -s KILL svc >/dev/null 2>&1 || true
	for _ in $(seq 1 50); do
		cctr -n default task delete svc >/dev/null 2>&1 && break
		sleep 0.1
	done
	cctr -n default containers rm svc >/dev/null 2>&1 || true
else
	not_ok "long-running compliant container starts (ctr run -d)" "$(cat "$W/svc.err")"
fi

# ---- 5. warn mode: nothing is changed, the audit log tells ---------------------
write_policy warn
if run_ctr out warn1 localhost/busybox:test sh -c 'id -u; grep -E "^(CapEff|Seccomp):" /proc/self/status'; then
	ok "warn mode: root container runs"
	grep -qx 0 <<<"$out" && ok "warn mode: runs as uid 0" ||
		not_ok "warn mode: runs as uid 0" "$out"
	check_contains "warn mode: no seccomp injected" "$out" "Seccomp:	0"
	a=$(audit_of warn1) || true
	[ "$(jq -r .mode <<<"$a" 2>/dev/null)" = warn ] && ok "audit: mode warn" ||
		not_ok "audit: mode warn" "$a"
	check_contains "audit: what enforce would have done" \
		"$(jq -r '[.findings[] | "\(.rule)=\(.action)"] | unique | join(",")' <<<"$a" 2>/dev/null)" \
		root-user=reject seccomp=rewrite
else
	not_ok "warn mode: root container runs" "$out"
fi
write_policy enforce

n=$(wc -l <"$AUDIT") || true
[ "$(jq -s length "$AUDIT")" = "$n" ] && ok "audit log: $n lines, each one JSON document" ||
	not_ok "audit log is JSON lines" "$(cat "$AUDIT")"

containerd_stop
gate_done
