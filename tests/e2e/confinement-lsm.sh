#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# AppArmor and SELinux through ocigate on this host, with real runc.
# ocigate asks libapparmor/libselinux about the host; this test reads the
# kernel's own switches and expects what follows from them:
#
#   AppArmor off           no process.apparmorProfile; the container runs
#                          (runc refuses a profile on such a host)
#   AppArmor on, ocigate-default loaded
#                          the profile is set and the process runs under it
#   AppArmor on, not loaded
#                          rejected (apparmor.require true), or runs without
#                          a profile with a warning (false)
#   SELinux off            no label; the audit line's note says why
#   SELinux on             a container_t-style label with an MCS pair and
#                          the matching linux.mountLabel
#
# and on every host: `unconfined` and spc_t/unconfined_t labels are
# rejected before runc is called, and the binary has no environment switch
# that could make it believe an LSM is absent.
#
# Needs root, runc, jq, gcc with a static libc, busybox-static; env OCIGATE.
# Exit 0 pass, 1 fail, 77 skip.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../probe/gate.sh
. "$here/../probe/gate.sh"

gate_setup
W=$GATE_WORK

aa_on=0
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
	[ -d /sys/kernel/security/apparmor ]; then
	aa_on=1
fi
aa_loaded=0
if [ "$aa_on" = 1 ] && grep -q '^ocigate-default (' /sys/kernel/security/apparmor/profiles 2>/dev/null; then
	aa_loaded=1
fi
se_on=0
[ -e /sys/fs/selinux/enforce ] && se_on=1
echo "# host: apparmor enabled=$aa_on ocigate-default loaded=$aa_loaded; selinux enabled=$se_on"

gate_policy "$W/policy.json"
gate_policy "$W/policy-norequire.json" '{"apparmor": {"require": false}}'
gate_config "$W/config.json" '.'
# What the process itself sees: its LSM label(s).
ATTR='cat /proc/self/attr/current 2>/dev/null; echo; cat /proc/self/attr/apparmor/current 2>/dev/null; echo; echo done'

# --- nothing asked: ocigate decides from the host
gate_run "$W/policy.json" "$W/config.json" -- /bin/sh -c "$ATTR"
show
if [ "$aa_on" = 1 ] && [ "$aa_loaded" = 0 ]; then
	check "AppArmor on, ocigate-default not loaded: rejected (exit $rc)" test "$rc" = 1
	check "the reason names the profile" grep -q 'ocigate-default.*not loaded' <<<"$out"
	gate_run "$W/policy-norequire.json" "$W/config.json" -- /bin/sh -c "$ATTR"
	show
	ok "$rc" "apparmor.require false: runs without a profile (exit $rc)"
	check "apparmor.require false: no profile set" jq -e '.process.apparmorProfile == null' "$bundle/config.json"
	check "apparmor.require false: the audit line carries the warning" \
		jq -e -s 'last | .findings | any(.rule == "apparmor" and .action == "warn")' "$GATE_AUDIT"
else
	ok "$rc" "no LSM fields asked for: the container runs (exit $rc)"
	check "the process ran to the end" grep -q '^done$' <<<"$out"
	if [ "$aa_on" = 1 ]; then
		check "AppArmor on and loaded: process.apparmorProfile = ocigate-default" \
			jq -e '.process.apparmorProfile == "ocigate-default"' "$bundle/config.json"
		check "the process runs confined by ocigate-default" grep -q '^ocigate-default (enforce)' <<<"$out"
	else
		check "AppArmor off: no process.apparmorProfile" jq -e '.process.apparmorProfile == null' "$bundle/config.json"
	fi
	if [ "$se_on" = 1 ]; then
		check "SELinux on: a label with an MCS pair" \
			jq -e '.process.selinuxLabel | test(":s0:c[0-9]+,c[0-9]+$")' "$bundle/config.json"
		check "SELinux on: linux.mountLabel has the same pair" \
			jq -e '(.process.selinuxLabel | sub(".*:s0:"; "")) == (.linux.mountLabel | sub(".*:s0:"; ""))' "$bundle/config.json"
	else
		check "SELinux off: no process.selinuxLabel, no linux.mountLabel" \
			jq -e '.process.selinuxLabel == null and .linux.mountLabel == null' "$bundle/config.json"
		check "SELinux off: the audit line's note says why" \
			jq -e -s 'last | .note | test("selinux: not enabled")' "$GATE_AUDIT"
	fi
fi

# --- asked for no confinement: rejected on every host, runc never called
reject_case() { # reject_case DESC JQ
	gate_config "$W/bad.json" "$2"
	gate_run "$W/policy.json" "$W/bad.json" -- /bin/true
	show
	check "$1: rejected (exit $rc)" test "$rc" = 1
	check "$1: the message names rule and field" grep -q "$3" <<<"$out"
	check "$1: runc never created the container" \
		test "$("$RUNC" --root "$GATE_STATE" list -q 2>/dev/null | grep -c .)" -eq 0
	check "$1: the audit line says reject" jq -e -s 'last | .decision == "reject"' "$GATE_AUDIT"
}
reject_case "apparmorProfile unconfined" '.process.apparmorProfile = "unconfined"' \
	'apparmor: .*unconfined.*/process/apparmorProfile'
reject_case "selinuxLabel spc_t" '.process.selinuxLabel = "system_u:system_r:spc_t:s0"' \
	'selinux: .*spc_t.*/process/selinuxLabel'
reject_case "selinuxLabel unconfined_t" \
	'.process.selinuxLabel = "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"' \
	'selinux: .*unconfined_t.*/process/selinuxLabel'

# --- no switch in the binary can fake the LSM state
names=$(grep -aoE 'OCIGATE_[A-Z0-9_]+' "$OCIGATE" | sort -u | tr '\n' ' ')
echo "# environment names in the binary: $names"
check "no OCIGATE_* variable about AppArmor, SELinux or the host" \
	test -z "$(printf '%s\n' $names | grep -E 'APPARMOR|SELINUX|LSM|HOST|FAKE')"
check "no validate/rewrite flag about the LSM state" \
	test -z "$({ "$OCIGATE" validate --help; "$OCIGATE" rewrite --help; } 2>&1 | grep -iE -- '--[a-z-]*(apparmor|selinux|lsm)')"

gate_done
