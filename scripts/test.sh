#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite on a fresh Debian machine (as root):
#   1. gcc, -Werror: unit tests, fuzz corpus replay, end-to-end tests with
#      real runc / containerd / podman, packaging;
#   2. clang with AddressSanitizer + UBSan (-Werror): the suite again (all
#      but the containerd/podman/crun/package tests), and the libFuzzer
#      targets, each run briefly over its corpus;
#   3. formatting of the C sources (clang-format).
# Skipped tests count as failures under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh test
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

pass=0 fail=0 skip=0
tally() {
  local log=$1/test-suite.log
  local p f s e
  if [ ! -f "$log" ]; then
    fail=$((fail + 1))
    return
  fi
  p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
  f=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
  e=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
  s=$(sed -n 's/^# SKIP: *//p' "$log" | head -1)
  pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0} + ${e:-0})) skip=$((skip + ${s:-0}))
}

suite() {
  local dir=$1 subset=$2; shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1) ||
    { cat "$dir/configure.out"; exit 1; }
  make -C "$dir" -j2 >"$dir/build.out" 2>&1 || { cat "$dir/build.out"; exit 1; }
  local rc=0 tests
  tests=$(make -s -C "$dir" print-tests | tr ' ' '\n' | grep -v -E "$subset" | tr '\n' ' ')
  make -C "$dir" -j2 check TESTS="$tests" >"$dir/check.out" 2>&1 || rc=$?
  grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS)' "$dir/check.out" | grep -v '^PASS' || true
  grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR)' "$dir/check.out" || true
  tally "$dir"
  if [ $rc -ne 0 ]; then
    for l in $(find "$dir/tests" -name '*.log'); do
      grep -q -E '^(FAIL|ERROR)' "${l%.log}.trs" 2>/dev/null && { echo "=== $l"; tail -40 "$l"; }
    done
    echo "suite $dir failed"
    return 1
  fi
}

echo "== gcc build and suite"
suite _ci/gcc '^$' CC=gcc

echo "== clang + ASan/UBSan build and suite, libFuzzer targets"
# The engines' own e2e tests (containerd, podman, crun, CRI-O) and the package
# build exercise the same binary as the runc e2e tests and take most of the
# time: under the sanitizers the runc, unit, CLI and fuzz-replay tests run.
suite _ci/asan 'containerd-|podman|crun|crio|packaging-' CC=clang --enable-asan --enable-fuzzing
make -C _ci/asan -j2 tests/fuzz/fuzz-config tests/fuzz/fuzz-policy tests/fuzz/fuzz-process >/dev/null
for t in config policy process; do
  work=$(mktemp -d)
  cp -r tests/fuzz/corpus/$t/. "$work/"
  [ $t = config ] && cp tests/data/*/*.json "$work/" 2>/dev/null || true
  if ! (cd "$work" && "$top/_ci/asan/tests/fuzz/fuzz-$t" -max_total_time=${FUZZ_SECONDS:-20} \
          -max_len=65536 -timeout=10 . >"$work.log" 2>&1); then
    tail -40 "$work.log"; echo "fuzz-$t found a crash"; fail=$((fail + 1))
  else
    pass=$((pass + 1)); echo "fuzz-$t: $(grep -c . "$work.log") lines, no crash"
  fi
  rm -rf "$work" "$work.log"
done

echo "== formatting (clang-format, .clang-format)"
if clang-format --dry-run --Werror src/*.c src/*.h include/ocigate/*.h tests/unit/*.c \
     tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h bench/*.c 2>"$top/_ci/format.out"; then
  pass=$((pass + 1))
else
  head -40 "$top/_ci/format.out"; echo "formatting differs: run clang-format -i"; fail=$((fail + 1))
fi

if [ "${CI:-}" = true ] && [ "$skip" -ne 0 ]; then
  echo "$skip tests skipped: skips are failures in CI"
  fail=$((fail + skip))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
