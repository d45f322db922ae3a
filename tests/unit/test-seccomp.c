/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp rule on the shapes of weak profile that runc and the kernel
 * let dangerous calls through: actions that hand the decision to another
 * process (SCMP_ACT_TRACE, SCMP_ACT_NOTIFY), argument filters on dangerous
 * syscalls, clone without the namespace-flag mask, clone3.  Each is judged
 * weak, tightened so that nothing dangerous is let through any more, and
 * the tightened profile is a fixed point; the near misses (the default
 * profile, clone with the mask) are left alone.  Evaluation reads the
 * policy only: a lazily loaded policy stays as loaded. */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#define RW OCIGATE_ACTION_REWRITE

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = "/tmp/ocigate-bundle" };

static const char *const letting[]
    = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY" };

/* The spec's list, then names the built-in list adds. */
static const char *const more_dangerous[] = { "umount", "fsopen" };
#define N_DANGEROUS (tu_n_dangerous + ARRAY_SIZE (more_dangerous))

static const char *
dangerous (size_t k)
{
  return k < tu_n_dangerous ? tu_dangerous[k] : more_dangerous[k - tu_n_dangerous];
}

#define CLONE_MASK "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}"

static bool
is_letting (const char *a)
{
  for (size_t i = 0; i < ARRAY_SIZE (letting); i++)
    if (a && strcmp (a, letting[i]) == 0)
      return true;
  return false;
}

/* After tightening: no dangerous name and no clone3 in a letting-through
 * entry, every letting-through clone entry carries the mask filter, and
 * clone3 (where named) fails with ENOSYS. */
static void
assert_tight (ocigate_doc_t *d, const char *what)
{
  const ocigate_json_t *sc = oj_path (ocigate_doc_root (d), "linux/seccomp");
  ck_assert_msg (sc != NULL, "%s: no profile", what);
  ck_assert_msg (!is_letting (oj_str (oj_get (sc, "defaultAction"))), "%s: default lets through",
                 what);
  const ocigate_json_t *calls = oj_get (sc, "syscalls");
  bool clone_seen = false;
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      const char *a = oj_str (oj_get (c, "action"));
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          const char *n = oj_str (oj_at (names, j));
          if (strcmp (n, "clone3") == 0)
            {
              int64_t e = 0;
              ck_assert_msg (!is_letting (a), "%s: clone3 let through by %s", what, a);
              ck_assert_msg (strcmp (a, "SCMP_ACT_ERRNO") == 0
                                 && oj_int (oj_get (c, "errnoRet"), &e) && e == 38,
                             "%s: clone3 is not ENOSYS", what);
            }
          if (!is_letting (a))
            continue;
          for (size_t k = 0; k < N_DANGEROUS; k++)
            ck_assert_msg (strcmp (n, dangerous (k)) != 0, "%s: %s still let through by %s", what,
                           n, a);
          if (strcmp (n, "clone") == 0)
            {
              char *args = tu_json (oj_get (c, "args"));
              ck_assert_msg (strcmp (args, "[" CLONE_MASK "]") == 0, "%s: clone args %s", what,
                             args);
              free (args);
              clone_seen = true;
            }
        }
    }
  ck_assert_msg (clone_seen, "%s: clone no longer allowed at all", what);
}

/* Rewrite d; it must be tight, and rewriting again changes nothing and
 * finds nothing (the rewrite is a fixed point). */
static void
tighten_fixed_point (ocigate_doc_t *d, const char *what)
{
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_msg (tu_count (&res, "seccomp") == 1, "%s: no seccomp finding", what);
  ocigate_result_free (&res);
  assert_tight (d, what);
  char *once = tu_json_at (d, "linux/seccomp");
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_msg (tu_count (&res, "seccomp") == 0, "%s: still weak after tightening", what);
  ocigate_result_free (&res);
  char *twice = tu_json_at (d, "linux/seccomp");
  ck_assert_msg (strcmp (once, twice) == 0, "%s: not a fixed point", what);
  free (once);
  free (twice);
}

/* ---- letting-through actions ---- */

START_TEST (test_notify_trace_default)
{
  /* A default action that hands every unlisted call to a tracer or a
   * listener lets them through: the default profile replaces it. */
  static const char *const defaults[] = { "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY", "SCMP_ACT_LOG" };
  for (size_t i = 0; i < ARRAY_SIZE (defaults); i++)
    {
      ocigate_doc_t *d = tu_base ();
      char *v = xasprintf ("\"%s\"", defaults[i]);
      tu_set (d, "linux/seccomp/defaultAction", v);
      tu_set (d, "linux/seccomp/listenerPath", "\"/run/agent.sock\"");
      free (v);
      char *m = tu_message (d, NULL, &lexical, "seccomp");
      ck_assert_msg (m && strstr (m, defaults[i]) && strstr (m, "unshare")
                         && strstr (m, "io_uring_setup"),
                     "%s: %s", defaults[i], m);
      free (m);
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/defaultAction");
      ocigate_result_free (&res);
      ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                           ocigate_doc_root (tu_default_policy ()->seccomp_profile)));
      assert_tight (d, defaults[i]);
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_no_finding (&res, "seccomp");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_notify_rule)
{
  /* A listener answering "continue" lets unshare run: weak, for every
   * dangerous name, with and without an argument filter. */
  for (size_t k = 0; k < N_DANGEROUS; k++)
    for (int filtered = 0; filtered < 2; filtered++)
      {
        ocigate_doc_t *d = tu_base ();
        char *e = xasprintf ("{\"names\":[\"%s\"],\"action\":\"SCMP_ACT_NOTIFY\"%s}", dangerous (k),
                             filtered ? ",\"args\":[{\"index\":0,\"value\":0,"
                                        "\"op\":\"SCMP_CMP_EQ\"}]"
                                      : "");
        tu_append (d, "linux/seccomp/syscalls", e);
        tu_set (d, "linux/seccomp/listenerPath", "\"/run/agent.sock\"");
        free (e);
        char *m = tu_message (d, NULL, &lexical, "seccomp");
        ck_assert_msg (m && strstr (m, dangerous (k)) && strstr (m, "SCMP_ACT_NOTIFY"), "%s: %s",
                       dangerous (k), m);
        free (m);
        tighten_fixed_point (d, dangerous (k));
        ocigate_doc_free (d);
      }
}
END_TEST

START_TEST (test_blocking_actions_near_miss)
{
  /* KILL*, TRAP and ERRNO block, with or without a filter: not weak. */
  static const char *const blocking[]
      = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
          "SCMP_ACT_ERRNO" };
  for (size_t i = 0; i < ARRAY_SIZE (blocking); i++)
    {
      ocigate_doc_t *d = tu_base ();
      char *e = xasprintf ("{\"names\":[\"unshare\",\"mount\",\"clone3\"],\"action\":\"%s\","
                           "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GE\"}]}",
                           blocking[i]);
      tu_append (d, "linux/seccomp/syscalls", e);
      free (e);
      char *v = xasprintf ("\"%s\"", blocking[i]);
      tu_set (d, "linux/seccomp/defaultAction", v);
      free (v);
      char *m = tu_message (d, NULL, &lexical, "seccomp");
      ck_assert_msg (m == NULL, "%s: %s", blocking[i], m);
      ocigate_doc_free (d);
    }
  /* NOTIFY on a call that is not dangerous is the listener's business. */
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "linux/seccomp/syscalls", "{\"names\":[\"kcmp\"],\"action\":\"SCMP_ACT_NOTIFY\"}");
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (m == NULL, "%s", m);
  ocigate_doc_free (d);
}
END_TEST

/* ---- filters ---- */

START_TEST (test_weak_shapes_tightened)
{
  /* Each shape added to the default profile; each must be found, closed,
   * and the result a fixed point. */
  static const struct
  {
    const char *what, *entry, *listed;
  } shapes[] = {
    { "unshare allowed for some flags",
      "{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
      "\"value\":268566528,\"op\":\"SCMP_CMP_EQ\"}]}",
      "unshare" },
    { "mask test that matches every value",
      "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":3,"
      "\"value\":0,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}",
      "mount" },
    { "ORed conditions on one argument",
      "{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_LOG\",\"args\":["
      "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GE\"},"
      "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}",
      "unshare" },
    { "clone without the namespace filter", "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\"}",
      "clone" },
    { "clone with fork's flags only (not the mask filter)",
      "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
      "\"value\":17,\"op\":\"SCMP_CMP_EQ\"}]}",
      "clone" },
    { "clone with a mask missing CLONE_NEWUSER",
      "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
      "\"value\":1846149120,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}",
      "clone" },
    { "clone traced", "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_TRACE\"}", "clone" },
    { "clone3 allowed", "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ALLOW\"}", "clone3" },
    { "clone3 allowed with a filter",
      "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,"
      "\"value\":88,\"op\":\"SCMP_CMP_EQ\"}]}",
      "clone3" },
    { "setns traced", "{\"names\":[\"read\",\"setns\"],\"action\":\"SCMP_ACT_TRACE\"}", "setns" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (shapes); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_append (d, "linux/seccomp/syscalls", shapes[i].entry);
      char *m = tu_message (d, NULL, &lexical, "seccomp");
      char *item = xasprintf ("through: %s (", shapes[i].listed);
      ck_assert_msg (m && strstr (m, item), "%s: %s", shapes[i].what, m);
      free (item);
      free (m);
      tighten_fixed_point (d, shapes[i].what);
      ocigate_doc_free (d);
    }
  /* All at once, in one entry. */
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "linux/seccomp/syscalls",
             "{\"names\":[\"getpid\",\"clone\",\"clone3\",\"unshare\",\"mount\",\"fsopen\"],"
             "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,"
             "\"op\":\"SCMP_CMP_GE\"}]}");
  tu_append (d, "linux/seccomp/syscalls",
             "{\"names\":[\"unshare\",\"unshare\"],\"action\":\"SCMP_ACT_LOG\"}");
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  /* each name once, however often the profile lets it through */
  ck_assert_msg (m && strstr (strstr (m, "unshare (") + 1, "unshare (") == NULL, "%s", m);
  ck_assert_msg (m && strstr (m, "unshare (") && strstr (m, "mount (") && strstr (m, "fsopen (")
                     && strstr (m, "clone (") && strstr (m, "clone3 (")
                     && strstr (m, "getpid") == NULL,
                 "%s", m);
  free (m);
  tighten_fixed_point (d, "all at once");
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_clone_near_miss)
{
  /* The default profile and a profile whose clone carries the mask filter
   * (alone, ANDed with a condition on another argument, or with a wider
   * mask) are left exactly as they are. */
  static const char *const entries[] = {
    NULL,
    ("{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[" CLONE_MASK "]}"),
    ("{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[" CLONE_MASK
     ",{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}"),
    ("{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_TRACE\",\"args\":[{\"index\":0,"
     "\"value\":4294967295,\"valueTwo\":17,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (entries); i++)
    {
      ocigate_doc_t *d = tu_base ();
      if (entries[i])
        tu_append (d, "linux/seccomp/syscalls", entries[i]);
      char *before = tu_json_at (d, "linux/seccomp");
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_msg (tu_count (&res, "seccomp") == 0, "%s", entries[i]);
      ocigate_result_free (&res);
      char *after = tu_json_at (d, "linux/seccomp");
      ck_assert_str_eq (before, after);
      free (before);
      free (after);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_s390_clone_index)
{
  /* On s390 the flags are clone's argument 1: there the mask filter is on
   * argument 1, and the entry tightening appends uses that index too, so
   * that the result is a fixed point. */
#define S390_PROFILE(CLONE_ARGS)                                                                   \
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_S390X\","                  \
  "\"SCMP_ARCH_S390\"],\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"        \
  "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":" CLONE_ARGS          \
  ",\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}"
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/seccomp", S390_PROFILE ("1,\"value\":2114060288"));
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (m == NULL, "%s", m);
  ocigate_doc_free (d);
  /* The mask on argument 0 tests the stack pointer there: weak. */
  d = tu_base ();
  tu_set (d, "linux/seccomp", S390_PROFILE ("0,\"value\":2114060288"));
  m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (m && strstr (m, "clone (let through without the namespace-flag filter"), "%s", m);
  free (m);
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ocigate_result_free (&res);
  char *calls = tu_json_at (d, "linux/seccomp/syscalls");
  ck_assert_str_eq (calls, "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                           "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{"
                           "\"index\":1,\"value\":2114060288,\"valueTwo\":0,\"op\":"
                           "\"SCMP_CMP_MASKED_EQ\"}]},{\"names\":[\"clone3\"],\"action\":"
                           "\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]");
  free (calls);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "seccomp");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
#undef S390_PROFILE
}
END_TEST

/* ---- cost and shared state ---- */

START_TEST (test_weak_default_listing)
{
  /* Under a letting-through default the finding names what no entry
   * blocks outright, the policy's additions included, each once. */
  ocigate_policy_t *pol
      = tu_policy ("{\"seccomp\":{\"dangerous\":[\"kcmp\",\"mount\",\"kcmp\",\"ptrace\"]}}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/seccomp",
          "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"ptrace\",\"clone\","
          "\"bpf\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"unshare\"],\"action\":"
          "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}");
  char *m = tu_message (d, pol, &lexical, "seccomp");
  ck_assert_msg (m && strstr (m, ", kcmp, clone3") && strstr (m, " mount, ")
                     && strstr (m, " unshare, "),
                 "%s", m);
  ck_assert_msg (strstr (m, "ptrace") == NULL && strstr (m, "bpf") == NULL
                     && strstr (m, "clone,") == NULL
                     && strstr (strstr (m, "kcmp") + 1, "kcmp") == NULL
                     && strstr (strstr (m, " mount,") + 1, " mount,") == NULL,
                 "%s", m);
  free (m);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* One pass over the names: 1,000,000 of them judged in well under a
   * second. */
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"getpid\"");
  for (int i = 0; i < 1000000; i++)
    strbuf_puts (&b, ",\"getpid\"");
  strbuf_puts (&b, "],\"action\":\"SCMP_ACT_ERRNO\"}]}");
  d = tu_base ();
  tu_set (d, "linux/seccomp", b.s);
  free (b.s);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  m = tu_message (d, NULL, &lexical, "seccomp");
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  ck_assert_msg (m && strstr (m, "unshare"), "%s", m);
  /* quadratic work would take minutes; the bound is loose on purpose */
  ck_assert_msg (sec < 5.0, "judging took %.2f s", sec);
  free (m);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_tighten_linear)
{
  /* 150,000 dangerous names followed by 150,000 others in one allowing
   * entry: removing them one by one, each removal moving what follows,
   * would take minutes. */
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"");
  for (int i = 0; i < 150000; i++)
    strbuf_puts (&b, i % 2 ? ",\"mount\"" : ",\"unshare\"");
  for (int i = 0; i < 150000; i++)
    strbuf_puts (&b, ",\"getpid\"");
  strbuf_puts (&b, "],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/seccomp", b.s);
  free (b.s);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ocigate_result_free (&res);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  ck_assert_msg (s < 10.0, "tightening took %.2f s", s);
  const ocigate_json_t *names
      = oj_get (oj_at (oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls"), 0), "names");
  ck_assert_uint_eq (oj_len (names), 150001);
  ck_assert (oj_str_eq (oj_at (names, 0), "read") && oj_str_eq (oj_at (names, 1), "getpid"));
  ocigate_doc_free (d);
}
END_TEST

struct job
{
  const ocigate_policy_t *pol;
  bool ok;
};

static void *
judge (void *arg)
{
  struct job *j = arg;
  j->ok = true;
  for (int i = 0; i < 20 && j->ok; i++)
    {
      ocigate_error_t err = NULL;
      ocigate_doc_t *d = tu_base ();
      oj_remove (oj_get (ocigate_doc_root (d), "linux"), "seccomp");
      ocigate_result_t res = { 0 };
      j->ok = ocigate_evaluate (j->pol, d, &lexical, &res, &err) == 0
              && ocigate_apply (j->pol, d, &lexical, &res, &err) == 0
              && oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls") != NULL;
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  return NULL;
}

START_TEST (test_policy_not_written)
{
  /* A lazily loaded policy leaves the embedded profile unparsed; injecting
   * it must not fill the (const) policy in, and judging from several
   * threads at once gives every one the profile. */
  ocigate_error_t err = NULL;
  ocigate_policy_t *pol = ocigate_policy_load_lazy (NULL, &err);
  ck_assert (pol != NULL);
  ck_assert (pol->seccomp_profile == NULL);
  pthread_t t[4];
  struct job jobs[4];
  for (int i = 0; i < 4; i++)
    {
      jobs[i].pol = pol;
      ck_assert_int_eq (pthread_create (&t[i], NULL, judge, &jobs[i]), 0);
    }
  for (int i = 0; i < 4; i++)
    {
      pthread_join (t[i], NULL);
      ck_assert (jobs[i].ok);
    }
  ck_assert (pol->seccomp_profile == NULL);
  /* What was injected is the embedded profile. */
  ocigate_doc_t *d = tu_base ();
  oj_remove (oj_get (ocigate_doc_root (d), "linux"), "seccomp");
  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ocigate_result_free (&res);
  ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                       ocigate_doc_root (tu_default_policy ()->seccomp_profile)));
  ocigate_doc_free (d);
  /* Two policies with different seccomp.dangerous judged in turn: each by
   * its own list. */
  ocigate_policy_t *a = tu_policy ("{\"seccomp\":{\"dangerous\":[\"kcmp\"]}}");
  d = tu_base ();
  tu_append (d, "linux/seccomp/syscalls", "{\"names\":[\"kcmp\"],\"action\":\"SCMP_ACT_ALLOW\"}");
  for (int round = 0; round < 2; round++)
    {
      char *m = tu_message (d, a, &lexical, "seccomp");
      ck_assert_msg (m && strstr (m, "kcmp (unconditional allow)"), "%s", m);
      free (m);
      m = tu_message (d, pol, &lexical, "seccomp");
      ck_assert_msg (m == NULL, "%s", m);
    }
  ocigate_doc_free (d);
  ocigate_policy_free (a);
  ocigate_policy_free (pol);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("seccomp");
  TCase *tc = tcase_create ("seccomp");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_notify_trace_default);
  tcase_add_test (tc, test_notify_rule);
  tcase_add_test (tc, test_blocking_actions_near_miss);
  tcase_add_test (tc, test_weak_shapes_tightened);
  tcase_add_test (tc, test_clone_near_miss);
  tcase_add_test (tc, test_s390_clone_index);
  tcase_add_test (tc, test_weak_default_listing);
  tcase_add_test (tc, test_tighten_linear);
  tcase_add_test (tc, test_policy_not_written);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
