# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2015 # `[ ... ] && ok || not_ok`: ok always succeeds
#
# Checks shared by the engine end-to-end tests (containerd-ctr.sh,
# containerd-cri.sh, podman.sh, crun.sh).  Source after common.sh.
#
#   gate_init                 OCIGATE (from make check) must be an
#                             executable; made absolute.
#   ok MSG / not_ok MSG [DETAIL...]
#                             record a passed / failed check (a failure does
#                             not stop the test: later checks still run; the
#                             check_* functions below return 0 either way)
#   check_contains WHAT TEXT NEEDLE...
#   check_lacks WHAT TEXT NEEDLE...
#                             every NEEDLE is / none is a substring of TEXT
#   status_field TEXT FIELD   the value of "FIELD:" in /proc/PID/status TEXT
#   check_hardened WHAT TEXT [UID]
#                             TEXT is /proc/self/status of a process ocigate
#                             vetted: CapEff and CapBnd hold at most
#                             CAP_NET_BIND_SERVICE, NoNewPrivs 1, Seccomp 2
#                             (and Uid UID when given)
#   gate_policy FILE          stdin (JSON) becomes FILE after `ocigate policy
#                             check` accepted it
#   gate_check_clean VAR      at exit, after every other exit handler (call it
#                             before `tmpdir VAR`): fail the test if a
#                             process whose command line names the directory
#                             $VAR, a mount under it, or the directory
#                             itself is left
#   gate_done                 print the summary; exit 1 if any check failed,
#                             else 0
#   gate_elapsed              seconds since gate_init

# CAP_NET_BIND_SERVICE is bit 10: the only capability restricted allows.
GATE_CAP_ALLOWED=$((1 << 10))
GATE_FAILED=0
GATE_PASSED=0

gate_init() {
	[ -n "${OCIGATE:-}" ] || e2e_die "OCIGATE is not set (run through make check, or set it to the binary)"
	OCIGATE=$(readlink -f -- "$OCIGATE") || e2e_die "OCIGATE does not exist"
	[ -x "$OCIGATE" ] || e2e_die "OCIGATE=$OCIGATE is not executable"
	export OCIGATE
	GATE_T0=$(date +%s)
	e2e_log "ocigate: $OCIGATE ($("$OCIGATE" version 2>/dev/null | head -n1))"
}

gate_elapsed() { echo $(($(date +%s) - GATE_T0)); }

ok() {
	GATE_PASSED=$((GATE_PASSED + 1))
	printf 'ok - %s\n' "$1"
}

not_ok() {
	local m=$1
	shift
	GATE_FAILED=$((GATE_FAILED + 1))
	printf 'not ok - %s\n' "$m"
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | head -c 4000 | sed 's/^/#   /'
		printf '\n'
	fi
}

check_contains() {
	local what=$1 text=$2 n
	shift 2
	for n in "$@"; do
		if [[ "$text" != *"$n"* ]]; then
			not_ok "$what: has \"$n\"" "$text"
			return 0
		fi
	done
	ok "$what: has \"$(printf '%s", "' "$@" | sed 's/", "$//')\""
}

check_lacks() {
	local what=$1 text=$2 n
	shift 2
	for n in "$@"; do
		if [[ "$text" == *"$n"* ]]; then
			not_ok "$what: lacks \"$n\"" "$text"
			return 0
		fi
	done
	ok "$what: lacks \"$(printf '%s", "' "$@" | sed 's/", "$//')\""
}

status_field() {
	printf '%s\n' "$1" | awk -v f="$2:" '$1 == f { print $2; exit }'
}

check_hardened() {
	local what=$1 text=$2 uid=${3:-} eff bnd nnp sc u
	eff=$(status_field "$text" CapEff)
	bnd=$(status_field "$text" CapBnd)
	nnp=$(status_field "$text" NoNewPrivs)
	sc=$(status_field "$text" Seccomp)
	u=$(status_field "$text" Uid)
	if [ -z "$eff" ] || [ -z "$bnd" ]; then
		not_ok "$what: /proc/self/status readable" "$text"
		return 0
	fi
	if (((0x$eff & ~GATE_CAP_ALLOWED) == 0)); then
		ok "$what: CapEff $eff (none, or only NET_BIND_SERVICE)"
	else
		not_ok "$what: CapEff $eff has more than NET_BIND_SERVICE"
	fi
	if (((0x$bnd & ~GATE_CAP_ALLOWED) == 0)); then
		ok "$what: CapBnd $bnd (none, or only NET_BIND_SERVICE)"
	else
		not_ok "$what: CapBnd $bnd has more than NET_BIND_SERVICE"
	fi
	[ "$nnp" = 1 ] && ok "$what: NoNewPrivs 1" || not_ok "$what: NoNewPrivs is '$nnp', not 1"
	[ "$sc" = 2 ] && ok "$what: Seccomp 2 (filter)" || not_ok "$what: Seccomp is '$sc', not 2"
	if [ -n "$uid" ]; then
		[ "$u" = "$uid" ] && ok "$what: Uid $uid" || not_ok "$what: Uid is '$u', not $uid"
	fi
}

gate_policy() {
	local f=$1 out
	cat >"$f"
	out=$("$OCIGATE" policy check --policy "$f" 2>&1) ||
		e2e_die "ocigate rejects the test policy $f: $out"
}

gate_done() {
	printf '# %d passed, %d failed, %ss\n' "$GATE_PASSED" "$GATE_FAILED" "$(gate_elapsed)"
	[ "$GATE_FAILED" = 0 ] || exit 1
	[ "$GATE_PASSED" -gt 0 ] || e2e_die "no check ran"
	exit 0
}

_gate_leftovers() {
	local dir=$1 files p f
	files=(/proc/[0-9]*/cmdline)
	grep -lsF -- "$dir" "${files[@]}" 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] && continue
		printf 'process %s: %s\n' "$p" "$(tr '\0' ' ' <"$f" 2>/dev/null | cut -c1-200)"
	done
	awk -v d="$dir" 'index($5, d) == 1 { print "mount " $5 }' /proc/self/mountinfo
	[ ! -e "$dir" ] || echo "directory $dir"
}

_gate_check_clean() {
	local left
	[ -n "$1" ] || return 0
	for _ in 1 2 3 4 5; do
		left=$(_gate_leftovers "$1")
		[ -n "$left" ] || return 0
		sleep 0.5
	done
	printf '%s\n' "$left" | sed 's/^/e2e: LEFT BEHIND: /' >&2
	printf 'not ok - the machine is clean after the test\n'
	exit 1
}

gate_check_clean() {
	on_exit "_gate_check_clean \"\${$1:-}\""
}
