#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Namespaces joined by path, joined user namespaces, cgroupsPath and
# supplementary groups resolved by name, in front of the real runc:
#  - joining another process's mount namespace is refused (runc would
#    pivot_root every process in it into the container's root);
#  - a joined user namespace is judged by its real map, not the config's
#    decoy mappings;
#  - an app container joins its sandbox's /proc/PID/ns/* (near miss), not
#    the namespaces of a process that is no container of this runtime;
#  - a cgroupsPath naming a host service's cgroup is refused and nothing
#    is written there;
#  - additionalGids 1234 with "1234:x:0:" in the image's /etc/group is gid 0
#    for runc: refused when root-group rejects, at create and exec -g.
. "$(dirname "$0")/lib/runc.sh"
rt_setup
# The pod below is laid out as containerd's CRI lays it out (runc root
# .../k8s.io, bundles under io.containerd.runtime.v2.task/k8s.io/ID), so
# its engine identity, and with it the sandbox id, is believed.
ROOT=$T/k8s.io
K=$T/io.containerd.runtime.v2.task/k8s.io
HELPERS=
CGROUPS=
# container ids: unique, as runc's default cgroup is named after the id
P=ns$$-
cleanup() {
	local rc=$? p c
	set +e
	for p in $HELPERS; do kill -9 "$p" 2>/dev/null; done
	for p in $("$RUNC" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNC" --root "$ROOT" delete --force "$p" >/dev/null 2>&1
	done
	wait 2>/dev/null
	for c in $CGROUPS; do rmdir "$c" 2>/dev/null; done
	(exit $rc)
	_rt_cleanup
}
trap cleanup EXIT

# helper CMD...: start CMD in the background (it must exec sleep); its
# pid is $LAST.
helper() {
	"$@" &
	LAST=$!
	HELPERS="$HELPERS $LAST"
	sleep 0.3
}

# bdir NAME: the bundle directory of container NAME (the pod's in
# containerd's layout).
bdir() {
	case $1 in
	sb | app | app2) echo "$K/$P$1" ;;
	*) echo "$T/$1" ;;
	esac
}
# pod_ann TYPE SANDBOX: the annotations containerd's CRI writes.
pod_ann() {
	jq -n --arg t "$1" --arg s "$2" '{"io.kubernetes.cri.container-type": $t,
		"io.kubernetes.cri.sandbox-id": $s, "io.kubernetes.cri.sandbox-name": "web",
		"io.kubernetes.cri.sandbox-namespace": "default",
		"io.kubernetes.cri.sandbox-uid": "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d"}
		+ if $t == "container" then {"io.kubernetes.cri.container-name": "app",
			"io.kubernetes.cri.image-name": "localhost/busybox:test"} else {} end'
}

# expect_reject ID RULE TEXT: `create` of bundle $(bdir ID) is refused with RULE.
expect_reject() {
	local rc=0
	gate create --bundle "$(bdir "$1")" "$P$1" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "$1: exit $rc, want 1: $(cat "$T/err")"
	grep -q "$2: .*$3" "$T/err" || fail "$1: no $2 finding ($3): $(cat "$T/err")"
	if "$RUNC" --root "$ROOT" list -q | grep -qx "$P$1"; then fail "$1 was created"; fi
}
expect_run() {
	gate create --bundle "$(bdir "$1")" "$P$1" >/dev/null 2>"$T/err" || fail "$1 refused: $(cat "$T/err")"
	gate start "$P$1" || fail "start $1"
	rt_wait_status "$P$1" running
}
edit() {
	local b=$1
	shift
	b=$(bdir "$b")
	jq "$@" "$b/config.json" >"$b/config.new" && mv "$b/config.new" "$b/config.json"
}

# ---- a foreign mount namespace ----
helper unshare -m --propagation private sleep 1000
victim=$LAST
victim_root=$(stat -L -c %i "/proc/$victim/root")
rt_bundle "$T/mnt" 1000
edit mnt "(.linux.namespaces[] | select(.type == \"mount\")) += {path: \"/proc/$victim/ns/mnt\"}"
expect_reject mnt host-namespaces "mount namespace joined by path"
[ "$(stat -L -c %i "/proc/$victim/root")" = "$victim_root" ] || fail "the victim's root changed"

# ---- a pod: sandbox and app container ----
mkdir -p "$K"
rt_bundle "$(bdir sb)" 65535
# shellcheck disable=SC2016 # jq variable
edit sb --argjson a "$(pod_ann sandbox "$P"sb)" '.annotations = $a'
expect_run sb
sbpid=$("$RUNC" --root "$ROOT" state "$P"sb | jq -r .pid)
rt_bundle "$(bdir app)" 1000
edit app --argjson a "$(pod_ann container "$P"sb)" "(.linux.namespaces[] | select(.type == \"network\" or .type == \"ipc\" or .type == \"uts\"))
	|= (.path = \"/proc/$sbpid/ns/\" + (if .type == \"network\" then \"net\" else .type end))
	| .annotations = \$a"
expect_run app
[ "$(stat -L -c %i "/proc/$sbpid/ns/net")" = \
	"$(stat -L -c %i "/proc/$("$RUNC" --root "$ROOT" state "$P"app | jq -r .pid)/ns/net")" ] ||
	fail "app is not in the sandbox's network namespace"
# trips: a sandbox id that is not the pid's, a process that is no container
cp -r "$(bdir app)" "$(bdir app2)"
edit app2 '.annotations["io.kubernetes.cri.sandbox-id"] = "other"'
expect_reject app2 host-namespaces "not the pod sandbox's init process"
helper unshare -n sleep 1000
netproc=$LAST
rt_bundle "$T/net" 1000
edit net "(.linux.namespaces[] | select(.type == \"network\")) += {path: \"/proc/$netproc/ns/net\"}"
expect_reject net host-namespaces "not the init process of a container of this runtime"

# ---- joined user namespace behind decoy mappings ----
helper unshare -U -r sleep 1000
rootns=$LAST
rt_bundle "$T/decoy" 0
edit decoy ".linux.namespaces += [{type: \"user\", path: \"/proc/$rootns/ns/user\"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]"
expect_reject decoy root-user "host root"
grep -q "userns-host-root: user namespace joined by path" "$T/err" || fail "decoy: $(cat "$T/err")"
# near miss: the sandbox of a pod with a user namespace mapping 0 -> 100000;
# its app container joins it as uid 0 (runc wants mappings in the config
# even when it joins; they are not what it applies)
rt_bundle "$T/usb" 0
chmod 0755 "$T/usb" "$T/usb/rootfs"
# shellcheck disable=SC2016 # jq's own \(...) interpolation
edit usb --arg p "$P" '.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .mounts |= map(select(.type != "cgroup" and .type != "sysfs"))
	| .annotations = {"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "\($p)usb"}'
expect_run usb
usbpid=$("$RUNC" --root "$ROOT" state "$P"usb | jq -r .pid)
rt_bundle "$T/uapp" 0
edit uapp "(.linux.namespaces[] | select(.type == \"network\" or .type == \"ipc\" or .type == \"uts\"))
	|= (.path = \"/proc/$usbpid/ns/\" + (if .type == \"network\" then \"net\" else .type end))
	| .linux.namespaces += [{type: \"user\", path: \"/proc/$usbpid/ns/user\"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .mounts |= map(select(.type != \"cgroup\" and .type != \"sysfs\"))
	| .annotations = {\"io.kubernetes.cri.container-type\": \"container\",
	  \"io.kubernetes.cri.sandbox-id\": \"${P}usb\"}"
expect_run uapp
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$("$RUNC" --root "$ROOT" state "$P"uapp | jq -r .pid)/status")
[ "$uid" = 100000 ] || fail "uapp runs as host uid $uid"

# ---- cgroupsPath of a host service ----
svc=/system.slice/ocigate-e2e-$$.service
for h in /sys/fs/cgroup/pids /sys/fs/cgroup; do
	[ -e "$h/cgroup.procs" ] || continue
	mkdir -p "$h$svc" && CGROUPS="$h$svc $h/system.slice $CGROUPS" && break
done
[ -d "$h$svc" ] || fail "cannot make a cgroup for the service"
helper sh -c "echo \$\$ > $h$svc/cgroup.procs && exec sleep 1000"
rt_bundle "$T/cg" 1000
edit cg ".linux.cgroupsPath = \"$svc\" | .linux.resources.pids = {limit: 1}"
expect_reject cg cgroups-path "outside the engines' cgroup parents"
[ "$(cat "$h$svc/pids.max")" = max ] || fail "pids.max written: $(cat "$h$svc/pids.max")"
edit cg ".linux.cgroupsPath = \"/kubepods/../$svc\""
expect_reject cg cgroups-path '\.\.'
# near miss: a new cgroup in the ctr form /NAMESPACE/ID
edit cg ".linux.cgroupsPath = \"/ocigate-e2e-$$/cg\""
for c in /sys/fs/cgroup/*; do CGROUPS="$c/ocigate-e2e-$$/cg $c/ocigate-e2e-$$ $CGROUPS"; done
expect_run cg
[ "$(cat "$h/ocigate-e2e-$$/cg/pids.max")" = 1 ] || fail "the container's own cgroup has no limit"

# ---- supplementary groups resolved by name ----
rt_policy '"rules": { "root-group": "reject" }'
rt_bundle "$T/grp" 1000
printf 'root:x:0:\n1234:x:0:\nusers:x:100:\n' >"$T/grp/rootfs/etc/group"
edit grp '.process.user.additionalGids = [1234]'
# what runc does with it, without the gate
"$RUNC" --root "$ROOT" create --bundle "$T/grp" "$P"raw >/dev/null 2>&1 || fail "runc create raw"
groups=$(awk '/^Groups:/ { $1 = ""; gsub(/[ \t]/, ""); print }' "/proc/$("$RUNC" --root "$ROOT" state "$P"raw | jq -r .pid)/status")
"$RUNC" --root "$ROOT" delete --force "$P"raw
[ "$groups" = 0 ] || fail "runc applied groups '$groups', the premise is gid 0"
expect_reject grp root-group "name of a group with gid 0"
# near miss: no such line
printf 'root:x:0:\nusers:x:100:\n' >"$T/grp/rootfs/etc/group"
expect_run grp
pid=$("$RUNC" --root "$ROOT" state "$P"grp | jq -r .pid)
[ "$(awk '/^Groups:/ { print $2 }' "/proc/$pid/status")" = 1234 ] || fail "groups: $(grep Groups "/proc/$pid/status")"
# exec -g: the running container's image names the group
rt_bundle "$T/grp2" 1000
printf 'root:x:0:\n1234:x:0:\nusers:x:100:\n' >"$T/grp2/rootfs/etc/group"
expect_run grp2
rc=0
gate exec -g 1234 "$P"grp2 id -G >"$T/out" 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || [ -s "$T/out" ]; then fail "exec -g 1234: exit $rc: $(cat "$T/out" "$T/err")"; fi
grep -q "root-group" "$T/err" || fail "exec -g: $(cat "$T/err")"
out=$(gate exec -g 100 "$P"grp2 id -G 2>"$T/err") || fail "exec -g 100: $(cat "$T/err")"
case " $out " in *" 100 "*) ;; *) fail "exec -g 100: groups $out" ;; esac
rt_policy ''

rt_log "ok"
