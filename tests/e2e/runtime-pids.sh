#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# resource-limits in front of the real runc: a bundle with no pids limit
# (runc spec writes none) starts with the policy's limits.pids in its
# pids cgroup; a fork loop inside stops at the limit with EAGAIN while
# the host still forks; a bundle with a smaller limit keeps its own.
# The loop is bounded (500 forks) so a broken limit cannot hurt the node.
# shellcheck source=lib/runc.sh
. "$(dirname "$0")/lib/runc.sh"
rt_setup

LIMIT=32
rt_policy '"limits": { "pids": '$LIMIT' }'

# The pids cgroup directory of a process, v1 or v2.
pids_dir() {
	local line
	line=$(grep -E '^[0-9]+:(.*,)?pids(,.*)?:|^0::' "/proc/$1/cgroup" | head -n1) ||
		fail "no pids cgroup for pid $1"
	case $line in
	0::*) printf '/sys/fs/cgroup%s\n' "${line#0::}" ;;
	*) printf '/sys/fs/cgroup/pids%s\n' "${line#*:*:}" ;;
	esac
}

# pid 1 starts the loop in a subshell; when fork fails the subshell dies
# with ash's "can't fork" message and pid 1 reports, then waits.
# shellcheck disable=SC2016 # expanded by the container's shell
bomb='( i=0; while [ $i -lt 500 ]; do sleep 1000 & i=$((i+1)); done; echo LOOP-DONE ); echo BOMB-STOPPED; exec sleep 1000'
rt_bundle "$T/b" 1000 "$(jq -nc --arg c "$bomb" '["sh","-c",$c]')"
jq -e '.linux.resources.pids == null' "$T/b/config.json" >/dev/null || fail "runc spec set a pids limit"

gate run -d --bundle "$T/b" bomb </dev/null >"$T/out" 2>"$T/err" || fail "run failed: $(cat "$T/err")"
jq -e --argjson l $LIMIT '.linux.resources.pids.limit == $l
	and (.annotations["ocigate.rewrites"] | split(",") | index("resource-limits") != null)' \
	"$T/b/config.json" >/dev/null || fail "config.json not rewritten: $(jq -c .linux.resources "$T/b/config.json")"

for _ in $(seq 100); do
	grep -q BOMB-STOPPED "$T/out" 2>/dev/null && break
	sleep 0.1
done
grep -q BOMB-STOPPED "$T/out" || fail "fork loop still running: $(cat "$T/out" "$T/err")"
! grep -q LOOP-DONE "$T/out" || fail "500 forks succeeded under a limit of $LIMIT"
grep -q "can't fork: Resource temporarily unavailable" "$T/err" ||
	fail "no EAGAIN from fork inside the container: $(cat "$T/err")"

pid=$("$RUNC" --root "$ROOT" state bomb | jq -r .pid)
cg=$(pids_dir "$pid")
max=$(cat "$cg/pids.max")
cur=$(cat "$cg/pids.current")
procs=$(wc -l <"$cg/cgroup.procs")
rt_log "pids.max $max, pids.current $cur, processes $procs"
[ "$max" = $LIMIT ] || fail "pids.max is $max, not $LIMIT"
[ "$cur" -le $LIMIT ] || fail "pids.current $cur above $LIMIT"
[ "$cur" -ge $((LIMIT - 2)) ] || fail "pids.current $cur: the loop never reached the limit"
if [ -r "$cg/pids.events" ]; then
	ev=$(awk '$1 == "max" { print $2 }' "$cg/pids.events")
	[ "${ev:-0}" -gt 0 ] || fail "pids.events: no fork refused"
fi

# The node is unaffected: the host forks 200 times while the container
# sits at its limit.
for _ in $(seq 200); do /bin/true || fail "host fork failed"; done

gate kill bomb KILL || fail "kill failed"
rt_wait_status bomb stopped
gate delete bomb || fail "delete failed"
[ ! -d "$cg" ] || fail "container cgroup $cg left behind"

# Near miss: a bundle with its own smaller limit keeps it.
rt_bundle "$T/n" 1000 '["sleep","1000"]'
jq '.linux.resources.pids = {"limit": 8}' "$T/n/config.json" >"$T/c" && mv "$T/c" "$T/n/config.json"
gate run -d --bundle "$T/n" small </dev/null >/dev/null 2>"$T/err" || fail "run failed: $(cat "$T/err")"
jq -e '.linux.resources.pids.limit == 8
	and ((.annotations["ocigate.rewrites"] // "") | split(",") | index("resource-limits") == null)' \
	"$T/n/config.json" >/dev/null || fail "own limit rewritten: $(jq -c .linux.resources "$T/n/config.json")"
pid=$("$RUNC" --root "$ROOT" state small | jq -r .pid)
[ "$(cat "$(pids_dir "$pid")/pids.max")" = 8 ] || fail "pids.max is not 8"
gate kill small KILL
rt_wait_status small stopped
gate delete small
rt_log "ok"
