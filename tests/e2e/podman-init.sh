#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Read-only binds of public host files through podman and ocigate (private
# containers.conf and storage, lib/podman.sh).  podman runs the runtime with
# no environment, so a wrapper passes ocigate its policy (audit into the temp
# dir): nothing of the host's /etc or /var/log is read or written.
#
# Checks:
#  - `podman run --init --user 1000`: podman binds /usr/bin/catatonit
#    read-only as /run/podman-init; the container starts and catatonit is
#    its PID 1;
#  - `-v /usr/lib:/hostlib:ro` (podman's rbind + ro of a tree with nothing
#    mounted inside) starts, and /hostlib is read-only inside;
#  - `-v /usr/lib:/hostlib` (writable) and `-v /etc:/hostetc:ro` are refused
#    by host-mounts, and podman shows why.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/podman.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd podman conmon jq flock
[ -x /usr/bin/catatonit ] || { e2e_log "SKIP: no /usr/bin/catatonit"; exit 77; }

gate_init
gate_check_clean W
tmpdir W ocigate-podman-init

printf '{ "runtime": "/usr/bin/runc", "audit": { "path": "%s/audit.jsonl", "syslog": false } }\n' \
	"$W" >"$W/policy.json"
cat >"$W/ocigate-runtime" <<EOF
#!/bin/sh
OCIGATE_POLICY=$W/policy.json exec $OCIGATE "\$@"
EOF
chmod 0755 "$W/ocigate-runtime"

podman_setup "$W/podman" "$W/ocigate-runtime" ocigate
make_busybox_rootfs "$W/rootfs"
R=$W/rootfs

# prun OUTVAR [podman run options] -> rc; stdout+stderr in OUTVAR
prun() {
	local __v=$1 __o __rc=0
	shift
	__o=$(pman run --rm "$@" </dev/null 2>&1) || __rc=$?
	printf -v "$__v" '%s' "$__o"
	return $__rc
}

# ---- podman --init ----------------------------------------------------------------
out=
if prun out --init --user 1000 --rootfs "$R" sh -c 'tr "\0" " " </proc/1/cmdline; echo; id -u'; then
	ok "podman --init --user 1000 starts"
	check_contains "podman --init: PID 1 is the bound catatonit" "$out" "/run/podman-init"
	check_contains "podman --init: uid" "$out" "1000"
else
	not_ok "podman --init --user 1000 starts" "$out"
fi
jq -e 'select(.decision != "reject")' "$W/audit.jsonl" >/dev/null &&
	ok "audit: --init allowed" || not_ok "audit: --init allowed" "$(cat "$W/audit.jsonl" 2>&1)"

# ---- read-only binds of public trees --------------------------------------------
if prun out --user 1000 -v /usr/lib:/hostlib:ro --rootfs "$R" \
	sh -c 'ls /hostlib >/dev/null && echo LISTED; if touch /hostlib/ocigate-probe 2>/dev/null; then echo WRITABLE; fi'; then
	ok "-v /usr/lib:/hostlib:ro starts"
	check_contains "-v /usr/lib:ro: readable" "$out" LISTED
	check_lacks "-v /usr/lib:ro: read-only" "$out" WRITABLE
else
	not_ok "-v /usr/lib:/hostlib:ro starts" "$out"
fi

# ---- writable, or not public: refused ---------------------------------------------
for v in /usr/lib:/hostlib /etc:/hostetc:ro /usr/bin/catatonit:/x; do
	if prun out --user 1000 -v "$v" --rootfs "$R" true; then
		not_ok "-v $v is refused" "$out"
	else
		check_contains "-v $v is refused" "$out" "rejected by policy restricted: host-mounts: bind mount of host path"
	fi
done

gate_done
