#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A drop-in: where policy has nothing to decide, ocigate in front of runc
# behaves as runc.  Every runc verb and its common error paths run twice,
# on bare runc and on ocigate (privileged preset, audit mode; then the
# restricted preset with a compliant non-root container), each with its own
# runc root and the same container ids: exit status, stdout and stderr
# must match once container ids' roots, times, pids and pid-file names are
# normalised.  ocigate documents no differing line.
. "$(dirname "$0")/lib/runc.sh"
rt_setup
command -v python3 >/dev/null || skip "python3 not installed"
HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)

RR=$T/root-runc
GR=$T/root-gate
n=0

# norm FILE: what may differ between two runs of the same thing
norm() {
	sed -E -e "s#$RR#ROOT#g; s#$GR#ROOT#g; s#$T/(runc|gate)-#$T/SIDE-#g" \
		-e 's/-(runc|gate)-/-SIDE-/g; s#/sys/fs/cgroup/[a-z_,]+/#/sys/fs/cgroup/C/#g' \
		-e 's/time="[^"]*"/time="T"/g; s/"time":"[^"]*"/"time":"T"/g' \
		-e 's/"created": ?"[^"]*"/"created":"T"/g' \
		-e 's/[0-9]+/N/g; s/[[:space:]]+/ /g' "$1"
}

# side NAME ARGS...: run ARGS on one side (@ROOT@ and @SIDE@ substituted)
# in $T/cwd-NAME, with stdin from $IN if set, else the caller's
side() {
	local name=$1 prog root a args=()
	shift
	if [ "$name" = runc ]; then prog=$RUNC root=$RR; else prog=$OCIGATE root=$GR; fi
	for a in "$@"; do
		a=${a//@ROOT@/$root}
		args+=("${a//@SIDE@/$name}")
	done
	mkdir -p "$T/cwd-$name"
	rc=0
	if [ -n "${IN:-}" ]; then
		(cd "$T/cwd-$name" && exec "$prog" "${args[@]}") <"$IN" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	else
		(cd "$T/cwd-$name" && exec "$prog" "${args[@]}") >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	fi
	echo "$rc" >"$T/$name.rc"
}

# same ARGS...: both sides, compared
same() {
	n=$((n + 1))
	side runc "$@"
	side gate "$@"
	compare "$*"
}

compare() {
	local f
	for f in rc out err; do
		if ! diff <(norm "$T/runc.$f") <(norm "$T/gate.$f") >"$T/diff"; then
			rt_log "runc:  $(cat "$T/runc.rc") $(head -c 600 "$T/runc.out") $(head -c 600 "$T/runc.err")"
			rt_log "gate:  $(cat "$T/gate.rc") $(head -c 600 "$T/gate.out") $(head -c 600 "$T/gate.err")"
			fail "$1: $f differs: $(head -20 "$T/diff")"
		fi
	done
}

rt_policy '"preset": "privileged", "mode": "audit"'
# one bundle per side: a container's default cgroup is named after its id
for s in runc gate; do
	rt_bundle "$T/$s-b" 0
	rt_bundle "$T/$s-fds" 0 '["ls","/proc/self/fd"]'
	for b in b fds; do
		jq --arg cg "/libpod_parent/ocigate-e2e-$$-$s-$b" '.linux.cgroupsPath = $cg' "$T/$s-$b/config.json" >"$T/cfg"
		mv "$T/cfg" "$T/$s-$b/config.json"
	done
done
mkdir -p "$T/nocfg"
jq -n '{terminal: false, user: {uid: 0, gid: 0}, args: ["sh", "-c", "echo from-file; id -u"],
	env: ["PATH=/bin"], cwd: "/"}' >"$T/proc.json"

# ---- no container needed ----
same
same --help
same -h
same --version
same -v
same help
same help create
same create --help
same exec --help
same run -h
same restore --help
same features
same --root @ROOT@ list
same --root @ROOT@ list -q
same --root @ROOT@ list --format json
same --bogus list
same --root @ROOT@ nosuchverb
# spec writes config.json into the working directory
same spec
cmp "$T/cwd-runc/config.json" "$T/cwd-gate/config.json" || fail "spec: config.json differs"
same spec
rm -f "$T"/cwd-*/config.json
same spec --rootless
rm -f "$T"/cwd-*/config.json

# ---- unknown container ----
for verb in state ps start pause resume delete events kill; do
	same --root @ROOT@ $verb nope
done
same --root @ROOT@ delete -f nope
same --root @ROOT@ events --stats nope
same --root @ROOT@ update --pids-limit 10 nope
same --root @ROOT@ checkpoint nope
same --root @ROOT@ exec nope ls
same --root @ROOT@ exec -p "$T/proc.json" nope
same --root @ROOT@ --log-format json exec nope ls
same --root @ROOT@ --log "$T/@SIDE@-log" --log-format json exec nope ls
norm "$T/runc-log" >"$T/l1"
norm "$T/gate-log" >"$T/l2"
cmp "$T/l1" "$T/l2" || fail "exec nope: --log lines differ"
same --root @ROOT@ exec "" ls
same --root @ROOT@ exec bad/id ls

# ---- usage errors, missing bundle or config ----
same --root @ROOT@ run
same --root @ROOT@ create
same --root @ROOT@ exec
same --root @ROOT@ restore
same --root @ROOT@ start
same --root @ROOT@ run a b
same --root @ROOT@ create --bogus c9
same --root @ROOT@ run --bogus c9
same --root @ROOT@ exec --bogus c9 ls
same --root @ROOT@ state --bogus c9
same --root @ROOT@ --log-format yaml create --bundle "$T/@SIDE@-b" c9
same --root @ROOT@ create --bundle "$T/nonexistent" c9
same --root @ROOT@ run --bundle "$T/nonexistent" c9
same --root @ROOT@ restore --bundle "$T/nonexistent" c9
same --root @ROOT@ create --bundle "$T/nocfg" c9
same --root @ROOT@ run -b "$T/nocfg" -d c9
same --root @ROOT@ --log "$T/@SIDE@-log2" create --bundle "$T/nocfg" c9
same --root @ROOT@ create --bundle "$T/@SIDE@-b/config.json" c9
# the working directory as the bundle (it has no config.json)
same --root @ROOT@ create c9
same --root @ROOT@ list -q

# ---- a container's life ----
lifecycle() {
	local uid=$1
	same --root @ROOT@ run -d --pid-file "$T/@SIDE@-pid" --bundle "$T/@SIDE@-b" c1
	if [ ! -s "$T/runc-pid" ] || [ ! -s "$T/gate-pid" ]; then fail "run -d: no pid file"; fi
	rt_wait_status_root "$RR" c1 running
	rt_wait_status_root "$GR" c1 running
	same --root @ROOT@ state c1
	same --root @ROOT@ list
	same --root @ROOT@ ps c1
	same --root @ROOT@ ps --format json c1
	# statistics are the kernel's figures: their shape must match
	side runc --root @ROOT@ events --stats c1
	side gate --root @ROOT@ events --stats c1
	for f in runc gate; do
		jq -c '[.type, .id, (.data | keys)]' "$T/$f.out" >"$T/$f.shape" || fail "events --stats: $f"
		mv "$T/$f.shape" "$T/$f.out"
	done
	compare "events --stats c1"
	same --root @ROOT@ update --pids-limit 100 c1
	# an id in use (under restricted, the cgroups-path rule refuses the
	# running container's cgroup first: a policy decision)
	[ "$uid" != 0 ] || same --root @ROOT@ create --bundle "$T/@SIDE@-b" c1
	same --root @ROOT@ exec c1 id -u
	same --root @ROOT@ exec c1
	# shellcheck disable=SC2016 # expanded in the container
	same --root @ROOT@ exec --user "$uid" -e X=1 --cwd /tmp c1 sh -c 'echo $X; pwd; id -u'
	same --root @ROOT@ exec -p "$T/proc.json" c1
	# a process file from a pipe, /dev/stdin and a FIFO
	n=$((n + 1))
	rc=0
	"$RUNC" --root "$RR" exec -p <(cat "$T/proc.json") c1 >"$T/runc.out" 2>"$T/runc.err" || rc=$?
	echo $rc >"$T/runc.rc"
	rc=0
	"$OCIGATE" --root "$GR" exec -p <(cat "$T/proc.json") c1 >"$T/gate.out" 2>"$T/gate.err" || rc=$?
	echo $rc >"$T/gate.rc"
	compare "exec -p <(pipe)"
	grep -q from-file "$T/gate.out" || fail "exec -p pipe: $(cat "$T/gate.out" "$T/gate.err")"
	IN=$T/proc.json same --root @ROOT@ exec -p /dev/stdin c1
	# stdin a pipe: a fresh one for each side
	side runc --root @ROOT@ exec --process /dev/stdin c1 < <(cat "$T/proc.json")
	side gate --root @ROOT@ exec --process /dev/stdin c1 < <(cat "$T/proc.json")
	compare "exec -p /dev/stdin (pipe)"
	grep -q from-file "$T/gate.out" || fail "exec -p /dev/stdin: $(cat "$T/gate.err")"
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	(cat "$T/proc.json" >"$T/fifo") &
	side runc --root @ROOT@ exec -p "$T/fifo" c1
	wait
	(cat "$T/proc.json" >"$T/fifo") &
	side gate --root @ROOT@ exec -p "$T/fifo" c1
	wait
	compare "exec -p FIFO"
	grep -q from-file "$T/gate.out" || fail "exec -p FIFO: $(cat "$T/gate.err")"
	# a terminal through a console socket
	local s
	for s in runc gate; do
		rm -f "$T/$s.sock" "$T/$s.tty"
		"$HELPERS/console-receiver" "$T/$s.sock" "$T/$s.tty"
		side $s --root @ROOT@ exec -t -d --console-socket "$T/$s.sock" c1 sh -c 'echo tty-ok; tty'
		for _ in $(seq 50); do grep -q pts "$T/$s.tty" 2>/dev/null && break; sleep 0.1; done
	done
	n=$((n + 1))
	compare "exec -t --console-socket"
	grep -q tty-ok "$T/gate.tty" || fail "console: $(cat "$T/gate.tty")"
	diff <(norm "$T/runc.tty") <(norm "$T/gate.tty") || fail "console output differs"
	# descriptors handed to the process, and no other
	IN=/dev/null same --root @ROOT@ exec --preserve-fds 1 c1 ls /proc/self/fd 3</dev/null
	same --root @ROOT@ run --preserve-fds 2 --bundle "$T/@SIDE@-fds" c2 3</dev/null 4</dev/null
	same --root @ROOT@ exec --cgroup sub c1 true
	if [ "$uid" != 0 ]; then
		# where the policy decides: a sibling cgroup sharing the prefix
		# (runc 1.1 checks only that) and a restore are refused
		rc=0
		"$OCIGATE" --root "$GR" exec --cgroup ../c1x c1 true >"$T/out" 2>"$T/err" || rc=$?
		if [ "$rc" != 1 ] || ! grep -q -- '--cgroup "../c1x"' "$T/err"; then
			fail "exec --cgroup ../c1x: $rc $(cat "$T/err")"
		fi
		rc=0
		"$OCIGATE" --root "$GR" restore --bundle "$T/gate-fds" c8 >"$T/out" 2>"$T/err" || rc=$?
		if [ "$rc" != 1 ] || ! grep -q 'restore: a checkpoint image' "$T/err"; then
			fail "restore: $rc $(cat "$T/err")"
		fi
	fi
	same --root @ROOT@ pause c1
	same --root @ROOT@ state c1
	same --root @ROOT@ exec c1 true
	same --root @ROOT@ resume c1
	same --root @ROOT@ resume c1
	# the bundle loses its config: runc's words, without runc reading it
	for s in runc gate; do mv "$T/$s-b/config.json" "$T/$s-b/config.away"; done
	same --root @ROOT@ exec c1 true
	same --root @ROOT@ --log "$T/@SIDE@-log3" --log-format json exec c1 true
	diff <(norm "$T/runc-log3") <(norm "$T/gate-log3") || fail "exec without config: --log differs"
	same --root @ROOT@ exec c1
	for s in runc gate; do mv "$T/$s-b/config.away" "$T/$s-b/config.json"; done
	same --root @ROOT@ kill c1 KILL
	rt_wait_status_root "$RR" c1 stopped
	rt_wait_status_root "$GR" c1 stopped
	same --root @ROOT@ exec c1 true
	same --root @ROOT@ delete c1
	same --root @ROOT@ create --bundle "$T/@SIDE@-b" --pid-file "$T/@SIDE@-pid" c3
	same --root @ROOT@ state c3
	same --root @ROOT@ start c3
	same --root @ROOT@ delete -f c3
	same --root @ROOT@ delete -f c2
	same --root @ROOT@ list
}

rt_wait_status_root() {
	local s
	for _ in $(seq 50); do
		s=$("$RUNC" --root "$1" state "$2" 2>/dev/null | jq -r .status) || s=
		[ "$s" = "$3" ] && return 0
		sleep 0.1
	done
	fail "container $2 in $1 is ${s:-gone}, not $3"
}

lifecycle 0
# restore: runc's CRIU fails on this kernel; the gate lets runc say so
# under the privileged preset
same --root @ROOT@ restore --bundle "$T/@SIDE@-b" --image-path "$T/nonexistent" c8

# ---- restricted preset, a compliant non-root container ----
rt_policy ''
for b in runc-b gate-b runc-fds gate-fds; do
	jq '.process.user = {uid: 1000, gid: 1000}' "$T/$b/config.json" >"$T/cfg"
	"$OCIGATE" rewrite --host -o "$T/$b/config.json" "$T/cfg" || fail "rewrite $b"
	cp "$T/$b/config.json" "$T/$b.before"
done
jq '.user = {uid: 1000, gid: 1000} | .noNewPrivileges = true' "$T/proc.json" >"$T/p" &&
	mv "$T/p" "$T/proc.json"
lifecycle 1000
cmp "$T/gate-b/config.json" "$T/gate-b.before" || fail "a compliant config was rewritten"
# the restricted preset has things to say, and says them only where it decides
same --root @ROOT@ exec nope ls
same --root @ROOT@ create --bundle "$T/nonexistent" c9
same --root @ROOT@ run
[ "$(grep -c '"decision":"reject"' "$T/audit.jsonl")" = 2 ] ||
	fail "rejections audited: $(grep '"decision":"reject"' "$T/audit.jsonl")"

# ---- rewrite -o never replaces a device (in a private /dev) ----
# shellcheck disable=SC2016 # the inner shell's own $1 and $2
unshare -m --propagation private bash -c '
	set -e
	mount -t tmpfs tmpfs /dev
	mknod -m 666 /dev/null c 1 3
	ln -s /proc/self/fd/1 /dev/stdout
	"$1" rewrite -o /dev/null "$2"
	test -c /dev/null
	"$1" rewrite -o /dev/stdout "$2" | jq -e .ociVersion >/dev/null
' sh "$OCIGATE" "$T/gate-b" || fail "rewrite -o /dev/null or /dev/stdout"

rt_log "ok: $n comparisons"
