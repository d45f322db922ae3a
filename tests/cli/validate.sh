#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# validate / rewrite / policy / profile / version from the command line:
# exit codes, output formats, and every kind of bad input.
. "${top_srcdir:?}/tests/cli/lib.sh"

gen=$DATA/generated
att=$DATA/attack

# A compliant config: what the rewrite makes of a non-root container.
jq '.process.user={"uid":1000,"gid":1000}' "$gen/runc-spec.json" >"$work/user.json"
run 0 rewrite -o "$work/good.json" "$work/user.json"
run 0 validate "$work/good.json"
check "a hardened config has no findings" contains "$out" "allow (policy restricted)"
check "text summary line" contains "$out" "1 checked: 1 allowed, 0 rewritten, 0 rejected, 0 errors"

# Exit codes: 0 would run, 1 rejected, 2 error; several paths -> the worst.
run 0 validate "$work/user.json"
check "rewrite findings are listed" contains "$out" "rewrite capabilities /process/capabilities/"
run 1 validate "$att/root-user.json"
check "finding line has rule, pointer, message and fix" \
  contains "$out" "reject root-user /process/user/uid: process runs as host root (uid 0); fix: "
run 1 validate "$work/good.json" "$att/root-user.json"
run 2 validate "$work/good.json" "$att/root-user.json" "$work/missing.json"
check "an unreadable path is reported in the output" contains "$out" "missing.json: error: "

# A bundle directory is read through its config.json.
mkdir -p "$work/bundle" && cp "$work/good.json" "$work/bundle/config.json"
run 0 validate "$work/bundle"
mkdir -p "$work/empty-bundle"
run 2 validate "$work/empty-bundle"
check "a bundle without config.json names the file" contains "$out" "empty-bundle/config.json"
run 0 validate - <"$work/good.json"

# JSON and SARIF reports are JSON.
run 1 validate --format json "$work/good.json" "$att/privileged.json"
check "json report parses" jq -e '.results | length == 2' "$work/out"
check "json report has the verdicts" jq -e '[.results[].verdict] == ["allow","reject"]' "$work/out"
check "json findings carry rule ids" jq -e '[.results[1].findings[].rule] | index("privileged") != null' "$work/out"
run 1 validate --format sarif "$att/docker-sock.json"
check "sarif 2.1.0" jq -e '.version == "2.1.0" and (.runs[0].tool.driver.rules | length) > 20' "$work/out"
check "sarif result names the rule" jq -e '[.runs[0].results[].ruleId] | index("host-mounts") != null' "$work/out"
run 2 validate --format yaml "$work/good.json"

# Bad input: one clear line naming the file, exit 2, never a crash.
bad() {
  local name=$1 needle=$2
  run 2 validate "$work/$name"
  check "$name: error names the file and the problem" contains "$out" "$name"
  check "$name: error says '$needle'" contains "$out" "$needle"
  check "$name: one line per file plus the summary" test "$(lines "$out")" -eq 2
}
: >"$work/empty.json"; bad empty.json "empty file"
head -c 200 "$gen/runc-spec.json" >"$work/truncated.json"; bad truncated.json "line"
printf '{"ociVersion":"1.0",\n "x":"a\0b"}' >"$work/nul.json"; bad nul.json "NUL byte"
printf '{"ociVersion":"\xff\xfe"}' >"$work/utf8.json"; bad utf8.json "line 1"
printf '[1,2,3]' >"$work/array.json"; bad array.json "expected a JSON object at the top level"
head -c 10485760 /dev/zero | tr '\0' '[' >"$work/deep.json"; bad deep.json "nesting deeper than 64"
printf '{"ociVersion":"1","process":{"user":{"uid":"0","gid":0}}}' >"$work/type.json"
bad type.json "/process/user/uid: expected an integer"
printf '{"ociVersion":"1","process":{"user":{"uid":1000,"gid":0,"uid":0}}}' >"$work/dup.json"
bad dup.json 'duplicate key "uid"'
printf '{"ociVersion":"1", /* c */ "root":{"path":"rootfs"}}' >"$work/comment.json"
bad comment.json "line 1"
printf '{"ociVersion":"1","process":{"capabilities":{"bounding":["cap_sys_admin"]}}}' >"$work/capname.json"
run 1 validate "$work/capname.json"
check "an unknown capability name rejects" contains "$out" 'unknown capability "cap_sys_admin"'
cp "$work/good.json" "$work/secret.json" && chmod 600 "$work/secret.json"
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$work"
  count=$((count + 1))
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$OCIGATE" validate "$work/secret.json" 2>&1)
  rc=$?
  if [ $rc -eq 2 ] && contains "$out" "secret.json" && contains "$out" "Permission denied"; then
    echo "ok $count - an unreadable file is exit 2 with the reason"
  else
    echo "not ok $count - unreadable file: rc=$rc out=$out"; fails=$((fails + 1))
  fi
fi

# rewrite: idempotent, atomic -o, nothing written on rejection or error.
run 0 rewrite "$work/user.json"
printf '%s\n' "$out" >"$work/once.json"
run 0 rewrite "$work/once.json"
check "rewrite is idempotent" test "$out" = "$(cat "$work/once.json")"
check "rewrite records what it changed" jq -e '.annotations["ocigate.rewrites"] | contains("capabilities")' "$work/once.json"
check "rewrite keeps fields it does not own" jq -e '.hostname == "runc" and .process.rlimits[0].type == "RLIMIT_NOFILE"' "$work/once.json"
run 1 rewrite -o "$work/never.json" "$att/root-user.json"
check "a rejected config writes no output" test ! -e "$work/never.json"
check "the rejection message is spec-shaped" contains "$err" "ocigate: rejected by policy restricted: root-user: process runs as host root (uid 0) at /process/user/uid; fix: "
run 2 rewrite -o "$work/no/such/dir/out.json" "$work/user.json"
check "no partial file on a write error" test -z "$(ls "$work" | grep -F '.tmp')"
cp "$work/user.json" "$work/inplace.json" && chmod 640 "$work/inplace.json"
run 0 rewrite -o "$work/inplace.json" "$work/inplace.json"
check "in-place rewrite keeps the mode" test "$(stat -c %a "$work/inplace.json")" = 640
check "in-place rewrite hardened the file" jq -e '.process.capabilities.bounding == ["CAP_NET_BIND_SERVICE"]' "$work/inplace.json"
run 2 rewrite "$work/user.json" "$work/good.json"

# policy show / check
run 0 policy show
check "policy show prints the filled-in default" jq -e '.preset == "restricted" and .rules["root-user"] == "reject"' "$work/out"
printf '// a comment\n{ "preset": "baseline",\n  "rules": { "seccomp": "reject" } }\n' >"$work/p.json"
run 0 policy check "$work/p.json"
run 0 policy show --policy "$work/p.json"
check "policy show reflects the file" jq -e '.preset == "baseline" and .rules.seccomp == "reject" and .rules["root-user"] == "off"' "$work/out"
printf '{\n  "preset": "baseline",\n  "mounts": { "deny": ["/srv"], "alow": [] }\n}\n' >"$work/bad-policy.json"
run 2 policy check "$work/bad-policy.json"
check "unknown policy key with line and column" contains "$err" "bad-policy.json\`: line 3, column"
check "unknown policy key named" contains "$err" "mounts.alow: unknown key"
printf '{"rules": {"privileged": "rewrite"}}' >"$work/bad-action.json"
run 2 policy check "$work/bad-action.json"
check "a rule that cannot rewrite says so" contains "$err" "cannot rewrite"
run 2 validate --policy "$work/bad-policy.json" "$work/good.json"
printf '{ "preset": "baseline" }' >"$work/baseline.json"
run 0 validate --policy "$work/baseline.json" "$att/root-user.json"
check "baseline lets root through" contains "$out" "rewrite (policy baseline)"

# profiles, version, help
run 0 profile seccomp
check "embedded seccomp profile is the shipped file" test "$out" = "$(cat "$top_srcdir/profiles/seccomp/default.json")"
run 0 profile apparmor
check "embedded apparmor profile" contains "$out" "profile ocigate-default"
run 0 version
check "version lists the features" contains "$out" "seccomp"
for v in validate rewrite policy profile; do
  run 0 $v --help
  check "$v --help says usage" contains "$out" "Usage: ocigate $v"
done
run 2 validate
run 2 validate --bogus x

finish
