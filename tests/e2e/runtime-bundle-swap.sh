#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bundle reached through a symlink that is swapped in a loop between a
# compliant bundle and a root one: runc must run exactly the bundle the
# gate judged.  Every try either starts the compliant bundle or is
# rejected as root; the root bundle never starts.  SWAP_TRIES (default
# 1000) sets the number of tries.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

tries=${SWAP_TRIES:-1000}
rt_bundle "$T/good" 1000 '["echo","good"]'
rt_bundle "$T/bad" 0 '["echo","bad"]'
ln -s good "$T/link"

# rename(2) a fresh link over the old one, back and forth
python3 -c '
import os, sys
d = sys.argv[1]
while True:
    for t in ("bad", "good"):
        os.symlink(t, d + "/link." + t)
        os.replace(d + "/link." + t, d + "/link")
' "$T" &
sw=$!
stop_swapper() {
	local rc=$?
	set +e
	kill "$sw" 2>/dev/null
	(exit $rc)
	_rt_cleanup
}
trap stop_swapper EXIT

lost=0 good=0 rejected=0 other=0 flaky=0
for i in $(seq "$tries"); do
	rc=0
	out=$(gate run --bundle "$T/link" "s$i" </dev/null 2>"$T/err") || rc=$?
	if [ "$rc" = 0 ] && [ "$out" = good ]; then
		good=$((good + 1))
	elif [ "$rc" = 1 ] && [ -z "$out" ] && grep -q root-user "$T/err"; then
		rejected=$((rejected + 1))
	elif [ "$out" = bad ]; then
		lost=$((lost + 1))
		rt_log "try $i: runc ran the root bundle"
	elif [ -z "$out" ] && ! grep -q ocigate "$T/err"; then
		# runc's own failures under load ("container process is already
		# dead"): nothing ran
		flaky=$((flaky + 1))
		rt_log "try $i: runc: exit $rc: $(cat "$T/err")"
	else
		other=$((other + 1))
		rt_log "try $i: exit $rc: $out $(cat "$T/err")"
	fi
done
kill $sw 2>/dev/null
wait $sw 2>/dev/null || true
rt_log "$tries tries: $good compliant started, $rejected root rejected, $lost root started, $other errors, $flaky runc failures"
[ "$lost" = 0 ] || fail "the swap won $lost of $tries tries"
[ "$other" = 0 ] || fail "$other tries failed otherwise"
[ $((flaky * 100)) -le "$tries" ] || fail "runc failed in $flaky of $tries tries"
# the swap really raced: both bundles were judged
if [ "$good" = 0 ] || [ "$rejected" = 0 ]; then fail "the link never changed under the gate"; fi
rt_log "ok"
