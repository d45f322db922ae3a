#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The differential oracle: runc's own decoder (Go's encoding/json into the
# runtime-spec types, built here from Debian's packages) judges what
# ocigate lets through.  For every generated or corpus document ocigate
# allows or rewrites, under each preset:
#  (a) what Go decodes from the file runc would read, re-encoded, is
#      judged by ocigate as allowed with no further rewrite;
#  (b) Go's view equals ocigate's on every field of the spec types.
# Same for exec --process files.  Exit 0: no disagreement.
set -u
top_srcdir=${top_srcdir:?}
top_builddir=${top_builddir:?}
work=$(mktemp -d /tmp/ocigate-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$top_srcdir/tests/oracle/lib.sh"
go_ready || exit 77
if ! command -v python3 >/dev/null 2>&1; then
  echo "skip: needs python3"
  exit 77
fi
driver=$top_builddir/tests/oracle/oracle-driver
[ -x "$driver" ] || { echo "missing $driver (make check builds it)"; exit 99; }
go_build "$work/oracle" "$top_srcdir/tests/oracle/oracle.go" || exit 99

# The comparison can fail: a key runc binds that ocigate's view lacks.
mkdir "$work/self"
printf '{"ociVersion":"1","process":{"user":{"uid":1000,"gid":1000},"User":{"uid":0,"gid":0},"cwd":"/"}}' \
  >"$work/self/c-self.runc.json"
printf '{"ociVersion":"1","process":{"user":{"uid":1000,"gid":1000},"cwd":"/"}}' \
  >"$work/self/c-self.ocigate.json"
if "$work/oracle" "$work/self" >"$work/self.out" || ! grep -q 'DISAGREE self/c-self: /process/user/uid' "$work/self.out"; then
  cat "$work/self.out"
  echo "oracle: the comparison does not see runc's case-folded key"
  exit 99
fi

seed=${OCIGATE_ORACLE_SEED:-20261204}
count=${OCIGATE_ORACLE_COUNT:-10000}
mkdir "$work/in" "$work/out"
python3 "$top_srcdir/tests/oracle/gen-docs.py" --seed "$seed" --count "$count" --out "$work/in" \
  "$top_srcdir"/tests/fuzz/corpus/config/* "$top_srcdir"/tests/fuzz/corpus/process/* \
  "$top_srcdir"/tests/data/*/*.json || exit 99
echo "oracle: seed $seed, $(find "$work/in" -type f | wc -l) documents"

"$driver" judge "$work/in" "$work/out" || exit 99
"$work/oracle" "$work/out/restricted" "$work/out/baseline" "$work/out/privileged" \
  "$work/out/restricted-host" >"$work/go.out"
go_rc=$?
"$driver" recheck "$work/out" >"$work/recheck.out"
re_rc=$?
if [ "$go_rc" -gt 1 ] || [ "$re_rc" -gt 1 ]; then
  cat "$work/go.out" "$work/recheck.out"
  exit 99
fi
grep -h DISAGREE "$work/go.out" "$work/recheck.out" | head -60
tail -n 1 "$work/go.out"
tail -n 1 "$work/recheck.out"
if [ "$go_rc" -ne 0 ] || [ "$re_rc" -ne 0 ]; then
  echo "oracle: disagreements (reproduce with OCIGATE_ORACLE_SEED=$seed)"
  exit 1
fi
echo "oracle: 0 disagreements"
