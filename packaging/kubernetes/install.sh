#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Installs ocigate on the node it runs on and registers it with containerd as
# the CRI runtime handler "ocigate".  Runs in the installer image (see
# Containerfile) as the init container of daemonset.yaml, the way node
# runtimes are usually rolled out (kata-deploy, gVisor installers): files go
# through hostPath volumes, commands that need the node (containerd, systemctl,
# apparmor_parser) run in PID 1's namespaces through nsenter.
#
#   install.sh install     copy binary, profiles and policy; register the
#                          handler; restart containerd if its config changed
#   install.sh uninstall   unregister the handler, restart containerd, remove
#                          the binary (kept while running containers' shims
#                          still call it: run again once they are gone), the
#                          profiles, the AppArmor profile and the config
#                          backup (the policy and the audit log stay)
#   install.sh in-use      list the containers whose shim runs the binary
#
# The Debian package installs this script as ocigate-containerd, a helper
# for the node itself (no HOST, no nsenter, PREFIX /usr):
#   ocigate-containerd configure [--default]   register the handler (and
#                                              make it the default)
#   ocigate-containerd unconfigure             remove it again
#   ocigate-containerd in-use                  as above
#
# Default handler (DEFAULT_RUNTIME=yes, or configure --default): every pod
# without a runtimeClassName goes through ocigate.  containerd 1.x: the
# CRI plugin's default_runtime_name becomes "ocigate" (in the marker block,
# or edited in place, with the old value kept in a comment, where the file
# has its own [...cri".containerd] table); runc stays defined.  Refused
# unless the policy exempts kube-system and the installer's namespace
# (POD_NAMESPACE): the node's system pods and this installer would
# otherwise run under it.
#
# containerd 1.6/1.7 (config version 2): the handler is appended to
# config.toml between marker lines.  It is not written as an `imports`
# drop-in there because before 2.0 an imported file replaces the main file's
# whole [plugins."io.containerd.grpc.v1.cri"] table (containerd#5837): the
# node's sandbox image, CNI and registry settings would be lost.
# containerd 2.x (imports merge key by key): a drop-in in
# /etc/containerd/conf.d/, imported from config.toml.
# Either way the new configuration is loaded with `containerd config dump`
# before the restart and must differ from the old one by the handler only;
# otherwise the old file is put back and nothing is restarted.
#
# Environment (defaults suit daemonset.yaml):
#   HOST        where the node's directories are mounted      (/host)
#   HOST_EXEC   runs a command on the node    (nsenter into PID 1's namespaces)
#   HOST_VIEW   how HOST_EXEC commands see node paths          (empty)
#   PREFIX      install prefix on the node                     (/opt/ocigate)
#   SRC         the image's files: bin/ocigate, share/...      (/ocigate)
#   POLICY      the policy to install (ConfigMap)              (/config/policy.json)
#   RESTART     restart containerd when its config changed     (yes)
#   APPARMOR    load (uninstall: unload) the AppArmor profile
#               when AppArmor is on                            (yes)
#   CONTAINERD_MAJOR  skip version detection (1 or 2)
#   DEFAULT_RUNTIME   make ocigate the default handler         (no)
#   POD_NAMESPACE     the installer's namespace                (ocigate-system)
#   BINARY            the handler's BinaryName        ($PREFIX/bin/ocigate)
set -eu

if [ "$(basename "$0")" = ocigate-containerd ]; then
	: "${HOST=}" "${HOST_EXEC=}" "${PREFIX:=/usr}" "${POLICY:=/etc/ocigate/policy.json}"
	: "${POD_NAMESPACE=}"
	HELPER=yes
fi

: "${HOST=/host}"
: "${HOST_EXEC=nsenter --target 1 --mount --uts --ipc --net --pid --}"
: "${HOST_VIEW=}"
: "${PREFIX:=/opt/ocigate}"
: "${SRC:=/ocigate}"
: "${POLICY:=/config/policy.json}"
: "${RESTART:=yes}"
: "${APPARMOR:=yes}"
: "${CONTAINERD_MAJOR:=}"
: "${DEFAULT_RUNTIME:=no}"
: "${POD_NAMESPACE=ocigate-system}"
: "${HELPER:=no}"

HANDLER=ocigate
BIN=${BINARY:-$PREFIX/bin/ocigate}
TASKS=/run/containerd/io.containerd.runtime.v2.task
DEFAULT_MARK="# ocigate installer, was"
CONFIG=/etc/containerd/config.toml
DROPIN=/etc/containerd/conf.d/ocigate.toml
BACKUP=$CONFIG.ocigate-backup
BEGIN_MARK="# BEGIN ocigate handler (written by the ocigate installer)"
END_MARK="# END ocigate handler"

log() { echo "ocigate-install: $*"; }
die() {
	echo "ocigate-install: error: $*" >&2
	exit 1
}
# A command on the node, and the path it sees for node path $1.
on_host() { $HOST_EXEC "$@"; }
hv() { printf '%s%s' "$HOST_VIEW" "$1"; }

# Atomic replace inside a hostPath: running ocigate processes keep the old
# inode, new ones get the new file, nobody sees half a file.
put() { # SRC DEST MODE
	mkdir -p "$(dirname "$HOST$2")"
	cp "$1" "$HOST$2.new"
	chmod "$3" "$HOST$2.new"
	mv -f "$HOST$2.new" "$HOST$2"
}

containerd_major() {
	if [ -n "$CONTAINERD_MAJOR" ]; then
		echo "$CONTAINERD_MAJOR"
		return
	fi
	# "containerd github.com/containerd/containerd v1.7.13 <commit>",
	# "containerd containerd.io 1.6.28 <commit>", Debian "1.6.20~ds1 ..."
	v=$(on_host containerd --version | awk '{ print $3 }') ||
		die "containerd not found on the node (only containerd nodes are supported)"
	v=${v#v}
	echo "${v%%.*}"
}

# `containerd config dump` of the node's current files.
dump() { on_host containerd --config "$(hv "$CONFIG")" config dump; }

# A dump without the handler's tables, the imports list and blank lines:
# what must not change when the handler is added.
strip_handler() {
	awk -v h="runtimes.$HANDLER" '
		/^[[:space:]]*\[/ { skip = index($0, h "]") || index($0, h ".") }
		/^[[:space:]]*imports[[:space:]]*=/ { next }
		/^[[:space:]]*$/ { next }
		d && /^[[:space:]]*default_runtime_name[[:space:]]*=/ { next }
		!skip' d="${STRIP_DEFAULT:-}"
}

# default_runtime_name in a dump.
default_name() { sed -n 's/^[[:space:]]*default_runtime_name = "\(.*\)"$/\1/p' | head -n 1; }

# The handler's tables in a dump.
handler_tables() { tables_of "$HANDLER"; }

# The runtime handlers a dump defines, one name per line.
runtime_names() {
	sed -n 's/^[[:space:]]*\[plugins\."[^"]*"\.containerd\.runtimes\.\([^].]*\)\]$/\1/p'
}

# The tables of handler $1 in a dump.
tables_of() {
	awk -v h="runtimes.$1" '
		/^[[:space:]]*\[/ { keep = index($0, h "]") || index($0, h ".") }
		keep'
}

# SystemdCgroup of the node's runc handler: ocigate's must match the
# kubelet's cgroup driver exactly as runc's does.
systemd_cgroup() {
	awk '/^[[:space:]]*\[/ { inrunc = index($0, "containerd.runtimes.runc.options]") > 0 }
		inrunc && $1 == "SystemdCgroup" { print $3; exit }'
}

handler_toml() { # PLUGIN-ID SYSTEMD-CGROUP
	cat <<EOF
[plugins."$1".containerd.runtimes.$HANDLER]
  runtime_type = "io.containerd.runc.v2"
  [plugins."$1".containerd.runtimes.$HANDLER.options]
    BinaryName = "$BIN"
    SystemdCgroup = $2
EOF
}

remove_block() { # FILE
	sed -e "/^$BEGIN_MARK\$/,/^$END_MARK\$/d" \
		-e "/^[[:space:]]*default_runtime_name = \"$HANDLER\" $DEFAULT_MARK unset\$/d" \
		-e "s/^\([[:space:]]*default_runtime_name = \)\"$HANDLER\" $DEFAULT_MARK \(\".*\"\)\$/\1\2/" "$1"
}

# The header line of the CRI plugin's [.containerd] table in FILE, if any.
CRI_CTR_TABLE='^[[:space:]]*\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\][[:space:]]*$'

# Make the handler the default in FILE's own [...cri".containerd] table:
# the old value stays in a comment, for remove_block.
edit_default() { # FILE
	awk -v h="$HANDLER" -v m="$DEFAULT_MARK" -v re="$CRI_CTR_TABLE" '
		function put_unset() { print "  default_runtime_name = \"" h "\" " m " unset"; done = 1 }
		/^[[:space:]]*\[/ { if (in_t && !done) put_unset(); in_t = ($0 ~ re) }
		in_t && !done && /^[[:space:]]*default_runtime_name[[:space:]]*=/ {
			v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]*(#.*)?$/, "", v)
			ind = $0; sub(/[^[:space:]].*$/, "", ind)
			print ind "default_runtime_name = \"" h "\" " m " " v; done = 1; next }
		{ print }
		END { if (in_t && !done) put_unset() }' "$1"
}

# Write the node's containerd configuration for major version $1 ("" to
# remove the handler), with the handler's SystemdCgroup $2 and the extra
# tables $3.
write_config() {
	major=$1 cgroup=$2 extra=$3
	cfg=$HOST$CONFIG
	mkdir -p "$(dirname "$cfg")"
	if [ "$major" = 1 ] || [ -z "$major" ]; then
		new=$cfg.ocigate-new
		if [ -f "$cfg" ]; then remove_block "$cfg" >"$new"; else : >"$new"; fi
		[ -z "$major" ] && { mv -f "$new" "$cfg"; rm -f "$HOST$DROPIN"; return; }
		if ! grep -q '^[[:space:]]*version[[:space:]]*=' "$new"; then
			[ -s "$new" ] && die "$CONFIG has no 'version = 2' line (config version 1 is not supported)"
			echo "version = 2" >"$new"
		fi
		grep -q '^[[:space:]]*version[[:space:]]*=[[:space:]]*2[[:space:]]*$' "$new" ||
			die "$CONFIG is not config version 2"
		if grep -Eq "runtimes\\.\"?$HANDLER\"?[].]" "$new"; then
			rm -f "$new"
			die "$CONFIG already defines a runtime handler '$HANDLER'; remove it first"
		fi
		own_table=
		if [ "$DEFAULT_RUNTIME" = yes ] && grep -q "$CRI_CTR_TABLE" "$new"; then
			own_table=yes
			edit_default "$new" >"$new.2" && mv -f "$new.2" "$new"
		fi
		[ -s "$new" ] && [ -n "$(tail -c 1 "$new")" ] && echo >>"$new"
		{
			echo "$BEGIN_MARK"
			if [ "$DEFAULT_RUNTIME" = yes ] && [ -z "$own_table" ]; then
				echo '[plugins."io.containerd.grpc.v1.cri".containerd]'
				echo "  default_runtime_name = \"$HANDLER\""
			fi
			handler_toml io.containerd.grpc.v1.cri "$cgroup"
			[ -z "$extra" ] || printf '%s\n' "$extra"
			echo "$END_MARK"
		} >>"$new"
		mv -f "$new" "$cfg"
	else
		mkdir -p "$(dirname "$HOST$DROPIN")"
		{
			echo "# Written by the ocigate installer."
			echo "version = 3"
			if [ "$DEFAULT_RUNTIME" = yes ]; then
				echo '[plugins."io.containerd.cri.v1.runtime".containerd]'
				echo "  default_runtime_name = \"$HANDLER\""
			fi
			handler_toml io.containerd.cri.v1.runtime "$cgroup"
			[ -z "$extra" ] || printf '%s\n' "$extra"
		} >"$HOST$DROPIN"
		if [ ! -f "$cfg" ]; then
			printf 'version = 3\nimports = ["%s"]\n' "$(dirname "$DROPIN")/*.toml" >"$cfg"
		elif ! grep -q '^[[:space:]]*imports[[:space:]]*=' "$cfg"; then
			# Top-level keys must come before the first table.
			awk -v imp="imports = [\"$(dirname "$DROPIN")/*.toml\"]" '
				!done && (/^[[:space:]]*\[/ || /^[[:space:]]*version[[:space:]]*=/) {
					if (/^[[:space:]]*\[/) print imp
					print
					if (!/^[[:space:]]*\[/) print imp
					done = 1; next }
				{ print }
				END { if (!done) print imp }' "$cfg" >"$cfg.ocigate-new"
			mv -f "$cfg.ocigate-new" "$cfg"
		elif ! grep -q "$(dirname "$DROPIN")/\\*\\.toml" "$cfg"; then
			rm -f "$HOST$DROPIN"
			die "$CONFIG has an imports list without \"$(dirname "$DROPIN")/*.toml\"; add it"
		fi
	fi
}

restart_containerd() {
	if [ "$RESTART" != yes ]; then
		log "containerd configuration changed; restart containerd to apply it"
		return 0
	fi
	log "restarting containerd"
	on_host systemctl restart containerd || return 1
	i=0
	until on_host systemctl is-active --quiet containerd; do
		i=$((i + 1))
		[ "$i" -ge 30 ] && return 1
		sleep 2
	done
}

# The bytes of the files the installer may change, as one comparable line.
config_state() {
	for f in "$HOST$CONFIG" "$HOST$DROPIN"; do
		if [ -f "$f" ]; then cksum <"$f"; else echo absent; fi
	done | tr '\n' ' '
}

# Change containerd's configuration to $1 (major version, or "" to remove
# the handler), check it, and restart containerd when it changed.
reconfigure() {
	major=$1
	state=$(config_state)
	if [ ! -f "$HOST$CONFIG" ]; then
		[ -n "$major" ] || { log "no $CONFIG: nothing to remove"; return 0; }
		# The node runs on containerd's defaults; make them explicit.
		mkdir -p "$(dirname "$HOST$CONFIG")"
		if [ "$major" = 1 ]; then echo "version = 2"; else echo "version = 3"; fi >"$HOST$CONFIG"
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	dump >"$tmp/full" || die "containerd cannot load $CONFIG as it is"
	was_default=$(default_name <"$tmp/full")
	STRIP_DEFAULT=
	if [ "$DEFAULT_RUNTIME" = yes ] || [ -z "$major" ] || [ "$was_default" = "$HANDLER" ]; then
		STRIP_DEFAULT=1
	fi
	strip_handler <"$tmp/full" >"$tmp/dump"
	cgroup=$(systemd_cgroup <"$tmp/full")
	[ -n "$cgroup" ] || cgroup=false
	[ -f "$HOST$CONFIG" ] && cp -p "$HOST$CONFIG" "$tmp/config"
	[ -f "$HOST$DROPIN" ] && cp -p "$HOST$DROPIN" "$tmp/dropin"
	# Kept once, for a person: the file as it was before ocigate touched it.
	[ -f "$HOST$CONFIG" ] && [ ! -f "$HOST$BACKUP" ] && cp -p "$HOST$CONFIG" "$HOST$BACKUP"

	restore() {
		if [ -f "$tmp/config" ]; then cp -p "$tmp/config" "$HOST$CONFIG"; else rm -f "$HOST$CONFIG"; fi
		if [ -f "$tmp/dropin" ]; then cp -p "$tmp/dropin" "$HOST$DROPIN"; else rm -f "$HOST$DROPIN"; fi
	}
	rollback() {
		restore
		die "$1; $CONFIG left as it was"
	}

	write_config "$major" "$cgroup" ""
	after=$(dump) || rollback "containerd cannot load the new configuration"
	# A config that defines no runtime handler of its own runs on the
	# built-in "runc" one; defining any handler replaces the built-in set,
	# so the handlers that vanished are restated as they were.
	lost=$(runtime_names <"$tmp/full" | grep -vx "$HANDLER" |
		grep -vxF "$(printf '%s\n' "$after" | runtime_names)" || true)
	if [ -n "$major" ] && [ -n "$lost" ]; then
		extra=$(for n in $lost; do tables_of "$n" <"$tmp/full"; done)
		write_config "$major" "$cgroup" "$extra"
		after=$(dump) || rollback "containerd cannot load the new configuration"
	fi
	printf '%s\n' "$after" | strip_handler | cmp -s - "$tmp/dump" ||
		rollback "the change would alter other containerd settings"
	if [ -n "$major" ]; then
		printf '%s\n' "$after" | handler_tables | grep -q "BinaryName = \"$BIN\"" ||
			rollback "the handler is missing from the loaded configuration"
		printf '%s\n' "$after" | runtime_names | grep -qx runc ||
			rollback "the runc handler is missing from the loaded configuration"
		if [ "$DEFAULT_RUNTIME" = yes ]; then
			[ "$(printf '%s\n' "$after" | default_name)" = "$HANDLER" ] ||
				rollback "default_runtime_name is not \"$HANDLER\" in the loaded configuration"
		elif [ -z "$STRIP_DEFAULT" ]; then
			[ "$(printf '%s\n' "$after" | default_name)" = "$was_default" ] ||
				rollback "the change would alter default_runtime_name"
		else
			[ "$(printf '%s\n' "$after" | default_name)" != "$HANDLER" ] ||
				rollback "default_runtime_name is still \"$HANDLER\" outside the installer's lines"
		fi
	elif printf '%s\n' "$after" | handler_tables | grep -q .; then
		rollback "the handler is still defined outside the installer's lines"
	elif [ "$(printf '%s\n' "$after" | default_name)" = "$HANDLER" ]; then
		rollback "default_runtime_name is still \"$HANDLER\" outside the installer's lines"
	fi

	if [ "$(config_state)" = "$state" ]; then
		log "containerd configuration unchanged"
		return 0
	fi
	if ! restart_containerd; then
		restore
		restart_containerd || true
		die "containerd did not come back with the new configuration; the old one is restored"
	fi
	if [ -n "$major" ]; then
		log "containerd runtime handler '$HANDLER' registered (BinaryName $BIN)"
	else
		log "containerd runtime handler '$HANDLER' removed"
	fi
}

# The containers whose runc v2 shim runs the binary: the shim keeps its
# options (BinaryName) in options.json beside each task's bundle, and calls
# the binary for every later kill, delete and state.
in_use() {
	# shellcheck disable=SC2016 # expanded on the node
	on_host sh -c 'for f in "$1"/*/*/options.json; do
			[ -f "$f" ] || continue
			grep -q "\"binary_name\":\"$2\"" "$f" && basename "$(dirname "$f")"
		done; exit 0' sh "$(hv "$TASKS")" "$BIN"
}

# In default mode the node's system pods and this installer run under the
# policy: it must exempt them.
check_exemptions() { # POLICY-FILE
	[ "$DEFAULT_RUNTIME" = yes ] || return 0
	if [ -f "$1" ]; then
		shown=$("$OCIGATE_CMD" policy show --policy "$1") || die "cannot read the policy $1"
	else
		shown=$("$OCIGATE_CMD" policy show) || die "cannot run $OCIGATE_CMD"
	fi
	exempt=$(printf '%s\n' "$shown" | awk '
		/^    "exemptions": \[/ { ex = 1; next }
		ex && /^    \]/ { ex = 0 }
		ex && /"namespaces": \[/ { ns = 1; next }
		ns && /\]/ { ns = 0 }
		ns { gsub(/[",[:space:]]/, ""); print }')
	for ns in kube-system $POD_NAMESPACE; do
		printf '%s\n' "$exempt" | grep -qx "$ns" ||
			die "as the default handler ocigate would judge namespace $ns, which the policy does not exempt; add { \"namespaces\": [\"$ns\"], \"preset\": \"privileged\" } to its exemptions (docs/operators.md, section 5)"
	done
}

install_files() {
	"$SRC/bin/ocigate" policy check "$POLICY" >/dev/null ||
		die "the policy from the ConfigMap is invalid (see above); nothing installed"
	OCIGATE_CMD=$SRC/bin/ocigate check_exemptions "$POLICY"
	runtime=$("$SRC/bin/ocigate" policy show --policy "$POLICY" |
		sed -n 's/^    "runtime": "\(.*\)",$/\1/p')
	on_host test -x "$(hv "$runtime")" ||
		die "the policy's runtime '$runtime' is not on this node; set \"runtime\" in the ConfigMap"

	put "$SRC/bin/ocigate" "$BIN" 0755
	put "$SRC/share/seccomp/default.json" "$PREFIX/share/seccomp/default.json" 0644
	put "$SRC/share/apparmor/ocigate-default" "$PREFIX/share/apparmor/ocigate-default" 0644
	put "$POLICY" /etc/ocigate/policy.json 0644
	on_host install -d -m 0750 "$(hv /var/log/ocigate)"
	"$HOST$BIN" version | sed 's/^/ocigate-install: installed: /'

	# AppArmor: the profile goes where the node loads profiles at boot.
	# shellcheck disable=SC2016 # expanded on the node
	if [ "$APPARMOR" = yes ] && on_host sh -c 'command -v apparmor_parser >/dev/null &&
			[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]'; then
		on_host install -m 0644 "$(hv "$PREFIX/share/apparmor/ocigate-default")" \
			"$(hv /etc/apparmor.d/ocigate-default)"
		on_host apparmor_parser -r -W "$(hv /etc/apparmor.d/ocigate-default)"
		log "AppArmor profile ocigate-default loaded"
	fi
}

uninstall_files() {
	users=$(in_use)
	if [ -n "$users" ]; then
		log "kept $BIN: the shims of these running containers still call it (drain the node, then run uninstall again): $(printf "%s\n" "$users" | tr "\n" " ")"
	else
		rm -f "$HOST$BIN"
	fi
	rm -f "$HOST$PREFIX/share/seccomp/default.json" "$HOST$PREFIX/share/apparmor/ocigate-default" \
		"$HOST$BACKUP"
	rmdir "$HOST$PREFIX/share/seccomp" "$HOST$PREFIX/share/apparmor" "$HOST$PREFIX/share" \
		"$HOST$PREFIX/bin" "$HOST$PREFIX" 2>/dev/null || true
	# shellcheck disable=SC2016 # expanded on the node
	if on_host test -f "$(hv /etc/apparmor.d/ocigate-default)"; then
		on_host sh -c '[ "$2" = yes ] && command -v apparmor_parser >/dev/null &&
			[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
			apparmor_parser -R "$1" >/dev/null 2>&1; rm -f "$1"' sh "$(hv /etc/apparmor.d/ocigate-default)" "$APPARMOR"
		log "AppArmor profile ocigate-default removed"
	fi
	[ -z "$users" ] || return 3
}

case "${1:-}" in
install)
	[ "$HELPER" = no ] || die "ocigate-containerd: use configure, unconfigure or in-use"
	install_files
	reconfigure "$(containerd_major)"
	log "done on node ${NODE_NAME:-$(hostname)}"
	;;
uninstall)
	[ "$HELPER" = no ] || die "ocigate-containerd: use configure, unconfigure or in-use"
	reconfigure ""
	rc=0
	uninstall_files || rc=$?
	log "removed; /etc/ocigate/policy.json and /var/log/ocigate are kept"
	exit "$rc"
	;;
configure)
	[ "${2:-}" != --default ] || DEFAULT_RUNTIME=yes
	OCIGATE_CMD=$BIN check_exemptions "$HOST$POLICY"
	reconfigure "$(containerd_major)"
	;;
unconfigure)
	reconfigure ""
	users=$(in_use)
	[ -z "$users" ] || log "still running through $BIN (drain before removing it): $(printf "%s\n" "$users" | tr "\n" " ")"
	;;
in-use)
	in_use
	;;
*)
	echo "usage: $0 install|uninstall|in-use (ocigate-containerd: configure [--default]|unconfigure|in-use)" >&2
	exit 2
	;;
esac
