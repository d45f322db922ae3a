#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# podman with ocigate as its OCI runtime (`podman --runtime ocigate run
# --rootfs DIR ...`), through conmon, with a private containers.conf and
# storage (lib/podman.sh).
#
# conmon runs the runtime with no environment, so ocigate reads the policy
# from its fixed path /etc/ocigate/policy.json, or uses the embedded
# restricted default when there is none, and audits to
# /var/log/ocigate/audit.jsonl.  The test must neither write the host's /etc
# or /var/log nor depend on what they hold, so it runs in a private mount
# namespace (it re-executes itself under `unshare -m`) in which /etc and
# /var/log are overlays whose upper layers live in the temp dir: ocigate,
# conmon and podman see the stock paths, the host sees nothing.  /dev/log,
# if there is one, is hidden too, so the default syslog copy stays off the
# host's journal.
#
# Checks:
#  - embedded default (no policy file): a compliant container (--user 1000)
#    runs hardened (no capability beyond NET_BIND_SERVICE, NoNewPrivs 1,
#    Seccomp 2, read-only /); a root container and a privileged non-root
#    one are refused and podman's error (the runtime's stderr, spec section
#    5) carries the rule id and the fix; the decisions land in
#    /var/log/ocigate/audit.jsonl inside the overlay, and the host's
#    /var/log/ocigate is untouched;
#  - podman exec into the running compliant container: clamped to the
#    container (CapBnd as the container's, NoNewPrivs 1); `--user 0` is
#    refused; `--privileged` gets no more than the container has;
#  - /etc/ocigate/policy.json is read although conmon passes no environment
#    (root-user: rewrite there: the root container runs as 65534);
#  - the audit log cannot be written (/var/log read-only): a compliant
#    container still starts; a rejected one is still rejected and the
#    message says the audit log failed;
#  - with packaging/podman/containers.conf's runtime_supports_json (podman
#    then passes --log-format=json --log FILE and reads the error back from
#    FILE), the rejection is shown as well.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
. "$HERE/lib/podman.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd podman conmon unshare jq flock

# The host's view of what ocigate would write, before anything runs.
host_state() {
	local p
	for p in /etc/ocigate /etc/ocigate/policy.json /var/log/ocigate /var/log/ocigate/audit.jsonl; do
		stat -c '%n %i %s %Y' "/proc/1/root$p" 2>/dev/null || echo "/proc/1/root$p absent"
	done
}
if [ -z "${_OCIGATE_E2E_PODMAN_NS:-}" ]; then
	export _OCIGATE_E2E_PODMAN_HOST_BEFORE
	_OCIGATE_E2E_PODMAN_HOST_BEFORE=$(host_state)
	exec unshare -m --propagation private env _OCIGATE_E2E_PODMAN_NS=1 "$BASH" "$0" "$@"
fi

gate_init
gate_check_clean W
tmpdir W ocigate-podman

# ---- the private /etc and /var/log ----------------------------------------------
mkdir -p "$W/ov/etc-up" "$W/ov/etc-work" "$W/ov/log-up" "$W/ov/log-work"
mount -t overlay ocigate-e2e-etc -o "lowerdir=/etc,upperdir=$W/ov/etc-up,workdir=$W/ov/etc-work" /etc
on_exit "umount -l /etc"
mount -t overlay ocigate-e2e-log -o "lowerdir=/var/log,upperdir=$W/ov/log-up,workdir=$W/ov/log-work" /var/log
on_exit "umount -l /var/log"
if [ -S /dev/log ]; then
	: >"$W/no-syslog"
	mount --bind "$W/no-syslog" /dev/log
	on_exit "umount -l /dev/log"
fi
[ "$(findmnt -n -o FSTYPE /etc)" = overlay ] && [ "$(findmnt -n -o FSTYPE /var/log)" = overlay ] ||
	e2e_die "/etc and /var/log are not the test's overlays"
rm -rf /etc/ocigate /var/log/ocigate # in the overlays: whiteouts, the host keeps its own
AUDIT=/var/log/ocigate/audit.jsonl

podman_setup "$W/podman" "$OCIGATE" ocigate
make_busybox_rootfs "$W/rootfs"
R=$W/rootfs

# prun OUTVAR [podman run options] -> rc; stdout+stderr in OUTVAR
prun() {
	local __v=$1 __o __rc=0
	shift
	__o=$(pman run --rm "$@" </dev/null 2>&1) || __rc=$?
	printf -v "$__v" '%s' "$__o"
	return $__rc
}
PROBE='cat /proc/self/status; if touch /ocigate-probe 2>/dev/null; then echo ROOTFS=rw; else echo ROOTFS=ro; fi'

# ---- 1. embedded default ----------------------------------------------------------
if prun out --user 1000 --rootfs "$R" sh -c "$PROBE"; then
	ok "embedded default: compliant container (--user 1000) runs"
	check_hardened "compliant container" "$out" 1000
	check_contains "compliant container: root file system" "$out" ROOTFS=ro
else
	not_ok "embedded default: compliant container (--user 1000) runs" "$out"
fi

rc=0
prun out --rootfs "$R" id || rc=$?
if [ $rc != 0 ]; then
	ok "embedded default: root container is refused (podman exit $rc)"
	check_contains "podman error (root)" "$out" \
		"ocigate: rejected by policy restricted: root-user: process runs as host root (uid 0) at /process/user/uid; fix: set securityContext.runAsNonRoot/runAsUser or USER in the image"
	check_lacks "podman error (root)" "$out" "uid=0"
else
	not_ok "embedded default: root container is refused" "$out"
fi

if prun out --privileged --user 1000 --rootfs "$R" id; then
	not_ok "embedded default: privileged container is refused" "$out"
else
	ok "embedded default: privileged container is refused"
	check_contains "podman error (privileged)" "$out" \
		"ocigate: rejected by policy restricted: privileged: container is privileged" \
		"fix: remove securityContext.privileged (podman: drop --privileged)"
fi

if [ -f "$W/ov/log-up/ocigate/audit.jsonl" ]; then
	ok "audit: written to /var/log/ocigate/audit.jsonl (inside the overlay)"
	check_contains "audit: decisions" "$(jq -r '.decision + ":" + .policy_source' "$AUDIT" | tr '\n' ' ')" \
		"rewrite:embedded" "reject:embedded"
else
	not_ok "audit: written to /var/log/ocigate/audit.jsonl" "$(ls -R "$W/ov/log-up" 2>&1)"
fi

# ---- 2. podman exec ---------------------------------------------------------------
if pman run -d --name svc --user 1000 --rootfs "$R" sleep 600 >/dev/null 2>"$W/err"; then
	ok "long-running compliant container starts (podman run -d)"
	init=$(pman exec svc cat /proc/1/status 2>&1) || true
	if out=$(pman exec svc cat /proc/self/status 2>&1); then
		check_hardened "podman exec" "$out" 1000
		[ "$(status_field "$out" CapBnd)" = "$(status_field "$init" CapBnd)" ] &&
			ok "podman exec: CapBnd equals the container's" ||
			not_ok "podman exec: CapBnd equals the container's" "$out" "$init"
	else
		not_ok "podman exec runs" "$out"
	fi
	if out=$(pman exec --user 0 svc id 2>&1); then
		not_ok "podman exec --user 0 is refused" "$out"
	else
		ok "podman exec --user 0 is refused"
		check_contains "podman exec --user 0 error" "$out" "rejected by policy restricted: root-user" "fix:"
		check_lacks "podman exec --user 0 error" "$out" "uid=0"
	fi
	# --privileged asks for every capability: refused, or clamped.
	if out=$(pman exec --privileged svc cat /proc/self/status 2>&1); then
		check_hardened "podman exec --privileged (clamped)" "$out" 1000
	else
		check_contains "podman exec --privileged refused" "$out" "rejected by policy"
	fi
	pman rm -f -t 0 svc >/dev/null 2>&1 || true
else
	not_ok "long-running compliant container starts (podman run -d)" "$(cat "$W/err")"
fi

# ---- 3. /etc/ocigate/policy.json, without any environment --------------------------
mkdir -p /etc/ocigate
gate_policy /etc/ocigate/policy.json <<EOF
{
  "rules": { "root-user": "rewrite" },
  "audit": { "path": "$W/audit-file-policy.jsonl", "syslog": false }
}
EOF
if prun out --rootfs "$R" id -u; then
	[ "$out" = 65534 ] && ok "policy from /etc/ocigate/policy.json (root-user: rewrite): root container runs as 65534" ||
		not_ok "policy from /etc/ocigate/policy.json: root container runs as 65534" "$out"
	[ "$(jq -r .policy_source "$W/audit-file-policy.jsonl" 2>/dev/null)" = /etc/ocigate/policy.json ] &&
		ok "audit: policy_source /etc/ocigate/policy.json" ||
		not_ok "audit: policy_source /etc/ocigate/policy.json" "$(cat "$W/audit-file-policy.jsonl" 2>&1)"
else
	not_ok "policy from /etc/ocigate/policy.json (root-user: rewrite): root container runs" "$out"
fi
[ -f "$W/ov/etc-up/ocigate/policy.json" ] && ok "the policy file lives in the overlay only" ||
	not_ok "the policy file lives in the overlay only"
rm -rf /etc/ocigate

# ---- 4. the audit log cannot be written ---------------------------------------------
# conmon hands podman only the first ~4 KiB of the runtime's stderr, and a
# rejection lists every finding (each capability it would have dropped
# too) before the audit failure: the rules that only rewrite are off here,
# so the message is two lines.  The audit path is the default one.
mkdir -p /etc/ocigate
gate_policy /etc/ocigate/policy.json <<EOF
{
  "rules": { "capabilities": "off", "no-new-privileges": "off", "readonly-rootfs": "off",
             "seccomp": "off", "masked-paths": "off", "root-group": "off" }
}
EOF
mount -o remount,ro /var/log
if prun out --user 1000 --rootfs "$R" true; then
	ok "audit log unwritable (/var/log read-only): compliant container still starts"
else
	not_ok "audit log unwritable: compliant container still starts" "$out"
fi
if prun out --rootfs "$R" id; then
	not_ok "audit log unwritable: root container is still refused" "$out"
else
	ok "audit log unwritable: root container is still refused"
	check_contains "podman error (root, audit log unwritable)" "$out" \
		"rejected by policy restricted: root-user" "cannot open the audit log \`/var/log/ocigate/audit.jsonl\`"
fi
mount -o remount,rw /var/log
rm -rf /etc/ocigate

# ---- 5. runtime_supports_json (packaging/podman/containers.conf) ------------------
json_line=$(grep -E '^runtime_supports_json *=' "$TOP/packaging/podman/containers.conf" 2>/dev/null || true)
if [ -n "$json_line" ]; then
	sed -i "/^\[engine\]\$/a $json_line" "$PODMAN_WORKDIR/containers.conf"
	if prun out --user 1000 --rootfs "$R" true; then
		ok "runtime_supports_json: compliant container runs (ocigate takes --log-format=json --log)"
	else
		not_ok "runtime_supports_json: compliant container runs" "$out"
	fi
	if prun out --rootfs "$R" id; then
		not_ok "runtime_supports_json: root container is refused" "$out"
	else
		ok "runtime_supports_json: root container is refused"
		check_contains "podman error read back from --log (root)" "$out" \
			"OCI runtime error: ocigate: ocigate: rejected by policy restricted: root-user: process runs as host root (uid 0) at /process/user/uid; fix:"
	fi
else
	e2e_log "packaging/podman/containers.conf has no runtime_supports_json line: not checked"
fi

podman_cleanup
after=$(host_state)
[ "$after" = "$_OCIGATE_E2E_PODMAN_HOST_BEFORE" ] &&
	ok "host's /etc/ocigate and /var/log/ocigate untouched" ||
	not_ok "host's /etc/ocigate and /var/log/ocigate untouched" "before: $_OCIGATE_E2E_PODMAN_HOST_BEFORE" "after: $after"
gate_done
