#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bundle that runs as host root is rejected: one runc-style JSON line in
# --log, the reason on stderr, exit 1, no container, config.json untouched.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

rt_bundle "$T/b" 0
cp "$T/b/config.json" "$T/config.orig"
rc=0
gate --log "$T/log.json" --log-format json create --bundle "$T/b" --pid-file "$T/b/init.pid" \
	rejected 2>"$T/stderr" || rc=$?
[ "$rc" = 1 ] || fail "exit $rc, want 1"
grep -q '^ocigate: rejected by policy restricted: root-user: ' "$T/stderr" ||
	fail "stderr: $(cat "$T/stderr")"
[ "$(wc -l <"$T/log.json")" = 1 ] || fail "log.json has $(wc -l <"$T/log.json") lines"
jq -e '.level == "error" and (.msg | test("root-user: process runs as host root"))
	and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and (keys == ["level","msg","time"])' \
	"$T/log.json" >/dev/null || fail "log line: $(cat "$T/log.json")"
[ -z "$("$RUNC" --root "$ROOT" list -q)" ] || fail "a container exists: $("$RUNC" --root "$ROOT" list)"
[ ! -e "$T/b/init.pid" ] || fail "the runtime ran"
cmp -s "$T/config.orig" "$T/b/config.json" || fail "config.json changed"
jq -e 'select(.decision == "reject" and .container_id == "rejected" and (.rules | index("root-user")))' \
	"$T/audit.jsonl" >/dev/null || fail "audit: $(cat "$T/audit.jsonl")"

# text log format, as runc writes it without --log-format json
rc=0
gate --log "$T/log.txt" create --bundle "$T/b" rejected 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "text: exit $rc"
grep -Eq '^time="[^"]+" level=error msg="ocigate: rejected by policy restricted: root-user' \
	"$T/log.txt" || fail "text log: $(cat "$T/log.txt")"
[ -z "$("$RUNC" --root "$ROOT" list -q)" ] || fail "a container exists"
rt_log "ok"
