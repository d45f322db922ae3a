#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# create, start, state, kill, delete and the informational commands work
# through ocigate as they do with runc alone.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

rt_bundle "$T/b" 1000
gate --log "$T/log.json" --log-format json create --bundle "$T/b" --pid-file "$T/pid" life </dev/null ||
	fail "create"
[ -s "$T/pid" ] || fail "no pid file"
gate state life | jq -e '.status == "created" and .id == "life"' >/dev/null || fail "state created"
gate --log "$T/log.json" --log-format json start life || fail "start"
rt_wait_status life running
gate ps --format json life | jq -e 'length >= 1' >/dev/null || fail "ps"
gate list -q | grep -qx life || fail "list"
gate pause life && rt_wait_status life paused
gate resume life && rt_wait_status life running
gate kill life KILL || fail "kill"
rt_wait_status life stopped
gate delete life || fail "delete"
[ -z "$(gate list -q)" ] || fail "still listed"
[ ! -s "$T/log.json" ] || fail "log written: $(cat "$T/log.json")"

# the runtime's stdout, byte for byte
cmp -s <("$OCIGATE" --version) <("$RUNC" --version) || fail "--version differs"
cmp -s <("$OCIGATE" features) <("$RUNC" features) || fail "features differs"
cmp -s <(gate list --format json) <("$RUNC" --root "$ROOT" list --format json) || fail "list differs"
# a runtime error passes through with the runtime's exit code
rc=0
gate state nosuch 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'does not exist' "$T/err" || fail "state of a missing container: $rc"
# audit: one line per create, none for the rest
[ "$(wc -l <"$T/audit.jsonl")" = 1 ] || fail "audit lines: $(cat "$T/audit.jsonl")"
rt_log "ok"
