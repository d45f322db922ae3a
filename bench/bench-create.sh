#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# ocigate's own cost on `create`, against a bare exec wrapper and the
# runtime alone (see bench/README.md).  Run from a configured build tree:
#
#   ../bench/bench-create.sh [ROUNDS]        # default 2000
#   E2E=1 ../bench/bench-create.sh [ROUNDS]  # also `runc run true` end to end
#
# As root the bundle lives on a private tmpfs (as /run is on a node) and
# the container joins the namespaces of a holder process by /proc/PID/ns
# paths, as a CRI container joins its sandbox's, so the host-specific
# namespace checks run; otherwise the bundle is in $TMPDIR and the
# namespaces are the container's own.
set -eu -o pipefail

rounds=${1:-2000}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$PWD}
ocigate=$build/ocigate
[ -x "$ocigate" ] || {
	echo "bench-create: no ocigate in $build (run from the build tree)" >&2
	exit 2
}
command -v jq >/dev/null || {
	echo "bench-create: needs jq" >&2
	exit 2
}
make -s -C "$build" bench/bench-create bench/bare-exec

T=$(mktemp -d /tmp/ocigate-bench.XXXXXX)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	if [ -n "${RUNC_ROOT:-}" ]; then
		for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
			runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1
		done
	fi
	mountpoint -q "$T" && umount -l "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# containerd's CRI output for a pod without a securityContext, as
# captured from a real node (tests/data/generated), running as uid 1000 so
# it is hardened rather than rejected: 14 capabilities, no seccomp, a
# writable root, CRI annotations.
jq_ns='.'
if [ "$(id -u)" = 0 ]; then
	mount -t tmpfs -o size=64m,mode=0755 ocigate-bench "$T"
	unshare --ipc --uts --net sleep infinity &
	holder=$!
	sleep 0.2
	jq_ns="(.linux.namespaces[] | select(.path) | .path) |= sub(\"/proc/[0-9]+/\"; \"/proc/$holder/\")"
else
	jq_ns='del(.linux.namespaces[].path)'
fi
mkdir -p "$T/bundle/rootfs"
# The bind sources (kubelet's and containerd's per-pod files) exist on a
# node, and ocigate resolves their symlinks: give them a home under $T.
jq --arg h "$T/host" ".process.user = {\"uid\": 1000, \"gid\": 1000} | $jq_ns
	| (.mounts[] | select(.type == \"bind\") | .source) |= (\$h + .)" \
	"$src/tests/data/generated/cri-container.json" >"$T/template.json"
for f in $(jq -r '.mounts[] | select(.type == "bind") | .source' "$T/template.json"); do
	mkdir -p "$(dirname "$f")"
	: >"$f"
done
printf '{ "audit": { "path": "%s/audit.jsonl", "syslog": false } }\n' "$T" >"$T/policy.json"

# As root the timed loop runs SCHED_FIFO on one CPU, so whatever else the
# machine runs does not land between a spawn and its exit (RT=0: as is).
# Not for the e2e part: a real-time task cannot join runc's cpu cgroup.
rt=()
if [ "$(id -u)" = 0 ] && [ "${RT:-1}" = 1 ] && command -v chrt >/dev/null; then
	rt=(chrt -f 50 taskset -c "$(($(nproc) - 1))")
fi
echo "== create: ocigate vs bare-exec vs /bin/true ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)${rt:+, SCHED_FIFO})"
OCIGATE_POLICY=$T/policy.json "${rt[@]}" "$build/bench/bench-create" "$rounds" "$T/bundle" \
	"$T/template.json" "$ocigate" "$build/bench/bare-exec"

if [ "${E2E:-}" = 1 ] && [ "$(id -u)" = 0 ]; then
	# End to end: `runc run` of `true` directly and through ocigate,
	# interleaved; the bundle is already hardened, so both run the same
	# container.
	busybox=${BUSYBOX:-/bin/busybox}
	RUNC_ROOT=$T/runc-root
	b=$T/e2e
	mkdir -p "$b/rootfs/bin"
	cp "$busybox" "$b/rootfs/bin/busybox"
	ln -s busybox "$b/rootfs/bin/true"
	(cd "$b" && runc spec)
	jq '.process.terminal = false | .process.args = ["/bin/true"] | .process.user = {"uid":1000,"gid":1000}' \
		"$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
	OCIGATE_POLICY=$T/policy.json OCIGATE_RUNTIME=/usr/bin/runc "$ocigate" --root "$RUNC_ROOT" \
		run --bundle "$b" warmup </dev/null || {
		echo "bench-create: runc run through ocigate failed" >&2
		exit 2
	}
	n=$((rounds / 10))
	: >"$T/direct"
	: >"$T/gated"
	for i in $(seq "$n"); do
		s=$(date +%s%N)
		runc --root "$RUNC_ROOT" run --bundle "$b" "d$i" </dev/null
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$T/direct"
		s=$(date +%s%N)
		OCIGATE_POLICY=$T/policy.json OCIGATE_RUNTIME=/usr/bin/runc "$ocigate" --root "$RUNC_ROOT" \
			run --bundle "$b" "g$i" </dev/null
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$T/gated"
	done
	md() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	d=$(md "$T/direct")
	g=$(md "$T/gated")
	echo "== runc run true, $n rounds (median microseconds)"
	echo "runc alone        $d"
	echo "through ocigate   $g  (+$((g - d)) us, $(awk -v d="$d" -v g="$g" 'BEGIN { printf "%.1f", (g - d) * 100 / d }') %)"
fi
