/* SPDX-License-Identifier: Apache-2.0 */
/* readonly-rootfs with scratch tmpfs, and seccomp.allow: each tmpfs case
 * that adds a mount and its near miss that does not, placement in mount
 * order, the rootfs walk (symlinks, HOME from /etc/passwd), idempotence,
 * and the rewrite of real configs the containerd CRI produced for
 * compliant pods (tests/data/generated/workloads). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define RW OCIGATE_ACTION_REWRITE
#define BUNDLE "/tmp/ocigate-bundle"
#define WORKLOADS TEST_DATA "/generated/workloads"

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = BUNDLE };

/* The base config with a writable root. */
static ocigate_doc_t *
writable (void)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "root/readonly", "false");
  return d;
}

static ocigate_doc_t *
clone_doc (ocigate_doc_t *d)
{
  cleanup_free char *s = tu_json (ocigate_doc_root (d));
  return tu_parse (s);
}

/* Index of the mount at destination dest, or -1. */
static int
mount_index (ocigate_doc_t *d, const char *dest)
{
  const ocigate_json_t *m = oj_get (ocigate_doc_root (d), "mounts");
  for (size_t i = 0; i < oj_len (m); i++)
    if (oj_str_eq (oj_get (oj_at (m, i), "destination"), dest))
      return (int)i;
  return -1;
}

static int
count_dest (ocigate_doc_t *d, const char *dest)
{
  int n = 0;
  const ocigate_json_t *m = oj_get (ocigate_doc_root (d), "mounts");
  for (size_t i = 0; i < oj_len (m); i++)
    n += oj_str_eq (oj_get (oj_at (m, i), "destination"), dest);
  return n;
}

static bool is_scratch (ocigate_doc_t *d, int i);

/* Index of the scratch tmpfs (tmpcopyup) at dest, or -1. */
static int
scratch_index (ocigate_doc_t *d, const char *dest)
{
  const ocigate_json_t *m = oj_get (ocigate_doc_root (d), "mounts");
  for (size_t i = 0; i < oj_len (m); i++)
    if (oj_str_eq (oj_get (oj_at (m, i), "destination"), dest) && is_scratch (d, (int)i))
      return (int)i;
  return -1;
}

/* Compact JSON of mounts[i] (or of its options) */
static char *
mount_json (ocigate_doc_t *d, size_t i, bool options)
{
  const ocigate_json_t *m = oj_at (oj_get (ocigate_doc_root (d), "mounts"), i);
  return tu_json (options ? oj_get (m, "options") : m);
}

static bool
is_scratch (ocigate_doc_t *d, int i)
{
  const ocigate_json_t *m = oj_at (oj_get (ocigate_doc_root (d), "mounts"), (size_t)i);
  const ocigate_json_t *o = oj_get (m, "options");
  bool copyup = false;
  for (size_t k = 0; k < oj_len (o); k++)
    copyup |= oj_str_eq (oj_at (o, k), "tmpcopyup");
  return oj_str_eq (oj_get (m, "type"), "tmpfs") && copyup;
}

/* rewrite, then rewrite again: the second pass changes nothing. */
static void
rewrite_twice (const ocigate_policy_t *pol, ocigate_doc_t *d, const ocigate_eval_opts_t *o,
               ocigate_result_t *res)
{
  tu_rewrite (pol, d, o, res);
  if (res->reject)
    {
      char *dump = tu_dump (res);
      ck_abort_msg ("rejected:\n%s", dump);
    }
  cleanup_free char *once = tu_json (ocigate_doc_root (d));
  ocigate_result_t again;
  tu_rewrite (pol, d, o, &again);
  ck_assert_msg (!again.changed, "second rewrite changed the config");
  cleanup_free char *twice = tu_json (ocigate_doc_root (d));
  ck_assert_str_eq (once, twice);
  ocigate_result_free (&again);
}

static const char *
message_of (const ocigate_result_t *res, const char *rule)
{
  for (size_t i = 0; i < res->n; i++)
    if (strcmp (ocigate_rule_info (res->f[i].rule)->id, rule) == 0)
      return res->f[i].message;
  return "";
}

/* ---- the default scratch list ---- */

START_TEST (test_default_scratch)
{
  ocigate_doc_t *d = writable ();
  ocigate_result_t res;
  rewrite_twice (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "readonly-rootfs", RW, "/root/readonly");
  ck_assert_str_eq (message_of (&res, "readonly-rootfs"),
                    "root filesystem is writable; read-only, it gets scratch tmpfs at /tmp, "
                    "/var/tmp, /run");
  ck_assert_ptr_nonnull (res.note);
  ck_assert_str_eq (res.note, "readonly-rootfs: scratch tmpfs at /tmp, /var/tmp, /run");
  cleanup_free char *root = tu_json_at (d, "root");
  ck_assert_str_eq (root, "{\"path\":\"rootfs\",\"readonly\":true}");
  cleanup_free char *rw = tu_json_at (d, "annotations/ocigate.rewrites");
  ck_assert_str_eq (rw, "\"readonly-rootfs\"");
  /* Appended after the base's 7, in the policy's order, field by field:
   * no noexec (native-library loaders map what they extract to /tmp). */
  ck_assert_int_eq (mount_index (d, "/tmp"), 7);
  ck_assert_int_eq (mount_index (d, "/var/tmp"), 8);
  ck_assert_int_eq (mount_index (d, "/run"), 9);
  cleanup_free char *m = mount_json (d, 9, false);
  ck_assert_str_eq (m, "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                       "\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=64m\","
                       "\"tmpcopyup\"]}");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* Near miss: a root already read-only (the pod asked for it) gets
   * nothing added: it has chosen its own writable places. */
  d = tu_base ();
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "readonly-rootfs");
  ck_assert_int_eq (mount_index (d, "/tmp"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_policy_keys)
{
  /* An empty list: read-only root only. */
  ocigate_policy_t *pol = tu_policy ("{\"readonly_rootfs\":{\"tmpfs\":[]}}");
  ocigate_doc_t *d = writable ();
  ocigate_result_t res;
  rewrite_twice (pol, d, &lexical, &res);
  ck_assert_str_eq (message_of (&res, "readonly-rootfs"), "root filesystem is writable");
  ck_assert_uint_eq (oj_len (oj_get (ocigate_doc_root (d), "mounts")), 7);
  ck_assert_ptr_null (res.note);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* tmpfs_size: "0" is no cap, "10%" of RAM; /var/cache added. */
  pol = tu_policy ("{\"readonly_rootfs\":{\"tmpfs\":[\"/tmp\",\"/var/cache\"],"
                   "\"tmpfs_size\":\"0\"}}");
  d = writable ();
  rewrite_twice (pol, d, &lexical, &res);
  cleanup_free char *m = mount_json (d, 7, true);
  ck_assert_str_eq (m, "[\"nosuid\",\"nodev\",\"mode=1777\",\"tmpcopyup\"]");
  ck_assert_int_eq (mount_index (d, "/var/cache"), 8);
  ck_assert_int_eq (mount_index (d, "/run"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
  pol = tu_policy ("{\"readonly_rootfs\":{\"tmpfs_size\":\"10%\"}}");
  d = writable ();
  tu_rewrite (pol, d, &lexical, &res);
  cleanup_free char *m2 = mount_json (d, 7, true);
  ck_assert_str_eq (m2, "[\"nosuid\",\"nodev\",\"mode=1777\",\"size=10%\",\"tmpcopyup\"]");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* The rule in warn mode says what it would add and adds nothing. */
  pol = tu_policy ("{\"rules\":{\"readonly-rootfs\":\"warn\"}}");
  d = writable ();
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "readonly-rootfs", OCIGATE_ACTION_WARN, "/root/readonly");
  ck_assert_int_eq (mount_index (d, "/tmp"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);

  /* What the loader refuses. */
  static const struct
  {
    const char *json, *err;
  } bad[] = {
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"/\"]}}", "\"/\" is not scratch space" },
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"/proc/x\"]}}", "\"/proc/x\" is not scratch space" },
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"//sys/../sys\"]}}", "is not scratch space" },
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"/dev\"]}}", "is not scratch space" },
    { "{\"readonly_rootfs\":{\"tmpfs\":[\"tmp\"]}}", "is not an absolute path" },
    { "{\"readonly_rootfs\":{\"tmpfs_size\":\"64x\"}}", "is not a tmpfs size" },
    { "{\"readonly_rootfs\":{\"tmpfs_size\":\"m\"}}", "is not a tmpfs size" },
    { "{\"readonly_rootfs\":{\"tmpfs_size\":\"64m,exec\"}}", "is not a tmpfs size" },
    { "{\"readonly_rootfs\":{\"tmpfs_size\":64}}", "expected string" },
    { "{\"readonly_rootfs\":{\"home\":\"yes\"}}", "expected a boolean" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_error_t err = NULL;
      ocigate_policy_t *p
          = ocigate_policy_parse (bad[i].json, strlen (bad[i].json), "p.json", &err);
      ck_assert_msg (p == NULL, "%s accepted", bad[i].json);
      ck_assert_msg (strstr (err->msg, bad[i].err), "%s: %s", bad[i].json, err->msg);
      ocigate_error_free (&err);
    }
}
END_TEST

/* ---- skipped where the container mounts something at or above ---- */

START_TEST (test_covered)
{
  static const struct
  {
    const char *dest;   /* the container's own mount */
    const char *absent; /* scratch tmpfs not added */
    const char *added;  /* scratch tmpfs still added (near miss) */
  } cases[] = {
    { "/tmp", "/tmp", "/var/tmp" },         /* emptyDir at /tmp */
    { "tmp", "/tmp", "/run" },              /* runc: relative is under / */
    { "/tmp/", "/tmp", "/run" },            /* spelling */
    { "/var", "/var/tmp", "/tmp" },         /* /var covers /var/tmp */
    { "/var/run", "/run", "/tmp" },         /* /var/run is /run */
    { "/var/run/", "/run", "/var/tmp" },    /* */
    { "/tmpdata", NULL, "/tmp" },           /* near miss: a sibling */
    { "/var/lib/app", NULL, "/var/tmp" },   /* near miss: a sibling below /var */
    { "/run/secrets", NULL, "/run" },       /* near miss: below /run */
    { "/var/tmpfoo", NULL, "/var/tmp" },    /* near miss: prefix, not a parent */
    { "/data/../tmp", "/tmp", "/var/tmp" }, /* walked as runc walks it */
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      ocigate_doc_t *d = writable ();
      cleanup_free char *m = xasprintf ("{\"destination\":\"%s\",\"type\":\"bind\","
                                        "\"source\":\"/srv/volumes/v\","
                                        "\"options\":[\"rbind\",\"rw\"]}",
                                        cases[i].dest);
      tu_append (d, "mounts", m);
      ocigate_result_t res;
      rewrite_twice (NULL, d, &lexical, &res);
      if (cases[i].absent)
        ck_assert_msg (scratch_index (d, cases[i].absent) == -1, "%s: %s added", cases[i].dest,
                       cases[i].absent);
      int k = mount_index (d, cases[i].added);
      ck_assert_msg (k >= 0 && is_scratch (d, k), "%s: %s not added", cases[i].dest,
                     cases[i].added);
      ck_assert_msg (count_dest (d, cases[i].added) == 1, "%s: %s twice", cases[i].dest,
                     cases[i].added);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_order)
{
  /* A tmpfs added after a mount below it would hide that mount (the
   * service-account token at /var/run/secrets/...): it goes before it. */
  ocigate_doc_t *d = writable ();
  tu_append (d, "mounts",
             "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/x/hosts\","
             "\"options\":[\"rbind\",\"ro\"]}");
  tu_append (d, "mounts",
             "{\"destination\":\"/var/run/secrets/kubernetes.io/serviceaccount\","
             "\"type\":\"bind\",\"source\":\"/srv/volumes/t\","
             "\"options\":[\"rbind\",\"ro\"]}");
  tu_append (d, "mounts",
             "{\"destination\":\"/tmp/.X11-unix\",\"type\":\"bind\",\"source\":\"/x/x11\","
             "\"options\":[\"rbind\",\"ro\"]}");
  ocigate_result_t res;
  rewrite_twice (NULL, d, &lexical, &res);
  int run = mount_index (d, "/run"), sa = mount_index (d, "/var/run/secrets/kubernetes.io/"
                                                          "serviceaccount");
  int tmp = mount_index (d, "/tmp"), x11 = mount_index (d, "/tmp/.X11-unix");
  ck_assert_int_eq (mount_index (d, "/etc/hosts"), 7);
  ck_assert_msg (run >= 0 && run < sa, "/run at %d, the token at %d", run, sa);
  ck_assert_msg (tmp >= 0 && tmp < x11, "/tmp at %d, /tmp/.X11-unix at %d", tmp, x11);
  ck_assert_int_eq (sa, run + 1);
  /* /var/tmp has nothing below it: appended at the end. */
  ck_assert_int_eq (mount_index (d, "/var/tmp"), 12);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- the rootfs, as runc walks it ---- */

static char *
make_rootfs (void)
{
  char tmpl[] = "/tmp/ocigate-rootfs-XXXXXX";
  char *dir = mkdtemp (tmpl);
  ck_assert_ptr_nonnull (dir);
  static const char *const dirs[]
      = { "rootfs",         "rootfs/etc",  "rootfs/run",      "rootfs/var",
          "rootfs/var/lib", "rootfs/home", "rootfs/home/app", "rootfs/data" };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", dir, dirs[i]);
      ck_assert_int_eq (mkdir (p, 0755), 0);
    }
  cleanup_free char *vr = xasprintf ("%s/rootfs/var/run", dir);
  ck_assert_int_eq (symlink ("../run", vr), 0);
  /* /tmp points out of the rootfs with an absolute target: runc keeps it
   * inside, at /data/tmp (missing components are taken as they are). */
  cleanup_free char *t = xasprintf ("%s/rootfs/tmp", dir);
  ck_assert_int_eq (symlink ("/data/tmp", t), 0);
  cleanup_free char *pw = xasprintf ("%s/rootfs/etc/passwd", dir);
  FILE *f = fopen (pw, "w");
  ck_assert_ptr_nonnull (f);
  fputs ("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
         "nohome:x:1001:1001::/:/bin/sh\n",
         f);
  fclose (f);
  return xstrdup (dir);
}

static void
rm_tree (const char *dir)
{
  cleanup_free char *cmd = xasprintf ("rm -rf -- '%s'", dir);
  ck_assert_int_eq (system (cmd), 0);
}

START_TEST (test_rootfs_walk)
{
  cleanup_free char *b = make_rootfs ();
  ocigate_eval_opts_t o = { .name = "t", .bundle = b, .host_checks = true };
  o.host = tu_host ((tu_host_t){ 0 });
  ocigate_doc_t *d = writable ();
  /* Through the image's /var/run -> ../run link this is below /run. */
  tu_append (d, "mounts",
             "{\"destination\":\"/var/run/secrets\",\"type\":\"bind\",\"source\":\"/x/s\","
             "\"options\":[\"rbind\",\"ro\"]}");
  /* ... and this one is /data/tmp, where /tmp leads. */
  tu_append (d, "mounts",
             "{\"destination\":\"/data/tmp/sock\",\"type\":\"bind\",\"source\":\"/x/sock\","
             "\"options\":[\"rbind\",\"ro\"]}");
  ocigate_result_t res;
  rewrite_twice (NULL, d, &o, &res);
  ck_assert_msg (mount_index (d, "/run") == 7, "/run at %d", mount_index (d, "/run"));
  ck_assert_msg (mount_index (d, "/tmp") == 9, "/tmp at %d", mount_index (d, "/tmp"));
  ck_assert_int_eq (mount_index (d, "/var/run/secrets"), 8);
  ck_assert_int_eq (mount_index (d, "/data/tmp/sock"), 10);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* A mount at /data covers /tmp (the link leads there); lexically it
   * would not. */
  d = writable ();
  tu_append (d, "mounts",
             "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
             "\"options\":[\"nosuid\"]}");
  rewrite_twice (NULL, d, &o, &res);
  ck_assert_int_eq (mount_index (d, "/tmp"), -1);
  ck_assert_int_ge (mount_index (d, "/run"), 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = writable ();
  tu_append (d, "mounts",
             "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
             "\"options\":[\"nosuid\"]}");
  tu_rewrite (NULL, d, &lexical, &res);
  ck_assert_int_ge (mount_index (d, "/tmp"), 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  if (geteuid () == 0)
    {
      /* The image's owner of /run survives: tmpfs uid=/gid=. */
      cleanup_free char *run = xasprintf ("%s/rootfs/run", b);
      ck_assert_int_eq (chown (run, 1000, 1001), 0);
      d = writable ();
      tu_rewrite (NULL, d, &o, &res);
      cleanup_free char *opts = mount_json (d, 9, true);
      ck_assert_str_eq (opts, "[\"nosuid\",\"nodev\",\"mode=1777\",\"size=64m\",\"uid=1000\","
                              "\"gid=1001\",\"tmpcopyup\"]");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  rm_tree (b);
}
END_TEST

/* rootfs/tmp -> /l1 -> /l2 ... -> /lN -> target: n links in all. */
static void
link_chain (const char *b, int n, const char *target)
{
  cleanup_free char *t = xasprintf ("%s/rootfs/tmp", b);
  unlink (t);
  ck_assert_int_eq (symlink (n > 1 ? "/l1" : target, t), 0);
  for (int i = 1; i < n; i++)
    {
      cleanup_free char *l = xasprintf ("%s/rootfs/l%d", b, i);
      cleanup_free char *next = i + 1 < n ? xasprintf ("/l%d", i + 1) : xstrdup (target);
      unlink (l);
      ck_assert_int_eq (symlink (next, l), 0);
    }
}

START_TEST (test_link_limit)
{
  cleanup_free char *b = make_rootfs ();
  ocigate_eval_opts_t o = { .name = "t", .bundle = b, .host_checks = true };
  o.host = tu_host ((tu_host_t){ 0 });
  ocigate_result_t res;
  /* runc follows up to 255 links (securejoin): 42 reach /sys/fs/cgroup,
   * no scratch space */
  link_chain (b, 42, "/sys/fs/cgroup");
  ocigate_doc_t *d = writable ();
  tu_rewrite (NULL, d, &o, &res);
  ck_assert (!res.reject);
  ck_assert_int_eq (mount_index (d, "/tmp"), -1);
  ck_assert_int_ge (mount_index (d, "/run"), 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* near miss: 250 links to a plain directory */
  link_chain (b, 250, "/data/t");
  d = writable ();
  tu_rewrite (NULL, d, &o, &res);
  ck_assert (!res.reject);
  ck_assert_int_ge (scratch_index (d, "/tmp"), 0);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* more than runc follows: not judged, refused, no tmpfs added */
  link_chain (b, 300, "/data/t");
  d = writable ();
  tu_eval (NULL, d, &o, &res);
  ck_assert_finding (&res, "readonly-rootfs", OCIGATE_ACTION_REJECT, "/root/readonly");
  ck_assert_msg (strstr (message_of (&res, "readonly-rootfs"), "more than 255 symbolic links"),
                 "%s", message_of (&res, "readonly-rootfs"));
  ocigate_result_free (&res);
  tu_rewrite (NULL, d, &o, &res);
  ck_assert (res.reject);
  ck_assert_int_eq (mount_index (d, "/tmp"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  rm_tree (b);
}
END_TEST

/* Mounts whose destinations climb in and out of /data and /etc, in
 * turn, reps times each.  The first plain prefix of a walk is
 * remembered (/data): each /etc costs one lookup, about reps / 2 per
 * mount. */
static ocigate_doc_t *
climbing (int mounts, int reps)
{
  strbuf_t dst = { 0 }, arr = { 0 };
  for (int k = 0; k < reps; k++)
    strbuf_puts (&dst, k % 2 ? "/etc/.." : "/data/..");
  strbuf_puts (&dst, "/m");
  strbuf_puts (&arr, "[");
  for (int i = 0; i < mounts; i++)
    strbuf_printf (&arr,
                   "%s{\"destination\":\"%s%d\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                   "\"options\":[\"nosuid\"]}",
                   i ? "," : "", dst.s, i);
  strbuf_puts (&arr, "]");
  ocigate_doc_t *d = writable ();
  tu_set (d, "mounts", arr.s);
  free (dst.s);
  free (arr.s);
  return d;
}

START_TEST (test_walk_budget)
{
  cleanup_free char *b = make_rootfs ();
  ocigate_eval_opts_t o = { .name = "t", .bundle = b, .host_checks = true };
  o.host = tu_host ((tu_host_t){ 0 });
  ocigate_result_t res;
  /* 2,300 x 51 lookups: over the budget, refused rather than guessed */
  ocigate_doc_t *d = climbing (2300, 100);
  tu_eval (NULL, d, &o, &res);
  ck_assert_finding (&res, "readonly-rootfs", OCIGATE_ACTION_REJECT, "/root/readonly");
  ck_assert_msg (strstr (message_of (&res, "readonly-rootfs"), "symlink lookups"), "%s",
                 message_of (&res, "readonly-rootfs"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* near miss: 1,700 x 51 fit */
  d = climbing (1700, 100);
  tu_eval (NULL, d, &o, &res);
  ck_assert_msg (!tu_has (&res, "readonly-rootfs", OCIGATE_ACTION_REJECT, "/root/readonly"), "%s",
                 message_of (&res, "readonly-rootfs"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* a missing component costs one lookup, whatever follows it */
  d = climbing (1, 0);
  strbuf_t deep = { 0 };
  strbuf_puts (&deep, "[{\"destination\":\"/nothere");
  for (int k = 0; k < 200000; k++)
    strbuf_puts (&deep, "/a");
  strbuf_puts (&deep, "\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]");
  tu_set (d, "mounts", deep.s);
  free (deep.s);
  tu_eval (NULL, d, &o, &res);
  ck_assert (!tu_has (&res, "readonly-rootfs", OCIGATE_ACTION_REJECT, "/root/readonly"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  rm_tree (b);
}
END_TEST

START_TEST (test_home)
{
  cleanup_free char *b = make_rootfs ();
  ocigate_eval_opts_t o = { .name = "t", .bundle = b, .host_checks = true };
  o.host = tu_host ((tu_host_t){ 0 });
  ocigate_policy_t *pol = tu_policy ("{\"readonly_rootfs\":{\"home\":true}}");
  ocigate_result_t res;

  /* uid 1000: /home/app from the rootfs's /etc/passwd. */
  ocigate_doc_t *d = writable ();
  rewrite_twice (pol, d, &o, &res);
  ck_assert_int_eq (mount_index (d, "/home/app"), 10);
  ck_assert (strstr (message_of (&res, "readonly-rootfs"), "/run, /home/app"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* Near misses: off by default; HOME in the environment wins, as in runc;
   * a home of "/" is never a tmpfs; without host checks there is no
   * rootfs to read. */
  d = writable ();
  tu_rewrite (NULL, d, &o, &res);
  ck_assert_int_eq (mount_index (d, "/home/app"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = writable ();
  tu_append (d, "process/env", "\"HOME=/srv/h\"");
  tu_rewrite (pol, d, &o, &res);
  ck_assert_int_eq (mount_index (d, "/home/app"), -1);
  ck_assert_int_eq (mount_index (d, "/srv/h"), 10);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = writable ();
  tu_append (d, "process/env", "\"HOME=/dev/shm\"");
  tu_rewrite (pol, d, &o, &res);
  ck_assert_uint_eq (oj_len (oj_get (ocigate_doc_root (d), "mounts")), 10);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = writable ();
  tu_set (d, "process/user/uid", "1001");
  tu_rewrite (pol, d, &o, &res);
  ck_assert_uint_eq (oj_len (oj_get (ocigate_doc_root (d), "mounts")), 10);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = writable ();
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_int_eq (mount_index (d, "/home/app"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* An /etc/passwd that is a link is not followed (it could lead to the
   * host's): no home. */
  cleanup_free char *pw = xasprintf ("%s/rootfs/etc/passwd", b);
  cleanup_free char *real = xasprintf ("%s/rootfs/etc/passwd.real", b);
  ck_assert_int_eq (rename (pw, real), 0);
  ck_assert_int_eq (symlink ("passwd.real", pw), 0);
  d = writable ();
  tu_rewrite (pol, d, &o, &res);
  ck_assert_int_eq (mount_index (d, "/home/app"), -1);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
  rm_tree (b);
}
END_TEST

/* ---- seccomp.allow ---- */

static bool
allowed_by (ocigate_doc_t *d, const char *name)
{
  const ocigate_json_t *calls = oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      if (!oj_str_eq (oj_get (c, "action"), "SCMP_ACT_ALLOW"))
        continue;
      const ocigate_json_t *n = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (n); j++)
        if (oj_str_eq (oj_at (n, j), name))
          return true;
    }
  return false;
}

START_TEST (test_seccomp_allow)
{
  static const char *const uring[] = { "io_uring_setup", "io_uring_enter", "io_uring_register" };
  ocigate_policy_t *pol = tu_policy (
      "{\"exemptions\":[{\"namespaces\":[\"db\"],\"seccomp\":{\"allow\":[\"io_uring_setup\","
      "\"io_uring_enter\",\"io_uring_register\"]}}]}");
  ocigate_policy_t *glob = tu_policy ("{\"seccomp\":{\"allow\":[\"userfaultfd\"]}}");
  for (int k = 0; k < 2; k++)
    {
      /* Injected profile: the exempted namespace gets io_uring back; the
       * near miss, another namespace, does not. */
      ocigate_doc_t *d = tu_base ();
      tu_del (d, "linux/seccomp");
      tu_set (
          d, "annotations",
          k ? "{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-"
              "id\":\"s1\","
              "\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.container-name\":\"c\","
              "\"io.kubernetes.cri.image-name\":\"i\","
              "\"io.kubernetes.cri.sandbox-namespace\":\"db\"}"
            : "{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-"
              "id\":\"s1\","
              "\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.container-name\":\"c\","
              "\"io.kubernetes.cri.image-name\":\"i\","
              "\"io.kubernetes.cri.sandbox-namespace\":\"web\"}");
      ocigate_result_t res;
      rewrite_twice (pol, d, &lexical, &res);
      for (size_t i = 0; i < ARRAY_SIZE (uring); i++)
        ck_assert_msg (allowed_by (d, uring[i]) == (k == 1), "%s, namespace %s", uring[i],
                       k ? "db" : "web");
      ck_assert (!allowed_by (d, "userfaultfd"));
      ocigate_result_free (&res);

      /* A profile of the pod's own allowing io_uring: tightened, except
       * where the exemption gives it back. */
      tu_set (d, "linux/seccomp/syscalls/0",
              "{\"names\":[\"io_uring_setup\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}");
      tu_rewrite (pol, d, &lexical, &res);
      ck_assert_msg (tu_count (&res, "seccomp") == (k ? 0u : 1u), "k=%d", k);
      ck_assert (allowed_by (d, "io_uring_setup") == (k == 1));
      ck_assert (allowed_by (d, "read"));
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
  /* Named at the top and in the exemption: one allow rule, each name once. */
  ocigate_policy_t *both
      = tu_policy ("{\"seccomp\":{\"allow\":[\"userfaultfd\",\"io_uring_enter\"]},\"exemptions\":["
                   "{\"namespaces\":[\"db\"],\"seccomp\":{\"allow\":[\"io_uring_enter\"]}}]}");
  ocigate_doc_t *db = tu_base ();
  tu_del (db, "linux/seccomp");
  tu_set (
      db, "annotations",
      "{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"s1\","
      "\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.container-name\":\"c\","
      "\"io.kubernetes.cri.image-name\":\"i\","
      "\"io.kubernetes.cri.sandbox-namespace\":\"db\"}");
  ocigate_result_t r2;
  rewrite_twice (both, db, &lexical, &r2);
  const ocigate_json_t *calls = oj_path (ocigate_doc_root (db), "linux/seccomp/syscalls");
  cleanup_free char *last = tu_json (oj_at (calls, oj_len (calls) - 1));
  ck_assert_str_eq (last, "{\"names\":[\"userfaultfd\",\"io_uring_enter\"],"
                          "\"action\":\"SCMP_ACT_ALLOW\"}");
  ocigate_result_free (&r2);
  ocigate_doc_free (db);
  ocigate_policy_free (both);

  /* The top-level key: every container. */
  ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  ocigate_result_t res;
  rewrite_twice (glob, d, &lexical, &res);
  ck_assert (allowed_by (d, "userfaultfd"));
  ck_assert (!allowed_by (d, "io_uring_setup"));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
  ocigate_policy_free (glob);

  /* Never the core, at the top or in an exemption. */
  static const char *const core[]
      = { "mount",     "umount2",    "unshare",     "setns",        "pivot_root",
          "bpf",       "kexec_load", "init_module", "finit_module", "open_by_handle_at",
          "keyctl",    "add_key",    "request_key", "clone3",       "fsopen",
          "move_mount" };
  for (size_t i = 0; i < ARRAY_SIZE (core); i++)
    for (int k = 0; k < 2; k++)
      {
        cleanup_free char *j
            = k ? xasprintf ("{\"exemptions\":[{\"namespaces\":[\"x\"],\"seccomp\":{\"allow\":["
                             "\"io_uring_enter\",\"%s\"]}}]}",
                             core[i])
                : xasprintf ("{\"seccomp\":{\"allow\":[\"%s\"]}}", core[i]);
        ocigate_error_t err = NULL;
        ocigate_policy_t *p = ocigate_policy_parse (j, strlen (j), "p.json", &err);
        ck_assert_msg (p == NULL, "%s accepted", j);
        cleanup_free char *want = xasprintf ("seccomp.allow: \"%s\" can never be allowed", core[i]);
        ck_assert_msg (strstr (err->msg, want), "%s", err->msg);
        ocigate_error_free (&err);
      }
  static const char *const bad[] = {
    "{\"seccomp\":{\"allow\":[\"IO_URING\"]}}",
    "{\"seccomp\":{\"allow\":[\"\"]}}",
    "{\"exemptions\":[{\"namespaces\":[\"x\"],\"seccomp\":{\"namespaces\":[\"y\"]}}]}",
    "{\"exemptions\":[{\"namespaces\":[\"x\"],\"allow\":[\"io_uring_enter\"]}]}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_error_t err = NULL;
      ocigate_policy_t *p = ocigate_policy_parse (bad[i], strlen (bad[i]), "p.json", &err);
      ck_assert_msg (p == NULL, "%s accepted", bad[i]);
      ocigate_error_free (&err);
    }
}
END_TEST

/* ---- real configs of compliant pods (containerd CRI, runc) ---- */

/* Specs whose pods mount something over a scratch path themselves. */
static const struct
{
  const char *spec;
  const char *own; /* space-separated scratch paths the pod mounts */
} pod_mounts[] = {
  { "emptydir-tmp", "/tmp" },
  { "emptydir-var", "/var/tmp" },
};

/* Is path one of the space-separated words of list? */
static bool
in_words (const char *list, const char *path)
{
  size_t l = strlen (path);
  for (const char *p = list; (p = strstr (p, path)) != NULL; p += l)
    if ((p == list || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
      return true;
  return false;
}

/* Normalised, with /var/run as /run (as in the busybox image of the
 * captures, where /var/run is a link to /run). */
static char *
runc_dest (const char *d)
{
  cleanup_free char *abs = d[0] == '/' ? xstrdup (d) : xasprintf ("/%s", d);
  char *n = ocigate_path_normalize (abs);
  if (ocigate_path_has_prefix (n, "/var/run"))
    {
      char *r = xasprintf ("/run%s", n + 8);
      free (n);
      return r;
    }
  return n;
}

static const char *
own_of (const char *file)
{
  for (size_t i = 0; i < ARRAY_SIZE (pod_mounts); i++)
    if (strstr (file, pod_mounts[i].spec))
      return pod_mounts[i].own;
  return "";
}

START_TEST (test_workloads)
{
  DIR *dir = opendir (WORKLOADS);
  ck_assert_msg (dir != NULL, "%s: %s", WORKLOADS, strerror (errno));
  struct dirent *de;
  size_t n = 0;
  bool seen_own[ARRAY_SIZE (pod_mounts)] = { false };
  while ((de = readdir (dir)) != NULL)
    {
      size_t l = strlen (de->d_name);
      if (l < 6 || strcmp (de->d_name + l - 5, ".json") != 0)
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", WORKLOADS, de->d_name);
      cleanup_free char *buf = NULL;
      size_t len;
      ocigate_error_t err = NULL;
      ck_assert_msg (ocigate_read_file (path, 1 << 24, &buf, &len, &err) == 0, "%s", path);
      ocigate_doc_t *d = tu_parse (buf);
      ocigate_doc_t *orig = clone_doc (d);
      ocigate_result_t res;
      rewrite_twice (NULL, d, &lexical, &res);
      ck_assert_msg (!res.reject, "%s rejected", de->d_name);
      cleanup_free char *ro = tu_json_at (d, "root/readonly");
      ck_assert_msg (strcmp (ro, "true") == 0, "%s: root not read-only", de->d_name);
      const char *own = own_of (de->d_name);
      bool was_ro = oj_path (ocigate_doc_root (orig), "root/readonly")
                    && oj_path (ocigate_doc_root (orig), "root/readonly")->type == OJ_TRUE;
      static const char *const scratch[] = { "/tmp", "/var/tmp", "/run" };
      for (size_t k = 0; k < ARRAY_SIZE (scratch); k++)
        {
          int added = count_dest (d, scratch[k]) - count_dest (orig, scratch[k]);
          bool pod_owns = in_words (own, scratch[k]);
          if (pod_owns)
            for (size_t i = 0; i < ARRAY_SIZE (pod_mounts); i++)
              if (strstr (de->d_name, pod_mounts[i].spec))
                seen_own[i] = true;
          ck_assert_msg (added == (was_ro || pod_owns ? 0 : 1), "%s: %s added %d times", de->d_name,
                         scratch[k], added);
        }
      /* Nothing the engine mounted below a scratch path is hidden. */
      const ocigate_json_t *m = oj_get (ocigate_doc_root (d), "mounts");
      for (size_t i = 0; i < oj_len (m); i++)
        for (size_t j = i + 1; j < oj_len (m); j++)
          {
            cleanup_free char *a = runc_dest (oj_str (oj_get (oj_at (m, i), "destination")));
            cleanup_free char *t = runc_dest (oj_str (oj_get (oj_at (m, j), "destination")));
            ck_assert_msg (!(is_scratch (d, (int)j) && ocigate_path_has_prefix (a, t)),
                           "%s: %s hidden by the tmpfs at %s", de->d_name, a, t);
          }
      n++;
      ocigate_result_free (&res);
      ocigate_doc_free (d);
      ocigate_doc_free (orig);
    }
  closedir (dir);
  ck_assert_msg (n >= 12, "only %zu captured workload configs in %s", n, WORKLOADS);
  for (size_t i = 0; i < ARRAY_SIZE (pod_mounts); i++)
    ck_assert_msg (seen_own[i], "no capture of %s", pod_mounts[i].spec);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("rootfs");
  TCase *tc = tcase_create ("rootfs");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_default_scratch);
  tcase_add_test (tc, test_policy_keys);
  tcase_add_test (tc, test_covered);
  tcase_add_test (tc, test_order);
  tcase_add_test (tc, test_rootfs_walk);
  tcase_add_test (tc, test_link_limit);
  tcase_add_test (tc, test_walk_budget);
  tcase_add_test (tc, test_home);
  tcase_add_test (tc, test_seccomp_allow);
  tcase_add_test (tc, test_workloads);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
