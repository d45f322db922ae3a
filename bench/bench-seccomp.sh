#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# What a seccomp profile costs runc to load (see bench/README.md): `runc run`
# of busybox `true` from one bundle, only `linux.seccomp` differing, in one
# interleaved loop (rotating order):
#
#   none        no profile: the zero;
#   containerd  containerd 1.6's RuntimeDefault (bench/data);
#   podman      podman 4.3's default (bench/data);
#   ocigate     the profile ocigate injects into this bundle.
#
# Then the libseccomp part of that work alone, in one process
# (bench/seccomp-compile), over the same profiles: a steadier figure.
#
# Run as root from a configured build tree:
#
#   ../bench/bench-seccomp.sh [ROUNDS]          # default 200
#
# PROFILE_<name>=FILE adds a variant (an OCI LinuxSeccomp object) to both.
set -eu -o pipefail

rounds=${1:-200}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$PWD}
ocigate=$build/ocigate
runc=${RUNC:-/usr/bin/runc}
busybox=${BUSYBOX:-/bin/busybox}
die() {
	echo "bench-seccomp: $*" >&2
	exit 2
}
[ -x "$ocigate" ] || die "no ocigate in $build (run from the build tree)"
[ "$(id -u)" = 0 ] || die "needs root (it starts containers)"
command -v jq >/dev/null || die "needs jq"
[ -x "$busybox" ] || die "needs busybox-static ($busybox)"
make -s -C "$build" bench/seccomp-compile

T=$(mktemp -d /tmp/ocigate-bench-seccomp.XXXXXX)
root=$T/runc-root
cleanup() {
	for id in $("$runc" --root "$root" list -q 2>/dev/null); do
		"$runc" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT

# One read-only rootfs for every bundle: busybox and its `true`.
mkdir -p "$T/rootfs/bin"
cp "$busybox" "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/true"
(cd "$T" && "$runc" spec)
jq --arg r "$T/rootfs" '.process.terminal = false | .process.args = ["/bin/true"]
	| .root = {"path": $r, "readonly": true} | del(.linux.seccomp)' \
	"$T/config.json" >"$T/base.json"

# The profile ocigate injects: rewrite the bundle as a non-root container
# (default policy, audit off) and keep only what it put in linux.seccomp.
printf '{ "audit": { "path": "", "syslog": false } }\n' >"$T/policy.json"
jq '.process.user = {"uid": 1000, "gid": 1000}' "$T/base.json" >"$T/gate-in.json"
"$ocigate" rewrite --policy "$T/policy.json" -o "$T/gate-out.json" "$T/gate-in.json" ||
	die "ocigate rewrite failed"
jq -e '.linux.seccomp' "$T/gate-out.json" >"$T/ocigate.json" ||
	die "ocigate injected no seccomp profile"

names=(none containerd podman ocigate)
declare -A prof=(
	[containerd]=$src/bench/data/containerd-1.6-runtimedefault.json
	[podman]=$src/bench/data/podman-4.3-default.json
	[ocigate]=$T/ocigate.json
)
for v in $(compgen -v PROFILE_ || true); do
	n=${v#PROFILE_}
	names+=("$n")
	prof[$n]=${!v}
done
for n in "${names[@]}"; do
	mkdir -p "$T/b-$n"
	if [ "$n" = none ]; then
		cp "$T/base.json" "$T/b-$n/config.json"
	else
		jq --slurpfile p "${prof[$n]}" '.linux.seccomp = $p[0]' "$T/base.json" >"$T/b-$n/config.json"
	fi
	"$runc" --root "$root" run --bundle "$T/b-$n" "warm-$n" </dev/null ||
		die "runc run with the $n profile failed"
	: >"$T/t-$n"
done

# What runc loads: rules and names for the host's architectures.
summary() {
	jq -r '"\(.syscalls | length) rules, \([.syscalls[].names | length] | add) names, \(.architectures | length) arches"' "$1"
}

# CPU time of runc and everything it waited for (runc init, the
# container), from the shell's own children times: steadier than the wall
# clock on a loaded machine, since time spent waiting for a CPU is not in it.
cpu=0
to_us() { # 1m2.345s -> microseconds
	local m=${1%%m*} sec=${1#*m}
	sec=${sec%s}
	echo $(((10#$m * 60 + 10#${sec%.*}) * 1000000 + 10#${sec#*.} * 1000))
}
child_cpu() {
	local _self u s
	times >"$T/times"
	{
		read -r _self
		read -r u s
	} <"$T/times"
	cpu=$(($(to_us "$u") + $(to_us "$s")))
}

echo "== runc run true, $rounds rounds, interleaved ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1 /proc/loadavg))"
k=${#names[@]}
for ((i = 0; i < rounds; i++)); do
	for ((j = 0; j < k; j++)); do
		n=${names[(i + j) % k]}
		child_cpu
		c=$cpu
		s=$EPOCHREALTIME
		"$runc" --root "$root" run --bundle "$T/b-$n" "r$i-$n" </dev/null
		e=$EPOCHREALTIME
		child_cpu
		echo $((${e/./} - ${s/./})) >>"$T/t-$n"
		echo $((cpu - c)) >>"$T/c-$n"
	done
done

md() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The mean of the middle half: as robust as the median, and finer than the
# millisecond the shell reports CPU times in.
iqm() { sort -n "$1" | awk '{ v[NR] = $1 } END { for (i = int(NR / 4) + 1; i <= NR - int(NR / 4); i++) { s += v[i]; n++ } printf "%d\n", s / n }'; }
report() { # report PREFIX TITLE STATISTIC
	local zero cd_ m shape n
	zero=$($3 "$T/$1-none")
	cd_=$($3 "$T/$1-containerd")
	printf '%-12s %10s %10s %8s  %s\n' profile "$2" "added us" "/ contd" shape
	for n in "${names[@]}"; do
		m=$($3 "$T/$1-$n")
		shape=-
		[ "$n" = none ] || shape=$(summary "${prof[$n]}")
		awk -v n="$n" -v m="$m" -v z="$zero" -v c="$cd_" -v s="$shape" 'BEGIN {
			a = m - z
			r = (c - z) > 0 ? sprintf("%.2f", a / (c - z)) : "-"
			printf "%-12s %10d %10d %8s  %s\n", n, m, a, (n == "none" ? "-" : r), s
		}'
	done
}
echo "-- wall clock, medians"
report t "wall us" md
echo "-- CPU time (user + system of runc and its children), interquartile means"
report c "cpu us" iqm

echo "== libseccomp alone: runc's filter build, BPF export and ENOSYS-stub lookups ($((rounds * 5)) rounds, interleaved)"
files=()
for n in "${names[@]}"; do
	[ "$n" = none ] || files+=("${prof[$n]}")
done
"$build/bench/seccomp-compile" $((rounds * 5)) "${files[@]}" |
	sed -e "s|$T/||" -e "s|$src/||"
