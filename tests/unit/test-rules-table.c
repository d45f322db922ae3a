/* SPDX-License-Identifier: Apache-2.0 */
/* The rule catalogue (rules-table.c) against what each rule runs
 * (engine.c): a rule a policy may set to rewrite has a rewrite. */
#include "config.h"

#include <string.h>

#include "testutil.h"

START_TEST (test_rewrite_matches_fix)
{
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      bool fix = ocigate_rules[r].fix != NULL && r != R_HOST_MOUNTS;
      ck_assert_msg (ocigate_rule_can_rewrite ((ocigate_rule_id_t)r) == fix, "%s",
                     ocigate_rule_info ((ocigate_rule_id_t)r)->id);
    }
  /* host-mounts has a fix (pinning a judged source) but no rewrite. */
  ck_assert (ocigate_rules[R_HOST_MOUNTS].fix != NULL);
  ck_assert (!ocigate_rule_can_rewrite (R_HOST_MOUNTS));
  ck_assert (ocigate_rule_can_rewrite (R_CAPABILITIES));
}
END_TEST

START_TEST (test_lookup)
{
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)r);
      ck_assert_ptr_nonnull (ri->id);
      ck_assert_ptr_nonnull (ri->description);
      ck_assert_ptr_nonnull (ri->fix);
      ck_assert_ptr_nonnull (ocigate_rules[r].check);
      ck_assert_int_eq (ocigate_rule_lookup (ri->id), r);
    }
  ck_assert_int_eq (ocigate_rule_lookup ("no-such-rule"), -1);
  ck_assert_int_eq (ocigate_rule_lookup ("root-use"), -1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("rules-table");
  TCase *tc = tcase_create ("rules-table");
  tcase_add_test (tc, test_rewrite_matches_fix);
  tcase_add_test (tc, test_lookup);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
