#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The RuntimeClass path: containerd's CRI plugin with a runtime handler
# "ocigate" (runtime_type io.containerd.runc.v2, options.BinaryName =
# ocigate), driven through the CRI API the way kubelet drives it for a pod
# with `runtimeClassName: ocigate` (RunPodSandbox with runtime_handler,
# CreateContainer, StartContainer, ExecSync, ContainerStatus, Stop/Remove).
# crictl is not packaged in Debian: tests/e2e/cri/cri.py is the client.
#
# The handler table is packaging/containerd/ocigate.toml as shipped (the
# lines below its `version`, appended to the node's config as its header
# says), with BinaryName pointed at the binary under test.  A private
# containerd (lib/containerd.sh: stock paths in a private mount namespace)
# passes OCIGATE_POLICY through the shim to ocigate.
#
# Checks:
#  - the handler loads (CRI status shows runtimes.ocigate with BinaryName);
#  - a compliant pod (run_as_user 1000) runs hardened: ExecSync of
#    /proc/self/status shows no capability beyond NET_BIND_SERVICE,
#    NoNewPrivs 1, Seccomp 2; writing to / fails; config.json in the bundle
#    carries the ocigate.rewrites annotation; sandbox and container are
#    audited with their Kubernetes namespace, pod and container name;
#  - ExecSync: CRI cannot ask for a user, capabilities or privileges (the
#    request has only container id, command and timeout), but containerd
#    builds the exec process from its own spec, which still holds what the
#    pod asked for.  That spec is shown to hold more (CRI's default
#    capabilities, no no_new_privs, uid 0 for a container ocigate moved to
#    65534), and the exec process is shown clamped to the container;
#  - a container asking for root, in the same pod, ends CONTAINER_EXITED,
#    exit 128, reason StartError, with ocigate's rule id and "fix:" in the
#    message; the pod's other container keeps running;
#  - a privileged pod's container (run_as_user 1000) likewise, rule
#    privileged;
#  - a hostNetwork pod in namespace default: RunPodSandbox fails with
#    host-namespaces; the same pod in kube-system, exempted by the policy,
#    runs in the host's network namespace;
#  - Stop/Remove of containers and pods succeed and leave nothing listed.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
. "$HERE/lib/containerd.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd containerd ctr containerd-shim-runc-v2 runc catatonit jq flock "$E2E_PYTHON"
"$E2E_PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null || {
	e2e_log "SKIP: $E2E_PYTHON lacks grpc/protobuf (apt install python3-grpcio python3-protobuf)"
	exit 77
}
gate_init
RUNC_BIN=$(command -v runc)

gate_check_clean W
tmpdir W ocigate-cri

# ---- policy -------------------------------------------------------------------
# kube-system may use the host's namespaces (findings logged as warnings);
# namespace "legacy" gets its root containers moved to 65534 instead of
# refused, which makes ExecSync ask for more than the container has.
POLICY=$W/policy.json
AUDIT=$W/audit.jsonl
gate_policy "$POLICY" <<EOF
{
  "runtime": "$RUNC_BIN",
  "audit": { "path": "$AUDIT", "syslog": false },
  "exemptions": [
    { "namespaces": ["kube-system"], "rules": { "host-namespaces": "warn" } },
    { "namespaces": ["legacy"], "rules": { "root-user": "rewrite" } }
  ]
}
EOF
export OCIGATE_POLICY=$POLICY

# ---- containerd with the ocigate handler ------------------------------------
SNIPPET=$TOP/packaging/containerd/ocigate.toml
if [ -f "$SNIPPET" ]; then
	# As its header says: everything below the version line, appended to
	# the node's config.toml.  The harness' own handler gets another name.
	sed -e '/^version *=/d' -e "s|^\([[:space:]]*BinaryName[[:space:]]*=[[:space:]]*\).*|\1\"$OCIGATE\"|" \
		"$SNIPPET" >"$W/handler.toml"
	grep -q "BinaryName = \"$OCIGATE\"" "$W/handler.toml" ||
		e2e_die "no BinaryName line to point at the binary in $SNIPPET"
	e2e_log "handler config: $SNIPPET"
	CONTAINERD_HANDLER=e2e-runc CONTAINERD_HANDLER_BINARY=$RUNC_BIN \
		containerd_start "$W/containerd" "$W/handler.toml"
else
	e2e_log "handler config: lib/containerd.sh's own ($SNIPPET does not exist)"
	CONTAINERD_HANDLER=ocigate CONTAINERD_HANDLER_BINARY=$OCIGATE containerd_start "$W/containerd"
fi

# cri.py reads the CRI schema out of the containerd binary: once, not per call.
"$E2E_PYTHON" "$HERE/cri/cri.py" dump-descriptor "$W/cri.desc" >/dev/null
cri() { "$E2E_PYTHON" "$HERE/cri/cri.py" --socket "$CONTAINERD_SOCK" --descriptor "$W/cri.desc" "$@"; }

image_build_busybox "$W/busybox.tar" localhost/busybox:test
image_build_pause "$W/pause.tar" localhost/pause:test
containerd_import "$W/busybox.tar" k8s.io
containerd_import "$W/pause.tar" k8s.io

handler=$(cri info | jq -c '.info.config.containerd.runtimes.ocigate // empty') || true
if [ "$(jq -r '.runtimeType + " " + .options.BinaryName' <<<"$handler")" = "io.containerd.runc.v2 $OCIGATE" ]; then
	ok "containerd loaded the ocigate runtime handler (runc v2 shim, BinaryName = ocigate)"
else
	not_ok "containerd loaded the ocigate runtime handler" "$handler" "$(tail -n 20 "$CONTAINERD_LOG")"
	gate_done
fi

# ---- helpers ------------------------------------------------------------------
status='' init='' netns='' out='' # set through xsync (printf -v)
# runp OUTVAR ARGS... -> rc; pod id (or the error document) in OUTVAR
runp() {
	local __v=$1 __o __rc=0
	shift
	__o=$(cri runp --handler ocigate "$@") || __rc=$?
	[ $__rc = 0 ] && __o=$(jq -r .pod_id <<<"$__o")
	printf -v "$__v" '%s' "$__o"
	return $__rc
}
create() { # create POD ARGS... -> container id (nothing, and the error on stderr, if it fails)
	local o
	if o=$(cri create "$@"); then
		jq -r '.container_id // empty' <<<"$o"
	else
		printf 'e2e: CreateContainer failed: %s\n' "$o" >&2
	fi
}
xsync() { # xsync OUTVAR CID CMD...: ExecSync; stdout+stderr in OUTVAR, exit code in EXEC_RC
	local __v=$1 __r
	if __r=$(cri exec "$2" --timeout 20 -- "${@:3}"); then
		EXEC_RC=$(jq -r .exit_code <<<"$__r")
		__r=$(jq -j '.stdout, .stderr' <<<"$__r")
	else
		EXEC_RC=255
	fi
	printf -v "$__v" '%s' "$__r"
}
audit_ctr() { # audit_ctr NAMESPACE POD CONTAINER-NAME|"" COMMAND -> last matching line
	{ jq -c --arg ns "$1" --arg pod "$2" --arg c "$3" --arg cmd "$4" \
		'select(.namespace == $ns and .pod == $pod and .command == $cmd
			and (if $c == "" then .container_type == "sandbox" else .container == $c end))' \
		"$AUDIT" 2>/dev/null || true; } | tail -n1
}
# check_start_error WHAT CID NEEDLE...: StartContainer fails, status tells why
check_start_error() {
	local what=$1 cid=$2 st
	shift 2
	if cri start "$cid" >"$W/start.out" 2>&1; then
		not_ok "$what: StartContainer fails"
		return
	fi
	ok "$what: StartContainer fails"
	check_contains "$what: StartContainer error" "$(cat "$W/start.out")" "ocigate: rejected by policy" "$@"
	st=$(cri status "$cid") || true
	[ "$(jq -r '.state + " " + (.exit_code|tostring) + " " + .reason' <<<"$st")" = "CONTAINER_EXITED 128 StartError" ] &&
		ok "$what: ContainerStatus CONTAINER_EXITED, exit 128, reason StartError" ||
		not_ok "$what: ContainerStatus CONTAINER_EXITED, exit 128, reason StartError" "$st"
	check_contains "$what: ContainerStatus message" "$(jq -r .message <<<"$st")" \
		"failed to create containerd task: failed to create shim task: OCI runtime create failed: ocigate: rejected by policy restricted: $1" \
		"fix:"
	printf '%s\n' "$(jq -r .message <<<"$st")" >"$W/message-$cid.txt"
}
spec_of() { # containerd's own OCI spec of a container (what exec is built from)
	{ cctr -n k8s.io containers info "$1" 2>/dev/null || true; } | jq -c .Spec
}

# ---- 1. compliant pod ---------------------------------------------------------
if runp POD --name web --uid 11111111-1111-4111-8111-111111111111; then
	ok "RunPodSandbox web (runtime_handler ocigate)"
else
	not_ok "RunPodSandbox web (runtime_handler ocigate)" "$POD"
	gate_done
fi
a=$(audit_ctr default web "" create) || true
[ "$(jq -r .decision <<<"$a")" = rewrite ] && ok "audit: sandbox of default/web rewritten (pause hardened)" ||
	not_ok "audit: sandbox of default/web rewritten" "$a"

APP=$(create "$POD" --name app --image localhost/busybox:test --user 1000 -- sleep 600) || true
[ -n "$APP" ] && cri start "$APP" >/dev/null 2>"$W/err" && ok "compliant container (run_as_user 1000) starts" ||
	not_ok "compliant container (run_as_user 1000) starts" "$(cat "$W/err")"
st=$(cri status "$APP" | jq -r .state) || true
[ "$st" = CONTAINER_RUNNING ] && ok "ContainerStatus app: CONTAINER_RUNNING" ||
	not_ok "ContainerStatus app: CONTAINER_RUNNING" "$st"

xsync status "$APP" cat /proc/self/status
[ "$EXEC_RC" = 0 ] && ok "ExecSync cat /proc/self/status" || not_ok "ExecSync cat /proc/self/status" "$status"
check_hardened "ExecSync process" "$status" 1000
xsync init "$APP" cat /proc/1/status
check_hardened "container process (pid 1)" "$init" 1000
xsync out "$APP" touch /ocigate-probe
[ "$EXEC_RC" != 0 ] && ok "writing to / fails" || not_ok "writing to / fails" "$out"
check_contains "writing to /" "$out" "Read-only file system"

# What containerd asked for vs what the exec got.
spec=$(spec_of "$APP") || true
ncaps=$(jq '.process.capabilities.bounding | length' <<<"$spec") || true
[ "$ncaps" -gt 1 ] && [ "$(jq -r '.process.noNewPrivileges // false' <<<"$spec")" = false ] &&
	ok "containerd's own spec for app (the exec template) holds $ncaps capabilities and no no_new_privs" ||
	not_ok "containerd's own spec for app holds more than the container got" "$spec"
[ "$(status_field "$status" CapBnd)" = "$(status_field "$init" CapBnd)" ] &&
	ok "ExecSync process clamped to the container: CapBnd $(status_field "$status" CapBnd)" ||
	not_ok "ExecSync process clamped to the container" "$status"
a=$(audit_ctr default web app exec) || true
check_contains "audit: ExecSync vetted" "$(jq -r '.decision + " " + (.rules | join(","))' <<<"$a")" \
	rewrite capabilities no-new-privileges

bundle=$W/containerd/state/io.containerd.runtime.v2.task/k8s.io/$APP
rw=$(jq -r '.annotations["ocigate.rewrites"] // empty' "$bundle/config.json" 2>/dev/null) || true
check_contains "config.json annotation ocigate.rewrites" "$rw" capabilities no-new-privileges readonly-rootfs seccomp
a=$(audit_ctr default web app create) || true
[ "$(jq -r '.decision + " " + .container_type + " " + .image' <<<"$a")" = "rewrite container localhost/busybox:test" ] &&
	ok "audit: default/web/app rewritten, image localhost/busybox:test" ||
	not_ok "audit: default/web/app rewritten" "$a"

# ---- 2. root container in the same pod ----------------------------------------
ROOT=$(create "$POD" --name rootapp --image localhost/busybox:test -- sleep 600) || true
check_start_error "root container" "$ROOT" "root-user: process runs as host root (uid 0)" \
	"fix: set securityContext.runAsNonRoot/runAsUser or USER in the image"
[ "$(cri status "$APP" | jq -r .state)" = CONTAINER_RUNNING ] &&
	ok "the pod's compliant container keeps running" || not_ok "the pod's compliant container keeps running"

# ---- 3. Stop/Remove as kubelet does --------------------------------------------
for step in "stop $APP" "rm $APP" "rm $ROOT" "stopp $POD" "rmp $POD"; do
	# shellcheck disable=SC2086
	if out=$(cri $step 2>&1); then ok "CRI ${step%% *}"; else not_ok "CRI ${step%% *}" "$out"; fi
done
left=$(cri ps | jq length)$(cri pods | jq length) || true
[ "$left" = 00 ] && ok "no container or pod listed after removal" || not_ok "nothing listed after removal" "$(cri ps)" "$(cri pods)"

# ---- 4. privileged -------------------------------------------------------------
if runp PPOD --name priv --privileged; then
	ok "RunPodSandbox priv (privileged pod: its pause container is hardened, not refused)"
	PRIV=$(create "$PPOD" --name app --image localhost/busybox:test --user 1000 --privileged -- sleep 600) || true
	check_start_error "privileged container" "$PRIV" \
		"privileged: container is privileged" "fix: remove securityContext.privileged"
else
	not_ok "RunPodSandbox priv" "$PPOD"
fi

# ---- 5. hostNetwork: refused in default, exempted in kube-system ---------------
if runp HPOD --name hostnet --host-network; then
	not_ok "hostNetwork pod in default: RunPodSandbox fails" "$HPOD"
else
	ok "hostNetwork pod in default: RunPodSandbox fails"
	check_contains "hostNetwork pod in default: RunPodSandbox error" "$HPOD" \
		"OCI runtime create failed: ocigate: rejected by policy restricted: host-namespaces:" "fix:"
fi
if runp SPOD --name hostnet --namespace kube-system --host-network; then
	ok "hostNetwork pod in kube-system (exempted): RunPodSandbox"
	SYS=$(create "$SPOD" --name agent --image localhost/busybox:test --user 1000 -- sleep 600) || true
	if [ -n "$SYS" ] && cri start "$SYS" >/dev/null 2>"$W/err"; then
		ok "hostNetwork pod in kube-system: container starts"
		xsync netns "$SYS" readlink /proc/self/ns/net
		[ "$netns" = "$(readlink /proc/self/ns/net)" ] &&
			ok "kube-system container is in the host's network namespace ($netns)" ||
			not_ok "kube-system container is in the host's network namespace" "$netns"
		xsync out "$SYS" cat /proc/self/status
		check_hardened "kube-system container (all other rules still apply)" "$out" 1000
	else
		not_ok "hostNetwork pod in kube-system: container starts" "$(cat "$W/err")"
	fi
	a=$(audit_ctr kube-system hostnet agent create) || true
	check_contains "audit: kube-system/hostnet/agent" \
		"$(jq -r '"exemption=\(.exemption) " + ([.findings[] | "\(.rule)=\(.action)"] | unique | join(","))' <<<"$a")" \
		"exemption=0" "host-namespaces=warn"
else
	not_ok "hostNetwork pod in kube-system (exempted): RunPodSandbox" "$SPOD"
fi

# ---- 6. ExecSync asking for root in a container that does not run as root ------
if runp LPOD --name old --namespace legacy; then
	LEG=$(create "$LPOD" --name app --image localhost/busybox:test -- sleep 600) || true
	if [ -n "$LEG" ] && cri start "$LEG" >/dev/null 2>"$W/err"; then
		ok "legacy: root container starts, moved to uid 65534 (root-user: rewrite)"
		[ "$(jq -r .process.user.uid <<<"$(spec_of "$LEG")")" = 0 ] &&
			ok "legacy: containerd's own spec (the exec template) says uid 0" ||
			not_ok "legacy: containerd's own spec says uid 0" "$(spec_of "$LEG")"
		xsync out "$LEG" id -u
		[ "$out" = 65534 ] &&
			ok "legacy: ExecSync runs as 65534, not as the uid 0 containerd asked for" ||
			not_ok "legacy: ExecSync does not run as root" "$out"
	else
		not_ok "legacy: root container starts (root-user: rewrite)" "$(cat "$W/err")"
	fi
else
	not_ok "RunPodSandbox legacy" "$LPOD"
fi

containerd_stop
gate_done
