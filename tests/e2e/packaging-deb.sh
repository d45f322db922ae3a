#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The Debian package and the containerd drop-ins.
#
# 1. Build the .deb from a copy of the source tree exactly as
#    packaging/debian/README.Debian's users do from a fresh clone:
#      cp -r packaging/debian . && dpkg-buildpackage -us -uc -b
#    (tests skipped inside: `make check` already ran on this tree).
# 2. Check the package: control fields, conffiles, maintainer scripts, and,
#    unpacked with `dpkg -x` into a scratch root, the binary, the man page,
#    the policy, the profiles and the examples.
# 3. Load packaging/containerd/ocigate.toml into containerd's own config
#    parser (`containerd config dump` reads the files without starting
#    anything), both as an `imports` drop-in and appended to a node-like
#    config.toml, and run the DaemonSet installer's containerd edits
#    (packaging/kubernetes/install.sh) against a scratch node root.
#
# Needs (beyond the build): dpkg-dev, debhelper, dh-apparmor, fakeroot, the
# Build-Depends of packaging/debian/control, containerd, man-db, groff-base;
# lintian is used when installed.  Takes about a minute on two cores.
set -euo pipefail

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

say() { printf 'packaging-deb: %s\n' "$*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}
skip() {
	say "SKIP: $*"
	exit 77
}

# debian/rules and the RPM spec set this while running `make check`: a
# package built inside a package build proves nothing and takes minutes.
[ -z "${OCIGATE_PACKAGE_BUILD:-}" ] || skip "inside a package build"

missing=
for c in dpkg-buildpackage dpkg-checkbuilddeps dpkg-deb dpkg-parsechangelog dh dh_apparmor \
	fakeroot readelf containerd man groff awk; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -z "$missing" ] || skip "not installed:$missing"

W=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-deb.XXXXXX")
trap 'rm -rf "$W"' EXIT
src=$W/ocigate

# --- versions agree -------------------------------------------------------

version=$(sed -n 's/^AC_INIT(\[ocigate\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
[ -n "$version" ] || fail "no version in configure.ac's AC_INIT"
deb_version=$(dpkg-parsechangelog -l "$top_srcdir/packaging/debian/changelog" -S Version)
[ "$deb_version" = "$version" ] ||
	fail "packaging/debian/changelog says $deb_version, configure.ac $version"
rpm_version=$(sed -n 's/^Version: *//p' "$top_srcdir/packaging/rpm/ocigate.spec")
[ "$rpm_version" = "$version" ] ||
	fail "packaging/rpm/ocigate.spec says $rpm_version, configure.ac $version"
grep -q "^\.TH OCIGATE 8 .*\"ocigate $version\"" "$top_srcdir/docs/ocigate.8" ||
	fail "docs/ocigate.8's .TH line does not name ocigate $version"
if command -v rpmspec >/dev/null 2>&1; then
	rpmspec -P "$top_srcdir/packaging/rpm/ocigate.spec" >"$W/spec.out" 2>&1 ||
		{ cat "$W/spec.out" >&2; fail "rpmspec cannot parse packaging/rpm/ocigate.spec"; }
fi

# --- a copy of the tree, as a clone would have it --------------------------

mkdir "$src"
abs_src=$(cd "$top_srcdir" && pwd -P)
# A checkout (not a release tree unpacked inside one, as in make distcheck).
if [ "$(git -C "$abs_src" rev-parse --show-toplevel 2>/dev/null)" = "$abs_src" ]; then
	# Tracked files and new ones not yet committed, without what .gitignore
	# excludes (build products, generated autotools files), build
	# directories and editor backups: a fresh clone plus the change at hand.
	(cd "$abs_src" &&
		git ls-files -z --cached --others --exclude-standard -- . ':(exclude)_*' ':(exclude)*~' |
		while IFS= read -r -d '' f; do
			if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf -) | tar -C "$src" -xf -
else
	# A release tree (make distcheck): all of it but our own build directory.
	abs_build=$(cd "$top_builddir" && pwd -P)
	exclude=()
	case "$abs_build/" in
	"$abs_src"/*)
		rel=${abs_build#"$abs_src"/}
		exclude=(--exclude="./${rel%%/*}")
		;;
	esac
	tar -C "$top_srcdir" "${exclude[@]}" --exclude=./autom4te.cache -cf - . | tar -C "$src" -xf -
	chmod -R u+w "$src"
fi

cp -r "$src/packaging/debian" "$src/debian"
(cd "$src" && dpkg-checkbuilddeps) >"$W/deps.log" 2>&1 ||
	skip "build dependencies missing: $(cat "$W/deps.log")"

# --- build ----------------------------------------------------------------

say "building the package (log: dpkg-buildpackage.log on failure)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$W/dpkg-buildpackage.log" 2>&1; then
	tail -n 40 "$W/dpkg-buildpackage.log" >&2
	fail "dpkg-buildpackage -us -uc -b failed"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$W/ocigate_${version}_$arch.deb
[ -f "$deb" ] || fail "no $(basename "$deb"); built: $(cd "$W" && echo *.deb)"

# --- the package's metadata ----------------------------------------------

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = ocigate ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)'"
depends=$(field Depends)
depends_on() {
	case ", $depends," in
	*", $1"[\ ,:]*) ;;
	*) fail "Depends lacks '$1': $depends" ;;
	esac
}
depends_on 'runc | crun'

dpkg-deb -e "$deb" "$W/control"
for f in /etc/ocigate/policy.json /etc/apparmor.d/ocigate-default /etc/logrotate.d/ocigate; do
	grep -qx "$f" "$W/control/conffiles" || fail "$f is not a conffile: $(cat "$W/control/conffiles")"
done
for s in postinst postrm; do
	[ -x "$W/control/$s" ] || fail "no executable $s"
	sh -n "$W/control/$s" || fail "$s is not valid sh"
done
grep -q 'install -d -m 0750 .*/var/log/ocigate' "$W/control/postinst" ||
	fail "postinst does not create /var/log/ocigate 0750"
if ! grep -q 'aa-enabled' "$W/control/postinst" ||
	! grep -q 'apparmor_parser -r' "$W/control/postinst" ||
	! grep -q '/etc/apparmor.d/ocigate-default' "$W/control/postinst"; then
	fail "postinst does not load the AppArmor profile when AppArmor is enabled"
fi
if grep -q '/var/log/ocigate' "$W/control/postrm"; then
	fail "postrm touches /var/log/ocigate: purge must keep the audit trail"
fi
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/ocigate/README.Debian | grep -q 'kept on purge' ||
	fail "README.Debian does not say what purge does with the audit log"
case ", $(field Recommends)," in
*", logrotate"[\ ,]*) ;;
*) fail "Recommends lacks logrotate (the package ships /etc/logrotate.d/ocigate): $(field Recommends)" ;;
esac
# A static binary carries its libraries' code: Built-Using names their
# source packages at the versions built against, so that their security
# updates lead to a rebuild.
built_using=$(field Built-Using)
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/bin/ocigate >"$W/ocigate.bin"
if readelf -d "$W/ocigate.bin" | grep -q '(NEEDED)'; then
	say "note: the binary is linked dynamically; Built-Using: '$built_using'"
else
	for dev in libc6-dev libyajl-dev libcap-dev libseccomp-dev libapparmor-dev libselinux1-dev libpcre2-dev; do
		want=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' "$dev")
		case ", $built_using," in
		*", $want,"*) ;;
		*) fail "Built-Using lacks $want ($dev's source): '$built_using'" ;;
		esac
	done
fi

# --- what it installs -----------------------------------------------------

root=$W/root
dpkg -x "$deb" "$root"
listing=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|')
for f in /usr/bin/ocigate /usr/share/man/man8/ocigate.8.gz /etc/ocigate/policy.json \
	/usr/share/ocigate/seccomp/default.json /etc/apparmor.d/ocigate-default \
	/etc/logrotate.d/ocigate /usr/share/doc/ocigate/copyright \
	/usr/share/doc/ocigate/README.Debian /usr/share/doc/ocigate/examples/policy.json \
	/usr/share/doc/ocigate/examples/containerd/ocigate.toml \
	/usr/share/doc/ocigate/examples/containerd/ocigate-v3.toml \
	/usr/share/doc/ocigate/examples/cri-o/10-ocigate.conf \
	/usr/share/doc/ocigate/examples/podman/containers.conf \
	/usr/share/doc/ocigate/examples/kubernetes/runtimeclass.yaml \
	/usr/share/doc/ocigate/examples/kubernetes/daemonset.yaml \
	/usr/share/doc/ocigate/examples/kubernetes/configmap-policy.yaml; do
	grep -qx "$f" <<<"$listing" || fail "$f is not in the package"
done
if grep -E '\.(la|a|h|pc)$|/include/|policy\.json\.example$' <<<"$listing"; then
	fail "the package ships files it should not (above)"
fi

bin=$root/usr/bin/ocigate
# Every shared library the binary needs is a dependency (${shlibs:Depends});
# a static build (configure's choice) needs none.
for so in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
	pkg=$(dpkg-query -S "*/$so" 2>/dev/null | sed -n '1s/[:,].*//p')
	[ -n "$pkg" ] || fail "no installed package provides $so, which ocigate needs"
	depends_on "$pkg"
done
"$bin" version >"$W/version" || fail "ocigate version exits $?"
grep -qx "ocigate version $version" "$W/version" || fail "ocigate version says: $(cat "$W/version")"
grep -qx 'features: +seccomp +apparmor +selinux' "$W/version" ||
	fail "the package is not built with every feature: $(cat "$W/version")"
grep -qx 'runtime: /usr/sbin/runc' "$W/version" ||
	fail "the default runtime is not Debian's runc: $(cat "$W/version")"

# The man page: renders, and groff has nothing to warn about.
man8=$root/usr/share/man/man8/ocigate.8.gz
warnings=$(zcat "$man8" | groff -man -ww -z 2>&1) || true
[ -z "$warnings" ] || fail "groff warns about ocigate.8: $warnings"
MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man -P cat -l "$man8" >"$W/man.txt" 2>"$W/man.err" ||
	fail "man -l cannot render ocigate.8: $(cat "$W/man.err")"
for s in NAME SYNOPSIS 'EXIT STATUS' ENVIRONMENT FILES RULES 'POLICY FILE' EXAMPLES; do
	grep -q "^$s\$" "$W/man.txt" || fail "ocigate.8 has no $s section"
done
grep -q 'ocigate - policy gate' "$W/man.txt" || fail "ocigate.8's NAME line is wrong"

# The shipped policy: valid, and as shipped it is the built-in default.
policy=$root/etc/ocigate/policy.json
"$bin" policy check "$policy" >"$W/check" || fail "ocigate policy check rejects the shipped policy"
grep -q 'ok (preset restricted, mode enforce, 0 exemptions)' "$W/check" ||
	fail "unexpected policy check output: $(cat "$W/check")"
diff <("$bin" policy show | grep -v '"source"') \
	<("$bin" policy show --policy "$policy" | grep -v '"source"') >"$W/policy.diff" ||
	fail "the shipped policy differs from the built-in default: $(cat "$W/policy.diff")"

# The profiles: the very files the binary embeds.
cmp -s <("$bin" profile seccomp) "$root/usr/share/ocigate/seccomp/default.json" ||
	fail "/usr/share/ocigate/seccomp/default.json is not the embedded profile"
cmp -s <("$bin" profile apparmor) "$root/etc/apparmor.d/ocigate-default" ||
	fail "/etc/apparmor.d/ocigate-default is not the embedded profile"

if command -v lintian >/dev/null 2>&1; then
	lintian --allow-root --fail-on error "$deb" >"$W/lintian" 2>&1 ||
		{ cat "$W/lintian" >&2; fail "lintian reports errors"; }
	[ ! -s "$W/lintian" ] || sed 's/^/packaging-deb: lintian: /' "$W/lintian" >&2
fi

# --- containerd -------------------------------------------------------------

examples=$root/usr/share/doc/ocigate/examples
ctr=$W/containerd
mkdir -p "$ctr/conf.d"

# The handler's tables in a dump, and a check of their content.
handler() { awk -v h="runtimes.$1" '/^[[:space:]]*\[/ { k = index($0, h "]") || index($0, h ".") } k'; }
expect_handler() { # DUMP NAME BINARY
	handler "$2" <"$1" >"$1.$2"
	if ! grep -q 'runtime_type = "io.containerd.runc.v2"' "$1.$2" ||
		! grep -q "BinaryName = \"$3\"" "$1.$2"; then
		fail "$1: no '$2' handler running $3: $(cat "$1.$2")"
	fi
}
dump() { containerd --config "$1" config dump >"$2" 2>"$2.err" || fail "containerd cannot load $1: $(cat "$2.err")"; }

# As a drop-in through `imports`, on a config that sets nothing else.
cp "$examples/containerd/ocigate.toml" "$ctr/conf.d/"
cat >"$ctr/imports.toml" <<EOF
version = 2
root = "$ctr/root"
state = "$ctr/state"
imports = ["$ctr/conf.d/*.toml"]
EOF
dump "$ctr/imports.toml" "$ctr/imports.dump"
expect_handler "$ctr/imports.dump" ocigate /usr/bin/ocigate

# Appended, as the file says to on containerd 1.x, to a node's config.toml
# with CRI settings of its own and no runtime handler of its own (so the
# commented runc lines are needed too).
cat >"$ctr/node.toml" <<EOF
version = 2
root = "$ctr/root"
state = "$ctr/state"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.example.org/pause:3.9"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
EOF
cp "$ctr/node.toml" "$ctr/appended.toml"
sed -e '/^version = /d' -e '/^# \[plugins\..*\.runtimes\.runc\]$/,$ s/^# //' \
	"$examples/containerd/ocigate.toml" >>"$ctr/appended.toml"
dump "$ctr/node.toml" "$ctr/node.dump"
dump "$ctr/appended.toml" "$ctr/appended.dump"
expect_handler "$ctr/appended.dump" ocigate /usr/bin/ocigate
handler runc <"$ctr/appended.dump" | grep -q 'runtime_type = "io.containerd.runc.v2"' ||
	fail "appending ocigate.toml as documented loses the runc handler"
for k in 'sandbox_image = "registry.example.org/pause:3.9"' 'bin_dir = "/usr/lib/cni"'; do
	grep -qF "$k" "$ctr/appended.dump" || fail "appending ocigate.toml loses the node's $k"
done
# Why ocigate.toml tells containerd 1.x users not to import it: there the
# imported file's CRI table replaces the node's.  Only reported.
sed "/^version = /a imports = [\"$ctr/conf.d/*.toml\"]" "$ctr/node.toml" >"$ctr/node-imports.toml"
dump "$ctr/node-imports.toml" "$ctr/node-imports.dump"
if ! grep -qF 'sandbox_image = "registry.example.org/pause:3.9"' "$ctr/node-imports.dump"; then
	say "note: $(containerd --version | awk '{ print $3 }') drops the node's CRI settings when ocigate.toml is imported"
fi

# The DaemonSet installer's edits, against a scratch node root: files land
# under $node, commands run here, nothing restarts.
node=$W/node
img=$W/image
mkdir -p "$node/etc/containerd" "$node/usr/sbin" "$img/bin" "$img/share/seccomp" "$img/share/apparmor"
cp "$bin" "$img/bin/ocigate"
cp "$root/usr/share/ocigate/seccomp/default.json" "$img/share/seccomp/"
cp "$root/etc/apparmor.d/ocigate-default" "$img/share/apparmor/"
printf '#!/bin/sh\nexit 0\n' >"$node/usr/sbin/runc"
chmod +x "$node/usr/sbin/runc"
cp "$ctr/node.toml" "$node/etc/containerd/config.toml"
installer() {
	HOST=$node HOST_EXEC='' HOST_VIEW=$node SRC=$img POLICY=${policy:?} RESTART=no APPARMOR=no \
		sh "$examples/kubernetes/install.sh" "$@" >"$W/installer.log" 2>&1 ||
		{ cat "$W/installer.log" >&2; fail "install.sh $* failed"; }
}
installer install
grep -q "registered" "$W/installer.log" || fail "install.sh registered nothing: $(cat "$W/installer.log")"
dump "$node/etc/containerd/config.toml" "$ctr/installed.dump"
expect_handler "$ctr/installed.dump" ocigate /opt/ocigate/bin/ocigate
diff <(handler ocigate <"$ctr/installed.dump" | grep -v BinaryName) \
	<(handler ocigate <"$ctr/appended.dump" | grep -v BinaryName) >/dev/null ||
	fail "the installer's handler differs from packaging/containerd/ocigate.toml's"
for f in opt/ocigate/bin/ocigate etc/ocigate/policy.json opt/ocigate/share/seccomp/default.json \
	opt/ocigate/share/apparmor/ocigate-default var/log/ocigate; do
	[ -e "$node/$f" ] || fail "the installer did not install /$f"
done
cp "$node/etc/containerd/config.toml" "$ctr/installed.toml"
installer install
grep -q "unchanged" "$W/installer.log" || fail "a second install.sh run changed the config again"
cmp -s "$node/etc/containerd/config.toml" "$ctr/installed.toml" || fail "a second install.sh run rewrote config.toml"
installer uninstall
cmp -s "$node/etc/containerd/config.toml" "$ctr/node.toml" ||
	fail "install.sh uninstall did not restore config.toml: $(diff "$ctr/node.toml" "$node/etc/containerd/config.toml")"

[ ! -e "$node/etc/containerd/config.toml.ocigate-backup" ] || fail "install.sh uninstall left the config backup"

# The default handler: on Debian's own config.toml (no [...cri".containerd]
# table: the block carries default_runtime_name) and on `containerd config
# default`'s (edited in place, the old value kept); runc stays; uninstall
# restores the file byte for byte.  Refused while the policy does not
# exempt kube-system and the installer's namespace.
if HOST=$node HOST_EXEC='' HOST_VIEW=$node SRC=$img POLICY=$policy RESTART=no APPARMOR=no DEFAULT_RUNTIME=yes \
	sh "$examples/kubernetes/install.sh" install >"$W/installer.log" 2>&1; then
	fail "install.sh made ocigate the default handler under a policy that exempts nothing"
fi
grep -q 'does not exempt' "$W/installer.log" || fail "no reason for refusing the default handler: $(cat "$W/installer.log")"
cmp -s "$node/etc/containerd/config.toml" "$ctr/node.toml" || fail "the refused default install changed config.toml"
exempting=$W/exempting.json
cat >"$exempting" <<EOF
{ "runtime": "/usr/sbin/runc",
  "exemptions": [ { "namespaces": ["kube-system"], "preset": "privileged" },
                  { "namespaces": ["ocigate-system"], "preset": "privileged" } ] }
EOF
containerd config default | sed -e "s|^root = .*|root = \"$ctr/root\"|" -e "s|^state = .*|state = \"$ctr/state\"|" \
	>"$ctr/generated.toml"
for base in node generated; do
	cp "$ctr/$base.toml" "$node/etc/containerd/config.toml"
	policy=$exempting DEFAULT_RUNTIME=yes installer install
	dump "$node/etc/containerd/config.toml" "$ctr/default-$base.dump"
	expect_handler "$ctr/default-$base.dump" ocigate /opt/ocigate/bin/ocigate
	handler runc <"$ctr/default-$base.dump" | grep -q 'runtime_type = "io.containerd.runc.v2"' ||
		fail "$base: the default install loses the runc handler"
	grep -qx '      default_runtime_name = "ocigate"' "$ctr/default-$base.dump" ||
		fail "$base: default_runtime_name is not ocigate: $(grep default_runtime_name "$ctr/default-$base.dump")"
	policy=$exempting installer install
	dump "$node/etc/containerd/config.toml" "$ctr/handler-$base.dump"
	grep -qx '      default_runtime_name = "runc"' "$ctr/handler-$base.dump" ||
		fail "$base: an install without DEFAULT_RUNTIME leaves ocigate the default"
	policy=$exempting DEFAULT_RUNTIME=yes installer install
	installer uninstall
	cmp -s "$node/etc/containerd/config.toml" "$ctr/$base.toml" ||
		fail "$base: uninstall after a default install did not restore config.toml: $(diff "$ctr/$base.toml" "$node/etc/containerd/config.toml")"
done

# Uninstall while a container's shim still calls the binary: the handler
# goes, the binary stays (exit 3, the container named) until it is gone.
policy=$exempting installer install
task=$node/run/containerd/io.containerd.runtime.v2.task/k8s.io/c0ffee
mkdir -p "$task"
printf '{"binary_name":"/opt/ocigate/bin/ocigate","systemd_cgroup":true}' >"$task/options.json"
rc=0
HOST=$node HOST_EXEC='' HOST_VIEW=$node SRC=$img POLICY=$policy RESTART=no APPARMOR=no \
	sh "$examples/kubernetes/install.sh" uninstall >"$W/installer.log" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "uninstall with a running container exits $rc, not 3: $(cat "$W/installer.log")"
[ -x "$node/opt/ocigate/bin/ocigate" ] || fail "uninstall removed the binary a running container's shim calls"
grep -q 'c0ffee' "$W/installer.log" || fail "uninstall does not name the container that keeps the binary"
cmp -s "$node/etc/containerd/config.toml" "$ctr/generated.toml" || fail "uninstall with a running container kept the handler"
rm -r "$task"
mkdir -p "$node/etc/apparmor.d"
cp "$img/share/apparmor/ocigate-default" "$node/etc/apparmor.d/"
installer uninstall
[ ! -e "$node/opt/ocigate/bin/ocigate" ] || fail "a second uninstall, once drained, kept the binary"
[ ! -e "$node/etc/apparmor.d/ocigate-default" ] || fail "uninstall left the AppArmor profile"

# The package's helper: the same script, for the node itself.
helper=$root/usr/sbin/ocigate-containerd
[ -x "$helper" ] || fail "the package has no /usr/sbin/ocigate-containerd"
cp "$ctr/node.toml" "$node/etc/containerd/config.toml"
mkdir -p "$node/etc/ocigate"
cp "$exempting" "$node/etc/ocigate/policy.json"
for args in "configure --default" unconfigure; do
	# shellcheck disable=SC2086
	HOST=$node HOST_VIEW=$node RESTART=no BINARY=$bin sh "$helper" $args >"$W/helper.log" 2>&1 ||
		{ cat "$W/helper.log" >&2; fail "ocigate-containerd $args failed"; }
	if [ "$args" != unconfigure ]; then
		dump "$node/etc/containerd/config.toml" "$ctr/helper.dump"
		expect_handler "$ctr/helper.dump" ocigate "$bin"
		grep -qx '      default_runtime_name = "ocigate"' "$ctr/helper.dump" ||
			fail "ocigate-containerd configure --default: ocigate is not the default"
	fi
done
cmp -s "$node/etc/containerd/config.toml" "$ctr/node.toml" || fail "ocigate-containerd unconfigure did not restore config.toml"

say "ok: $(basename "$deb")"
