#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 20 creates through ocigate at once: all succeed, every config.json is
# whole and hardened, the audit trail has one whole line each.
. "$(dirname "$0")/lib/runc.sh"
rt_setup

n=20
rt_bundle "$T/b0" 1000
for i in $(seq 1 $((n - 1))); do
	mkdir -p "$T/b$i"
	# one read-only rootfs for all (runc refuses a symlinked rootfs)
	jq --arg r "$T/b0/rootfs" '.root.path = $r' "$T/b0/config.json" >"$T/b$i/config.json"
done
pids=()
for i in $(seq 0 $((n - 1))); do
	gate --log "$T/log$i.json" --log-format json create --bundle "$T/b$i" "c$i" </dev/null \
		>/dev/null 2>"$T/err$i" &
	pids+=($!)
done
for i in $(seq 0 $((n - 1))); do
	wait "${pids[$i]}" || fail "create c$i: $(cat "$T/err$i") $(cat "$T/log$i.json" 2>/dev/null)"
done
[ "$("$RUNC" --root "$ROOT" list -q | wc -l)" = "$n" ] || fail "$("$RUNC" --root "$ROOT" list)"
for i in $(seq 0 $((n - 1))); do
	jq -e '.annotations["ocigate.rewrites"] and .linux.seccomp.defaultAction
		and .process.noNewPrivileges == true' "$T/b$i/config.json" >/dev/null ||
		fail "config $i"
	[ -z "$(ls "$T/b$i" | grep -v -e '^config.json$' -e '^rootfs$')" ] || fail "leftovers in b$i"
	# all hardened alike: whole files, no mix of two writers
	cmp -s <(jq -S 'del(.root.path)' "$T/b$i/config.json") <(jq -S 'del(.root.path)' "$T/b0/config.json") ||
		fail "config $i differs from the others"
	"$RUNC" --root "$ROOT" state "c$i" | jq -e '.status == "created"' >/dev/null || fail "state c$i"
done
[ "$(wc -l <"$T/audit.jsonl")" = "$n" ] || fail "audit lines"
jq -e -s 'length == 20 and all(.decision == "rewrite")' "$T/audit.jsonl" >/dev/null ||
	fail "audit: $(cat "$T/audit.jsonl")"
rt_log "ok"
