#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# embed.sh SYMBOL FILE: print a C definition of SYMBOL holding FILE's bytes.
set -eu
sym=$1
file=$2
printf '/* generated from %s: do not edit */\n' "$(basename "$file")"
printf 'extern const char %s[];\nconst char %s[] =\n' "$sym" "$sym"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$/\\n"/' "$file"
printf '  ;\n'
