#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Cost linear in the document (spec section 3 and 9): configs of one shape
# at 1, 2, 4, 8 and 16 MiB, each judged and rewritten by `ocigate rewrite`
# (the engine runtime mode uses, without the host), timed over RUNS runs
# (median CPU time; wall time and peak RSS shown too).  Shapes, at 16 MiB:
#   annotations  ~780k annotations, half run.oci.* (stripped), half ordinary
#   mounts       ~100k tmpfs mounts
#   env          ~100k process.env entries
#   sysctls      ~50k unsafe sysctls (policy: sysctls rewrite, so stripped)
# and two judged with the host checks (--host, as runtime mode does) over
# a small rootfs with /d and /e, root.readonly false:
#   deepdest     ~2,200 tmpfs mounts, each destination 3,000 components
#                climbing in and out of /d and /e (a symlink lookup each
#                step): refused when the lookups per rule pass the budget
#   rodoc        ~160k read-only rbinds of /usr/share/doc (each asks the
#                host's mount table whether anything is mounted below)
# Each 16 MiB config must be judged and rewritten in < 1 s, and the time
# per MiB (above the fixed cost of the base config alone) must stay within
# 2x from 1 to 16 MiB; the exit status says whether every shape held.  Run from a configured build tree:
#
#   ../bench/bench-linear.sh [SHAPE...]       RUNS=5 by default
set -eu -o pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$PWD}
ocigate=$build/ocigate
runs=${RUNS:-5}
[ -x "$ocigate" ] || {
	echo "bench-linear: no ocigate in $build (run from the build tree)" >&2
	exit 2
}
for c in jq python3 awk; do
	command -v $c >/dev/null || {
		echo "bench-linear: needs $c" >&2
		exit 2
	}
done
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(annotations mounts env sysctls deepdest rodoc)

T=$(mktemp -d /tmp/ocigate-bench-linear.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/rootfs/d" "$T/rootfs/e" "$T/rootfs/srv"
printf '{ "rules": { "sysctls": "rewrite" }, "audit": { "path": "%s/audit.jsonl", "syslog": false } }\n' \
	"$T" >"$T/policy.json"

# The base: runc's own spec, running as uid 1000 (so it is hardened, not
# refused), with a placeholder where the entries go.
base() {
	jq -c "$1" "$src/tests/data/generated/runc-spec.json" |
		jq -c '.process.user.uid = 1000 | .process.user.gid = 1000'
}

# gen SHAPE BYTES OUT: a config of about BYTES (never more), one entry kind
# repeated.  awk writes the entries where the base has "@FILL@".
gen() {
	local shape=$1 bytes=$2 out=$3 b entry
	case $shape in
	annotations)
		b=$(base '.annotations = {"@FILL@": ""}')
		entry='"run.oci.%07d":"","org.exam.%07d":"",' ;;
	mounts)
		b=$(base '.mounts += ["@FILL@"]')
		entry='{"destination":"/srv/mounts/tmp-%07d","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec","mode=0755","size=65536k","nr_inodes=4096","uid=1000"]},' ;;
	env)
		b=$(base '.process.env += ["@FILL@"]')
		entry='"VARIABLE_%07d=value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-value-xxx",' ;;
	deepdest)
		b=$(base '.root.readonly = false | .mounts += ["@FILL@"]')
		entry=$(printf '/d/../e/..%.0s' $(seq 750))
		entry='{"destination":"'$entry'/m-%07d","type":"tmpfs","source":"tmpfs","options":["nosuid"]},' ;;
	rodoc)
		b=$(base '.mounts += ["@FILL@"]')
		entry='{"destination":"/srv/doc-%07d","type":"bind","source":"/usr/share/doc","options":["rbind","ro"]},' ;;
	sysctls)
		b=$(base '.linux.sysctl = {"@FILL@": ""}')
		entry='"kernel.bench.s%07d":"0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 9999999999999999999999999999",' ;;
	*)
		echo "bench-linear: unknown shape $shape" >&2
		exit 2 ;;
	esac
	awk -v base="$b" -v entry="$entry" -v bytes="$bytes" '
	BEGIN {
		i = index(base, "\"@FILL@\"")
		pre = substr(base, 1, i - 1)
		post = substr(base, i + length("\"@FILL@\""))
		# a placeholder object member ("@FILL@":"") or array element
		if (substr(post, 1, 3) == ":\"\"") post = substr(post, 4)
		one = length(sprintf(entry, 0, 0))
		per = gsub(/%07d/, "&", entry)
		n = int((bytes - length(pre) - length(post) - 64) / one)
		if (n < 0) n = 0
		if (n == 0 && substr(pre, length(pre)) == ",") pre = substr(pre, 1, length(pre) - 1)
		printf "%s", pre
		for (k = 0; k < n; k++) {
			s = sprintf(entry, k, k)
			if (k == n - 1) s = substr(s, 1, length(s) - 1)
			printf "%s", s
		}
		printf "%s\n", post
		printf "%d\n", n * per > "/dev/stderr"
	}' >"$out" 2>"$out.count"
}

# run FILE: the median over RUNS runs of one rewrite's CPU time (user +
# system from wait4, in microseconds: on a loaded machine wall time
# measures the neighbours); its wall time and peak RSS go to $T/wall, $T/rss
# (a host shape may be refused: exit status 1 is a verdict too)
run() {
	local host=
	case $shape in deepdest | rodoc) host=--host ;; esac
	python3 - "$runs" "$T" "${host:+1}" "$ocigate" rewrite --policy "$T/policy.json" $host "$1" <<'PY'
import os, sys, time
runs, tdir, refusable, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
cpu, wall, rss = [], [], []
for _ in range(runs):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(tdir + "/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.execv(argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    wall.append(int((time.monotonic() - t0) * 1e6))
    if os.waitstatus_to_exitcode(status) not in ((0, 1) if refusable else (0,)):
        sys.exit("bench-linear: %s failed" % " ".join(argv))
    cpu.append(int((ru.ru_utime + ru.ru_stime) * 1e6))
    rss.append(ru.ru_maxrss)
med = lambda v: sorted(v)[(len(v) - 1) // 2]
open(tdir + "/wall", "w").write("%d\n" % med(wall))
open(tdir + "/rss", "w").write("%d\n" % med(rss))
print(med(cpu))
PY
}

fail=0
printf '%-12s %4s %8s %9s %9s %8s %8s\n' shape MiB entries "cpu ms" "wall ms" "ms/MiB" "peak MiB"
for shape in "${shapes[@]}"; do
	min=0 max=0 us16=0
	# the fixed cost (start-up, the base config's own rewrites) is not the
	# document's: time per MiB is measured above it
	gen "$shape" 0 "$T/$shape-0.json"
	us0=$(run "$T/$shape-0.json")
	for mib in 1 2 4 8 16; do
		f=$T/$shape-$mib.json
		gen "$shape" $((mib * 1024 * 1024)) "$f"
		us=$(run "$f")
		per=$(((us > us0 ? us - us0 : 0) / mib))
		[ $min = 0 ] || [ $per -lt $min ] && min=$per
		[ $per -gt $max ] && max=$per
		[ $mib = 16 ] && us16=$us
		# the rewrite really stripped what it should
		case $shape in
		annotations) left=$(jq '[.annotations | keys[] | select(startswith("run.oci."))] | length' "$T/out") ;;
		sysctls) left=$(jq '[.linux.sysctl // {} | keys[] | select(startswith("kernel."))] | length' "$T/out") ;;
		*) left=0 ;;
		esac
		[ "$left" = 0 ] || {
			echo "bench-linear: $shape $mib MiB: $left entries left that the rewrite should strip" >&2
			fail=1
		}
		printf '%-12s %4d %8d %9d %9d %8d %8d\n' "$shape" "$mib" "$(cat "$f.count")" \
			$((us / 1000)) $(($(cat "$T/wall") / 1000)) $((per / 1000)) $(($(cat "$T/rss") / 1024))
		rm -f "$f"
	done
	verdict=ok
	capped=
	# deepdest is refused once the lookups reach the budget: its cost
	# stops growing there, which is the point, so only the limit applies
	[ "$shape" = deepdest ] && capped=1
	if [ "$us16" -ge 1000000 ]; then
		verdict="SLOW: 16 MiB took $((us16 / 1000)) ms (limit 1000)"
		fail=1
	elif [ -z "$capped" ] && { [ "$min" = 0 ] || [ $((max * 10 / min)) -gt 20 ]; }; then
		verdict="NOT LINEAR: time per MiB from $((min / 1000)) to $((max / 1000)) ms (limit 2x)"
		fail=1
	fi
	printf '%-12s %s (per MiB %d.%03d..%d.%03d ms above a fixed %d.%03d ms)\n' "$shape" "$verdict" \
		$((min / 1000)) $((min % 1000)) $((max / 1000)) $((max % 1000)) $((us0 / 1000)) $((us0 % 1000))
done
exit $fail
