#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The RPM as the guide builds it: `make dist`, then `rpmbuild -ta` on the
# tarball (the spec travels inside it).  Checks that the tarball carries the
# spec at its top level, that %prep, %build and %install run, and what the
# binary package holds: files, config files, the version of the binary.
#
# rpmbuild runs here on Debian: BuildRequires name RPM packages this
# machine's rpm database does not know (--nodeps), no debuginfo tooling
# (debug_package off), %check skipped (make check already ran on this
# tree).
set -euo pipefail

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

say() { printf 'packaging-rpm: %s\n' "$*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}
skip() {
	say "SKIP: $*"
	exit 77
}

[ -z "${OCIGATE_PACKAGE_BUILD:-}" ] || skip "inside a package build"
for c in rpmbuild rpm rpm2archive make tar gzip; do
	command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-rpm.XXXXXX")
trap 'rm -rf "$W"' EXIT

version=$(sed -n 's/^AC_INIT(\[ocigate\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
[ -n "$version" ] || fail "no version in configure.ac's AC_INIT"

# make dist into a scratch directory (the build tree's own tarball, if any,
# is left alone).
say "make dist"
make -C "$top_builddir" distdir distdir="$W/ocigate-$version" >"$W/dist.log" 2>&1 ||
	{ tail -n 20 "$W/dist.log" >&2; fail "make distdir failed"; }
tar -C "$W" -czf "$W/ocigate-$version.tar.gz" "ocigate-$version"
rm -rf "${W:?}/ocigate-$version"
tarball=$W/ocigate-$version.tar.gz

tar -tzf "$tarball" >"$W/list"
grep -qx "ocigate-$version/packaging/rpm/ocigate.spec" "$W/list" ||
	fail "the tarball has no packaging/rpm/ocigate.spec"
# rpmbuild -ta takes the first *.spec it finds in the tarball.
[ "$(grep -c '\.spec$' "$W/list")" = 1 ] ||
	fail "the tarball has more than one spec: $(grep '\.spec$' "$W/list")"

say "rpmbuild -ta (log: rpmbuild.log on failure)"
if ! rpmbuild -ta --nodeps --nocheck \
	--define "_topdir $W/rpm" --define 'debug_package %{nil}' \
	--define "_smp_mflags -j$(nproc)" \
	"$tarball" >"$W/rpmbuild.log" 2>&1; then
	tail -n 40 "$W/rpmbuild.log" >&2
	fail "rpmbuild -ta failed"
fi
rpmfile=$(find "$W/rpm/RPMS" -name "ocigate-$version-*.rpm" | head -n 1)
[ -n "$rpmfile" ] || fail "no binary RPM built"
srpm=$(find "$W/rpm/SRPMS" -name "ocigate-$version-*.src.rpm" | head -n 1)
[ -n "$srpm" ] || fail "no source RPM built"

rpm -qlp "$rpmfile" >"$W/files" 2>/dev/null
for f in /usr/bin/ocigate /etc/ocigate/policy.json /etc/apparmor.d/ocigate-default \
	/etc/logrotate.d/ocigate /usr/share/ocigate/seccomp/default.json /var/log/ocigate; do
	grep -qx "$f" "$W/files" || fail "$f is not in the RPM"
done
grep -q '^/usr/share/man/man8/ocigate\.8' "$W/files" || fail "the man page is not in the RPM"
rpm -qcp "$rpmfile" >"$W/conf" 2>/dev/null
for f in /etc/ocigate/policy.json /etc/logrotate.d/ocigate; do
	grep -qx "$f" "$W/conf" || fail "$f is not a config file of the RPM"
done

mkdir "$W/root"
rpm2archive - <"$rpmfile" | tar -C "$W/root" -xzf - || fail "cannot unpack $rpmfile"
"$W/root/usr/bin/ocigate" version >"$W/version" || fail "the packaged ocigate does not run"
grep -qx "ocigate version $version" "$W/version" || fail "ocigate version says: $(cat "$W/version")"
"$W/root/usr/bin/ocigate" policy check "$W/root/etc/ocigate/policy.json" >/dev/null ||
	fail "the packaged policy does not pass ocigate policy check"

say "ok: $(basename "$rpmfile") $(basename "$srpm")"
