#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# src/spec-fields.c is what tests/oracle/specgen.go makes of runc's spec
# types today: the table cannot drift from the Go types.
set -u
top_srcdir=${top_srcdir:?}
work=$(mktemp -d /tmp/ocigate-specgen.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$top_srcdir/tests/oracle/lib.sh"
go_ready || exit 77
go_build "$work/specgen" "$top_srcdir/tests/oracle/specgen.go" || exit 99
"$work/specgen" >"$work/spec-fields.c" || exit 99
if ! diff -u "$top_srcdir/src/spec-fields.c" "$work/spec-fields.c"; then
  echo "src/spec-fields.c is stale: regenerate it with tests/oracle/specgen.go"
  exit 1
fi
echo "src/spec-fields.c matches the runtime-spec Go types"
