#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A fixable bundle (uid 1000, runc's default capabilities, no seccomp)
# starts through ocigate hardened: no effective capabilities beyond
# NET_BIND_SERVICE, no_new_privs, a seccomp filter that blocks unshare,
# a read-only root.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

rt_bundle "$T/b" 1000 '["sh","-c","grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; if touch /probe 2>/dev/null; then echo ROOT-WRITABLE; fi; if unshare -U true 2>/dev/null; then echo UNSHARE-ALLOWED; fi; echo END"]'
jq -e '.linux.seccomp == null and .root.readonly == true and (.process.capabilities.bounding | length) > 0' \
	"$T/b/config.json" >/dev/null || fail "unexpected runc spec output"
jq '.root.readonly = false' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
chmod 0640 "$T/b/config.json"

gate --log "$T/log.json" --log-format json run --bundle "$T/b" hardened </dev/null >"$T/out" 2>"$T/err" ||
	fail "run failed: $(cat "$T/err")"
[ ! -s "$T/log.json" ] || fail "log written on success: $(cat "$T/log.json")"
grep -q '^END$' "$T/out" || fail "container output: $(cat "$T/out") $(cat "$T/err")"
capeff=$(awk '/^CapEff:/ { print $2 }' "$T/out")
case $capeff in
0000000000000000 | 0000000000000400) ;;
*) fail "CapEff $capeff" ;;
esac
grep -q '^NoNewPrivs:[[:space:]]*1$' "$T/out" || fail "$(cat "$T/out")"
grep -q '^Seccomp:[[:space:]]*2$' "$T/out" || fail "$(cat "$T/out")"
! grep -q ROOT-WRITABLE "$T/out" || fail "/ is writable"
! grep -q UNSHARE-ALLOWED "$T/out" || fail "unshare -U succeeded"

jq -e '(.annotations["ocigate.rewrites"] | test("seccomp")) and .root.readonly == true
	and .process.noNewPrivileges == true' "$T/b/config.json" >/dev/null ||
	fail "config.json not rewritten"
[ "$(stat -c %a "$T/b/config.json")" = 640 ] || fail "mode $(stat -c %a "$T/b/config.json")"
jq -e 'select(.decision == "rewrite" and .container_id == "hardened")' "$T/audit.jsonl" >/dev/null ||
	fail "audit: $(cat "$T/audit.jsonl")"
rt_log "ok"
