#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Regenerate tests/data/attack/*.json from tests/data/generated/runc-spec.json
# (the unmodified output of `runc spec`).  Each file changes only what its
# name says, so a test can tell which rule fires.  Needs jq.
#
#   tests/data/make-attacks.sh [SRC.json [OUTDIR]]

set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/generated/runc-spec.json}
out=${2:-$here/attack}
mkdir -p "$out"

gen() { # gen NAME JQ-FILTER
	jq "$2" "$src" >"$out/$1.tmp"
	mv -f "$out/$1.tmp" "$out/$1"
}

# Every capability the kernel knows (0..40, Linux 5.9+), as Docker/podman
# --privileged copy it from the engine's own set.
ALLCAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER",
"CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP",
"CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST",
"CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE",
"CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT",
"CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE",
"CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE",
"CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN",
"CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ",
"CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"]'

# docker run --privileged: every capability in every set, every device
# allowed, sysfs and the cgroup mount read-write, nothing masked.
gen privileged.json "$ALLCAPS"' as $all
	| .process.capabilities = {bounding: $all, effective: $all,
		inheritable: $all, permitted: $all, ambient: $all}
	| .linux.resources.devices = [{allow: true, access: "rwm"}]
	| .mounts |= map(if .type == "sysfs" or .type == "cgroup"
		then .options = (.options | map(if . == "ro" then "rw" else . end))
		else . end)
	| .linux.maskedPaths = []
	| .linux.readonlyPaths = []'

# docker run -v /var/run/docker.sock:/var/run/docker.sock
gen docker-sock.json '.mounts += [{destination: "/var/run/docker.sock",
	type: "bind", source: "/var/run/docker.sock", options: ["rbind", "rprivate"]}]'

# docker run --pid=host: no pid namespace
gen hostpid.json '.linux.namespaces |= map(select(.type != "pid"))'

# join the host's network namespace through PID 1
gen proc1-ns-net.json '.linux.namespaces |= map(if .type == "network"
	then . + {path: "/proc/1/ns/net"} else . end)'

# CVE-2024-21626 ("Leaky Vessels"): cwd through a leaked host fd
gen cwd-proc-fd.json '.process.cwd = "/proc/self/fd/7"'

# host-global sysctl: a core dump handler runs on the host as root
gen core-pattern.json '.linux.sysctl = {"kernel.core_pattern": "|/proc/%P/root/tmp/x %P"}'

# docker run --device-cgroup-rule "a *:* rwm"
gen device-allow-all.json '.linux.resources.devices = [{allow: true, access: "rwm"}]'

# an OCI hook runs on the host, as root, before pivot_root
gen prestart-hook.json '.hooks = {prestart: [{path: "/bin/sh",
	args: ["sh", "-c", "id > /tmp/ocigate-hook-ran"]}]}'

# seccomp profile that allows everything
gen seccomp-allow-all.json '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	syscalls: []}'

# runc spec already runs as uid 0 without a user namespace: unchanged
gen root-user.json '.'

# ---- a few more, one rule each ----------------------------------------------

# docker run -v /:/host
gen host-root-bind.json '.mounts += [{destination: "/host", type: "bind",
	source: "/", options: ["rbind", "rprivate"]}]'

# docker run --cap-add SYS_ADMIN (in every set runc spec fills)
gen cap-sys-admin.json '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'

# a user namespace that maps container root to host root
gen userns-host-root.json '.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 0, size: 65536}]'

# the host's / as the container's root filesystem
gen rootfs-slash.json '.root = {path: "/", readonly: false}'
