# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A private podman set-up for end-to-end tests: own containers.conf and
# storage.conf under WORKDIR, nothing in /etc/containers, /var/lib/containers
# or /run/containers is used.
#
#   . tests/e2e/lib/podman.sh
#   podman_setup "$W/podman" /path/to/runtime [NAME]
#   pman run --rm --rootfs "$W/rootfs" true       # = podman with the private conf
#   podman_cleanup                                # also runs at shell exit
#
# podman_setup WORKDIR RUNTIME [NAME]
#   Writes WORKDIR/containers.conf (cgroupfs, file events logger, netns none,
#   default_ulimits nofile/nproc 1024:1024 because root lacks
#   CAP_SYS_RESOURCE, [engine.runtimes] NAME = [RUNTIME], runtime = NAME,
#   tmp_dir/static_dir/volume_path/network_config_dir under WORKDIR) and
#   WORKDIR/storage.conf (overlay driver, graphroot WORKDIR/storage, runroot
#   WORKDIR/run), exports CONTAINERS_CONF and CONTAINERS_STORAGE_CONF.
#   NAME defaults to "ocigate".  Note podman decides some runtime flags by
#   NAME (e.g. runtime_supports_json lists crun/runc/...): with a name podman
#   does not know, the runtime gets no --log-format json.
# pman ARGS...      podman with the private configuration
# podman_cleanup    podman system reset -f, kill leftover conmon processes of
#                   this WORKDIR, unmount everything under WORKDIR, remove the
#                   libpod_parent cgroups it created.  Idempotent.

_E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_E2E_LIB_DIR/common.sh"

podman_setup() {
	local w=${1:-} rt=${2:-} name=${3:-ocigate}
	[ -n "$w" ] && [ -n "$rt" ] || e2e_die "podman_setup WORKDIR RUNTIME [NAME]"
	e2e_need_root
	e2e_need_cmd podman conmon flock
	e2e_lock podman
	mkdir -p "$w" && w=$(readlink -f -- "$w")
	mkdir -p "$w/storage" "$w/run" "$w/tmp" "$w/networks" "$w/volumes"
	PODMAN_WORKDIR=$w
	cat >"$w/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[network]
network_config_dir = "$w/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$w/events.log"
tmp_dir = "$w/tmp"
static_dir = "$w/storage/libpod"
volume_path = "$w/volumes"
runtime = "$name"

[engine.runtimes]
$name = ["$rt"]
EOF
	cat >"$w/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$w/run"
graphroot = "$w/storage"
EOF
	cgroup_snapshot "$w/.cgroups-before"
	export CONTAINERS_CONF=$w/containers.conf
	export CONTAINERS_STORAGE_CONF=$w/storage.conf
	on_exit podman_cleanup
}

pman() {
	[ -n "${PODMAN_WORKDIR:-}" ] || e2e_die "pman: podman_setup not called"
	CONTAINERS_CONF=$PODMAN_WORKDIR/containers.conf \
		CONTAINERS_STORAGE_CONF=$PODMAN_WORKDIR/storage.conf podman "$@"
}

podman_cleanup() {
	local -
	set +e +u
	set +o pipefail
	local w=${PODMAN_WORKDIR:-} p f files
	[ -n "$w" ] || return 0
	pman rm -af -t 0 >/dev/null 2>&1
	pman system reset -f >/dev/null 2>&1 || e2e_log "podman system reset failed"
	# conmon processes of ours (their argv holds paths under WORKDIR).  One
	# grep over every cmdline, not a fork per process; the list is expanded
	# before grep is forked, so grep does not find itself.
	files=(/proc/[0-9]*/cmdline)
	grep -lsF -- "$w/" "${files[@]}" 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] && continue
		case "$(head -zn1 -- "$f" 2>/dev/null | tr -d '\0')" in
		*conmon) kill -KILL "$p" 2>/dev/null ;;
		esac
	done
	umount_below "$w"
	# podman leaves /libpod_parent/conmon behind with cgroupfs.
	cgroup_cleanup "$w/.cgroups-before" libpod_parent
	rm -f "$w/.cgroups-before"
	PODMAN_WORKDIR=
}
