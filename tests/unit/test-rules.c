/* SPDX-License-Identifier: Apache-2.0 */
/* The rule catalogue (spec section 4): for every rule the config that
 * trips it, a near miss that does not, and the rewrite checked field by
 * field.  Every case starts from tu_base(), which the restricted policy
 * accepts without a finding. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define WARN OCIGATE_ACTION_WARN

/* Index of the first mount tu_append adds to the base config. */
#define NEW_MOUNT "7"

/* ---- helpers ---- */

/* A fixed bundle keeps root-path independent of where the tests run. */
#define BUNDLE "/tmp/ocigate-bundle"

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = BUNDLE };

/* Host-specific checks against a host with neither AppArmor nor SELinux,
 * so nothing depends on the machine's LSMs. */
static ocigate_eval_opts_t
host_opts (void)
{
  ocigate_eval_opts_t o = { .name = "test.json", .bundle = BUNDLE, .host_checks = true };
  o.host = tu_host ((tu_host_t){ .apparmor = false, .apparmor_loaded = 0, .selinux = false });
  return o;
}

#define ck_assert_json(doc, path, want)                                                            \
  do                                                                                               \
    {                                                                                              \
      char *got_ = tu_json_at ((doc), (path));                                                     \
      ck_assert_msg (strcmp (got_, (want)) == 0, "%s: got %s, want %s", (path), got_, (want));     \
      free (got_);                                                                                 \
    }                                                                                              \
  while (0)

#define ck_assert_absent(doc, path)                                                                \
  ck_assert_msg (oj_path (ocigate_doc_root (doc), (path)) == NULL, "%s should be absent", (path))

#define ck_assert_findings(res, want)                                                              \
  do                                                                                               \
    {                                                                                              \
      if ((res)->n != (size_t)(want))                                                              \
        {                                                                                          \
          char *d_ = tu_dump (res);                                                                \
          ck_abort_msg ("expected %zu findings, got %zu:\n%s", (size_t)(want), (res)->n, d_);      \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Compact serialisation of a whole document. */
static char *
doc_text (ocigate_doc_t *d)
{
  return tu_json (ocigate_doc_root (d));
}

/* Judge a config (restricted default, lexical) and count one rule. */
static size_t
count_rule (ocigate_doc_t *d, const ocigate_policy_t *pol, const ocigate_eval_opts_t *o,
            const char *rule)
{
  ocigate_result_t res;
  tu_eval (pol, d, o ? o : &lexical, &res);
  size_t n = tu_count (&res, rule);
  ocigate_result_free (&res);
  return n;
}

/* The base config with one mount appended (index NEW_MOUNT). */
static ocigate_doc_t *
with_mount (const char *type, const char *source, const char *options)
{
  ocigate_doc_t *d = tu_base ();
  char *m = xasprintf ("{\"destination\":\"/mnt\",\"type\":\"%s\",\"source\":\"%s\","
                       "\"options\":%s}",
                       type, source, options ? options : "[\"rbind\",\"ro\"]");
  tu_append (d, "mounts", m);
  free (m);
  return d;
}

/* Does a bind mount of `source` trip host-mounts?  Checks the pointer and
 * that nothing else about the mount is reported twice. */
static bool
mount_rejected (const ocigate_policy_t *pol, const char *type, const char *source,
                const char *options, bool host)
{
  ocigate_doc_t *d = with_mount (type, source, options);
  ocigate_eval_opts_t o = host ? host_opts () : lexical;
  ocigate_result_t res;
  tu_eval (pol, d, &o, &res);
  bool r = tu_has (&res, "host-mounts", REJ, "/mounts/" NEW_MOUNT "/source");
  ck_assert_msg (tu_count (&res, "host-mounts") == (r ? 1u : 0u), "%s: %zu findings", source,
                 tu_count (&res, "host-mounts"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

/* A JSON array of the capability names 0..n-1 except those in skip[]. */
static char *
caps_json (int n, const int *skip, size_t nskip)
{
  strbuf_t b = { 0 };
  char buf[64];
  strbuf_puts (&b, "[");
  for (int c = 0; c < n; c++)
    {
      bool skipped = false;
      for (size_t i = 0; i < nskip; i++)
        skipped |= skip[i] == c;
      if (skipped)
        continue;
      strbuf_printf (&b, "%s\"%s\"", b.len > 1 ? "," : "", ocigate_cap_name (c, buf));
    }
  strbuf_puts (&b, "]");
  return strbuf_steal (&b);
}

/* ---- the base config ---- */

START_TEST (test_base_is_clean)
{
  /* Every near miss below relies on this. */
  static const char *const presets[]
      = { NULL, "{\"preset\":\"baseline\"}", "{\"preset\":\"privileged\"}" };
  for (size_t i = 0; i < ARRAY_SIZE (presets); i++)
    {
      ocigate_policy_t *pol = presets[i] ? tu_policy (presets[i]) : NULL;
      ocigate_doc_t *d = tu_base ();
      ocigate_result_t res;
      tu_eval (pol, d, &lexical, &res);
      ck_assert_findings (&res, 0);
      ck_assert (!res.reject);
      ocigate_result_free (&res);

      ocigate_eval_opts_t o = host_opts ();
      tu_rewrite (pol, d, &o, &res);
      ck_assert_findings (&res, 0);
      ck_assert (!res.changed);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
      ocigate_policy_free (pol);
    }
}
END_TEST

/* ---- root-user ---- */

START_TEST (test_root_user)
{
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ck_assert_uint_eq (tu_count (&res, "root-user"), 1);
  ck_assert (res.reject);
  ocigate_result_free (&res);

  /* A user namespace mapping container 0 to host 100000: not root. */
  tu_append (d, "linux/namespaces", "{\"type\":\"user\"}");
  tu_set (d, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);

  /* Mapping container 0 to host 0 is root again. */
  tu_set (d, "linux/uidMappings",
          "[{\"containerID\":0,\"hostID\":0,\"size\":1},"
          "{\"containerID\":1,\"hostID\":100000,\"size\":65535}]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&res);

  /* Container 1 maps to host 0, container 0 does not: not root-user, but
   * userns-host-root. */
  tu_set (d, "linux/uidMappings",
          "[{\"containerID\":1,\"hostID\":0,\"size\":1},"
          "{\"containerID\":0,\"hostID\":100000,\"size\":1}]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "root-user");
  ck_assert_finding (&res, "userns-host-root", REJ, "/linux/uidMappings/0");
  ocigate_result_free (&res);

  /* A user namespace joined by path, mappings unknown: fail closed. */
  tu_del (d, "linux/uidMappings");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&res);

  /* Near miss: a non-zero uid without any user namespace. */
  ocigate_doc_free (d);
  d = tu_base ();
  tu_set (d, "process/user/uid", "1");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "root-user"), 0);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_root_user_missing_user)
{
  /* runc reads an absent process.user as uid 0, gid 0. */
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "process/user");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ck_assert_finding (&res, "root-group", WARN, "/process/user/gid");
  ocigate_result_free (&res);

  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"root-user\":\"rewrite\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (res.changed);
  ck_assert_json (d, "process/user", "{\"uid\":65534,\"gid\":65534}");
  ocigate_result_free (&res);
  tu_eval (pol, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_root_user_rewrite)
{
  ocigate_result_t res;
  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"root-user\":\"rewrite\"}}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0,\"additionalGids\":[5],\"umask\":18}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", RW, "/process/user/uid");
  ck_assert (!res.reject && res.changed);
  /* uid and gid to 65534; the rest of the object untouched, in order. */
  ck_assert_json (d, "process/user",
                  "{\"uid\":65534,\"gid\":65534,\"additionalGids\":[5],"
                  "\"umask\":18}");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"root-user\"");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* A non-zero gid is kept. */
  d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_json (d, "process/user", "{\"uid\":65534,\"gid\":1000}");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* user.rewrite_uid / rewrite_gid are honoured. */
  pol = tu_policy ("{\"rules\":{\"root-user\":\"rewrite\"},"
                   "\"user\":{\"rewrite_uid\":4242,\"rewrite_gid\":4343}}");
  d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_set (d, "process/user/gid", "0");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_json (d, "process/user", "{\"uid\":4242,\"gid\":4343}");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

/* ---- root-group ---- */

START_TEST (test_root_group)
{
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/gid", "0");
  tu_set (d, "process/user/additionalGids", "[10,0,20]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-group", WARN, "/process/user/gid");
  ck_assert_finding (&res, "root-group", WARN, "/process/user/additionalGids/1");
  ck_assert_uint_eq (tu_count (&res, "root-group"), 2);
  ck_assert (!res.reject);
  ocigate_result_free (&res);

  /* gid 0 mapped to a host range is not the host's root group. */
  ocigate_doc_t *u = tu_base ();
  tu_set (u, "process/user/gid", "0");
  tu_append (u, "linux/namespaces", "{\"type\":\"user\"}");
  tu_set (u, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (u, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  ck_assert_uint_eq (count_rule (u, NULL, NULL, "root-group"), 0);
  ocigate_doc_free (u);

  /* Rewrite when asked: gid to 65534, 0 dropped from the supplementary list. */
  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"root-group\":\"rewrite\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (res.changed);
  ck_assert_json (d, "process/user", "{\"uid\":1000,\"gid\":65534,\"additionalGids\":[10,20]}");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"root-group\"");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* Near miss: gid 1000, supplementary 5. */
  d = tu_base ();
  tu_set (d, "process/user/additionalGids", "[5]");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "root-group"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* ---- privileged ---- */

START_TEST (test_privileged)
{
  int kernel = ocigate_cap_kernel_count ();
  ck_assert_int_gt (kernel, 30);
  static const int three[] = { 0, 1, 2 }, four[] = { 0, 1, 2, 3 };
  char *all_but_3 = caps_json (kernel, three, 3);
  char *all_but_4 = caps_json (kernel, four, 4);
  static const char *const every_device = "[{\"allow\":false,\"access\":\"rwm\"},"
                                          "{\"allow\":true,\"access\":\"rwm\"}]";
  ocigate_result_t res;

  /* Two pieces: the full capability set and every device. */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/capabilities/bounding", all_but_3);
  tu_set (d, "linux/resources/devices", every_device);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "privileged", REJ, "");
  ck_assert_uint_eq (tu_count (&res, "privileged"), 1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* All but four is not the full set: one piece left, no privileged. */
  d = tu_base ();
  tu_set (d, "process/capabilities/bounding", all_but_4);
  tu_set (d, "linux/resources/devices", every_device);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "privileged");
  ck_assert_finding (&res, "devices", REJ, "/linux/resources/devices/1");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* sysfs read-write and no masked or read-only paths. */
  d = tu_base ();
  tu_set (d, "mounts/5/options", "[\"nosuid\",\"noexec\",\"nodev\"]");
  tu_set (d, "linux/maskedPaths", "[]");
  tu_set (d, "linux/readonlyPaths", "[]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "privileged", REJ, "");
  ck_assert_finding (&res, "kernel-mounts", REJ, "/mounts/5");
  ck_assert_finding (&res, "masked-paths", RW, "/linux/maskedPaths");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* The cgroup mount read-write counts as the same piece. */
  d = tu_base ();
  tu_set (d, "mounts/6/options", "[\"nosuid\",\"noexec\",\"nodev\",\"relatime\"]");
  tu_set (d, "process/capabilities/permitted", all_but_3);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "privileged", REJ, "");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* Each piece alone: judged by its own rule only. */
  static const char *const alone[][2] = {
    { "process/capabilities/effective", NULL },
    { "linux/resources/devices", "[{\"allow\":true,\"access\":\"rwm\"}]" },
    { "mounts/5/options", "[\"nosuid\"]" },
    { "linux/maskedPaths", "[]" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (alone); i++)
    {
      d = tu_base ();
      tu_set (d, alone[i][0], alone[i][1] ? alone[i][1] : all_but_3);
      if (i == 3)
        tu_set (d, "linux/readonlyPaths", "[]");
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_msg (tu_count (&res, "privileged") == 0, "piece %zu alone", i);
      ck_assert_msg (res.n > 0, "piece %zu alone is judged by its own rule", i);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* Privileged and baseline presets both reject it; the privileged preset warns. */
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  d = tu_base ();
  tu_set (d, "process/capabilities/bounding", all_but_3);
  tu_set (d, "linux/maskedPaths", "[]");
  tu_set (d, "linux/readonlyPaths", "[]");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_finding (&res, "privileged", REJ, "");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  free (all_but_3);
  free (all_but_4);
}
END_TEST

/* ---- host-namespaces ---- */

START_TEST (test_host_namespaces_missing)
{
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount" };
  for (size_t i = 0; i < ARRAY_SIZE (types); i++)
    {
      ocigate_doc_t *d = tu_base ();
      ocigate_json_t *ns = oj_path (ocigate_doc_root (d), "linux/namespaces");
      for (size_t j = 0; j < oj_len (ns); j++)
        if (oj_str_eq (oj_get (oj_at (ns, j), "type"), types[i]))
          oj_remove_at (ns, j);
      ocigate_result_t res;
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "host-namespaces", REJ, "/linux/namespaces");
      ck_assert_uint_eq (tu_count (&res, "host-namespaces"), 1);
      ck_assert_msg (strstr (res.f[0].message, types[i]) != NULL, "%s", res.f[0].message);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  /* No namespaces at all: five findings. */
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/namespaces");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "host-namespaces"), 5);
  ocigate_doc_free (d);
  /* cgroup, user and time are not required. */
  d = tu_base ();
  tu_del (d, "linux/namespaces/5");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "host-namespaces"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* Judge the base config with namespace entry 1 (network) joining path. */
static bool
netns_rejected (const char *path, bool host)
{
  ocigate_doc_t *d = tu_base ();
  char *v = xasprintf ("\"%s\"", path);
  tu_set (d, "linux/namespaces/1/path", v);
  free (v);
  ocigate_eval_opts_t o = host ? host_opts () : lexical;
  ocigate_result_t res;
  tu_eval (NULL, d, &o, &res);
  bool r = tu_has (&res, "host-namespaces", REJ, "/linux/namespaces/1/path");
  ck_assert_uint_eq (tu_count (&res, "host-namespaces"), r ? 1u : 0u);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_host_namespaces_paths)
{
  static const char *const host_paths[] = {
    "/proc/1/ns/net",
    "/proc/self/ns/pid",
    "/proc/thread-self/ns/ipc",
    "//proc/./1/ns/net",
    "/proc/1/../1/ns/net",
    "/proc/1/ns/net/",
    "/proc/1/task/1/ns/net",
    "/proc//self//ns//net",
    /* the runtime opens it in the host's view, through /proc's links */
    "/proc/self/root/proc/1/ns/net",
    "/proc/1/root/proc/self/ns/net",
    "/proc/thread-self/../../ns/net",
    "/proc/net/../ns/net",
    "/proc/self/task/../ns/net",
  };
  for (size_t i = 0; i < ARRAY_SIZE (host_paths); i++)
    {
      ck_assert_msg (netns_rejected (host_paths[i], false), "%s lexically", host_paths[i]);
      ck_assert_msg (netns_rejected (host_paths[i], true), "%s with host checks", host_paths[i]);
    }

  /* Near miss: a CRI app container joining its sandbox's namespace, judged
   * lexically (validate without --host). */
  ck_assert (!netns_rejected ("/proc/30732/ns/net", false));
  ck_assert (!netns_rejected ("/var/run/netns/cni-864215fb", false));
  /* Shapes no engine writes are refused (test-linux covers the rule). */
  ck_assert (netns_rejected ("/proc/10/ns/netfoo", false));
  ck_assert (netns_rejected ("/proc/30732/root/proc/1/ns/net", false));
  ck_assert (netns_rejected ("/proc/1/ns", false));
}
END_TEST

START_TEST (test_host_namespaces_host_checks)
{
  /* The test process lives in the host's namespaces: its own pid spelled
   * out, or a symlink to its ns file, is the host's namespace. */
  char *own = xasprintf ("/proc/%ld/ns/net", (long)getpid ());
  ck_assert (!netns_rejected (own, false));
  ck_assert (netns_rejected (own, true));
  free (own);

  char dir[] = "/tmp/ocigate-ns-XXXXXX";
  ck_assert (mkdtemp (dir) != NULL);
  char *link = xasprintf ("%s/netns", dir);
  ck_assert_int_eq (symlink ("/proc/self/ns/net", link), 0);
  ck_assert (netns_rejected (link, false)); /* not a path an engine writes */
  ck_assert (netns_rejected (link, true));

  /* A path that does not exist cannot be checked: fail closed. */
  char *missing = xasprintf ("%s/nope", dir);
  ck_assert (netns_rejected (missing, false));
  ck_assert (netns_rejected (missing, true));

  unlink (link);
  rmdir (dir);
  free (link);
  free (missing);
}
END_TEST

START_TEST (test_host_namespaces_other_netns)
{
  /* A process in a network namespace of its own that is not a container
   * of this runtime is refused with host checks (test-linux has the near
   * miss: the pod sandbox's init). */
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      char c = 'n';
      if (unshare (CLONE_NEWUSER | CLONE_NEWNET) < 0 && unshare (CLONE_NEWNET) < 0)
        c = 'e';
      if (write (p[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  char c = 0;
  ck_assert_int_eq (read (p[0], &c, 1), 1);
  char *path = xasprintf ("/proc/%ld/ns/net", (long)pid);
  bool rejected = c == 'n' ? netns_rejected (path, true) : true;
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  close (p[0]);
  close (p[1]);
  free (path);
  ck_assert_msg (c == 'n', "cannot create a network namespace: %s", strerror (EPERM));
  ck_assert (rejected);
}
END_TEST

/* ---- host-mounts ---- */

START_TEST (test_host_mounts)
{
  static const char *const rejected[] = {
    "/",
    "/etc",
    "//etc/",
    "/tmp/../etc",
    "/etc/kubernetes/pki",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var//run/./docker.sock",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pods",
    "/var/lib/kubelet/pods/../../kubelet",
    "/var/lib/kubelet/pods/uid/volumes/../../../../../../etc",
    "/var/lib",
    "/var",
    "/run",
    "/var/run",
    "/proc/1/root",
    "/sys/fs/cgroup",
    "/dev/sda",
    "/lib/modules",
    "/usr/lib",
    "/root/.ssh",
    "/boot",
    "/var/lib/containerd",
    "/run/containerd/containerd.sock",
    "/var/lib/docker",
    "/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes",
    /* engine-managed directories of no pod or container this config names
     * (test-mounts.c has this pod's own) */
    "/var/lib/kubelet/pods/uid/volumes/x",
    "/var/lib/kubelet/pods/6f1c/etc-hosts",
    "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/ID/shm",
    "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/ID/resolv.conf",
    "/var/lib/docker/containers/ID/hostname",
  };
  for (size_t i = 0; i < ARRAY_SIZE (rejected); i++)
    ck_assert_msg (mount_rejected (NULL, "bind", rejected[i], NULL, false), "%s", rejected[i]);

  static const char *const allowed[] = {
    "/tmp/data", "/home/user/src",    "/srv/www",
    "/etcetera", "/var/lib/kubeletx", "/var/lib/containers/storage/volumes/v/_data",
  };
  for (size_t i = 0; i < ARRAY_SIZE (allowed); i++)
    ck_assert_msg (!mount_rejected (NULL, "bind", allowed[i], NULL, false), "%s", allowed[i]);

  /* bind or rbind among the options counts, whatever the type. */
  ck_assert (mount_rejected (NULL, "none", "/etc", "[\"rbind\"]", false));
  ck_assert (mount_rejected (NULL, "tmpfs", "/etc", "[\"bind\",\"ro\"]", false));
  ck_assert (mount_rejected (NULL, "overlay", "/etc", "[\"ro\",\"rbind\"]", false));
  /* tmpfs with source /etc is not a bind: nothing of the host is exposed. */
  ck_assert (!mount_rejected (NULL, "tmpfs", "/etc", "[\"nosuid\"]", false));
  ck_assert (!mount_rejected (NULL, "proc", "/proc", "[]", false));
}
END_TEST

START_TEST (test_host_mounts_symlinks)
{
  char dir[] = "/tmp/ocigate-mnt-XXXXXX";
  ck_assert (mkdtemp (dir) != NULL);
  char *link = xasprintf ("%s/etc-link", dir);
  char *below = xasprintf ("%s/etc-link/kubernetes", dir);
  ck_assert_int_eq (symlink ("/etc", link), 0);
  /* Lexically the temp dir is harmless; resolved it is /etc. */
  ck_assert (!mount_rejected (NULL, "bind", link, NULL, false));
  ck_assert (mount_rejected (NULL, "bind", link, NULL, true));
  /* A path below the link that does not exist: the existing prefix resolves. */
  ck_assert (!mount_rejected (NULL, "bind", below, NULL, false));
  ck_assert (mount_rejected (NULL, "bind", below, NULL, true));
  /* The temp dir itself resolves to itself. */
  ck_assert (!mount_rejected (NULL, "bind", dir, NULL, true));
  unlink (link);
  rmdir (dir);
  free (link);
  free (below);
}
END_TEST

START_TEST (test_host_mounts_policy)
{
  ocigate_policy_t *pol = tu_policy ("{\"mounts\":{\"deny\":[\"/srv/secrets/\"],"
                                     "\"allow\":[\"/var/lib/kubelet/plugins\"]}}");
  ck_assert (mount_rejected (pol, "bind", "/srv/secrets", NULL, false));
  ck_assert (mount_rejected (pol, "bind", "/srv/secrets/db", NULL, false));
  ck_assert (mount_rejected (pol, "bind", "/srv", NULL, false)); /* contains it */
  ck_assert (!mount_rejected (pol, "bind", "/srv/www", NULL, false));
  ck_assert (!mount_rejected (pol, "bind", "/var/lib/kubelet/plugins/csi.sock", NULL, false));
  /* The allow prefix itself is not below it; climbing out is judged after normalising. */
  ck_assert (mount_rejected (pol, "bind", "/var/lib/kubelet/plugins", NULL, false));
  ck_assert (mount_rejected (pol, "bind", "/var/lib/kubelet/plugins/../../kubelet", NULL, false));
  ocigate_policy_free (pol);

  /* The relative source of a bind mount is relative to the bundle. */
  ocigate_doc_t *d = with_mount ("bind", "../../etc", NULL);
  ocigate_eval_opts_t o = { .name = "t", .bundle = "/tmp/bundle" };
  ocigate_result_t res;
  tu_eval (NULL, d, &o, &res);
  ck_assert_finding (&res, "host-mounts", REJ, "/mounts/" NEW_MOUNT "/source");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- kernel-mounts ---- */

START_TEST (test_kernel_mounts)
{
  static const char *const bad[] = {
    "{\"destination\":\"/proc/sys\",\"type\":\"bind\",\"source\":\"/tmp/x\","
    "\"options\":[\"rbind\"]}",
    "{\"destination\":\"/sys/kernel/security\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
    "{\"destination\":\"/mnt/proc\",\"type\":\"proc\",\"source\":\"proc\"}",
    "{\"destination\":\"/host-sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\"]}",
    "{\"destination\":\"/proc/../proc/sysrq-trigger\",\"type\":\"bind\","
    "\"source\":\"/tmp/x\",\"options\":[\"bind\"]}",
    /* runc joins a relative destination to the rootfs */
    "{\"destination\":\"sys/kernel\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
    "{\"destination\":\"proc/sys\",\"type\":\"bind\",\"source\":\"/tmp/x\","
    "\"options\":[\"rbind\"]}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_append (d, "mounts", bad[i]);
      ocigate_result_t res;
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "kernel-mounts", REJ, "/mounts/" NEW_MOUNT);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* sysfs without ro in its standard place. */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "mounts/5/options", "[\"nosuid\",\"noexec\",\"nodev\",\"rw\"]");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "kernel-mounts", REJ, "/mounts/5");
  ck_assert_uint_eq (tu_count (&res, "kernel-mounts"), 1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* Near misses: the standard mounts (base), cgroup2, a relative path that
   * is not under /proc, and a tmpfs elsewhere. */
  static const char *const good[] = {
    ("{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup2\",\"source\":\"cgroup\","
     "\"options\":[\"ro\"]}"),
    "{\"destination\":\"/processes\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
    "{\"destination\":\"/system\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
    "{\"destination\":\"data/proc\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    {
      d = tu_base ();
      tu_append (d, "mounts", good[i]);
      ck_assert_msg (count_rule (d, NULL, NULL, "kernel-mounts") == 0, "%s", good[i]);
      ocigate_doc_free (d);
    }
}
END_TEST

/* ---- devices ---- */

static bool
device_rule_rejected (const char *rule)
{
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "linux/resources/devices", rule);
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  bool r = tu_has (&res, "devices", REJ, "/linux/resources/devices/1");
  ck_assert_uint_eq (tu_count (&res, "devices"), r ? 1u : 0u);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_devices)
{
  /* A host device node in the container. */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/devices",
          "[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,"
          "\"minor\":3,\"fileMode\":8630},"
          "{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}]");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  /* Several nodes are one finding naming them. */
  ck_assert_finding (&res, "devices", REJ, "/linux/devices");
  ck_assert_uint_eq (tu_count (&res, "devices"), 1);
  char *dump = tu_dump (&res);
  ck_assert_msg (strstr (dump, "2 host device nodes in the container: /dev/null, /dev/sda"), "%s",
                 dump);
  free (dump);
  ocigate_result_free (&res);
  tu_del (d, "linux/devices/1");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "devices", REJ, "/linux/devices/0");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  static const char *const bad[] = {
    "{\"allow\":true,\"access\":\"rwm\"}",
    "{\"allow\":true}",
    "{\"allow\":true,\"type\":\"a\",\"access\":\"r\"}",
    "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":-1,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"access\":\"rw\"}", /* /dev/mem is c 1:1 */
    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":1,\"access\":\"r\"}",
    "{\"allow\":true,\"type\":\"c\",\"minor\":3,\"access\":\"w\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (device_rule_rejected (bad[i]), "%s", bad[i]);

  static const char *const good[] = {
    "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":136,\"minor\":4,\"access\":\"rw\"}",
    "{\"allow\":true,\"type\":\"c\",\"access\":\"m\"}",
    "{\"allow\":true,\"type\":\"b\",\"access\":\"m\"}",
    "{\"allow\":true,\"access\":\"m\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":2,\"access\":\"rwm\"}",
    "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rwm\"}",
    "{\"allow\":false,\"type\":\"b\",\"major\":8,\"access\":\"rwm\"}",
    "{\"allow\":false,\"access\":\"rwm\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!device_rule_rejected (good[i]), "%s", good[i]);

  /* The policy may extend the standard set. */
  ocigate_policy_t *pol = tu_policy ("{\"devices\":{\"allowed\":[\"c 10:229\",\"b 8:*\"]}}");
  d = tu_base ();
  tu_append (d, "linux/resources/devices",
             "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"}");
  tu_append (d, "linux/resources/devices",
             "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":16,\"access\":\"rw\"}");
  ck_assert_uint_eq (count_rule (d, pol, NULL, "devices"), 0);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- hooks ---- */

START_TEST (test_hooks)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "hooks",
          "{\"prestart\":[{\"path\":\"/usr/bin/evil\",\"args\":[\"evil\"]}],"
          "\"createRuntime\":[{\"path\":\"/usr/libexec/oci/hooks.d/ok\"},"
          "{\"path\":\"/bin/sh\"}],\"poststop\":[]}");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "hooks", REJ, "/hooks/prestart/0");
  ck_assert_finding (&res, "hooks", REJ, "/hooks/createRuntime/0");
  ck_assert_finding (&res, "hooks", REJ, "/hooks/createRuntime/1");
  ck_assert_uint_eq (tu_count (&res, "hooks"), 3);
  ocigate_result_free (&res);

  /* hooks.allowed: the listed path is fine, the others are not. */
  ocigate_policy_t *pol = tu_policy ("{\"hooks\":{\"allowed\":[\"/usr/libexec/oci/hooks.d/ok\"]}}");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_uint_eq (tu_count (&res, "hooks"), 2);
  ck_assert (!tu_has (&res, "hooks", REJ, "/hooks/createRuntime/0"));
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  /* Rewrite removes exactly the hooks not allowed. */
  pol = tu_policy ("{\"hooks\":{\"allowed\":[\"/usr/libexec/oci/hooks.d/ok\"]},"
                   "\"rules\":{\"hooks\":\"rewrite\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (res.changed);
  ck_assert_json (d, "hooks",
                  "{\"prestart\":[],\"createRuntime\":[{\"path\":"
                  "\"/usr/libexec/oci/hooks.d/ok\"}],\"poststop\":[]}");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"hooks\"");
  ocigate_result_free (&res);
  tu_eval (pol, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- sysctls ---- */

START_TEST (test_sysctls)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/sysctl",
          "{\"net.ipv4.ip_local_port_range\":\"1024 65000\","
          "\"kernel.core_pattern\":\"|/tmp/x\","
          "\"net/ipv4/ping_group_range\":\"0 1\","
          "\"kernel/shm_rmid_forced\":\"1\","
          "\"net.core.somaxconn\":\"1024\","
          "\"kernel.shmmax\":\"1\"}");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "sysctls", REJ, "/linux/sysctl/kernel.core_pattern");
  ck_assert_finding (&res, "sysctls", REJ, "/linux/sysctl/net.core.somaxconn");
  ck_assert_finding (&res, "sysctls", REJ, "/linux/sysctl/kernel.shmmax");
  ck_assert_uint_eq (tu_count (&res, "sysctls"), 3);
  ocigate_result_free (&res);

  /* The slash form is the same sysctl; a slash in the pointer is escaped. */
  ocigate_doc_t *s = tu_base ();
  tu_set (s, "linux/sysctl",
          "{\"net/ipv4/ip_local_port_range\":\"1024 65000\","
          "\"kernel/core_pattern\":\"core\"}");
  tu_eval (NULL, s, &lexical, &res);
  ck_assert_finding (&res, "sysctls", REJ, "/linux/sysctl/kernel~1core_pattern");
  ck_assert_uint_eq (tu_count (&res, "sysctls"), 1);
  ocigate_result_free (&res);
  ocigate_doc_free (s);

  /* sysctls.allowed extends the safe set. */
  ocigate_policy_t *pol = tu_policy ("{\"sysctls\":{\"allowed\":[\"net.core.somaxconn\"]},"
                                     "\"rules\":{\"sysctls\":\"rewrite\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_uint_eq (tu_count (&res, "sysctls"), 2);
  ck_assert (res.changed);
  ck_assert_json (d, "linux/sysctl",
                  "{\"net.ipv4.ip_local_port_range\":\"1024 65000\","
                  "\"net/ipv4/ping_group_range\":\"0 1\","
                  "\"kernel/shm_rmid_forced\":\"1\","
                  "\"net.core.somaxconn\":\"1024\"}");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- capabilities ---- */

START_TEST (test_capabilities_restricted)
{
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  /* Only CAP_NET_BIND_SERVICE may stay. */
  tu_set (d, "process/capabilities",
          "{\"bounding\":[\"CAP_NET_BIND_SERVICE\"],\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
          "\"permitted\":[\"CAP_NET_BIND_SERVICE\"],\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
          "\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "capabilities"), 0);
  tu_set (d, "process/capabilities/effective", "[\"CAP_NET_BIND_SERVICE\",\"CAP_CHOWN\"]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/effective/1");
  ck_assert_uint_eq (tu_count (&res, "capabilities"), 1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* capabilities.allowed replaces the preset's set. */
  ocigate_policy_t *pol = tu_policy ("{\"capabilities\":{\"allowed\":[\"CAP_CHOWN\"]}}");
  d = tu_base ();
  tu_set (d, "process/capabilities/bounding", "[\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"]");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/bounding/1");
  ck_assert_uint_eq (tu_count (&res, "capabilities"), 1);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_capabilities_baseline)
{
  static const char *const pss[] = {
    "CAP_AUDIT_WRITE", "CAP_CHOWN",  "CAP_DAC_OVERRIDE",     "CAP_FOWNER",  "CAP_FSETID",
    "CAP_KILL",        "CAP_MKNOD",  "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID",
    "CAP_SETPCAP",     "CAP_SETUID", "CAP_SYS_CHROOT",
  };
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  ocigate_doc_t *d = tu_base ();
  for (size_t i = 0; i < ARRAY_SIZE (pss); i++)
    {
      char *v = xasprintf ("\"%s\"", pss[i]);
      tu_append (d, "process/capabilities/bounding", v);
      tu_append (d, "process/capabilities/permitted", v);
      free (v);
    }
  ck_assert_uint_eq (count_rule (d, pol, NULL, "capabilities"), 0);
  /* Not in the PSS baseline set. */
  tu_append (d, "process/capabilities/bounding", "\"CAP_NET_RAW\"");
  tu_append (d, "process/capabilities/bounding", "\"CAP_SYS_ADMIN\"");
  ocigate_result_t res;
  tu_eval (pol, d, &lexical, &res);
  /* The two are one finding on the set, naming both. */
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/bounding");
  ck_assert_uint_eq (tu_count (&res, "capabilities"), 1);
  char *dump = tu_dump (&res);
  ck_assert_msg (strstr (dump, "CAP_NET_RAW, CAP_SYS_ADMIN in the bounding set"), "%s", dump);
  free (dump);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_capabilities_unknown)
{
  /* Names must be exactly CAP_ and an upper-case name libcap knows; runc
   * rejects or ignores the rest, so they are never what they seem. */
  static const char *const unknown[]
      = { "cap_sys_admin", "SYS_ADMIN", "CAP_21", "CAP_NOPE", "CAP_SYS_ADMIN ", "Cap_Chown", "" };
  static const char *const presets[] = { NULL, "{\"preset\":\"baseline\"}" };
  for (size_t p = 0; p < ARRAY_SIZE (presets); p++)
    {
      ocigate_policy_t *pol = presets[p] ? tu_policy (presets[p]) : NULL;
      for (size_t i = 0; i < ARRAY_SIZE (unknown); i++)
        {
          ocigate_doc_t *d = tu_base ();
          char *v = xasprintf ("\"%s\"", unknown[i]);
          tu_append (d, "process/capabilities/permitted", v);
          free (v);
          ocigate_result_t res;
          tu_rewrite (pol, d, &lexical, &res);
          ck_assert_finding (&res, "capabilities", REJ, "/process/capabilities/permitted/0");
          ck_assert_msg (res.reject && !res.changed, "%s", unknown[i]);
          ocigate_result_free (&res);
          ocigate_doc_free (d);
        }
      ocigate_policy_free (pol);
    }
}
END_TEST

START_TEST (test_capabilities_subset_of_bounding)
{
  /* CVE-2022-29162: inheritable and ambient must stay within bounding. */
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/capabilities/inheritable", "[\"CAP_NET_BIND_SERVICE\"]");
  tu_set (d, "process/capabilities/ambient", "[\"CAP_NET_BIND_SERVICE\"]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/inheritable/0");
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/ambient/0");
  ck_assert_uint_eq (tu_count (&res, "capabilities"), 2);
  ocigate_result_free (&res);
  /* Near miss: the same with it in bounding. */
  tu_set (d, "process/capabilities/bounding", "[\"CAP_NET_BIND_SERVICE\"]");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "capabilities"), 0);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_capabilities_rewrite)
{
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/capabilities",
          "{\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\",\"CAP_NET_RAW\",\"CAP_KILL\","
          "\"CAP_SETUID\"],"
          "\"effective\":[\"CAP_CHOWN\",\"CAP_SYS_PTRACE\",\"CAP_KILL\"],"
          "\"permitted\":[\"CAP_SYS_MODULE\"],"
          "\"inheritable\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\",\"CAP_FOWNER\",\"CAP_CHOWN\"],"
          "\"ambient\":[\"CAP_NET_RAW\",\"CAP_SETUID\"],"
          "\"x-vendor\":[\"CAP_SYS_ADMIN\"]}");
  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (!res.reject && res.changed);
  /* Exactly the disallowed ones go, in order; FOWNER is allowed but not in
   * bounding, so it leaves inheritable too.  Unknown members stay. */
  ck_assert_json (d, "process/capabilities",
                  "{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_SETUID\"],"
                  "\"effective\":[\"CAP_CHOWN\",\"CAP_KILL\"],"
                  "\"permitted\":[],"
                  "\"inheritable\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
                  "\"ambient\":[\"CAP_SETUID\"],"
                  "\"x-vendor\":[\"CAP_SYS_ADMIN\"]}");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"capabilities\"");
  ocigate_result_free (&res);
  tu_eval (pol, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- no-new-privileges ---- */

START_TEST (test_no_new_privileges)
{
  static const char *const values[] = { "false", NULL };
  for (size_t i = 0; i < ARRAY_SIZE (values); i++)
    {
      ocigate_doc_t *d = tu_base ();
      if (values[i])
        tu_set (d, "process/noNewPrivileges", values[i]);
      else
        tu_del (d, "process/noNewPrivileges");
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "no-new-privileges", RW, "/process/noNewPrivileges");
      ck_assert_findings (&res, 1);
      ck_assert_json (d, "process/noNewPrivileges", "true");
      ck_assert_json (d, "annotations/ocigate.rewrites", "\"no-new-privileges\"");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  /* Baseline leaves it alone. */
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/noNewPrivileges", "false");
  ck_assert_uint_eq (count_rule (d, pol, NULL, "no-new-privileges"), 0);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- readonly-rootfs ---- */

START_TEST (test_readonly_rootfs)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "root/readonly", "false");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "readonly-rootfs", RW, "/root/readonly");
  ck_assert_findings (&res, 1);
  ck_assert_json (d, "root", "{\"path\":\"rootfs\",\"readonly\":true}");
  /* The default scratch tmpfs: /tmp, /var/tmp, /run (test-rootfs.c). */
  ck_assert_uint_eq (oj_len (oj_get (ocigate_doc_root (d), "mounts")), 10);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* readonly_rootfs.tmpfs: scratch mounts appended, not duplicated. */
  ocigate_policy_t *pol = tu_policy ("{\"readonly_rootfs\":{\"tmpfs\":[\"/tmp\",\"/run\"]}}");
  d = tu_base ();
  tu_del (d, "root/readonly");
  tu_append (d, "mounts", "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert (res.changed);
  ck_assert_json (d, "root/readonly", "true");
  ocigate_json_t *mounts = oj_get (ocigate_doc_root (d), "mounts");
  ck_assert_uint_eq (oj_len (mounts), 9);
  char *m = tu_json (oj_at (mounts, 8));
  ck_assert_str_eq (m, "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                       "\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=64m\","
                       "\"tmpcopyup\"]}");
  free (m);
  ocigate_result_free (&res);
  tu_eval (pol, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- seccomp ---- */

static ocigate_doc_t *
with_seccomp (const char *profile)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/seccomp", profile);
  return d;
}

static bool
seccomp_weak (const char *profile)
{
  ocigate_doc_t *d = with_seccomp (profile);
  size_t n = count_rule (d, NULL, NULL, "seccomp");
  ocigate_doc_free (d);
  return n > 0;
}

START_TEST (test_seccomp_missing)
{
  ocigate_policy_t *pol = tu_default_policy ();
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp");
  ck_assert_findings (&res, 1);
  ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                       ocigate_doc_root (pol->seccomp_profile)));
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"seccomp\"");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* No linux object at all. */
  d = tu_parse ("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true}}");
  ocigate_policy_t *only = tu_policy ("{\"preset\":\"privileged\",\"rules\":{\"seccomp\":"
                                      "\"rewrite\"}}");
  tu_rewrite (only, d, &lexical, &res);
  ck_assert (res.changed);
  ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                       ocigate_doc_root (pol->seccomp_profile)));
  ocigate_result_free (&res);
  ocigate_policy_free (only);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_seccomp_allowing_default)
{
  static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG" };
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"%s\",\"syscalls\":[{\"names\":[\"mount\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                           actions[i]);
      ocigate_doc_t *d = with_seccomp (p);
      free (p);
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/defaultAction");
      ck_assert_findings (&res, 1);
      ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                           ocigate_doc_root (tu_default_policy ()->seccomp_profile)));
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_seccomp_weak_names)
{
  ocigate_doc_t *d = with_seccomp (
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
      "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
      "\"syscalls\":[{\"names\":[\"read\",\"mount\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
      "{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_LOG\"},"
      "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"x-note\":\"kept\"}]}");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/syscalls");
  ck_assert_findings (&res, 1);
  ck_assert_msg (strstr (res.f[0].message, "mount") && strstr (res.f[0].message, "bpf"), "%s",
                 res.f[0].message);
  ck_assert_msg (strstr (res.f[0].message, "read") == NULL, "%s", res.f[0].message);
  /* mount removed from its rule, the rest kept; a rule left empty goes. */
  ck_assert_json (d, "linux/seccomp",
                  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
                  "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                  "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                  "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"x-note\":\"kept\"}]}");
  ocigate_result_free (&res);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_seccomp_arg_filters)
{
  /* No argument filter on a dangerous syscall counts as restricting: one
   * that lets every value through, and one that looks narrow (unshare
   * allowed for some flags still creates a user namespace). */
  static const char *const filters[] = {
    "{\"index\":0,\"value\":0,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GE\"}",
    "{\"index\":0,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_LE\"}",
    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_NE\"}",
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GT\"}",
    "{\"index\":0,\"value\":268435456,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}",
    "{\"index\":0,\"value\":4,\"op\":\"SCMP_CMP_LT\"}",
    ("{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_GE\"},"
     "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (filters); i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ALLOW\","
                           "\"args\":[%s]}]}",
                           filters[i]);
      ck_assert_msg (seccomp_weak (p), "%s", filters[i]);
      free (p);
    }
  /* The same filter under a blocking action is not weak. */
  ck_assert (!seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                            "{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
                            "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}"));
}
END_TEST

START_TEST (test_seccomp_blocking_actions)
{
  /* Dangerous names with a blocking action are not weak. */
  static const char *const actions[]
      = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO" };
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"mount\",\"unshare\",\"setns\",\"bpf\",\"clone3\","
                           "\"keyctl\",\"io_uring_setup\"],\"action\":\"%s\"},"
                           "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                           actions[i]);
      ck_assert_msg (!seccomp_weak (p), "%s", actions[i]);
      free (p);
    }
  /* A non-allowing default with nothing listed is fine too. */
  ck_assert (!seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\"}"));
  /* Every dangerous name of spec section 4 is caught when allowed. */
  for (size_t i = 0; i < tu_n_dangerous; i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"%s\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                           tu_dangerous[i]);
      ck_assert_msg (seccomp_weak (p), "%s", tu_dangerous[i]);
      free (p);
    }
  /* ptrace and process_vm_* are not on the list. */
  ck_assert (!seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                            "[\"ptrace\",\"process_vm_readv\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"));
  /* seccomp.dangerous extends the list. */
  ocigate_policy_t *pol = tu_policy ("{\"seccomp\":{\"dangerous\":[\"ptrace\"]}}");
  ocigate_doc_t *d = with_seccomp ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                                   "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  ck_assert_uint_eq (count_rule (d, pol, NULL, "seccomp"), 1);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_seccomp_dangerous_per_policy)
{
  /* The widened dangerous list belongs to the policy it was built for: a
   * later policy, even one allocated where a freed one was, has its own. */
  ocigate_doc_t *d = with_seccomp ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                                   "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  for (int i = 0; i < 4; i++)
    {
      ocigate_policy_t *plain = tu_policy ("{}");
      ck_assert_uint_eq (count_rule (d, plain, NULL, "seccomp"), 0);
      ocigate_policy_free (plain);
      ocigate_policy_t *strict = tu_policy ("{\"seccomp\":{\"dangerous\":[\"ptrace\"]}}");
      ck_assert_uint_eq (count_rule (d, strict, NULL, "seccomp"), 1);
      ocigate_policy_free (strict);
    }
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_seccomp_clone)
{
  ocigate_policy_t *pol = tu_default_policy ();
  /* clone allowed without the namespace-flag mask. */
  ocigate_doc_t *d
      = with_seccomp ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                      "{\"names\":[\"read\",\"clone\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/syscalls");
  ck_assert_msg (strstr (res.f[0].message, "clone"), "%s", res.f[0].message);
  ocigate_result_free (&res);
  /* clone left the allowing rule; the default profile's clone and clone3
   * handling was appended. */
  ocigate_json_t *calls = oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls");
  ck_assert_uint_eq (oj_len (calls), 3);
  char *first = tu_json (oj_at (calls, 0));
  ck_assert_str_eq (first, "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}");
  free (first);
  const ocigate_json_t *dcalls = oj_get (ocigate_doc_root (pol->seccomp_profile), "syscalls");
  for (size_t k = 1; k <= 2; k++)
    {
      const char *want = k == 1 ? "clone" : "clone3";
      const ocigate_json_t *c = oj_at (calls, k);
      ck_assert (oj_str_eq (oj_at (oj_get (c, "names"), 0), want));
      bool found = false;
      for (size_t i = 0; i < oj_len (dcalls); i++)
        if (oj_equal (oj_at (dcalls, i), c))
          found = true;
      ck_assert_msg (found, "%s rule is the default profile's", want);
    }
  ck_assert (oj_str_eq (oj_get (oj_at (calls, 2), "action"), "SCMP_ACT_ERRNO"));
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* clone with the mask is not weak; clone3 allowed is. */
  ck_assert (!seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                            "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                            "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,"
                            "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}"));
  ck_assert (seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                           "{\"index\":0,\"value\":268435456,\"valueTwo\":0,"
                           "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}"));
  ck_assert (seccomp_weak ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                           "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"));
  /* The embedded profile itself is not weak. */
  ocigate_doc_t *e = tu_base ();
  ck_assert_uint_eq (count_rule (e, NULL, NULL, "seccomp"), 0);
  ocigate_doc_free (e);
}
END_TEST

START_TEST (test_seccomp_reject_if_configured)
{
  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"seccomp\":\"reject\"}}");
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", REJ, "/linux/seccomp");
  ck_assert (res.reject && !res.changed);
  ck_assert_absent (d, "linux/seccomp");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- apparmor ---- */

static void
eval_lsm (const ocigate_policy_t *pol, ocigate_doc_t *d, tu_host_t h, bool host,
          ocigate_result_t *res)
{
  ocigate_eval_opts_t o
      = { .name = "t", .bundle = BUNDLE, .host_checks = host, .host = tu_host (h) };
  tu_rewrite (pol, d, &o, res);
}

START_TEST (test_apparmor)
{
  ocigate_result_t res;
  tu_host_t loaded = { .apparmor = true, .apparmor_loaded = 1 };
  tu_host_t unloaded = { .apparmor = true, .apparmor_loaded = 0 };
  tu_host_t unknown = { .apparmor = true, .apparmor_loaded = -1 };
  tu_host_t off = { .apparmor = false, .apparmor_loaded = 1 };

  /* Enabled and the profile loaded: injected. */
  ocigate_doc_t *d = tu_base ();
  eval_lsm (NULL, d, loaded, true, &res);
  ck_assert_finding (&res, "apparmor", RW, "/process/apparmorProfile");
  ck_assert_findings (&res, 1);
  ck_assert_json (d, "process/apparmorProfile", "\"ocigate-default\"");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"apparmor\"");
  ocigate_result_free (&res);
  /* ... and then left alone. */
  eval_lsm (NULL, d, loaded, true, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* apparmor.profile is honoured. */
  ocigate_policy_t *pol = tu_policy ("{\"apparmor\":{\"profile\":\"site-default\"}}");
  d = tu_base ();
  eval_lsm (pol, d, loaded, true, &res);
  ck_assert_json (d, "process/apparmorProfile", "\"site-default\"");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* Enabled, not loaded (or cannot tell), require true: reject. */
  tu_host_t not_loaded[] = { unloaded, unknown };
  for (size_t i = 0; i < ARRAY_SIZE (not_loaded); i++)
    {
      d = tu_base ();
      eval_lsm (NULL, d, not_loaded[i], true, &res);
      ck_assert_finding (&res, "apparmor", REJ, "/process/apparmorProfile");
      ck_assert (res.reject);
      ck_assert_absent (d, "process/apparmorProfile");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* require false: a warning, nothing injected. */
  pol = tu_policy ("{\"apparmor\":{\"require\":false}}");
  d = tu_base ();
  eval_lsm (pol, d, unloaded, true, &res);
  ck_assert_finding (&res, "apparmor", WARN, "/process/apparmorProfile");
  ck_assert (!res.reject && !res.changed);
  ck_assert_absent (d, "process/apparmorProfile");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* Disabled, or no host checks: nothing. */
  d = tu_base ();
  eval_lsm (NULL, d, off, true, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  eval_lsm (NULL, d, loaded, false, &res);
  ck_assert_findings (&res, 0);
  ck_assert_absent (d, "process/apparmorProfile");
  ocigate_result_free (&res);
  /* A profile already set is kept when the policy allows it, and
   * rejected when not (by allowlist). */
  ocigate_policy_t *mine = tu_policy ("{\"apparmor\":{\"allowed\":[\"my-profile\"]}}");
  tu_set (d, "process/apparmorProfile", "\"my-profile\"");
  eval_lsm (mine, d, loaded, true, &res);
  ck_assert_findings (&res, 0);
  ck_assert_json (d, "process/apparmorProfile", "\"my-profile\"");
  ocigate_result_free (&res);
  ocigate_policy_free (mine);
  eval_lsm (NULL, d, loaded, true, &res);
  ck_assert_finding (&res, "apparmor", REJ, "/process/apparmorProfile");
  ocigate_result_free (&res);

  /* unconfined: rejected always, with or without host checks. */
  tu_set (d, "process/apparmorProfile", "\"unconfined\"");
  tu_host_t hosts[] = { loaded, off };
  for (size_t i = 0; i < ARRAY_SIZE (hosts); i++)
    for (int host = 0; host < 2; host++)
      {
        eval_lsm (NULL, d, hosts[i], host, &res);
        ck_assert_finding (&res, "apparmor", REJ, "/process/apparmorProfile");
        ck_assert (res.reject);
        ocigate_result_free (&res);
      }
  ocigate_doc_free (d);
}
END_TEST

/* ---- selinux ---- */

START_TEST (test_selinux)
{
  ocigate_result_t res;
  tu_host_t on = { .selinux = true };
  tu_host_t off = { .selinux = false };

  ocigate_doc_t *d = tu_base ();
  eval_lsm (NULL, d, on, true, &res);
  ck_assert_finding (&res, "selinux", RW, "/process/selinuxLabel");
  ck_assert_findings (&res, 1);
  ck_assert_json (d, "process/selinuxLabel", "\"system_u:system_r:container_t:s0:c1,c2\"");
  ck_assert_json (d, "linux/mountLabel", "\"system_u:object_r:container_file_t:s0:c1,c2\"");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"selinux\"");
  ocigate_result_free (&res);
  eval_lsm (NULL, d, on, true, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* selinux.type is passed to the host; an existing mountLabel is kept. */
  ocigate_policy_t *pol = tu_policy ("{\"selinux\":{\"type\":\"site_container_t\"}}");
  d = tu_base ();
  tu_set (d, "linux/mountLabel", "\"system_u:object_r:mine_t:s0\"");
  eval_lsm (pol, d, on, true, &res);
  ck_assert_json (d, "process/selinuxLabel", "\"system_u:system_r:site_container_t:s0:c1,c2\"");
  ck_assert_json (d, "linux/mountLabel", "\"system_u:object_r:mine_t:s0\"");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* Disabled: nothing injected, and the note says why. */
  d = tu_base ();
  eval_lsm (NULL, d, off, true, &res);
  ck_assert_findings (&res, 0);
  ck_assert (res.note != NULL && strstr (res.note, "selinux") && strstr (res.note, "not enabled"));
  ck_assert_absent (d, "process/selinuxLabel");
  ck_assert_absent (d, "linux/mountLabel");
  ocigate_result_free (&res);
  /* No host checks: the host's state is not judged. */
  eval_lsm (NULL, d, on, false, &res);
  ck_assert_findings (&res, 0);
  ck_assert (res.note == NULL);
  ck_assert_absent (d, "process/selinuxLabel");
  ocigate_result_free (&res);

  /* Unconfined types: rejected always. */
  static const char *const bad[]
      = { "system_u:system_r:spc_t:s0", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
          "system_u:system_r:spc_t" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    for (int host = 0; host < 2; host++)
      {
        char *v = xasprintf ("\"%s\"", bad[i]);
        tu_set (d, "process/selinuxLabel", v);
        free (v);
        eval_lsm (NULL, d, on, host, &res);
        ck_assert_finding (&res, "selinux", REJ, "/process/selinuxLabel");
        ck_assert (res.reject);
        ocigate_result_free (&res);
      }
  /* Near miss: the container type; a type that is not one (by allowlist,
   * even when its name merely contains spc_t) is rejected. */
  tu_set (d, "process/selinuxLabel", "\"system_u:system_r:container_t:s0:c1,c2\"");
  eval_lsm (NULL, d, on, true, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  tu_set (d, "process/selinuxLabel", "\"system_u:system_r:notspc_t:s0:c1,c2\"");
  eval_lsm (NULL, d, on, true, &res);
  ck_assert_finding (&res, "selinux", REJ, "/process/selinuxLabel");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- masked-paths ---- */

START_TEST (test_masked_paths)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/maskedPaths", "[\"/proc/acpi\",\"/proc/kcore/\",\"/proc/extra\"]");
  tu_del (d, "linux/readonlyPaths");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "masked-paths", RW, "/linux/maskedPaths");
  ck_assert_finding (&res, "masked-paths", RW, "/linux/readonlyPaths");
  /* One finding per list naming what is missing; /proc/kcore/ counts. */
  ck_assert_uint_eq (tu_count (&res, "masked-paths"), 2);
  char *dump = tu_dump (&res);
  ck_assert_msg (strstr (dump, "default maskedPaths missing: /proc/asound, /proc/keys,")
                     && !strstr (dump, "/proc/kcore,"),
                 "%s", dump);
  ck_assert (strstr (dump, "default readonlyPaths missing: /proc/bus, /proc/fs, /proc/irq, "
                           "/proc/sys, /proc/sysrq-trigger"));
  free (dump);
  ck_assert_json (d, "linux/maskedPaths",
                  "[\"/proc/acpi\",\"/proc/kcore/\",\"/proc/extra\",\"/proc/asound\","
                  "\"/proc/keys\",\"/proc/latency_stats\",\"/proc/timer_list\","
                  "\"/proc/timer_stats\",\"/proc/sched_debug\",\"/proc/scsi\","
                  "\"/sys/firmware\",\"/sys/devices/virtual/powercap\"]");
  ck_assert_json (d, "linux/readonlyPaths",
                  "[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
                  "\"/proc/sys\",\"/proc/sysrq-trigger\"]");
  ck_assert_json (d, "annotations/ocigate.rewrites", "\"masked-paths\"");
  ocigate_result_free (&res);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- userns-host-root ---- */

START_TEST (test_userns_host_root)
{
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "linux/namespaces", "{\"type\":\"user\"}");
  tu_set (d, "linux/uidMappings",
          "[{\"containerID\":0,\"hostID\":100000,\"size\":1000},"
          "{\"containerID\":1000,\"hostID\":0,\"size\":1}]");
  tu_set (d, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":0,\"size\":65536}]");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "userns-host-root", REJ, "/linux/uidMappings/1");
  ck_assert_finding (&res, "userns-host-root", REJ, "/linux/gidMappings/0");
  ck_assert_uint_eq (tu_count (&res, "userns-host-root"), 2);
  ocigate_result_free (&res);
  /* Near miss: ranges that start above 0, and an empty range at 0. */
  tu_set (d, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":1,\"size\":65536}]");
  tu_set (d, "linux/gidMappings",
          "[{\"containerID\":0,\"hostID\":0,\"size\":0},"
          "{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "userns-host-root"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* ---- proc-fd-cwd ---- */

static bool
cwd_rejected (const char *cwd)
{
  ocigate_doc_t *d = tu_base ();
  char *v = xasprintf ("\"%s\"", cwd);
  tu_set (d, "process/cwd", v);
  free (v);
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  bool r = tu_has (&res, "proc-fd-cwd", REJ, "/process/cwd");
  ck_assert_uint_eq (tu_count (&res, "proc-fd-cwd"), r ? 1u : 0u);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_proc_fd_cwd)
{
  static const char *const bad[] = {
    "/proc/self/fd/7",
    "/proc/1/fd/3",
    "/proc/thread-self/fd/9",
    "//proc/self/./fd/7",
    "/proc/self/fd/7/../../..",
    "/proc/self/fd",
    "/proc/self/task/1/fd/4",
    "/proc/42/task/42/fd/5/",
    /* '..' before the fd link is resolved by the kernel like any other */
    "/proc/self/../self/fd/7",
    "/proc/../proc/1/fd/3",
    "/usr/../proc/self/fd/8",
    "/proc/self/task/../fd/7",
    /* /proc links that lead into a process directory */
    "/proc/thread-self/../../fd/3",
    "/proc/thread-self/fd/3/",
    "/proc/net/../fd/3",
    /* a process's root is the container's root again */
    "/proc/self/root/proc/self/fd/7",
    "/proc/1/root/proc/1/fd/3",
    "/proc/self/root/../proc/self/fd/7",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (cwd_rejected (bad[i]), "%s", bad[i]);
  static const char *const good[] = {
    "/procfs/self/fd",
    "/proc/self/fdinfo",
    "/proc/self/fdinfo/7",
    "/proc/self",
    "/proc/cpuinfo",
    "/work/proc/self/fd/7",
    "/proc/self/fd2",
    "/proc/abc/fd/1",
    "/",
    "/home/proc",
    "/proc/self/root",
    "/proc/self/root/tmp",
    "/proc/net/dev",
    "/proc/self/task/1/fdinfo",
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!cwd_rejected (good[i]), "%s", good[i]);
}
END_TEST

/* ---- image-registry ---- */

/* The keys each engine always writes (tests/unit/test-identity.c judges
 * them in depth). */
#define CTRD_KEYS(type, ns, more)                                                                  \
  "{\"io.kubernetes.cri.container-type\":\"" type "\",\"io.kubernetes.cri.sandbox-id\":\"s1\","    \
  "\"io.kubernetes.cri.sandbox-namespace\":\"" ns "\",\"io.kubernetes.cri.sandbox-name\":\"p\","   \
  "\"io.kubernetes.cri.container-name\":\"c\"" more "}"
#define CTRD_IMAGE ",\"io.kubernetes.cri.image-name\":\"i\""
#define CRIO_KEYS(type, ns, cname, image)                                                          \
  "{\"io.container.manager\":\"cri-o\",\"io.kubernetes.cri-o.ContainerType\":\"" type "\","        \
  "\"io.kubernetes.cri-o.ContainerID\":\"id-" type "\",\"io.kubernetes.cri-o.SandboxID\":"         \
  "\"id-sandbox\",\"io.kubernetes.cri-o.ImageName\":\"" image "\","                                \
  "\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.container.name\\\":\\\"" cname "\\\","      \
  "\\\"io.kubernetes.pod.name\\\":\\\"p\\\",\\\"io.kubernetes.pod.namespace\\\":\\\"" ns           \
  "\\\"}\","                                                                                       \
  "\"io.kubernetes.container.name\":\"" cname "\",\"io.kubernetes.pod.name\":\"p\","               \
  "\"io.kubernetes.pod.namespace\":\"" ns "\"}"

START_TEST (test_image_registry)
{
  ocigate_policy_t *pol = tu_policy ("{\"images\":{\"allowed\":[\"registry.example.com/\","
                                     "\"docker.io/library\"]}}");
  static const char *const cases[][2] = {
    { "registry.example.com/team/app:1.0", NULL },
    { "docker.io/library/nginx:1.25", NULL },
    { "docker.io/library@sha256:0123", NULL },
    { "evil.io/registry.example.com/app", "reject" },
    { "registry.example.com.evil.io/app", "reject" },
    { "docker.io/libraryevil/nginx", "reject" },
    { "quay.io/x/y", "reject" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      ocigate_doc_t *d = tu_base ();
      tu_set (d, "annotations", CTRD_KEYS ("container", "default", ""));
      char *v = xasprintf ("\"%s\"", cases[i][0]);
      tu_set (d, "annotations/io.kubernetes.cri.image-name", v);
      free (v);
      ocigate_result_t res;
      tu_eval (pol, d, &lexical, &res);
      if (cases[i][1])
        ck_assert_finding (&res, "image-registry", REJ, "/annotations");
      else
        ck_assert_msg (tu_count (&res, "image-registry") == 0, "%s", cases[i][0]);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* No engine image annotation: fail closed.  A look-alike key written by
   * a pod author is not the engine's. */
  ocigate_doc_t *d = tu_base ();
  ocigate_result_t res;
  tu_eval (pol, d, &lexical, &res);
  ck_assert_finding (&res, "image-registry", REJ, "/annotations");
  ocigate_result_free (&res);
  tu_set (d, "annotations", "{\"io.kubernetes.cri.image-name\":\"docker.io/library/x\"}");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_finding (&res, "image-registry", REJ, "/annotations");
  ocigate_result_free (&res);
  /* CRI-O's key. */
  tu_set (d, "annotations", CRIO_KEYS ("container", "default", "app", "docker.io/library/x:1"));
  tu_eval (pol, d, &lexical, &res);
  ck_assert_no_finding (&res, "image-registry");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* images.allowed unset: not judged. */
  d = tu_base ();
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "image-registry"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* ---- root-path ---- */

static bool
root_rejected (const char *path, const char *bundle)
{
  ocigate_doc_t *d = tu_base ();
  char *v = xasprintf ("\"%s\"", path);
  tu_set (d, "root/path", v);
  free (v);
  ocigate_eval_opts_t o = { .name = "t", .bundle = bundle };
  ocigate_result_t res;
  tu_eval (NULL, d, &o, &res);
  bool r = tu_has (&res, "root-path", REJ, "/root/path");
  ck_assert_uint_eq (tu_count (&res, "root-path"), r ? 1u : 0u);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_root_path)
{
  static const char *const bad[][2] = {
    { "/", NULL },
    { "/etc", NULL },
    { "/usr/..", NULL },
    { "//", NULL },
    { "/var/lib", NULL },
    { "/run", NULL },
    { "/var/run", NULL },
    { "/proc/1/root", NULL },
    { "/usr/local", NULL },
    { "/var/lib/kubelet/pods/x/rootfs", NULL },
    { "../../..", "/tmp/b/x" },
    { "../../../..", "/tmp/b/x" },
    { "rootfs/../../../../etc", "/tmp/b/x" },
    { "../../..", "/run/containerd/io.containerd.runtime.v2.task/k8s.io/ID" },
    { "/var/lib/containerd", NULL },
    { "/run/containerd", NULL },
    /* without the host, ".." from the bundle cannot be judged */
    { "../x/rootfs", "/tmp/b/bundle" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (root_rejected (bad[i][0], bad[i][1] ? bad[i][1] : "/tmp/bundle"), "%s",
                   bad[i][0]);
  static const char *const good[][2] = {
    { "rootfs", "/tmp/bundle" },
    { "rootfs", "/run/containerd/io.containerd.runtime.v2.task/k8s.io/ID" },
    { "/var/lib/containers/storage/overlay/x/merged", "/tmp/bundle" },
    { "/run/containerd/io.containerd.runtime.v2.task/k8s.io/ID/rootfs", "/tmp/bundle" },
    { "/var/lib/docker/overlay2/x/merged", "/tmp/bundle" },
    { "/home/user/.local/share/containers/storage/overlay/x/merged", "/tmp/bundle" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!root_rejected (good[i][0], good[i][1]), "%s", good[i][0]);
}
END_TEST

/* ---- net-devices ---- */

START_TEST (test_net_devices)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/netDevices", "{\"eth1\":{\"name\":\"net0\"},\"a/b\":{}}");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "net-devices", REJ, "/linux/netDevices/eth1");
  ck_assert_finding (&res, "net-devices", REJ, "/linux/netDevices/a~1b");
  ck_assert_uint_eq (tu_count (&res, "net-devices"), 2);
  ocigate_result_free (&res);
  /* Near miss: an empty object. */
  tu_set (d, "linux/netDevices", "{}");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "net-devices"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* ---- mount-propagation ---- */

START_TEST (test_mount_propagation)
{
  static const char *const shared[] = { "shared", "rshared" };
  for (size_t i = 0; i < ARRAY_SIZE (shared); i++)
    {
      char *o = xasprintf ("[\"rbind\",\"%s\"]", shared[i]);
      ocigate_doc_t *d = with_mount ("bind", "/tmp/data", o);
      free (o);
      ocigate_result_t res;
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "mount-propagation", REJ, "/mounts/" NEW_MOUNT "/options");
      ck_assert_uint_eq (tu_count (&res, "mount-propagation"), 1);
      ocigate_result_free (&res);
      ocigate_doc_free (d);

      d = tu_base ();
      char *v = xasprintf ("\"%s\"", shared[i]);
      tu_set (d, "linux/rootfsPropagation", v);
      free (v);
      tu_eval (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "mount-propagation", REJ, "/linux/rootfsPropagation");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  /* Near misses: private, slave and rslave; a non-bind mount whose last
   * word is private (runc applies the words to every mount: a tmpfs left
   * rshared trips, tests/unit/test-mounts.c). */
  static const char *const fine[]
      = { "[\"rbind\",\"rprivate\"]", "[\"rbind\",\"rslave\"]", "[\"bind\",\"slave\"]" };
  for (size_t i = 0; i < ARRAY_SIZE (fine); i++)
    {
      ocigate_doc_t *d = with_mount ("bind", "/tmp/data", fine[i]);
      ck_assert_uint_eq (count_rule (d, NULL, NULL, "mount-propagation"), 0);
      ocigate_doc_free (d);
    }
  ocigate_doc_t *d = with_mount ("tmpfs", "tmpfs", "[\"rshared\",\"rprivate\"]");
  tu_set (d, "linux/rootfsPropagation", "\"rslave\"");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "mount-propagation"), 0);
  ocigate_doc_free (d);
}
END_TEST

/* ---- runtime-annotations ---- */

START_TEST (test_runtime_annotations)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "annotations",
          "{\"io.kubernetes.cri.container-type\":\"container\","
          "\"run.oci.seccomp_fail_unknown_syscall\":\"1\","
          "\"org.systemd.property.Delegate\":\"true\","
          "\"keep.me\":\"yes\","
          "\"org.criu.config\":\"/tmp/x\","
          "\"bundle\":\"/x\","
          "\"run.oci\":\"not a prefix match\","
          "\"bundle.other\":\"kept\"}");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "runtime-annotations", RW,
                     "/annotations/run.oci.seccomp_fail_unknown_syscall");
  ck_assert_finding (&res, "runtime-annotations", RW, "/annotations/org.systemd.property.Delegate");
  ck_assert_finding (&res, "runtime-annotations", RW, "/annotations/org.criu.config");
  ck_assert_finding (&res, "runtime-annotations", RW, "/annotations/bundle");
  ck_assert_uint_eq (tu_count (&res, "runtime-annotations"), 4);
  ck_assert_json (d, "annotations",
                  "{\"io.kubernetes.cri.container-type\":\"container\","
                  "\"keep.me\":\"yes\",\"run.oci\":\"not a prefix match\","
                  "\"bundle.other\":\"kept\","
                  "\"ocigate.rewrites\":\"runtime-annotations\"}");
  ocigate_result_free (&res);
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- process-limits ---- */

START_TEST (test_process_limits)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/oomScoreAdj", "-1000");
  tu_set (d, "process/scheduler", "{\"policy\":\"SCHED_FIFO\",\"priority\":50}");
  tu_set (d, "process/ioPriority", "{\"class\":\"IOPRIO_CLASS_RT\",\"priority\":0}");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "process-limits", WARN, "/process/oomScoreAdj");
  ck_assert_finding (&res, "process-limits", WARN, "/process/scheduler/policy");
  ck_assert_finding (&res, "process-limits", WARN, "/process/ioPriority/class");
  ck_assert_findings (&res, 3);
  ck_assert (!res.reject && !res.changed);
  ocigate_result_free (&res);
  static const char *const rt[] = { "\"SCHED_RR\"", "\"SCHED_DEADLINE\"" };
  for (size_t i = 0; i < ARRAY_SIZE (rt); i++)
    {
      tu_set (d, "process/scheduler/policy", rt[i]);
      ck_assert_uint_eq (count_rule (d, NULL, NULL, "process-limits"), 3);
    }
  /* Near misses. */
  tu_set (d, "process/oomScoreAdj", "500");
  tu_set (d, "process/scheduler/policy", "\"SCHED_BATCH\"");
  tu_set (d, "process/ioPriority/class", "\"IOPRIO_CLASS_BE\"");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "process-limits"), 0);
  tu_set (d, "process/oomScoreAdj", "0");
  ck_assert_uint_eq (count_rule (d, NULL, NULL, "process-limits"), 0);
  /* Baseline: off. */
  tu_set (d, "process/oomScoreAdj", "-999");
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  ck_assert_uint_eq (count_rule (d, pol, NULL, "process-limits"), 0);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

/* ---- rewrites record, presets, overrides, modes ---- */

START_TEST (test_rewrites_annotation)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/noNewPrivileges", "false");
  tu_del (d, "root/readonly");
  tu_del (d, "linux/seccomp");
  tu_set (d, "annotations", "{\"a\":\"b\"}");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert (res.changed);
  /* Catalogue order, the existing annotation kept first. */
  ck_assert_json (d, "annotations",
                  "{\"a\":\"b\",\"ocigate.rewrites\":"
                  "\"no-new-privileges,readonly-rootfs,seccomp\"}");
  ocigate_result_free (&res);

  /* A second pass that rewrites something else merges with the record. */
  tu_set (d, "linux/maskedPaths", "[]");
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_json (d, "annotations/ocigate.rewrites",
                  "\"no-new-privileges,readonly-rootfs,seccomp,masked-paths\"");
  ocigate_result_free (&res);
  /* Nothing to rewrite: the record stays as it is. */
  char *before = doc_text (d);
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert (!res.changed);
  char *after = doc_text (d);
  ck_assert_str_eq (before, after);
  free (before);
  free (after);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* No annotations object yet: created. */
  d = tu_base ();
  tu_del (d, "root/readonly");
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_json (d, "annotations", "{\"ocigate.rewrites\":\"readonly-rootfs\"}");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* A config that trips nearly every rule at once. */
static ocigate_doc_t *
everything_wrong (void)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
  tu_set (d, "process/capabilities/bounding", "[\"CAP_SYS_ADMIN\",\"CAP_NOPE\"]");
  tu_set (d, "process/noNewPrivileges", "false");
  tu_set (d, "process/apparmorProfile", "\"unconfined\"");
  tu_set (d, "process/selinuxLabel", "\"system_u:system_r:spc_t:s0\"");
  tu_set (d, "process/cwd", "\"/proc/self/fd/7\"");
  tu_set (d, "process/oomScoreAdj", "-1000");
  tu_set (d, "root/readonly", "false");
  tu_del (d, "linux/seccomp");
  tu_del (d, "linux/namespaces/0");
  tu_set (d, "linux/maskedPaths", "[]");
  tu_set (d, "linux/readonlyPaths", "[]");
  tu_set (d, "linux/sysctl", "{\"kernel.core_pattern\":\"|/x\"}");
  tu_set (d, "linux/devices", "[{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}]");
  tu_append (d, "linux/resources/devices", "{\"allow\":true,\"access\":\"rwm\"}");
  tu_set (d, "linux/netDevices", "{\"eth1\":{}}");
  tu_set (d, "linux/rootfsPropagation", "\"shared\"");
  tu_set (d, "hooks", "{\"prestart\":[{\"path\":\"/bin/evil\"}]}");
  tu_set (d, "annotations", "{\"run.oci.keep_original_groups\":\"1\"}");
  tu_append (d, "mounts",
             "{\"destination\":\"/host\",\"type\":\"bind\",\"source\":\"/\","
             "\"options\":[\"rbind\",\"rshared\"]}");
  tu_append (d, "mounts", "{\"destination\":\"/proc/sys\",\"type\":\"proc\",\"source\":\"proc\"}");
  return d;
}

START_TEST (test_preset_privileged_warns)
{
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"privileged\"}");
  ocigate_doc_t *d = everything_wrong ();
  char *before = doc_text (d);
  ocigate_result_t res;
  eval_lsm (pol, d, (tu_host_t){ .apparmor = true, .apparmor_loaded = 0, .selinux = true }, true,
            &res);
  ck_assert (res.n > 15);
  for (size_t i = 0; i < res.n; i++)
    ck_assert_msg (res.f[i].action == WARN, "%s is %s", ocigate_rule_info (res.f[i].rule)->id,
                   ocigate_action_name (res.f[i].action));
  ck_assert (!res.reject && !res.changed);
  ck_assert_uint_eq (res.preset, OCIGATE_PRESET_PRIVILEGED);
  char *after = doc_text (d);
  ck_assert_str_eq (before, after);
  free (before);
  free (after);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_preset_baseline)
{
  ocigate_policy_t *pol = tu_policy ("{\"preset\":\"baseline\"}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
  tu_set (d, "process/noNewPrivileges", "false");
  tu_set (d, "root/readonly", "false");
  tu_set (d, "process/capabilities/bounding", "[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]");
  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  /* root-user, root-group, no-new-privileges, readonly-rootfs are off. */
  ck_assert_no_finding (&res, "root-user");
  ck_assert_no_finding (&res, "root-group");
  ck_assert_no_finding (&res, "no-new-privileges");
  ck_assert_no_finding (&res, "readonly-rootfs");
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/bounding/1");
  ck_assert_findings (&res, 1);
  ck_assert (!res.reject && res.changed);
  ck_assert_json (d, "process/capabilities/bounding", "[\"CAP_CHOWN\"]");
  ck_assert_json (d, "process/user", "{\"uid\":0,\"gid\":0}");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_rule_overrides)
{
  ocigate_result_t res;
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/capabilities/bounding", "[\"CAP_CHOWN\"]");
  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"capabilities\":\"reject\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", REJ, "/process/capabilities/bounding/0");
  ck_assert (res.reject && !res.changed);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  pol = tu_policy ("{\"rules\":{\"capabilities\":\"warn\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", WARN, "/process/capabilities/bounding/0");
  ck_assert (!res.reject && !res.changed);
  ck_assert_json (d, "process/capabilities/bounding", "[\"CAP_CHOWN\"]");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  pol = tu_policy ("{\"rules\":{\"capabilities\":\"off\"}}");
  tu_append (d, "process/capabilities/bounding", "\"CAP_NOPE\"");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_findings (&res, 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);

  /* A warn override keeps an unknown name a warning. */
  pol = tu_policy ("{\"rules\":{\"capabilities\":\"warn\"}}");
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", WARN, "/process/capabilities/bounding/1");
  ck_assert (!res.reject);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* A reject rule turned off, a warn rule raised to reject. */
  d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
  pol = tu_policy ("{\"rules\":{\"root-user\":\"off\",\"root-group\":\"reject\"}}");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_no_finding (&res, "root-user");
  ck_assert_finding (&res, "root-group", REJ, "/process/user/gid");
  ck_assert (res.reject);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_modes)
{
  static const char *const modes[] = { "{\"mode\":\"warn\"}", "{\"mode\":\"audit\"}" };
  for (size_t i = 0; i < ARRAY_SIZE (modes); i++)
    {
      ocigate_policy_t *pol = tu_policy (modes[i]);
      ocigate_doc_t *d = everything_wrong ();
      char *before = doc_text (d);
      ocigate_result_t res;
      tu_rewrite (pol, d, &lexical, &res);
      /* The findings keep their actions (what would happen) ... */
      ck_assert (tu_has (&res, "root-user", REJ, "/process/user/uid"));
      ck_assert (tu_has (&res, "seccomp", RW, "/linux/seccomp"));
      /* ... but nothing is rejected and nothing changes. */
      ck_assert (!res.reject && !res.changed);
      ck_assert_uint_eq (res.mode, i == 0 ? OCIGATE_MODE_WARN : OCIGATE_MODE_AUDIT);
      char *after = doc_text (d);
      ck_assert_str_eq (before, after);
      free (before);
      free (after);
      ocigate_result_free (&res);

      /* A config with rewrites only: still untouched. */
      ocigate_doc_t *r = tu_base ();
      tu_del (r, "linux/seccomp");
      before = doc_text (r);
      tu_rewrite (pol, r, &lexical, &res);
      ck_assert (!res.changed);
      after = doc_text (r);
      ck_assert_str_eq (before, after);
      free (before);
      free (after);
      ocigate_result_free (&res);
      ocigate_doc_free (r);
      ocigate_doc_free (d);
      ocigate_policy_free (pol);
    }
}
END_TEST

START_TEST (test_result_message)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user", "{\"uid\":0,\"gid\":0}");
  tu_set (d, "process/noNewPrivileges", "false");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  char *m = ocigate_result_message (&res);
  /* spec section 5: the most severe first, one line per finding. */
  const char *want = "ocigate: rejected by policy restricted: root-user: process runs as host "
                     "root (uid 0) at /process/user/uid; fix: set "
                     "securityContext.runAsNonRoot/runAsUser or USER in the image\n";
  ck_assert_msg (strncmp (m, want, strlen (want)) == 0, "%s", m);
  /* A rejection lists what rejected; the rest is counted, not spelled out. */
  ck_assert_msg (strstr (m, "no-new-privileges") == NULL, "%s", m);
  ck_assert_msg (strstr (m, "\nocigate: and 2 more findings to fix") != NULL, "%s", m);
  free (m);
  ocigate_result_free (&res);
  /* Without a rejection every finding is listed, most severe first. */
  tu_set (d, "process/user", "{\"uid\":1000,\"gid\":0}");
  tu_eval (NULL, d, &lexical, &res);
  m = ocigate_result_message (&res);
  ck_assert_msg (
      strncmp (m, "ocigate: findings by policy restricted: no-new-privileges: ", 59) == 0, "%s", m);
  ck_assert (strstr (m, "\nocigate: root-group: ") > strstr (m, "no-new-privileges"));
  free (m);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- exemptions: only what the engine itself writes ---- */

/* The result's context borrows from the document: keep one document per
 * test alive until the end (freed by the next call with NULL). */
static ocigate_result_t
judge_annotated (const ocigate_policy_t *pol, const char *annotations)
{
  static ocigate_doc_t *d;
  ocigate_result_t res = { 0 };
  ocigate_doc_free (d);
  d = NULL;
  if (annotations == NULL)
    return res;
  d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_set (d, "annotations", annotations);
  tu_eval (pol, d, &lexical, &res);
  return res;
}

START_TEST (test_exemptions)
{
  ocigate_policy_t *pol = tu_policy ("{\"exemptions\":[{\"namespaces\":[\"kube-system\"],"
                                     "\"preset\":\"privileged\"}]}");
  static const char *const exempt[] = {
    CTRD_KEYS ("container", "kube-system", CTRD_IMAGE),
    CTRD_KEYS ("sandbox", "kube-system", ""),
    CRIO_KEYS ("container", "kube-system", "app", "x"),
    CRIO_KEYS ("sandbox", "kube-system", "POD", "x"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (exempt); i++)
    {
      ocigate_result_t res = judge_annotated (pol, exempt[i]);
      ck_assert_msg (res.exemption == 0, "%s", exempt[i]);
      ck_assert_uint_eq (res.preset, OCIGATE_PRESET_PRIVILEGED);
      ck_assert_finding (&res, "root-user", WARN, "/process/user/uid");
      ck_assert (!res.reject);
      ck_assert_str_eq (res.ctx.namespace, "kube-system");
      ocigate_result_free (&res);
    }

  /* Look-alikes a pod author can write: not the engine's keys. */
  static const char *const not_exempt[] = {
    /* no container type: not written by containerd */
    "{\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}",
    /* not all of the keys containerd always writes */
    "{\"io.kubernetes.cri.container-type\":\"container\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}",
    /* a CRI-O container's namespace is the kubelet's label, not this key */
    "{\"io.kubernetes.cri-o.ContainerType\":\"container\","
    "\"io.kubernetes.cri-o.Namespace\":\"kube-system\"}",
    /* wrong case */
    "{\"io.kubernetes.cri-o.ContainerType\":\"container\","
    "\"io.kubernetes.cri-o.namespace\":\"kube-system\"}",
    "{\"io.kubernetes.cri-o.Namespace\":\"kube-system\"}",
    "{\"io.kubernetes.pod.namespace\":\"kube-system\"}",
    "{\"io.kubernetes.cri.container-type\":\"container\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"default\","
    "\"io.kubernetes.pod.namespace\":\"kube-system\"}",
    /* CRI-O copies pod annotations into config.json: containerd's keys
     * next to CRI-O's own are a pod author's */
    "{\"io.kubernetes.cri.container-type\":\"container\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\","
    "\"io.kubernetes.cri-o.ContainerType\":\"container\","
    "\"io.kubernetes.cri-o.Namespace\":\"default\"}",
    "{\"io.kubernetes.cri-o.ContainerType\":\"container\","
    "\"io.kubernetes.cri-o.Namespace\":\"default\","
    "\"io.kubernetes.cri.container-type\":\"container\","
    "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (not_exempt); i++)
    {
      ocigate_result_t res = judge_annotated (pol, not_exempt[i]);
      ck_assert_msg (res.exemption == -1, "exempted by %s", not_exempt[i]);
      ck_assert_uint_eq (res.preset, OCIGATE_PRESET_RESTRICTED);
      ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
      ck_assert (res.reject);
      ocigate_result_free (&res);
    }
  ocigate_policy_free (pol);

  /* Images (prefix) and container types; an exemption without a preset
   * keeps the policy's preset and overrides only its rules. */
  pol = tu_policy ("{\"rules\":{\"process-limits\":\"reject\"},"
                   "\"exemptions\":[{\"images\":[\"registry.k8s.io/pause\"],"
                   "\"container_types\":[\"sandbox\"],\"rules\":{\"root-user\":\"warn\"}}]}");
  ocigate_result_t res = judge_annotated (
      pol,
      CTRD_KEYS ("sandbox", "default",
                 ",\"io.kubernetes.cri.podsandbox.image-name\":\"registry.k8s.io/pause:3.9\""));
  ck_assert_int_eq (res.exemption, 0);
  ck_assert_uint_eq (res.preset, OCIGATE_PRESET_RESTRICTED);
  ck_assert_finding (&res, "root-user", WARN, "/process/user/uid");
  ocigate_result_free (&res);
  res = judge_annotated (pol, CTRD_KEYS ("container", "default",
                                         ",\"io.kubernetes.cri.image-name\":"
                                         "\"registry.k8s.io/pause:3.9\""));
  ck_assert_int_eq (res.exemption, -1);
  ocigate_result_free (&res);
  res = judge_annotated (
      pol,
      CTRD_KEYS ("sandbox", "default",
                 ",\"io.kubernetes.cri.podsandbox.image-name\":\"registry.k8s.io/pause-evil:1\""));
  ck_assert_int_eq (res.exemption, -1);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  judge_annotated (NULL, NULL);
}
END_TEST

START_TEST (test_exemption_preset_capabilities)
{
  /* An exemption that names a preset starts from that preset alone: the
   * policy's own capabilities.allowed does not follow it. */
  ocigate_policy_t *pol = tu_policy ("{\"capabilities\":{\"allowed\":[\"CAP_NET_BIND_SERVICE\"]},"
                                     "\"exemptions\":[{\"namespaces\":[\"infra\"],"
                                     "\"preset\":\"baseline\"}]}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/capabilities/bounding", "[\"CAP_CHOWN\"]");
  tu_set (d, "annotations", CTRD_KEYS ("container", "infra", CTRD_IMAGE));
  ocigate_result_t res;
  tu_eval (pol, d, &lexical, &res);
  ck_assert_int_eq (res.exemption, 0);
  ck_assert_no_finding (&res, "capabilities");
  ocigate_result_free (&res);
  tu_set (d, "annotations/io.kubernetes.cri.sandbox-namespace", "\"default\"");
  tu_eval (pol, d, &lexical, &res);
  ck_assert_finding (&res, "capabilities", RW, "/process/capabilities/bounding/0");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_rule_table)
{
  /* Every rule of spec section 4, in catalogue order, with defaults. */
  static const struct
  {
    const char *id;
    ocigate_action_t restricted, baseline;
  } want[] = {
    { "root-user", REJ, OCIGATE_ACTION_OFF },
    { "root-group", WARN, OCIGATE_ACTION_OFF },
    { "privileged", REJ, REJ },
    { "host-namespaces", REJ, REJ },
    { "host-mounts", REJ, REJ },
    { "kernel-mounts", REJ, REJ },
    { "devices", REJ, REJ },
    { "hooks", REJ, REJ },
    { "sysctls", REJ, REJ },
    { "capabilities", RW, RW },
    { "no-new-privileges", RW, OCIGATE_ACTION_OFF },
    { "readonly-rootfs", RW, OCIGATE_ACTION_OFF },
    { "seccomp", RW, RW },
    { "apparmor", RW, RW },
    { "selinux", RW, RW },
    { "masked-paths", RW, RW },
    { "userns-host-root", REJ, REJ },
    { "proc-fd-cwd", REJ, REJ },
    { "image-registry", REJ, REJ },
    { "root-path", REJ, REJ },
    { "net-devices", REJ, REJ },
    { "mount-propagation", REJ, REJ },
    { "runtime-annotations", RW, RW },
    { "process-limits", WARN, OCIGATE_ACTION_OFF },
    { "cgroups-path", REJ, REJ },
    { "resource-limits", RW, OCIGATE_ACTION_OFF },
  };
  ck_assert_uint_eq (ARRAY_SIZE (want), OCIGATE_RULE_COUNT);
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      const ocigate_rule_info_t *ri = ocigate_rule_info ((ocigate_rule_id_t)r);
      ck_assert_str_eq (ri->id, want[r].id);
      ck_assert_int_eq (ocigate_rule_lookup (want[r].id), r);
      ck_assert_int_eq (ri->defaults[OCIGATE_PRESET_RESTRICTED], want[r].restricted);
      ck_assert_int_eq (ri->defaults[OCIGATE_PRESET_BASELINE], want[r].baseline);
      ck_assert_int_eq (ri->defaults[OCIGATE_PRESET_PRIVILEGED], WARN);
      ck_assert (ri->description && *ri->description && ri->fix && *ri->fix);
      /* A rule whose default is rewrite can rewrite. */
      if (want[r].restricted == RW || want[r].baseline == RW)
        ck_assert_msg (ocigate_rule_can_rewrite ((ocigate_rule_id_t)r), "%s", ri->id);
    }
  ck_assert_int_eq (ocigate_rule_lookup ("nope"), -1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("rules");
  TCase *tc = tcase_create ("rules");
  tcase_add_test (tc, test_base_is_clean);
  tcase_add_test (tc, test_rule_table);
  tcase_add_test (tc, test_root_user);
  tcase_add_test (tc, test_root_user_missing_user);
  tcase_add_test (tc, test_root_user_rewrite);
  tcase_add_test (tc, test_root_group);
  tcase_add_test (tc, test_privileged);
  tcase_add_test (tc, test_host_namespaces_missing);
  tcase_add_test (tc, test_host_namespaces_paths);
  tcase_add_test (tc, test_host_namespaces_host_checks);
  tcase_add_test (tc, test_host_namespaces_other_netns);
  tcase_add_test (tc, test_host_mounts);
  tcase_add_test (tc, test_host_mounts_symlinks);
  tcase_add_test (tc, test_host_mounts_policy);
  tcase_add_test (tc, test_kernel_mounts);
  tcase_add_test (tc, test_devices);
  tcase_add_test (tc, test_hooks);
  tcase_add_test (tc, test_sysctls);
  tcase_add_test (tc, test_capabilities_restricted);
  tcase_add_test (tc, test_capabilities_baseline);
  tcase_add_test (tc, test_capabilities_unknown);
  tcase_add_test (tc, test_capabilities_subset_of_bounding);
  tcase_add_test (tc, test_capabilities_rewrite);
  tcase_add_test (tc, test_no_new_privileges);
  tcase_add_test (tc, test_readonly_rootfs);
  tcase_add_test (tc, test_seccomp_missing);
  tcase_add_test (tc, test_seccomp_allowing_default);
  tcase_add_test (tc, test_seccomp_weak_names);
  tcase_add_test (tc, test_seccomp_arg_filters);
  tcase_add_test (tc, test_seccomp_blocking_actions);
  tcase_add_test (tc, test_seccomp_dangerous_per_policy);
  tcase_add_test (tc, test_seccomp_clone);
  tcase_add_test (tc, test_seccomp_reject_if_configured);
  tcase_add_test (tc, test_apparmor);
  tcase_add_test (tc, test_selinux);
  tcase_add_test (tc, test_masked_paths);
  tcase_add_test (tc, test_userns_host_root);
  tcase_add_test (tc, test_proc_fd_cwd);
  tcase_add_test (tc, test_image_registry);
  tcase_add_test (tc, test_root_path);
  tcase_add_test (tc, test_net_devices);
  tcase_add_test (tc, test_mount_propagation);
  tcase_add_test (tc, test_runtime_annotations);
  tcase_add_test (tc, test_process_limits);
  tcase_add_test (tc, test_rewrites_annotation);
  tcase_add_test (tc, test_preset_privileged_warns);
  tcase_add_test (tc, test_preset_baseline);
  tcase_add_test (tc, test_rule_overrides);
  tcase_add_test (tc, test_modes);
  tcase_add_test (tc, test_result_message);
  tcase_add_test (tc, test_exemptions);
  tcase_add_test (tc, test_exemption_preset_capabilities);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
