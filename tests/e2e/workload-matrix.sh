#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Hardening that keeps ordinary workloads running: pods that a careful team
# considers compliant with Pod Security Standards "restricted", sent to
# containerd's CRI as kubelet sends them (full PodSandboxConfig and
# ContainerConfig: metadata, cgroup parent, masked/read-only paths,
# resources, security contexts, kubelet-style volume paths), once with
# runtime_handler "ocigate" and once with plain runc, each running the same
# ordinary-app workload through ExecSync (one batch of actions per spec).
#
# Specs: run_as_user + no_new_privs + drop ALL + RuntimeDefault (basic);
# fsGroup/supplemental groups; NET_BIND_SERVICE binding port 80; a Localhost
# seccomp profile; emptyDir, configMap, secret and projected token volumes;
# emptyDir at /tmp; emptyDir at /var; init + sidecar containers; hostPort;
# safe sysctls; tty + stdin; 500 env vars and a 190 KiB command line; a
# numeric USER from the image; shareProcessNamespace; an OpenShift-style
# uid with gid 0; readOnlyRootFilesystem asked by the pod; a pod in a
# namespace whose exemption gives io_uring back (seccomp.allow).
#
# Actions (busybox, plus tests/e2e/lib/workload-probe.c built static): temp
# files in /tmp and /var/tmp, a FIFO, unix sockets in /tmp and /run/app, pid
# files in /run/app and /var/run/app (the image's /var/run -> ../run, /run/app
# owned by uid 1000), a binary copied to /tmp and run, reading what the
# image prepared; io_uring_setup; writing / and /usr (1777 in the image).
#
# Fails when: a spec does not start (either way); an action that works on
# runc fails through ocigate (io_uring excepted: blocked by the seccomp
# tightening on purpose; /usr and / excepted: the read-only root); writing
# /usr or / succeeds through ocigate.  The configs containerd produced for
# the ocigate handler are captured; WORKLOAD_CAPTURE_DIR=DIR saves them
# (tests/data/generated/workloads holds the committed ones).
# `[ ... ] && ok ... || not_ok ...` is if/else here: ok always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
. "$HERE/lib/containerd.sh"
. "$HERE/lib/gate.sh"

e2e_need_root
e2e_need_cmd containerd ctr containerd-shim-runc-v2 runc catatonit jq flock cc "$E2E_PYTHON"
"$E2E_PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null || {
	e2e_log "SKIP: $E2E_PYTHON lacks grpc/protobuf (apt install python3-grpcio python3-protobuf)"
	exit 77
}
gate_init
RUNC_BIN=$(command -v runc)

gate_check_clean W
tmpdir W ocigate-workloads

# The default policy, plus a scratch tmpfs at the process's HOME (off by
# default): the image's user has a home it writes to; namespace "db" gets
# io_uring back.
POLICY=$W/policy.json
AUDIT=$W/audit.jsonl
gate_policy "$POLICY" <<EOF
{
  "runtime": "$RUNC_BIN",
  "audit": { "path": "$AUDIT", "syslog": false },
  "readonly_rootfs": { "home": true },
  "exemptions": [
    { "namespaces": ["db"],
      "seccomp": { "allow": ["io_uring_setup", "io_uring_enter", "io_uring_register"] } }
  ]
}
EOF
export OCIGATE_POLICY=$POLICY

# The ocigate handler's binary records each config.json it is given.
make_capture_runtime "$W/capture-ocigate" "$W/captures" "$OCIGATE"
mkdir -p "$W/captures"
CONTAINERD_HANDLER=ocigate CONTAINERD_HANDLER_BINARY=$W/capture-ocigate containerd_start "$W/containerd"
"$E2E_PYTHON" "$HERE/cri/cri.py" dump-descriptor "$W/cri.desc" >/dev/null
cri() { "$E2E_PYTHON" "$HERE/cri/cri.py" --socket "$CONTAINERD_SOCK" --descriptor "$W/cri.desc" "$@"; }

# ---- image --------------------------------------------------------------------
cc -static -O2 -o "$W/workload-probe" "$HERE/lib/workload-probe.c" || e2e_die "cannot build the workload probe"
R=$W/image-rootfs
make_busybox_rootfs "$R"
mkdir -p "$R/run/app" "$R/var/tmp" "$R/usr/bin" "$R/home/app" "$R/etc/config" "$R/etc/secret"
chmod 0755 "$R" "$R/run"
chmod 1777 "$R/tmp" "$R/var/tmp" "$R/usr"
ln -s ../run "$R/var/run"
echo ready >"$R/run/app/ready"
chown -R 1000:1000 "$R/run/app" "$R/home/app"
cp "$W/workload-probe" "$R/usr/bin/workload-probe"
printf 'app:x:1000:1000::/home/app:/bin/sh\n' >>"$R/etc/passwd"
IMAGE_KEEP_OWNERS=1 image_build_rootfs "$W/workload.tar" localhost/workload:test "$R" \
	'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"}'
IMAGE_KEEP_OWNERS=1 image_build_rootfs "$W/workload-user.tar" localhost/workload-user:test "$R" \
	'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/","User":"1000:1000"}'
image_build_pause "$W/pause.tar" localhost/pause:test
for t in workload workload-user pause; do containerd_import "$W/$t.tar" k8s.io; done

# ---- the workload -------------------------------------------------------------
# One line per action: "OK name" or "FAIL name: first line of the error".
# shellcheck disable=SC2016 # expanded in the container
ACTIONS='
t() { n=$1; shift; if o=$("$@" 2>&1); then echo "OK $n"; else echo "FAIL $n: $(echo "$o" | head -n1)"; fi; }
t tmp-file mktemp /tmp/app.XXXXXX
t var-tmp-file mktemp /var/tmp/app.XXXXXX
t fifo mkfifo /tmp/app.fifo
t tmp-socket workload-probe sock /tmp/app.sock
t run-socket workload-probe sock /run/app/app.sock
t run-pid sh -c "echo \$\$ >/run/app/app.pid"
t var-run-pid sh -c "echo \$\$ >/var/run/app/app2.pid"
t exec-from-tmp sh -c "cp /bin/busybox /tmp/true && /tmp/true"
t image-prepared grep -qx ready /run/app/ready
t home-file sh -c "touch \${HOME:-/home/app}/.app"
t io-uring workload-probe uring
t write-usr touch /usr/app-probe
t write-root touch /app-probe
for a in $EXTRA; do case $a in
data) t data-volume sh -c "echo x >/data/x && grep -qx x /data/x" ;;
config) t configmap grep -qx value /etc/config/key ;;
secret) t secret grep -qx s3cret /etc/secret/token ;;
token) t sa-token grep -qx token /var/run/secrets/kubernetes.io/serviceaccount/token ;;
port80) t bind-port-80 sh -c "httpd -p 127.0.0.1:80 -h /tmp && killall httpd" ;;
ps) t see-pause sh -c "ps -o comm | grep -q catatonit" ;;
sysctl) t sysctl-set sh -c "[ \$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start) = 0 ]" ;;
tty) t tty sh -c "[ -t 0 ] || [ -c /dev/console ]" ;;
env) t env500 sh -c "[ \$(env | grep -c ^APP_VAR_) = 500 ]" ;;
esac; done
echo END'

# Kubelet's defaults for a container.
MASKED='["/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"]'
RO_PATHS='["/proc/asound","/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]'
SECCOMP_LOCAL=$W/seccomp-localhost.json
cp "$TOP/profiles/seccomp/default.json" "$SECCOMP_LOCAL"

# pod_json NAME UID [JQ-EXPR]: a PodSandboxConfig as kubelet sends it
pod_json() {
	jq -n --arg name "$1" --arg uid "$2" --arg logdir "$CONTAINERD_PODLOG_PATH/default_$1_$2" "{
		metadata: { name: \$name, namespace: \"default\", uid: \$uid, attempt: 0 },
		hostname: \$name, log_directory: \$logdir,
		dns_config: { servers: [\"10.96.0.10\"], searches: [\"default.svc.cluster.local\"], options: [\"ndots:5\"] },
		labels: { app: \$name, \"io.kubernetes.pod.name\": \$name, \"io.kubernetes.pod.namespace\": \"default\", \"io.kubernetes.pod.uid\": \$uid },
		annotations: { \"kubernetes.io/config.source\": \"api\" },
		linux: {
			cgroup_parent: \"/kubepods/besteffort/pod\(\$uid)\",
			security_context: {
				namespace_options: { network: \"POD\", pid: \"CONTAINER\", ipc: \"POD\" },
				run_as_user: { value: 1000 }, run_as_group: { value: 1000 },
				seccomp: { profile_type: \"RuntimeDefault\" }
			}
		}
	} | ${3:-.}"
}

# ctr_json NAME IMAGE [JQ-EXPR]: a ContainerConfig as kubelet sends it
ctr_json() {
	jq -n --arg name "$1" --arg image "$2" --argjson masked "$MASKED" --argjson ro "$RO_PATHS" "{
		metadata: { name: \$name, attempt: 0 },
		image: { image: \$image },
		command: [\"sleep\", \"600\"],
		working_dir: \"/\",
		envs: [ { key: \"KUBERNETES_SERVICE_HOST\", value: \"10.96.0.1\" } ],
		labels: { \"io.kubernetes.container.name\": \$name },
		annotations: { \"io.kubernetes.container.restartCount\": \"0\", \"io.kubernetes.container.terminationMessagePath\": \"/dev/termination-log\" },
		log_path: \"\(\$name)/0.log\",
		linux: {
			resources: { cpu_period: 100000, cpu_quota: 50000, cpu_shares: 512, memory_limit_in_bytes: 268435456, oom_score_adj: 1000 },
			security_context: {
				capabilities: { drop_capabilities: [\"ALL\"] },
				run_as_user: { value: 1000 }, run_as_group: { value: 1000 },
				no_new_privs: true, readonly_rootfs: false,
				masked_paths: \$masked, readonly_paths: \$ro,
				seccomp: { profile_type: \"RuntimeDefault\" },
				namespace_options: { network: \"POD\", pid: \"CONTAINER\", ipc: \"POD\" }
			}
		}
	} | ${3:-.}"
}

# A kubelet volume directory of pod UID (host path as containerd sees it,
# created where the host sees it).
volume() { # volume UID PLUGIN NAME -> path for host_path
	mkdir -p "$CONTAINERD_KUBELET_DIR/pods/$1/volumes/$2/$3"
	chmod 0777 "$CONTAINERD_KUBELET_DIR/pods/$1/volumes/$2/$3"
	printf '%s\n' "$CONTAINERD_KUBELET_PATH/pods/$1/volumes/$2/$3"
}
vdir() { printf '%s\n' "$CONTAINERD_KUBELET_DIR/pods/$1/volumes/$2/$3"; }

SPECS=(basic fsgroup netbind localhost-seccomp volumes emptydir-tmp emptydir-var init-sidecar
	hostport sysctls tty env500-bigcmd numeric-user shareprocess openshift-uid readonly-root
	io-uring-exempt)

# spec NAME UID: sets POD_EXPR, CTR_EXPR, IMAGE, EXTRA, INIT (init container: 1)
spec() {
	local uid=$2 v
	POD_EXPR=. CTR_EXPR=. IMAGE=localhost/workload:test EXTRA='' INIT=0
	case $1 in
	basic) ;;
	fsgroup)
		POD_EXPR='.linux.security_context.supplemental_groups = [2000]'
		CTR_EXPR='.linux.security_context.supplemental_groups = [2000]' ;;
	netbind)
		CTR_EXPR='.linux.security_context.capabilities.add_capabilities = ["NET_BIND_SERVICE"]'
		EXTRA=port80 ;;
	localhost-seccomp)
		CTR_EXPR=".linux.security_context.seccomp = {profile_type: \"Localhost\", localhost_ref: \"$SECCOMP_LOCAL\"}" ;;
	volumes)
		local d c s t
		d=$(volume "$uid" kubernetes.io~empty-dir data)
		c=$(volume "$uid" kubernetes.io~configmap config)
		s=$(volume "$uid" kubernetes.io~secret secret)
		t=$(volume "$uid" kubernetes.io~projected kube-api-access)
		echo value >"$(vdir "$uid" kubernetes.io~configmap config)/key"
		echo s3cret >"$(vdir "$uid" kubernetes.io~secret secret)/token"
		echo token >"$(vdir "$uid" kubernetes.io~projected kube-api-access)/token"
		chmod 0644 "$(vdir "$uid" kubernetes.io~configmap config)/key" \
			"$(vdir "$uid" kubernetes.io~secret secret)/token" \
			"$(vdir "$uid" kubernetes.io~projected kube-api-access)/token"
		CTR_EXPR=".mounts = [
			{container_path: \"/data\", host_path: \"$d\"},
			{container_path: \"/etc/config\", host_path: \"$c\", readonly: true},
			{container_path: \"/etc/secret\", host_path: \"$s\", readonly: true},
			{container_path: \"/var/run/secrets/kubernetes.io/serviceaccount\", host_path: \"$t\", readonly: true}]"
		EXTRA="data config secret token" ;;
	emptydir-tmp)
		v=$(volume "$uid" kubernetes.io~empty-dir tmp)
		CTR_EXPR=".mounts = [{container_path: \"/tmp\", host_path: \"$v\"}]" ;;
	emptydir-var)
		v=$(volume "$uid" kubernetes.io~empty-dir var)
		CTR_EXPR=".mounts = [{container_path: \"/var\", host_path: \"$v\"}]" ;;
	init-sidecar) INIT=1 ;;
	hostport)
		POD_EXPR='.port_mappings = [{protocol: "TCP", container_port: 8080, host_port: 18080}]' ;;
	sysctls)
		POD_EXPR='.linux.sysctls = {"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647", "kernel.shm_rmid_forced": "1"}'
		EXTRA=sysctl ;;
	tty)
		CTR_EXPR='.tty = true | .stdin = true'
		EXTRA='tty' ;;
	env500-bigcmd)
		# 500 variables; 190 KiB of command line in two arguments (one
		# argument may not exceed 128 KiB).
		CTR_EXPR='.envs += [range(500) | {key: "APP_VAR_\(.)", value: "value-\(.)"}]
			| .command = ["sh", "-c", "sleep 600", "sh", ("a" * 97280), ("b" * 97280)]'
		EXTRA='env' ;;
	numeric-user)
		IMAGE=localhost/workload-user:test
		CTR_EXPR='del(.linux.security_context.run_as_user) | del(.linux.security_context.run_as_group)' ;;
	shareprocess)
		POD_EXPR='.linux.security_context.namespace_options.pid = "POD"'
		CTR_EXPR='.linux.security_context.namespace_options.pid = "POD"'
		EXTRA='ps' ;;
	openshift-uid)
		POD_EXPR='.linux.security_context.run_as_user.value = 1000680000 | .linux.security_context.supplemental_groups = [0, 1000680000]'
		CTR_EXPR='.linux.security_context.run_as_user.value = 1000680000 | .linux.security_context.run_as_group.value = 0
			| .linux.security_context.supplemental_groups = [0, 1000680000]' ;;
	readonly-root)
		CTR_EXPR='.linux.security_context.readonly_rootfs = true' ;;
	io-uring-exempt)
		POD_EXPR='.metadata.namespace = "db" | .labels["io.kubernetes.pod.namespace"] = "db"' ;;
	*) e2e_die "unknown spec $1" ;;
	esac
}

# run_spec NAME HANDLER -> results in $W/out-NAME-HANDLER.txt; 0 when started
run_spec() {
	local name=$1 handler=$2 uid pod cid o
	uid=$(cat /proc/sys/kernel/random/uuid)
	spec "$name" "$uid"
	mkdir -p "$CONTAINERD_PODLOG_DIR/default_${name}_$uid"
	pod_json "$name" "$uid" "$POD_EXPR" >"$W/pod-$name-$handler.json"
	if ! o=$(cri runp "$W/pod-$name-$handler.json" ${handler:+--handler "$handler"}); then
		echo "RunPodSandbox: $o" >"$W/out-$name-$handler.txt"
		return 1
	fi
	pod=$(jq -r .pod_id <<<"$o")
	if [ "$INIT" = 1 ]; then
		ctr_json init "$IMAGE" '.command = ["sh", "-c", "mktemp /tmp/init.XXXXXX && mkfifo /run/app/init.fifo"]' >"$W/init.json"
		if o=$(cri create "$pod" "$W/init.json" --pod "$W/pod-$name-$handler.json") &&
			cid=$(jq -r .container_id <<<"$o") && cri start "$cid" >/dev/null &&
			[ "$(cri status "$cid" --wait CONTAINER_EXITED | jq -r .exit_code)" = 0 ]; then
			echo "OK init-container" >"$W/init-$name-$handler.txt"
		else
			echo "FAIL init-container: $o" >"$W/init-$name-$handler.txt"
		fi
		ctr_json sidecar "$IMAGE" >"$W/sidecar.json"
		o=$(cri create "$pod" "$W/sidecar.json" --pod "$W/pod-$name-$handler.json") &&
			cri start "$(jq -r .container_id <<<"$o")" >/dev/null || echo "FAIL sidecar: $o" >>"$W/init-$name-$handler.txt"
	fi
	ctr_json app "$IMAGE" "$CTR_EXPR" >"$W/ctr-$name-$handler.json"
	if ! o=$(cri create "$pod" "$W/ctr-$name-$handler.json" --pod "$W/pod-$name-$handler.json" 2>&1) ||
		! cid=$(jq -re .container_id <<<"$o") || ! o=$(cri start "$cid" 2>&1); then
		echo "CreateContainer/StartContainer: $o" >"$W/out-$name-$handler.txt"
		cri stopp "$pod" >/dev/null 2>&1 || true
		cri rmp "$pod" >/dev/null 2>&1 || true
		return 1
	fi
	[ "$handler" = ocigate ] && echo "$cid" >"$W/cid-$name"
	o=$(cri exec "$cid" --timeout 30 -- env EXTRA="$EXTRA" sh -c "$ACTIONS") || true
	{ jq -j '.stdout, .stderr' <<<"$o" 2>/dev/null || echo "$o"; } >"$W/out-$name-$handler.txt"
	[ ! -f "$W/init-$name-$handler.txt" ] || cat "$W/init-$name-$handler.txt" >>"$W/out-$name-$handler.txt"
	cri stopp "$pod" >/dev/null 2>&1 || true
	cri rmp "$pod" >/dev/null 2>&1 || true
	return 0
}

# ---- the matrix ---------------------------------------------------------------
for s in "${SPECS[@]}"; do
	for h in ocigate ''; do
		w=${h:-runc}
		if run_spec "$s" "$h"; then
			ok "$s: starts through $w"
		else
			not_ok "$s: starts through $w" "$(cat "$W/out-$s-${h}.txt")"
			continue
		fi
	done
	g=$W/out-$s-ocigate.txt p=$W/out-$s-.txt
	[ -f "$g" ] && [ -f "$p" ] || continue
	grep -qx END "$g" && grep -qx END "$p" || {
		not_ok "$s: the workload ran to its end both ways" "ocigate:" "$(cat "$g")" "runc:" "$(cat "$p")"
		continue
	}
	broken=
	while read -r st a _; do
		a=${a%:}
		[ "$st" = OK ] || continue
		case $a in io-uring | write-usr | write-root) continue ;; esac
		grep -q "^OK $a\$" "$g" || broken="$broken $(grep "^FAIL $a:" "$g")"
	done <"$p"
	[ -z "$broken" ] && ok "$s: every action that works on runc works through ocigate ($(grep -c '^OK' "$g") ok)" ||
		not_ok "$s: actions broken through ocigate:$broken" "$(cat "$g")"
	# The read-only root stays read-only (the pod's own mount at /var hides
	# nothing of /usr).
	grep -q '^FAIL write-usr: .*Read-only file system' "$g" && grep -q '^FAIL write-root:' "$g" &&
		ok "$s: writing /usr and / fails through ocigate" ||
		not_ok "$s: writing /usr and / fails through ocigate" "$(cat "$g")"
done

# The comparison is not void: on runc the image's 1777 /usr is writable and
# the ordinary actions work.
grep -q '^OK write-usr' "$W/out-basic-.txt" && grep -q '^OK run-pid' "$W/out-basic-.txt" &&
	ok "runc baseline: /usr writable, /run/app writable by uid 1000" ||
	not_ok "runc baseline: /usr writable, /run/app writable by uid 1000" "$(cat "$W/out-basic-.txt")"
grep -q '^FAIL io-uring' "$W/out-basic-ocigate.txt" &&
	ok "io_uring blocked through ocigate (intended: seccomp.allow gives it back)" ||
	not_ok "io_uring blocked through ocigate" "$(cat "$W/out-basic-ocigate.txt")"
grep -q '^OK io-uring' "$W/out-io-uring-exempt-ocigate.txt" &&
	ok "io_uring works through ocigate in namespace db (exemption with seccomp.allow)" ||
	not_ok "io_uring works through ocigate in namespace db" "$(cat "$W/out-io-uring-exempt-ocigate.txt")"

# ---- captures -------------------------------------------------------------------
n=0
for s in "${SPECS[@]}"; do
	[ -f "$W/cid-$s" ] || continue
	f=$(find "$W/captures" -name "*-create-$(cat "$W/cid-$s").json" | head -n1) || true
	[ -n "$f" ] || continue
	n=$((n + 1))
	if [ -n "${WORKLOAD_CAPTURE_DIR:-}" ]; then
		# Byte for byte as containerd wrote it; the requests beside it.
		mkdir -p "$WORKLOAD_CAPTURE_DIR/cri-requests"
		cp "$f" "$WORKLOAD_CAPTURE_DIR/cri-$s.json"
		cp "$W/pod-$s-ocigate.json" "$WORKLOAD_CAPTURE_DIR/cri-requests/cri-$s-pod.json"
		cp "$W/ctr-$s-ocigate.json" "$WORKLOAD_CAPTURE_DIR/cri-requests/cri-$s-container.json"
	fi
done
[ "$n" = "${#SPECS[@]}" ] && ok "captured the config of every spec ($n)" ||
	not_ok "captured the config of every spec" "$n of ${#SPECS[@]}"
a=$(jq -r 'select(.decision == "rewrite" and .container == "app") | .note // empty' "$AUDIT" | sort | uniq -c) || true
check_contains "audit notes of the app containers" "$a" "readonly-rootfs: scratch tmpfs at /tmp, /var/tmp, /run, /home/app" \
	"readonly-rootfs: scratch tmpfs at /var/tmp, /run, /home/app" \
	"readonly-rootfs: scratch tmpfs at /tmp, /run, /home/app"

containerd_stop
gate_done
