/* SPDX-License-Identifier: Apache-2.0 */
/* The config model: strict parsing, lossless round trips, typed errors. */
#include "config.h"

#include <string.h>

#include "testutil.h"

static char *
parse_error (const char *json, size_t len)
{
  ocigate_error_t err = NULL;
  ocigate_doc_t *d = ocigate_config_parse (json, len, tu_default_policy (), "c.json", &err);
  ck_assert_msg (d == NULL, "expected an error for %.*s", (int)len, json);
  ck_assert (err != NULL);
  char *m = xstrdup (err->msg);
  ocigate_error_free (&err);
  return m;
}

#define ck_assert_error(json, needle)                                                              \
  do                                                                                               \
    {                                                                                              \
      char *m_ = parse_error (json, sizeof (json) - 1);                                            \
      ck_assert_msg (strstr (m_, needle) != NULL, "error \"%s\" lacks \"%s\"", m_, needle);        \
      ck_assert_msg (strstr (m_, "c.json") != NULL, "error \"%s\" lacks the file name", m_);       \
      ck_assert_msg (strchr (m_, '\n') == NULL, "error \"%s\" is not one line", m_);               \
      free (m_);                                                                                   \
    }                                                                                              \
  while (0)

START_TEST (test_duplicate_keys)
{
  /* runc keeps the last value: a first-value reader would see uid 1000. */
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"uid\":1000,\"gid\":0,"
                   "\"uid\":0}}}",
                   "duplicate key \"uid\"");
  /* Large objects take the sorted path. */
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"ociVersion\":\"1\",\"annotations\":{");
  for (int i = 0; i < 100; i++)
    strbuf_printf (&b, "\"k%d\":\"v\",", i);
  strbuf_puts (&b, "\"k57\":\"again\"}}");
  char *m = parse_error (b.s, b.len);
  ck_assert_msg (strstr (m, "duplicate key \"k57\""), "%s", m);
  free (m);
  free (b.s);
}
END_TEST

START_TEST (test_bad_input)
{
  ck_assert_error ("", "empty file");
  ck_assert_error ("  \n ", "empty file");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{", "line 1");
  ck_assert_error ("{\"ociVersion\":\"1\"} {}", "line 1");
  ck_assert_error ("[]", "expected a JSON object at the top level, got array");
  ck_assert_error ("\"x\"", "got string");
  ck_assert_error ("{\"ociVersion\":\"1\",} ", "line 1");
  ck_assert_error ("{/* c */\"ociVersion\":\"1\"}", "line 1");
  ck_assert_error ("{\"ociVersion\":\"\\u0000\"}", "NUL");
  ck_assert_error ("{\"ociVersion\":\"1\",\n\"x\":\"a\0b\"}", "line 2, column 7: NUL byte");
  ck_assert_error ("{\"ociVersion\":\"\xff\xfe\"}", "line 1");
  ck_assert_error ("{\"ociVersion\":\"\xc3\"}", "line 1");
}
END_TEST

START_TEST (test_depth_cap)
{
  size_t n = 10 * 1024 * 1024;
  char *deep = xmalloc (n + 1);
  memset (deep, '[', n);
  deep[n] = '\0';
  char *m = parse_error (deep, n);
  ck_assert_msg (strstr (m, "nesting deeper than 64 levels"), "%s", m);
  free (m);
  free (deep);
}
END_TEST

START_TEST (test_types)
{
  ck_assert_error ("{}", "/ociVersion: required field missing");
  ck_assert_error ("{\"ociVersion\":1}", "/ociVersion: expected a string, got number");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"uid\":\"0\",\"gid\":0}}}",
                   "/process/user/uid: expected an integer from 0 to 4294967295, got string");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0}}}",
                   "/process/user/uid");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}",
                   "/process/user/uid");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"uid\":1e3,\"gid\":0}}}",
                   "/process/user/uid");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"user\":{\"gid\":0}}}",
                   "/process/user/uid: required field missing");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"noNewPrivileges\":\"true\"}}",
                   "/process/noNewPrivileges: expected a boolean");
  ck_assert_error ("{\"ociVersion\":\"1\",\"process\":{\"capabilities\":{\"bounding\":"
                   "[\"CAP_CHOWN\",7]}}}",
                   "/process/capabilities/bounding/1: expected a string");
  ck_assert_error (
      "{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/x\",\"options\":\"ro\"}]}",
      "/mounts/0/options: expected an array");
  ck_assert_error ("{\"ociVersion\":\"1\",\"annotations\":{\"a/b~c\":1}}",
                   "/annotations/a~1b~0c: expected a string");
  ck_assert_error ("{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}}",
                   "/linux/namespaces/0/type: required field missing");
}
END_TEST

START_TEST (test_lossless_round_trip)
{
  const char *json = "{\"ociVersion\":\"1.0.2\",\"zzz\":{\"unknown\":[1.50,-0,1e400,true,null]},"
                     "\"process\":{\"user\":{\"uid\":7,\"gid\":7},\"x-vendor\":\"\\u00e9\\n\"},"
                     "\"aaa\":\"\xe2\x82\xac\"}";
  ocigate_doc_t *d = tu_parse (json);
  char *out = tu_json (ocigate_doc_root (d));
  /* Member order, unknown members and number spelling survive. */
  ck_assert_str_eq (out,
                    "{\"ociVersion\":\"1.0.2\",\"zzz\":{\"unknown\":[1.50,-0,1e400,true,null]},"
                    "\"process\":{\"user\":{\"uid\":7,\"gid\":7},\"x-vendor\":\"\xc3\xa9\\n\"},"
                    "\"aaa\":\"\xe2\x82\xac\"}");
  ocigate_doc_t *d2 = tu_parse (out);
  ck_assert (oj_equal (ocigate_doc_root (d), ocigate_doc_root (d2)));
  free (out);
  ocigate_doc_free (d);
  ocigate_doc_free (d2);
}
END_TEST

START_TEST (test_edits)
{
  ocigate_doc_t *d = tu_parse ("{\"ociVersion\":\"1\",\"a\":1,\"b\":2}");
  ocigate_json_t *r = ocigate_doc_root (d);
  oj_set (d, r, "a", oj_new_string (d, "x"));
  oj_set (d, r, "c", oj_new_bool (d, true));
  ck_assert (oj_remove (r, "b"));
  ck_assert (!oj_remove (r, "b"));
  char *out = tu_json (r);
  ck_assert_str_eq (out, "{\"ociVersion\":\"1\",\"a\":\"x\",\"c\":true}");
  free (out);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_positions)
{
  ocigate_error_t err = NULL;
  const char *p = "// comment\n{\n  \"preset\": \"restricted\",\n  \"bogus\": 1\n}\n";
  ocigate_policy_t *pol = ocigate_policy_parse (p, strlen (p), "p.json", &err);
  ck_assert (pol == NULL);
  ck_assert_msg (strstr (err->msg, "`p.json`: line 4, column")
                     && strstr (err->msg, "bogus: unknown key"),
                 "%s", err->msg);
  ocigate_error_free (&err);
}
END_TEST

START_TEST (test_path_normalize)
{
  static const char *const cases[][2] = {
    { "/", "/" },         { "//", "/" },
    { "/a//b/", "/a/b" }, { "/a/./b", "/a/b" },
    { "/a/../b", "/b" },  { "/../../etc", "/etc" },
    { "/a/b/..", "/a" },  { "/var/run/x", "/var/run/x" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *n = ocigate_path_normalize (cases[i][0]);
      ck_assert_msg (strcmp (n, cases[i][1]) == 0, "%s -> %s, want %s", cases[i][0], n,
                     cases[i][1]);
      free (n);
    }
  char *h = ocigate_host_path ("/var/run//docker.sock/", false);
  ck_assert_str_eq (h, "/run/docker.sock");
  free (h);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("json");
  TCase *tc = tcase_create ("json");
  tcase_add_test (tc, test_duplicate_keys);
  tcase_add_test (tc, test_bad_input);
  tcase_add_test (tc, test_depth_cap);
  tcase_add_test (tc, test_types);
  tcase_add_test (tc, test_lossless_round_trip);
  tcase_add_test (tc, test_edits);
  tcase_add_test (tc, test_positions);
  tcase_add_test (tc, test_path_normalize);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
