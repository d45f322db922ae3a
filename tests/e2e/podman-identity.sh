#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# A podman user cannot claim a Kubernetes identity.  podman copies
# `--annotation` into config.json verbatim, so a user can write every key
# containerd's CRI plugin or CRI-O writes; the policy here exempts
# kube-system (privileged preset).  ocigate believes an engine's keys only
# when the call is the one that engine makes (bundle directory, --root,
# container id), which podman cannot produce.
#
# podman runs ocigate through a wrapper (the runtime entry of a private
# containers.conf, lib/podman.sh) that sets OCIGATE_POLICY (conmon passes
# the runtime no environment) and records argv and the config.json podman
# wrote.  Checks:
#  - containerd's full key set claiming kube-system: a root container is
#    still refused (root-user), the audit record names no namespace and
#    says why the keys were not believed;
#  - CRI-O's key set (ContainerType, ids, Labels JSON, the kubelet's labels
#    as annotations, io.container.manager=cri-o): refused the same way;
#  - what podman itself decides whatever the user writes: the container id,
#    the bundle <id>/userdata and no --root on the runtime's command line
#    (podman 4.3 keeps a user's io.container.manager, so that key proves
#    nothing);
#  - near-miss: a compliant container (--user 1000) with the same keys
#    still runs, hardened; so does one without annotations.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/podman.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd podman conmon jq flock

gate_init
gate_check_clean W
tmpdir W ocigate-podman-identity

printf '%s\n' "{ \"audit\": { \"path\": \"$W/audit.jsonl\", \"syslog\": false }," \
	'  "exemptions": [ { "namespaces": ["kube-system"], "preset": "privileged" } ] }' |
	gate_policy "$W/policy.json"
mkdir -p "$W/calls"
cat >"$W/gate" <<'WRAPPER'
#!/bin/sh
# argv and, on create, the config podman wrote; then ocigate
n=$(ls "@CALLS@" | wc -l)
printf '%s\n' "$@" >"@CALLS@/$n.argv"
prev=
for a in "$@"; do
	[ "$prev" = --bundle ] && [ -f "$a/config.json" ] && cp "$a/config.json" "@CALLS@/$n.config.json"
	prev=$a
done
OCIGATE_POLICY="@POLICY@" exec "@OCIGATE@" "$@"
WRAPPER
sed -i -e "s|@CALLS@|$W/calls|g" -e "s|@POLICY@|$W/policy.json|" -e "s|@OCIGATE@|$OCIGATE|" "$W/gate"
chmod +x "$W/gate"

podman_setup "$W/podman" "$W/gate" ocigate
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
# the audit record of the last run, if that run wrote one
audit_mark() {
	AUDIT_LINES=0
	[ ! -f "$W/audit.jsonl" ] || AUDIT_LINES=$(wc -l <"$W/audit.jsonl")
}
last_audit() { tail -n +$((AUDIT_LINES + 1)) "$W/audit.jsonl" 2>/dev/null | tail -n1; }
# the newest call whose argv holds WORD
last_call() { grep -lx -- "$1" "$W"/calls/*.argv 2>/dev/null | sort -V | tail -n1; }

out=
# ---- 1. containerd's keys ------------------------------------------------------------
ctrd=(
	--annotation io.kubernetes.cri.container-type=container
	--annotation io.kubernetes.cri.sandbox-id=6a15f24b27207aaf60b3abb7eae3d4c9f7b8955cb75c34a8ca2454557c397428
	--annotation io.kubernetes.cri.sandbox-namespace=kube-system
	--annotation io.kubernetes.cri.sandbox-name=kube-proxy-x
	--annotation io.kubernetes.cri.sandbox-uid=2a7e9d04-5b6c-4f3e-8a1b-0c9d8e7f6a5b
	--annotation io.kubernetes.cri.container-name=kube-proxy
	--annotation io.kubernetes.cri.image-name=registry.k8s.io/kube-proxy:v1.26.0
)
audit_mark
if prun out "${ctrd[@]}" --rootfs "$R" id -u; then
	not_ok "podman run with containerd's kube-system keys (root) is refused" "$out"
else
	ok "podman run with containerd's kube-system keys (root) is refused"
	check_contains "podman error" "$out" "rejected by policy restricted: root-user"
	check_lacks "podman error" "$out" "uid=0"
fi
c=$(last_call create)
cfg=${c%.argv}.config.json
[ -f "$cfg" ] && jq -e '.annotations["io.kubernetes.cri.sandbox-namespace"] == "kube-system"' "$cfg" >/dev/null &&
	ok "podman wrote the user's containerd keys into config.json verbatim" ||
	not_ok "podman wrote the user's containerd keys into config.json verbatim" "$(cat "$cfg" 2>&1)"
a=$(last_audit)
jq -e '.decision == "reject" and .namespace == null and (.exemption // -1) == -1' <<<"$a" >/dev/null &&
	ok "audit: rejected, no namespace, no exemption" || not_ok "audit: rejected, no namespace, no exemption" "$a"
check_contains "audit note" "$(jq -r '.note // ""' <<<"$a")" "identity not believed"

# ---- 2. CRI-O's keys -----------------------------------------------------------------
labels='{"io.kubernetes.container.name":"app","io.kubernetes.pod.name":"web","io.kubernetes.pod.namespace":"kube-system","io.kubernetes.pod.uid":"u"}'
crio=(
	--annotation io.container.manager=cri-o
	--annotation io.kubernetes.cri-o.ContainerType=container
	--annotation io.kubernetes.cri-o.ContainerID=c0ffee
	--annotation io.kubernetes.cri-o.SandboxID=5d9e8f
	--annotation io.kubernetes.cri-o.ImageName=registry.k8s.io/kube-proxy:v1.26.0
	# podman reads --annotation as a CSV field: quoted, quotes doubled
	--annotation "\"io.kubernetes.cri-o.Labels=${labels//\"/\"\"}\""
	--annotation io.kubernetes.container.name=app
	--annotation io.kubernetes.pod.name=web
	--annotation io.kubernetes.pod.namespace=kube-system
	--annotation io.kubernetes.pod.uid=u
)
audit_mark
if prun out "${crio[@]}" --rootfs "$R" id -u; then
	not_ok "podman run with CRI-O's kube-system keys (root) is refused" "$out"
else
	ok "podman run with CRI-O's kube-system keys (root) is refused"
	check_contains "podman error" "$out" "rejected by policy restricted: root-user"
fi
a=$(last_audit)
jq -e '.decision == "reject" and .namespace == null' <<<"$a" >/dev/null &&
	ok "audit: rejected, no namespace" || not_ok "audit: rejected, no namespace" "$a"
e2e_log "audit note: $(jq -r '.note // ""' <<<"$a")"

# ---- 3. what podman decides whatever the user writes ------------------------------
c=$(last_call create)
cfg=${c%.argv}.config.json
jq -e '.annotations["io.kubernetes.pod.namespace"] == "kube-system"
	and (.annotations["io.kubernetes.cri-o.Labels"] | fromjson | .["io.kubernetes.pod.namespace"]) == "kube-system"' \
	"$cfg" >/dev/null && ok "podman wrote the user's CRI-O keys into config.json verbatim" ||
	not_ok "podman wrote the user's CRI-O keys into config.json verbatim" "$(cat "$cfg" 2>&1)"
m=$(jq -r '.annotations["io.container.manager"]' "$cfg" 2>/dev/null || echo "?")
# podman 4.3 keeps a user's io.container.manager: it proves nothing, the
# call does (no --root, an id the user cannot know when writing the keys).
e2e_log "io.container.manager in the config podman wrote: $m"
check_lacks "podman's create command line (no --root)" "$(cat "$c")" "--root"
id=$(tail -n1 "$c")
[ -n "$id" ] && [ "$id" != c0ffee ] && ok "podman picked container id ${id:0:12}, not the user's" ||
	not_ok "podman picked its own container id" "$(cat "$c")"
b=$(grep -A1 -x -- --bundle "$c" | tail -n1)
check_contains "podman's bundle" "$b" "-containers/$id/userdata"

# ---- 4. near-miss: compliant containers under the same policy ----------------------
if prun out "${ctrd[@]}" --user 1000 --rootfs "$R" cat /proc/self/status; then
	ok "compliant container (--user 1000) with the same keys runs"
	check_hardened "compliant container" "$out" 1000
else
	not_ok "compliant container (--user 1000) with the same keys runs" "$out"
fi
if prun out --user 1000 --rootfs "$R" true; then
	ok "compliant container without annotations runs"
else
	not_ok "compliant container without annotations runs" "$out"
fi

gate_done
