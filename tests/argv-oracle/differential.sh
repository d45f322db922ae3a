#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ocigate's reading of runc's command line against urfave/cli's own: every
# command followed by every 3-word tail of a vocabulary, every 3-word argv
# of global words, and sampled longer argvs.  Any disagreement on what the
# gate acts on (command, bundle, container id, process file, exec's flags,
# --root/--log) fails.  The reference is built from Debian's
# golang-github-urfave-cli-dev, the source Debian's runc is built with.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
SAMPLES=${ARGV_ORACLE_SAMPLES:-30000}
SEED=${ARGV_ORACLE_SEED:-1}
CLI=/usr/share/gocode/src/github.com/urfave/cli

command -v go >/dev/null 2>&1 || { echo "SKIP: go is not installed"; exit 77; }
if [ ! -f "$CLI/command.go" ]; then
  echo "FAIL: $CLI missing: install golang-github-urfave-cli-dev (scripts/deps.sh test)"
  exit 99
fi
# The reference must be the library runc was built with.
lib=$(dpkg-query -W -f='${Version}' golang-github-urfave-cli-dev 2>/dev/null)
built=$(dpkg-query -W -f='${Built-Using}' runc 2>/dev/null |
  tr ',' '\n' | sed -n 's/.*golang-github-urfave-cli (= \(.*\)).*/\1/p')
if [ -n "$built" ] && [ "$built" != "$lib" ]; then
  echo "FAIL: runc is built with urfave/cli $built, the reference would be $lib"
  exit 99
fi

work=$(mktemp -d /tmp/ocigate-argv.XXXXXX)
trap 'rm -rf "$work"' EXIT
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' \
  GOCACHE=${GOCACHE:-$work/gocache} \
  go build -tags urfave_cli_no_docs -o "$work/oracle" "$top_srcdir/tests/argv-oracle/oracle.go" ||
  { echo "FAIL: cannot build the reference parser"; exit 99; }

"$work/oracle" gen "$SAMPLES" "$SEED" >"$work/argvs" || exit 99
"$work/oracle" <"$work/argvs" >"$work/want" || exit 99
"$top_builddir/tests/argv-oracle/driver" <"$work/argvs" >"$work/got" || exit 99

total=$(wc -l <"$work/argvs")
if [ "$(wc -l <"$work/want")" -ne "$total" ] || [ "$(wc -l <"$work/got")" -ne "$total" ]; then
  echo "FAIL: output lengths differ"
  exit 99
fi
paste -d '\n' "$work/argvs" "$work/want" "$work/got" |
  awk -v total="$total" '
    { argv = $0; getline want; getline got
      n[want == got ? "same" : "diff"]++
      split(want, w, "\t"); kinds[w[1] "/" w[2]]++
      if (want != got && shown++ < 20)
        printf "differs: runc %s\n  urfave:  %s\n  ocigate: %s\n", argv, want, got }
    END {
      for (k in kinds) line = line sprintf(" %s=%d", k, kinds[k])
      printf "argvs: %d (urfave:%s)\ndisagreements: %d\n", total, line, n["diff"] + 0
      exit n["diff"] > 0 }'
