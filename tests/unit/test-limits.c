/* SPDX-License-Identifier: Apache-2.0 */
/* resource-limits: the pids limit runc writes to pids.max, and the memory
 * limit whose absence is worth a warning. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define WARN OCIGATE_ACTION_WARN

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = "/tmp/ocigate-bundle" };

#define PIDS "/linux/resources/pids/limit"
#define MEM "/linux/resources/memory/limit"

static void
judge (const ocigate_policy_t *pol, ocigate_doc_t *d, ocigate_result_t *res)
{
  tu_eval (pol, d, &lexical, res);
}

/* tu_base carries pids 4096 and a memory limit: no finding. */
START_TEST (test_near_misses)
{
  static const char *const pids[] = { "4096", "1", "100", "4095" };
  for (size_t i = 0; i < ARRAY_SIZE (pids); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_set (d, "linux/resources/pids/limit", pids[i]);
      ocigate_result_t res;
      judge (NULL, d, &res);
      ck_assert_msg (tu_count (&res, "resource-limits") == 0, "pids %s: %s", pids[i],
                     tu_dump (&res));
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_pids_trips)
{
  /* absent, 0 (runc leaves pids.max alone), negative ("max"), above the
   * policy's: each is rewritten to 4096. */
  static const char *const pids[] = { NULL, "0", "-1", "4097", "9223372036854775807" };
  for (size_t i = 0; i < ARRAY_SIZE (pids); i++)
    {
      ocigate_doc_t *d = tu_base ();
      if (pids[i])
        tu_set (d, "linux/resources/pids/limit", pids[i]);
      else
        tu_del (d, "linux/resources/pids");
      ocigate_result_t res;
      judge (NULL, d, &res);
      ck_assert_msg (tu_has (&res, "resource-limits", RW, PIDS), "pids %s: %s",
                     pids[i] ? pids[i] : "absent", tu_dump (&res));
      ck_assert_uint_eq (res.n, 1);
      ck_assert (!res.reject);
      ocigate_result_free (&res);

      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert (res.changed);
      ocigate_result_free (&res);
      char *v = tu_json_at (d, "linux/resources/pids/limit");
      ck_assert_str_eq (v, "4096");
      free (v);
      v = tu_json_at (d, "annotations/ocigate.rewrites");
      ck_assert_str_eq (v, "\"resource-limits\"");
      free (v);
      /* idempotent: the rewritten config is clean and stays as it is */
      char *before = tu_json (ocigate_doc_root (d));
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_uint_eq (res.n, 0);
      ck_assert (!res.changed);
      char *after = tu_json (ocigate_doc_root (d));
      ck_assert_str_eq (before, after);
      free (before);
      free (after);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_pids_no_linux)
{
  /* No linux.resources at all: the rewrite builds the path and keeps
   * the rest. */
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/resources");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert (tu_has (&res, "resource-limits", RW, PIDS));
  ck_assert (tu_has (&res, "resource-limits", WARN, MEM));
  ck_assert (res.changed);
  ocigate_result_free (&res);
  char *v = tu_json_at (d, "linux/resources");
  ck_assert_str_eq (v, "{\"pids\":{\"limit\":4096}}");
  free (v);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_memory_warns)
{
  static const char *const mem[] = { NULL, "0", "-1" };
  for (size_t i = 0; i < ARRAY_SIZE (mem); i++)
    {
      ocigate_doc_t *d = tu_base ();
      if (mem[i])
        tu_set (d, "linux/resources/memory/limit", mem[i]);
      else
        tu_del (d, "linux/resources/memory");
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_msg (tu_has (&res, "resource-limits", WARN, MEM), "%s", tu_dump (&res));
      ck_assert_uint_eq (res.n, 1);
      /* a warning rewrites nothing */
      ck_assert (!res.changed);
      ck_assert (!res.reject);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  /* near miss: one byte is a limit */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/resources/memory/limit", "1");
  ocigate_result_t res;
  judge (NULL, d, &res);
  ck_assert_uint_eq (tu_count (&res, "resource-limits"), 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_presets_and_policy)
{
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/resources/pids");
  ocigate_result_t res;

  /* baseline: off */
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  judge (pol, d, &res);
  ck_assert_uint_eq (tu_count (&res, "resource-limits"), 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  /* privileged: warns, rewrites nothing */
  pol = tu_policy ("{\"preset\":\"privileged\"}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (tu_has (&res, "resource-limits", WARN, PIDS));
  ck_assert (!res.changed);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  /* the policy's limit is the one written */
  pol = tu_policy ("{\"limits\":{\"pids\":512}}");
  tu_set (d, "linux/resources/pids", "{\"limit\":1024}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (tu_has (&res, "resource-limits", RW, PIDS));
  ocigate_result_free (&res);
  char *v = tu_json_at (d, "linux/resources/pids/limit");
  ck_assert_str_eq (v, "512");
  free (v);
  ocigate_policy_free (pol);

  /* limits.pids 0: pids are left alone, memory still warns */
  pol = tu_policy ("{\"limits\":{\"pids\":0}}");
  tu_set (d, "linux/resources/pids/limit", "-1");
  tu_del (d, "linux/resources/memory");
  judge (pol, d, &res);
  ck_assert_uint_eq (tu_count (&res, "resource-limits"), 1);
  ck_assert (tu_has (&res, "resource-limits", WARN, MEM));
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  /* reject when the operator says so */
  pol = tu_policy ("{\"rules\":{\"resource-limits\":\"reject\"}}");
  judge (pol, d, &res);
  ck_assert (tu_has (&res, "resource-limits", REJ, PIDS));
  ck_assert (res.reject);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_policy_key)
{
  ocigate_error_t err = NULL;
  static const char *const bad[]
      = { "{\"limits\":{\"pids\":-1}}", "{\"limits\":{\"pids\":\"4096\"}}",
          "{\"limits\":{\"pids\":4194305}}", "{\"limits\":{\"pids\":1.5}}" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_policy_t *p = ocigate_policy_parse (bad[i], strlen (bad[i]), "p.json", &err);
      ck_assert_msg (p == NULL, "%s accepted", bad[i]);
      ck_assert (strstr (err->msg, "limits.pids") != NULL);
      ocigate_error_free (&err);
      err = NULL;
    }
  ocigate_policy_t *p = ocigate_policy_default ();
  ck_assert_int_eq (p->limits_pids, 4096);
  char *show = NULL;
  size_t len;
  ck_assert_int_eq (ocigate_policy_show (p, &show, &len, &err), 0);
  ck_assert (strstr (show, "\"pids\"") != NULL);
  ocigate_policy_t *q = tu_policy ("{\"limits\":{\"pids\":100}}");
  ck_assert_int_eq (q->limits_pids, 100);
  free (show);
  ocigate_policy_free (q);
  ocigate_policy_free (p);
}
END_TEST

START_TEST (test_wrong_type_is_error)
{
  /* runc's decoder refuses a non-integer limit: an error, not a default */
  const char *bad[] = { "\"max\"", "1.5", "true" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_set (d, "linux/resources/pids/limit", bad[i]);
      char *text = tu_json (ocigate_doc_root (d));
      ocigate_error_t err = NULL;
      ocigate_doc_t *p
          = ocigate_config_parse (text, strlen (text), tu_default_policy (), "c.json", &err);
      ck_assert_msg (p == NULL, "%s accepted", bad[i]);
      ck_assert (strstr (err->msg, "/linux/resources/pids/limit") != NULL);
      ocigate_error_free (&err);
      free (text);
      ocigate_doc_free (d);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("limits");
  TCase *tc = tcase_create ("limits");
  tcase_add_test (tc, test_near_misses);
  tcase_add_test (tc, test_pids_trips);
  tcase_add_test (tc, test_pids_no_linux);
  tcase_add_test (tc, test_memory_warns);
  tcase_add_test (tc, test_presets_and_policy);
  tcase_add_test (tc, test_policy_key);
  tcase_add_test (tc, test_wrong_type_is_error);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
