#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# validate throughput and peak RSS over the fixture corpus of real generator
# output. Run from a build directory: bench/bench-validate.sh [SECONDS]
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
b=${top_builddir:-.}
make -C "$b" -s bench/bench-validate ocigate >/dev/null
exec "$b/bench/bench-validate" -t "${1:-3}" "$b/ocigate" "$top_srcdir"/tests/data/generated/*.json
