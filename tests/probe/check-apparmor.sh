#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Syntax/compile check of the AppArmor profile without loading it.
#
#   tests/probe/check-apparmor.sh [PROFILE]    (default: profiles/apparmor/ocigate-default)
#
# Works without AppArmor in the kernel.  apparmor_parser always prints a
# harmless "Cache read/write disabled" line, filtered out here.  When the
# distribution ships a features file (/usr/share/apparmor-features/features,
# Debian/Ubuntu), the profile is also compiled against it.
# Exit 0 if every check passes, 1 otherwise, 77 (skip) without apparmor_parser.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
profile=${1:-$top/profiles/apparmor/ocigate-default}
parser=${APPARMOR_PARSER:-apparmor_parser}
features=/usr/share/apparmor-features/features

command -v "$parser" >/dev/null 2>&1 || { echo "SKIP: no $parser"; exit 77; }

fail=0
run() { # run DESCRIPTION ARGS...
	d=$1; shift
	if out=$("$parser" "$@" "$profile" 2>&1); then
		echo "ok - $d"
	else
		echo "not ok - $d"
		fail=1
	fi
	printf '%s\n' "$out" | grep -v '^Cache read/write disabled' | grep . | sed 's/^/#   /'
}

run "apparmor_parser -QK $profile" -QK
if [ -e "$features" ]; then
	run "apparmor_parser -QK -M $features $profile" -QK -M "$features"
fi
# The profile must define exactly the name the policy refers to.
if grep -q '^profile ocigate-default flags=(attach_disconnected,mediate_deleted) {' "$profile"; then
	echo "ok - profile is named ocigate-default"
else
	echo "not ok - profile is named ocigate-default"
	fail=1
fi
# The rules profiles/README.md promises (what the engines' defaults deny).
# A rule that is missing, or an allow rule that would undo one, fails.
need() { # need DESCRIPTION FIXED-STRING
	if grep -qxF "  $2" "$profile"; then
		echo "ok - $1"
	else
		echo "not ok - $1: no line \"$2\""
		fail=1
	fi
}
need "deny mount" 'deny mount,'
need "deny writes to files directly in /proc" 'deny @{PROC}/* w,'
need "deny writes below /proc other than /proc/<pid> and /proc/sys" \
	'deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,'
need "deny writes to /proc/sys outside kernel/" 'deny @{PROC}/sys/[^k]** w,'
need "deny writes to /proc/sys/kernel except shm*" 'deny @{PROC}/sys/kernel/{?,??,[^s]**,s[^h]**,sh[^m]**} w,'
need "deny /proc/sysrq-trigger" 'deny @{PROC}/sysrq-trigger rwklx,'
need "deny /proc/kcore" 'deny @{PROC}/kcore rwklx,'
for r in '/sys/[^f]*/**' '/sys/f[^s]*/**' '/sys/fs/[^c]*/**' '/sys/fs/c[^g]*/**' '/sys/fs/cg[^r]*/**'; do
	need "deny writes to $r (all of /sys but the cgroup tree)" "deny $r wklx,"
done
need "deny /sys/firmware" 'deny /sys/firmware/** rwklx,'
need "deny /sys/kernel/security" 'deny /sys/kernel/security/** rwklx,'
need "deny /sys/devices/virtual/powercap" 'deny /sys/devices/virtual/powercap/** rwklx,'
need "ptrace only within the profile" 'ptrace (trace,read,tracedby,readby) peer=ocigate-default,'
need "signals from unconfined (the runtime, the host)" 'signal (receive) peer=unconfined,'
need "signals within the profile" 'signal (send,receive) peer=ocigate-default,'
need "site additions from local/ocigate-default (deny rules still win)" 'include if exists <local/ocigate-default>'
if grep -qE '^[[:space:]]*(ptrace|signal|mount|pivot_root|change_profile)[[:space:]]*,' "$profile"; then
	echo "not ok - no unrestricted ptrace/signal/mount/pivot_root/change_profile grant"
	fail=1
else
	echo "ok - no unrestricted ptrace/signal/mount/pivot_root/change_profile grant"
fi
# The binary embeds this very file (`ocigate profile apparmor`).
if [ -n "${OCIGATE:-}" ] && [ -x "$OCIGATE" ] && [ "$#" = 0 ]; then
	if "$OCIGATE" profile apparmor | cmp -s - "$profile"; then
		echo "ok - ocigate profile apparmor prints this file"
	else
		echo "not ok - ocigate profile apparmor prints this file"
		fail=1
	fi
fi
exit $fail
