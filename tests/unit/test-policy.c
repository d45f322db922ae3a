/* SPDX-License-Identifier: Apache-2.0 */
/* The policy file (spec section 6): JSON with comments, strict keys and
 * types with line and column, every documented key, `policy show`, and
 * the exemption matcher. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define PROFILE TEST_DATA "/../../profiles/seccomp/default.json"

static char *
policy_error (const char *json)
{
  ocigate_error_t err = NULL;
  ocigate_policy_t *p = ocigate_policy_parse (json, strlen (json), "p.json", &err);
  ck_assert_msg (p == NULL, "expected an error for %s", json);
  ck_assert (err != NULL && err->msg != NULL);
  ck_assert_msg (strchr (err->msg, '\n') == NULL, "not one line: %s", err->msg);
  char *m = xstrdup (err->msg);
  ocigate_error_free (&err);
  return m;
}

#define ck_assert_policy_error(json, want)                                                         \
  do                                                                                               \
    {                                                                                              \
      char *m_ = policy_error (json);                                                              \
      ck_assert_msg (strcmp (m_, want) == 0, "policy %s:\n got  %s\n want %s", json, m_, want);    \
      free (m_);                                                                                   \
    }                                                                                              \
  while (0)

/* A temp file with the given contents; the caller unlinks and frees. */
static char *
temp_file (const char *contents)
{
  char *path = xstrdup ("/tmp/ocigate-policy-XXXXXX");
  int fd = mkstemp (path);
  ck_assert_int_ge (fd, 0);
  size_t l = strlen (contents);
  ck_assert_int_eq (write (fd, contents, l), (ssize_t)l);
  close (fd);
  return path;
}

static char *
show (const ocigate_policy_t *p)
{
  ocigate_error_t err = NULL;
  char *out;
  size_t len;
  ck_assert_msg (ocigate_policy_show (p, &out, &len, &err) == 0, "show: %s", err ? err->msg : "?");
  ck_assert_uint_eq (strlen (out), len);
  return out;
}

/* show's output parsed as plain JSON (no comments). */
static ocigate_doc_t *
show_doc (const ocigate_policy_t *p)
{
  ocigate_error_t err = NULL;
  char *text = show (p);
  ocigate_json_parse_opts_t o = { .name = "show" };
  ocigate_doc_t *d = ocigate_json_parse (text, strlen (text), &o, &err);
  ck_assert_msg (d != NULL, "show output is not JSON: %s\n%s", err ? err->msg : "?", text);
  ck_assert (oj_is (ocigate_doc_root (d), OJ_OBJECT));
  free (text);
  return d;
}

START_TEST (test_comments)
{
  ocigate_policy_t *p = tu_policy ("// an operator's notes\n"
                                   "{\n"
                                   "  /* the preset */ \"preset\": \"baseline\", // trailing\n"
                                   "  \"rules\": { /* none */ }\n"
                                   "}\n");
  ck_assert_uint_eq (p->preset, OCIGATE_PRESET_BASELINE);
  ck_assert_str_eq (ocigate_policy_name (p), "baseline");
  ocigate_policy_free (p);

  /* Comments yes, but no trailing commas, and nothing after the object. */
  char *m = policy_error ("{\"preset\":\"baseline\",}");
  ck_assert_msg (strstr (m, "`p.json`: line 1, column"), "%s", m);
  free (m);
  m = policy_error ("{}\n{}");
  ck_assert_msg (strstr (m, "`p.json`: line 2, column"), "%s", m);
  free (m);
  /* Duplicate keys, as everywhere. */
  ck_assert_policy_error ("{\"preset\":\"baseline\",\n\"preset\":\"privileged\"}",
                          "`p.json`: line 2, column 10: duplicate key \"preset\"");
  /* Empty. */
  ck_assert_policy_error ("  ", "`p.json`: empty file, expected a JSON object");
  ck_assert_policy_error ("[]", "`p.json`: line 1, column 1: : expected object, got array");
}
END_TEST

START_TEST (test_unknown_keys)
{
  ck_assert_policy_error ("{\"bogus\":1}", "`p.json`: line 1, column 10: bogus: unknown key");
  ck_assert_policy_error ("{\n  \"capabilities\": {\n    \"bogus\": []\n  }\n}",
                          "`p.json`: line 3, column 14: capabilities.bogus: unknown key");
  ck_assert_policy_error ("{\"user\":{\"rewrite_uid\":7,\"uid\":8}}",
                          "`p.json`: line 1, column 32: user.uid: unknown key");
  ck_assert_policy_error ("{\"exemptions\":[{\"namespaces\":[\"x\"],\"bogus\":1}]}",
                          "`p.json`: line 1, column 44: exemptions[0].bogus: unknown key");
  ck_assert_policy_error ("{\"exemptions\":[{\"namespaces\":[\"x\"]},{\"namespace\":[\"y\"]}]}",
                          "`p.json`: line 1, column 50: exemptions[1].namespace: unknown key");
  /* Sections are not flattened keys: one spelling per setting. */
  ck_assert_policy_error ("{\"capabilities.allowed\":[]}",
                          "`p.json`: line 1, column 25: capabilities.allowed: unknown key");
  ck_assert_policy_error ("{\"user\":{\"rewrite_uid\":7},\"user.rewrite_uid\":8}",
                          "`p.json`: line 1, column 46: user.rewrite_uid: unknown key");
  ck_assert_policy_error ("{\"exemptions\":[{\"x.namespaces\":[\"a\"]}]}",
                          "`p.json`: line 1, column 32: exemptions[0].x.namespaces: unknown key");
  ck_assert_policy_error ("{\"Preset\":\"baseline\"}",
                          "`p.json`: line 1, column 11: Preset: unknown key");
}
END_TEST

START_TEST (test_wrong_types)
{
  static const char *const cases[][2] = {
    { "{\"preset\":1}", "`p.json`: line 1, column 11: preset: expected string, got number" },
    { "{\"mode\":true}", "`p.json`: line 1, column 9: mode: expected string, got boolean" },
    { "{\"runtime\":[]}", "`p.json`: line 1, column 12: runtime: expected string, got array" },
    { "{\"rules\":[]}", "`p.json`: line 1, column 10: rules: expected object, got array" },
    { "{\"rules\":{\"hooks\":1}}",
      "`p.json`: line 1, column 19: rules.hooks: expected reject|rewrite|warn|off, got number" },
    { "{\"capabilities\":[]}",
      "`p.json`: line 1, column 17: capabilities: expected object, got array" },
    { "{\"capabilities\":{\"allowed\":\"CAP_CHOWN\"}}",
      "`p.json`: line 1, column 28: capabilities.allowed: expected array, got string" },
    { "{\"hooks\":{\"allowed\":[\"/x\",1]}}",
      "`p.json`: line 1, column 27: hooks.allowed: element 1: expected a string, got number" },
    { "{\"user\":{\"rewrite_uid\":\"1000\"}}",
      "`p.json`: line 1, column 24: user.rewrite_uid: expected an integer from 0 to 4294967294" },
    { "{\"user\":{\"rewrite_gid\":-1}}",
      "`p.json`: line 1, column 24: user.rewrite_gid: expected an integer from 0 to 4294967294" },
    { "{\"user\":{\"rewrite_uid\":4294967295}}",
      "`p.json`: line 1, column 24: user.rewrite_uid: expected an integer from 0 to 4294967294" },
    { "{\"user\":{\"rewrite_uid\":1.5}}",
      "`p.json`: line 1, column 24: user.rewrite_uid: expected an integer from 0 to 4294967294" },
    { "{\"apparmor\":{\"require\":\"yes\"}}",
      "`p.json`: line 1, column 24: apparmor.require: expected a boolean, got string" },
    { "{\"apparmor\":{\"profile\":null}}",
      "`p.json`: line 1, column 24: apparmor.profile: expected string, got null" },
    { "{\"audit\":{\"syslog\":0}}",
      "`p.json`: line 1, column 20: audit.syslog: expected a boolean, got number" },
    { "{\"limits\":{\"max_config_bytes\":2000000000}}",
      "`p.json`: line 1, column 31: limits.max_config_bytes: expected an integer from 0 to "
      "1073741824" },
    { "{\"limits\":{\"max_depth\":4}}",
      "`p.json`: line 1, column 24: limits.max_depth: must be at least 8" },
    { "{\"exemptions\":{}}",
      "`p.json`: line 1, column 15: exemptions: expected array, got object" },
    { "{\"exemptions\":[[]]}",
      "`p.json`: line 1, column 16: exemptions[0]: expected object, got array" },
    { "{\"exemptions\":[{\"namespaces\":\"kube-system\"}]}",
      "`p.json`: line 1, column 30: exemptions[0].namespaces: expected array, got string" },
    { "{\"exemptions\":[{\"namespaces\":[\"a\"],\"preset\":2}]}",
      "`p.json`: line 1, column 45: exemptions[0].preset: expected string, got number" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    ck_assert_policy_error (cases[i][0], cases[i][1]);
}
END_TEST

START_TEST (test_bad_values)
{
  static const char *const cases[][2] = {
    { "{\"preset\":\"strict\"}",
      "`p.json`: line 1, column 11: preset: expected restricted|baseline|privileged, got "
      "\"strict\"" },
    { "{\"mode\":\"enforcing\"}",
      "`p.json`: line 1, column 9: mode: expected enforce|warn|audit, got \"enforcing\"" },
    { "{\"runtime\":\"runc\"}", "`p.json`: line 1, column 12: runtime: must be an absolute path" },
    { "{\"rules\":{\"root-user\":\"deny\"}}",
      "`p.json`: line 1, column 23: rules.root-user: expected reject|rewrite|warn|off, got "
      "\"deny\"" },
    { "{\"rules\":{\"root-user\":\"REJECT\"}}",
      "`p.json`: line 1, column 23: rules.root-user: expected reject|rewrite|warn|off, got "
      "\"REJECT\"" },
    { "{\"rules\":{\"root_user\":\"off\"}}",
      "`p.json`: line 1, column 23: rules.root_user: unknown rule" },
    { "{\"rules\":{\"privileged\":\"rewrite\"}}",
      "`p.json`: line 1, column 24: rules.privileged: rule privileged cannot rewrite; use "
      "reject, warn or off" },
    { "{\"exemptions\":[{\"namespaces\":[\"a\"],\"rules\":{\"host-mounts\":\"rewrite\"}}]}",
      "`p.json`: line 1, column 59: exemptions[0].rules.host-mounts: rule host-mounts cannot "
      "rewrite; use reject, warn or off" },
    { "{\"exemptions\":[{\"namespaces\":[\"a\"],\"preset\":\"none\"}]}",
      "`p.json`: line 1, column 45: exemptions[0].preset: expected "
      "restricted|baseline|privileged" },
    { "{\"capabilities\":{\"allowed\":[\"CAP_CHOWN\",\"CAP_NOPE\"]}}",
      "`p.json`: line 1, column 28: capabilities.allowed: unknown capability \"CAP_NOPE\"" },
    { "{\"capabilities\":{\"allowed\":[\"cap_chown\"]}}",
      "`p.json`: line 1, column 28: capabilities.allowed: unknown capability \"cap_chown\"" },
    { "{\"capabilities\":{\"allowed\":[\"SYS_ADMIN\"]}}",
      "`p.json`: line 1, column 28: capabilities.allowed: unknown capability \"SYS_ADMIN\"" },
    { "{\"user\":{\"rewrite_uid\":0}}",
      "`p.json`: line 1, column 24: user.rewrite_uid: rewriting to 0 would make the process "
      "root" },
    { "{\"user\":{\"rewrite_gid\":0}}",
      "`p.json`: line 1, column 24: user.rewrite_gid: rewriting to 0 would make the process "
      "root" },
    { "{\"mounts\":{\"deny\":[\"srv/secrets\"]}}",
      "`p.json`: line 1, column 19: mounts.deny: \"srv/secrets\" is not an absolute path" },
    { "{\"mounts\":{\"allow\":[\"/ok\",\"../x\"]}}",
      "`p.json`: line 1, column 20: mounts.allow: \"../x\" is not an absolute path" },
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"tmp\"]}}",
      "`p.json`: line 1, column 29: readonly_rootfs.tmpfs: \"tmp\" is not an absolute path" },
    { "{\"exemptions\":[{\"preset\":\"privileged\"}]}",
      "`p.json`: line 1, column 16: exemptions[0]: an exemption must match on namespaces, "
      "images or container_types" },
    { "{\"exemptions\":[{\"namespaces\":[],\"rules\":{}}]}",
      "`p.json`: line 1, column 16: exemptions[0]: an exemption must match on namespaces, "
      "images or container_types" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    ck_assert_policy_error (cases[i][0], cases[i][1]);
}
END_TEST

START_TEST (test_seccomp_profile_file)
{
  char *m = policy_error ("{\"seccomp\":{\"profile\":\"/nonexistent/seccomp.json\"}}");
  ck_assert_str_eq (m, "cannot open `/nonexistent/seccomp.json`: No such file or directory");
  free (m);

  char *notprofile = temp_file ("{\"syscalls\":[]}");
  char *json = xasprintf ("{\"seccomp\":{\"profile\":\"%s\"}}", notprofile);
  m = policy_error (json);
  char *want = xasprintf ("`%s`: not an OCI seccomp object (no defaultAction)", notprofile);
  ck_assert_str_eq (m, want);
  free (m);
  free (want);
  free (json);
  unlink (notprofile);
  free (notprofile);

  char *broken = temp_file ("{\"defaultAction\":");
  json = xasprintf ("{\"seccomp\":{\"profile\":\"%s\"}}", broken);
  m = policy_error (json);
  ck_assert_msg (strstr (m, broken) && strstr (m, "line 1"), "%s", m);
  free (m);
  free (json);
  unlink (broken);
  free (broken);

  /* A real profile is what gets injected. */
  char *own = temp_file ("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[]}");
  json = xasprintf ("{\"seccomp\":{\"profile\":\"%s\"}}", own);
  ocigate_policy_t *p = tu_policy (json);
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  ocigate_result_t res;
  ocigate_eval_opts_t o = { .name = "t", .bundle = "/tmp/b" };
  tu_rewrite (p, d, &o, &res);
  char *got = tu_json_at (d, "linux/seccomp");
  ck_assert_str_eq (got, "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[]}");
  free (got);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (p);
  free (json);
  unlink (own);
  free (own);
}
END_TEST

START_TEST (test_every_key)
{
  const char *text
      = "// every key of spec section 6\n"
        "{\n"
        "  \"preset\": \"baseline\",\n"
        "  \"mode\": \"warn\",\n"
        "  \"runtime\": \"/usr/local/sbin/runc\",\n"
        "  \"rules\": { \"root-user\": \"reject\", \"hooks\": \"rewrite\", \"seccomp\": \"reject\" "
        "},\n"
        "  \"capabilities\": { \"allowed\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"] },\n"
        "  \"user\": { \"rewrite_uid\": 1001, \"rewrite_gid\": 1002 },\n"
        "  \"mounts\": { \"deny\": [\"/srv/secret/\"], \"allow\": [\"/var/run/app\"] },\n"
        "  \"hooks\": { \"allowed\": [\"/usr/libexec/oci/hook\"] },\n"
        "  \"sysctls\": { \"allowed\": [\"net.core.somaxconn\"] },\n"
        "  \"seccomp\": { \"profile\": \"" PROFILE "\", \"dangerous\": [\"ptrace\"] },\n"
        "  \"apparmor\": { \"profile\": \"site-default\", \"require\": false },\n"
        "  \"selinux\": { \"type\": \"site_container_t\" },\n"
        "  \"images\": { \"allowed\": [\"registry.example.com/\"] },\n"
        "  \"readonly_rootfs\": { \"tmpfs\": [\"/tmp\", \"/run\"] },\n"
        "  \"exemptions\": [\n"
        "    { \"namespaces\": [\"kube-system\"], \"images\": [\"registry.k8s.io/\"],\n"
        "      \"container_types\": [\"sandbox\"], \"preset\": \"privileged\",\n"
        "      \"rules\": { \"seccomp\": \"off\" } },\n"
        "    { \"namespaces\": [\"monitoring\"], \"rules\": { \"host-namespaces\": \"warn\" } }\n"
        "  ],\n"
        "  \"audit\": { \"path\": \"/var/log/site/audit.jsonl\", \"syslog\": false },\n"
        "  \"limits\": { \"max_config_bytes\": 1048576, \"max_depth\": 32 },\n"
        "  \"devices\": { \"allowed\": [\"c 10:229\"] }\n"
        "}\n";
  ocigate_policy_t *p = tu_policy (text);
  ck_assert_str_eq (p->source, "test-policy.json");
  ck_assert_uint_eq (p->preset, OCIGATE_PRESET_BASELINE);
  ck_assert_uint_eq (p->mode, OCIGATE_MODE_WARN);
  ck_assert_str_eq (p->runtime, "/usr/local/sbin/runc");
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      const char *id = ocigate_rule_info ((ocigate_rule_id_t)r)->id;
      int want = strcmp (id, "root-user") == 0 ? OCIGATE_ACTION_REJECT
                 : strcmp (id, "hooks") == 0   ? OCIGATE_ACTION_REWRITE
                 : strcmp (id, "seccomp") == 0 ? OCIGATE_ACTION_REJECT
                                               : OCIGATE_ACTION_DEFAULT;
      ck_assert_msg (p->actions[r] == want, "%s: %d", id, p->actions[r]);
    }
  ck_assert (p->caps_allowed_set);
  ck_assert_uint_eq (p->caps_allowed.n, 2);
  ck_assert_str_eq (p->caps_allowed.v[1], "CAP_NET_BIND_SERVICE");
  ck_assert_uint_eq (p->rewrite_uid, 1001);
  ck_assert_uint_eq (p->rewrite_gid, 1002);
  /* Mount paths are normalised, /var/run as /run. */
  ck_assert_str_eq (p->mounts_deny.v[0], "/srv/secret");
  ck_assert_str_eq (p->mounts_allow.v[0], "/run/app");
  ck_assert_str_eq (p->hooks_allowed.v[0], "/usr/libexec/oci/hook");
  ck_assert_str_eq (p->sysctls_allowed.v[0], "net.core.somaxconn");
  ck_assert_str_eq (p->seccomp_profile_path, PROFILE);
  ck_assert (p->seccomp_profile != NULL);
  ck_assert (oj_str_eq (oj_get (ocigate_doc_root (p->seccomp_profile), "defaultAction"),
                        "SCMP_ACT_ERRNO"));
  ck_assert_str_eq (p->seccomp_dangerous.v[0], "ptrace");
  ck_assert_str_eq (p->apparmor_profile, "site-default");
  ck_assert (!p->apparmor_require);
  ck_assert_str_eq (p->selinux_type, "site_container_t");
  ck_assert_str_eq (p->images_allowed.v[0], "registry.example.com/");
  ck_assert_uint_eq (p->readonly_tmpfs.n, 2);
  ck_assert_uint_eq (p->n_exemptions, 2);
  const ocigate_exemption_t *x = &p->exemptions[0];
  ck_assert_str_eq (x->namespaces.v[0], "kube-system");
  ck_assert_str_eq (x->images.v[0], "registry.k8s.io/");
  ck_assert_str_eq (x->container_types.v[0], "sandbox");
  ck_assert_int_eq (x->preset, OCIGATE_PRESET_PRIVILEGED);
  ck_assert_int_eq (x->actions[R_SECCOMP], OCIGATE_ACTION_OFF);
  ck_assert_int_eq (x->actions[R_ROOT_USER], OCIGATE_ACTION_DEFAULT);
  ck_assert_int_eq (p->exemptions[1].preset, -1);
  ck_assert_int_eq (p->exemptions[1].actions[R_HOST_NAMESPACES], OCIGATE_ACTION_WARN);
  ck_assert_str_eq (p->audit_path, "/var/log/site/audit.jsonl");
  ck_assert (!p->audit_syslog);
  ck_assert_uint_eq (p->max_config_bytes, 1048576);
  ck_assert_uint_eq (p->max_depth, 32);
  ck_assert_str_eq (p->devices_allowed.v[0], "c 10:229");
  ocigate_policy_free (p);

  /* Every action, preset and mode name. */
  static const char *const actions[] = { "off", "warn", "rewrite", "reject" };
  for (int a = 0; a < 4; a++)
    {
      ck_assert_int_eq (ocigate_action_parse (actions[a]), a);
      ck_assert_str_eq (ocigate_action_name ((ocigate_action_t)a), actions[a]);
    }
  ck_assert_int_eq (ocigate_action_parse ("default"), -1);
  static const char *const presets[] = { "restricted", "baseline", "privileged" };
  for (int i = 0; i < 3; i++)
    {
      ck_assert_int_eq (ocigate_preset_parse (presets[i]), i);
      ck_assert_str_eq (ocigate_preset_name ((ocigate_preset_t)i), presets[i]);
    }
  static const char *const modes[] = { "enforce", "warn", "audit" };
  for (int i = 0; i < 3; i++)
    {
      char *j = xasprintf ("{\"mode\":\"%s\"}", modes[i]);
      p = tu_policy (j);
      ck_assert_int_eq (p->mode, i);
      ck_assert_str_eq (ocigate_mode_name (p->mode), modes[i]);
      ocigate_policy_free (p);
      free (j);
    }
}
END_TEST

START_TEST (test_defaults_and_load)
{
  ocigate_error_t err = NULL;
  ocigate_policy_t *p = ocigate_policy_load (NULL, &err);
  ck_assert (p != NULL);
  ck_assert (p->source == NULL);
  ck_assert_uint_eq (p->preset, OCIGATE_PRESET_RESTRICTED);
  ck_assert_uint_eq (p->mode, OCIGATE_MODE_ENFORCE);
  ck_assert_uint_eq (p->rewrite_uid, 65534);
  ck_assert_uint_eq (p->rewrite_gid, 65534);
  ck_assert_str_eq (p->apparmor_profile, "ocigate-default");
  ck_assert (p->apparmor_require);
  ck_assert (p->selinux_type == NULL && p->seccomp_profile_path == NULL);
  ck_assert (p->seccomp_profile != NULL);
  ck_assert_uint_eq (p->max_config_bytes, 16u << 20);
  ck_assert_uint_eq (p->max_depth, 64);
  ck_assert_str_eq (p->audit_path, OCIGATE_AUDIT_PATH);
  ck_assert (!p->caps_allowed_set);
  ck_assert_uint_eq (p->n_exemptions, 0);
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    ck_assert_int_eq (p->actions[r], OCIGATE_ACTION_DEFAULT);
  ck_assert_str_eq (ocigate_policy_name (p), "restricted");
  ocigate_policy_free (p);
  ocigate_policy_free (NULL);

  /* An empty policy file is the default with a source. */
  p = tu_policy ("{}");
  ck_assert_str_eq (p->source, "test-policy.json");
  ck_assert_uint_eq (p->preset, OCIGATE_PRESET_RESTRICTED);
  ocigate_policy_free (p);

  /* From a file. */
  char *path = temp_file ("{\"preset\":\"baseline\"} // done\n");
  p = ocigate_policy_load (path, &err);
  ck_assert_msg (p != NULL, "%s", err ? err->msg : "?");
  ck_assert_str_eq (p->source, path);
  ck_assert_uint_eq (p->preset, OCIGATE_PRESET_BASELINE);
  ocigate_policy_free (p);
  unlink (path);
  free (path);

  /* Missing or unreadable: an error naming the file (runtime mode then
   * fails closed). */
  p = ocigate_policy_load ("/nonexistent/policy.json", &err);
  ck_assert (p == NULL);
  ck_assert_str_eq (err->msg, "cannot open `/nonexistent/policy.json`: No such file or directory");
  ocigate_error_free (&err);
  p = ocigate_policy_load ("/tmp", &err);
  ck_assert (p == NULL);
  ck_assert_msg (strstr (err->msg, "`/tmp`") != NULL, "%s", err->msg);
  ocigate_error_free (&err);
}
END_TEST

START_TEST (test_show_default)
{
  ocigate_policy_t *p = tu_default_policy ();
  ocigate_doc_t *d = show_doc (p);
  ocigate_json_t *r = ocigate_doc_root (d);
  ck_assert (oj_str_eq (oj_get (r, "source"), "embedded default"));
  ck_assert (oj_str_eq (oj_get (r, "preset"), "restricted"));
  ck_assert (oj_str_eq (oj_get (r, "mode"), "enforce"));
  /* Defaults filled in: every rule with its action. */
  ocigate_json_t *rules = oj_get (r, "rules");
  ck_assert_uint_eq (oj_len (rules), OCIGATE_RULE_COUNT);
  for (int i = 0; i < OCIGATE_RULE_COUNT; i++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)i);
      ck_assert_msg (oj_str_eq (oj_get (rules, ri->id),
                                ocigate_action_name (
                                    (ocigate_action_t)ri->defaults[OCIGATE_PRESET_RESTRICTED])),
                     "%s", ri->id);
    }
  char *caps = tu_json_at (d, "capabilities/allowed");
  ck_assert_str_eq (caps, "[\"CAP_NET_BIND_SERVICE\"]");
  free (caps);
  ck_assert (oj_is (oj_path (r, "seccomp/profile"), OJ_NULL));
  ck_assert (oj_is (oj_path (r, "selinux/type"), OJ_NULL));
  ck_assert (oj_str_eq (oj_path (r, "apparmor/profile"), "ocigate-default"));
  int64_t v;
  ck_assert (oj_int (oj_path (r, "user/rewrite_uid"), &v) && v == 65534);
  ck_assert (oj_int (oj_path (r, "limits/max_depth"), &v) && v == 64);
  ocigate_doc_free (d);

  /* The baseline and privileged presets show their capability sets. */
  ocigate_policy_t *b = tu_policy ("{\"preset\":\"baseline\"}");
  d = show_doc (b);
  ck_assert_uint_eq (oj_len (oj_path (ocigate_doc_root (d), "capabilities/allowed")), 13);
  ck_assert (oj_str_eq (oj_path (ocigate_doc_root (d), "rules/root-user"), "off"));
  ocigate_doc_free (d);
  ocigate_policy_free (b);
  b = tu_policy ("{\"preset\":\"privileged\"}");
  d = show_doc (b);
  ck_assert_uint_eq (oj_len (oj_path (ocigate_doc_root (d), "capabilities/allowed")),
                     (size_t)ocigate_cap_kernel_count ());
  ocigate_doc_free (d);
  ocigate_policy_free (b);
}
END_TEST

/* show's output without "source", which says where the policy came from
 * and is not itself a policy key. */
static char *
shown_policy (const ocigate_policy_t *p)
{
  ocigate_doc_t *d = show_doc (p);
  ck_assert (oj_str (oj_get (ocigate_doc_root (d), "source")) != NULL);
  ck_assert (oj_remove (ocigate_doc_root (d), "source"));
  char *out = tu_json (ocigate_doc_root (d));
  ocigate_doc_free (d);
  return out;
}

static void
assert_round_trip (const ocigate_policy_t *p)
{
  char *first = shown_policy (p);
  ocigate_error_t err = NULL;
  ocigate_policy_t *again = ocigate_policy_parse (first, strlen (first), "shown.json", &err);
  ck_assert_msg (again != NULL, "show's output does not load: %s\n%s", err ? err->msg : "?", first);
  char *second = shown_policy (again);
  ck_assert_str_eq (first, second);

  /* The same decisions, exemptions included. */
  static const char *const annotations[] = {
    "{}",
    "{\"io.kubernetes.cri.container-type\":\"sandbox\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\","
    "\"io.kubernetes.cri.podsandbox.image-name\":\"registry.k8s.io/pause:3.9\"}",
    "{\"io.kubernetes.cri.container-type\":\"container\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"monitoring\","
    "\"io.kubernetes.cri.image-name\":\"quay.io/prometheus/node-exporter:v1\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (annotations); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
      tu_set (d, "process/capabilities/bounding", "[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]");
      tu_del (d, "linux/namespaces/1");
      tu_set (d, "linux/sysctl", "{\"net.core.somaxconn\":\"1\",\"kernel.shmmax\":\"1\"}");
      tu_set (d, "annotations", annotations[i]);
      ocigate_eval_opts_t o = { .name = "t", .bundle = "/tmp/b" };
      ocigate_result_t r1, r2;
      tu_eval (p, d, &o, &r1);
      tu_eval (again, d, &o, &r2);
      char *d1 = tu_dump (&r1), *d2 = tu_dump (&r2);
      ck_assert_str_eq (d1, d2);
      ck_assert_int_eq (r1.exemption, r2.exemption);
      ck_assert_int_eq (r1.reject, r2.reject);
      free (d1);
      free (d2);
      ocigate_result_free (&r1);
      ocigate_result_free (&r2);
      ocigate_doc_free (d);
    }
  free (first);
  free (second);
  ocigate_policy_free (again);
}

START_TEST (test_show_round_trip)
{
  /* `policy show` prints the effective policy as JSON; apart from
   * "source" (where it came from) it is itself a policy that loads back
   * to the same effective policy. */
  assert_round_trip (tu_default_policy ());
  static const char *const policies[] = {
    "{\"preset\":\"baseline\"}",
    "{\"preset\":\"privileged\",\"mode\":\"audit\"}",
    "{\"rules\":{\"capabilities\":\"reject\",\"root-user\":\"rewrite\"},"
    "\"capabilities\":{\"allowed\":[\"CAP_CHOWN\"]},"
    "\"user\":{\"rewrite_uid\":1001,\"rewrite_gid\":1002},"
    "\"mounts\":{\"deny\":[\"/srv\"],\"allow\":[\"/var/run/app\"]},"
    "\"hooks\":{\"allowed\":[\"/usr/libexec/hook\"]},"
    "\"sysctls\":{\"allowed\":[\"net.core.somaxconn\"]},"
    "\"seccomp\":{\"profile\":\"" PROFILE "\",\"dangerous\":[\"ptrace\"]},"
    "\"apparmor\":{\"profile\":\"site\",\"require\":false},"
    "\"selinux\":{\"type\":\"site_t\"},"
    "\"images\":{\"allowed\":[\"registry.k8s.io/\",\"quay.io/prometheus/\"]},"
    "\"readonly_rootfs\":{\"tmpfs\":[\"/tmp\"]},"
    "\"devices\":{\"allowed\":[\"c 10:229\"]},"
    "\"exemptions\":[{\"namespaces\":[\"kube-system\"],\"images\":[\"registry.k8s.io/\"],"
    "\"container_types\":[\"sandbox\"],\"preset\":\"baseline\",\"rules\":{\"sysctls\":\"warn\"}},"
    "{\"namespaces\":[\"monitoring\"],\"rules\":{\"host-namespaces\":\"warn\"}}],"
    "\"audit\":{\"path\":\"/var/log/a.jsonl\",\"syslog\":false},"
    "\"limits\":{\"max_config_bytes\":65536,\"max_depth\":16}}",
    /* null spells the defaults show prints */
    "{\"seccomp\":{\"profile\":null},\"selinux\":{\"type\":null}}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (policies); i++)
    {
      ocigate_policy_t *p = tu_policy (policies[i]);
      assert_round_trip (p);
      ocigate_policy_free (p);
    }

  /* "source" says where show read the policy from: show's output loads
   * back as it is (it must still be a string). */
  ocigate_policy_t *src = tu_policy ("{\"source\":\"embedded default\",\"preset\":\"baseline\"}");
  ck_assert_int_eq (src->preset, OCIGATE_PRESET_BASELINE);
  ocigate_policy_free (src);
  char *m = policy_error ("{\"source\":1}");
  ck_assert_str_eq (m, "`p.json`: line 1, column 11: source: expected string, got number");
  free (m);
}
END_TEST

/* Evaluate the base config with annotations under p; returns the index of
 * the matching exemption. */
static int
exemption_for (const ocigate_policy_t *p, const char *annotations)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "annotations", annotations);
  ocigate_eval_opts_t o = { .name = "t", .bundle = "/tmp/b" };
  ocigate_result_t res;
  tu_eval (p, d, &o, &res);
  int x = res.exemption;
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return x;
}

/* The keys each engine always writes (tests/unit/test-identity.c judges
 * them in depth). */
#define CTR(ns, image)                                                                             \
  "{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"s1\","   \
  "\"io.kubernetes.cri.sandbox-namespace\":\"" ns "\",\"io.kubernetes.cri.sandbox-name\":\"p\","   \
  "\"io.kubernetes.cri.container-name\":\"c\",\"io.kubernetes.cri.image-name\":\"" image "\"}"
#define SANDBOX(ns, image)                                                                         \
  "{\"io.kubernetes.cri.container-type\":\"sandbox\",\"io.kubernetes.cri.sandbox-id\":\"s1\","     \
  "\"io.kubernetes.cri.sandbox-namespace\":\"" ns "\",\"io.kubernetes.cri.sandbox-name\":\"p\","   \
  "\"io.kubernetes.cri.podsandbox.image-name\":\"" image "\"}"
#define CRIO_(type, id, ns, cname, image)                                                          \
  "{\"io.container.manager\":\"cri-o\",\"io.kubernetes.cri-o.ContainerType\":\"" type "\","        \
  "\"io.kubernetes.cri-o.ContainerID\":\"" id "\",\"io.kubernetes.cri-o.SandboxID\":\"sb\","       \
  "\"io.kubernetes.cri-o.ImageName\":\"" image "\","                                               \
  "\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.container.name\\\":\\\"" cname "\\\","      \
  "\\\"io.kubernetes.pod.name\\\":\\\"p\\\",\\\"io.kubernetes.pod.namespace\\\":\\\"" ns           \
  "\\\"}\","                                                                                       \
  "\"io.kubernetes.container.name\":\"" cname "\",\"io.kubernetes.pod.name\":\"p\","               \
  "\"io.kubernetes.pod.namespace\":\"" ns "\"}"
#define CRIO(type, ns, image) CRIO_##type (ns, image)
#define CRIO_container(ns, image) CRIO_ ("container", "c1", ns, "app", image)
#define CRIO_sandbox(ns, image) CRIO_ ("sandbox", "sb", ns, "POD", image)

START_TEST (test_exemption_matcher)
{
  ocigate_policy_t *p = tu_policy (
      "{\"exemptions\":["
      /* 0: a namespace, any image, any type */
      "{\"namespaces\":[\"kube-system\",\"kube-public\"],\"rules\":{\"root-user\":\"warn\"}},"
      /* 1: all three must match */
      "{\"namespaces\":[\"monitoring\"],\"images\":[\"quay.io/prometheus/\"],"
      "\"container_types\":[\"container\"],\"preset\":\"baseline\"},"
      /* 2: any namespace, sandboxes of one image */
      "{\"images\":[\"registry.k8s.io/pause\"],\"container_types\":[\"sandbox\"],"
      "\"rules\":{\"image-registry\":\"off\"}},"
      /* 3: shadowed by 0 for kube-system */
      "{\"namespaces\":[\"kube-system\"],\"preset\":\"privileged\"}]}");
  static const struct
  {
    const char *annotations;
    int want;
  } cases[] = {
    { CTR ("kube-system", "docker.io/library/busybox:1"), 0 },
    { CTR ("kube-public", "x"), 0 },
    { SANDBOX ("kube-system", "registry.k8s.io/pause:3.9"), 0 }, /* first match wins */
    { CRIO (container, "kube-system", "x"), 0 },
    { CTR ("kube-systems", "x"), -1 },
    { CTR ("Kube-System", "x"), -1 },
    { CTR ("monitoring", "quay.io/prometheus/node-exporter:v1"), 1 },
    { CRIO (container, "monitoring", "quay.io/prometheus/node-exporter:v1"), 1 },
    { CTR ("monitoring", "quay.io/prometheus-evil/x:1"), -1 },
    { CTR ("monitoring", "docker.io/prom/node-exporter"), -1 },
    { SANDBOX ("monitoring", "quay.io/prometheus/x"), -1 },
    { SANDBOX ("default", "registry.k8s.io/pause:3.9"), 2 },
    { SANDBOX ("default", "registry.k8s.io/pause@sha256:0123"), 2 },
    { SANDBOX ("default", "registry.k8s.io/pause-evil:1"), -1 },
    /* CRI-O's image annotations on a sandbox are pod-writable: never believed */
    { CRIO (sandbox, "default", "registry.k8s.io/pause:3.9"), -1 },
    { CTR ("default", "registry.k8s.io/pause:3.9"), -1 },
    /* no engine context */
    { "{}", -1 },
    { "{\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}", -1 },
    { "{\"io.kubernetes.pod.namespace\":\"kube-system\"}", -1 },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    ck_assert_msg (exemption_for (p, cases[i].annotations) == cases[i].want, "%s: want %d",
                   cases[i].annotations, cases[i].want);
  ocigate_policy_free (p);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("policy");
  TCase *tc = tcase_create ("policy");
  tcase_add_test (tc, test_comments);
  tcase_add_test (tc, test_unknown_keys);
  tcase_add_test (tc, test_wrong_types);
  tcase_add_test (tc, test_bad_values);
  tcase_add_test (tc, test_seccomp_profile_file);
  tcase_add_test (tc, test_every_key);
  tcase_add_test (tc, test_defaults_and_load);
  tcase_add_test (tc, test_show_default);
  tcase_add_test (tc, test_show_round_trip);
  tcase_add_test (tc, test_exemption_matcher);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
