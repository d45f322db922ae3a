#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Mount option "remount", with the real runc.  runc 1.1.5 hands MS_REMOUNT
# to mount(2), so the kernel changes the mount already at the destination
# (found through the image's symlinks): an image link /s -> /sys and a
# devpts "remount" at /s leave the container's /sys read-write, and a
# tmpfs "remount,ro" at "/" remounts the host filesystem under the rootfs.
# Through ocigate both are refused; plain runc's outcome is printed.  A
# devpts at /s without remount still lands on /sys, and a cgroup2 at /cg
# shows the host's hierarchy: kernel-mounts refuses both.  Near miss: a
# tmpfs ["ro","size=2m"] runs and is read-only.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

probe='grep -E " /sys sysfs " /proc/mounts | cut -d" " -f4 | cut -d, -f1; grep -E " /data tmpfs " /proc/mounts | cut -d" " -f4 | cut -d, -f1'
rt_bundle "$T/b" 1000 "$(jq -cn --arg p "$probe" '["sh","-c",$p]')"
ln -s /sys "$T/b/rootfs/s"
mkdir "$T/b/rootfs/data"
cp "$T/b/config.json" "$T/config.base"

# refused NAME MOUNT-JSON: the gate refuses the mount for its remount.
refused() {
	jq --argjson m "$2" '.mounts += [$m]' "$T/config.base" >"$T/b/config.json"
	local rc=0
	gate run --bundle "$T/b" "$1" </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "$1: exit $rc, $(cat "$T/out") $(cat "$T/err")"
	grep -q 'host-mounts: mount at .* has option "remount"' "$T/err" || fail "$1: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "$1: the container ran: $(cat "$T/out")"
}

# (a) /sys through the image's symlink.  Plain runc: /sys ends rw.
sys_remount='{"destination":"/s","type":"devpts","source":"devpts","options":["remount"]}'
jq --argjson m "$sys_remount" '.mounts += [$m]' "$T/config.base" >"$T/b/config.json"
out=$(cd "$T/b" && "$RUNC" --root "$ROOT" run plain-sys </dev/null 2>&1) || true
"$RUNC" --root "$ROOT" delete --force plain-sys >/dev/null 2>&1 || true
rt_log "plain runc, devpts remount at /s -> /sys: /sys is $(echo "$out" | head -1)"
refused sys "$sys_remount"

# (b) the filesystem under the rootfs, on a tmpfs of the host's own.
mkdir "$T/host"
mount -t tmpfs -o size=4m ocigate-e2e "$T/host"
trap 'umount -l "$T/host" 2>/dev/null || true; _rt_cleanup' EXIT
cp -a "$T/b" "$T/host/b"
rm -f "$T/host/b/rootfs/s"
cp "$T/host/b/config.json" "$T/host/config.base"
root_remount='{"destination":"/","type":"tmpfs","source":"tmpfs","options":["remount","ro","size=2m"]}'
jq --argjson m "$root_remount" '.mounts += [$m]' "$T/host/config.base" >"$T/host/b/config.json"
rc=0
gate run --bundle "$T/host/b" root </dev/null >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "root: exit $rc, $(cat "$T/out") $(cat "$T/err")"
grep -q 'host-mounts: mount at / has option "remount"' "$T/err" || fail "root: $(cat "$T/err")"
opts=$(findmnt -no OPTIONS "$T/host")
case ,$opts, in
*,rw,*size=4096k*) ;;
*) fail "the host tmpfs changed: $opts" ;;
esac

# kernel-mounts: a devpts at /s lands on /sys through the image's link
# (runtime mode reads the rootfs), and a cgroup2 away from /sys/fs/cgroup
# shows the host's hierarchy: both refused.
for m in '{"destination":"/s","type":"devpts","source":"devpts","options":["newinstance"]}' \
	'{"destination":"/cg","type":"cgroup2","source":"cgroup","options":["ro","nosuid"]}'; do
	jq --argjson m "$m" '.mounts += [$m]' "$T/config.base" >"$T/b/config.json"
	rc=0
	gate run --bundle "$T/b" kmount </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "$m: exit $rc, $(cat "$T/out") $(cat "$T/err")"
	grep -qE 'kernel-mounts: (mount over /sys|cgroup2 mounted at /cg)' "$T/err" || fail "$m: $(cat "$T/err")"
done

# Near miss: the same tmpfs without remount is a new, read-only mount.
jq '.mounts += [{"destination":"/data","type":"tmpfs","source":"tmpfs","options":["ro","size=2m"]}]' \
	"$T/config.base" >"$T/b/config.json"
out=$(gate run --bundle "$T/b" tmpfs-ro </dev/null 2>"$T/err") || fail "tmpfs ro: $(cat "$T/err")"
[ "$out" = "ro
ro" ] || fail "tmpfs ro: $out"
rt_log "ok"
