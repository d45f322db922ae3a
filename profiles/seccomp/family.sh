#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# family.sh PROFILE ARCH[,ARCH...]: print the profile ocigate injects on a
# host of that architecture family, derived from PROFILE (default.json):
#
#   - architectures: only ARCHes (runc adds each listed one to the filter,
#     and libseccomp compiles every rule once per architecture);
#   - names that resolve (libseccomp, a real syscall number) on none of
#     ARCHes are dropped: runc would resolve and add them for nothing;
#   - every unconditional SCMP_ACT_ALLOW entry is merged into the first
#     entry, names sorted; the other entries follow in their order.
#
# Needs jq and RESOLVE_NAMES (tests/probe/resolve-names, built by make check).
# `make -C BUILD update-seccomp-families` rewrites the committed outputs;
# tests/probe/check-profile.sh fails when they are out of date.
set -eu
profile=$1
arches=$2
: "${RESOLVE_NAMES:?set RESOLVE_NAMES to a built tests/probe/resolve-names}"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
# "NAME arch=NR arch=NR ...": keep NAME when some NR is >= 0.
# shellcheck disable=SC2046
"$RESOLVE_NAMES" -v "$arches" $(jq -r '[.syscalls[].names[]] | unique | .[]' "$profile") 2>/dev/null |
	awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[2] + 0 >= 0) { print $1; next } } }' >"$tmp" ||
	true
[ -s "$tmp" ] || {
	echo "family.sh: no name of $profile resolves on $arches" >&2
	exit 1
}
jq --rawfile keep "$tmp" --arg arches "$arches" '
	($keep | split("\n") | map(select(. != "")) | map({(.): true}) | add) as $k
	| .architectures = ($arches | split(","))
	| .syscalls |= (map(.names |= map(select($k[.]))) | map(select(.names != []))
		| ([.[] | select(.action == "SCMP_ACT_ALLOW" and (.args // []) == [])]) as $u
		| [{names: ([$u[].names[]] | unique), action: "SCMP_ACT_ALLOW"}]
		  + [.[] | select((.action == "SCMP_ACT_ALLOW" and (.args // []) == []) | not)])' "$profile"
