#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Regenerate tests/data/generated/: config.json files exactly as the real
# generators on this machine write them (runc spec, containerd 1.6 via ctr and
# via its CRI plugin, podman, umoci).  Run as root:
#
#   tests/e2e/capture-fixtures.sh [OUTDIR]      (default tests/data/generated)
#
# How: every engine is pointed at a wrapper runtime (make_capture_runtime in
# lib/common.sh) that copies BUNDLE/config.json byte for byte on `create`
# and then execs /usr/bin/runc, so each container really starts.  Nothing is
# normalised.  Also written: argv/*.txt (the exact runtime command lines each
# engine used), cri-requests/*.json (the CRI requests sent, shaped like
# kubelet's) and VERSIONS.txt.  Everything runs against private instances
# and is cleaned up at exit (see lib/containerd.sh, lib/podman.sh).
#
# Environment: CONTAINERD_STOCK_PATHS (default 1: config.json shows the
# stock /run/containerd, /var/lib/containerd, /var/lib/kubelet paths; see
# lib/containerd.sh).  CAPTURE=crio writes only OUTDIR/cri-o/: CRI-O 1.26
# (lib/crio.sh, a private instance: paths in config.json show its scratch
# directory) keeping an infra container (drop_infra_ctr = false); the
# default run does the same after the other engines when CRI-O is found.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT=${1:-$TOP/tests/data/generated}

. "$HERE/lib/containerd.sh"
. "$HERE/lib/podman.sh"
. "$HERE/lib/crio.sh"

e2e_need_root
if [ "${CAPTURE:-all}" != crio ]; then
	e2e_need_cmd runc ctr containerd podman conmon umoci jq "$E2E_PYTHON"
fi

mkdir -p "$OUT" "$OUT/argv" "$OUT/cri-requests"
OUT=$(readlink -f -- "$OUT")
tmpdir W ocigate-capture

CRI_PY=$HERE/cri/cri.py
cri() { "$E2E_PYTHON" "$CRI_PY" --socket "$CONTAINERD_SOCK" "$@"; }

# One wrapper (and capture dir) per engine, so argv logs stay apart.
for e in ctr cri podman; do
	make_capture_runtime "$W/capture-$e" "$W/cap-$e"
done

# captured ENGINE ID -> the config captured for container ID
captured() {
	local f
	f=$(ls "$W/cap-$1"/*-create-"$2".json 2>/dev/null | head -n1)
	[ -n "$f" ] || e2e_die "no config captured for $1 container $2 (see $W/cap-$1)"
	printf '%s\n' "$f"
}
# latest ENGINE -> the most recent capture of that engine
latest() {
	local f
	f=$(ls "$W/cap-$1"/*.json 2>/dev/null | tail -n1)
	[ -n "$f" ] || e2e_die "nothing captured for $1"
	printf '%s\n' "$f"
}
keep() { # keep SRC NAME: copy unchanged, check it is JSON
	jq -e . "$1" >/dev/null || e2e_die "$1 is not valid JSON"
	cp -- "$1" "$OUT/$2"
	e2e_log "wrote $2"
}

# ---- CRI-O --------------------------------------------------------------------
# A sandbox with an infra container (uid 0), a pod whose annotations claim
# CRI-O's identity keys, containers as root and as uid 1000, and one whose
# CRI annotations and labels claim to be the sandbox.  The requests are in
# cri-o/requests/, the runtime's argv in cri-o/argv.txt, each bundle
# directory in NAME.bundle.
capture_crio() {
	local o=$OUT/cri-o cap=$W/cap-crio pod id f n uid=3b0e7c1a-9f2d-4c6e-8a5b-1d2c3e4f5a6b
	mkdir -p "$o/requests"
	crio_setup "$W/crio"
	make_capture_runtime "$W/capture-crio" "$cap" "$CRIO_SHIM"
	image_build_busybox "$W/crio-busybox.tar" localhost/busybox:test
	image_build_pause "$W/crio-pause.tar" localhost/pause:test
	crio_import "$W/crio-busybox.tar" localhost/busybox:test
	crio_import "$W/crio-pause.tar" localhost/pause:test
	printf '[crio.runtime.runtimes.capture]\nruntime_path = "%s"\nruntime_root = "%s"\nmonitor_path = "/usr/bin/conmon"\n' \
		"$W/capture-crio" "$W/capture-root" >"$W/capture.conf"
	CRIO_DROP_INFRA=false crio_start "$W/capture.conf"
	{
		echo "# tools that wrote the files in this directory"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "kernel: $(uname -sr) $(uname -m)"
		echo "crio: $("$CRIO_BIN" --version 2>/dev/null | sed -n 's/^Version: *//p')"
		echo "conmon: $(conmon --version 2>&1 | head -n1)"
		echo "runc: $(runc --version | head -n1)"
		echo "drop_infra_ctr: false; storage: vfs; cgroup_manager: cgroupfs"
	} >"$o/VERSIONS.txt"
	crio_pod web "$uid" >"$o/requests/sandbox-infra.json"
	pod=$(crio_cri runp --handler capture "$o/requests/sandbox-infra.json" | jq -r '.pod_id // empty')
	[ -n "$pod" ] || e2e_die "RunPodSandbox web failed (log: $CRIO_LOG)"
	crio_keep "$cap" "$o" "$pod" sandbox-infra
	for n in container container-root container-claims-sandbox; do
		case $n in
		container) f='.linux.security_context.run_as_user = {value: 1000}' ;;
		container-root) f=. ;;
		container-claims-sandbox)
			f='.annotations += {"io.kubernetes.cri-o.ContainerType": "sandbox",
				"io.kubernetes.container.name": "POD", "io.kubernetes.cri-o.Namespace": "kube-system"}
			   | .labels["io.kubernetes.container.name"] = "POD"' ;;
		esac
		crio_ctr "${n//-/}" web "$uid" "$f" >"$o/requests/$n.json"
		id=$(crio_cri create "$pod" "$o/requests/$n.json" --pod "$o/requests/sandbox-infra.json" |
			jq -r '.container_id // empty')
		[ -n "$id" ] || e2e_die "CreateContainer $n failed"
		crio_cri start "$id" >/dev/null || e2e_die "StartContainer $n failed"
		crio_keep "$cap" "$o" "$id" "$n"
	done
	crio_pod spoof 7d1f3e5a-2b4c-4d6e-9f8a-0b1c2d3e4f5a \
		'.annotations += {"io.kubernetes.cri-o.Namespace": "kube-system",
			"io.kubernetes.cri-o.KubeName": "kube-proxy", "io.kubernetes.cri-o.ContainerType": "container",
			"io.kubernetes.pod.namespace": "kube-system"}' >"$o/requests/sandbox-spoofed.json"
	pod=$(crio_cri runp --handler capture "$o/requests/sandbox-spoofed.json" | jq -r '.pod_id // empty')
	[ -n "$pod" ] || e2e_die "RunPodSandbox spoof failed (log: $CRIO_LOG)"
	crio_keep "$cap" "$o" "$pod" sandbox-spoofed
	cp "$cap/argv.log" "$o/argv.txt"
	crio_teardown
}
if [ "${CAPTURE:-all}" = crio ]; then
	capture_crio
	e2e_log "fixtures written to $OUT/cri-o"
	exit 0
fi

# ---- versions ---------------------------------------------------------------
{
	echo "# tools that wrote the files in this directory"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel: $(uname -sr) $(uname -m)"
	echo "runc: $(runc --version | tr '\n' ' ')"
	echo "containerd: $(containerd --version)"
	echo "ctr: $(ctr --version)"
	echo "podman: $(podman --version)"
	echo "conmon: $(conmon --version 2>&1 | head -n1)"
	echo "umoci: $(umoci --version)"
	for p in runc containerd podman conmon umoci busybox-static catatonit; do
		echo "deb $p: $(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo '?')"
	done
	echo "containerd stock paths: $CONTAINERD_STOCK_PATHS"
} >"$OUT/VERSIONS.txt"

# ---- runc spec ----------------------------------------------------------------
mkdir -p "$W/runc" "$W/runc-rootless"
(cd "$W/runc" && runc spec)
keep "$W/runc/config.json" runc-spec.json
(cd "$W/runc-rootless" && runc spec --rootless)
keep "$W/runc-rootless/config.json" runc-spec-rootless.json

# ---- umoci --------------------------------------------------------------------
make_busybox_rootfs "$W/umoci-rootfs"
umoci init --layout "$W/umoci-layout"
umoci new --image "$W/umoci-layout:test"
umoci insert --image "$W/umoci-layout:test" "$W/umoci-rootfs" /
umoci config --image "$W/umoci-layout:test" --config.cmd /bin/sh \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umoci unpack --image "$W/umoci-layout:test" "$W/umoci-bundle"
keep "$W/umoci-bundle/config.json" umoci.json

# ---- containerd: ctr run ------------------------------------------------------
CONTAINERD_HANDLER=capture CONTAINERD_HANDLER_BINARY=$W/capture-cri \
	containerd_start "$W/containerd"
image_build_busybox "$W/busybox.tar" localhost/busybox:test
image_build_pause "$W/pause.tar" localhost/pause:test
containerd_import "$W/busybox.tar" default k8s.io
containerd_import "$W/pause.tar" k8s.io

cctr -n default run --rm --runc-binary "$W/capture-ctr" \
	localhost/busybox:test ctr-run /bin/true
keep "$(captured ctr ctr-run)" ctr-run.json

# ---- containerd: CRI, requests shaped like kubelet's --------------------------
BUSYBOX_ID=$(cri image-id localhost/busybox:test | jq -r .id)
LOGS=$CONTAINERD_PODLOG_DIR    # host view of ...
LOGP=$CONTAINERD_PODLOG_PATH   # ... what containerd sees as this
KDIR=$CONTAINERD_KUBELET_DIR   # host view of ...
KPATH=$CONTAINERD_KUBELET_PATH # ... what containerd sees as this

# pod_request NAME UID [jq filter] -> PodSandboxConfig as kubelet sends it
pod_request() {
	local name=$1 uid=$2 filter=${3:-.}
	mkdir -p "$LOGS/default_${name}_$uid"
	jq -n --arg name "$name" --arg uid "$uid" --arg logdir "$LOGP/default_${name}_$uid" '{
		metadata: { name: $name, uid: $uid, namespace: "default", attempt: 0 },
		hostname: $name,
		log_directory: $logdir,
		dns_config: { servers: ["10.96.0.10"],
			      searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
			      options: ["ndots:5"] },
		labels: { "io.kubernetes.pod.name": $name, "io.kubernetes.pod.namespace": "default",
			  "io.kubernetes.pod.uid": $uid, app: $name },
		annotations: { "kubernetes.io/config.seen": "2024-01-01T00:00:00.000000000Z",
			       "kubernetes.io/config.source": "api" },
		linux: { cgroup_parent: ("/kubepods/besteffort/pod" + $uid),
			 security_context: { namespace_options: { pid: "CONTAINER" },
					     seccomp: { profile_type: "Unconfined" } } }
	} | '"$filter"
}

# ctr_request POD_NAME POD_UID NAME [jq filter] -> ContainerConfig as kubelet
# sends it for a plain container (kubelet's etc-hosts, termination-log and
# service-account token mounts, default masked/readonly paths, BestEffort
# resources, image by id).
ctr_request() {
	local pname=$1 uid=$2 name=$3 filter=${4:-.}
	local pd=$KDIR/pods/$uid tok=kube-api-access-x7k2p term=a1b2c3d4
	mkdir -p "$pd/containers/$name" "$pd/volumes/kubernetes.io~projected/$tok" \
		"$LOGS/default_${pname}_$uid/$name"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$pd/etc-hosts"
	: >"$pd/containers/$name/$term"
	printf 'default\n' >"$pd/volumes/kubernetes.io~projected/$tok/namespace"
	printf 'not-a-real-token\n' >"$pd/volumes/kubernetes.io~projected/$tok/token"
	: >"$pd/volumes/kubernetes.io~projected/$tok/ca.crt"
	jq -n --arg name "$name" --arg pname "$pname" --arg uid "$uid" --arg image "$BUSYBOX_ID" \
		--arg kp "$KPATH/pods/$uid" --arg tok "$tok" --arg term "$term" '{
		metadata: { name: $name, attempt: 0 },
		image: { image: $image },
		command: ["/bin/sh", "-c", "sleep 3600"],
		envs: [ { key: "KUBERNETES_SERVICE_HOST", value: "10.96.0.1" },
			{ key: "KUBERNETES_SERVICE_PORT", value: "443" },
			{ key: "KUBERNETES_PORT", value: "tcp://10.96.0.1:443" } ],
		mounts: [
			{ container_path: "/var/run/secrets/kubernetes.io/serviceaccount",
			  host_path: ($kp + "/volumes/kubernetes.io~projected/" + $tok), readonly: true },
			{ container_path: "/etc/hosts", host_path: ($kp + "/etc-hosts") },
			{ container_path: "/dev/termination-log",
			  host_path: ($kp + "/containers/" + $name + "/" + $term) } ],
		labels: { "io.kubernetes.container.name": $name, "io.kubernetes.pod.name": $pname,
			  "io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.uid": $uid },
		annotations: { "io.kubernetes.container.hash": "6b3f2a1c",
			       "io.kubernetes.container.restartCount": "0",
			       "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
			       "io.kubernetes.container.terminationMessagePolicy": "File",
			       "io.kubernetes.pod.terminationGracePeriod": "30" },
		log_path: ($name + "/0.log"),
		linux: {
			resources: { cpu_period: 100000, cpu_shares: 2, oom_score_adj: 1000 },
			security_context: {
				namespace_options: { pid: "CONTAINER" },
				seccomp: { profile_type: "Unconfined" },
				masked_paths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
					       "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
					       "/proc/scsi", "/sys/firmware"],
				readonly_paths: ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
						 "/proc/sys", "/proc/sysrq-trigger"] } }
	} | '"$filter"
}

# run_pod FIXTURE NAME UID [pod filter] -> prints pod id, keeps sandbox config
run_pod() {
	local fixture=$1 name=$2 uid=$3 filter=${4:-.} id
	pod_request "$name" "$uid" "$filter" >"$OUT/cri-requests/$fixture"
	cp "$OUT/cri-requests/$fixture" "$W/pod-$name.json"
	id=$(cri runp --handler capture "$W/pod-$name.json" | jq -r '.pod_id // empty')
	[ -n "$id" ] || e2e_die "RunPodSandbox $name failed (log: $CONTAINERD_LOG)"
	keep "$(captured cri "$id")" "$fixture"
	printf '%s\n' "$id"
}

# run_ctr FIXTURE POD_ID POD_NAME POD_UID NAME [ctr filter]
run_ctr() {
	local fixture=$1 pod=$2 pname=$3 uid=$4 name=$5 filter=${6:-.} id st
	ctr_request "$pname" "$uid" "$name" "$filter" >"$OUT/cri-requests/$fixture"
	id=$(cri create "$pod" "$OUT/cri-requests/$fixture" --pod "$W/pod-$pname.json" |
		jq -r '.container_id // empty')
	[ -n "$id" ] || e2e_die "CreateContainer $name failed"
	cri start "$id" >/dev/null || { cri status "$id" >&2; e2e_die "StartContainer $name failed"; }
	st=$(cri status "$id" | jq -r .state)
	[ "$st" = CONTAINER_RUNNING ] || { cri status "$id" >&2; e2e_die "container $name is $st"; }
	keep "$(captured cri "$id")" "$fixture"
}

POD_UID=6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d
POD=$(run_pod cri-sandbox.json web "$POD_UID")
run_ctr cri-container.json "$POD" web "$POD_UID" app
run_ctr cri-container-runtimedefault.json "$POD" web "$POD_UID" app-rd \
	'.linux.security_context.seccomp = {profile_type: "RuntimeDefault"}
	 | .linux.security_context.seccomp_profile_path = "runtime/default"'
run_ctr cri-container-restricted.json "$POD" web "$POD_UID" app-restricted \
	'.linux.security_context += {
		run_as_user: {value: 1000}, run_as_group: {value: 1000},
		readonly_rootfs: true, no_new_privs: true,
		capabilities: {drop_capabilities: ["ALL"]},
		seccomp: {profile_type: "RuntimeDefault"},
		seccomp_profile_path: "runtime/default"}'

HN_UID=2a7e9d04-5b6c-4f3e-8a1b-0c9d8e7f6a5b
HN_POD=$(run_pod cri-container-hostnetwork-sandbox.json hostnet "$HN_UID" \
	'.linux.security_context.namespace_options.network = "NODE" | del(.dns_config)
	 | .hostname = ""')
run_ctr cri-container-hostnetwork.json "$HN_POD" hostnet "$HN_UID" app \
	'.linux.security_context.namespace_options.network = "NODE"'

PRIV_UID=9c4b2e81-7d3a-4c5f-b6e2-3f1a0d9c8b7e
PRIV_POD=$(run_pod cri-sandbox-privileged.json priv "$PRIV_UID" \
	'.linux.security_context.privileged = true')
run_ctr cri-container-privileged.json "$PRIV_POD" priv "$PRIV_UID" app \
	'.linux.security_context.privileged = true
	 | del(.linux.security_context.masked_paths, .linux.security_context.readonly_paths)'

cp "$W/cap-ctr/argv.log" "$OUT/argv/ctr-run.txt"
cp "$W/cap-cri/argv.log" "$OUT/argv/cri.txt"
containerd_stop

# ---- podman -------------------------------------------------------------------
podman_setup "$W/podman" "$W/capture-podman" ocigate
make_busybox_rootfs "$W/podman-rootfs"
pman --runtime "$W/capture-podman" run --rm --rootfs "$W/podman-rootfs" /bin/true
keep "$(latest podman)" podman.json
pman --runtime "$W/capture-podman" run --rm --privileged --rootfs "$W/podman-rootfs" /bin/true
keep "$(latest podman)" podman-privileged.json
pman --runtime "$W/capture-podman" run --rm --security-opt seccomp=unconfined \
	--rootfs "$W/podman-rootfs" /bin/true
keep "$(latest podman)" podman-seccomp-unconfined.json
cp "$W/cap-podman/argv.log" "$OUT/argv/podman.txt"
podman_cleanup

if crio_find; then
	capture_crio
else
	e2e_log "no CRI-O: $OUT/cri-o left as it was"
fi

e2e_log "fixtures written to $OUT"
