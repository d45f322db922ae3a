/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "testutil.h"

int
main (void)
{
  Suite *s = suite_create ("lsm");
  return tu_run (s);
}
