#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded default policy, on a fresh Debian machine (as
# root): build ocigate, judge real bundles (reject, rewrite), then start a
# hardened busybox container through ocigate in front of runc.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh demo
autoreconf -fi >/dev/null 2>&1
mkdir -p _demo
(cd _demo && "$top/configure" --enable-werror >/dev/null && make -j2 >/dev/null)
ocigate=$top/_demo/ocigate
"$ocigate" version

work=$(mktemp -d /tmp/ocigate-demo.XXXXXX)
root=$work/runc-root
cleanup() {
  runc --root "$root" delete -f demo >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A busybox bundle exactly as `runc spec` writes it: root, default caps.
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in $("$bundle/rootfs/bin/busybox" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$a"
done
(cd "$bundle" && runc spec)

say "1. validate the attack corpus shipped in tests/data/attack (exit 1 = rejected)"
"$ocigate" validate tests/data/attack/*.json | grep -E ' reject [a-z-]+ |checked:' | sort -u -t: -k1,1 || true

say "1b. a Helm-style Deployment judged from its manifest, as in CI (same rules, same policy)"
"$ocigate" validate tests/data/manifests/deployment-hostpath.yaml | grep -E ' reject |checked:' || true

say "2. runc spec's own bundle: runs as root, so the restricted policy rejects it"
"$ocigate" validate "$bundle" || echo "(exit $?)"

say "3. the same bundle as uid 1000: accepted after rewrites"
jq '.process.user = {"uid":1000,"gid":1000} | .process.terminal = false
    | .process.args = ["sh","-c","grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; touch /x 2>/dev/null && echo \"/ is writable\" || echo \"/ is read-only\"; unshare -U true 2>/dev/null && echo \"unshare allowed\" || echo \"unshare blocked\""]
    | .root.readonly = false | .process.noNewPrivileges = false | del(.linux.seccomp)' \
  "$bundle/config.json" >"$bundle/config.tmp" && mv "$bundle/config.tmp" "$bundle/config.json"
"$ocigate" validate "$bundle" || true
"$ocigate" rewrite "$bundle" >"$work/rewritten.json"
echo "what the rewrite changed:"
jq -c '{user: .process.user, noNewPrivileges: .process.noNewPrivileges,
        bounding: .process.capabilities.bounding, readonly: .root.readonly,
        seccomp: (.linux.seccomp.defaultAction + ", " + (.linux.seccomp.syscalls | length | tostring) + " rules"),
        rewrites: .annotations["ocigate.rewrites"]}' "$work/rewritten.json"

say "4. start it through ocigate in front of runc (ocigate rewrites config.json, then execs runc)"
mkdir -p "$work/metrics"
printf '{"audit": {"path": "%s", "syslog": false}, "metrics": {"path": "%s"}}\n' \
  "$work/audit.jsonl" "$work/metrics/ocigate.prom" >"$work/policy.json"
(cd "$bundle" && OCIGATE_POLICY=$work/policy.json "$ocigate" --root "$root" run demo </dev/null)
echo "audit log:"
cat "$work/audit.jsonl"

say "5. the root bundle through ocigate: refused before runc ever sees it"
jq '.process.user = {"uid":0,"gid":0}' "$bundle/config.json" >"$bundle/config.tmp" &&
  mv "$bundle/config.tmp" "$bundle/config.json"
(cd "$bundle" && OCIGATE_POLICY=$work/policy.json "$ocigate" --root "$root" --log "$work/log.json" \
   --log-format json run demo </dev/null) || echo "(exit $?)"
echo "runc log line: $(tail -n 1 "$work/log.json")"
echo "containers: $(runc --root "$root" list -q | wc -l)"

say "6. the trail: ocigate audit summarises the log (rotated and .gz ones too); the metrics file for node-exporter's textfile collector"
"$ocigate" audit "$work/audit.jsonl"
echo "$work/metrics/ocigate.prom:"
grep -v '^#' "$work/metrics/ocigate.prom"
