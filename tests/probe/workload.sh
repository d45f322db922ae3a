#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# An ordinary shell workload that must run under the default seccomp profile
# (and the other hardening ocigate applies): files, pipes, FIFOs, signals,
# background jobs, tar+gzip, sort, find, date, sleep, kill, loops.
#
#   sh workload.sh DIR
#
# Written for busybox sh (POSIX sh otherwise).  Only DIR is written to, so it
# works with a read-only root filesystem and DIR on a tmpfs, as an unprivileged
# uid, without capabilities and with no_new_privs.  Prints one "ok"/"not ok"
# line per step; exits 0 only if every step passed.

set -u

base=${1:?usage: workload.sh DIR}
W=$base/workload.$$
export TMPDIR="$W"
n=0
failed=0

log=$base/.workload-log.$$

# Steps run in this shell (not in a $(...) subshell) so that $$ and traps
# refer to the process that runs them.
step() { # step NAME FUNCTION
	n=$((n + 1))
	if "$2" >"$log" 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/#   /' "$log"
		failed=$((failed + 1))
	fi
}

expect() { # expect WANT GOT WHAT
	[ "$1" = "$2" ] && return 0
	echo "$3: want '$1', got '$2'"
	return 1
}

t_mkdir() {
	mkdir -p "$W/src/sub/deeper" && [ -d "$W/src/sub/deeper" ]
}

t_files() {
	printf 'line one\nline two\n' >"$W/src/a.txt" || return 1
	echo "appended" >>"$W/src/a.txt" || return 1
	expect 3 "$(wc -l <"$W/src/a.txt" | tr -d ' ')" "line count" || return 1
	cp "$W/src/a.txt" "$W/src/sub/b.txt" && mv "$W/src/sub/b.txt" "$W/src/sub/c.txt" || return 1
	ln -s ../a.txt "$W/src/sub/link" || return 1
	expect "../a.txt" "$(readlink "$W/src/sub/link")" "readlink" || return 1
	cmp "$W/src/sub/link" "$W/src/a.txt" || return 1
	touch "$W/src/sub/deeper/empty" && chmod 0640 "$W/src/sub/deeper/empty" || return 1
	expect 640 "$(stat -c %a "$W/src/sub/deeper/empty")" "mode" || return 1
	dd if=/dev/zero of="$W/src/zero.bin" bs=1024 count=64 2>/dev/null || return 1
	expect 65536 "$(wc -c <"$W/src/zero.bin" | tr -d ' ')" "dd size" || return 1
	rm "$W/src/zero.bin" && [ ! -e "$W/src/zero.bin" ]
}

t_pipes() {
	expect 2000 "$(seq 1 2000 | sort -rn | head -n 1)" "sort -rn | head" || return 1
	expect 2001000 "$(seq 1 2000 | awk '{ s += $1 } END { print s }')" "awk sum" || return 1
	expect "b-c" "$(echo a:b:c | cut -d: -f2- | tr ':' '-')" "cut | tr" || return 1
	expect 100 "$(seq 1 1000 | grep -c '0$')" "grep -c" || return 1
	expect "x y z" "$(printf 'z\nx\ny\n' | sort | xargs echo)" "sort | xargs" || return 1
	expect "HELLO" "$(echo hello | sed 's/hello/HELLO/')" "sed" || return 1
	expect 3 "$(printf 'b\na\nb\nc\na\n' | sort -u | wc -l | tr -d ' ')" "sort -u" || return 1
	expect 5 "$(yes | head -n 5 | wc -l | tr -d ' ')" "yes | head (SIGPIPE)" || return 1
}

t_fifo() {
	mkfifo "$W/fifo" || return 1
	(echo "through the fifo" >"$W/fifo") &
	read -r line <"$W/fifo" || return 1
	wait
	rm "$W/fifo"
	expect "through the fifo" "$line" "fifo"
}

t_signals() {
	got=
	trap 'got=USR1' USR1
	kill -USR1 $$ || return 1
	# the trap runs before the next command
	:
	trap - USR1
	expect USR1 "$got" "trap USR1" || return 1

	sleep 30 &
	pid=$!
	kill -0 "$pid" || return 1
	kill -TERM "$pid" || return 1
	wait "$pid"
	expect 143 "$?" "status of a TERMed job" || return 1

	(trap 'exit 7' HUP; while :; do sleep 1; done) &
	pid=$!
	sleep 1
	kill -HUP "$pid" || return 1
	wait "$pid"
	expect 7 "$?" "subshell trap HUP" || return 1

	sh -c 'kill -KILL $$'
	expect 137 "$?" "status of a KILLed process"
}

t_jobs() {
	for i in 1 2 3 4 5; do
		(echo "$i" >"$W/job.$i") &
	done
	wait
	expect 15 "$(cat "$W"/job.* | awk '{ s += $1 } END { print s }')" "background jobs" || return 1
	rm -f "$W"/job.*
}

t_tar() {
	tar czf "$W/src.tgz" -C "$W/src" . || return 1
	mkdir "$W/out" && tar xzf "$W/src.tgz" -C "$W/out" || return 1
	diff -r "$W/src" "$W/out" || return 1
	expect "$(find "$W/src" | wc -l)" "$(tar tzf "$W/src.tgz" | wc -l)" "tar listing"
}

t_gzip() {
	seq 1 5000 >"$W/numbers" || return 1
	gzip -9 -c "$W/numbers" >"$W/numbers.gz" || return 1
	[ "$(wc -c <"$W/numbers.gz")" -lt "$(wc -c <"$W/numbers")" ] || return 1
	gunzip -c "$W/numbers.gz" | cmp - "$W/numbers" || return 1
	rm "$W/numbers.gz" && gzip "$W/numbers" && gunzip "$W/numbers.gz" && [ -f "$W/numbers" ] || return 1
	expect "$(seq 1 5000 | md5sum | cut -d' ' -f1)" "$(md5sum <"$W/numbers" | cut -d' ' -f1)" "md5sum" || return 1
	sha256sum "$W/numbers" >/dev/null
}

t_find() {
	expect 2 "$(find "$W/src" -name '*.txt' | wc -l | tr -d ' ')" "find -name" || return 1
	expect 1 "$(find "$W/src" -type l | wc -l | tr -d ' ')" "find -type l" || return 1
	expect 1 "$(find "$W/src" -type f -empty | wc -l | tr -d ' ')" "find -empty" || return 1
	find "$W/src" -type f -exec cat {} + >/dev/null
}

t_date_sleep() {
	s=$(date +%s) || return 1
	[ "$s" -gt 1600000000 ] || { echo "date +%s: $s"; return 1; }
	date -u '+%Y-%m-%dT%H:%M:%SZ' | grep -q '^20[0-9][0-9]-' || return 1
	sleep 1
	e=$(date +%s)
	[ $((e - s)) -ge 1 ] || { echo "sleep 1 took $((e - s))s"; return 1; }
	timeout 1 sleep 10
	[ $? -ne 0 ] || { echo "timeout did not stop sleep"; return 1; }
}

t_loops() {
	i=0
	while [ "$i" -lt 1000 ]; do
		i=$((i + 1))
	done
	expect 1000 "$i" "while loop" || return 1
	acc=
	for w in alpha beta gamma; do
		acc="$acc$w,"
	done
	expect "alpha,beta,gamma," "$acc" "for loop" || return 1
	case "$acc" in *beta*) ;; *) return 1 ;; esac
	expect 55 "$(f() { [ "$1" -le 1 ] && echo "$1" && return; echo $(( $(f $(($1 - 1))) + $(f $(($1 - 2))) )); }; f 10)" "recursive function"
}

t_proc() {
	ps >/dev/null || return 1
	id -u >/dev/null && uname -a >/dev/null && nproc >/dev/null || return 1
	grep -q '^Seccomp:' /proc/self/status
}

t_cleanup() {
	rm -rf "$W" && [ ! -e "$W" ]
}

echo "# workload in $W as uid $(id -u), $(grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status 2>/dev/null | tr -s '\t\n' '  ')"
step "mkdir" t_mkdir
step "files: write, append, cp, mv, ln -s, chmod, dd, rm" t_files
step "pipes: seq, sort, head, awk, cut, tr, grep, xargs, sed, yes" t_pipes
step "fifo" t_fifo
step "signals: trap, kill, wait" t_signals
step "background jobs" t_jobs
step "tar czf / tar xzf" t_tar
step "gzip / gunzip / md5sum / sha256sum" t_gzip
step "find" t_find
step "date / sleep / timeout" t_date_sleep
step "sh loops and functions" t_loops
step "ps / id / uname / nproc" t_proc
step "cleanup" t_cleanup
rm -f "$log"
echo "1..$n"
[ "$failed" -eq 0 ]
