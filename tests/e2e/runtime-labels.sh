#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Annotation keys with '=' against the real runc.  runc stores each
# annotation as the label "KEY=VALUE" and `runc exec` (no --process) builds
# its process from <first label whose part before '=' is "bundle">/config.json,
# the annotations' labels coming before runc's own bundle label; CRIU reads
# org.criu.config the same way.  So the key `bundle=DIR` with value V made
# exec read DIR=V/config.json.  Checks: the attack works on plain runc (so
# this test can fail); through ocigate the key is gone from runc's labels
# and exec runs the container's own process (uid 1000); a '=' in a value
# is kept as it was.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

# The bundle the attacker points exec at: a config running as uid 0.
evil=$T/evil
rt_bundle "$evil=v" 0
add_ann() {
	jq --arg k "$2" --arg v "$3" '.annotations[$k] = $v' "$1/config.json" >"$1/config.json.new"
	mv "$1/config.json.new" "$1/config.json"
}

# ---- plain runc: the label wins ----
rt_bundle "$T/plain" 1000
add_ann "$T/plain" "bundle=$evil" v
"$RUNC" --root "$ROOT" run -d --bundle "$T/plain" plain </dev/null >/dev/null 2>&1 || fail "runc run -d"
rt_wait_status plain running
out=$("$RUNC" --root "$ROOT" exec plain id -u 2>&1) || fail "runc exec: $out"
[ "$out" = 0 ] || fail "plain runc did not take the bundle label (exec ran as $out): the test cannot tell"
rt_log "plain runc: exec built its process from $evil=v (uid $out)"
"$RUNC" --root "$ROOT" delete --force plain

# ---- through ocigate ----
rt_bundle "$T/b" 1000
add_ann "$T/b" "bundle=$evil" v
add_ann "$T/b" "org.criu.config=$evil" v
add_ann "$T/b" note "bundle=$evil=v"
gate run -d --bundle "$T/b" box </dev/null >/dev/null 2>"$T/err" || fail "run -d: $(cat "$T/err")"
rt_wait_status box running
labels=$(jq -c '.config.labels' "$ROOT/box/state.json")
jq -e --arg b "bundle=$T/b" 'map(select(startswith("bundle=") or startswith("org.criu.config")))
	== [$b]' <<<"$labels" >/dev/null || fail "runc's labels: $labels"
jq -e --arg n "note=bundle=$evil=v" 'index($n) != null' <<<"$labels" >/dev/null ||
	fail "the annotation with '=' in its value was not kept: $labels"
jq -e '.annotations | has("bundle=" + "'"$evil"'") | not' "$T/b/config.json" >/dev/null ||
	fail "config.json still has the key"
out=$("$RUNC" --root "$ROOT" exec box id -u 2>&1) || fail "runc exec: $out"
[ "$out" = 1000 ] || fail "runc exec after ocigate ran as $out"
out=$(gate exec box id -u 2>&1) || fail "ocigate exec: $out"
[ "$out" = 1000 ] || fail "ocigate exec ran as $out"
grep -q '"runtime-annotations"' "$T/audit.jsonl" || fail "audit: $(cat "$T/audit.jsonl")"
rt_log "ok"
