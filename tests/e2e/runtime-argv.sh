#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The gate reads runc's command line as runc does (urfave/cli 1.22.9):
# in `create --bundle - ID` the bundle is `./-`.  A gate that kept the
# "next word is a value" state across the lone `-` vetted `./ID` while runc
# created the container from `./-`.
. "$(dirname "$0")/lib/runc.sh"
rt_setup
ID=ocigate-argv-$$

mkdir "$T/w"
cd "$T/w" || exit 1
rt_bundle "$T/w/-" 0              # runs as host root: rejected
rt_bundle "$T/w/$ID" 1000      # acceptable, named like the id
rc=0
gate create --bundle - "$ID" 2>"$T/stderr" || rc=$?
[ "$rc" = 1 ] || fail "create --bundle - ID: exit $rc, want 1 ($(cat "$T/stderr"))"
grep -q 'root-user' "$T/stderr" || fail "stderr: $(cat "$T/stderr")"
[ -z "$("$RUNC" --root "$ROOT" list -q)" ] || fail "a container exists: $("$RUNC" --root "$ROOT" list)"
jq -e --arg b "$T/w/-" --arg id "$ID" 'select(.decision == "reject" and .container_id == $id and .bundle == $b)' \
	"$T/audit.jsonl" >/dev/null || fail "audit: $(cat "$T/audit.jsonl")"

# The id after the flags, and the bundle after the id: same reading.
rc=0
gate create "$ID" --bundle - 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "create ID --bundle -: exit $rc, want 1"
[ -z "$("$RUNC" --root "$ROOT" list -q)" ] || fail "a container exists"

# Near miss: the acceptable bundle named the same way starts, and runc
# agrees on which bundle it is.
gate create --bundle "$ID" "$ID" || fail "create --bundle ID ID refused"
[ "$("$RUNC" --root "$ROOT" state "$ID" | jq -r .bundle)" = "$T/w/$ID" ] ||
	fail "runc used bundle $("$RUNC" --root "$ROOT" state "$ID" | jq -r .bundle)"
rt_log "ok"
