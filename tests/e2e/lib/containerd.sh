# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # CONTAINERD_* variables are for the caller
#
# A private containerd (1.6, Debian) for end-to-end tests, with the CRI
# plugin set up the way a kubelet node has it.  Nothing system-wide is used:
# the daemon's root, state, socket, opt and CNI dirs all live under WORKDIR.
#
#   . tests/e2e/lib/containerd.sh
#   CONTAINERD_HANDLER=ocigate CONTAINERD_HANDLER_BINARY=/path/to/ocigate \
#       containerd_start "$W" [EXTRA.toml]
#   image_build_busybox "$W/bb.tar" localhost/busybox:test
#   containerd_import "$W/bb.tar" default k8s.io
#   cctr -n default run --rm --runc-binary /path/bin localhost/busybox:test id1 true
#   "$CRI" ...                       # tests/e2e/cri/cri.py --socket "$CONTAINERD_SOCK"
#   containerd_stop                  # also runs automatically at shell exit
#
# Variables read by containerd_start (set them before calling):
#   CONTAINERD_HANDLER          CRI runtime handler name (RuntimeClass handler)
#                               [ocigate]
#   CONTAINERD_HANDLER_BINARY   BinaryName of that handler: the "runc" the
#                               runc v2 shim runs for it [/usr/bin/runc]
#   CONTAINERD_SANDBOX_IMAGE    CRI sandbox_image [localhost/pause:test]
#   CONTAINERD_STOCK_PATHS      1 (default): run containerd in a private mount
#                               namespace in which WORKDIR/root, WORKDIR/state,
#                               WORKDIR/netns, WORKDIR/kubelet and
#                               WORKDIR/podlogs are bind-mounted over
#                               /var/lib/containerd, /run/containerd,
#                               /run/netns, /var/lib/kubelet and
#                               /var/log/pods, so bundles, sandbox files and
#                               netns paths in config.json look exactly as on a
#                               stock node (/run/containerd/io.containerd.
#                               runtime.v2.task/k8s.io/ID, /var/lib/containerd/
#                               io.containerd.grpc.v1.cri/sandboxes/ID/hosts,
#                               /var/run/netns/cni-UUID).  Every mount dies
#                               with that namespace.  The host only gets the
#                               empty mount-point dirs, removed again by
#                               containerd_stop if it created them.
#                               0: root/state are WORKDIR/root, WORKDIR/state
#                               directly (paths in config.json then show
#                               WORKDIR), netns mounts under the state dir.
#   CONTAINERD_CNI              fake (default): a CNI plugin written here that
#                               creates nothing and reports eth0 192.0.2.2/24,
#                               so pods get their own (loopback-only) network
#                               namespace without touching host networking.
#                               bridge: real bridge "ocigate-e2e0" + host-local
#                               192.0.2.0/24 (no gateway, no masquerade); the
#                               bridge is deleted by containerd_stop.
#                               none: no CNI config (only hostNetwork pods).
#   CONTAINERD_CONFIG_FILE      use this file as the whole config instead
#                               of the one written here (it must set the
#                               addresses, CNI dirs and sandbox_image this
#                               one does; root and state as stock)
#   CONTAINERD_LOG_LEVEL        [info]
#   CONTAINERD_CGROUP_TOPS      extra top-level cgroup names (besides
#                               kubepods, default, k8s.io) whose new, empty
#                               directories containerd_stop removes; add the
#                               first component of any cgroup_parent or ctr
#                               namespace you use
#
# Set by containerd_start:
#   CONTAINERD_WORKDIR CONTAINERD_SOCK CONTAINERD_PID CONTAINERD_CONFIG
#   CONTAINERD_LOG (daemon log file) CONTAINERD_ROOT CONTAINERD_STATE (the
#   paths as containerd sees them) CONTAINERD_KUBELET_DIR (the host-visible
#   directory that containerd and runc see as CONTAINERD_KUBELET_PATH:
#   /var/lib/kubelet in stock mode; put kubelet-style mount sources there)
#   CONTAINERD_PODLOG_DIR / CONTAINERD_PODLOG_PATH (likewise for
#   /var/log/pods: use PATH in a pod's log_directory, create dirs in DIR)
#   CONTAINERD_RUNC_ROOT_HOST (where the shim's runc state, "runc --root
#   /run/containerd/runc/NS", is visible from the host: WORKDIR/state/runc
#   in stock mode)
#
# Helpers:
#   cctr ARGS...                ctr against the private daemon, run inside its
#                               mount namespace (ctr run's FIFOs live under
#                               /run/containerd/fifo and must be the daemon's)
#   containerd_import TAR NS... import an image tar into each namespace
#   containerd_stop             remove CRI pods, tasks, containers, snapshots;
#                               stop containerd; kill leftover shims and
#                               container processes; unmount everything under
#                               WORKDIR; rmdir the cgroup parents left.
#                               Idempotent; registered with on_exit.

_E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_E2E_LIB_DIR/common.sh"
. "$_E2E_LIB_DIR/images.sh"

: "${CONTAINERD_HANDLER:=ocigate}"
: "${CONTAINERD_HANDLER_BINARY:=/usr/bin/runc}"
: "${CONTAINERD_SANDBOX_IMAGE:=localhost/pause:test}"
: "${CONTAINERD_STOCK_PATHS:=1}"
: "${CONTAINERD_CNI:=fake}"
: "${CONTAINERD_LOG_LEVEL:=info}"
: "${CONTAINERD_CGROUP_TOPS:=}"
: "${E2E_PYTHON:=/usr/bin/python3}"

CONTAINERD_BRIDGE=ocigate-e2e0
_CONTAINERD_CRI_PY=$(cd "$_E2E_LIB_DIR/../cri" 2>/dev/null && pwd)/cri.py

_containerd_write_cni() {
	local w=$1 cni_ver=0.4.0
	mkdir -p "$w/cni/bin" "$w/cni/conf" "$w/cni/ipam"
	ln -sf /usr/lib/cni/loopback "$w/cni/bin/loopback"
	case "$CONTAINERD_CNI" in
	fake)
		cat >"$w/cni/bin/ocigate-fake-cni" <<'EOF'
#!/bin/sh
# Test CNI plugin: creates no interface, reports one, so the CRI plugin is
# satisfied and the pod keeps a loopback-only network namespace.
cat >/dev/null
case "$CNI_COMMAND" in
VERSION) printf '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}\n' ;;
ADD) printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],"ips":[{"version":"4","address":"192.0.2.2/24","interface":0}],"dns":{}}\n' "${CNI_IFNAME:-eth0}" "$CNI_NETNS" ;;
*) ;;
esac
exit 0
EOF
		chmod 0755 "$w/cni/bin/ocigate-fake-cni"
		cat >"$w/cni/conf/10-ocigate-e2e.conflist" <<EOF
{"cniVersion":"$cni_ver","name":"ocigate-e2e","plugins":[{"type":"ocigate-fake-cni"}]}
EOF
		;;
	bridge)
		ln -sf /usr/lib/cni/bridge "$w/cni/bin/bridge"
		ln -sf /usr/lib/cni/host-local "$w/cni/bin/host-local"
		cat >"$w/cni/conf/10-ocigate-e2e.conflist" <<EOF
{"cniVersion":"$cni_ver","name":"ocigate-e2e","plugins":[{"type":"bridge","bridge":"$CONTAINERD_BRIDGE","isGateway":false,"ipMasq":false,"ipam":{"type":"host-local","dataDir":"$w/cni/ipam","ranges":[[{"subnet":"192.0.2.0/24"}]]}}]}
EOF
		;;
	none) ;;
	*) e2e_die "CONTAINERD_CNI must be fake, bridge or none" ;;
	esac
}

_containerd_write_config() {
	local w=$1 extra=${2:-} root state netns_under_state
	if [ "$CONTAINERD_STOCK_PATHS" = 1 ]; then
		root=/var/lib/containerd state=/run/containerd netns_under_state=false
	else
		root=$w/root state=$w/state netns_under_state=true
	fi
	CONTAINERD_ROOT=$root CONTAINERD_STATE=$state
	if [ -n "${CONTAINERD_CONFIG_FILE:-}" ]; then
		cp -- "$CONTAINERD_CONFIG_FILE" "$w/containerd.toml"
		return
	fi
	cat >"$w/containerd.toml" <<EOF
version = 2
root = "$root"
state = "$state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$w/containerd.sock"

[ttrpc]
  address = "$w/containerd.sock.ttrpc"

[debug]
  level = "$CONTAINERD_LOG_LEVEL"

[plugins."io.containerd.internal.v1.opt"]
  path = "$w/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CONTAINERD_SANDBOX_IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = $netns_under_state
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$w/cni/bin"
    conf_dir = "$w/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$CONTAINERD_HANDLER]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$CONTAINERD_HANDLER.options]
        BinaryName = "$CONTAINERD_HANDLER_BINARY"
        SystemdCgroup = false
EOF
	if [ -n "$extra" ]; then
		printf '\n# ---- extra: %s\n' "$extra" >>"$w/containerd.toml"
		cat -- "$extra" >>"$w/containerd.toml" || return 1
	fi
}

containerd_start() {
	local w=${1:-} extra=${2:-} i d
	[ -n "$w" ] || e2e_die "containerd_start WORKDIR [EXTRA.toml]"
	e2e_need_root
	e2e_need_cmd containerd ctr containerd-shim-runc-v2 jq nsenter unshare flock
	[ -z "${CONTAINERD_PID:-}" ] || e2e_die "containerd already started (pid $CONTAINERD_PID)"
	e2e_lock containerd
	mkdir -p "$w" && w=$(readlink -f -- "$w")
	CONTAINERD_WORKDIR=$w
	CONTAINERD_SOCK=$w/containerd.sock
	CONTAINERD_CONFIG=$w/containerd.toml
	CONTAINERD_LOG=$w/containerd.log
	CONTAINERD_CREATED_DIRS=
	mkdir -p "$w/root" "$w/state" "$w/opt" "$w/netns" "$w/kubelet" "$w/podlogs"
	CONTAINERD_KUBELET_DIR=$w/kubelet
	CONTAINERD_PODLOG_DIR=$w/podlogs
	chmod 0711 "$w/root" "$w/state"
	_containerd_write_cni "$w"
	_containerd_write_config "$w" "$extra" || e2e_die "cannot write containerd config"
	cgroup_snapshot "$w/.cgroups-before"
	on_exit containerd_stop

	if [ "$CONTAINERD_STOCK_PATHS" = 1 ]; then
		CONTAINERD_KUBELET_PATH=/var/lib/kubelet
		CONTAINERD_PODLOG_PATH=/var/log/pods
		for d in /var/lib/containerd /run/containerd /run/netns /var/lib/kubelet /var/log/pods; do
			if [ ! -e "$d" ]; then
				mkdir -p "$d" && CONTAINERD_CREATED_DIRS="$d $CONTAINERD_CREATED_DIRS"
			fi
		done
		printf '%s\n' $CONTAINERD_CREATED_DIRS >"$w/.created-dirs"
		CONTAINERD_RUNC_ROOT_HOST=$w/state/runc
		# unshare without --fork execs: $! is containerd's pid.
		unshare -m --propagation private -- /bin/sh -c '
			set -e
			mount --bind "$1/root" /var/lib/containerd
			mount --bind "$1/state" /run/containerd
			mount --bind "$1/netns" /run/netns
			mount --bind "$1/kubelet" /var/lib/kubelet
			mount --bind "$1/podlogs" /var/log/pods
			shift
			exec "$@"' sh "$w" containerd --config "$CONTAINERD_CONFIG" \
			</dev/null >>"$CONTAINERD_LOG" 2>&1 &
	else
		CONTAINERD_KUBELET_PATH=$w/kubelet
		CONTAINERD_PODLOG_PATH=$w/podlogs
		[ -e /run/containerd ] || CONTAINERD_CREATED_DIRS=/run/containerd
		printf '%s\n' $CONTAINERD_CREATED_DIRS >"$w/.created-dirs"
		CONTAINERD_RUNC_ROOT_HOST=/run/containerd/runc
		containerd --config "$CONTAINERD_CONFIG" </dev/null >>"$CONTAINERD_LOG" 2>&1 &
	fi
	CONTAINERD_PID=$!
	echo "$CONTAINERD_PID" >"$w/containerd.pid"
	for i in $(seq 1 300); do
		if ! kill -0 "$CONTAINERD_PID" 2>/dev/null; then
			tail -n 30 "$CONTAINERD_LOG" >&2
			e2e_die "containerd exited during start-up (log: $CONTAINERD_LOG)"
		fi
		if [ -S "$CONTAINERD_SOCK" ] && ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
			break
		fi
		sleep 0.1
	done
	ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1 || e2e_die "containerd did not come up (log: $CONTAINERD_LOG)"
	# Remember the daemon's mount namespace: processes left in it are ours.
	CONTAINERD_MNTNS=$(readlink "/proc/$CONTAINERD_PID/ns/mnt")
	echo "$CONTAINERD_MNTNS" >"$w/containerd.mntns"
	if grep -q 'failed to load plugin io.containerd.grpc.v1.cri\|failed to load cni' "$CONTAINERD_LOG"; then
		e2e_log "warning: CRI plugin reported errors, see $CONTAINERD_LOG"
	fi
	e2e_log "containerd $CONTAINERD_PID up on $CONTAINERD_SOCK (stock paths: $CONTAINERD_STOCK_PATHS)"
}

# _cctr_argv: set array _CCTR to the command that runs ctr for our daemon.
_cctr_argv() {
	if [ "$CONTAINERD_STOCK_PATHS" = 1 ]; then
		_CCTR=(nsenter -t "$CONTAINERD_PID" -m --wd="$PWD" -- ctr -a "$CONTAINERD_SOCK")
	else
		_CCTR=(ctr -a "$CONTAINERD_SOCK")
	fi
}

cctr() {
	[ -n "${CONTAINERD_SOCK:-}" ] && [ -n "${CONTAINERD_PID:-}" ] || e2e_die "cctr: containerd not started"
	local _CCTR
	_cctr_argv
	"${_CCTR[@]}" "$@"
}

containerd_import() {
	local tar ns
	tar=$(readlink -f -- "$1") || return 1
	shift
	for ns in "$@"; do
		cctr -n "$ns" images import "$tar" >/dev/null || { e2e_log "import of $tar into $ns failed"; return 1; }
	done
}

# PIDs of processes whose command line contains every given word (exact
# argv elements), excluding ourselves.  One grep over every cmdline (argv
# elements are NUL-separated records): a fork per process takes seconds on
# a busy machine.
_containerd_pids_with_args() {
	local f p files
	# Expanded here, before grep is forked: grep's own pid is not listed.
	files=(/proc/[0-9]*/cmdline)
	grep -lsxzF -- "$1" "${files[@]}" 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] && continue
		if [ -n "${2:-}" ]; then
			grep -qsxzF -- "$2" "$f" 2>/dev/null || continue
		fi
		echo "$p"
	done
}

# PIDs of processes in mount namespace NS ("mnt:[INODE]"), excluding ourselves.
_containerd_pids_in_mntns() {
	local ns=$1 pat files
	[ -n "$ns" ] || return 0
	pat=${ns//[/\\[}
	pat=${pat//]/\\]}
	files=(/proc/[0-9]*/ns/mnt)
	find "${files[@]}" -maxdepth 0 -lname "$pat" 2>/dev/null |
		cut -d/ -f3 | grep -vx -- "$$"
	return 0
}

# Remove runc containers under one runc root (dir of per-container state).
_containerd_runc_cleanup_root() {
	local root=$1 st id
	[ -d "$root" ] || return 0
	for st in "$root"/*/state.json; do
		[ -f "$st" ] || continue
		id=${st%/state.json}
		id=${id##*/}
		e2e_log "leftover runc container $id in $root: deleting"
		runc --root "$root" kill "$id" KILL >/dev/null 2>&1
		runc --root "$root" delete --force "$id" >/dev/null 2>&1 ||
			e2e_log "runc delete --force $id failed"
	done
}

containerd_stop() {
	# Best effort all the way: never abort half-way under set -e.
	local -
	set +e +u
	set +o pipefail
	local w=${CONTAINERD_WORKDIR:-} pid=${CONTAINERD_PID:-} ns id p i cr d
	[ -n "$w" ] || return 0
	local mntns=${CONTAINERD_MNTNS:-}
	[ -n "$mntns" ] || mntns=$(cat "$w/containerd.mntns" 2>/dev/null)
	local host_mntns
	host_mntns=$(readlink /proc/self/ns/mnt)
	[ "$mntns" = "$host_mntns" ] && mntns=

	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		# 1. CRI pods (tears down their network namespaces properly).
		if [ -f "$_CONTAINERD_CRI_PY" ]; then
			timeout 60 "$E2E_PYTHON" "$_CONTAINERD_CRI_PY" --socket "$CONTAINERD_SOCK" \
				cleanup >/dev/null 2>&1 || e2e_log "cri.py cleanup failed"
		fi
		# 2. tasks, containers, snapshots in every namespace.
		local _CCTR
		_cctr_argv
		for ns in $(cctr namespaces ls -q 2>/dev/null); do
			for id in $(cctr -n "$ns" tasks ls -q 2>/dev/null); do
				timeout 20 "${_CCTR[@]}" -n "$ns" tasks kill -a -s KILL "$id" >/dev/null 2>&1
				timeout 20 "${_CCTR[@]}" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1
			done
			for id in $(cctr -n "$ns" containers ls -q 2>/dev/null); do
				timeout 20 "${_CCTR[@]}" -n "$ns" containers delete "$id" >/dev/null 2>&1 ||
					e2e_log "ctr -n $ns containers delete $id failed"
			done
			# Snapshots: remove leaves first, until none is left.
			for i in $(seq 1 20); do
				cr=$(cctr -n "$ns" snapshots ls 2>/dev/null | awk 'NR > 1 { print $1 " " $2 }')
				[ -n "$cr" ] || break
				printf '%s\n' "$cr" | awk '{ key[$1] = 1; if ($2 != "") par[$2] = 1 }
					END { for (k in key) if (!(k in par)) print k }' |
					while read -r id; do
						cctr -n "$ns" snapshots rm "$id" >/dev/null 2>&1 ||
							e2e_log "ctr -n $ns snapshots rm $id failed"
					done
			done
		done
		# 3. the daemon.
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null

	# 4. runc containers the shims left behind (daemon crashed, test killed).
	if [ -n "${CONTAINERD_RUNC_ROOT_HOST:-}" ]; then
		for d in "$CONTAINERD_RUNC_ROOT_HOST"/*; do
			_containerd_runc_cleanup_root "$d"
		done
	fi

	# 5. shims serving our socket, and anything else still in our namespace.
	for _ in 1 2 3; do
		p=$( { _containerd_pids_with_args "$CONTAINERD_SOCK"; _containerd_pids_in_mntns "$mntns"; } | sort -u)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086
		kill -KILL $p 2>/dev/null
		sleep 0.2
	done

	# 6. mounts (plain mode: overlay rootfs, shm, netns under WORKDIR).
	umount_below "$w"

	# 7. bridge (CONTAINERD_CNI=bridge).
	if ip link show "$CONTAINERD_BRIDGE" >/dev/null 2>&1; then
		ip link delete "$CONTAINERD_BRIDGE" 2>/dev/null || e2e_log "cannot delete bridge $CONTAINERD_BRIDGE"
	fi

	# 8. cgroup parents created since containerd_start: cgroupsPath is
	#    /NAMESPACE/ID for ctr, the pod's cgroup_parent (kubelet:
	#    /kubepods/...) for CRI.
	cgroup_cleanup "$w/.cgroups-before" kubepods default k8s.io $CONTAINERD_CGROUP_TOPS
	rm -f "$w/.cgroups-before"

	# 9. host dirs we created as mount points / shim socket dirs.
	if [ -f "$w/.created-dirs" ]; then
		while read -r d; do
			[ -n "$d" ] || continue
			if [ "$d" = /run/containerd ] && [ "$CONTAINERD_STOCK_PATHS" != 1 ]; then
				rm -rf --one-file-system -- /run/containerd
			else
				rmdir -- "$d" 2>/dev/null || e2e_log "$d not empty, left in place"
			fi
		done <"$w/.created-dirs"
		rm -f "$w/.created-dirs"
	fi
	CONTAINERD_PID=
	CONTAINERD_WORKDIR=
	CONTAINERD_MNTNS=
}
