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
exit $fail
