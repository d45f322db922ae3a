/* SPDX-License-Identifier: Apache-2.0 */
/* LSM labels by allowlist, on substitute hosts with the LSM absent and
 * present: an AppArmor profile other than the policy's, the engines'
 * defaults and what apparmor.allowed lists is refused, and "unconfined" in
 * every spelling the kernel reads as that name; an SELinux process type
 * other than the host's container types (its lxc_contexts, else a
 * built-in list) and what the policy allows is refused.  The same for an
 * exec process, where the container's own label always passes. */
#include "config.h"

#include <string.h>

#include "selinux-internal.h"
#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE

static const char *const lxc_fedora
    = "process = \"system_u:system_r:container_t:s0\"\n"
      "content = \"system_u:object_r:virt_var_lib_t:s0\"\n"
      "file = \"system_u:object_r:container_file_t:s0\"\n"
      "ro_file=\"system_u:object_r:container_ro_file_t:s0\"\n"
      "sandbox_kvm_process = \"system_u:system_r:container_kvm_t:s0\"\n"
      "sandbox_lxc_process = \"system_u:system_r:container_init_t:s0\"\n";

/* The hosts a config may meet: LSM off, on without lxc_contexts, on with
 * one; each with host checks on and off. */
static const tu_host_t hosts[] = {
  { .apparmor = false, .apparmor_loaded = 0, .selinux = false },
  { .apparmor = true, .apparmor_loaded = 1, .selinux = true },
  { .apparmor = true, .apparmor_loaded = 1, .selinux = true, .lxc_contexts = lxc_fedora },
};

/* value as a JSON string (caller frees). */
static char *
jstr (const char *value)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "\"");
  for (const unsigned char *c = (const unsigned char *)value; *c; c++)
    if (*c < 0x20 || *c == '"' || *c == '\\')
      strbuf_printf (&b, "\\u%04x", *c);
    else
      strbuf_printf (&b, "%c", *c);
  strbuf_puts (&b, "\"");
  return strbuf_steal (&b);
}

/* The apparmor/selinux finding's action for this value at pointer, or
 * OCIGATE_ACTION_OFF when there is none. */
static ocigate_action_t
judge (const ocigate_policy_t *pol, const char *field, const char *value, tu_host_t h, bool host)
{
  ocigate_doc_t *d = tu_base ();
  char *v = jstr (value);
  char *path = xasprintf ("process/%s", field);
  tu_set (d, path, v);
  ocigate_eval_opts_t o
      = { .name = "t", .bundle = "/tmp/b", .host_checks = host, .host = tu_host (h) };
  ocigate_result_t res;
  tu_eval (pol, d, &o, &res);
  const char *rule = strcmp (field, "apparmorProfile") == 0 ? "apparmor" : "selinux";
  char *ptr = xasprintf ("/process/%s", field);
  ocigate_action_t a = OCIGATE_ACTION_OFF;
  for (size_t i = 0; i < res.n; i++)
    if (strcmp (ocigate_rule_info (res.f[i].rule)->id, rule) == 0
        && strcmp (res.f[i].pointer, ptr) == 0)
      a = res.f[i].action;
  ocigate_result_free (&res);
  free (ptr);
  free (path);
  free (v);
  ocigate_doc_free (d);
  return a;
}

/* ---- AppArmor ---- */

START_TEST (test_apparmor_unconfined_spellings)
{
  /* runc writes "exec NAME"; the kernel strips the white space around NAME
   * (strim), so each of these is "unconfined". */
  static const char *const spellings[] = {
    "unconfined",       "unconfined ",    " unconfined", "unconfined\n",
    "\tunconfined\r\n", "\vunconfined\f", "   ",
  };
  ocigate_policy_t *lists = tu_policy ("{\"apparmor\":{\"allowed\":[\"unconfined\",\"*\"]}}");
  for (size_t i = 0; i < ARRAY_SIZE (spellings); i++)
    for (size_t h = 0; h < ARRAY_SIZE (hosts); h++)
      for (int host = 0; host < 2; host++)
        {
          ck_assert_msg (judge (NULL, "apparmorProfile", spellings[i], hosts[h], host) == REJ,
                         "\"%s\" host %zu/%d", spellings[i], h, host);
          /* Even a policy that lists it cannot let it through. */
          ck_assert_msg (judge (lists, "apparmorProfile", spellings[i], hosts[h], host) == REJ,
                         "\"%s\" listed", spellings[i]);
        }
  ocigate_policy_free (lists);
}
END_TEST

START_TEST (test_apparmor_allowlist)
{
  /* Refused: any profile the policy does not name, whatever is loaded. */
  static const char *const refused[] = {
    "other",
    "ocigate-defaultx",
    "ocigate-default//&unconfined",
    ":ns:ocigate-default",
    "ocigate-default//hat",
    "containers-default",
    "cri-containerd.apparmor.d2",
    "/usr/sbin/libvirtd",
    "lxc-container-default-with-nesting",
  };
  /* Allowed: the policy's, the engines' defaults (podman's carries its
   * version), with the white space the kernel strips. */
  static const char *const allowed[] = {
    "ocigate-default", " ocigate-default\n", "cri-containerd.apparmor.d",
    "crio-default",    "docker-default",     "containers-default-0.50.1",
  };
  for (size_t h = 0; h < ARRAY_SIZE (hosts); h++)
    for (int host = 0; host < 2; host++)
      {
        for (size_t i = 0; i < ARRAY_SIZE (refused); i++)
          ck_assert_msg (judge (NULL, "apparmorProfile", refused[i], hosts[h], host) == REJ,
                         "%s on host %zu/%d", refused[i], h, host);
        for (size_t i = 0; i < ARRAY_SIZE (allowed); i++)
          ck_assert_msg (judge (NULL, "apparmorProfile", allowed[i], hosts[h], host)
                             == OCIGATE_ACTION_OFF,
                         "%s on host %zu/%d", allowed[i], h, host);
      }
  /* The policy's own profile and list; a list replaces the engines'. */
  ocigate_policy_t *pol
      = tu_policy ("{\"apparmor\":{\"profile\":\"site\",\"allowed\":[\"team-*\",\"batch\"]}}");
  ck_assert (judge (pol, "apparmorProfile", "site", hosts[1], true) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "apparmorProfile", "team-a", hosts[1], true) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "apparmorProfile", "batch", hosts[1], true) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "apparmorProfile", "batch2", hosts[1], true) == REJ);
  ck_assert (judge (pol, "apparmorProfile", "team", hosts[1], true) == REJ);
  ck_assert (judge (pol, "apparmorProfile", "ocigate-default", hosts[1], true) == REJ);
  ck_assert (judge (pol, "apparmorProfile", "docker-default", hosts[1], true) == REJ);
  ocigate_policy_free (pol);
  /* The helpers. */
  char *n = ocigate_apparmor_effective_name ("\t a b \n");
  ck_assert_str_eq (n, "a b");
  free (n);
  ck_assert (!ocigate_apparmor_profile_allowed ("x", NULL, NULL));
}
END_TEST

/* ---- SELinux ---- */

START_TEST (test_selinux_builtin)
{
  /* No lxc_contexts (SELinux absent, or no host checks): the built-in
   * container types. */
  static const char *const refused[] = {
    "system_u:system_r:spc_t:s0",
    "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
    "system_u:system_r:container_runtime_t:s0",
    "system_u:system_r:unconfined_service_t:s0",
    "system_u:system_r:kernel_t:s0",
    "system_u:system_r:init_t:s0",
    "system_u:system_r:container_kvm_t:s0",
    "system_u:object_r:container_file_t:s0",
    "system_u:system_r:notspc_t:s0:c1,c2",
    "system_u:system_r:container_t\n",
    "system_u:system_r",
    "system_u:system_r::s0",
    "container_t",
  };
  static const char *const allowed[] = {
    "system_u:system_r:container_t:s0:c1,c2",
    "system_u:system_r:container_init_t:s0:c5,c6",
    "system_u:system_r:svirt_lxc_net_t:s0",
    "system_u:system_r:container_t",
  };
  const tu_host_t nofile[] = { hosts[0], hosts[1] };
  for (size_t h = 0; h < ARRAY_SIZE (nofile); h++)
    for (int host = 0; host < 2; host++)
      {
        for (size_t i = 0; i < ARRAY_SIZE (refused); i++)
          ck_assert_msg (judge (NULL, "selinuxLabel", refused[i], nofile[h], host) == REJ,
                         "%s on host %zu/%d", refused[i], h, host);
        for (size_t i = 0; i < ARRAY_SIZE (allowed); i++)
          ck_assert_msg (judge (NULL, "selinuxLabel", allowed[i], nofile[h], host)
                             == OCIGATE_ACTION_OFF,
                         "%s on host %zu/%d", allowed[i], h, host);
      }
  /* A host with lxc_contexts but no host checks (offline): built-in too. */
  ck_assert (judge (NULL, "selinuxLabel", "system_u:system_r:svirt_lxc_net_t:s0", hosts[2], false)
             == OCIGATE_ACTION_OFF);
  ck_assert (judge (NULL, "selinuxLabel", "system_u:system_r:container_kvm_t:s0", hosts[2], false)
             == REJ);
}
END_TEST

START_TEST (test_selinux_host_types)
{
  /* With the host's lxc_contexts: its process types, and nothing else
   * (not its file types, not types it does not name). */
  tu_host_t h = hosts[2];
  static const struct
  {
    const char *label;
    bool ok;
  } cases[] = {
    { "system_u:system_r:container_t:s0:c1,c2", true },
    { "system_u:system_r:container_init_t:s0:c1,c2", true },
    { "system_u:system_r:container_kvm_t:s0:c1,c2", true },
    { "system_u:object_r:container_file_t:s0", false },
    { "system_u:object_r:virt_var_lib_t:s0", false },
    { "system_u:system_r:svirt_lxc_net_t:s0", false },
    { "system_u:system_r:spc_t:s0", false },
    { "system_u:system_r:container_runtime_t:s0", false },
    { "system_u:system_r:unconfined_service_t:s0", false },
    { "system_u:system_r:kernel_t:s0", false },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    ck_assert_msg (judge (NULL, "selinuxLabel", cases[i].label, h, true)
                       == (cases[i].ok ? OCIGATE_ACTION_OFF : REJ),
                   "%s", cases[i].label);
  /* The policy's type and list add to them. */
  ocigate_policy_t *pol
      = tu_policy ("{\"selinux\":{\"type\":\"site_container_t\",\"allowed\":[\"batch_t\"]}}");
  ck_assert (judge (pol, "selinuxLabel", "u:r:site_container_t:s0", h, true) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "selinuxLabel", "u:r:batch_t:s0", h, true) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "selinuxLabel", "u:r:batch_t:s0", hosts[0], false) == OCIGATE_ACTION_OFF);
  ck_assert (judge (pol, "selinuxLabel", "u:r:spc_t:s0", h, true) == REJ);
  ocigate_policy_free (pol);

  /* The parser: process and *_process keys, quoted or not. */
  ocigate_strlist_t t = { 0 };
  ocigate_selinux_container_types (lxc_fedora, &t);
  ocigate_selinux_container_types ("  process=u:r:a_t:s0\n# x_process = \"u:r:b_t\"\n"
                                   "processes = \"u:r:c_t:s0\"\nfoo_process = \"bad\"\n",
                                   &t);
  ck_assert_uint_eq (t.n, 4);
  ck_assert_str_eq (t.v[0], "container_t");
  ck_assert_str_eq (t.v[1], "container_kvm_t");
  ck_assert_str_eq (t.v[2], "container_init_t");
  ck_assert_str_eq (t.v[3], "a_t");
  for (size_t i = 0; i < t.n; i++)
    free (t.v[i]);
  free (t.v);
}
END_TEST

/* ---- exec ---- */

/* Judge an exec process asking for field=value, in a container whose own
 * process has own (NULL: none).  Returns the finding's action (OFF: none). */
static ocigate_action_t
judge_exec (const char *field, const char *value, const char *own, tu_host_t h)
{
  ocigate_doc_t *c = tu_base ();
  char *path = xasprintf ("process/%s", field);
  if (own)
    {
      char *v = xasprintf ("\"%s\"", own);
      tu_set (c, path, v);
      free (v);
    }
  char *jv = jstr (value);
  char *pj = xasprintf ("{\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"id\"],\"cwd\":\"/\","
                        "\"noNewPrivileges\":true,\"capabilities\":{\"bounding\":[]},"
                        "\"%s\":%s}",
                        field, jv);
  free (jv);
  ocigate_error_t err = NULL;
  ocigate_doc_t *p = ocigate_process_parse (pj, strlen (pj), tu_default_policy (), "p", &err);
  ck_assert_msg (p != NULL, "%s: %s", pj, err ? err->msg : "?");
  ocigate_eval_opts_t o
      = { .name = "p", .bundle = "/tmp/b", .host_checks = true, .host = tu_host (h) };
  ocigate_result_t res;
  ck_assert (ocigate_evaluate_process (tu_default_policy (), p, c, &o, &res, &err) == 0);
  const char *rule = strcmp (field, "apparmorProfile") == 0 ? "apparmor" : "selinux";
  ocigate_action_t a = OCIGATE_ACTION_OFF;
  for (size_t i = 0; i < res.n; i++)
    if (strcmp (ocigate_rule_info (res.f[i].rule)->id, rule) == 0)
      a = res.f[i].action;
  ocigate_result_free (&res);
  ocigate_doc_free (p);
  ocigate_doc_free (c);
  free (pj);
  free (path);
  return a;
}

START_TEST (test_exec_labels)
{
  for (size_t h = 0; h < ARRAY_SIZE (hosts); h++)
    {
      /* What create refuses, exec refuses. */
      ck_assert (judge_exec ("apparmorProfile", "unconfined ", "ocigate-default", hosts[h]) == REJ);
      ck_assert (judge_exec ("apparmorProfile", "other", NULL, hosts[h]) == REJ);
      ck_assert (judge_exec ("selinuxLabel", "system_u:system_r:spc_t:s0",
                             "system_u:system_r:container_t:s0:c1,c2", hosts[h])
                 == REJ);
      ck_assert (
          judge_exec ("selinuxLabel", "system_u:system_r:container_runtime_t:s0", NULL, hosts[h])
          == REJ);
      /* An allowed label other than the container's is dropped. */
      ck_assert (judge_exec ("apparmorProfile", "docker-default", "ocigate-default", hosts[h])
                 == RW);
      ck_assert (judge_exec ("selinuxLabel", "system_u:system_r:container_t:s0:c3,c4",
                             "system_u:system_r:container_t:s0:c1,c2", hosts[h])
                 == RW);
      /* The container's own label passes, whatever the list says. */
      ck_assert (judge_exec ("apparmorProfile", "ocigate-default", "ocigate-default", hosts[h])
                 == OCIGATE_ACTION_OFF);
      ck_assert (judge_exec ("selinuxLabel", "system_u:system_r:container_t:s0:c1,c2",
                             "system_u:system_r:container_t:s0:c1,c2", hosts[h])
                 == OCIGATE_ACTION_OFF);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("lsm");
  TCase *tc = tcase_create ("lsm");
  tcase_add_test (tc, test_apparmor_unconfined_spellings);
  tcase_add_test (tc, test_apparmor_allowlist);
  tcase_add_test (tc, test_selinux_builtin);
  tcase_add_test (tc, test_selinux_host_types);
  tcase_add_test (tc, test_exec_labels);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
