/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

const char *const tu_dangerous[] = {
  "mount",
  "umount2",
  "unshare",
  "setns",
  "pivot_root",
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "open_by_handle_at",
  "userfaultfd",
  "perf_event_open",
  "reboot",
  "swapon",
  "swapoff",
  "acct",
  "quotactl",
  "iopl",
  "ioperm",
  "lookup_dcookie",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
};
const size_t tu_n_dangerous = sizeof (tu_dangerous) / sizeof (tu_dangerous[0]);

/* Made once, whichever thread of a test asks first. */
static ocigate_policy_t *default_policy;
static pthread_once_t default_policy_once = PTHREAD_ONCE_INIT;

static void
default_policy_init (void)
{
  ocigate_error_t err = NULL;
  default_policy = ocigate_policy_load (NULL, &err);
  ck_assert_msg (default_policy != NULL, "default policy: %s", err ? err->msg : "?");
}

ocigate_policy_t *
tu_default_policy (void)
{
  pthread_once (&default_policy_once, default_policy_init);
  return default_policy;
}

ocigate_policy_t *
tu_policy (const char *json)
{
  ocigate_error_t err = NULL;
  ocigate_policy_t *p = ocigate_policy_parse (json, strlen (json), "test-policy.json", &err);
  ck_assert_msg (p != NULL, "policy: %s", err ? err->msg : "?");
  return p;
}

static char *base;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static void base_init (void);

const char *
tu_base_json (void)
{
  pthread_once (&base_once, base_init);
  return base;
}

static void
base_init (void)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b,
               "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":false,"
               "\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"sh\"],"
               "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\","
               "\"capabilities\":{\"bounding\":[],\"effective\":[],\"permitted\":[]},"
               "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
               "\"noNewPrivileges\":true},"
               "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"t\","
               "\"mounts\":["
               "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
               "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
               "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
               "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
               "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\"]},"
               "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
               "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
               "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
               "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
               "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
               "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
               "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
               "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
               "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
               "\"pids\":{\"limit\":4096},\"memory\":{\"limit\":268435456}},"
               "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
               "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
               "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
               "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
               "\"/proc/sched_debug\",\"/proc/scsi\",\"/sys/firmware\","
               "\"/sys/devices/virtual/powercap\"],"
               "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
               "\"/proc/sysrq-trigger\"],\"seccomp\":");
  strbuf_puts (&b, ocigate_default_seccomp_json);
  strbuf_puts (&b, "}}");
  base = strbuf_steal (&b);
}

ocigate_doc_t *
tu_parse (const char *json)
{
  ocigate_error_t err = NULL;
  ocigate_doc_t *d
      = ocigate_config_parse (json, strlen (json), tu_default_policy (), "test.json", &err);
  ck_assert_msg (d != NULL, "parse: %s", err ? err->msg : "?");
  return d;
}

ocigate_doc_t *
tu_base (void)
{
  return tu_parse (tu_base_json ());
}

static ocigate_json_t *
value (ocigate_doc_t *doc, const char *json)
{
  ocigate_error_t err = NULL;
  ocigate_json_parse_opts_t o = { .name = "value" };
  ocigate_doc_t *v = ocigate_json_parse (json, strlen (json), &o, &err);
  ck_assert_msg (v != NULL, "value %s: %s", json, err ? err->msg : "?");
  ocigate_json_t *c = oj_copy (doc, ocigate_doc_root (v));
  ocigate_doc_free (v);
  return c;
}

/* Walk to the parent of the last component, creating objects. */
static ocigate_json_t *
walk_parent (ocigate_doc_t *doc, const char *path, char *last, size_t lastlen)
{
  ocigate_json_t *n = ocigate_doc_root (doc);
  const char *p = path;
  for (;;)
    {
      const char *s = strchr (p, '/');
      size_t l = s ? (size_t)(s - p) : strlen (p);
      char key[128];
      ck_assert (l < sizeof (key) && l < lastlen);
      memcpy (key, p, l);
      key[l] = '\0';
      if (s == NULL)
        {
          strcpy (last, key);
          return n;
        }
      if (n->type == OJ_ARRAY)
        n = oj_at (n, (size_t)atoi (key));
      else
        {
          /* Step into an existing object or array; create only what is absent. */
          ocigate_json_t *c = oj_get (n, key);
          n = c && (c->type == OJ_OBJECT || c->type == OJ_ARRAY) ? c
                                                                 : oj_ensure_object (doc, n, key);
        }
      ck_assert_msg (n != NULL, "path %s", path);
      p = s + 1;
    }
}

void
tu_set (ocigate_doc_t *doc, const char *path, const char *json)
{
  char last[128];
  ocigate_json_t *parent = walk_parent (doc, path, last, sizeof (last));
  ocigate_json_t *v = value (doc, json);
  if (parent->type == OJ_ARRAY)
    {
      size_t i = (size_t)atoi (last);
      ck_assert (i < parent->u.arr.n);
      parent->u.arr.v[i] = v;
    }
  else
    oj_set (doc, parent, last, v);
}

void
tu_del (ocigate_doc_t *doc, const char *path)
{
  char last[128];
  ocigate_json_t *parent = walk_parent (doc, path, last, sizeof (last));
  if (parent->type == OJ_ARRAY)
    oj_remove_at (parent, (size_t)atoi (last));
  else
    oj_remove (parent, last);
}

void
tu_append (ocigate_doc_t *doc, const char *path, const char *json)
{
  char last[128];
  ocigate_json_t *parent = walk_parent (doc, path, last, sizeof (last));
  ocigate_json_t *arr = parent->type == OJ_ARRAY ? oj_at (parent, (size_t)atoi (last))
                                                 : oj_ensure_array (doc, parent, last);
  oj_append (doc, arr, value (doc, json));
}

static tu_host_t cur_host;
static bool
h_aa (void)
{
  return cur_host.apparmor;
}
static int
h_aa_loaded (const char *p)
{
  (void)p;
  return cur_host.apparmor_loaded;
}
static bool
h_se (void)
{
  return cur_host.selinux;
}
static int
h_se_labels (const char *type, char **p, char **m, ocigate_error_t *err)
{
  (void)err;
  *p = xasprintf ("system_u:system_r:%s:s0:c1,c2", type ? type : "container_t");
  *m = xstrdup ("system_u:object_r:container_file_t:s0:c1,c2");
  return 0;
}
static int
h_se_check (const char *c)
{
  (void)c;
  return 0;
}

static int
h_se_lxc (char **text)
{
  *text = cur_host.lxc_contexts ? xstrdup (cur_host.lxc_contexts) : NULL;
  return cur_host.lxc_contexts ? 0 : -1;
}

static const ocigate_host_ops_t fake_host
    = { h_aa, h_aa_loaded, h_se, h_se_labels, h_se_check, h_se_lxc };

const ocigate_host_ops_t *
tu_host (tu_host_t h)
{
  cur_host = h;
  return &fake_host;
}

void
tu_eval (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
         ocigate_result_t *res)
{
  ocigate_error_t err = NULL;
  int r = ocigate_evaluate (pol ? pol : tu_default_policy (), doc, opts, res, &err);
  ck_assert_msg (r == 0, "evaluate: %s", err ? err->msg : "?");
}

void
tu_rewrite (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
            ocigate_result_t *res)
{
  ocigate_error_t err = NULL;
  tu_eval (pol, doc, opts, res);
  int r = ocigate_apply (pol ? pol : tu_default_policy (), doc, opts, res, &err);
  ck_assert_msg (r == 0, "apply: %s", err ? err->msg : "?");
}

size_t
tu_count (const ocigate_result_t *res, const char *rule)
{
  size_t n = 0;
  for (size_t i = 0; i < res->n; i++)
    if (strcmp (ocigate_rule_info (res->f[i].rule)->id, rule) == 0)
      n++;
  return n;
}

bool
tu_has (const ocigate_result_t *res, const char *rule, ocigate_action_t action, const char *pointer)
{
  for (size_t i = 0; i < res->n; i++)
    if (strcmp (ocigate_rule_info (res->f[i].rule)->id, rule) == 0 && res->f[i].action == action
        && (pointer == NULL || strcmp (res->f[i].pointer, pointer) == 0))
      return true;
  return false;
}

char *
tu_dump (const ocigate_result_t *res)
{
  strbuf_t b = { 0 };
  for (size_t i = 0; i < res->n; i++)
    strbuf_printf (&b, "  %s %s %s: %s\n", ocigate_rule_info (res->f[i].rule)->id,
                   ocigate_action_name (res->f[i].action), res->f[i].pointer, res->f[i].message);
  if (b.len == 0)
    strbuf_puts (&b, "  (none)\n");
  return strbuf_steal (&b);
}

char *
tu_json (const ocigate_json_t *n)
{
  ocigate_error_t err = NULL;
  char *out;
  size_t len;
  if (n == NULL)
    return xstrdup ("(absent)");
  ck_assert (ocigate_json_serialize (n, false, &out, &len, &err) == 0);
  return out;
}

char *
tu_json_at (ocigate_doc_t *doc, const char *path)
{
  return tu_json (oj_path (ocigate_doc_root (doc), path));
}

int
tu_run (Suite *s)
{
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}

char *
tu_message (ocigate_doc_t *doc, const ocigate_policy_t *pol, const ocigate_eval_opts_t *opts,
            const char *rule)
{
  ocigate_result_t res;
  tu_eval (pol, doc, opts, &res);
  char *m = NULL;
  ck_assert_uint_le (tu_count (&res, rule), 1);
  for (size_t i = 0; i < res.n; i++)
    if (res.f[i].rule == (ocigate_rule_id_t)ocigate_rule_lookup (rule))
      m = xstrdup (res.f[i].message);
  ocigate_result_free (&res);
  return m;
}
