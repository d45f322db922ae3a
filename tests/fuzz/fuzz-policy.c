/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the policy file parser and `policy show`. */
#include "config.h"

#include "fuzz.h"
#include "ocigate/engine.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocigate_error_t err = NULL;
  ocigate_policy_t *p = ocigate_policy_parse ((const char *)data, size, "fuzz", &err);
  if (p == NULL)
    {
      ocigate_error_free (&err);
      return 0;
    }
  char *out;
  size_t len;
  if (ocigate_policy_show (p, &out, &len, &err) == 0)
    free (out);
  ocigate_error_free (&err);
  ocigate_policy_free (p);
  return 0;
}
