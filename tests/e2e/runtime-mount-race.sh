#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Check-then-use on bind sources, with the real runc.  A racer flips a
# symlink in a world-writable directory between a harmless directory and
# host "/" while the bundle binds that symlink: through ocigate, none of
# TRIES (default 1000) runs may show the container host "/" (the source is
# refused: it resolves through a directory a non-root user can change).
# Plain runc, for comparison, is raced a few times and how often it lost is
# printed (not asserted: a race).  Near miss: a symlink in a directory only
# root can write is pinned to where it leads and the container starts.
# Also: a bind of /var/run/../var/run/.. (host "/" once /var/run -> /run is
# followed) and an overlay whose lowerdir is host /etc are refused by the
# gate (plain runc shows host files through both), and sysfs ["ro","rw"] is
# refused while ["rw","ro"] runs with a read-only /sys.
. "$(dirname "$0")/lib/runc.sh"
rt_setup
: "${TRIES:=1000}"
: "${RUNC_TRIES:=50}"

probe='if [ -d /mnt/proc/1 ] || [ -e /mnt/etc/passwd ]; then echo HOST; elif [ -e /mnt/HARMLESS ]; then echo harmless; else echo other; fi'
rt_bundle "$T/b" 1000 "$(jq -cn --arg p "$probe" '["sh","-c",$p]')"
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
mkdir "$T/open/harmless"
touch "$T/open/harmless/HARMLESS"
ln -s harmless "$T/open/link"
jq --arg src "$T/open/link" '.mounts += [{"destination":"/mnt","type":"bind","source":$src,
	"options":["rbind","ro"]}]' "$T/b/config.json" >"$T/config.race"
cp "$T/config.race" "$T/b/config.json"

# The racer: as an unprivileged user could, swap the link between the
# harmless directory and "/" as fast as it can (atomic renames, one process).
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import os, sys
d = sys.argv[1]
while True:
    for t in ("harmless", "/"):
        try:
            os.symlink(t, d + "/link.new")
            os.rename(d + "/link.new", d + "/link")
        except OSError:
            pass
' "$T/open" &
racer=$!
# shellcheck disable=SC2154 # rc_ is set inside the trap
trap 'rc_=$?; kill $racer 2>/dev/null || true; wait $racer 2>/dev/null || true; (exit $rc_); _rt_cleanup' EXIT

seen=
for i in $(seq 200); do
	seen="$seen $(readlink "$T/open/link" || true)"
done
case $seen in
*harmless*/*) ;;
*) fail "the racer does not flip the link: $seen" ;;
esac

start=$(date +%s)
host=0 refused=0 ran=0
for i in $(seq "$TRIES"); do
	rc=0
	out=$(gate run --bundle "$T/b" "race$i" </dev/null 2>"$T/err") || rc=$?
	case $out in
	*HOST*) host=$((host + 1)) ;;
	esac
	if [ "$rc" = 1 ] && grep -q 'host-mounts: bind source .* cannot be judged: .*other than root can change' "$T/err"; then
		refused=$((refused + 1))
	elif [ -n "$out" ]; then
		ran=$((ran + 1))
	else
		fail "try $i: exit $rc, $(cat "$T/err")"
	fi
	if [ -n "$out" ]; then
		"$RUNC" --root "$ROOT" delete --force "race$i" >/dev/null 2>&1 || true
		cp "$T/config.race" "$T/b/config.json"
	fi
done
elapsed=$(($(date +%s) - start))
rt_log "through ocigate: $TRIES tries in ${elapsed}s: host / seen $host, refused $refused, ran $ran"
[ "$host" = 0 ] || fail "the container saw host / in $host of $TRIES tries"
[ "$refused" = "$TRIES" ] || fail "only $refused of $TRIES refused"

# Plain runc loses the same race some of the time (printed, not asserted).
runc_host=0
for i in $(seq "$RUNC_TRIES"); do
	cp "$T/config.race" "$T/b/config.json"
	out=$(cd "$T/b" && "$RUNC" --root "$ROOT" run "plain$i" </dev/null 2>/dev/null) || true
	case $out in
	*HOST*) runc_host=$((runc_host + 1)) ;;
	esac
	"$RUNC" --root "$ROOT" delete --force "plain$i" >/dev/null 2>&1 || true
done
rt_log "plain runc: host / seen in $runc_host of $RUNC_TRIES tries"
kill -0 $racer 2>/dev/null || fail "the racer died"
kill $racer 2>/dev/null || true
wait $racer 2>/dev/null || true

# Near miss: the same link in a directory only root can write is judged,
# pinned to its target, and the container sees the harmless directory.
mkdir -m 0755 "$T/closed" "$T/closed/harmless"
touch "$T/closed/harmless/HARMLESS"
ln -s harmless "$T/closed/link"
jq --arg src "$T/closed/link" '.mounts[-1].source = $src' "$T/config.race" >"$T/b/config.json"
out=$(gate run --bundle "$T/b" pinned </dev/null 2>"$T/err") || fail "pinned: $(cat "$T/err")"
[ "$out" = harmless ] || fail "pinned: saw $out"
jq -e --arg t "$T/closed/harmless" '.mounts[-1].source == $t
	and (.annotations["ocigate.rewrites"] | test("host-mounts"))' "$T/b/config.json" >/dev/null ||
	fail "source not pinned: $(jq -c '.mounts[-1]' "$T/b/config.json")"
"$RUNC" --root "$ROOT" delete --force pinned >/dev/null 2>&1 || true

# ".." after a symlink: /var/run -> /run, so the kernel reaches host "/"
# where a lexical reading sees /var/var.  Plain runc shows host "/".
if [ -L /var/run ]; then
	jq '.mounts[-1].source = "/var/run/../var/run/.."' "$T/config.race" >"$T/b/config.json"
	out=$(cd "$T/b" && "$RUNC" --root "$ROOT" run plain-dotdot </dev/null 2>&1) || true
	"$RUNC" --root "$ROOT" delete --force plain-dotdot >/dev/null 2>&1 || true
	[ "$out" = HOST ] || rt_log "note: plain runc with /var/run/../var/run/.. printed: $out"
	rc=0
	gate run --bundle "$T/b" dotdot </dev/null >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" != 1 ] || ! grep -q 'host-mounts: bind mount of host path / at /mounts/' "$T/err"; then
		fail "/var/run/../var/run/..: exit $rc, $(cat "$T/out") $(cat "$T/err")"
	fi
fi

# An overlay of host directories is host storage: refused.  Plain runc
# shows the host's /etc through it.
jq --arg up "$T/ovl/upper" --arg wk "$T/ovl/work" '.mounts[-1] = {"destination":"/mnt/etc","type":"overlay",
	"source":"overlay","options":["lowerdir=/etc","upperdir=\($up)","workdir=\($wk)"]}' \
	"$T/config.race" >"$T/b/config.json"
mkdir -p "$T/ovl/upper" "$T/ovl/work"
out=$(cd "$T/b" && "$RUNC" --root "$ROOT" run plain-ovl </dev/null 2>&1) || true
"$RUNC" --root "$ROOT" delete --force plain-ovl >/dev/null 2>&1 || true
[ "$out" = HOST ] || rt_log "note: plain runc with the overlay printed: $out"
rc=0
gate run --bundle "$T/b" ovl </dev/null >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "overlay: exit $rc, $(cat "$T/out")"
grep -q 'host-mounts: mount of a "overlay" filesystem' "$T/err" || fail "overlay: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "overlay: the container ran: $(cat "$T/out")"

# sysfs: the last of ro/rw wins.
rt_bundle "$T/s" 1000 '["sh","-c","if touch /sys/kernel/ocigate-probe 2>/dev/null || mount -o remount,rw /sys 2>/dev/null; then echo SYS-WRITABLE; fi; grep -E \" /sys sysfs (ro|rw)\" /proc/mounts | cut -d\" \" -f4 | cut -d, -f1"]'
jq '(.mounts[] | select(.type == "sysfs") | .options) |= . + ["ro","rw"]' "$T/s/config.json" >"$T/c" &&
	mv "$T/c" "$T/s/config.json"
rc=0
gate run --bundle "$T/s" sysrw </dev/null >"$T/out" 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || ! grep -q 'kernel-mounts: sysfs at /sys is mounted read-write' "$T/err"; then
	fail "sysfs [ro,rw]: exit $rc, $(cat "$T/err")"
fi
jq '(.mounts[] | select(.type == "sysfs") | .options) |= (map(select(. != "ro" and . != "rw")) + ["rw","ro"])' \
	"$T/s/config.json" >"$T/c" && mv "$T/c" "$T/s/config.json"
out=$(gate run --bundle "$T/s" sysro </dev/null 2>"$T/err") || fail "sysfs [rw,ro]: $(cat "$T/err")"
[ "$out" = ro ] || fail "sysfs [rw,ro]: $out"
rt_log "ok"
