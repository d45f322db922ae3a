/* SPDX-License-Identifier: Apache-2.0 */
/* validate's reports: text (one line per finding and a summary), JSON and
 * SARIF 2.1.0 that parse and carry the rule ids. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

static const ocigate_eval_opts_t opts = { .name = "t", .bundle = "/tmp/ocigate-bundle" };

/* Three items: rejected (root-user, plus warnings and rewrites), rewritten
 * only, and one that could not be judged. */
static ocigate_report_item_t *
make_items (size_t *n)
{
  ocigate_report_item_t *items = xzalloc (3 * sizeof (*items));
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
  tu_set (d, "process/noNewPrivileges", "false");
  items[0].path = xstrdup ("bundles/root/config.json");
  tu_eval (NULL, d, &opts, &items[0].res);
  ocigate_doc_free (d);

  d = tu_base ();
  tu_del (d, "linux/seccomp");
  tu_set (d, "linux/privileged-looking", "{\"a\":\"\\\"quoted\\\" \\u00e9\"}");
  items[1].path = xstrdup ("weird \"name\".json");
  tu_eval (NULL, d, &opts, &items[1].res);
  ocigate_doc_free (d);

  items[2].path = xstrdup ("broken.json");
  items[2].error = xstrdup ("`broken.json`: line 1, column 2: premature EOF");
  *n = 3;
  return items;
}

static void
free_items (ocigate_report_item_t *items, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (items[i].path);
      free (items[i].error);
      ocigate_result_free (&items[i].res);
    }
  free (items);
}

static char *
report (ocigate_format_t fmt, const ocigate_report_item_t *items, size_t n)
{
  char *buf = NULL;
  size_t len = 0;
  ocigate_error_t err = NULL;
  FILE *f = open_memstream (&buf, &len);
  ck_assert (f != NULL);
  ck_assert_msg (ocigate_report_write (f, fmt, items, n, &err) == 0, "%s", err ? err->msg : "?");
  fclose (f);
  return buf;
}

static ocigate_doc_t *
parse_report (const char *text)
{
  ocigate_error_t err = NULL;
  ocigate_json_parse_opts_t o = { .name = "report" };
  ocigate_doc_t *d = ocigate_json_parse (text, strlen (text), &o, &err);
  ck_assert_msg (d != NULL, "report is not JSON: %s\n%s", err ? err->msg : "?", text);
  return d;
}

START_TEST (test_text)
{
  size_t n;
  ocigate_report_item_t *items = make_items (&n);
  char *out = report (OCIGATE_FORMAT_TEXT, items, n);

  size_t findings = 0;
  for (size_t i = 0; i < n; i++)
    findings += items[i].res.n;
  ck_assert_uint_gt (findings, 3);
  /* One line per finding, one verdict line per judged file, one line for
   * the file that could not be judged, and the summary. */
  size_t lines = 0;
  for (const char *p = out; (p = strchr (p, '\n')) != NULL; p++)
    lines++;
  ck_assert_uint_eq (lines, findings + 2 + 1 + 1);
  ck_assert (out[strlen (out) - 1] == '\n');

  /* Every finding: path, action, rule id, pointer, message and fix. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < items[i].res.n; j++)
      {
        const ocigate_finding_t *f = &items[i].res.f[j];
        const ocigate_rule_info_t *r = ocigate_rule_info (f->rule);
        char *line = xasprintf ("%s: %s %s %s: %s; fix: %s\n", items[i].path,
                                ocigate_action_name (f->action), r->id,
                                *f->pointer ? f->pointer : "/", f->message, r->fix);
        ck_assert_msg (strstr (out, line) != NULL, "missing line %s in\n%s", line, out);
        free (line);
      }
  ck_assert (strstr (out, "bundles/root/config.json: reject root-user /process/user/uid: "));
  ck_assert (strstr (out, "bundles/root/config.json: reject (policy restricted)\n"));
  ck_assert (strstr (out, "weird \"name\".json: rewrite (policy restricted)\n"));
  ck_assert (strstr (out, "broken.json: error: `broken.json`: line 1, column 2: premature EOF\n"));
  /* The summary is the last line. */
  const char *summary = "3 checked: 0 allowed, 1 rewritten, 1 rejected, 1 errors\n";
  ck_assert_msg (strlen (out) > strlen (summary)
                     && strcmp (out + strlen (out) - strlen (summary), summary) == 0,
                 "%s", out);
  free (out);
  free_items (items, n);
}
END_TEST

START_TEST (test_text_modes_and_notes)
{
  ocigate_policy_t *pol = tu_policy ("{\"mode\":\"warn\"}");
  ocigate_report_item_t item = { .path = xstrdup ("c.json") };
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_eval (pol, d, &opts, &item.res);
  item.res.note = xstrdup ("selinux: not enabled on the host, no label injected");
  char *out = report (OCIGATE_FORMAT_TEXT, &item, 1);
  ck_assert_msg (strcmp (out, "c.json: reject root-user /process/user/uid: process runs as host "
                              "root (uid 0); fix: set securityContext.runAsNonRoot/runAsUser or "
                              "USER in the image\n"
                              "c.json: note: selinux: not enabled on the host, no label injected\n"
                              "c.json: allow (policy restricted, mode warn)\n"
                              "1 checked: 1 allowed, 0 rewritten, 0 rejected, 0 errors\n")
                     == 0,
                 "%s", out);
  free (out);
  free (item.path);
  ocigate_result_free (&item.res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* Nothing to say: just the verdict and the summary. */
  ocigate_report_item_t clean = { .path = xstrdup ("ok.json") };
  d = tu_base ();
  tu_eval (NULL, d, &opts, &clean.res);
  out = report (OCIGATE_FORMAT_TEXT, &clean, 1);
  ck_assert_str_eq (out, "ok.json: allow (policy restricted)\n"
                         "1 checked: 1 allowed, 0 rewritten, 0 rejected, 0 errors\n");
  free (out);
  free (clean.path);
  ocigate_result_free (&clean.res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_json)
{
  size_t n;
  ocigate_report_item_t *items = make_items (&n);
  char *out = report (OCIGATE_FORMAT_JSON, items, n);
  ocigate_doc_t *d = parse_report (out);
  ocigate_json_t *r = ocigate_doc_root (d);
  ck_assert (oj_str_eq (oj_get (r, "version"), PACKAGE_VERSION));
  ocigate_json_t *results = oj_get (r, "results");
  ck_assert_uint_eq (oj_len (results), 3);
  static const char *const verdicts[] = { "reject", "rewrite", "error" };
  for (size_t i = 0; i < n; i++)
    {
      ocigate_json_t *it = oj_at (results, i);
      ck_assert (oj_str_eq (oj_get (it, "path"), items[i].path));
      ck_assert (oj_str_eq (oj_get (it, "verdict"), verdicts[i]));
      if (items[i].error)
        {
          ck_assert (oj_str_eq (oj_get (it, "error"), items[i].error));
          ck_assert (oj_get (it, "findings") == NULL);
          continue;
        }
      ck_assert (oj_str_eq (oj_get (it, "policy"), "restricted"));
      ck_assert (oj_str_eq (oj_get (it, "mode"), "enforce"));
      ocigate_json_t *f = oj_get (it, "findings");
      ck_assert_uint_eq (oj_len (f), items[i].res.n);
      for (size_t j = 0; j < items[i].res.n; j++)
        {
          const ocigate_finding_t *want = &items[i].res.f[j];
          ocigate_json_t *got = oj_at (f, j);
          ck_assert (oj_str_eq (oj_get (got, "rule"), ocigate_rule_info (want->rule)->id));
          ck_assert (oj_str_eq (oj_get (got, "action"), ocigate_action_name (want->action)));
          ck_assert (oj_str_eq (oj_get (got, "pointer"), want->pointer));
          ck_assert (oj_str_eq (oj_get (got, "message"), want->message));
          ck_assert (oj_str_eq (oj_get (got, "fix"), ocigate_rule_info (want->rule)->fix));
        }
    }
  ck_assert (strstr (out, "\"rule\": \"root-user\"") || strstr (out, "\"rule\":\"root-user\""));
  ocigate_doc_free (d);
  free (out);
  free_items (items, n);

  /* No items: still a document. */
  out = report (OCIGATE_FORMAT_JSON, NULL, 0);
  d = parse_report (out);
  ck_assert_uint_eq (oj_len (oj_get (ocigate_doc_root (d), "results")), 0);
  ocigate_doc_free (d);
  free (out);
}
END_TEST

START_TEST (test_sarif)
{
  size_t n;
  ocigate_report_item_t *items = make_items (&n);
  char *out = report (OCIGATE_FORMAT_SARIF, items, n);
  ocigate_doc_t *d = parse_report (out);
  ocigate_json_t *r = ocigate_doc_root (d);
  ck_assert (oj_str_eq (oj_get (r, "version"), "2.1.0"));
  ck_assert (oj_str (oj_get (r, "$schema")) != NULL);
  ocigate_json_t *runs = oj_get (r, "runs");
  ck_assert_uint_eq (oj_len (runs), 1);
  ocigate_json_t *run = oj_at (runs, 0);
  ocigate_json_t *driver = oj_path (run, "tool/driver");
  ck_assert (oj_str_eq (oj_get (driver, "name"), "ocigate"));
  ck_assert (oj_str_eq (oj_get (driver, "version"), PACKAGE_VERSION));
  /* Every rule described once, indexed by the catalogue order. */
  ocigate_json_t *rules = oj_get (driver, "rules");
  ck_assert_uint_eq (oj_len (rules), OCIGATE_RULE_COUNT);
  for (int i = 0; i < OCIGATE_RULE_COUNT; i++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)i);
      ocigate_json_t *rule = oj_at (rules, (size_t)i);
      ck_assert (oj_str_eq (oj_get (rule, "id"), ri->id));
      ck_assert (oj_str_eq (oj_path (rule, "shortDescription/text"), ri->description));
      ck_assert (oj_str_eq (oj_path (rule, "help/text"), ri->fix));
    }
  /* One result per finding, and one for the input error. */
  ocigate_json_t *results = oj_get (run, "results");
  size_t want = items[0].res.n + items[1].res.n + 1;
  ck_assert_uint_eq (oj_len (results), want);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      size_t count = items[i].error ? 1 : items[i].res.n;
      for (size_t j = 0; j < count; j++, k++)
        {
          ocigate_json_t *res = oj_at (results, k);
          ocigate_json_t *loc = oj_at (oj_get (res, "locations"), 0);
          ck_assert (
              oj_str_eq (oj_path (loc, "physicalLocation/artifactLocation/uri"), items[i].path));
          if (items[i].error)
            {
              ck_assert (oj_str_eq (oj_get (res, "ruleId"), "input-error"));
              ck_assert (oj_str_eq (oj_get (res, "level"), "error"));
              ck_assert (oj_str_eq (oj_path (res, "message/text"), items[i].error));
              continue;
            }
          const ocigate_finding_t *f = &items[i].res.f[j];
          ck_assert (oj_str_eq (oj_get (res, "ruleId"), ocigate_rule_info (f->rule)->id));
          int64_t idx;
          ck_assert (oj_int (oj_get (res, "ruleIndex"), &idx) && idx == (int64_t)f->rule);
          /* reject: error; rewrite and warn alike: warning */
          const char *level = f->action == OCIGATE_ACTION_REJECT ? "error" : "warning";
          ck_assert (oj_str_eq (oj_get (res, "level"), level));
          ck_assert (strstr (oj_str (oj_path (res, "message/text")), f->message) != NULL);
          ocigate_json_t *ll = oj_at (oj_get (loc, "logicalLocations"), 0);
          ck_assert (oj_str_eq (oj_get (ll, "fullyQualifiedName"), *f->pointer ? f->pointer : "/"));
        }
    }
  ck_assert (strstr (out, "root-user") != NULL);
  ocigate_doc_free (d);
  free (out);
  free_items (items, n);
}
END_TEST

START_TEST (test_invalid_utf8)
{
  /* A file name is bytes; JSON output stays valid whatever it holds, and
   * still names the file (invalid bytes as U+FFFD). */
  ocigate_report_item_t item
      = { .path = xstrdup ("bad-\xff\xfe.json"), .error = xstrdup ("cannot read") };
  static const ocigate_format_t fmts[] = { OCIGATE_FORMAT_JSON, OCIGATE_FORMAT_SARIF };
  for (size_t i = 0; i < ARRAY_SIZE (fmts); i++)
    {
      char *buf = NULL;
      size_t len = 0;
      ocigate_error_t err = NULL;
      FILE *f = open_memstream (&buf, &len);
      ck_assert (ocigate_report_write (f, fmts[i], &item, 1, &err) == 0);
      fclose (f);
      ocigate_doc_free (parse_report (buf));
      ck_assert_msg (strstr (buf, "bad-\xef\xbf\xbd\xef\xbf\xbd.json") != NULL, "%s", buf);
      free (buf);
    }
  free (item.path);
  free (item.error);
}
END_TEST

/* Go's strconv.Quote, checked against Go itself for these inputs. */
START_TEST (test_escape_like_go)
{
  static const struct
  {
    const char *in, *quoted;
  } cases[] = {
    { "plain /etc/passwd", "\"plain /etc/passwd\"" },
    { "a\nb\r\tc", "\"a\\nb\\r\\tc\"" },
    { "\x1b[2J\x1b]0;t\x07", "\"\\x1b[2J\\x1b]0;t\\a\"" },
    { "nel\xc2\x85"
      "csi\xc2\x9b",
      "\"nel\\u0085csi\\u009b\"" },
    { "ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\"" },
    { "rlo\xe2\x80\xaeiso\xe2\x81\xa6zw\xe2\x80\x8b", "\"rlo\\u202eiso\\u2066zw\\u200b\"" },
    { "nbsp\xc2\xa0shy\xc2\xad", "\"nbsp\\u00a0shy\\u00ad\"" },
    { "del\x7f", "\"del\\x7f\"" },
    { "bad\xff\xc0\x80\xed\xa0\x80", "\"bad\\xff\\xc0\\x80\\xed\\xa0\\x80\"" },
    { "tag\xf3\xa0\x81\x81", "\"tag\\U000e0041\"" },
    { "q\"b\\", "\"q\\\"b\\\\\"" },
    { "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80",
      "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *q = ocigate_escape (cases[i].in, OCIGATE_ESC_QUOTE);
      ck_assert_msg (strcmp (q, cases[i].quoted) == 0, "%zu: got %s want %s", i, q,
                     cases[i].quoted);
      free (q);
    }
  /* Without quotes, `"` stays; the flags keep ocigate's own newlines and
   * backslashes of text already escaped. */
  char *e = ocigate_escape ("say \"hi\"\n\x1b\\", 0);
  ck_assert_str_eq (e, "say \"hi\"\\n\\x1b\\\\");
  free (e);
  e = ocigate_escape ("one\ntwo\x1b\\n", OCIGATE_ESC_KEEP_NEWLINE | OCIGATE_ESC_KEEP_BACKSLASH);
  ck_assert_str_eq (e, "one\ntwo\\x1b\\n");
  free (e);
}
END_TEST

static size_t
count_lines (const char *s)
{
  size_t n = 0;
  for (; (s = strchr (s, '\n')) != NULL; s++)
    n++;
  return n;
}

/* A config string that tries to forge a verdict line and clear the
 * screen: every finding stays one line, no control byte gets out. */
#define FORGED                                                                                     \
  "/etc\nevil.json: allow (policy restricted)\nocigate: allowed\r\x1b[2K\xc2\x85\xe2\x80\xa8x"

START_TEST (test_text_injection)
{
  ocigate_report_item_t item = { .path = xstrdup ("evil\n.json") };
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "hooks",
          "{\"prestart\":[{\"path\":\"/etc\\nevil.json: allow (policy restricted)\\nocigate: "
          "allowed\\r\\u001b[2K\\u0085\\u2028x\"}]}");
  tu_eval (NULL, d, &opts, &item.res);
  ck_assert_uint_gt (item.res.n, 0);
  bool quoted = false;
  for (size_t i = 0; i < item.res.n; i++)
    quoted |= strstr (item.res.f[i].message, FORGED) != NULL;
  ck_assert_msg (quoted, "no finding quotes the source");

  char *out = report (OCIGATE_FORMAT_TEXT, &item, 1);
  ck_assert_uint_eq (count_lines (out), item.res.n + 2);
  ck_assert_msg (strstr (out, "\nevil.json: allow") == NULL, "%s", out);
  ck_assert_msg (strstr (out, "\nocigate: allowed") == NULL, "%s", out);
  for (const unsigned char *p = (const unsigned char *)out; *p; p++)
    ck_assert_msg (*p == '\n' || (*p >= 0x20 && *p != 0x7f), "control byte %#x in %s", *p, out);
  ck_assert_msg (strstr (out, "\xc2\x85") == NULL && strstr (out, "\xe2\x80\xa8") == NULL, "%s",
                 out);
  ck_assert_msg (strstr (out, "evil\\n.json: reject") != NULL, "%s", out);
  ck_assert_msg (strstr (out, "/etc\\nevil.json: allow (policy restricted)\\nocigate: allowed\\r"
                              "\\x1b[2K\\u0085\\u2028x")
                     != NULL,
                 "%s", out);
  free (out);

  /* The runtime's rejection text: one line per finding. */
  char *msg = ocigate_result_message (&item.res);
  ck_assert_msg (strstr (msg, "\nocigate: allowed") == NULL && strchr (msg, '\x1b') == NULL, "%s",
                 msg);
  ck_assert_msg (strstr (msg, "\\nocigate: allowed\\r\\x1b[2K") != NULL, "%s", msg);
  free (msg);
  free (item.path);
  ocigate_result_free (&item.res);
  ocigate_doc_free (d);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("report");
  TCase *tc = tcase_create ("report");
  tcase_add_test (tc, test_text);
  tcase_add_test (tc, test_text_modes_and_notes);
  tcase_add_test (tc, test_json);
  tcase_add_test (tc, test_sarif);
  tcase_add_test (tc, test_invalid_utf8);
  tcase_add_test (tc, test_escape_like_go);
  tcase_add_test (tc, test_text_injection);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
