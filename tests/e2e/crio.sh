#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# CRI-O (1.26) with ocigate, driven through the CRI API as the kubelet
# drives it (tests/e2e/cri/cri.py; crictl is not packaged).  A private
# CRI-O (lib/crio.sh: own mount namespace, vfs, cgroupfs, conmon, loopback
# CNI) loads packaging/cri-o/10-ocigate.conf as shipped, with only its
# paths pointed at this test (runtime_path, runtime_root) and its
# monitor_env example enabled with this test's policy; crio's own
# environment names a second policy file whose runtime logs its verbs, so
# the audit logs and that log tell which calls got which environment
# (create and exec: monitor_env through conmon; state, start, kill,
# delete: crio's own).
#
# Phase 1: ocigate as the runtime handler "ocigate", drop_infra_ctr = true.
#  - compliant pod (run_as_user 1000): ExecSync of /proc/self/status shows
#    CapEff/CapBnd at most NET_BIND_SERVICE, NoNewPrivs 1, Seccomp 2, Uid
#    1000; writing to / fails; the container's pid 1 likewise;
#  - ExecSync: CRI-O builds the exec process from its own copy of the spec
#    (more capabilities, no no_new_privs); ocigate clamps it to the
#    container (CapBnd equal to pid 1's), audited as exec;
#  - root, privileged, hostNetwork and hostPath-to-/etc containers are
#    refused in CreateContainer with the rule id and "fix:";
#  - a pod sharing its pid namespace keeps an infra container even with
#    drop_infra_ctr = true: it starts, its pause process (pid 1 of the pod)
#    runs as 65534, hardened;
#  - kube-system exemption (host-namespaces, host-mounts: warn) applied to
#    a hostNetwork container of a kube-system pod; a pod in default whose
#    annotations claim kube-system (io.kubernetes.cri-o.Namespace, ...)
#    stays refused;
#  - audit records name engine cri-o with namespace, pod, container, and
#    come from the handler's monitor_env policy.
# Phase 2: CRI-O restarted with default_runtime = "ocigate" (the drop-in's
# own variant) and drop_infra_ctr = false; pods name no handler:
#  - the infra container (uid 0 as CRI-O writes it) is moved to 65534 and
#    the pod runs; a compliant container runs hardened; a root one is
#    refused; an application container claiming to be the sandbox through
#    pod and container annotations (ContainerType sandbox, name POD) stays
#    refused as root.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
TOP=$(cd "$TOP" && pwd)
export top_srcdir=$TOP
. "$HERE/lib/crio.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd conmon runc catatonit jq skopeo flock "$E2E_PYTHON"
"$E2E_PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null || {
	e2e_log "SKIP: $E2E_PYTHON lacks grpc/protobuf (apt install python3-grpcio python3-protobuf)"
	exit 77
}
gate_init

gate_check_clean W
tmpdir W ocigate-crio

# ---- policies -------------------------------------------------------------------
# The runtime behind the gate is lib/crio.sh's shim (oomScoreAdj, see there).
# kube-system may use the host's namespaces; CRI-O bind-mounts the host's
# /etc/hosts into a hostNetwork container, so host-mounts is relaxed there too.
AUDIT=$W/audit.jsonl
AUDIT_DIRECT=$W/audit-direct.jsonl
crio_setup "$W/crio"
# crio's own environment names policy-direct.json, whose runtime logs the
# verb it is given before running the shim: which calls inherit crio's
# environment shows in direct.log.
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' "$W/direct.log" "$CRIO_SHIM" >"$W/direct-runtime"
chmod 0755 "$W/direct-runtime"
for f in policy:"$AUDIT":"$CRIO_SHIM" policy-direct:"$AUDIT_DIRECT":"$W/direct-runtime"; do
	IFS=: read -r name log rt <<<"$f"
	gate_policy "$W/$name.json" <<EOF
{
  "runtime": "$rt",
  "audit": { "path": "$log", "syslog": false },
  "exemptions": [
    { "namespaces": ["kube-system"], "rules": { "host-namespaces": "warn", "host-mounts": "warn" } }
  ]
}
EOF
done
POLICY=$W/policy.json
export CRIO_ENV="OCIGATE_POLICY=$W/policy-direct.json"

# ---- the drop-in, as shipped -----------------------------------------------------
DROPIN=$TOP/packaging/cri-o/10-ocigate.conf
OROOT=$W/crio/ocigate-root
# runtime_path and runtime_root point here; the monitor_env example is
# enabled (uncommented) with this test's policy.
sed -e "s|^runtime_path = .*|runtime_path = \"$OCIGATE\"|" \
	-e "s|^runtime_root = .*|runtime_root = \"$OROOT\"|" \
	-e '/^# monitor_env = \[/,/^# \]/s/^# //' \
	-e "s|\"OCIGATE_POLICY=/etc/ocigate/policy.json\"|\"OCIGATE_POLICY=$POLICY\"|" \
	"$DROPIN" >"$W/10-ocigate.conf"
grep -q "^runtime_path = \"$OCIGATE\"" "$W/10-ocigate.conf" &&
	grep -q "^  \"OCIGATE_POLICY=$POLICY\"," "$W/10-ocigate.conf" ||
	e2e_die "cannot point $DROPIN at this test (runtime_path, monitor_env example)"
# The default_runtime variant: its commented [crio.runtime] lines enabled.
mkdir -p "$W/default"
sed -e '/^# \[crio.runtime\]$/,/^# default_runtime = /s/^# //' "$W/10-ocigate.conf" >"$W/default/10-ocigate.conf"
grep -q '^default_runtime = "ocigate"' "$W/default/10-ocigate.conf" ||
	e2e_die "no default_runtime variant in $DROPIN"

image_build_busybox "$W/busybox.tar" localhost/busybox:test
image_build_pause "$W/pause.tar" localhost/pause:test
crio_import "$W/busybox.tar" localhost/busybox:test
crio_import "$W/pause.tar" localhost/pause:test

# ---- helpers ----------------------------------------------------------------------
HANDLER=ocigate
n=0
# runp OUTVAR NAME [pod filter] -> rc; pod id (or the error) in OUTVAR;
# the config is kept as $W/pod-NAME.json.  Sent as it is (cri.py's runp
# would fill in a pid namespace per container, and POD is proto's zero).
runp() {
	local __v=$1 __o __rc=0
	n=$((n + 1))
	crio_pod "$2" "$(printf '%08d-0000-4000-8000-%012d' $n $n)" "${3:-.}" >"$W/pod-$2.json"
	jq --arg h "$HANDLER" '{config: ., runtime_handler: $h}' "$W/pod-$2.json" >"$W/runp-$2.json"
	__o=$(crio_cri call RunPodSandbox "$W/runp-$2.json") || __rc=$?
	[ $__rc = 0 ] && __o=$(jq -r .pod_sandbox_id <<<"$__o")
	printf -v "$__v" '%s' "$__o"
	return $__rc
}
# create OUTVAR POD POD-NAME NAME [ctr filter] -> rc; id (or the error) in OUTVAR
create() {
	local __v=$1 pod=$2 pname=$3 name=$4 f=${5:-.} __o __rc=0 ns uid
	ns=$(jq -r .metadata.namespace "$W/pod-$pname.json")
	uid=$(jq -r .metadata.uid "$W/pod-$pname.json")
	CRIO_CTR_NS=$ns crio_ctr "$name" "$pname" "$uid" "$f" |
		jq --slurpfile p "$W/pod-$pname.json" \
			'.linux.security_context.namespace_options = $p[0].linux.security_context.namespace_options' \
			>"$W/ctr-$pname-$name.json"
	__o=$(crio_cri create "$pod" "$W/ctr-$pname-$name.json" --pod "$W/pod-$pname.json") || __rc=$?
	[ $__rc = 0 ] && __o=$(jq -r .container_id <<<"$__o")
	printf -v "$__v" '%s' "$__o"
	return $__rc
}
xsync() { # xsync OUTVAR CID CMD...: ExecSync; stdout+stderr in OUTVAR, exit code in EXEC_RC
	local __v=$1 __r
	if __r=$(crio_cri exec "$2" --timeout 20 -- "${@:3}"); then
		EXEC_RC=$(jq -r .exit_code <<<"$__r")
		__r=$(jq -j '.stdout, .stderr' <<<"$__r")
	else
		EXEC_RC=255
	fi
	printf -v "$__v" '%s' "$__r"
}
audit_last() { # audit_last FILE JQ-SELECT -> last matching record
	{ jq -c "select($2)" "$1" 2>/dev/null || true; } | tail -n1
}
# refused WHAT POD POD-NAME NAME FILTER NEEDLE...: CreateContainer (or
# StartContainer) fails with ocigate's message, rule id and fix
refused() {
	local what=$1 pod=$2 pname=$3 name=$4 f=$5 id out
	shift 5
	if create id "$pod" "$pname" "$name" "$f"; then
		if crio_cri start "$id" >"$W/start.out" 2>&1; then
			not_ok "$what: refused" "container $id started"
			return 0
		fi
		out=$(cat "$W/start.out")
		ok "$what: StartContainer fails"
	else
		out=$id
		ok "$what: CreateContainer fails"
	fi
	check_contains "$what: error" "$out" "ocigate: rejected by policy restricted:" "$@" "fix:"
}
running() { # running WHAT CID
	local st
	st=$(crio_cri status "$2" | jq -r .state) || true
	[ "$st" = CONTAINER_RUNNING ] && ok "$1: CONTAINER_RUNNING" || not_ok "$1: CONTAINER_RUNNING" "$st"
}
status='' init='' out='' pause='' netns='' # set through xsync (printf -v)

# ================================================================================
# Phase 1: handler "ocigate", drop_infra_ctr = true
crio_start "$W/10-ocigate.conf"

# ---- the handler is loaded -------------------------------------------------------
if runp POD web; then
	ok "RunPodSandbox web (runtime_handler ocigate)"
else
	not_ok "RunPodSandbox web (runtime_handler ocigate)" "$POD" "$(tail -n 20 "$CRIO_LOG")"
	gate_done
fi

# ---- compliant pod -----------------------------------------------------------------
if create APP "$POD" web app '.linux.security_context.run_as_user = {value: 1000}' &&
	crio_cri start "$APP" >/dev/null 2>"$W/err"; then
	ok "compliant container (run_as_user 1000) starts"
else
	not_ok "compliant container (run_as_user 1000) starts" "$APP" "$(cat "$W/err")"
fi
running "app" "$APP"
h=$(crio_cri inspectp "$POD" --verbose | jq -r '.info.info.runtimeSpec.annotations["io.kubernetes.cri-o.RuntimeHandler"] // empty') || true
[ "$h" = ocigate ] && ok "pod web runs under CRI-O's runtime handler ocigate" || not_ok "pod web runs under CRI-O's runtime handler ocigate" "$h"
xsync status "$APP" cat /proc/self/status
[ "$EXEC_RC" = 0 ] && ok "ExecSync cat /proc/self/status" || not_ok "ExecSync cat /proc/self/status" "$status"
check_hardened "ExecSync process" "$status" 1000
xsync init "$APP" cat /proc/1/status
check_hardened "container process (pid 1)" "$init" 1000
xsync out "$APP" touch /ocigate-probe
[ "$EXEC_RC" != 0 ] && ok "writing to / fails" || not_ok "writing to / fails" "$out"
check_contains "writing to /" "$out" "Read-only file system"

# ExecSync: what CRI-O asked for vs what the exec got.
spec=$(crio_cri status "$APP" --verbose | jq -c '.info.info.runtimeSpec // empty') || true
ncaps=$(jq '.process.capabilities.bounding | length' <<<"$spec" 2>/dev/null) || ncaps=0
[ "${ncaps:-0}" -gt 1 ] && [ "$(jq -r '.process.noNewPrivileges // false' <<<"$spec")" = false ] &&
	ok "CRI-O's own spec for app (the exec template) holds $ncaps capabilities and no no_new_privs" ||
	not_ok "CRI-O's own spec for app holds more than the container got" "$spec"
[ "$(status_field "$status" CapBnd)" = "$(status_field "$init" CapBnd)" ] &&
	ok "ExecSync process clamped to the container: CapBnd $(status_field "$status" CapBnd)" ||
	not_ok "ExecSync process clamped to the container" "$status"
a=$(audit_last "$AUDIT" ".command == \"exec\" and .container_id == \"$APP\"")
check_contains "audit: ExecSync vetted (conmon passed monitor_env)" \
	"$(jq -r '.decision + " " + (.rules | join(","))' <<<"$a" 2>/dev/null)" rewrite capabilities no-new-privileges

a=$(audit_last "$AUDIT" ".command == \"create\" and .container_id == \"$APP\"")
[ "$(jq -r '.decision + " " + .engine + " " + .container_type' <<<"$a" 2>/dev/null)" = "rewrite cri-o container" ] &&
	ok "audit: app created through the handler's monitor_env policy, engine cri-o, rewritten" ||
	not_ok "audit: app created, engine cri-o, rewritten" "$a"
[ "$(jq -r '[.namespace, .pod, .container] | join("/")' <<<"$a" 2>/dev/null)" = default/web/app ] &&
	ok "audit: app's record names namespace/pod/container default/web/app" ||
	not_ok "audit: app's record names namespace/pod/container default/web/app" "$a"
# ---- refusals ------------------------------------------------------------------------
refused "root container" "$POD" web rootapp . "root-user: process runs as host root (uid 0)"
running "app (after its pod's root container was refused)" "$APP"
refused "hostPath /etc container" "$POD" web etc \
	'.linux.security_context.run_as_user = {value: 1000}
	 | .mounts = [{container_path: "/host-etc", host_path: "/etc", readonly: true}]' "host-mounts:"

if runp PPOD priv '.linux.security_context.privileged = true'; then
	ok "RunPodSandbox priv (privileged pod, no infra container)"
	refused "privileged container" "$PPOD" priv app \
		'.linux.security_context += {run_as_user: {value: 1000}, privileged: true}' \
		"privileged: container is privileged"
else
	not_ok "RunPodSandbox priv" "$PPOD"
fi

HOSTNET='.linux.security_context.namespace_options.network = "NODE"'
if runp HPOD hostnet "$HOSTNET"; then
	ok "RunPodSandbox hostnet in default (no infra container: nothing to judge yet)"
	refused "hostNetwork container in default" "$HPOD" hostnet agent \
		'.linux.security_context.run_as_user = {value: 1000}' "host-namespaces:"
else
	not_ok "RunPodSandbox hostnet in default" "$HPOD"
fi

# ---- kube-system exemption, and a pod that spoofs it --------------------------------
if runp SPOD sysnet "$HOSTNET | .metadata.namespace = \"kube-system\""; then
	if create SYS "$SPOD" sysnet agent '.linux.security_context.run_as_user = {value: 1000}' &&
		crio_cri start "$SYS" >/dev/null 2>"$W/err"; then
		ok "kube-system hostNetwork container starts (exemption: host-namespaces, host-mounts warn)"
		xsync netns "$SYS" readlink /proc/self/ns/net
		[ "$netns" = "$(readlink /proc/self/ns/net)" ] &&
			ok "kube-system container is in the host's network namespace" ||
			not_ok "kube-system container is in the host's network namespace" "$netns"
		xsync out "$SYS" cat /proc/self/status
		check_hardened "kube-system container (all other rules still apply)" "$out" 1000
	else
		not_ok "kube-system hostNetwork container starts (exemption)" "$SYS" "$(cat "$W/err")"
	fi
	a=$(audit_last "$AUDIT" '.command == "create" and .container == "agent" and .namespace == "kube-system"')
	check_contains "audit: kube-system/sysnet/agent exempted" \
		"$(jq -r '"\(.engine) \(.namespace)/\(.pod)/\(.container) exemption=\(.exemption) " + ([.findings[] | "\(.rule)=\(.action)"] | unique | join(","))' <<<"$a" 2>/dev/null)" \
		"cri-o kube-system/sysnet/agent exemption=0" "host-namespaces=warn"
else
	not_ok "RunPodSandbox sysnet in kube-system" "$SPOD"
fi
SPOOF='.annotations += {"io.kubernetes.cri-o.Namespace": "kube-system",
	"io.kubernetes.cri-o.KubeName": "kube-proxy", "io.kubernetes.pod.namespace": "kube-system",
	"io.kubernetes.cri-o.Labels": "{\"io.kubernetes.pod.namespace\":\"kube-system\"}"}'
if runp FPOD spoof "$HOSTNET | $SPOOF"; then
	refused "hostNetwork container of a pod in default claiming kube-system through annotations" \
		"$FPOD" spoof agent '.linux.security_context.run_as_user = {value: 1000}' "host-namespaces:"
else
	not_ok "RunPodSandbox spoof" "$FPOD"
fi
# ---- a shared pid namespace keeps an infra container ----------------------------------
SHAREPID='.linux.security_context.namespace_options.pid = "POD"'
if runp IPOD shared "$SHAREPID"; then
	ok "RunPodSandbox shared (shared pid namespace: infra container, uid 0 as CRI-O asks)"
	a=$(audit_last "$AUDIT" '.command == "create" and .container_type == "sandbox" and .pod == "shared"')
	check_contains "audit: shared's infra container" \
		"$(jq -r '"\(.engine) \(.namespace)/\(.pod) \(.decision) " + ([.findings[] | "\(.rule)=\(.action)"] | unique | join(","))' <<<"$a" 2>/dev/null)" \
		"cri-o default/shared rewrite" "root-user=rewrite"
	if create IAPP "$IPOD" shared app '.linux.security_context.run_as_user = {value: 1000}' &&
		crio_cri start "$IAPP" >/dev/null 2>"$W/err"; then
		xsync pause "$IAPP" cat /proc/1/status
		check_contains "pid 1 of the pod is the pause process" "$pause" "catatonit"
		check_hardened "pause process (uid 0 moved to the rewrite uid)" "$pause" 65534
	else
		not_ok "shared: compliant container starts" "$IAPP" "$(cat "$W/err")"
	fi
else
	not_ok "RunPodSandbox shared (infra container)" "$IPOD" "$(tail -n 5 "$CRIO_LOG")"
fi

crio_cri cleanup >"$W/cleanup1.json" 2>&1 || true
[ "$(jq '.errors | length' "$W/cleanup1.json" 2>/dev/null)" = 0 ] &&
	ok "phase 1: every container and pod stopped and removed" ||
	not_ok "phase 1: every container and pod stopped and removed" "$(cat "$W/cleanup1.json")"
crio_stop

# ================================================================================
# Phase 2: default_runtime = "ocigate", drop_infra_ctr = false, no handler named
HANDLER=
CRIO_DROP_INFRA=false crio_start "$W/default/10-ocigate.conf"
before=$(grep -c '"command":"create"' "$AUDIT" || true)
if runp DPOD dweb; then
	ok "RunPodSandbox dweb with no handler (default_runtime ocigate, infra container)"
	a=$(audit_last "$AUDIT" '.command == "create" and .container_type == "sandbox" and .pod == "dweb"')
	check_contains "audit: dweb's infra container went through ocigate" \
		"$(jq -r '"\(.engine) \(.namespace)/\(.pod) \(.decision) " + ([.findings[] | "\(.rule)=\(.action)"] | unique | join(","))' <<<"$a" 2>/dev/null)" \
		"cri-o default/dweb rewrite" "root-user=rewrite"
	if create DAPP "$DPOD" dweb app '.linux.security_context.run_as_user = {value: 1000}' &&
		crio_cri start "$DAPP" >/dev/null 2>"$W/err"; then
		ok "default runtime: compliant container starts"
		xsync status "$DAPP" cat /proc/self/status
		check_hardened "default runtime: ExecSync process" "$status" 1000
	else
		not_ok "default runtime: compliant container starts" "$DAPP" "$(cat "$W/err")"
	fi
	refused "default runtime: root container" "$DPOD" dweb rootapp . "root-user: process runs as host root (uid 0)"
else
	not_ok "RunPodSandbox dweb with no handler (default_runtime ocigate, infra container)" "$DPOD" \
		"$(tail -n 5 "$CRIO_LOG")"
fi
after=$(grep -c '"command":"create"' "$AUDIT" || true)
[ "$after" -gt "$before" ] && ok "default runtime: creates audited ($((after - before)))" ||
	not_ok "default runtime: creates audited"

# An application container claiming to be the pod's sandbox: pod annotations
# and the container's own annotations and labels say so; it runs as root.
CLAIM='.annotations += {"io.kubernetes.cri-o.ContainerType": "sandbox", "io.kubernetes.container.name": "POD"}'
if runp CPOD claim "$CLAIM"; then
	ok "RunPodSandbox claim (pod annotations claim ContainerType sandbox, name POD)"
	refused "root container claiming to be the sandbox" "$CPOD" claim app \
		"$CLAIM | .labels[\"io.kubernetes.container.name\"] = \"POD\"" \
		"root-user: process runs as host root (uid 0)"
else
	not_ok "RunPodSandbox claim" "$CPOD" "$(tail -n 5 "$CRIO_LOG")"
fi

crio_cri cleanup >"$W/cleanup2.json" 2>&1 || true
[ "$(jq '.errors | length' "$W/cleanup2.json" 2>/dev/null)" = 0 ] &&
	ok "phase 2: every container and pod stopped and removed" ||
	not_ok "phase 2: every container and pod stopped and removed" "$(cat "$W/cleanup2.json")"
left=$(crio_cri ps | jq length)$(crio_cri pods | jq length) || true
[ "$left" = 00 ] && ok "no container or pod listed after removal" || not_ok "nothing listed after removal" "$left"

crio_teardown
left=$(find /var/lib/cni/results -maxdepth 1 -name "$CRIO_NETWORK-*" 2>/dev/null | wc -l) || true
[ "${left:-0}" = 0 ] && ok "no CNI result of network $CRIO_NETWORK in the host's /var/lib/cni/results" ||
	not_ok "no CNI result of network $CRIO_NETWORK in the host's /var/lib/cni/results" "$left"
[ ! -e "$AUDIT_DIRECT" ] || ! grep -q '"command":"\(create\|exec\)"' "$AUDIT_DIRECT" &&
	ok "create and exec were judged with the handler's monitor_env policy, never crio's own" ||
	not_ok "create and exec were judged with the handler's monitor_env policy" "$(head -c 2000 "$AUDIT_DIRECT")"
verbs=$(awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^-/ && $(i-1) !~ /^--(root|log|log-format)$/) { print $i; break } }' \
	"$W/direct.log" 2>/dev/null | sort -u | tr '\n' ' ') || true
check_contains "crio's direct calls (crio's own environment) reached the runtime" "$verbs" "start " "state " "delete "
check_lacks "crio's direct calls (crio's own environment)" " $verbs" " create " " exec "
gate_done
