#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The default seccomp profile, proven both ways in real runc containers
# started through ocigate: a busybox bundle running as uid 1000 whose
# config.json has no linux.seccomp, so ocigate injects its embedded default.
#
#   - `probe blocked`: every dangerous syscall of the `seccomp` rule, clone
#     and clone3 with namespace flags, socket(AF_VSOCK/AF_ALG) fail; with a
#     policy `seccomp.profile` whose defaultErrnoRet is 200, each fails with
#     200, so each block is seccomp's and not a missing capability's;
#   - `probe allowed` (threads, fork, posix_spawn, AF_INET/AF_UNIX/NETLINK
#     sockets, epoll, mmap, ...) and workload.sh (files, pipes, signals, tar,
#     gzip, sort, find, date, sleep, kill, ...) run unharmed;
#   - control: with the rule off (no profile) the same probe sees the calls
#     go through, so it can tell.
#
# Needs root, runc, jq, gcc with a static libc, busybox-static; env OCIGATE.
# Exit 0 pass, 1 fail, 77 skip (not root / tools missing).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../probe/gate.sh
. "$here/../probe/gate.sh"

gate_setup
W=$GATE_WORK
MARK=200

gate_policy "$W/policy.json"
"$OCIGATE" profile seccomp >"$W/embedded.json"
jq --argjson m "$MARK" '.defaultErrnoRet = $m' "$W/embedded.json" >"$W/marked.json"
gate_policy "$W/policy-marked.json" "$(jq -n --arg p "$W/marked.json" '{seccomp: {profile: $p}}')"
gate_policy "$W/policy-off.json" '{"rules": {"seccomp": "off"}}'
gate_config "$W/config.json" '.'
check "the bundle's config.json has no seccomp profile" jq -e '.linux.seccomp == null' "$W/config.json"

n_attempts=$("$GATE_ROOTFS/probe/probe" list | wc -l)

# --- 1. the embedded profile, injected
gate_run "$W/policy.json" "$W/config.json" -- /probe/probe blocked
show
ok "$rc" "embedded profile: probe blocked passes (every attempt blocked, exit $rc)"
blocked=$(probe_lines BLOCKED | wc -l)
skipped=$(probe_lines SKIP | wc -l)
check "embedded profile: $blocked attempts BLOCKED + $skipped SKIP = $n_attempts" \
	test $((blocked + skipped)) -eq "$n_attempts"
check "errno 1 (EPERM) everywhere but clone3 (38, ENOSYS)" \
	test "$(printf '%s\n' "$out" | grep '^BLOCKED' | grep -vc -e ' errno=1$' -e '^BLOCKED clone3(.* errno=38$')" -eq 0
for w in 'mount' 'unshare(CLONE_NEWUSER)' 'setns' 'bpf' 'keyctl' 'io_uring_setup' 'open_by_handle_at' \
	'clone(CLONE_NEWUSER)' 'clone(CLONE_NEWNS)' 'clone3(CLONE_NEWUSER)' 'socket(AF_VSOCK)' 'socket(AF_ALG)' \
	'socket(AF_VSOCK|1<<32)'; do
	check "embedded profile blocks $w" grep -qxF "$w" <(probe_lines BLOCKED)
done
check "the container ran with seccomp filtering, no_new_privs, uid 1000, no capabilities" \
	test "$(printf '%s\n' "$out" | grep -cE '^# (Seccomp:[[:space:]]+2|NoNewPrivs:[[:space:]]+1|CapEff:[[:space:]]+0+|Uid:[[:space:]]+1000[[:space:]])')" -eq 4
check "runc was handed the embedded profile" same_json <(jq .linux.seccomp "$bundle/config.json") "$W/embedded.json"
check "config.json records the rewrite (annotation ocigate.rewrites has seccomp)" \
	jq -e '.annotations["ocigate.rewrites"] | split(",") | index("seccomp") != null' "$bundle/config.json"
check "the audit line says rewrite, with the seccomp finding at /linux/seccomp" \
	jq -e -s 'last | .decision == "rewrite" and (.findings | any(.rule == "seccomp" and .pointer == "/linux/seccomp"))' "$GATE_AUDIT"

gate_run "$W/policy.json" "$W/config.json" -- /probe/probe allowed /tmp
show
ok "$rc" "embedded profile: probe allowed passes (threads, fork, spawn, sockets, epoll, mmap; exit $rc)"
for w in 'pthread_create+join' 'fork+wait' 'posix_spawn' 'socket(AF_INET)+bind+connect' \
	'socket(AF_UNIX)+socketpair' 'epoll+pipe' 'mmap+mprotect+munmap'; do
	check "embedded profile allows $w" grep -qxF "OK $w" <<<"$out"
done

gate_run "$W/policy.json" "$W/config.json" -- /bin/sh /probe/workload.sh /tmp
show
ok "$rc" "embedded profile: workload.sh passes (files, pipes, signals, tar, gzip, sort, find, date, sleep, kill; exit $rc)"
check "workload.sh reported no failed step" test "$(grep -c '^not ok' <<<"$out")" -eq 0

# --- 2. the same profile with defaultErrnoRet 200 (policy seccomp.profile)
gate_run "$W/policy-marked.json" "$W/config.json" -- /probe/probe blocked --errno "$MARK"
show
ok "$rc" "defaultErrnoRet $MARK: probe blocked --errno $MARK passes: every block is seccomp's (exit $rc)"
check "defaultErrnoRet $MARK: every attempt but clone3 failed with errno $MARK" \
	test "$(printf '%s\n' "$out" | grep '^BLOCKED' | grep -vc -e " errno=$MARK\$" -e '^BLOCKED clone3(.* errno=38$')" -eq 0
check "runc was handed the policy's profile" same_json <(jq .linux.seccomp "$bundle/config.json") "$W/marked.json"
gate_run "$W/policy-marked.json" "$W/config.json" -- /probe/probe allowed /tmp
ok "$rc" "defaultErrnoRet $MARK: probe allowed passes (exit $rc)"

# --- 3. control: rule off, no profile: the probe sees the calls go through
gate_run "$W/policy-off.json" "$W/config.json" -- /probe/probe blocked --errno "$MARK"
show
check "rule off: no profile was injected" jq -e '.linux.seccomp == null' "$bundle/config.json"
check "rule off: probe blocked fails (exit $rc)" test "$rc" != 0
check "rule off: nothing fails with errno $MARK" test "$(probe_lines BLOCKED | wc -l)" -eq 0
allowed=$(probe_lines ALLOWED | wc -l)
check "rule off: $allowed attempts went through (>= 10)" test "$allowed" -ge 10
check "rule off: unshare(CLONE_NEWUSER) succeeds, so its block above is meaningful" \
	grep -q '^ALLOWED unshare(CLONE_NEWUSER) ret=0 ' <<<"$out"

gate_done
