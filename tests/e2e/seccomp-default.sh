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
#   - the injected profile is the default cut to the host's architecture
#     family (profiles/seccomp/default.FAMILY.json): only those
#     architectures, so runc compiles it once per architecture it can run;
#   - its argument masks let through exactly the intended values: socket()
#     for families 0-63 but AF_ALG (38) and AF_VSOCK (40), on the low 32
#     bits; personality() for 0, UNAME26, PER_LINUX32, both, and the query;
#     tried one by one under the injected profile with defaultErrnoRet 200;
#     calls newer than its newest name fail with runc's ENOSYS;
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
# The profile ocigate injects on this host: its family's cut of the default.
case $(uname -m) in
x86_64 | i?86) fam=x86_64 arches='["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]' ;;
aarch64 | arm*) fam=aarch64 arches='["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"]' ;;
*) fam='' arches='' ;;
esac
top=$(cd "$here/../.." && pwd)
if [ -n "$fam" ]; then
	cp "$top/profiles/seccomp/default.$fam.json" "$W/embedded.json"
else
	"$OCIGATE" profile seccomp >"$W/embedded.json"
fi
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
# Every name of the spec's dangerous list, each blocked (not skipped).
for w in mount umount2 'unshare(CLONE_NEWUSER)' 'unshare(CLONE_NEWNS)' setns pivot_root keyctl add_key \
	request_key bpf kexec_load kexec_file_load init_module finit_module delete_module open_by_handle_at \
	userfaultfd perf_event_open reboot swapon swapoff acct quotactl lookup_dcookie \
	io_uring_setup io_uring_enter io_uring_register \
	'clone(CLONE_NEWUSER)' 'clone(CLONE_NEWNS)' 'clone3(CLONE_NEWUSER)' 'socket(AF_VSOCK)' 'socket(AF_ALG)' \
	'socket(AF_VSOCK|1<<32)' 'socket(AF_ALG|1<<32)'; do
	check "embedded profile blocks $w" grep -qxF "$w" <(probe_lines BLOCKED)
done
case $fam in x86_64) for w in iopl ioperm; do
	check "embedded profile blocks $w" grep -qxF "$w" <(probe_lines BLOCKED)
done ;; esac
if [ -n "$fam" ]; then
	check "the injected profile lists only the host's architecture family ($arches)" \
		jq -e --argjson a "$arches" '.linux.seccomp.architectures == $a' "$bundle/config.json"
	check "the injected profile has one unconditional entry and at most 12 in all" \
		jq -e '.linux.seccomp.syscalls | length <= 12
			and ([.[] | select((.args // []) == [] and .action == "SCMP_ACT_ALLOW")] | length) == 1' "$bundle/config.json"
fi
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

# The argument masks, value by value: "socket FAMILY ERRNO" and
# "personality PERSONA ERRNO" (0: the call went through); errno $MARK is
# the filter's, anything else the kernel's.
cat >"$W/masks.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
static void try_socket (unsigned long fam)
{
  long r = syscall (SYS_socket, fam, SOCK_DGRAM, 0);
  printf ("socket %#lx %d\n", fam, r < 0 ? errno : 0);
  if (r >= 0)
    close ((int)r);
}
static void try_persona (unsigned long p)
{
  long r = syscall (SYS_personality, p);
  printf ("personality %#lx %d\n", p, r < 0 ? errno : 0);
  syscall (SYS_personality, 0UL);
}
int main (void)
{
  for (unsigned long f = 0; f < 72; f++)
    try_socket (f);
  try_socket (1UL << 32 | 2);
  try_socket (1UL << 32 | 38);
  try_socket (1UL << 32 | 40);
  unsigned long ps[] = { 0, 8, 0x20000, 0x20008, 0xffffffff, 0x40000, 0x60000, 1, 0x10,
                         0x400000, 0x4000000, 0xfffffffe, 1UL << 32 | 8 };
  for (unsigned i = 0; i < sizeof ps / sizeof ps[0]; i++)
    try_persona (ps[i]);
  /* futex_wake, futex_requeue: above the profile's highest syscall */
  for (long nr = 454; nr <= 456; nr += 2)
    printf ("newer %ld %d\n", nr, syscall (nr, 0L, 0L, 0L, 0L, 0L, 0L) < 0 ? errno : 0);
  return 0;
}
EOF
"$CC" -static -O2 -o "$GATE_ROOTFS/probe/masks" "$W/masks.c" || e2e_die "cannot build the mask probe"
gate_run "$W/policy-marked.json" "$W/config.json" -- /probe/masks
ok "$rc" "mask probe ran (exit $rc)"
filtered() { awk -v m="$MARK" -v c="$1" '$1 == c && $3 == m { printf "%s ", $2 }' <<<"$out"; }
check "socket: the filter refuses exactly AF_ALG, AF_VSOCK, 64-71 and both with upper bits ($(filtered socket))" \
	test "$(filtered socket)" = "0x26 0x28 0x40 0x41 0x42 0x43 0x44 0x45 0x46 0x47 0x100000026 0x100000028 "
check "socket: AF_INET with upper bits set reaches the kernel (compared on the low 32 bits)" \
	grep -qx 'socket 0x100000002 0' <<<"$out"
check "personality: the filter refuses exactly the other personas ($(filtered personality))" \
	test "$(filtered personality)" = "0x40000 0x60000 0x1 0x10 0x400000 0x4000000 0xfffffffe "
check "personality: 0, 8, 0x20000, 0x20008, the query and 8 with upper bits reach the kernel" \
	test "$(awk '$1 == "personality" && $3 == 0 { printf "%s ", $2 }' <<<"$out")" = "0 0x8 0x20000 0x20008 0xffffffff 0x100000008 "
# Calls newer than the profile's newest (futex2's futex_wake 454 ...) get
# runc's ENOSYS, not the profile's errno: libc falls back as on an older kernel.
check "syscalls 454 and 456 (futex_wake, futex_requeue) fail with ENOSYS (38), not $MARK" \
	test "$(awk '$1 == "newer" { printf "%s=%s ", $2, $3 }' <<<"$out")" = "454=38 456=38 "

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
