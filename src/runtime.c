/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>

#include "ocigate/runtime.h"

int
ocigate_runtime_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  fputs ("ocigate: runtime mode is not available in this build\n", stderr);
  return 2;
}
