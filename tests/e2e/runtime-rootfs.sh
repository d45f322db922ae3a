#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The read-only root that applications can live with: a bundle with a
# writable root (uid 1000, an image-like rootfs: /var/run -> ../run, /run
# 0755 root with an app directory /run/app owned by 1000, /tmp and /var/tmp
# 1777, and a secret bound at /var/run/secrets/token) runs through ocigate
# with the root read-only and scratch tmpfs at /tmp, /var/tmp, /run, and:
#  - writes temp files in /tmp and /var/tmp, a FIFO, a unix socket, pid
#    files in /run/app and /var/run/app; runs a binary copied to /tmp (no
#    noexec);
#  - sees what the image prepared (/run/app/ready, owner 1000, copied up)
#    and the secret bound below /run (not hidden by the tmpfs);
#  - cannot write / nor /usr (both 1777 in this image: writable on plain
#    runc), nor /run itself (0755 root in the image, as on a writable root);
#  - the same bundle through plain runc (writable root) does the same
#    actions; the audit record names the tmpfs added;
#  - a bundle that already mounts a tmpfs at /tmp keeps its own (no second
#    one) and still gets /var/tmp and /run.
# shellcheck disable=SC2016 # $(...) and $$ are for the container's shell
# shellcheck disable=SC2015 # fail ends the test
. "$(dirname "$0")/lib/runc.sh"
rt_setup
command -v cc >/dev/null || fail "no C compiler for the workload probe"
cc -static -O2 -o "$T/probe" "$(dirname "$0")/lib/workload-probe.c" || fail "cannot build the workload probe"

mkbundle() {
	local b=$1 args=$2
	rt_bundle "$b" 1000 "$args"
	local r=$b/rootfs
	mkdir -p "$r/run/app" "$r/var/tmp" "$r/usr/bin" "$r/var/lib"
	chmod 0755 "$r/run"
	# / and /usr writable by the user on a writable root, so that only the
	# read-only root can refuse the writes.
	chmod 1777 "$r" "$r/usr"
	chmod 1777 "$r/tmp" "$r/var/tmp"
	ln -sfn ../run "$r/var/run"
	echo ready >"$r/run/app/ready"
	chown -R 1000:1000 "$r/run/app"
	cp "$T/probe" "$r/usr/bin/workload-probe"
	mkdir -p "$T/secrets" && echo s3cret >"$T/secrets/token"
	jq --arg s "$T/secrets" '.root.readonly = false
		| .mounts += [{destination: "/var/run/secrets", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
		"$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
}

ACTIONS='
t() { if "$@" >/dev/null 2>&1; then echo "OK $*"; else echo "FAIL $*"; fi; }
t touch /tmp/a
t touch /var/tmp/a
t mkfifo /tmp/fifo
t workload-probe sock /tmp/s.sock
t workload-probe sock /run/app/s.sock
t sh -c "echo \$\$ >/run/app/app.pid"
t sh -c "echo \$\$ >/var/run/app/app2.pid"
t sh -c "cp /bin/busybox /tmp/true && /tmp/true"
t grep -qx ready /run/app/ready
t sh -c "[ \"\$(stat -c %u /run/app)\" = 1000 ]"
t grep -qx s3cret /var/run/secrets/token
t touch /probe
t touch /usr/probe
t touch /run/probe
echo END'

mkbundle "$T/g" "$(jq -cn --arg s "$ACTIONS" '["sh","-c",$s]')"
gate run --bundle "$T/g" gated </dev/null >"$T/gated.out" 2>"$T/gated.err" || fail "run through ocigate: $(cat "$T/gated.err")"
grep -q '^END$' "$T/gated.out" || fail "through ocigate: $(cat "$T/gated.out" "$T/gated.err")"
mkbundle "$T/p" "$(jq -cn --arg s "$ACTIONS" '["sh","-c",$s]')"
"$RUNC" --root "$ROOT" run --bundle "$T/p" plain </dev/null >"$T/plain.out" 2>"$T/plain.err" || fail "plain runc: $(cat "$T/plain.err")"

jq -e '.root.readonly == true' "$T/g/config.json" >/dev/null || fail "root not read-only"
for d in /tmp /var/tmp /run; do
	jq -e --arg d "$d" '[.mounts[] | select(.destination == $d and .type == "tmpfs"
		and (.options | index("tmpcopyup")) and (.options | index("noexec") | not))] | length == 1' \
		"$T/g/config.json" >/dev/null || fail "no scratch tmpfs at $d: $(jq -c .mounts "$T/g/config.json")"
done
jq -e '([.mounts[].destination] | index("/run")) < ([.mounts[].destination] | index("/var/run/secrets"))' \
	"$T/g/config.json" >/dev/null || fail "the tmpfs at /run comes after the secret below it"

# Every action that is meant to work works through ocigate, as on runc.
for a in "touch /tmp/a" "touch /var/tmp/a" "mkfifo /tmp/fifo" "workload-probe sock /tmp/s.sock" \
	"workload-probe sock /run/app/s.sock" 'sh -c echo $$ >/run/app/app.pid' \
	'sh -c echo $$ >/var/run/app/app2.pid' "sh -c cp /bin/busybox /tmp/true && /tmp/true" \
	"grep -qx ready /run/app/ready" "grep -qx s3cret /var/run/secrets/token"; do
	grep -qxF "OK $a" "$T/plain.out" || fail "plain runc: $a: $(cat "$T/plain.out")"
	grep -qxF "OK $a" "$T/gated.out" || fail "through ocigate: $a: $(cat "$T/gated.out")"
done
grep -qxF 'OK sh -c [ "$(stat -c %u /run/app)" = 1000 ]' "$T/gated.out" || fail "/run/app lost its owner: $(cat "$T/gated.out")"
# The read-only root stays read-only; /run is the image's 0755 root, as before.
for a in "touch /probe" "touch /usr/probe" "touch /run/probe"; do
	grep -qxF "FAIL $a" "$T/gated.out" || fail "through ocigate: $a succeeded"
done
grep -qxF "OK touch /probe" "$T/plain.out" && grep -qxF "OK touch /usr/probe" "$T/plain.out" ||
	fail "plain runc: / or /usr not writable (the comparison is void): $(cat "$T/plain.out")"
grep -qxF "FAIL touch /run/probe" "$T/plain.out" || fail "plain runc: /run writable by 1000"
jq -e 'select(.container_id == "gated" and .decision == "rewrite"
	and (.note | test("readonly-rootfs: scratch tmpfs at /tmp, /var/tmp, /run")))' \
	"$T/audit.jsonl" >/dev/null || fail "audit: $(cat "$T/audit.jsonl")"

# Near miss: the bundle's own tmpfs at /tmp stays the only one.
mkbundle "$T/o" '["sh","-c","touch /tmp/x /var/tmp/x && grep -E \" /(tmp|var/tmp|run) \" /proc/self/mountinfo"]'
jq '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]}]' \
	"$T/o/config.json" >"$T/o/c" && mv "$T/o/c" "$T/o/config.json"
gate run --bundle "$T/o" own </dev/null >"$T/own.out" 2>"$T/own.err" || fail "own /tmp: $(cat "$T/own.err" "$T/own.out")"
[ "$(jq '[.mounts[] | select(.destination == "/tmp")] | length' "$T/o/config.json")" = 1 ] ||
	fail "second tmpfs at /tmp: $(jq -c .mounts "$T/o/config.json")"
grep -q ' /tmp .*size=1024k' "$T/own.out" || fail "the bundle's /tmp is not its own: $(cat "$T/own.out")"
grep -q ' /var/tmp ' "$T/own.out" && grep -q ' /run ' "$T/own.out" || fail "no /var/tmp or /run tmpfs: $(cat "$T/own.out")"
rt_log "ok"
