# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Run the probe and the workload in real runc containers started through
# ocigate (runtime mode).  Sourced by tests/e2e/seccomp-*.sh and
# confinement-*.sh after tests/e2e/lib/common.sh.
#
#   gate_setup                 needs root, runc, jq, gcc (static libc),
#                              busybox-static and $OCIGATE; makes $GATE_WORK
#                              (removed at exit), builds the static probe into
#                              a shared busybox rootfs and writes the base
#                              config $GATE_WORK/base.json: `runc spec`, no
#                              terminal, uid/gid 1000, a tmpfs on /tmp, no
#                              linux.seccomp, root.path the shared rootfs
#   gate_policy FILE [JSON]    write a policy: audit.path in $GATE_WORK plus
#                              the members of the JSON object given
#   gate_config OUT JQ [--arg/--argjson/--slurpfile ...]
#                              the base config through a jq filter
#   gate_run POLICY CONFIG -- ARGS...
#                              copy CONFIG into a fresh bundle, set
#                              process.args, run it with `OCIGATE_RUNTIME=runc
#                              OCIGATE_POLICY=POLICY $OCIGATE --root STATE run`
#                              and delete it.  Sets $out (stdout+stderr), $rc
#                              and $bundle (its config.json is what ocigate
#                              handed to runc).
#   ok STATUS DESC / check DESC CMD...
#                              TAP lines (check: CMD's exit status, its
#                              stdout dropped); gate_done prints the plan and
#                              exits 0 only if every check passed
#   probe_lines WORD           the probe output's lines starting with WORD
#                              (BLOCKED, ALLOWED, SKIP), attempt names only,
#                              sorted
#
# Environment: OCIGATE (required), RUNC (default: runc on PATH), BUSYBOX,
# CC (default gcc), TIMEOUT per container (default 120 s).

: "${TIMEOUT:=120}"
: "${CC:=gcc}"
GATE_N=0
GATE_FAIL=0
GATE_SEQ=0
GATE_IDS=()

gate_setup() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	e2e_need_root
	e2e_need_cmd jq "$CC" runc
	[ -n "${OCIGATE:-}" ] && [ -x "$OCIGATE" ] || e2e_die "OCIGATE must name the built ocigate binary"
	[ -x "$BUSYBOX" ] || e2e_die "no static busybox at $BUSYBOX (apt install busybox-static)"
	RUNC=$(readlink -f "$(command -v "${RUNC:-runc}")") || e2e_die "no runc"
	GATE_PROBE_SRC=$here
	tmpdir GATE_WORK ocigate-confinement
	GATE_STATE=$GATE_WORK/state
	mkdir -p "$GATE_STATE"
	on_exit _gate_delete_all
	GATE_ROOTFS=$GATE_WORK/rootfs
	make_busybox_rootfs "$GATE_ROOTFS"
	mkdir -p "$GATE_ROOTFS/probe"
	"$CC" -static -O2 -Wall -o "$GATE_ROOTFS/probe/probe" "$here/probe.c" -lpthread ||
		e2e_die "cannot build the static probe (needs a static libc)"
	cp "$here/workload.sh" "$GATE_ROOTFS/probe/workload.sh"
	(cd "$GATE_WORK" && "$RUNC" spec) || e2e_die "runc spec failed"
	jq --arg root "$GATE_ROOTFS" '.process.terminal = false | .root.path = $root
		| .process.user = {uid: 1000, gid: 1000}
		| del(.linux.seccomp)
		| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
		               options: ["nosuid", "nodev", "mode=1777", "size=65536k"]}]' \
		"$GATE_WORK/config.json" >"$GATE_WORK/base.json" || e2e_die "base config"
	rm -f "$GATE_WORK/config.json"
	GATE_AUDIT=$GATE_WORK/audit.jsonl
}

_gate_delete_all() {
	local id
	for id in "${GATE_IDS[@]}"; do
		"$RUNC" --root "$GATE_STATE" delete -f "$id" >/dev/null 2>&1 || true
	done
}

gate_policy() {
	local file=$1 extra=${2:-"{}"}
	jq -n --arg audit "$GATE_AUDIT" --argjson extra "$extra" \
		'{audit: {path: $audit, syslog: false}} * $extra' >"$file" || e2e_die "policy $file"
	"$OCIGATE" policy check --policy "$file" >/dev/null || e2e_die "policy $file does not check"
}

gate_config() {
	local outf=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$GATE_WORK/base.json" >"$outf" || e2e_die "config $outf"
}

gate_run() {
	local pol=$1 cfg=$2 id args
	shift 3 # POLICY CONFIG --
	GATE_SEQ=$((GATE_SEQ + 1))
	id=ocigate-conf-$$-$GATE_SEQ
	bundle=$GATE_WORK/bundle-$GATE_SEQ
	mkdir -p "$bundle"
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	GATE_IDS+=("$id")
	# runc 1.1.5 sometimes loses its own start race on a loaded machine
	# ("container process is already dead", no ocigate involved): that
	# run says nothing about the profile, so it is tried again.
	local _
	for _ in 1 2 3; do
		jq --argjson a "$args" '.process.args = $a' "$cfg" >"$bundle/config.json" || e2e_die "bundle $bundle"
		rc=0
		out=$(cd "$bundle" && OCIGATE_RUNTIME=$RUNC OCIGATE_POLICY=$pol \
			timeout -k 10 "$TIMEOUT" "$OCIGATE" --root "$GATE_STATE" run "$id" </dev/null 2>&1) || rc=$?
		"$RUNC" --root "$GATE_STATE" delete -f "$id" >/dev/null 2>&1 || true
		case $out in *"container process is already dead"*) ;; *) break ;; esac
	done
}

ok() { # ok STATUS DESCRIPTION  (STATUS 0 = pass)
	GATE_N=$((GATE_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $GATE_N - $2"
	else
		echo "not ok $GATE_N - $2"
		GATE_FAIL=1
	fi
}

check() { # check DESCRIPTION CMD...
	local d=$1 s=0
	shift
	"$@" >/dev/null || s=$?
	ok "$s" "$d"
}

# show: the last container's output, indented, for the log
show() { printf '%s\n' "$out" | sed 's/^/    /'; }

probe_lines() {
	printf '%s\n' "$out" | awk -v w="$1" '$1 == w { print $2 }' | sort
}

# same_json A B: the same JSON value (key order aside)
same_json() { cmp -s <(jq -S . "$1") <(jq -S . "$2"); }

gate_done() {
	echo "1..$GATE_N"
	exit "$GATE_FAIL"
}
