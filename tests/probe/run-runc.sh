#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Run the probe and the shell workload in busybox containers with runc
# directly (no ocigate), with and without the default seccomp profile.
#
#   tests/probe/run-runc.sh [PROFILE]      (default: profiles/seccomp/default.json)
#
# Needs root, runc, jq, gcc with a static libc, and busybox-static
# (/bin/busybox).  RUNC overrides the runtime binary; KEEP=1 keeps the work
# directory; TIMEOUT bounds each container run (default 120 s).  Containers
# get a private `runc --root` and are deleted on exit.
# Prints one "ok"/"not ok" line per scenario (the container's output
# follows, indented); exits 0 only if every scenario behaved as expected,
# 77 (skip) when not root or a tool is missing, 2 when the setup fails.

# shellcheck disable=SC2016  # jq programs are single-quoted on purpose

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
profile=${1:-$top/profiles/seccomp/default.json}
RUNC=${RUNC:-runc}
TIMEOUT=${TIMEOUT:-120}	# seconds per container
BUSYBOX=${BUSYBOX:-/bin/busybox}
# A defaultErrnoRet no syscall returns by itself: proves that a block is seccomp's.
MARK_ERRNO=200

work=$(mktemp -d /tmp/ocigate-probe.XXXXXX)
state=$work/state
ids=
cleanup() {
	for id in $ids; do
		"$RUNC" --root "$state" delete -f "$id" >/dev/null 2>&1
	done
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "Bail out! $*"; exit 2; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v "$RUNC" >/dev/null || skip "no $RUNC"
command -v jq >/dev/null || skip "no jq"
[ -x "$BUSYBOX" ] || skip "no $BUSYBOX (install busybox-static)"
jq -e . "$profile" >/dev/null || die "cannot read $profile"

# --- rootfs: busybox + applet links, the probe and the workload script
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/probe" "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" || die mkdir
chmod 1777 "$rootfs/tmp" || die chmod  # runc gives a tmpfs the mode of the directory under it
cp "$BUSYBOX" "$rootfs/bin/busybox" || die "copy busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
done
${CC:-gcc} -static -O2 -Wall -o "$rootfs/probe/probe" "$here/probe.c" -lpthread || die "build probe"
cp "$here/workload.sh" "$rootfs/probe/workload.sh" || die "copy workload"

# --- base config: `runc spec` (root with 3 capabilities, read-only root,
# no seccomp) plus a tmpfs on /tmp and no terminal.
(cd "$work" && "$RUNC" spec) || die "runc spec"
jq --arg root "$rootfs" '.process.terminal = false | .root.path = $root
	| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
	               options: ["nosuid", "nodev", "mode=1777", "size=65536k"]}]' \
	"$work/config.json" >"$work/base.json" || die "base config"

# Filters applied on top of the base config.
HARDENED='.process.user = {uid: 65534, gid: 65534} | .process.noNewPrivileges = true
	| .process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}
	| .root.readonly = true'
SECCOMP='.linux.seccomp = $p[0]'
MARKED='.linux.seccomp = ($p[0] | .defaultErrnoRet = $mark)'

fail=0
n=0
seq_id=0

# scenario DESCRIPTION EXPECT(0|nonzero) JQ-FILTER -- ARGS...
# Sets $out to the container's output.
scenario() {
	desc=$1 expect=$2 filter=$3
	shift 4
	seq_id=$((seq_id + 1))
	id=ocigate-probe-$$-$seq_id
	bundle=$work/bundle-$seq_id
	mkdir -p "$bundle"
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .) || die "args for $desc"
	jq --slurpfile p "$profile" --argjson mark "$MARK_ERRNO" --argjson args "$args" \
		"$filter | .process.args = \$args" \
		<"$work/base.json" >"$bundle/config.json" || die "config for $desc"
	ids="$ids $id"
	# A broken profile can make a shell spin (e.g. wait4 denied): bound each run.
	out=$(timeout -k 10 "$TIMEOUT" "$RUNC" --root "$state" run --bundle "$bundle" "$id" </dev/null 2>&1)
	rc=$?
	"$RUNC" --root "$state" delete -f "$id" >/dev/null 2>&1
	n=$((n + 1))
	if { [ "$expect" = 0 ] && [ "$rc" = 0 ]; } || { [ "$expect" != 0 ] && [ "$rc" != 0 ]; }; then
		echo "ok $n - $desc (exit $rc)"
	else
		echo "not ok $n - $desc (exit $rc, want $expect)"
		fail=1
	fi
	printf '%s\n' "$out" | sed 's/^/    /'
}

scenario "profile, uid 65534, no caps, nnp, ro root: probe blocked" 0 \
	"$HARDENED | $SECCOMP" -- /probe/probe blocked
scenario "profile, uid 65534, no caps, nnp, ro root: probe allowed" 0 \
	"$HARDENED | $SECCOMP" -- /probe/probe allowed /tmp
scenario "profile, uid 65534, no caps, nnp, ro root: workload.sh" 0 \
	"$HARDENED | $SECCOMP" -- /bin/sh /probe/workload.sh /tmp
scenario "profile with defaultErrnoRet $MARK_ERRNO: every block comes from seccomp" 0 \
	"$HARDENED | $MARKED" -- /probe/probe blocked --errno "$MARK_ERRNO"
scenario "profile, root with runc spec's capabilities: probe blocked" 0 \
	"$SECCOMP" -- /probe/probe blocked
scenario "profile, root with runc spec's capabilities: probe allowed" 0 \
	"$SECCOMP" -- /probe/probe allowed /tmp
scenario "profile, root with runc spec's capabilities: workload.sh" 0 \
	"$SECCOMP" -- /bin/sh /probe/workload.sh /tmp

scenario "no seccomp (runc spec default): probe blocked must fail" nonzero \
	"." -- /probe/probe blocked
allowed=$(printf '%s\n' "$out" | grep -c '^ALLOWED')
n=$((n + 1))
if [ "$allowed" -ge 10 ]; then
	echo "ok $n - no seccomp: $allowed attempts not blocked"
else
	echo "not ok $n - no seccomp: only $allowed attempts not blocked (want >= 10)"
	fail=1
fi
scenario "no seccomp, uid 65534, no caps: nothing fails with errno $MARK_ERRNO" nonzero \
	"$HARDENED" -- /probe/probe blocked --errno "$MARK_ERRNO"
blocked=$(printf '%s\n' "$out" | grep -c '^BLOCKED')
n=$((n + 1))
if [ "$blocked" -eq 0 ]; then
	echo "ok $n - no seccomp: no attempt reported BLOCKED with errno $MARK_ERRNO"
else
	echo "not ok $n - no seccomp: $blocked attempts reported BLOCKED with errno $MARK_ERRNO"
	fail=1
fi
scenario "no seccomp: probe allowed still passes" 0 \
	"$HARDENED" -- /probe/probe allowed /tmp

echo "1..$n"
exit $fail
