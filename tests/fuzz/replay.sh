#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Replays each fuzz target's corpus; the config target also gets the
# fixture corpus of real generator output and attack configs.
set -eu
b=${top_builddir:-.}/tests/fuzz
s=${top_srcdir:-.}
set -- "$s/tests/fuzz/corpus/config"
for d in "$s/tests/data/generated" "$s/tests/data/attack"; do
  [ -d "$d" ] && set -- "$@" "$d"
done
"$b/replay-config" "$@"
"$b/replay-policy" "$s/tests/fuzz/corpus/policy"
"$b/replay-process" "$s/tests/fuzz/corpus/process"
