#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The operators' guide as a test: every containerd configuration snippet
# that docs/operators.md shows is taken from the guide itself and applied,
# as the guide says, to a stock Debian 12 containerd 1.6 configuration; the
# result must load and run a pod through ocigate.
#
# The guide marks each snippet with an HTML comment on the line before its
# fence:
#   <!-- test: containerd-snippet cases=CASE[,CASE...] -->   ```toml: appended
#   <!-- test: containerd-edit cases=CASE[,CASE...] -->      ```sh: run on
#        the file (its /etc/containerd/config.toml is the file under test)
# in the order they appear.  A CASE is BASE-EXPECT:
#   BASE    debian: the /etc/containerd/config.toml Debian's containerd
#           package ships (no runtime table); generated: the output of
#           `containerd config default` (a runtimes.runc table, an explicit
#           default_runtime_name = "runc")
#   EXPECT  handler: ocigate is a RuntimeClass handler, runc stays the
#           default; default: ocigate is the default handler
# A ```toml block of the guide that names the CRI plugin without a marker
# fails the test: no snippet goes untested.
#
# For each case:
#  - `containerd config dump` of the result lists runtimes.runc and
#    runtimes.ocigate (BinaryName, runc v2 shim), the expected
#    default_runtime_name, and nothing else differs from the base's dump;
#  - containerd started on the result (lib/containerd.sh, stock paths) has
#    its CRI plugin loaded: the CRI status answers with the handler and the
#    default runtime name;
#  - a pod runs through ocigate: with runtime_handler "ocigate" (handler)
#    or with none (default); its container (uid 1000) is hardened (ExecSync
#    of /proc/self/status) and the audit log records sandbox and container;
#    in handler cases a pod without a handler is not seen by ocigate;
#  - `install.sh in-use` (what uninstall checks before removing the binary)
#    names the running pod's sandbox and container.
# Only what makes the base fit this machine is changed in it, before the
# snippets: the gRPC address, CNI directories and sandbox_image (as a node's
# own settings would be; restrict_oom_score_adj as under lib/containerd.sh,
# for machines that are containers themselves), and BinaryName in the snippets is pointed at the
# binary under test.
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
. "$HERE/lib/containerd.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd containerd ctr containerd-shim-runc-v2 runc catatonit jq flock awk "$E2E_PYTHON"
"$E2E_PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null || {
	e2e_log "SKIP: $E2E_PYTHON lacks grpc/protobuf (apt install python3-grpcio python3-protobuf)"
	exit 77
}
gate_init
RUNC_BIN=$(command -v runc)
DOC=$TOP/docs/operators.md
[ -f "$DOC" ] || e2e_die "no $DOC"

gate_check_clean W
tmpdir W ocigate-guide

# ---- the snippets, from the guide ---------------------------------------------
mkdir "$W/snip"
awk -v dir="$W/snip" '
	function fail(m) { print "operators.md:" NR ": " m > "/dev/stderr"; bad = 1 }
	/^<!-- test: containerd-(snippet|edit) cases=[a-z,-]+ -->$/ {
		kind = $3; cases = $4; sub(/^cases=/, "", cases); want = NR + 1; next }
	/^```/ && !infence {
		infence = 1; lang = substr($0, 4); body = ""
		marked = (NR == want)
		if (marked && kind == "containerd-snippet" && lang != "toml") fail("a snippet marker before a non-toml block")
		if (marked && kind == "containerd-edit" && lang != "sh") fail("an edit marker before a non-sh block")
		next }
	/^```$/ && infence {
		infence = 0
		if (marked) {
			n++; f = sprintf("%s/%02d.%s", dir, n, lang)
			printf "%s", body > f; close(f)
			print kind, cases, f > (dir "/index")
		} else if (lang == "toml" && body ~ /io\.containerd\.grpc\.v1\.cri/)
			fail("an unmarked containerd snippet ending here (mark it <!-- test: containerd-snippet cases=... -->)")
		marked = 0; want = 0; next }
	infence { body = body $0 "\n"; next }
	want && NR == want { fail("a test marker not followed by a fenced block"); want = 0 }
	END { if (bad) exit 1 }' "$DOC" || e2e_die "docs/operators.md: malformed or unmarked snippets (above)"
[ -s "$W/snip/index" ] || e2e_die "docs/operators.md marks no containerd snippet"
CASES=$(awk '{ n = split($2, c, ","); for (i = 1; i <= n; i++) print c[i] }' "$W/snip/index" | sort -u)
e2e_log "snippets: $(wc -l <"$W/snip/index"), cases: $(tr "\n" " " <<<"$CASES")"
for c in debian-handler debian-default generated-handler generated-default; do
	grep -qx "$c" <<<"$CASES" && ok "the guide has snippets for $c" || not_ok "the guide has snippets for $c"
done

# ---- stock bases ------------------------------------------------------------------
# Debian 12's containerd 1.6.20~ds1-1+deb12u* ships this config.toml.
cat >"$W/base-debian.toml" <<'EOF'
version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
EOF
if [ -f /etc/containerd/config.toml ] && ! cmp -s /etc/containerd/config.toml "$W/base-debian.toml"; then
	e2e_log "note: this machine's /etc/containerd/config.toml is not Debian's stock file (the test uses its own copy)"
fi
containerd config default >"$W/base-generated.toml"
grep -q 'containerd.runtimes.runc]' "$W/base-generated.toml" &&
	grep -q '^ *default_runtime_name = "runc"$' "$W/base-generated.toml" ||
	e2e_die "containerd config default has no runc table or default_runtime_name line"

# adapt BASE-FILE WORKDIR: the node's own settings for this machine.
adapt() {
	local f=$1 w=$2
	sed -i -e "s|^\( *bin_dir = \).*|\1\"$w/cni/bin\"|" \
		-e "s|^\( *conf_dir = \)\"/etc/cni/net.d\"|\1\"$w/cni/conf\"|" \
		-e "s|^\( *sandbox_image = \).*|\1\"$CONTAINERD_SANDBOX_IMAGE\"|" \
		-e "s|^\( *address = \)\"/run/containerd/containerd.sock\"|\1\"$w/containerd.sock\"|" \
		-e "s|^\( *path = \)\"/opt/containerd\"|\1\"$w/opt\"|" \
		-e "s|^\( *restrict_oom_score_adj = \)false|\1true|" "$f"
	if ! grep -q '^ *sandbox_image = ' "$f"; then
		sed -i "s|^\( *\)\(\[plugins.\"io.containerd.grpc.v1.cri\"\]\)\$|&\n\1  sandbox_image = \"$CONTAINERD_SANDBOX_IMAGE\"\n\1  restrict_oom_score_adj = true|" "$f"
	fi
	if ! grep -q "address = \"$w/containerd.sock\"" "$f"; then
		printf '\n[grpc]\n  address = "%s"\n' "$w/containerd.sock" >>"$f"
	fi
	grep -q "sandbox_image = \"$CONTAINERD_SANDBOX_IMAGE\"" "$f" && grep -q "bin_dir = \"$w/cni/bin\"" "$f" ||
		e2e_die "cannot adapt $f to this machine"
}

# The tables of runtime handler $1 in a dump.
tables_of() { awk -v h="runtimes.$1" '/^[[:space:]]*\[/ { k = index($0, h "]") || index($0, h ".") } k'; }
# A dump without the ocigate handler, default_runtime_name and the imports
# list (it names the file itself); in runc's options, keys at their zero
# value are dropped (the built-in handler lists every one, a restated one
# only those it sets).
strip_dump() {
	awk '/^[[:space:]]*\[/ { k = index($0, "runtimes.ocigate]") || index($0, "runtimes.ocigate.")
			ro = index($0, "runtimes.runc.options]") > 0 }
		/^[[:space:]]*(default_runtime_name|imports) = / { next }
		ro && / = (""|0|false)$/ { next }
		!k'
}

POLICY=$W/policy.json
AUDIT=$W/audit.jsonl
gate_policy "$POLICY" <<EOF
{ "runtime": "$RUNC_BIN", "audit": { "path": "$AUDIT", "syslog": false } }
EOF
export OCIGATE_POLICY=$POLICY

"$E2E_PYTHON" "$HERE/cri/cri.py" dump-descriptor "$W/cri.desc" >/dev/null
cri() { "$E2E_PYTHON" "$HERE/cri/cri.py" --socket "$CONTAINERD_SOCK" --descriptor "$W/cri.desc" "$@"; }
image_build_busybox "$W/busybox.tar" localhost/busybox:test
image_build_pause "$W/pause.tar" localhost/pause:test

audited() { # NAMESPACE POD TYPE -> number of audit lines
	{ jq -c --arg ns "$1" --arg pod "$2" --arg t "$3" \
		'select(.namespace == $ns and .pod == $pod and .container_type == $t)' "$AUDIT" 2>/dev/null ||
		true; } | grep -c . || true
}

n=0
for case in $CASES; do
	base=${case%%-*} expect=${case#*-}
	n=$((n + 1))
	w=$W/c$n
	mkdir -p "$w"
	w=$(readlink -f "$w")
	cfg=$w/config.toml
	cp "$W/base-$base.toml" "$cfg"
	adapt "$cfg" "$w"
	cp "$cfg" "$w/base.toml"
	applied=0
	while read -r kind cases file; do
		case ",$cases," in *",$case,"*) ;; *) continue ;; esac
		applied=$((applied + 1))
		if [ "$kind" = containerd-snippet ]; then
			printf '\n' >>"$cfg"
			sed "s|\"/usr/bin/ocigate\"|\"$OCIGATE\"|" "$file" >>"$cfg"
		else
			sed "s|/etc/containerd/config.toml|$cfg|g" "$file" >"$w/edit.sh"
			sh -e "$w/edit.sh" || not_ok "$case: the guide's edit $(basename "$file") runs"
		fi
	done <"$W/snip/index"
	e2e_log "$case: $applied snippet(s) applied to $base's config.toml"

	# config dump: the handler, runc, the default, nothing else changed.
	if ! containerd --config "$w/base.toml" config dump >"$w/base.dump" 2>"$w/err" ||
		! containerd --config "$cfg" config dump >"$w/dump" 2>"$w/err"; then
		not_ok "$case: containerd config dump loads the result" "$(cat "$w/err")"
		continue
	fi
	ok "$case: containerd config dump loads the result"
	tables_of ocigate <"$w/dump" >"$w/ocigate.tables"
	grep -q 'runtime_type = "io.containerd.runc.v2"' "$w/ocigate.tables" &&
		grep -q "BinaryName = \"$OCIGATE\"" "$w/ocigate.tables" &&
		ok "$case: dump has runtimes.ocigate (runc v2 shim, BinaryName)" ||
		not_ok "$case: dump has runtimes.ocigate" "$(cat "$w/ocigate.tables")"
	tables_of runc <"$w/dump" | grep -q 'runtime_type = "io.containerd.runc.v2"' &&
		ok "$case: dump still has runtimes.runc" || not_ok "$case: dump still has runtimes.runc"
	want=runc
	[ "$expect" = default ] && want=ocigate
	got=$(sed -n 's/^ *default_runtime_name = "\(.*\)"$/\1/p' "$w/dump")
	[ "$got" = "$want" ] && ok "$case: default_runtime_name = \"$want\"" ||
		not_ok "$case: default_runtime_name = \"$want\"" "got '$got'"
	diff <(strip_dump <"$w/base.dump") <(strip_dump <"$w/dump") >"$w/dump.diff" &&
		ok "$case: every other setting is unchanged" ||
		not_ok "$case: every other setting is unchanged" "$(head -n 30 "$w/dump.diff")"

	# containerd on it: the CRI plugin loads, a pod runs through ocigate.
	CONTAINERD_CONFIG_FILE=$cfg containerd_start "$w"
	info=$(cri info 2>"$w/err") || info=
	h=$(jq -c '.info.config.containerd.runtimes.ocigate // empty' <<<"${info:-{\}}" 2>/dev/null) || h=
	if [ -n "$info" ] && [ "$(jq -r '.runtimeType + " " + .options.BinaryName' <<<"$h")" = "io.containerd.runc.v2 $OCIGATE" ]; then
		ok "$case: the CRI plugin loaded, with the ocigate handler"
	else
		not_ok "$case: the CRI plugin loaded, with the ocigate handler" "$(cat "$w/err")" \
			"$(grep -m3 'failed to load plugin io.containerd.grpc.v1.cri\|no corresponding runtime' "$CONTAINERD_LOG" || true)"
		containerd_stop
		continue
	fi
	d=$(jq -r '.info.config.containerd.defaultRuntimeName' <<<"$info")
	[ "$d" = "$want" ] && ok "$case: CRI status: defaultRuntimeName $want" ||
		not_ok "$case: CRI status: defaultRuntimeName $want" "$d"
	containerd_import "$W/busybox.tar" k8s.io
	containerd_import "$W/pause.tar" k8s.io

	handler=()
	[ "$expect" = handler ] && handler=(--handler ocigate)
	pod=web$n
	if out=$(cri runp "${handler[@]}" --name "$pod" --uid "$(cat /proc/sys/kernel/random/uuid)" 2>&1); then
		ok "$case: RunPodSandbox ${handler[*]:-(no handler)}"
		pid=$(jq -r .pod_id <<<"$out")
		cid=$(cri create "$pid" --name app --image localhost/busybox:test --user 1000 -- sleep 600 |
			jq -r '.container_id // empty') || cid=
		if [ -n "$cid" ] && cri start "$cid" >"$w/start" 2>&1; then
			ok "$case: a container (uid 1000) starts"
			r=$(cri exec "$cid" --timeout 20 -- cat /proc/self/status) || r='{}'
			check_hardened "$case: the container's process" "$(jq -r '.stdout // empty' <<<"$r")" 1000
		else
			not_ok "$case: a container (uid 1000) starts" "$(cat "$w/start" 2>/dev/null)"
		fi
		# What uninstall looks at: the shims that still run the binary.
		users=$(BINARY=$OCIGATE HOST='' HOST_VIEW='' HOST_EXEC="nsenter -t $CONTAINERD_PID -m --" \
			sh "$TOP/packaging/kubernetes/install.sh" in-use 2>&1) || true
		grep -qx "$pid" <<<"$users" && grep -qx "${cid:-none}" <<<"$users" &&
			ok "$case: install.sh in-use names the pod's sandbox and container" ||
			not_ok "$case: install.sh in-use names the pod's sandbox and container" "$users"
		[ "$(audited default "$pod" sandbox)" -ge 1 ] && [ "$(audited default "$pod" container)" -ge 1 ] &&
			ok "$case: ocigate audited the pod's sandbox and container" ||
			not_ok "$case: ocigate audited the pod's sandbox and container" "$(tail -n 3 "$AUDIT" 2>/dev/null)"
	else
		not_ok "$case: RunPodSandbox ${handler[*]:-(no handler)}" "$out"
	fi
	if [ "$expect" = handler ]; then
		plain=plain$n
		if cri runp --name "$plain" --uid "$(cat /proc/sys/kernel/random/uuid)" >/dev/null 2>"$w/err"; then
			[ "$(audited default "$plain" sandbox)" = 0 ] &&
				ok "$case: a pod without the handler runs on runc, unseen by ocigate" ||
				not_ok "$case: a pod without the handler runs on runc, unseen by ocigate"
		else
			not_ok "$case: a pod without the handler runs" "$(cat "$w/err")"
		fi
	fi
	containerd_stop
done

gate_done
