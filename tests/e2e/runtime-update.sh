#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# update cannot lift the pids limit the gate injected: --pids-limit -1
# (runc writes "max") or a value above limits.pids is clamped under the
# restricted default (rewrite) and refused under reject, from a flag or
# from -r FILE; a limit within the policy's, and 0 (runc leaves pids.max
# as it is), go through.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

rt_policy '"limits": { "pids": 64 }'
rt_bundle "$T/b" 1000
gate run -d --bundle "$T/b" box </dev/null >/dev/null 2>&1 || fail "run -d"
rt_wait_status box running
pid=$("$RUNC" --root "$ROOT" state box | jq -r .pid)
line=$(grep -E '^[0-9]+:(.*,)?pids(,.*)?:|^0::' "/proc/$pid/cgroup" | head -n1) ||
	fail "no pids cgroup for pid $pid"
case $line in
0::*) cg=/sys/fs/cgroup${line#0::} v2=1 ;;
*) cg=/sys/fs/cgroup/pids${line#*:*:} v2= ;;
esac
max() { cat "$cg/pids.max"; }
[ "$(max)" = 64 ] || fail "pids.max after create: $(max)"

# near misses: within the limit, and 0
gate update --pids-limit 32 box || fail "update 32"
[ "$(max)" = 32 ] || fail "pids.max after 32: $(max)"
gate update --pids-limit 0 box || fail "update 0"
[ "$(max)" = 32 ] || fail "pids.max after 0: $(max)"

# rewrite: clamped to the policy's limit
gate update --pids-limit -1 box || fail "update -1 (rewrite)"
[ "$(max)" = 64 ] || fail "pids.max after -1 (rewrite): $(max)"
gate update --pids-limit 32 box
echo '{"pids": {"limit": -1}}' >"$T/r.json"
gate update -r "$T/r.json" box || fail "update -r (rewrite)"
[ "$(max)" = 64 ] || fail "pids.max after -r (rewrite): $(max)"
if [ -n "$v2" ]; then # unified keys are cgroup v2 only
	gate update --pids-limit 32 box
	echo '{"unified": {"pids.max": "max"}}' | gate update -r - box || fail "update -r - unified"
	[ "$(max)" = 64 ] || fail "pids.max after unified (rewrite): $(max)"
fi

# reject: refused, pids.max unchanged
rt_policy '"limits": { "pids": 64 }, "rules": { "resource-limits": "reject" }'
gate update --pids-limit 32 box
for a in "--pids-limit -1 box" "--pids-limit 65 box" "-r $T/r.json box" "box --pids-limit=-1"; do
	rc=0
	# shellcheck disable=SC2086
	gate update $a 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] && grep -q resource-limits "$T/err" || fail "update $a: exit $rc $(cat "$T/err")"
	[ "$(max)" = 32 ] || fail "pids.max after refused $a: $(max)"
done
# near miss under reject
gate update --pids-limit 64 box || fail "update 64 (reject policy)"
[ "$(max)" = 64 ] || fail "pids.max after 64: $(max)"
rt_log "ok"
