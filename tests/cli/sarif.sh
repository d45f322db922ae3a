#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# validate --format sarif: the SARIF 2.1.0 shape code-scanning dashboards
# read (required properties and their types), regions from the parser's
# positions, levels by action, helpUri to docs/errors.md anchors.
. "${top_srcdir:?}/tests/cli/lib.sh"
unset OCIGATE_POLICY

gen=$DATA/generated
att=$DATA/attack
rd=$gen/cri-container-runtimedefault.json
mkdir -p "$work/bundle" && cp "$att/docker-sock.json" "$work/bundle/config.json"
: >"$work/empty.json"
run 2 validate --format sarif "$rd" "$work/bundle" "$att/root-user.json" "$work/empty.json"
s=$work/out
cp "$s" "$work/report.sarif"
s=$work/report.sarif

# The 2.1.0 shape: sarifLog, run, toolComponent, reportingDescriptor, result, location.
check "sarifLog: version and \$schema" jq -e '.version == "2.1.0" and (."$schema" | test("sarif-2.1.0"))' "$s"
check "one run with a named driver" jq -e '(.runs | length) == 1 and (.runs[0].tool.driver.name == "ocigate") and (.runs[0].tool.driver.version | type) == "string"' "$s"
check "rules: id, shortDescription.text, help.text, helpUri, defaultConfiguration.level" jq -e '
  .runs[0].tool.driver.rules | length > 20 and all(
    (.id | type) == "string" and (.shortDescription.text | type) == "string"
    and (.help.text | type) == "string" and (.helpUri | test("^[a-z]+://[^ ]+#[a-z-]+$"))
    and (.defaultConfiguration.level | IN("none", "note", "warning", "error")))' "$s"
check "rule ids are unique" jq -e '.runs[0].tool.driver.rules | (map(.id) | unique | length) == length' "$s"
check "helpUri anchors are the rule ids" jq -e '.runs[0].tool.driver.rules | all(.helpUri | endswith("#" + (. as $u | $u | split("#")[1])))' "$s"
check "results: ruleId, level, message.text, a location" jq -e '
  .runs[0].results | length > 5 and all(
    (.ruleId | type) == "string" and (.level | IN("none", "note", "warning", "error"))
    and (.message.text | type == "string" and length > 0)
    and (.locations | length) == 1
    and (.locations[0].physicalLocation.artifactLocation.uri | type) == "string")' "$s"
check "ruleIndex points at the rule of ruleId" jq -e '
  .runs[0].tool.driver.rules as $r | .runs[0].results | map(select(has("ruleIndex")))
  | length > 0 and all($r[.ruleIndex].id == .ruleId)' "$s"
check "regions: positive integer startLine and startColumn" jq -e '
  [.runs[0].results[].locations[0].physicalLocation | select(has("region")) | .region]
  | length > 5 and all((.startLine | type) == "number" and .startLine >= 1 and .startColumn >= 1 and (.startLine | floor) == .startLine)' "$s"

# Regions are where the pointer is in the file.
line_of() { grep -n -m1 -e "$2" "$1" | cut -d: -f1; }
want=$(line_of "$att/root-user.json" '"uid"')
check "root-user's region is the uid line ($want)" jq -e --arg f "$att/root-user.json" --argjson l "$want" '
  .runs[0].results[] | select(.ruleId == "root-user" and .locations[0].physicalLocation.artifactLocation.uri == $f)
  | .locations[0].physicalLocation.region.startLine == $l' "$s"
want=$(line_of "$rd" '"maskedPaths"')
check "masked-paths' region is the maskedPaths line ($want)" jq -e --arg f "$rd" --argjson l "$want" '
  .runs[0].results[] | select(.ruleId == "masked-paths" and .locations[0].physicalLocation.artifactLocation.uri == $f)
  | .locations[0].physicalLocation.region.startLine == $l' "$s"
want=$(line_of "$work/bundle/config.json" '"source": "/var/run/docker.sock"')
check "a bundle's results are in its config.json, at the mount's source ($want)" jq -e --arg f "$work/bundle/config.json" --argjson l "$want" '
  [.runs[0].results[] | select(.ruleId == "host-mounts") | .locations[0].physicalLocation]
  | length == 1 and .[0].artifactLocation.uri == $f and .[0].region.startLine == $l and .[0].region.startColumn == 7' "$s"
check "an input error is an error result without a region" jq -e --arg f "$work/empty.json" '
  [.runs[0].results[] | select(.ruleId == "input-error")] | length == 1 and .[0].level == "error"
  and (.[0].locations[0].physicalLocation | has("region") | not)' "$s"

# Levels by action: reject error, rewrite warning, warn warning (never note).
check "reject is error" jq -e '[.runs[0].results[] | select(.ruleId == "root-user")] | all(.level == "error")' "$s"
check "rewrite is warning" jq -e '[.runs[0].results[] | select(.ruleId == "capabilities")] | length > 0 and all(.level == "warning")' "$s"
check "warn is warning" jq -e '[.runs[0].results[] | select(.ruleId == "root-group")] | length > 0 and all(.level == "warning")' "$s"
check "no result is a note" jq -e '[.runs[0].results[] | select(.level == "note")] | length == 0' "$s"
check "a rule that warns by default has level warning" jq -e '.runs[0].tool.driver.rules[] | select(.id == "root-group") | .defaultConfiguration.level == "warning"' "$s"

# Every helpUri anchor exists in docs/errors.md (a heading per rule id).
for id in $(jq -r '.runs[0].tool.driver.rules[].id' "$s"); do
  check "docs/errors.md has the anchor #$id" grep -q -x "### $id" "$top_srcdir/docs/errors.md"
done

finish
