#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# exec --process FILE while another process swaps FILE with a root
# process file (renameat2 RENAME_EXCHANGE, in a loop): runc must run
# exactly the bytes the gate judged.  Every try either runs the compliant
# process (uid 1000) or is rejected as root; the root process never runs.
# EXEC_RACE_TRIES (default 300) sets the number of tries.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

tries=${EXEC_RACE_TRIES:-300}
rt_bundle "$T/b" 1000
gate run -d --bundle "$T/b" box </dev/null >/dev/null 2>&1 || fail "run -d"
rt_wait_status box running

# compliant as written (nothing to clamp, so the file is never rewritten)
jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, args: ["id", "-u"],
	env: ["PATH=/bin"], cwd: "/", noNewPrivileges: true,
	capabilities: {bounding: [], effective: [], permitted: []}}' >"$T/p.json"
jq -n '{terminal: false, user: {uid: 0, gid: 0}, args: ["id", "-u"],
	env: ["PATH=/bin"], cwd: "/", noNewPrivileges: false,
	capabilities: {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"],
	permitted: ["CAP_SYS_ADMIN"]}}' >"$T/alt.json"

# near miss first: without the swapper the compliant file runs, the root one is refused
out=$(gate exec --process "$T/p.json" box 2>"$T/err") || fail "exec: $(cat "$T/err")"
[ "$out" = 1000 ] || fail "exec: $out"
rc=0
out=$(gate exec --process "$T/alt.json" box 2>"$T/err") || rc=$?
[ "$rc" = 1 ] && [ -z "$out" ] && grep -q root-user "$T/err" || fail "root exec: exit $rc: $out"

python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.fsencode(p) for p in sys.argv[1:3])
AT_FDCWD, RENAME_EXCHANGE = -100, 2
while True:
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
' "$T/p.json" "$T/alt.json" &
sw=$!
stop_swapper() {
	local rc=$?
	set +e
	kill "$sw" 2>/dev/null
	(exit $rc)
	_rt_cleanup
}
trap stop_swapper EXIT

lost=0 good=0 rejected=0 other=0 start=$SECONDS
for i in $(seq "$tries"); do
	rc=0
	out=$(timeout 20 "$OCIGATE" --root "$ROOT" exec --process "$T/p.json" box </dev/null 2>"$T/err") || rc=$?
	if [ "$rc" = 0 ] && [ "$out" = 1000 ]; then
		good=$((good + 1))
	elif [ "$rc" = 1 ] && [ -z "$out" ] && grep -q root-user "$T/err"; then
		rejected=$((rejected + 1))
	elif [ "$out" = 0 ]; then
		lost=$((lost + 1))
		rt_log "try $i: runc ran the root process"
	else
		other=$((other + 1))
		rt_log "try $i: exit $rc: $out $(cat "$T/err")"
	fi
	kill -0 "$sw" 2>/dev/null || fail "the swapper stopped"
done
kill "$sw" 2>/dev/null
wait "$sw" 2>/dev/null || true
rt_log "$tries tries in $((SECONDS - start)) s: $good compliant ran, $rejected root rejected, $lost root ran, $other errors"
[ "$lost" = 0 ] || fail "the swap won $lost of $tries tries"
[ "$other" = 0 ] || fail "$other tries failed otherwise"
[ "$good" -gt 0 ] && [ "$rejected" -gt 0 ] || fail "the swap never raced: $good ran, $rejected rejected"
