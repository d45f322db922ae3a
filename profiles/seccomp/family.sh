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
#     entry; the other entries follow in their order.  The merged names are
#     in descending order of their number on the first ARCH, read as
#     unsigned (names absent there, which libseccomp numbers below zero,
#     first): libseccomp keeps each architecture's rules in a list sorted by
#     number, and rules added in this order are found at its head, which
#     saves it about 3 % of its work on every container start.
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
# "NAME arch=NR arch=NR ...": keep NAME when some NR is >= 0, as
# "NAME RANK" with RANK its first number as unsigned 32 bits.
# shellcheck disable=SC2046
"$RESOLVE_NAMES" -v "$arches" $(jq -r '[.syscalls[].names[]] | unique | .[]' "$profile") 2>/dev/null |
	awk '{ split($2, f, "="); r = f[2] < 0 ? f[2] + 4294967296 : f[2]
	       for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[2] + 0 >= 0) { print $1, r; next } } }' >"$tmp" ||
	true
[ -s "$tmp" ] || {
	echo "family.sh: no name of $profile resolves on $arches" >&2
	exit 1
}
jq --rawfile keep "$tmp" --arg arches "$arches" '
	($keep | split("\n") | map(select(. != "") | split(" ") | {(.[0]): (.[1] | tonumber)}) | add) as $k
	| .architectures = ($arches | split(","))
	| .syscalls |= (map(.names |= map(select($k[.] != null))) | map(select(.names != []))
		| ([.[] | select(.action == "SCMP_ACT_ALLOW" and (.args // []) == [])]) as $u
		| [{names: ([$u[].names[]] | unique | sort_by(-$k[.], .)), action: "SCMP_ACT_ALLOW"}]
		  + [.[] | select((.action == "SCMP_ACT_ALLOW" and (.args // []) == []) | not)])' "$profile"
