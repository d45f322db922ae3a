/* SPDX-License-Identifier: Apache-2.0 */
/* The audit record, the log's rotation, the metrics file. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-internal.h"
#include "testutil.h"

static char tmp[] = "/tmp/ocigate-audit.XXXXXX";

static void
setup (void)
{
  strcpy (tmp, "/tmp/ocigate-audit.XXXXXX");
  ck_assert (mkdtemp (tmp) != NULL);
}

static void
teardown (void)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", tmp);
  ck_assert (system (cmd) == 0);
}

static char *
at (const char *name)
{
  return xasprintf ("%s/%s", tmp, name);
}

static void
add_finding (ocigate_result_t *res, ocigate_rule_id_t rule, ocigate_action_t action,
             const char *ptr, const char *msg)
{
  if (res->n == res->cap)
    {
      res->cap = res->cap ? res->cap * 2 : 8;
      res->f = xrealloc (res->f, res->cap * sizeof (*res->f));
    }
  res->f[res->n++] = (ocigate_finding_t){
    .rule = rule, .action = action, .pointer = xstrdup (ptr), .message = xstrdup (msg)
  };
}

static ocigate_json_t *
format (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec, ocigate_doc_t **doc,
        size_t *ret_len)
{
  char *line;
  size_t len;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_audit_format (pol, rec, &line, &len, &err) == 0);
  /* one line */
  ck_assert (strchr (line, '\n') == line + len - 1);
  *doc = ocigate_json_parse (line, len, &(ocigate_json_parse_opts_t){ .name = "line" }, &err);
  ck_assert (*doc != NULL);
  free (line);
  if (ret_len)
    *ret_len = len;
  return ocigate_doc_root (*doc);
}

START_TEST (test_record_message_fix)
{
  cleanup_policy ocigate_policy_t *pol = tu_default_policy ();
  ocigate_result_t res = { .mode = OCIGATE_MODE_WARN, .exemption = -1 };
  add_finding (&res, R_ROOT_USER, OCIGATE_ACTION_REJECT, "/process/user/uid", "runs as root");
  add_finding (&res, R_SECCOMP, OCIGATE_ACTION_REWRITE, "/linux/seccomp", "no seccomp");
  ocigate_audit_record_t rec
      = { .command = "create", .decision = OCIGATE_DECISION_ALLOW, .res = &res };
  cleanup_doc ocigate_doc_t *d = NULL;
  ocigate_json_t *l = format (pol, &rec, &d, NULL);
  ocigate_json_t *f = oj_at (oj_get (l, "findings"), 0);
  ck_assert (oj_str_eq (oj_get (f, "message"), "runs as root"));
  ck_assert (oj_str_eq (oj_get (f, "fix"), ocigate_rule_info (R_ROOT_USER)->fix));
  /* warn mode: enforce would have refused it */
  ck_assert (oj_get (l, "would_reject")->type == OJ_TRUE);
  ck_assert (oj_get (l, "findings_omitted") == NULL);

  /* near miss: the same findings without a reject one */
  res.f[0].action = OCIGATE_ACTION_WARN;
  cleanup_doc ocigate_doc_t *d2 = NULL;
  l = format (pol, &rec, &d2, NULL);
  ck_assert (oj_get (l, "would_reject")->type == OJ_FALSE);
  /* enforce mode: no would_reject at all */
  res.mode = OCIGATE_MODE_ENFORCE;
  cleanup_doc ocigate_doc_t *d3 = NULL;
  l = format (pol, &rec, &d3, NULL);
  ck_assert (oj_get (l, "would_reject") == NULL);
  ocigate_result_free (&res);
}
END_TEST

/* A config with hundreds of findings and huge strings still makes one
 * bounded line that says what it left out. */
START_TEST (test_record_bounded)
{
  cleanup_policy ocigate_policy_t *pol = tu_default_policy ();
  ocigate_result_t res = { .mode = OCIGATE_MODE_ENFORCE, .exemption = -1 };
  char *big = xzalloc (100001);
  memset (big, 'x', 100000);
  /* a multi-byte character straddling the cut */
  memcpy (big + OCIGATE_AUDIT_MAX_STRING - 1, "\xc3\xa9", 2);
  for (int i = 0; i < 500; i++)
    add_finding (&res, R_HOST_MOUNTS, OCIGATE_ACTION_REJECT, big, big);
  ocigate_strlist_t changed = { 0 };
  changed.v = xzalloc (201 * sizeof (char *));
  for (int i = 0; i < 200; i++)
    changed.v[changed.n++] = xasprintf ("/mounts/%d", i);
  ocigate_audit_record_t rec = {
    .command = "create", .decision = OCIGATE_DECISION_REJECT, .res = &res, .changed = &changed
  };
  cleanup_doc ocigate_doc_t *d = NULL;
  size_t len;
  ocigate_json_t *l = format (pol, &rec, &d, &len);
  ck_assert_uint_eq (oj_len (oj_get (l, "findings")), OCIGATE_AUDIT_MAX_FINDINGS);
  int64_t n;
  ck_assert (oj_int (oj_get (l, "findings_omitted"), &n) && n == 500 - OCIGATE_AUDIT_MAX_FINDINGS);
  ck_assert_uint_eq (oj_len (oj_get (l, "changed")), OCIGATE_AUDIT_MAX_CHANGED);
  ck_assert (oj_int (oj_get (l, "changed_omitted"), &n) && n == 200 - OCIGATE_AUDIT_MAX_CHANGED);
  /* every rule is still named */
  ck_assert_uint_eq (oj_len (oj_get (l, "rules")), 1);
  const char *m = oj_str (oj_get (oj_at (oj_get (l, "findings"), 0), "message"));
  ck_assert (strlen (m) < OCIGATE_AUDIT_MAX_STRING + 40);
  ck_assert (strstr (m, "bytes cut]") != NULL);
  ck_assert_uint_lt (len, 64 * 1024);
  free (big);
  for (size_t i = 0; i < changed.n; i++)
    free (changed.v[i]);
  free (changed.v);
  ocigate_result_free (&res);
}
END_TEST

static ocigate_doc_t *
jparse (const char *s)
{
  ocigate_error_t err = NULL;
  ocigate_doc_t *d
      = ocigate_json_parse (s, strlen (s), &(ocigate_json_parse_opts_t){ .name = "t" }, &err);
  ck_assert_msg (d != NULL, "%s", err ? err->msg : "");
  return d;
}

START_TEST (test_diff)
{
  cleanup_doc ocigate_doc_t *a = jparse (
      "{\"process\":{\"user\":{\"uid\":0},\"args\":[\"sh\"]},\"linux\":{\"maskedPaths\":[\"/a\"]},"
      "\"a/b~c\":1,\"gone\":true}");
  cleanup_doc ocigate_doc_t *b
      = jparse ("{\"process\":{\"user\":{\"uid\":65534},\"args\":[\"sh\"]},\"linux\":{"
                "\"maskedPaths\":[\"/a\",\"/b\"],\"seccomp\":{}},\"a/b~c\":2}");
  ocigate_strlist_t l = { 0 };
  ocigate_audit_diff (ocigate_doc_root (a), ocigate_doc_root (b), &l);
  static const char *const want[]
      = { "/process/user/uid", "/linux/maskedPaths/1", "/a~1b~0c", "/gone", "/linux/seccomp" };
  ck_assert_uint_eq (l.n, ARRAY_SIZE (want));
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    {
      bool found = false;
      for (size_t j = 0; j < l.n; j++)
        found |= strcmp (l.v[j], want[i]) == 0;
      ck_assert_msg (found, "%s missing", want[i]);
    }
  /* near miss: equal documents differ nowhere */
  ocigate_strlist_t none = { 0 };
  ocigate_audit_diff (ocigate_doc_root (a), ocigate_doc_root (a), &none);
  ck_assert_uint_eq (none.n, 0);
  for (size_t j = 0; j < l.n; j++)
    free (l.v[j]);
  free (l.v);
}
END_TEST

static size_t
file_lines (const char *path, off_t *size)
{
  cleanup_free char *buf = NULL;
  size_t len, n = 0;
  struct stat st;
  if (stat (path, &st) < 0)
    return (size_t)-1;
  if (size)
    *size = st.st_size;
  ck_assert (ocigate_read_file (path, 1 << 24, &buf, &len, NULL) == 0);
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\n';
  return n;
}

static ocigate_policy_t *
log_policy (const char *extra)
{
  cleanup_free char *log = at ("log/audit.jsonl");
  cleanup_free char *json = xasprintf ("{ \"audit\": { \"path\": \"%s\", \"syslog\": false %s } }",
                                       log, extra ? extra : "");
  return tu_policy (json);
}

/* Past max_bytes the log moves to .1, .1 to .2 ...; keep files stay, the
 * oldest goes; no file passes the cap and no line is split. */
START_TEST (test_rotation)
{
  cleanup_policy ocigate_policy_t *pol = log_policy (", \"max_bytes\": 4096, \"keep\": 2");
  ocigate_audit_record_t rec = { .command = "create", .container_id = "c" };
  cleanup_free char *log = at ("log/audit.jsonl");
  cleanup_free char *r1 = at ("log/audit.jsonl.1");
  cleanup_free char *r2 = at ("log/audit.jsonl.2");
  cleanup_free char *r3 = at ("log/audit.jsonl.3");
  ocigate_error_t err = NULL;
  size_t total = 0;
  for (int i = 0; i < 100; i++)
    {
      ck_assert_msg (ocigate_audit_write (pol, &rec, &err) == 0, "%s", err ? err->msg : "");
      total++;
    }
  off_t s0, s1, s2;
  size_t n0 = file_lines (log, &s0), n1 = file_lines (r1, &s1), n2 = file_lines (r2, &s2);
  ck_assert (n1 != (size_t)-1 && n2 != (size_t)-1);
  ck_assert (access (r3, F_OK) < 0 && errno == ENOENT);
  ck_assert (s0 <= 4096 && s1 <= 4096 && s2 <= 4096);
  /* the rotated ones are nearly full: rotation happens only at the cap */
  ck_assert (s1 > 4096 - 400 && s2 > 4096 - 400);
  ck_assert (n0 + n1 + n2 < total);
  /* a logrotate-compressed one shifts along, and the oldest goes */
  cleanup_free char *gz1 = at ("log/audit.jsonl.1.gz");
  ck_assert (rename (r1, gz1) == 0);
  for (int i = 0; i < 100 && access (r1, F_OK) < 0; i++)
    ck_assert (ocigate_audit_write (pol, &rec, &err) == 0);
  cleanup_free char *gz2 = at ("log/audit.jsonl.2.gz");
  ck_assert (access (gz2, F_OK) == 0 && access (r1, F_OK) == 0);
  ck_assert (access (r2, F_OK) < 0);
}
END_TEST

/* max_bytes 0: never rotated. */
START_TEST (test_rotation_off)
{
  cleanup_policy ocigate_policy_t *pol = log_policy (", \"max_bytes\": 0");
  ocigate_audit_record_t rec = { .command = "create", .container_id = "c" };
  cleanup_free char *log = at ("log/audit.jsonl");
  cleanup_free char *r1 = at ("log/audit.jsonl.1");
  ocigate_error_t err = NULL;
  for (int i = 0; i < 50; i++)
    ck_assert (ocigate_audit_write (pol, &rec, &err) == 0);
  ck_assert_uint_eq (file_lines (log, NULL), 50);
  ck_assert (access (r1, F_OK) < 0);
}
END_TEST

/* Concurrent writers at the cap: every line lands, whole, in some file. */
START_TEST (test_rotation_concurrent)
{
  enum
  {
    W = 8,
    PER = 40
  };
  cleanup_policy ocigate_policy_t *pol = log_policy (", \"max_bytes\": 8192, \"keep\": 100");
  for (int w = 0; w < W; w++)
    {
      pid_t p = fork ();
      ck_assert (p >= 0);
      if (p == 0)
        {
          ocigate_audit_record_t rec = { .command = "create", .container_id = "c" };
          ocigate_error_t err = NULL;
          for (int i = 0; i < PER; i++)
            if (ocigate_audit_write (pol, &rec, &err) < 0)
              _exit (1);
          _exit (0);
        }
    }
  for (int w = 0; w < W; w++)
    {
      int st;
      ck_assert (wait (&st) > 0 && WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }
  size_t total = 0;
  for (int i = 0; i <= 100; i++)
    {
      cleanup_free char *p
          = i ? xasprintf ("%s/log/audit.jsonl.%d", tmp, i) : at ("log/audit.jsonl");
      off_t sz;
      size_t n = file_lines (p, &sz);
      if (n == (size_t)-1)
        continue;
      ck_assert_int_le (sz, 8192);
      total += n;
    }
  ck_assert_uint_eq (total, W * PER);
}
END_TEST

/* A reader of the log (the adm group) that holds a lock on it cannot stop
 * the gate: rotation locks a root-only sibling, not the log. */
START_TEST (test_reader_lock_blocks_nothing)
{
  cleanup_policy ocigate_policy_t *pol = log_policy (", \"max_bytes\": 4096, \"keep\": 1");
  ocigate_audit_record_t rec = { .command = "create", .container_id = "c" };
  ocigate_error_t err = NULL;
  ck_assert (ocigate_audit_write (pol, &rec, &err) == 0);
  cleanup_free char *log = at ("log/audit.jsonl");
  cleanup_close int rfd = open (log, O_RDONLY);
  ck_assert (rfd >= 0 && flock (rfd, LOCK_EX) == 0);
  time_t t0 = time (NULL);
  for (int i = 0; i < 40; i++)
    ck_assert (ocigate_audit_write (pol, &rec, &err) == 0);
  ck_assert_int_le (time (NULL) - t0, 2);
  cleanup_free char *r1 = at ("log/audit.jsonl.1");
  ck_assert (access (r1, F_OK) == 0);
  cleanup_free char *lock = at ("log/audit.jsonl.lock");
  struct stat st;
  ck_assert (stat (lock, &st) == 0 && (st.st_mode & 07777) == 0600);
}
END_TEST

/* The log is created 0640, group adm where the group exists. */
START_TEST (test_new_log_group)
{
  cleanup_policy ocigate_policy_t *pol = log_policy (NULL);
  ocigate_audit_record_t rec = { .command = "create" };
  ocigate_error_t err = NULL;
  umask (022);
  ck_assert (ocigate_audit_write (pol, &rec, &err) == 0);
  cleanup_free char *log = at ("log/audit.jsonl");
  struct stat st;
  ck_assert (stat (log, &st) == 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0640);
  long adm = ocigate_adm_gid ();
  if (adm >= 0 && geteuid () == 0)
    ck_assert_uint_eq (st.st_gid, (unsigned)adm);
}
END_TEST

/* Syslog alone, and no daemon listening: the record is lost, so it is
 * an error the caller must report. */
START_TEST (test_syslog_only_unreachable)
{
  if (ocigate_syslog_reachable ())
    return;
  cleanup_policy ocigate_policy_t *pol = tu_policy ("{ \"audit\": { \"path\": \"\" } }");
  ocigate_audit_record_t rec = { .command = "create" };
  cleanup_error ocigate_error_t err = NULL;
  ck_assert (ocigate_audit_write (pol, &rec, &err) < 0);
  ck_assert (strstr (err->msg, "not recorded") != NULL);
  /* near miss: the trail turned off on purpose is no error */
  cleanup_policy ocigate_policy_t *off
      = tu_policy ("{ \"audit\": { \"path\": \"\", \"syslog\": false } }");
  cleanup_error ocigate_error_t err2 = NULL;
  ck_assert (ocigate_audit_write (off, &rec, &err2) == 0);
}
END_TEST

START_TEST (test_metrics_count)
{
  cleanup_policy ocigate_policy_t *pol = tu_default_policy ();
  ocigate_result_t res = { .mode = OCIGATE_MODE_AUDIT, .exemption = -1 };
  add_finding (&res, R_ROOT_USER, OCIGATE_ACTION_REJECT, "/process/user/uid", "m");
  add_finding (&res, R_CAPABILITIES, OCIGATE_ACTION_REWRITE, "/a", "m");
  add_finding (&res, R_CAPABILITIES, OCIGATE_ACTION_REWRITE, "/b", "m");
  ocigate_audit_record_t rec
      = { .command = "create", .decision = OCIGATE_DECISION_ALLOW, .res = &res };
  const char *old
      = "# HELP x y\n"
        "ocigate_decisions_total{decision=\"allow\",mode=\"audit\",policy=\"restricted\","
        "source=\"embedded\"} 41\n"
        "garbage line\n"
        "other_metric 5\n"
        "ocigate_findings_total{rule=\"root-user\",action=\"reject\",policy=\"restricted\"} "
        "-3\n";
  cleanup_free char *out = NULL;
  size_t len;
  ocigate_metrics_count (pol, &rec, true, &out, &len, old);
  ck_assert_uint_eq (len, strlen (out));
  ck_assert_msg (strstr (out, "ocigate_decisions_total{decision=\"allow\",mode=\"audit\",policy="
                              "\"restricted\",source=\"embedded\"} 42\n"),
                 "%s", out);
  /* a negative (corrupt) value starts again */
  ck_assert (strstr (out, "ocigate_findings_total{rule=\"root-user\",action=\"reject\",policy="
                          "\"restricted\"} 1\n"));
  /* one count per rule and action in a decision */
  ck_assert (strstr (out, "ocigate_findings_total{rule=\"capabilities\",action=\"rewrite\",policy="
                          "\"restricted\"} 1\n"));
  ck_assert (strstr (out, "ocigate_would_reject_total{mode=\"audit\",policy=\"restricted\"} 1\n"));
  ck_assert (strstr (out, "ocigate_audit_failures_total{policy=\"restricted\"} 1\n"));
  ck_assert (strstr (out, "# TYPE ocigate_decisions_total counter\n"));
  ck_assert (strstr (out, "garbage") == NULL && strstr (out, "other_metric") == NULL);
  ocigate_result_free (&res);
}
END_TEST

START_TEST (test_metrics_file_trust)
{
  cleanup_free char *dir = at ("m");
  cleanup_free char *file = at ("m/ocigate.prom");
  cleanup_free char *json = xasprintf ("{ \"metrics\": { \"path\": \"%s\" } }", file);
  cleanup_policy ocigate_policy_t *pol = tu_policy (json);
  ocigate_audit_record_t rec = { .command = "create", .decision = OCIGATE_DECISION_REJECT };
  ck_assert (mkdir (dir, 0755) == 0);
  ocigate_error_t err = NULL;
  for (int i = 0; i < 3; i++)
    ck_assert_msg (ocigate_metrics_record (pol, &rec, false, &err) == 0, "%s", err->msg);
  cleanup_free char *text = NULL;
  size_t len;
  ck_assert (ocigate_read_file (file, 1 << 20, &text, &len, NULL) == 0);
  ck_assert_msg (strstr (text,
                         "ocigate_decisions_total{decision=\"reject\",mode=\"enforce\",policy="
                         "\"restricted\",source=")
                     && strstr (text, "} 3\n"),
                 "%s", text);
  struct stat st;
  ck_assert (stat (file, &st) == 0 && (st.st_mode & 07777) == 0644);

  /* a directory others can write is refused */
  ck_assert (chmod (dir, 0777) == 0);
  cleanup_error ocigate_error_t e1 = NULL;
  ck_assert (ocigate_metrics_record (pol, &rec, false, &e1) < 0);
  ck_assert_msg (strstr (e1->msg, "writable by group or others"), "%s", e1->msg);
  ck_assert (chmod (dir, 0755) == 0);
  /* a symlink in place of the file is not followed */
  cleanup_free char *elsewhere = at ("elsewhere");
  ck_assert (unlink (file) == 0);
  ck_assert (symlink (elsewhere, file) == 0);
  cleanup_error ocigate_error_t e2 = NULL;
  ck_assert (ocigate_metrics_record (pol, &rec, false, &e2) < 0);
  ck_assert (access (elsewhere, F_OK) < 0);
  /* the lock file too */
  ck_assert (unlink (file) == 0);
  cleanup_free char *lock = at ("m/ocigate.prom.lock");
  ck_assert (unlink (lock) == 0 && symlink (elsewhere, lock) == 0);
  cleanup_error ocigate_error_t e3 = NULL;
  ck_assert (ocigate_metrics_record (pol, &rec, false, &e3) < 0);
  ck_assert (access (elsewhere, F_OK) < 0);
}
END_TEST

START_TEST (test_policy_keys)
{
  cleanup_policy ocigate_policy_t *d = tu_default_policy ();
  ck_assert_uint_eq (d->audit_max_bytes, 50 << 20);
  ck_assert_uint_eq (d->audit_keep, 5);
  ck_assert (d->metrics_path == NULL);
  cleanup_policy ocigate_policy_t *p = tu_policy (
      "{ \"audit\": { \"max_bytes\": 0, \"keep\": 9 }, \"metrics\": { \"path\": \"/m/x.prom\" } }");
  ck_assert_uint_eq (p->audit_max_bytes, 0);
  ck_assert_uint_eq (p->audit_keep, 9);
  ck_assert_str_eq (p->metrics_path, "/m/x.prom");
  /* show loads back */
  cleanup_free char *shown = NULL;
  size_t len;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_policy_show (p, &shown, &len, &err) == 0);
  /* (the informational "source" member is not a policy key) */
  cleanup_doc ocigate_doc_t *sd = jparse (shown);
  oj_remove (ocigate_doc_root (sd), "source");
  cleanup_free char *back = NULL;
  ck_assert (ocigate_json_serialize (ocigate_doc_root (sd), false, &back, &len, &err) == 0);
  cleanup_policy ocigate_policy_t *q = ocigate_policy_parse (back, len, "shown", &err);
  ck_assert_msg (q != NULL, "%s", err ? err->msg : "");
  ck_assert_uint_eq (q->audit_keep, 9);
  ck_assert_str_eq (q->metrics_path, "/m/x.prom");
  /* refused: a relative metrics path, a tiny cap */
  cleanup_error ocigate_error_t e1 = NULL, e2 = NULL;
  ck_assert (ocigate_policy_parse ("{\"metrics\":{\"path\":\"x.prom\"}}", 30, "p", &e1) == NULL);
  ck_assert (ocigate_policy_parse ("{\"audit\":{\"max_bytes\":10}}", 27, "p", &e2) == NULL);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("audit");
  TCase *tc = tcase_create ("audit");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_record_message_fix);
  tcase_add_test (tc, test_record_bounded);
  tcase_add_test (tc, test_diff);
  tcase_add_test (tc, test_rotation);
  tcase_add_test (tc, test_rotation_off);
  tcase_add_test (tc, test_rotation_concurrent);
  tcase_add_test (tc, test_new_log_group);
  tcase_add_test (tc, test_reader_lock_blocks_nothing);
  tcase_add_test (tc, test_syslog_only_unreachable);
  tcase_add_test (tc, test_metrics_count);
  tcase_add_test (tc, test_metrics_file_trust);
  tcase_add_test (tc, test_policy_keys);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
