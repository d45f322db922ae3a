#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Static checks of the default seccomp profile (an OCI LinuxSeccomp object).
#
#   tests/probe/check-profile.sh [PROFILE]     (default: profiles/seccomp/default.json)
#
# Needs jq, a C compiler and libseccomp-dev (to build resolve-names.c), or set
# RESOLVE_NAMES to an already built resolve-names binary.  Set DANGEROUS to a
# space-separated list to check other names than the built-in list (the
# `seccomp` rule's defaults in docs/spec).  The naming conventions checked here
# are described in profiles/seccomp/README.md.
#
# Prints one "ok"/"not ok" line per check; exits 0 only if all pass.

# jq programs are single-quoted on purpose; names are split on purpose.
# shellcheck disable=SC2016,SC2046

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
profile=${1:-$top/profiles/seccomp/default.json}

: "${DANGEROUS:=mount umount2 unshare setns pivot_root keyctl add_key request_key bpf
kexec_load kexec_file_load init_module finit_module delete_module open_by_handle_at
userfaultfd perf_event_open reboot swapon swapoff acct quotactl iopl ioperm
lookup_dcookie io_uring_setup io_uring_enter io_uring_register}"

# The architecture every name of the first (common) entry must resolve on.
COMMON_ARCHES=SCMP_ARCH_X86_64,SCMP_ARCH_AARCH64
# clone(2) flags that create namespaces (NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET)
NS_MASK=2114060288

fail=0
n=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
check()  { # check DESCRIPTION COMMAND...
	d=$1; shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d"; [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ -z "${RESOLVE_NAMES:-}" ]; then
	RESOLVE_NAMES=$tmp/resolve-names
	if ! ${CC:-cc} -O2 -Wall -o "$RESOLVE_NAMES" "$here/resolve-names.c" -lseccomp; then
		echo "Bail out! cannot build resolve-names (libseccomp-dev missing?)"
		exit 2
	fi
fi

if ! jq -e 'type == "object"' "$profile" >/dev/null 2>&1; then
	echo "Bail out! $profile is not a JSON object"
	exit 2
fi
ok "profile parses: $profile"

jqc() { jq -e "$@" "$profile" >/dev/null; }

# Bitwise AND of two non-negative integers below 2^32 (jq has no bit operators).
BAND='def band($a; $b): [$a, $b] | (reduce range(0; 32) as $i ({r: 0, a: .[0], b: .[1], p: 1};
	.r += (if (.a % 2) == 1 and (.b % 2) == 1 then .p else 0 end)
	| .a = (.a / 2 | floor) | .b = (.b / 2 | floor) | .p *= 2) | .r);'


check "defaultAction is SCMP_ACT_ERRNO with defaultErrnoRet 1 (EPERM)" \
	jqc '.defaultAction == "SCMP_ACT_ERRNO" and .defaultErrnoRet == 1'

check "architectures list x86_64, x86, x32, aarch64, arm" \
	jqc '(.architectures | sort) == (["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"] | sort)'

check "only OCI keys are used" \
	jqc '(keys - ["defaultAction","defaultErrnoRet","architectures","flags","listenerPath","listenerMetadata","syscalls"] == [])
	     and all(.syscalls[]; (keys - ["names","action","errnoRet","args"]) == [])
	     and all(.syscalls[].args // [] | .[]; (keys - ["index","value","valueTwo","op"]) == [])'

check "every entry has names and a known action; errnoRet only with SCMP_ACT_ERRNO" \
	jqc 'all(.syscalls[]; (.names | type == "array" and length > 0)
	     and (.action | IN("SCMP_ACT_ALLOW","SCMP_ACT_ERRNO","SCMP_ACT_KILL","SCMP_ACT_KILL_PROCESS","SCMP_ACT_KILL_THREAD","SCMP_ACT_TRAP","SCMP_ACT_TRACE","SCMP_ACT_LOG","SCMP_ACT_NOTIFY"))
	     and ((has("errnoRet") | not) or .action == "SCMP_ACT_ERRNO"))'

check "argument filters use known ops and indexes 0..5" \
	jqc 'all(.syscalls[].args // [] | .[]; (.index | IN(0,1,2,3,4,5))
	     and (.op | IN("SCMP_CMP_NE","SCMP_CMP_LT","SCMP_CMP_LE","SCMP_CMP_EQ","SCMP_CMP_GE","SCMP_CMP_GT","SCMP_CMP_MASKED_EQ")))'

check "no argument is compared twice in one entry (runc would OR the comparisons)" \
	jqc 'all(.syscalls[]; ((.args // []) | map(.index) | length) == ((.args // []) | map(.index) | unique | length))'

arches=$(jq -r '.architectures | join(",")' "$profile")
jq -r '.syscalls[].names[]' "$profile" | sort -u >"$tmp/all"
check "every name ($(wc -l <"$tmp/all") distinct) resolves on at least one of $arches" \
	"$RESOLVE_NAMES" --any "$arches" $(cat "$tmp/all")

check "every name of the first (common) entry resolves on x86_64 and aarch64" \
	"$RESOLVE_NAMES" "$COMMON_ARCHES" $(jq -r '.syscalls[0].names[]' "$profile")

check "no name is listed twice among unconditional entries" \
	jqc '[.syscalls[] | select((.args // []) == []) | .names[]] | length == (unique | length)'

for d in $DANGEROUS; do
	check "dangerous syscall $d is not in the profile" \
		jqc --arg d "$d" 'all(.syscalls[]; (.names | index([$d])) == null)'
done

check "clone: allowed only where arg0 & $NS_MASK == 0 (no namespace flags)" \
	jqc --argjson m "$NS_MASK" "$BAND"'
	  [.syscalls[] | select(.names | index(["clone"]))] as $e
	  | ($e | length > 0) and all($e[]; .action == "SCMP_ACT_ALLOW"
	      and any(.args // [] | .[]; .index == 0 and .op == "SCMP_CMP_MASKED_EQ"
	              and band(.value; $m) == $m and band(.valueTwo // 0; $m) == 0))'

check "clone3: only in one SCMP_ACT_ERRNO entry with errnoRet 38 (ENOSYS)" \
	jqc '[.syscalls[] | select(.names | index(["clone3"]))] | length == 1 and .[0].action == "SCMP_ACT_ERRNO" and .[0].errnoRet == 38 and (.[0].args // []) == []'

for s in socket personality; do
	check "$s: every allowing entry has an argument filter" \
		jqc --arg s "$s" '[.syscalls[] | select(.names | index([$s]))] | length > 0 and all(.[]; (.args // []) != [])'
done

check "socket: AF_VSOCK (40) and AF_ALG (38) match no allowing entry; AF_UNIX/INET/INET6/NETLINK/PACKET do" \
	jqc "$BAND"'
	  def matches($fam): (.args // []) | all(.[]; .index != 0 or
	        (if .op == "SCMP_CMP_MASKED_EQ" then band($fam; .value) == .valueTwo
	         elif .op == "SCMP_CMP_EQ" then $fam == .value elif .op == "SCMP_CMP_NE" then $fam != .value
	         elif .op == "SCMP_CMP_LT" then $fam < .value elif .op == "SCMP_CMP_LE" then $fam <= .value
	         elif .op == "SCMP_CMP_GT" then $fam > .value elif .op == "SCMP_CMP_GE" then $fam >= .value else false end));
	  [.syscalls[] | select(.action == "SCMP_ACT_ALLOW" and (.names | index(["socket"])))] as $e
	  | all(38, 40; . as $f | all($e[]; matches($f) | not))
	    and all(1, 2, 10, 16, 17; . as $f | any($e[]; matches($f)))'

# The injected forms (profiles/seccomp/default.FAMILY.json): what
# profiles/seccomp/family.sh derives from the checked default.json, so they
# block what it blocks; only checked for the default profile itself.
if [ -z "${1:-}" ]; then
	for f in x86_64:SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32 aarch64:SCMP_ARCH_AARCH64,SCMP_ARCH_ARM; do
		fam=${f%%:*} far=${f#*:}
		file=$top/profiles/seccomp/default.$fam.json
		RESOLVE_NAMES=$RESOLVE_NAMES sh "$top/profiles/seccomp/family.sh" "$profile" "$far" >"$tmp/$fam.json"
		check "default.$fam.json is default.json cut to $far (make update-seccomp-families)" \
			test "$(jq -cS . "$file")" = "$(jq -cS . "$tmp/$fam.json")"
		check "every name of default.$fam.json resolves on at least one of $far" \
			"$RESOLVE_NAMES" --any "$far" $(jq -r '.syscalls[].names[]' "$file" | sort -u)
		check "default.$fam.json: one unconditional entry, the first; no dangerous name" \
			jq -e --arg d "$DANGEROUS" '([.syscalls[] | select((.args // []) == [] and .action == "SCMP_ACT_ALLOW")] | length) == 1
			and (.syscalls[0].args // []) == [] and ([.syscalls[].names[]] - ($d | split("\\s+"; null)) | length) == ([.syscalls[].names[]] | length)' "$file"
	done
fi

echo "1..$n"
exit $fail
