#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The standalone tools on the node's policy: policy show/check take what
# runtime mode loads, show's output loads back, check lints what the
# machine can tell, validate/rewrite --mode, options anywhere, `--`.
# Fix hints that name the real cause.
. "${top_srcdir:?}/tests/cli/lib.sh"
unset OCIGATE_POLICY OCIGATE_RUNTIME

gen=$DATA/generated
att=$DATA/attack
runc_path=$(command -v runc || echo /usr/bin/runc)

# ---- policy show / check: which policy --------------------------------------------
printf '{ "preset": "baseline", "mode": "warn", "runtime": "%s" }\n' "$runc_path" >"$work/node.json"
export OCIGATE_POLICY=$work/node.json
run 0 policy show
check "show takes \$OCIGATE_POLICY as runtime mode does" \
  jq -e --arg f "$work/node.json" '.source == $f and .preset == "baseline" and .mode == "warn"' "$work/out"
check "show says on stderr which policy" contains "$err" "\$OCIGATE_POLICY"
cp "$work/out" "$work/shown.json"
run 0 policy check
check "check without a file checks \$OCIGATE_POLICY" contains "$out" "$work/node.json: ok (preset baseline, mode warn"
printf '{ "preset": "strict" }\n' >"$work/bad-node.json"
OCIGATE_POLICY=$work/bad-node.json run 2 policy check
check "a bad node policy fails check, named" contains "$err" "bad-node.json\`: line 1"
# runtime mode reads only a trusted policy; so does check without a file
chmod 666 "$work/node.json"
run 2 policy check
check "check without a file reads it as runtime mode does (trust)" contains "$err" "writable by group or others"
chmod 644 "$work/node.json"
unset OCIGATE_POLICY

# show -> check round trip, for the embedded default and a file's policy
run 0 policy check "$work/shown.json"
check "show's output of a file loads back" contains "$out" "shown.json: ok (preset baseline, mode warn"
run 0 policy show
check "without a file or /etc/ocigate/policy.json: the embedded default" \
  jq -e '.source == "embedded default" and .preset == "restricted"' "$work/out"
cp "$work/out" "$work/shown-default.json"
run 0 policy check "$work/shown-default.json"
run 0 policy show "$work/shown-default.json"
check "show -> check -> show is a fixed point" \
  test "$(jq -S 'del(.source)' "$work/out")" = "$(jq -S 'del(.source)' "$work/shown-default.json")"

# /etc/ocigate/policy.json when no environment names one (a private /etc)
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
  mkdir -p "$work/up" "$work/wk" && chmod 755 "$work" "$work/up"
  count=$((count + 1))
  out=$(unshare -m --propagation private /bin/sh -c '
    mount -t overlay ocigate-cli-etc -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/wk" /etc || exit 99
    mkdir -p /etc/ocigate && printf "{\"preset\":\"baseline\"}" >/etc/ocigate/policy.json
    "$2" policy show 2>&1 && "$2" policy check 2>&1' sh "$work" "$OCIGATE")
  rc=$?
  if [ $rc -eq 0 ] && contains "$out" '"source": "/etc/ocigate/policy.json"' &&
    contains "$out" '"preset": "baseline"' && contains "$out" "/etc/ocigate/policy.json: ok (preset baseline"; then
    echo "ok $count - without \$OCIGATE_POLICY: /etc/ocigate/policy.json"
  else
    echo "not ok $count - /etc/ocigate/policy.json: rc=$rc out=$out"; fails=$((fails + 1))
  fi
else
  count=$((count + 1)); echo "ok $count # SKIP /etc/ocigate/policy.json needs root and unshare"
fi

# ---- policy check lints what loading cannot see -----------------------------------
lint() {
  local name=$1 body=$2 needle=$3
  printf '%s\n' "$body" >"$work/$name.json"
  run 2 policy check "$work/$name.json"
  check "$name: check says '$needle'" contains "$err" "$needle"
}
lint no-runtime '{ "runtime": "/nonexistent/runc" }' 'runtime: `/nonexistent/runc`: No such file'
lint not-exec "{ \"runtime\": \"$work/node.json\" }" "is not an executable file"
lint syscalls "{ \"runtime\": \"$runc_path\", \"seccomp\": { \"dangerous\": [\"ptrace\", \"io_uring_stup\"], \"allow\": [\"userfaultfd\", \"perf_event_opn\"] } }" \
  '"io_uring_stup" is not a syscall libseccomp knows on'
check "syscalls: each list is named" contains "$err" 'seccomp.allow: "perf_event_opn"'
check "syscalls: good names are not listed" test "$(printf '%s' "$err" | grep -c 'ptrace\|userfaultfd')" -eq 0
lint ex-syscalls "{ \"runtime\": \"$runc_path\", \"exemptions\": [ { \"namespaces\": [\"ci\"], \"seccomp\": { \"allow\": [\"perf_event_open\", \"bogus\"] } } ] }" \
  'exemptions[0].seccomp.allow: "bogus" is not a syscall'
lint audit-rel "{ \"runtime\": \"$runc_path\", \"audit\": { \"path\": \"audit.jsonl\" } }" \
  'audit.path: "audit.jsonl" is not an absolute path'
lint ns-star "{ \"runtime\": \"$runc_path\", \"exemptions\": [ { \"namespaces\": [\"d*v\"] } ] }" \
  "'*' works only at the end"
lint ns-case "{ \"runtime\": \"$runc_path\", \"exemptions\": [ { \"namespaces\": [\"Kube-System\"] } ] }" \
  "is not a Kubernetes namespace name"
lint img-star "{ \"runtime\": \"$runc_path\", \"images\": { \"allowed\": [\"docker.io/*\"] } }" \
  "images match by prefix"
lint ctype "{ \"runtime\": \"$runc_path\", \"exemptions\": [ { \"container_types\": [\"pod\"] } ] }" \
  "the engines say sandbox or container"
# near miss: every name right, a wildcard at the end, an empty audit path
printf '{ "runtime": "%s", "seccomp": { "dangerous": ["ptrace"], "allow": ["io_uring_setup"] },
  "audit": { "path": "" },
  "exemptions": [ { "namespaces": ["dev-*", "kube-system"], "container_types": ["sandbox"],
                    "seccomp": { "allow": ["perf_event_open"] } } ] }\n' "$runc_path" >"$work/good.json"
run 0 policy check "$work/good.json"

# ---- a suffix wildcard in namespaces matches as check says ------------------------
ctr() { # ctr NAMESPACE: the root-user attack as containerd would label it in NAMESPACE
  jq --arg ns "$1" '.annotations = {"io.kubernetes.cri.container-type":"container",
    "io.kubernetes.cri.sandbox-id":"s1","io.kubernetes.cri.sandbox-namespace":$ns,
    "io.kubernetes.cri.sandbox-name":"p","io.kubernetes.cri.container-name":"c",
    "io.kubernetes.cri.image-name":"docker.io/library/busybox:1"}' "$att/root-user.json"
}
printf '{ "exemptions": [ { "namespaces": ["dev-*"], "rules": { "root-user": "warn" } } ] }' >"$work/wild.json"
ctr dev-team >"$work/dev.json"
ctr dev >"$work/dev-bare.json"
ctr prod-dev-x >"$work/prod.json"
run 0 validate --policy "$work/wild.json" "$work/dev.json" --format json
check "dev-* exempts dev-team" jq -e '.results[0].findings | map(select(.rule == "root-user")) | .[0].action == "warn"' "$work/out"
run 1 validate --policy "$work/wild.json" "$work/dev-bare.json"
check "dev-* does not exempt dev" contains "$out" "reject root-user"
run 1 validate --policy "$work/wild.json" "$work/prod.json"
check "dev-* matches only at the start" contains "$out" "reject root-user"

# ---- validate / rewrite: --mode, options anywhere, -- ------------------------------
printf '{ "mode": "warn" }' >"$work/warn.json"
run 0 validate --policy "$work/warn.json" "$att/root-user.json"
run 1 validate --policy "$work/warn.json" --mode enforce "$att/root-user.json"
check "--mode enforce rejects under a warn policy" contains "$out" "reject (policy restricted)"
run 1 validate "$att/root-user.json" --mode=enforce --policy "$work/warn.json"
run 0 validate --mode audit "$att/root-user.json"
check "--mode audit judges without rejecting" contains "$out" "mode audit"
run 2 validate --mode enforcing "$att/root-user.json"
check "an unknown mode is a usage error" contains "$err" "unknown mode 'enforcing'"
run 1 validate "$att/root-user.json" --format json
check "options after a path are options" jq -e '.results | length == 1' "$work/out"
run 1 validate "$att/root-user.json" -f sarif
check "short options after a path" jq -e '.version == "2.1.0"' "$work/out"
cp "$att/root-user.json" "$work/-dash.json"
(cd "$work" && "$OCIGATE" validate -- -dash.json >out 2>err); rc=$?
check "-- ends the options: a path may start with -" test $rc -eq 1 -a "$(grep -c -e '^-dash.json: reject (policy' "$work/out")" -eq 1
(cd "$work" && "$OCIGATE" validate -dash.json >out 2>err); rc=$?
check "without -- it is an option" test $rc -eq 2
run 2 validate "$att/root-user.json" --format
check "a missing value is named" contains "$err" "option '--format' needs a value"
run 2 validate --output x "$att/root-user.json"
check "an option of another verb is unknown here" contains "$err" "unknown option '--output'"
jq '.process.user={"uid":1000,"gid":1000}' "$gen/runc-spec.json" >"$work/user.json"
run 0 rewrite "$work/user.json" -o "$work/rw.json"
check "rewrite: -o after the path" jq -e '.process.noNewPrivileges == true' "$work/rw.json"
run 0 rewrite --policy "$work/warn.json" "$work/user.json"
check "rewrite under a warn policy changes nothing" jq -e '.process.capabilities.bounding | length > 1' "$work/out"
run 0 rewrite --policy "$work/warn.json" "$work/user.json" --mode enforce
check "rewrite --mode enforce hardens" jq -e '.process.capabilities.bounding == ["CAP_NET_BIND_SERVICE"]' "$work/out"
run 0 policy check --policy "$work/good.json"
run 0 policy --policy "$work/good.json" check
check "policy: options before the command" contains "$out" "good.json: ok"

# ---- fix hints name the real cause ------------------------------------------------
rd=$gen/cri-container-runtimedefault.json
run 1 validate --format json "$rd"
check "RuntimeDefault that allows io_uring: not told to set RuntimeDefault" \
  jq -e '.results[0].findings[] | select(.rule == "seccomp") | (.message | test("io_uring")) and (.fix | test("set securityContext.seccompProfile") | not) and (.fix | test("seccomp.allow"))' "$work/out"
check "the engine's short masked list: not told to remove procMount: Unmasked" \
  jq -e '.results[0].findings[] | select(.rule == "masked-paths") | (.message | test("powercap")) and (.fix | test("procMount") | not) and (.fix | test("gate adds"))' "$work/out"
run 0 validate "$rd" --policy "$work/node.json"
check "text report carries the case's fix" contains "$out" "fix: the profile (the engine's RuntimeDefault"
# near miss: an empty masked list is procMount: Unmasked, no profile is set RuntimeDefault
jq '.linux.maskedPaths = [] | del(.linux.seccomp)' "$rd" >"$work/unmasked.json"
run 1 validate --format json "$work/unmasked.json"
check "an empty masked list is still told procMount: Unmasked" \
  jq -e '.results[0].findings[] | select(.rule == "masked-paths" and (.pointer == "/linux/maskedPaths")) | .fix | test("procMount: Unmasked")' "$work/out"
check "no profile is still told RuntimeDefault" \
  jq -e '.results[0].findings[] | select(.rule == "seccomp") | .fix | test("RuntimeDefault")' "$work/out"
# a bind source reached through a link is pinned, not the workload's fault
mkdir -p "$work/pin/d" && ln -s "$work/pin/d" "$work/pin/link"
jq --arg s "$work/pin/link" '.mounts += [{"destination":"/data","type":"bind","source":$s,"options":["rbind","ro"]}]' \
  "$work/user.json" >"$work/pin.json"
run 0 validate --host "$work/pin.json" --format json
check "a pinned bind source: the hint says the gate mounts what it judged" \
  jq -e '.results[0].findings[] | select(.rule == "host-mounts") | .action == "rewrite" and (.fix | test("hostPath") | not) and (.fix | test("mount the path it judged"))' "$work/out"
run 1 rewrite "$rd"
check "the rejection message carries the case's fix too" contains "$err" "fix: set securityContext.runAsNonRoot"

finish
