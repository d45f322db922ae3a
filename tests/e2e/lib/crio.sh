# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # CRIO_* variables are for the caller
#
# A private CRI-O (1.26) for end-to-end tests.  Nothing system-wide is used:
# CRI-O runs in its own mount namespace with every path (config, storage
# root and runroot with the vfs driver, socket, exits, logs, namespaces,
# CNI config) under WORKDIR, cgroupfs, Debian's conmon, a loopback-only CNI
# network.  libcni caches results under /var/lib/cni with no setting to
# move them: in CRI-O's mount namespace WORKDIR/cni/cache is bind-mounted
# over /var/lib/cni, so the host's stays untouched; likewise pinns pins
# the pods' namespaces under /var/run/{net,ipc,uts,user,pid}ns as on a stock
# node (WORKDIR/mnt/run/... there).  Missing mount points are created on
# the host and removed again.  Pods (crio_pod) get the kubelet's cgroup
# parent /kubepods/besteffort/pod<UID>.
#
#   . tests/e2e/lib/crio.sh
#   crio_find || exit 77               # CRIO_BIN, CRIO_PINNS
#   crio_setup "$W"                    # dirs, storage, shims (no daemon)
#   crio_import "$W/bb.tar" localhost/busybox:test
#   crio_start [DROPIN...]             # drop-ins copied into the config dir
#   "$CRI" ...                         # tests/e2e/cri/cri.py --socket "$CRIO_SOCK"
#   crio_stop                          # stop the daemon (pods are kept)
#   crio_start ...                     # again, other drop-ins
#   crio_teardown                      # pods, daemon, mounts, storage, cgroups
#                                      # (registered with on_exit by crio_setup)
#
# CRI-O binaries: a system `crio` (with `pinns` beside it or on PATH) when
# installed, else the test builds in ../shared/tools/cri-o/ beside the
# source tree (CRIO_TOOLS overrides that directory).
#
# Variables read by crio_start:
#   CRIO_DROP_INFRA      drop_infra_ctr [true]
#   CRIO_DEFAULT_RUNTIME default_runtime [runc]
#   CRIO_ENV             extra VAR=VALUE words for crio's own environment
#                        (what its direct runtime calls inherit)
#   CRIO_LOG_LEVEL       [info]
#
# The "runc" handler is the shim below, with its own runtime_root.
#
# This machine's root lacks CAP_SYS_RESOURCE, and CRI-O asks for
# oomScoreAdj -998 for an infra container: runc cannot set it.
# WORKDIR/runc-shim, written by crio_setup, is an OCI runtime that raises a
# lower process.oomScoreAdj in the bundle's config.json to the caller's own
# value (what containerd's restrict_oom_score_adj does) and execs runc.  It
# stands behind the gate (the policy's "runtime"), so ocigate judges what
# CRI-O wrote, byte for byte.  It is an environment workaround, not part of
# what is tested.
#
# Set: CRIO_WORKDIR CRIO_SOCK CRIO_PID CRIO_LOG CRIO_ROOT CRIO_RUNROOT
#      CRIO_CONFIG_DIR CRIO_SHIM CRIO_NETWORK CRIO_RUNC_ROOT

_E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_E2E_LIB_DIR/common.sh"
. "$_E2E_LIB_DIR/images.sh"

: "${CRIO_DROP_INFRA:=true}"
: "${CRIO_DEFAULT_RUNTIME:=runc}"
: "${CRIO_ENV:=}"
: "${CRIO_LOG_LEVEL:=info}"
: "${E2E_PYTHON:=/usr/bin/python3}"

CRIO_NETWORK=ocigate-crio-e2e
# Where pinns pins a pod's namespaces (namespaces_dir /var/run, as on a
# stock node): WORKDIR/mnt/run/... bind-mounted there in CRI-O's namespace.
_CRIO_NS_DIRS="/run/netns /run/ipcns /run/utsns /run/userns /run/pidns"
_CRIO_CRI_PY=$(cd "$_E2E_LIB_DIR/../cri" 2>/dev/null && pwd)/cri.py

# crio_find: set CRIO_BIN and CRIO_PINNS; 1 when there is no CRI-O.
crio_find() {
	local top tools origin
	CRIO_BIN='' CRIO_PINNS=''
	if CRIO_BIN=$(command -v crio 2>/dev/null); then
		CRIO_PINNS=$(dirname "$CRIO_BIN")/pinns
		[ -x "$CRIO_PINNS" ] || CRIO_PINNS=$(command -v pinns 2>/dev/null) || CRIO_PINNS=
	else
		top=${top_srcdir:-$_E2E_LIB_DIR/../../..}
		CRIO_BIN=
		# Beside the project root; for a clone, also beside the checkout
		# it was cloned from (a local path).
		origin=$(git -C "$top" config --get remote.origin.url 2>/dev/null) || origin=
		case $origin in /*) ;; *) origin= ;; esac
		for tools in ${CRIO_TOOLS:+"$CRIO_TOOLS"} "$top/../shared/tools/cri-o" \
			${origin:+"$origin/../shared/tools/cri-o"}; do
			if [ -x "$tools/crio" ] && [ -x "$tools/pinns" ]; then
				CRIO_BIN=$(readlink -f -- "$tools/crio")
				CRIO_PINNS=$(readlink -f -- "$tools/pinns")
				break
			fi
		done
	fi
	[ -n "$CRIO_BIN" ] && [ -n "$CRIO_PINNS" ]
}

_crio_write_shim() {
	local shim=$1
	cat >"$shim" <<'EOF'
#!/bin/sh
# OCI runtime for the CRI-O tests (tests/e2e/lib/crio.sh): this machine's
# root cannot lower oom_score_adj (no CAP_SYS_RESOURCE), so a config.json
# asking for less than the caller's own value is raised to it, as
# containerd's restrict_oom_score_adj does.  Then runc runs unchanged.
verb= bundle=
parse() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--bundle|-b) bundle=$2; shift 2; continue ;;
		--bundle=*) bundle=${1#*=} ;;
		--root|--log|--log-format|--pid-file|--process|--console-socket|-p) shift 2; continue ;;
		-*) ;;
		*) [ -n "$verb" ] || verb=$1 ;;
		esac
		shift
	done
}
parse "$@"
if [ "$verb" = create ] || [ "$verb" = run ]; then
	[ -n "$bundle" ] || bundle=$(pwd)
	own=$(cat /proc/self/oom_score_adj)
	cfg=$bundle/config.json
	want=$(jq -r '.process.oomScoreAdj // empty' "$cfg" 2>/dev/null)
	if [ -n "$want" ] && [ "$want" -lt "$own" ]; then
		jq -c --argjson o "$own" '.process.oomScoreAdj = $o' "$cfg" >"$cfg.shim" &&
			mv -f "$cfg.shim" "$cfg"
	fi
fi
exec /usr/bin/runc "$@"
EOF
	chmod 0755 "$shim"
}

crio_setup() {
	local w=${1:-}
	[ -n "$w" ] || e2e_die "crio_setup WORKDIR"
	e2e_need_root
	e2e_need_cmd conmon runc jq skopeo unshare nsenter flock "$E2E_PYTHON"
	[ -x /usr/lib/cni/loopback ] || { e2e_log "SKIP: no /usr/lib/cni/loopback (containernetworking-plugins)"; exit 77; }
	crio_find || { e2e_log "SKIP: no crio (system or ../shared/tools/cri-o)"; exit 77; }
	# containerd's tests create and remove /run/netns too, where CRI-O's
	# namespace has a bind mount: never at the same time.
	! command -v containerd >/dev/null 2>&1 || e2e_lock containerd
	e2e_lock "$CRIO_BIN"
	mkdir -p "$w" && w=$(readlink -f -- "$w")
	CRIO_WORKDIR=$w
	CRIO_SOCK=$w/crio.sock
	CRIO_LOG=$w/crio.log
	CRIO_ROOT=$w/storage
	CRIO_RUNROOT=$w/run
	CRIO_CONFIG_DIR=$w/crio.conf.d
	CRIO_SHIM=$w/runc-shim
	CRIO_RUNC_ROOT=$w/runc-root
	CRIO_PID=
	mkdir -p "$CRIO_ROOT" "$CRIO_RUNROOT" "$CRIO_CONFIG_DIR" "$w/exits" "$w/attach" \
		"$w/ns" "$w/logs" "$w/cni/net.d" "$w/cni/cache" "$CRIO_RUNC_ROOT" "$w/state"
	chmod 0711 "$CRIO_ROOT" "$CRIO_RUNROOT"
	_crio_write_shim "$CRIO_SHIM"
	cat >"$w/cni/net.d/10-$CRIO_NETWORK.conflist" <<EOF
{"cniVersion":"0.4.0","name":"$CRIO_NETWORK","plugins":[{"type":"loopback"}]}
EOF
	printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$w/signature-policy.json"
	printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' \
		"$CRIO_RUNROOT" "$CRIO_ROOT" >"$w/storage.conf"
	printf 'unqualified-search-registries = []\n' >"$w/registries.conf"
	cgroup_snapshot "$w/.cgroups-before"
	: >"$w/.created-dirs"
	for d in /var/lib/cni $_CRIO_NS_DIRS; do
		if [ ! -e "$d" ]; then
			mkdir -p "$d" && echo "$d" >>"$w/.created-dirs"
		fi
		mkdir -p "$w/mnt$d"
	done
	on_exit crio_teardown
}

# crio_import TAR NAME: an OCI archive into CRI-O's storage as NAME
crio_import() {
	[ -n "${CRIO_WORKDIR:-}" ] || e2e_die "crio_import: crio_setup first"
	CONTAINERS_STORAGE_CONF=$CRIO_WORKDIR/storage.conf \
		skopeo --registries-conf "$CRIO_WORKDIR/registries.conf" copy -q \
		--policy "$CRIO_WORKDIR/signature-policy.json" \
		"oci-archive:$1" "containers-storage:[vfs@$CRIO_ROOT+$CRIO_RUNROOT]$2" >/dev/null
}

_crio_write_config() {
	local w=$CRIO_WORKDIR
	cat >"$w/crio.conf" <<EOF
# Written by tests/e2e/lib/crio.sh: a private CRI-O under $w
[crio]
root = "$CRIO_ROOT"
runroot = "$CRIO_RUNROOT"
storage_driver = "vfs"
log_dir = "$w/logs"
version_file = "$w/state/version"
version_file_persist = "$w/state/version-persist"
clean_shutdown_file = "$w/state/clean.shutdown"

[crio.api]
listen = "$CRIO_SOCK"
stream_address = "127.0.0.1"
stream_port = "0"

[crio.runtime]
default_runtime = "$CRIO_DEFAULT_RUNTIME"
cgroup_manager = "cgroupfs"
conmon = "/usr/bin/conmon"
conmon_cgroup = "pod"
pinns_path = "$CRIO_PINNS"
drop_infra_ctr = $CRIO_DROP_INFRA
namespaces_dir = "/var/run"
container_exits_dir = "$w/exits"
container_attach_socket_dir = "$w/attach"
hooks_dir = []
log_level = "$CRIO_LOG_LEVEL"
selinux = false
apparmor_profile = ""

[crio.runtime.runtimes.runc]
runtime_path = "$CRIO_SHIM"
runtime_type = "oci"
runtime_root = "$CRIO_RUNC_ROOT"
monitor_path = "/usr/bin/conmon"

[crio.image]
pause_image = "localhost/pause:test"
pause_command = ""
signature_policy = "$w/signature-policy.json"

[crio.network]
network_dir = "$w/cni/net.d"
plugin_dirs = ["/usr/lib/cni"]

[crio.metrics]
enable_metrics = false
EOF
}

# crio_start [DROPIN...]: start the daemon with these drop-ins (only).
crio_start() {
	local w=${CRIO_WORKDIR:-} i f
	[ -n "$w" ] || e2e_die "crio_start: crio_setup first"
	[ -z "${CRIO_PID:-}" ] || e2e_die "crio already started (pid $CRIO_PID)"
	rm -f "$CRIO_CONFIG_DIR"/*.conf
	for f in /var/lib/cni $_CRIO_NS_DIRS; do
		if [ ! -e "$f" ]; then
			mkdir -p "$f" && echo "$f" >>"$w/.created-dirs"
		fi
	done
	for f in "$@"; do
		cp -- "$f" "$CRIO_CONFIG_DIR/" || e2e_die "cannot copy drop-in $f"
	done
	_crio_write_config
	# unshare without --fork execs: $! is crio's pid.  env -i: crio's
	# environment is PATH plus CRIO_ENV (split into words), nothing of the
	# caller's.  The single-quoted script is expanded by the inner shell.
	# shellcheck disable=SC2086,SC2016
	unshare -m --propagation private -- /bin/sh -c '
		set -e
		w=$1
		shift
		mount --bind "$w/cni/cache" /var/lib/cni
		for d in '"$_CRIO_NS_DIRS"'; do mount --bind "$w/mnt$d" "$d"; done
		exec "$@"' sh "$w" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		CONTAINERS_STORAGE_CONF="$w/storage.conf" CONTAINERS_REGISTRIES_CONF="$w/registries.conf" \
		$CRIO_ENV "$CRIO_BIN" --config "$w/crio.conf" --config-dir "$CRIO_CONFIG_DIR" \
		</dev/null >>"$CRIO_LOG" 2>&1 &
	CRIO_PID=$!
	echo "$CRIO_PID" >"$w/crio.pid"
	for i in $(seq 1 300); do
		if ! kill -0 "$CRIO_PID" 2>/dev/null; then
			tail -n 30 "$CRIO_LOG" >&2
			CRIO_PID=
			e2e_die "crio exited during start-up (log: $CRIO_LOG)"
		fi
		if [ -S "$CRIO_SOCK" ] && crio_cri version >/dev/null 2>&1; then
			break
		fi
		sleep 0.1
	done
	crio_cri version >/dev/null 2>&1 || e2e_die "crio did not come up (log: $CRIO_LOG)"
	CRIO_MNTNS=$(readlink "/proc/$CRIO_PID/ns/mnt")
	e2e_log "crio $CRIO_PID up on $CRIO_SOCK (drop_infra_ctr $CRIO_DROP_INFRA, drop-ins: ${*:-none})"
}

# The CRI client against this daemon (schema from CRI-O's own binary, read once).
crio_cri() {
	local desc=$CRIO_WORKDIR/cri.desc
	if [ ! -s "$desc" ]; then
		"$E2E_PYTHON" "$_CRIO_CRI_PY" --containerd "$CRIO_BIN" dump-descriptor "$desc" >/dev/null || return 2
	fi
	"$E2E_PYTHON" "$_CRIO_CRI_PY" --socket "$CRIO_SOCK" --descriptor "$desc" "$@"
}

# crio_stop: stop the daemon; containers keep running under conmon.
crio_stop() {
	local pid=${CRIO_PID:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	CRIO_PID=
}

# PIDs of processes whose command line mentions DIR (conmon, container
# processes started from it), excluding ourselves.
_crio_pids_naming() {
	local f p files
	files=(/proc/[0-9]*/cmdline)
	grep -lsF -- "$1" "${files[@]}" 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] && continue
		echo "$p"
	done
}

crio_teardown() {
	local -
	set +e +u
	set +o pipefail
	local w=${CRIO_WORKDIR:-} root st id p
	[ -n "$w" ] || return 0
	if [ -n "${CRIO_PID:-}" ] && kill -0 "$CRIO_PID" 2>/dev/null; then
		timeout 60 "$E2E_PYTHON" "$_CRIO_CRI_PY" --socket "$CRIO_SOCK" --descriptor "$w/cri.desc" \
			cleanup >/dev/null 2>&1 || e2e_log "cri.py cleanup failed"
	fi
	crio_stop
	# Containers left by a crash: every runc root of ours.
	for root in "$CRIO_RUNC_ROOT" "$w"/ocigate-root; do
		[ -d "$root" ] || continue
		for st in "$root"/*/state.json; do
			[ -f "$st" ] || continue
			id=${st%/state.json}
			id=${id##*/}
			e2e_log "leftover runc container $id in $root: deleting"
			runc --root "$root" kill "$id" KILL >/dev/null 2>&1
			runc --root "$root" delete --force "$id" >/dev/null 2>&1
		done
	done
	for p in $(_crio_pids_naming "$w"); do
		kill -KILL "$p" 2>/dev/null
	done
	sleep 0.2
	umount_below "$w"
	cgroup_cleanup "$w/.cgroups-before" kubepods
	if [ -f "$w/.created-dirs" ]; then
		sort -u "$w/.created-dirs" | while read -r p; do
			[ -n "$p" ] && rmdir -- "$p" 2>/dev/null
		done
		rm -f "$w/.created-dirs"
	fi
	rm -rf --one-file-system -- "$CRIO_ROOT" "$CRIO_RUNROOT" 2>/dev/null
	CRIO_WORKDIR=
}

# crio_pod NAME UID [JQ-FILTER] -> a PodSandboxConfig with the labels the
# kubelet sets (namespace "default" unless the filter sets
# .metadata.namespace, pid namespace per container)
crio_pod() {
	jq -n --arg name "$1" --arg uid "$2" '{
		metadata: { name: $name, uid: $uid, namespace: "default", attempt: 0 },
		hostname: $name,
		labels: { "io.kubernetes.pod.name": $name, "io.kubernetes.pod.namespace": "default",
			  "io.kubernetes.pod.uid": $uid, app: $name },
		annotations: { "kubernetes.io/config.source": "api" },
		linux: { cgroup_parent: ("/kubepods/besteffort/pod" + $uid),
			 security_context: { namespace_options: { pid: "CONTAINER" } } }
	} | '"${3:-.}"' | .labels["io.kubernetes.pod.namespace"] = .metadata.namespace'
}

# crio_ctr NAME POD-NAME POD-UID [JQ-FILTER] -> a ContainerConfig (busybox,
# sleep) with the kubelet's labels; the filter sees the pod's namespace
# as $ns (default "default")
crio_ctr() {
	jq -n --arg name "$1" --arg pname "$2" --arg uid "$3" --arg ns "${CRIO_CTR_NS:-default}" '{
		metadata: { name: $name, attempt: 0 },
		image: { image: "localhost/busybox:test" },
		command: ["/bin/sh", "-c", "sleep 3600"],
		labels: { "io.kubernetes.container.name": $name, "io.kubernetes.pod.name": $pname,
			  "io.kubernetes.pod.namespace": $ns, "io.kubernetes.pod.uid": $uid },
		annotations: { "io.kubernetes.container.restartCount": "0" },
		linux: { security_context: { namespace_options: { pid: "CONTAINER" } } }
	} | '"${4:-.}"
}

# crio_keep CAPDIR OUTDIR ID NAME: the config captured (make_capture_runtime)
# for container ID, unchanged, as OUTDIR/NAME.json, its bundle as NAME.bundle
crio_keep() {
	local f
	f=$(find "$1" -maxdepth 1 -name "*-create-$3.json" 2>/dev/null | sort | head -n1)
	[ -n "$f" ] || e2e_die "no config captured for CRI-O container $3 (see $1)"
	jq -e . "$f" >/dev/null || e2e_die "$f is not valid JSON"
	cp -- "$f" "$2/$4.json"
	cp -- "${f%.json}.bundle" "$2/$4.bundle"
	e2e_log "wrote $2/$4.json"
}
