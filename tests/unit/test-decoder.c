/* SPDX-License-Identifier: Apache-2.0 */
/* Decoder equivalence: a key runc's Go decoder would bind to a spec field
 * without being spelled as that field is a parse error, at every depth of
 * config.json and of an exec --process file; keys that bind to nothing,
 * and the free keys of maps, stay allowed. */
#include "config.h"

#include <string.h>

#include "spec-internal.h"
#include "testutil.h"

/* U+212A KELVIN SIGN and U+017F LATIN SMALL LETTER LONG S in UTF-8. */
#define KELVIN "\xe2\x84\xaa"
#define LONG_S "\xc5\xbf"

static char *
parse_msg (bool process, const char *json)
{
  ocigate_error_t err = NULL;
  ocigate_doc_t *d
      = process ? ocigate_process_parse (json, strlen (json), tu_default_policy (), "p.json", &err)
                : ocigate_config_parse (json, strlen (json), tu_default_policy (), "c.json", &err);
  if (d)
    {
      ocigate_doc_free (d);
      return NULL;
    }
  char *m = xstrdup (err->msg);
  ocigate_error_free (&err);
  return m;
}

/* The document must fail naming the key's pointer and the field. */
static void
assert_binds (bool process, const char *json, const char *pointer, const char *field)
{
  char *m = parse_msg (process, json);
  ck_assert_msg (m != NULL, "expected a parse error for %s", json);
  cleanup_free char *want = xasprintf (
      ": %s: key binds to \"%s\" as runc decodes it; spell it exactly", pointer, field);
  ck_assert_msg (strstr (m, want) != NULL, "error \"%s\" lacks \"%s\"", m, want);
  ck_assert_msg (strstr (m, process ? "`p.json`: line " : "`c.json`: line ") != NULL,
                 "error \"%s\" lacks the file and line", m);
  ck_assert_msg (strchr (m, '\n') == NULL, "error \"%s\" is not one line", m);
  free (m);
}

static void
assert_parses (bool process, const char *json)
{
  char *m = parse_msg (process, json);
  ck_assert_msg (m == NULL, "expected %s to parse, got \"%s\"", json, m ? m : "");
}

#define CFG(body) "{\"ociVersion\":\"1.0.2\"," body "}"
#define USER "\"user\":{\"uid\":1000,\"gid\":1000}"

/* The review's attack: a vetted field, then a case variant runc takes. */
START_TEST (test_config_case_variants)
{
  assert_binds (false, CFG ("\"process\":{" USER ",\"User\":{\"uid\":0,\"gid\":0}}"),
                "/process/User", "user");
  assert_binds (false, CFG ("\"process\":{" USER ",\"USER\":{\"uid\":0,\"gid\":0}}"),
                "/process/USER", "user");
  assert_binds (false, CFG ("\"process\":{\"Capabilities\":{}}"), "/process/Capabilities",
                "capabilities");
  assert_binds (false, CFG ("\"process\":{\"noNewPrivileges\":true,\"NoNewPrivileges\":false}"),
                "/process/NoNewPrivileges", "noNewPrivileges");
  assert_binds (false, CFG ("\"process\":{\"user\":{\"uid\":1000,\"gid\":1000,\"UID\":0}}"),
                "/process/user/UID", "uid");
  assert_binds (false,
                CFG ("\"process\":{\"capabilities\":{\"bounding\":[],\"Bounding\":"
                     "[\"CAP_SYS_ADMIN\"]}}"),
                "/process/capabilities/Bounding", "bounding");
  assert_binds (false, CFG ("\"process\":{\"rlimits\":[{\"Type\":\"RLIMIT_NOFILE\"}]}"),
                "/process/rlimits/0/Type", "type");
  assert_binds (false, CFG ("\"process\":{\"ApparmorProfile\":\"unconfined\"}"),
                "/process/ApparmorProfile", "apparmorProfile");
  assert_binds (false, CFG ("\"root\":{\"path\":\"rootfs\",\"readonly\":true,\"Readonly\":false}"),
                "/root/Readonly", "readonly");
  assert_binds (false, CFG ("\"root\":{\"path\":\"rootfs\",\"readOnly\":false}"), "/root/readOnly",
                "readonly");
  assert_binds (false, CFG ("\"Mounts\":[{\"destination\":\"/h\",\"source\":\"/\"}]"), "/Mounts",
                "mounts");
  assert_binds (false,
                CFG ("\"mounts\":[{\"destination\":\"/h\",\"source\":\"/tmp\",\"Source\":\"/\"}]"),
                "/mounts/0/Source", "source");
  assert_binds (false,
                CFG ("\"mounts\":[{\"destination\":\"/h\",\"type\":\"bind\",\"OPTIONS\":[\"rw\"]}"
                     "]"),
                "/mounts/0/OPTIONS", "options");
  assert_binds (false, CFG ("\"Hooks\":{\"prestart\":[{\"path\":\"/bin/sh\"}]}"), "/Hooks",
                "hooks");
  assert_binds (false, CFG ("\"hooks\":{\"CreateRuntime\":[{\"path\":\"/bin/sh\"}]}"),
                "/hooks/CreateRuntime", "createRuntime");
  assert_binds (false, CFG ("\"hooks\":{\"poststop\":[{\"path\":\"/bin/true\",\"PATH\":\"/x\"}]}"),
                "/hooks/poststop/0/PATH", "path");
  assert_binds (false, CFG ("\"Linux\":{}"), "/Linux", "linux");
  assert_binds (false, CFG ("\"Annotations\":{}"), "/Annotations", "annotations");
  assert_binds (false, CFG ("\"linux\":{\"Seccomp\":null}"), "/linux/Seccomp", "seccomp");
  assert_binds (false, CFG ("\"linux\":{\"seccomp\":{\"DefaultAction\":\"SCMP_ACT_ALLOW\"}}"),
                "/linux/seccomp/DefaultAction", "defaultAction");
  assert_binds (false,
                CFG ("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
                     "[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"Action\":"
                     "\"SCMP_ACT_ALLOW\"}]}}"),
                "/linux/seccomp/syscalls/0/Action", "action");
  assert_binds (false,
                CFG ("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
                     "[{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":"
                     "0,\"value\":1,\"op\":\"SCMP_CMP_EQ\",\"ValueTwo\":0}]}]}}"),
                "/linux/seccomp/syscalls/0/args/0/ValueTwo", "valueTwo");
  assert_binds (false, CFG ("\"linux\":{\"MaskedPaths\":[]}"), "/linux/MaskedPaths", "maskedPaths");
  assert_binds (false, CFG ("\"linux\":{\"Sysctl\":{}}"), "/linux/Sysctl", "sysctl");
  assert_binds (false, CFG ("\"linux\":{\"Namespaces\":[]}"), "/linux/Namespaces", "namespaces");
  assert_binds (false,
                CFG ("\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"Path\":\"/proc/1/ns/pid\"}]}"),
                "/linux/namespaces/0/Path", "path");
  assert_binds (false,
                CFG ("\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostId\":0,\"size\":1}]}"),
                "/linux/uidMappings/0/hostId", "hostID");
  assert_binds (false, CFG ("\"linux\":{\"resources\":{\"Devices\":[]}}"),
                "/linux/resources/Devices", "devices");
  assert_binds (false,
                CFG ("\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"ALLOW\":true,"
                     "\"access\":\"rwm\"}]}}"),
                "/linux/resources/devices/0/ALLOW", "allow");
  assert_binds (false, CFG ("\"linux\":{\"Devices\":[]}"), "/linux/Devices", "devices");
  assert_binds (false, CFG ("\"linux\":{\"RootfsPropagation\":\"shared\"}"),
                "/linux/RootfsPropagation", "rootfsPropagation");
  assert_binds (false, CFG ("\"linux\":{\"netdevices\":{}}"), "/linux/netdevices", "netDevices");
}
END_TEST

/* Fields the gate does not type are checked all the same, at every depth
 * of the spec: embedded structs, maps of structs, platform objects. */
START_TEST (test_config_untyped_depths)
{
  assert_binds (false, CFG ("\"linux\":{\"resources\":{\"memory\":{\"Limit\":1}}}"),
                "/linux/resources/memory/Limit", "limit");
  assert_binds (false,
                CFG ("\"linux\":{\"resources\":{\"blockIO\":{\"weightDevice\":[{\"Major\":8,"
                     "\"minor\":0}]}}}"),
                "/linux/resources/blockIO/weightDevice/0/Major", "major");
  assert_binds (false,
                CFG ("\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":"
                     "8,\"minor\":0,\"RATE\":1}]}}}"),
                "/linux/resources/blockIO/throttleReadBpsDevice/0/RATE", "rate");
  assert_binds (false, CFG ("\"linux\":{\"resources\":{\"rdma\":{\"mlx5_0\":{\"HcaHandles\":1}}}}"),
                "/linux/resources/rdma/mlx5_0/HcaHandles", "hcaHandles");
  assert_binds (false,
                CFG ("\"linux\":{\"resources\":{\"network\":{\"priorities\":[{\"name\":\"eth0\","
                     "\"Priority\":1}]}}}"),
                "/linux/resources/network/priorities/0/Priority", "priority");
  assert_binds (false, CFG ("\"linux\":{\"resources\":{\"Pids\":{\"limit\":1}}}"),
                "/linux/resources/Pids", "pids");
  assert_binds (false,
                CFG ("\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pagesize\":\"2MB\"}]}}"),
                "/linux/resources/hugepageLimits/0/pagesize", "pageSize");
  assert_binds (false, CFG ("\"linux\":{\"netDevices\":{\"eth0\":{\"Name\":\"x\"}}}"),
                "/linux/netDevices/eth0/Name", "name");
  assert_binds (false, CFG ("\"linux\":{\"intelRdt\":{\"closId\":\"x\"}}"),
                "/linux/intelRdt/closId", "closID");
  assert_binds (false, CFG ("\"linux\":{\"personality\":{\"Domain\":\"LINUX\"}}"),
                "/linux/personality/Domain", "domain");
  assert_binds (false, CFG ("\"process\":{\"consoleSize\":{\"Height\":1}}"),
                "/process/consoleSize/Height", "height");
  assert_binds (false, CFG ("\"process\":{\"Scheduler\":{\"policy\":\"SCHED_FIFO\"}}"),
                "/process/Scheduler", "scheduler");
  assert_binds (false, CFG ("\"Windows\":{}"), "/Windows", "windows");
  assert_binds (false, CFG ("\"vm\":{\"Kernel\":{\"path\":\"/k\"}}"), "/vm/Kernel", "kernel");
}
END_TEST

/* Go folds U+212A to k and U+017F to s, in any field containing them. */
START_TEST (test_config_unicode_folds)
{
  assert_binds (false, CFG ("\"process\":{\"u" LONG_S "er\":{\"uid\":0,\"gid\":0}}"),
                "/process/u" LONG_S "er", "user");
  assert_binds (false, CFG ("\"linux\":{\"ma" LONG_S KELVIN "edPaths\":[]}"),
                "/linux/ma" LONG_S KELVIN "edPaths", "maskedPaths");
  assert_binds (false, CFG ("\"linux\":{\"" LONG_S "eccomp\":null}"), "/linux/" LONG_S "eccomp",
                "seccomp");
  assert_binds (false, CFG ("\"linux\":{\"resources\":{\"memory\":{\"" KELVIN "ernel\":1}}}"),
                "/linux/resources/memory/" KELVIN "ernel", "kernel");
  assert_binds (false, CFG ("\"hoo" KELVIN LONG_S "\":{}"), "/hoo" KELVIN LONG_S, "hooks");
  assert_binds (false, CFG ("\"mount" LONG_S "\":[]"), "/mount" LONG_S, "mounts");
  assert_binds (false, CFG ("\"process\":{\"capabilitie" LONG_S "\":{}}"),
                "/process/capabilitie" LONG_S, "capabilities");
  assert_binds (false,
                CFG ("\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"" LONG_S "\":1}],"
                     "\"readonlyPath" LONG_S "\":[]}"),
                "/linux/readonlyPath" LONG_S, "readonlyPaths");
}
END_TEST

/* What Go binds to nothing stays allowed and carried through. */
START_TEST (test_config_near_misses)
{
  assert_parses (false, tu_base_json ());
  assert_parses (false, CFG ("\"process\":{" USER ",\"users\":{\"uid\":0},\"x-user\":0}"));
  assert_parses (false, CFG ("\"process\":{" USER ",\"user_\":{},\"us er\":{},\"User2\":0}"));
  /* Fold only k and s: a dotless i or a Kelvin sign where no k is. */
  assert_parses (false, CFG ("\"process\":{" USER ",\"\xc4\xb1\x64\":0,\"" KELVIN "wd\":\"/\"}"));
  assert_parses (false, CFG ("\"process\":{" USER ",\"u" KELVIN "er\":{}}"));
  assert_parses (false, CFG ("\"root\":{\"path\":\"r\",\"readonlyx\":false,\"read_only\":false}"));
  /* Map keys are exact in Go: free to look like fields. */
  assert_parses (false, CFG ("\"annotations\":{\"User\":\"x\",\"Process\":\"y\",\"ociversion\":"
                             "\"z\",\"u" LONG_S "er\":\"w\"}"));
  assert_parses (false, CFG ("\"linux\":{\"sysctl\":{\"Net.ipv4.ping_group_range\":\"0 0\","
                             "\"Seccomp\":\"1\"}}"));
  assert_parses (false, CFG ("\"linux\":{\"resources\":{\"unified\":{\"Memory.max\":\"1\"},"
                             "\"rdma\":{\"HcaHandles\":{\"hcaHandles\":1}}}}"));
  assert_parses (false, CFG ("\"linux\":{\"netDevices\":{\"Name\":{\"name\":\"eth1\"}}}"));
  /* Inside objects the spec does not define, nothing binds. */
  assert_parses (false, CFG ("\"x-ext\":{\"User\":{\"uid\":0},\"Process\":{}}"));
  assert_parses (false, CFG ("\"process\":{" USER ",\"x\":{\"User\":0}}"));
  /* Exact keys at depth. */
  assert_parses (false, CFG ("\"linux\":{\"resources\":{\"blockIO\":{\"weightDevice\":[{\"major\":"
                             "8,\"minor\":0,\"weight\":10,\"leafWeight\":10}]}}}"));
}
END_TEST

/* The message points at the key itself. */
START_TEST (test_position)
{
  char *m = parse_msg (false, "{\n  \"ociVersion\": \"1\",\n  \"process\": {\n    \"cwd\": \"/\",\n"
                              "    \"Cwd\": \"/proc/self/fd/3\"\n  }\n}\n");
  ck_assert_ptr_nonnull (m);
  ck_assert_msg (strstr (m, "`c.json`: line 5, column 5: /process/Cwd: key binds to \"cwd\"")
                     != NULL,
                 "%s", m);
  free (m);
}
END_TEST

START_TEST (test_process_file)
{
  assert_binds (true, "{" USER ",\"User\":{\"uid\":0,\"gid\":0}}", "/User", "user");
  assert_binds (true, "{\"u" LONG_S "er\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"}", "/u" LONG_S "er",
                "user");
  assert_binds (true, "{" USER ",\"cwd\":\"/\",\"capabilities\":{\"Ambient\":[]}}",
                "/capabilities/Ambient", "ambient");
  assert_binds (true, "{" USER ",\"cwd\":\"/\",\"capabilitie" LONG_S "\":{}}",
                "/capabilitie" LONG_S, "capabilities");
  assert_binds (true, "{" USER ",\"cwd\":\"/\",\"noNewPrivileges\":true,\"NONEWPRIVILEGES\":false}",
                "/NONEWPRIVILEGES", "noNewPrivileges");
  assert_binds (true, "{" USER ",\"cwd\":\"/\",\"SelinuxLabel\":\"x\"}", "/SelinuxLabel",
                "selinuxLabel");
  assert_binds (true, "{" USER ",\"cwd\":\"/\",\"arg" LONG_S "\":[\"sh\"]}", "/arg" LONG_S, "args");
  assert_binds (true, "{\"user\":{\"uid\":1,\"gid\":1,\"additionalGIDs\":[0]},\"cwd\":\"/\"}",
                "/user/additionalGIDs", "additionalGids");
  assert_parses (true, "{" USER ",\"cwd\":\"/\",\"args\":[\"sh\"],\"users\":0,\"x-user\":{}}");
  assert_parses (true, "{" USER ",\"cwd\":\"/\",\"env\":[\"User=x\"]}");
}
END_TEST

/* Text Go reads as U+FFFD is refused: a value or key ocigate judges must
 * be the one runc uses. */
START_TEST (test_ill_formed_text)
{
  static const char *const bad[] = {
    "\"a\\ud800b\"",        /* unpaired high surrogate escape: yajl makes it '?' */
    "\"x\\udc00\"",         /* unpaired low surrogate escape */
    "\"\\ud800\\u0041\"",   /* high surrogate followed by no low one */
    "\"/etc\xc0\xaf\"",     /* overlong '/' */
    "\"\xed\xa0\x80\"",     /* an encoded surrogate */
    "\"\xf4\x90\x80\x80\"", /* past U+10FFFF */
  };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_free char *v = xasprintf (CFG ("\"hostname\":%s"), bad[i]);
      cleanup_free char *k = xasprintf (CFG ("\"annotations\":{%s:\"1\"}"), bad[i]);
      char *m = parse_msg (false, v);
      ck_assert_msg (m && strstr (m, "`c.json`: line 1, column ")
                         && strstr (m, "not well-formed Unicode"),
                     "%s: %s", bad[i], m ? m : "parsed");
      free (m);
      m = parse_msg (false, k);
      ck_assert_msg (m && strstr (m, "not well-formed Unicode"), "key %s: %s", bad[i],
                     m ? m : "parsed");
      free (m);
    }
  assert_parses (false, CFG ("\"hostname\":\"\\ud83d\\ude00 \\\\ud800 \\u212a \xe2\x84\xaa\""));
  assert_parses (true, "{" USER ",\"cwd\":\"/\",\"args\":[\"\\u0041\\\"\\\\\"]}");
  char *m = parse_msg (true, "{" USER ",\"cwd\":\"/\",\"args\":[\"\\udfff\"]}");
  ck_assert_msg (m && strstr (m, "not well-formed Unicode"), "%s", m ? m : "parsed");
  free (m);
}
END_TEST

/* The table is sorted the way the lookup searches it, and every field is
 * found by its name and by a case variant of it. */
START_TEST (test_table)
{
  ck_assert_str_eq (ocigate_spec_objects[OCIGATE_SPEC_CONFIG].name, "Spec");
  ck_assert_str_eq (ocigate_spec_objects[OCIGATE_SPEC_PROCESS].name, "Process");
  for (size_t o = 0; o < ocigate_spec_nobjects; o++)
    {
      const struct ocigate_spec_object *obj = &ocigate_spec_objects[o];
      for (unsigned i = 0; i < obj->n; i++)
        {
          const struct ocigate_spec_field *f = &obj->f[i];
          bool exact = false;
          ck_assert_uint_eq (strlen (f->name), f->len);
          ck_assert_ptr_eq (ocigate_spec_bind ((int)o, f->name, f->len, &exact), f);
          ck_assert (exact);
          char up[80];
          for (size_t j = 0; j <= f->len; j++)
            up[j] = (char)(f->name[j] >= 'a' && f->name[j] <= 'z' ? f->name[j] - 32 : f->name[j]);
          ck_assert_ptr_eq (ocigate_spec_bind ((int)o, up, f->len, &exact), f);
          ck_assert (!exact || strcmp (up, f->name) == 0);
          ck_assert (f->child < (short)ocigate_spec_nobjects);
        }
    }
}
END_TEST

/* One lookup per key: a config of many keys in spec objects is checked in
 * one pass (a quadratic check would take minutes here). */
START_TEST (test_many_keys)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"ociVersion\":\"1\",\"process\":{" USER);
  for (int i = 0; i < 200000; i++)
    strbuf_printf (&b, ",\"userx%d\":%d", i, i);
  strbuf_puts (&b, "},\"mounts\":[");
  for (int i = 0; i < 50000; i++)
    strbuf_printf (&b, "%s{\"destination\":\"/m%d\",\"Sourcex\":\"/tmp\"}", i ? "," : "", i);
  strbuf_puts (&b, "]}");
  assert_parses (false, b.s);
  free (b.s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("decoder");
  TCase *tc = tcase_create ("decoder");
  tcase_add_test (tc, test_config_case_variants);
  tcase_add_test (tc, test_config_untyped_depths);
  tcase_add_test (tc, test_config_unicode_folds);
  tcase_add_test (tc, test_config_near_misses);
  tcase_add_test (tc, test_position);
  tcase_add_test (tc, test_process_file);
  tcase_add_test (tc, test_ill_formed_text);
  tcase_add_test (tc, test_table);
  tcase_add_test (tc, test_many_keys);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
