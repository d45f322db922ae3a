# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Shared helpers for ocigate's end-to-end tests.  Source it from bash:
#
#   . "$(dirname "$0")/lib/common.sh"
#
# Functions
#   e2e_log MSG...            print "e2e: MSG" on stderr
#   e2e_die MSG...            print and exit 1
#   e2e_need_root             exit 77 (automake SKIP) unless running as root
#   e2e_need_cmd CMD...       exit 77 unless every CMD is on PATH
#   tmpdir VAR [PREFIX]       create a temp dir (mode 0755) under $TMPDIR or
#                             /tmp, store its path in VAR, and at shell exit
#                             unmount anything below it and remove it.  Not
#                             as T=$(tmpdir ...): the trap must live in the
#                             calling shell.  tmpdir_new is the same function.
#   on_exit CMD               run the shell command CMD at exit, on INT, TERM
#                             and HUP too (last registered first); every
#                             registered command runs even if one fails
#   make_busybox_rootfs DIR   DIR/bin/busybox (copy of busybox-static) plus a
#                             symlink per applet of `busybox --list`, and the
#                             usual empty mount points
#   make_bundle DIR           DIR/rootfs (busybox) + DIR/config.json from
#                             `runc spec` with "terminal": false
#   umount_below DIR          lazily unmount every mount point at or below DIR
#                             (deepest first)
#   cgroup_snapshot FILE      record the cgroup directories that exist now
#   cgroup_cleanup FILE TOP...
#                             rmdir (deepest first) the cgroup directories
#                             created since cgroup_snapshot FILE whose first
#                             path component below the hierarchy root is one
#                             of TOP (e.g. kubepods, libpod_parent): only
#                             parents the engines leave behind, never other
#                             people's cgroups.  Busy ones are left alone.
#   e2e_lock CMD              hold an exclusive machine-wide lock, until
#                             exit, on the installed binary CMD (containerd,
#                             podman): private engines of the same kind share
#                             host directories and cgroup parents
#                             (/run/containerd as a mount point, kubepods,
#                             libpod_parent) and must not overlap, whether
#                             under `make -j check` or from two build trees.
#                             No lock file is created.  containerd_start and
#                             podman_setup call it; calling it again for the
#                             same CMD is a no-op.
#   make_capture_runtime SCRIPT OUTDIR [REAL_RUNTIME]
#                             write an executable SCRIPT that, when called as
#                             an OCI runtime, copies BUNDLE/config.json of every
#                             create/run to OUTDIR/<n>-<verb>-<id>.json (bytes
#                             unchanged), logs its argv to OUTDIR/argv.log and
#                             execs REAL_RUNTIME (default /usr/bin/runc) with
#                             the same arguments.  OUTDIR is baked into the
#                             script, because conmon passes no environment.
#
# Variables honoured
#   BUSYBOX   path of the static busybox (default /bin/busybox)
#   RUNC      runc binary for `runc spec` (default /usr/bin/runc)

: "${BUSYBOX:=/bin/busybox}"
: "${RUNC:=/usr/bin/runc}"

e2e_log() { printf 'e2e: %s\n' "$*" >&2; }
e2e_die() { printf 'e2e: FATAL: %s\n' "$*" >&2; exit 1; }

e2e_need_root() {
	if [ "$(id -u)" != 0 ]; then
		e2e_log "SKIP: needs root"
		exit 77
	fi
}

e2e_need_cmd() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			e2e_log "SKIP: $c not installed"
			exit 77
		fi
	done
}

# ---- exit handlers -------------------------------------------------------

_E2E_EXIT_CMDS=()

_e2e_run_exit_cmds() {
	local rc=$? i
	set +e +u
	set +o pipefail
	for ((i = ${#_E2E_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${_E2E_EXIT_CMDS[i]}" || e2e_log "cleanup step failed: ${_E2E_EXIT_CMDS[i]}"
	done
	_E2E_EXIT_CMDS=()
	return $rc
}

# on_exit CMD: CMD is a shell string run with eval at exit, last registered first.
on_exit() {
	if [ ${#_E2E_EXIT_CMDS[@]} -eq 0 ]; then
		trap '_e2e_run_exit_cmds' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
	fi
	_E2E_EXIT_CMDS+=("$1")
}

umount_below() {
	local dir m
	dir=$(readlink -f -- "$1") || return 0
	[ -n "$dir" ] && [ "$dir" != / ] || return 1
	# /proc/self/mountinfo field 5 is the mount point (octal escapes for
	# spaces; our temp dirs have none).  Deepest first.
	while read -r m; do
		umount -l -- "$m" 2>/dev/null || true
	done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print length($5) " " $5 }' \
		/proc/self/mountinfo | sort -rn | cut -d' ' -f2-)
}

cgroup_snapshot() {
	{ find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null || true; } | sort >"$1"
}

cgroup_cleanup() {
	local snap=$1 d
	shift
	[ -f "$snap" ] || return 0
	{ find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null || true; } | sort |
		comm -13 "$snap" - |
		awk -v tops="$*" 'BEGIN { n = split(tops, t, " "); for (i = 1; i <= n; i++) ok[t[i]] = 1 }
			{ split($0, c, "/"); if (c[6] in ok) print length($0) " " $0 }' |
		sort -rn | cut -d' ' -f2- | while read -r d; do
			rmdir -- "$d" 2>/dev/null || e2e_log "cgroup $d busy, left in place"
		done
}

_e2e_rm_tmpdir() {
	local d=${1:-}
	[ -n "$d" ] && [ -d "$d" ] || return 0
	umount_below "$d"
	rm -rf --one-file-system -- "$d"
}

tmpdir_new() {
	local __var=${1:-} __prefix=${2:-ocigate-e2e} __d
	[ -n "$__var" ] || e2e_die "usage: tmpdir VAR [PREFIX]"
	__d=$(mktemp -d "${TMPDIR:-/tmp}/${__prefix}.XXXXXX") || e2e_die "mktemp failed"
	chmod 0755 "$__d"
	on_exit "_e2e_rm_tmpdir '$__d'"
	printf -v "$__var" '%s' "$__d"
}

tmpdir() {
	[ "${BASH_SUBSHELL:-0}" = 0 ] || e2e_die "tmpdir VAR: call it in the main shell, not in \$(...)"
	tmpdir_new "$@"
}

# ---- machine-wide locks ----------------------------------------------------

_E2E_LOCKED=" "

e2e_lock() {
	local cmd=${1:-} lock line pid=$$ fd
	lock=$(command -v "$cmd") && lock=$(readlink -f -- "$lock") && [ -f "$lock" ] ||
		e2e_die "e2e_lock: no $cmd installed"
	case "$_E2E_LOCKED" in *" $lock "*) return 0 ;; esac
	[ "${BASH_SUBSHELL:-0}" = 0 ] || e2e_die "e2e_lock: call it in the main shell"
	# The lock is held by a helper process, not by this shell: a locked fd
	# here would be inherited by containerd, the shims and conmon, and one
	# of them left running would hold the lock for good.  The helper lets
	# go when this shell is gone.
	exec {fd}< <(
		exec 9<"$lock" || exit 1
		if ! flock -n 9; then
			echo waiting
			flock 9 || exit 1
		fi
		echo locked
		exec 0</dev/null 1>&- 2>&-
		while kill -0 "$pid" 2>/dev/null; do sleep 1; done
	)
	on_exit "kill $! 2>/dev/null || true"
	line=
	while read -r -u "$fd" line; do
		case "$line" in
		waiting) e2e_log "waiting for another test using $cmd on this machine" ;;
		locked) break ;;
		esac
	done
	exec {fd}<&-
	[ "$line" = locked ] || e2e_die "e2e_lock: cannot lock $lock"
	_E2E_LOCKED="$_E2E_LOCKED$lock "
}

# ---- rootfs and bundles --------------------------------------------------

make_busybox_rootfs() {
	local root=${1:-} a
	[ -n "$root" ] || e2e_die "make_busybox_rootfs: DIR missing"
	[ -x "$BUSYBOX" ] || e2e_die "no static busybox at $BUSYBOX (apt install busybox-static)"
	mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
		"$root"/proc "$root"/sys "$root"/dev "$root"/etc "$root"/tmp \
		"$root"/root "$root"/run "$root"/var
	chmod 1777 "$root/tmp"
	cp -- "$BUSYBOX" "$root/bin/busybox"
	chmod 0755 "$root/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] && continue
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	[ -e "$root/etc/passwd" ] || printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	[ -e "$root/etc/group" ] || printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

make_bundle() {
	local dir=${1:-} tmp
	[ -n "$dir" ] || e2e_die "make_bundle: DIR missing"
	mkdir -p "$dir"
	make_busybox_rootfs "$dir/rootfs"
	rm -f "$dir/config.json"
	(cd "$dir" && "$RUNC" spec) || e2e_die "runc spec failed in $dir"
	tmp=$(mktemp "$dir/.config.XXXXXX")
	jq '.process.terminal = false' "$dir/config.json" >"$tmp" && mv -f "$tmp" "$dir/config.json"
}

# ---- capture runtime -----------------------------------------------------

make_capture_runtime() {
	local script=${1:-} out=${2:-} real=${3:-/usr/bin/runc}
	[ -n "$script" ] && [ -n "$out" ] || e2e_die "make_capture_runtime SCRIPT OUTDIR [RUNTIME]"
	mkdir -p "$out"
	out=$(readlink -f -- "$out")
	cat >"$script" <<EOF
#!/bin/sh
# OCI runtime wrapper written by tests/e2e/lib/common.sh: records the bundle's
# config.json for create/run/restore, then runs the real runtime unchanged.
OUT='$out'
REAL='$real'
EOF
	cat >>"$script" <<'EOF'
{ printf '%s' "$(date +%s.%N)"; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$OUT/argv.log" 2>/dev/null
verb= bundle= id= skip=0
for a in "$@"; do
	if [ "$skip" = 1 ]; then
		skip=0
		case "$prev" in
		--bundle|-bundle|-b) bundle=$a ;;
		esac
		continue
	fi
	prev=$a
	case "$a" in
	--bundle=*|-bundle=*) bundle=${a#*=} ;;
	--bundle|-bundle|-b) [ -n "$verb" ] && skip=1 ;;
	--root|--log|--log-format|--criu|--pid-file|-pid-file|--console-socket|-console-socket|--process|-p|--cgroup-manager|--image-path|--work-path|--parent-path|--preserve-fds|--manage-cgroups-mode|--lsm-profile|--lsm-mount-context|--empty-ns|--cap|-c|--user|-u|--env|-e|--cwd|--process-label|--apparmor|--additional-gids|-g)
		skip=1 ;;
	-*) ;;
	*)
		if [ -z "$verb" ]; then verb=$a; else id=$a; fi ;;
	esac
done
case "$verb" in
create|run|restore)
	[ -n "$bundle" ] || bundle=$(pwd)
	n=$(ls "$OUT" | grep -c '\.json$')
	cp "$bundle/config.json" "$OUT/$(printf %03d "$n")-$verb-$id.json" 2>>"$OUT/errors.log"
	printf '%s\n' "$bundle" >"$OUT/$(printf %03d "$n")-$verb-$id.bundle"
	;;
esac
exec "$REAL" "$@"
EOF
	chmod 0755 "$script"
}
