#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # work, out and err come from lib.sh
# validate on Kubernetes manifests: the corpus of common shapes, exit
# codes, the three report formats with manifest locations, exemptions,
# and bad YAML refused with one line in bounded time.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:?}/tests/cli/lib.sh"

m=$DATA/manifests

# A hardened CronJob would run (the pids limit is the gate's rewrite).
run 0 validate "$m/cronjob.yaml"
check "cronjob: judged as one container" contains "$out" "1 containers checked: 0 allowed, 1 rewritten, 0 rejected, 0 errors"
check "cronjob: the pids rewrite points at the resources" \
	contains "$out" "cronjob.yaml:29:15: rewrite resource-limits at spec.jobTemplate.spec.template.spec.containers[0].resources"

# Helm-style Deployment: the log shipper's hostPath /etc is refused, at the volume.
run 1 validate "$m/deployment-hostpath.yaml"
check "hostPath /etc located at its volume" \
	contains "$out" "deployment-hostpath.yaml:68:11: reject host-mounts at spec.template.spec.volumes[2].hostPath (document 0, Deployment web, container logs): bind mount of host path /etc"
check "the hardened web container is not rejected" contains "$out" "rewrite Deployment/web container web"

# Privileged CNI DaemonSet: rejected; exempt with an exemption by namespace and image.
run 1 validate "$m/daemonset-cni.yaml"
check "privileged located" contains "$out" "reject privileged at spec.template.spec.containers[0].securityContext.privileged"
check "hostNetwork located" contains "$out" "daemonset-cni.yaml:15:7: reject host-namespaces at spec.template.spec.hostNetwork"
check "init container judged" contains "$out" "container install-cni"
cat >"$work/exempt.json" <<'P'
{ "exemptions": [ { "namespaces": ["kube-system"], "images": ["quay.io/example/cni-agent"], "preset": "privileged" } ] }
P
run 0 validate --policy "$work/exempt.json" "$m/daemonset-cni.yaml"
check "exempt: every finding only warns" contains "$out" "(policy restricted, exemption)"
sed 's/kube-system/default/' "$m/daemonset-cni.yaml" >"$work/ds-default.yaml"
run 1 validate --policy "$work/exempt.json" "$work/ds-default.yaml"

# Ephemeral debug container with SYS_PTRACE: the capability is rewritten away.
run 0 validate "$m/pod-ephemeral.yaml"
check "ephemeral container judged" \
	contains "$out" "rewrite capabilities at spec.ephemeralContainers[0].securityContext.capabilities"
check "CAP_SYS_PTRACE named" contains "$out" "CAP_SYS_PTRACE"

# JSON manifest told from a config by its content; List items located.
run 1 validate "$m/list.json"
check "List item located" contains "$out" "list.json:19:13: reject host-namespaces at items[1].spec.template.spec.hostPID"

# Several files: the worst exit code; a bundle among manifests is a usage error.
run 1 validate "$m/cronjob.yaml" "$m/daemonset-cni.yaml"
run 2 validate "$m/cronjob.yaml" "$DATA/generated/runc-spec.json"
check "mixing says so" contains "$err" "either manifests or bundles"
run 2 validate "$m/cronjob.yaml" "$work/missing.yaml"
check "a missing manifest is an error in the report" contains "$out" "missing.yaml: error: "

# Reports.
run 1 validate --format json "$m/deployment-hostpath.yaml"
check "json: one result per container" jq -e '.results | length == 2' "$work/out"
check "json: verdicts" jq -e '[.results[].verdict] == ["rewrite","reject"]' "$work/out"
check "json: finding with YAML path, line and column" jq -e '.results[1].findings[]
	| select(.rule == "host-mounts" and .yaml_path == "spec.template.spec.volumes[2].hostPath"
		and .line == 68 and .column == 11 and .pointer != null)' "$work/out"
run 1 validate --format sarif "$m/deployment-hostpath.yaml"
check "sarif: region and logical location" jq -e '.runs[0].results[]
	| select(.ruleId == "host-mounts" and .level == "error"
		and .locations[0].physicalLocation.region.startLine == 68
		and .locations[0].logicalLocations[0].fullyQualifiedName == "spec.template.spec.volumes[2].hostPath")' "$work/out"

# The image decides the user: its own finding with the fix.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: nginx}\n' >"$work/p.yaml"
run 1 validate "$work/p.yaml"
check "depends on the image" contains "$out" "reject root-user at spec.containers[0] (document 0, Pod p, container c): the user depends on the image"

# Bad YAML: exit 2, one line naming the file, fast.
{
	echo 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'
	for l in b c d e f g h i j; do
		p=$(printf '%s' "$l" | tr 'b-j' 'a-i')
		echo "$l: &$l [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"
	done
} >"$work/bomb.yaml"
start=$(date +%s%N)
run 2 validate "$work/bomb.yaml"
ms=$((($(date +%s%N) - start) / 1000000))
check "alias bomb refused in ${ms} ms" test "$ms" -lt 2000
check "alias bomb: one line" contains "$out" "bomb.yaml: error: \`$work/bomb.yaml\`: line"
check "alias bomb named" contains "$out" "alias"
head -c 200000 /dev/zero | tr '\0' '[' >"$work/deep.yaml"
run 2 validate "$work/deep.yaml"
check "deep nesting refused" contains "$out" "nesting too deep"
printf 'kind: Pod\nmetadata: {name: "\xc3\x28"}\n' >"$work/latin.yaml"
run 2 validate "$work/latin.yaml"
check "non-UTF-8 refused" contains "$out" "UTF-8"
head -c 9000000 /dev/zero | tr '\0' '#' >"$work/huge.yaml"
run 2 validate "$work/huge.yaml"
check "huge file refused" contains "$out" "huge.yaml"
printf 'kind: Pod\nspec:\n  hostPID: false\n  hostPID: true\n' >"$work/dup.yaml"
run 2 validate "$work/dup.yaml"
check "duplicate key refused" contains "$out" 'duplicate key "hostPID"'
check "errors are one line each" test "$(lines "$out")" -eq 2

finish
