/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz config.json parsing and the whole decision: parse, evaluate,
 * rewrite, and check that a rewrite is stable (rewrite(rewrite(x)) ==
 * rewrite(x)) and serialises to JSON we can read back. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ocigate/engine.h"

static ocigate_policy_t *pol;

static char *
rewrite_once (const char *buf, size_t len, size_t *out_len)
{
  ocigate_error_t err = NULL;
  ocigate_result_t res;
  char *out = NULL;
  ocigate_doc_t *doc = ocigate_config_parse (buf, len, pol, "fuzz", &err);
  if (doc == NULL)
    {
      ocigate_error_free (&err);
      return NULL;
    }
  ocigate_eval_opts_t opts = { .name = "fuzz", .bundle = "/nonexistent-bundle" };
  if (ocigate_evaluate (pol, doc, &opts, &res, &err) == 0
      && ocigate_apply (pol, doc, &opts, &res, &err) == 0 && !res.reject)
    {
      char *m = ocigate_result_message (&res);
      free (m);
      if (ocigate_json_serialize (ocigate_doc_root (doc), false, &out, out_len, &err) < 0)
        out = NULL;
    }
  ocigate_error_free (&err);
  ocigate_result_free (&res);
  ocigate_doc_free (doc);
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocigate_error_t err = NULL;
  if (pol == NULL)
    {
      pol = ocigate_policy_load (NULL, &err);
      if (pol == NULL)
        __builtin_trap ();
    }
  size_t l1, l2;
  char *once = rewrite_once ((const char *)data, size, &l1);
  if (once == NULL)
    return 0;
  char *twice = rewrite_once (once, l1, &l2);
  /* What we hand to the runtime must parse again and be a fixed point. */
  if (twice == NULL || l1 != l2 || memcmp (once, twice, l1) != 0)
    __builtin_trap ();
  free (once);
  free (twice);
  return 0;
}
