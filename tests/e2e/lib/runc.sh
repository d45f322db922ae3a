# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the runtime-mode end-to-end tests: ocigate in front of the
# real runc, busybox bundles, a private runc root, and a teardown that
# force-deletes whatever the test left behind.  Source from bash:
#
#   . "$(dirname "$0")/lib/runc.sh"
#   rt_setup                       # needs root, runc, busybox, jq; sets T ROOT
#   rt_bundle "$T/b" 1000          # busybox bundle running as uid 1000
#   gate create --bundle "$T/b" c  # ocigate --root $ROOT ...
#
# Variables: OCIGATE (the built binary, from the test environment),
# RUNC (default /usr/bin/runc), BUSYBOX (default /bin/busybox).

set -eu -o pipefail

: "${OCIGATE:?OCIGATE must name the built ocigate binary}"
: "${RUNC:=/usr/bin/runc}"
: "${BUSYBOX:=/bin/busybox}"

rt_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
fail() {
	rt_log "FAIL: $*"
	exit 1
}
skip() {
	rt_log "SKIP: $*"
	exit 77
}

_rt_cleanup() {
	local rc=$? id
	set +e
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $("$RUNC" --root "$ROOT" list -q 2>/dev/null); do
			"$RUNC" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
		done
	fi
	[ -n "${T:-}" ] && [ -d "$T" ] && rm -rf --one-file-system -- "$T"
	exit $rc
}

# A private runc root and policy; the trap deletes every container in it.
rt_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$RUNC" ] || skip "no runc at $RUNC"
	[ -x "$BUSYBOX" ] || skip "no static busybox at $BUSYBOX"
	command -v jq >/dev/null || skip "jq not installed"
	T=$(mktemp -d /tmp/ocigate-e2e.XXXXXX)
	chmod 0755 "$T"
	ROOT=$T/runc-root
	trap _rt_cleanup EXIT
	trap 'exit 130' INT TERM
	rt_policy ''
	unset OCIGATE_RUNTIME
	export OCIGATE_POLICY=$T/policy.json
}

# rt_policy EXTRA: the test policy (runtime from the policy file, audit
# into the temp dir, never syslog); EXTRA is more JSON members.
rt_policy() {
	printf '{ "runtime": "%s", "audit": { "path": "%s/audit.jsonl", "syslog": false }%s%s }\n' \
		"$RUNC" "$T" "${1:+, }" "$1" >"$T/policy.json"
}

# rt_bundle DIR [UID] [ARGS-JSON]: busybox rootfs and a `runc spec`
# config with terminal false, running as UID (default 0) the given args
# (default ["sleep","1000"]).
rt_bundle() {
	local dir=$1 uid=${2:-0} args=${3:-'["sleep","1000"]'} a
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" \
		"$dir/rootfs/tmp" "$dir/rootfs/etc"
	cp "$BUSYBOX" "$dir/rootfs/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$a"
	done
	printf 'root:x:0:0::/:/bin/sh\nuser:x:1000:1000::/:/bin/sh\n' >"$dir/rootfs/etc/passwd"
	rm -f "$dir/config.json"
	(cd "$dir" && "$RUNC" spec)
	jq --argjson uid "$uid" --argjson args "$args" \
		'.process.terminal = false | .process.user.uid = $uid | .process.user.gid = $uid
		 | .process.args = $args' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

gate() { "$OCIGATE" --root "$ROOT" "$@"; }

# rt_wait_status ID STATUS: poll `runc state` (up to 5 s).
rt_wait_status() {
	local i s
	for i in $(seq 50); do
		s=$("$RUNC" --root "$ROOT" state "$1" 2>/dev/null | jq -r .status) || s=
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	fail "container $1 is ${s:-gone}, not $2"
}
