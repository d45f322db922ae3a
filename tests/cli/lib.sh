# SPDX-License-Identifier: Apache-2.0
# Helpers for the command-line tests: run ocigate, check exit code and output.
set -u
OCIGATE=${OCIGATE:?set OCIGATE to the built binary}
DATA=${top_srcdir:?}/tests/data
fails=0
count=0
work=$(mktemp -d /tmp/ocigate-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run EXPECTED-EXIT ARGS...: runs ocigate, keeps stdout in $out and stderr in $err
run() {
  local want=$1; shift
  count=$((count + 1))
  "$OCIGATE" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [ "$rc" -ne "$want" ]; then
    echo "not ok $count - ocigate $* exited $rc, want $want"
    echo "  stdout: $(head -c 600 "$work/out")"
    echo "  stderr: $(head -c 600 "$work/err")"
    fails=$((fails + 1))
    return 1
  fi
  echo "ok $count - ocigate $* exits $want"
}

# check DESCRIPTION COMMAND...: a shell condition
check() {
  local what=$1; shift
  count=$((count + 1))
  if "$@"; then
    echo "ok $count - $what"
  else
    echo "not ok $count - $what"
    fails=$((fails + 1))
  fi
}

contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
lines() { printf '%s' "$1" | grep -c ''; }

finish() {
  echo "$((count - fails)) passed, $fails failed"
  [ "$fails" -eq 0 ]
}
