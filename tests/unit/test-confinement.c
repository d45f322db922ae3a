/* SPDX-License-Identifier: Apache-2.0 */
/* Confinement: the seccomp analysis and tightening on the engines' own
 * profiles and on crafted weak ones, per-architecture spellings resolved
 * with libseccomp, AppArmor and SELinux injection on substitute hosts, and
 * the LSM adapters' parsers (loaded-profiles list, lxc_contexts, MCS pair
 * choice) fed with files and numbers of the test's own. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif
#ifdef HAVE_APPARMOR
#include <sys/apparmor.h>
#endif
#ifdef HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#include "selinux-internal.h"
#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define WARN OCIGATE_ACTION_WARN

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = "/tmp/ocigate-bundle" };

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

/* ---- helpers ---- */

static ocigate_doc_t *
fixture (const char *name)
{
  char *path = xasprintf ("%s/generated/%s", TEST_DATA, name);
  char *buf = NULL;
  size_t len = 0;
  ocigate_error_t err = NULL;
  ck_assert_msg (ocigate_read_file (path, 1 << 24, &buf, &len, &err) == 0, "%s: %s", path,
                 err ? err->msg : "?");
  ocigate_doc_t *d = tu_parse (buf);
  free (buf);
  free (path);
  return d;
}

static ocigate_doc_t *
with_seccomp (const char *profile)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/seccomp", profile);
  return d;
}

static bool
weak (const char *profile)
{
  ocigate_doc_t *d = with_seccomp (profile);
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  ocigate_doc_free (d);
  bool w = m != NULL;
  free (m);
  return w;
}

/* "{defaultAction ERRNO, syscalls:[{names:[NAME], action:ACTION, args:[ARGS]}]}" */
static char *
one_rule (const char *name, const char *action, const char *args)
{
  return xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"%s\"],"
                    "\"action\":\"%s\"%s%s%s}]}",
                    name, action, args ? ",\"args\":[" : "", args ? args : "", args ? "]" : "");
}

static bool
weak_rule (const char *name, const char *action, const char *args)
{
  char *p = one_rule (name, action, args);
  bool w = weak (p);
  free (p);
  return w;
}

/* Does the message name `name` as let through, with `why` in its reason?
 * Items are "NAME (REASON)", separated by ", "; reasons hold no ')'. */
static bool
lists (const char *msg, const char *name, const char *why)
{
  const char *p = NULL;
  for (const char *q = msg; (q = strstr (q, name)) != NULL; q++)
    if ((q - msg >= 2 && (strncmp (q - 2, ": ", 2) == 0 || strncmp (q - 2, ", ", 2) == 0))
        && strncmp (q + strlen (name), " (", 2) == 0)
      {
        p = q;
        break;
      }
  if (p == NULL)
    return false;
  const char *end = strchr (p, ')');
  const char *w = strstr (p, why);
  return end != NULL && w != NULL && w < end;
}

/* Is `name` an item of the comma-separated list after "among them "? */
static bool
among (const char *msg, const char *name)
{
  const char *l = strstr (msg, "among them ");
  if (l == NULL)
    return false;
  l += strlen ("among them ");
  size_t n = strlen (name);
  for (const char *q = l; (q = strstr (q, name)) != NULL; q++)
    if ((q == l || strncmp (q - 2, ", ", 2) == 0) && (q[n] == ',' || q[n] == '\0'))
      return true;
  return false;
}

/* Every name of every allowing entry of the profile at linux/seccomp. */
static bool
allowed_anywhere (ocigate_doc_t *d, const char *name)
{
  const ocigate_json_t *calls = oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      const char *a = oj_str (oj_get (c, "action"));
      if (strcmp (a, "SCMP_ACT_ALLOW") != 0 && strcmp (a, "SCMP_ACT_LOG") != 0
          && strcmp (a, "SCMP_ACT_TRACE") != 0 && strcmp (a, "SCMP_ACT_NOTIFY") != 0)
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (oj_str_eq (oj_at (names, j), name))
          return true;
    }
  return false;
}

/* The entries of the embedded default profile that name `name`. */
static const ocigate_json_t *
default_entry (const char *name)
{
  const ocigate_json_t *calls
      = oj_get (ocigate_doc_root (tu_default_policy ()->seccomp_profile), "syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *names = oj_get (oj_at (calls, i), "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (oj_str_eq (oj_at (names, j), name))
          return oj_at (calls, i);
    }
  return NULL;
}

/* ---- the engines' own profiles ---- */

/* The fixtures run as root with the engines' capabilities: judge only
 * seccomp, so that no other rule rejects them before the rewrite. */
static ocigate_policy_t *
seccomp_only (void)
{
  return tu_policy ("{\"preset\":\"privileged\",\"rules\":{\"seccomp\":\"rewrite\"}}");
}

START_TEST (test_containerd_runtimedefault)
{
  ocigate_policy_t *pol = seccomp_only ();
  /* containerd 1.6's RuntimeDefault as the CRI plugin wrote it: only
   * io_uring (allowed before containerd#9320) is let through. */
  ocigate_doc_t *d = fixture ("cri-container-runtimedefault.json");
  char *m = tu_message (d, pol, &lexical, "seccomp");
  ck_assert_msg (m != NULL, "RuntimeDefault should be weak");
  ck_assert_str_eq (m, "profile lets through: io_uring_enter (unconditional allow), "
                       "io_uring_register (unconditional allow), io_uring_setup "
                       "(unconditional allow)");
  free (m);

  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/syscalls");
  ocigate_result_free (&res);
  for (size_t i = 0; i < tu_n_dangerous; i++)
    ck_assert_msg (!allowed_anywhere (d, tu_dangerous[i]), "%s still allowed", tu_dangerous[i]);
  /* Its own clone filter and clone3 rule are kept, nothing appended. */
  const ocigate_json_t *calls = oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls");
  ck_assert_uint_eq (oj_len (calls), 11);
  ck_assert_json (d, "linux/seccomp/defaultAction", "\"SCMP_ACT_ERRNO\"");
  m = tu_message (d, pol, &lexical, "seccomp");
  ck_assert_msg (m == NULL, "tightened profile still weak: %s", m);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_podman_default)
{
  ocigate_policy_t *pol = seccomp_only ();
  /* podman 4.3's default as it wrote it for a container without
   * CAP_SYS_ADMIN: mount, unshare, clone and friends allowed outright. */
  ocigate_doc_t *d = fixture ("podman.json");
  char *m = tu_message (d, pol, &lexical, "seccomp");
  ck_assert_msg (m != NULL, "podman's profile should be weak");
  static const char *const unconditional[]
      = { "keyctl", "mount", "pivot_root", "reboot", "setns", "umount2", "unshare" };
  for (size_t i = 0; i < ARRAY_SIZE (unconditional); i++)
    ck_assert_msg (lists (m, unconditional[i], "unconditional allow"), "%s in %s", unconditional[i],
                   m);
  ck_assert_msg (lists (m, "clone", "without the namespace-flag filter"), "%s", m);
  ck_assert_msg (lists (m, "clone3", "its flags cannot be filtered"), "%s", m);
  /* Other spellings of mount/umount2 that podman allows. */
  static const char *const aliases[] = { "umount", "fsopen",     "fsconfig",  "fsmount",
                                         "fspick", "move_mount", "open_tree", "mount_setattr" };
  for (size_t i = 0; i < ARRAY_SIZE (aliases); i++)
    ck_assert_msg (lists (m, aliases[i], "same operation as"), "%s in %s", aliases[i], m);
  ck_assert_msg (lists (m, "umount", "same operation as umount2"), "%s", m);
  /* Names it blocks itself are not listed (bpf, the module calls, ...). */
  ck_assert_msg (strstr (m, "bpf") == NULL && strstr (m, "init_module") == NULL, "%s", m);
  free (m);

  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ocigate_result_free (&res);
  for (size_t i = 0; i < tu_n_dangerous; i++)
    ck_assert_msg (!allowed_anywhere (d, tu_dangerous[i]), "%s still allowed", tu_dangerous[i]);
  for (size_t i = 0; i < ARRAY_SIZE (aliases); i++)
    ck_assert_msg (!allowed_anywhere (d, aliases[i]), "%s still allowed", aliases[i]);
  /* clone and clone3 handled as the default profile does. */
  const ocigate_json_t *calls = oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls");
  size_t n = oj_len (calls);
  ck_assert (oj_equal (oj_at (calls, n - 2), default_entry ("clone")));
  ck_assert (oj_equal (oj_at (calls, n - 1), default_entry ("clone3")));
  ck_assert_json (d, "linux/seccomp/defaultErrnoRet", "38");
  /* The rest of podman's list survives: it still runs what podman runs. */
  ck_assert (allowed_anywhere (d, "read") && allowed_anywhere (d, "epoll_wait")
             && allowed_anywhere (d, "socket"));
  m = tu_message (d, pol, &lexical, "seccomp");
  ck_assert_msg (m == NULL, "tightened profile still weak: %s", m);
  /* Idempotent. */
  char *once = tu_json_at (d, "linux/seccomp");
  tu_rewrite (pol, d, &lexical, &res);
  ocigate_result_free (&res);
  char *twice = tu_json_at (d, "linux/seccomp");
  ck_assert_str_eq (once, twice);
  free (once);
  free (twice);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_podman_unconfined)
{
  ocigate_policy_t *pol = seccomp_only ();
  /* --security-opt seccomp=unconfined writes no profile: the default goes in. */
  ocigate_doc_t *d = fixture ("podman-seccomp-unconfined.json");
  ck_assert_absent (d, "linux/seccomp");
  ocigate_result_t res;
  tu_rewrite (pol, d, &lexical, &res);
  ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp");
  ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                       ocigate_doc_root (tu_default_policy ()->seccomp_profile)));
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  ocigate_policy_free (pol);
}
END_TEST

/* ---- what makes a profile weak ---- */

START_TEST (test_weak_default_action)
{
  static const char *const actions[]
      = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY" };
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"%s\",\"syscalls\":[{\"names\":[\"mount\","
                           "\"bpf\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"unshare\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                           "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                           actions[i]);
      ocigate_doc_t *d = with_seccomp (p);
      free (p);
      char *m = tu_message (d, NULL, &lexical, "seccomp");
      ck_assert_msg (m && strstr (m, actions[i]), "%s: %s", actions[i], m);
      /* The finding names what the default lets through: everything
       * dangerous but what an entry blocks outright. */
      ck_assert_msg (among (m, "umount2") && among (m, "io_uring_setup") && among (m, "clone")
                         && among (m, "clone3") && among (m, "unshare"),
                     "%s", m);
      ck_assert_msg (!among (m, "bpf") && !among (m, "mount"), "%s", m);
      free (m);
      ocigate_result_t res;
      tu_rewrite (NULL, d, &lexical, &res);
      ck_assert_finding (&res, "seccomp", RW, "/linux/seccomp/defaultAction");
      ocigate_result_free (&res);
      ck_assert (oj_equal (oj_path (ocigate_doc_root (d), "linux/seccomp"),
                           ocigate_doc_root (tu_default_policy ()->seccomp_profile)));
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_blocking_actions)
{
  /* Dangerous names blocked by any blocking action, under any blocking
   * default: not weak. */
  static const char *const actions[]
      = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
          "SCMP_ACT_ERRNO" };
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    for (size_t k = 0; k < ARRAY_SIZE (actions); k++)
      {
        char *p = xasprintf ("{\"defaultAction\":\"%s\",\"syscalls\":[{\"names\":[\"mount\","
                             "\"umount\",\"unshare\",\"clone\",\"clone3\",\"io_uring_setup\","
                             "\"fsopen\"],\"action\":\"%s\"},{\"names\":[\"read\",\"write\"],"
                             "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                             actions[k], actions[i]);
        ck_assert_msg (!weak (p), "%s", p);
        free (p);
      }
  /* The same names under an allowing action: weak, each of them. */
  static const char *const allowing[]
      = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY" };
  for (size_t i = 0; i < ARRAY_SIZE (allowing); i++)
    for (size_t j = 0; j < tu_n_dangerous; j++)
      ck_assert_msg (weak_rule (tu_dangerous[j], allowing[i], NULL), "%s %s", tu_dangerous[j],
                     allowing[i]);
  /* TRACE says why: a tracer in the container resumes the call. */
  char *p = one_rule ("mount", "SCMP_ACT_TRACE", NULL);
  ocigate_doc_t *d = with_seccomp (p);
  free (p);
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (lists (m, "mount", "tracer"), "%s", m);
  free (m);
  ocigate_doc_free (d);
  /* Not on the list: ptrace and process_vm_* (spec section 4). */
  ck_assert (!weak_rule ("ptrace", "SCMP_ACT_ALLOW", NULL));
  ck_assert (!weak_rule ("process_vm_writev", "SCMP_ACT_ALLOW", NULL));
  /* The embedded profile is not weak. */
  d = tu_base ();
  m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (m == NULL, "%s", m);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_arg_filters)
{
  /* No comparison on a dangerous syscall restricts it: a filter cannot be
   * shown to exclude the dangerous use (unshare allowed for some flags
   * still creates a user namespace; a mask test can match every value). */
  static const char *const one[] = {
    "{\"index\":0,\"value\":0,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":268435456,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":0,\"valueTwo\":1,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GE\"}",
    "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_GE\"}",
    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_GT\"}",
    "{\"index\":0,\"value\":4,\"op\":\"SCMP_CMP_LE\"}",
    "{\"index\":0,\"value\":4,\"op\":\"SCMP_CMP_LT\"}",
    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_NE\"}",
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}",
    "{\"index\":0,\"value\":268435456,\"op\":\"SCMP_CMP_EQ\"}",
    ("{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
     "{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_GE\"}"),
  };
  static const char *const actions[]
      = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY" };
  for (size_t a = 0; a < ARRAY_SIZE (actions); a++)
    for (size_t i = 0; i < ARRAY_SIZE (one); i++)
      for (size_t n = 0; n < tu_n_dangerous; n++)
        ck_assert_msg (weak_rule (tu_dangerous[n], actions[a], one[i]), "%s %s %s", tu_dangerous[n],
                       actions[a], one[i]);

  /* Two on the same argument (runc ORs them): weak, reported as filtered,
   * and tightening removes the name. */
  char *p = one_rule ("unshare", "SCMP_ACT_ALLOW",
                      "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_GE\"},"
                      "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}");
  ocigate_doc_t *d = with_seccomp (p);
  free (p);
  char *m = tu_message (d, NULL, &lexical, "seccomp");
  ck_assert_msg (m && lists (m, "unshare", "an argument filter does not restrict it"), "%s", m);
  free (m);
  ocigate_result_t res;
  tu_rewrite (NULL, d, &lexical, &res);
  ocigate_result_free (&res);
  ck_assert (!allowed_anywhere (d, "unshare"));
  ocigate_doc_free (d);
  /* Near miss: the same filters on a syscall that is not dangerous. */
  for (size_t i = 0; i < ARRAY_SIZE (one); i++)
    ck_assert_msg (!weak_rule ("personality", "SCMP_ACT_ALLOW", one[i]), "%s", one[i]);
}
END_TEST

START_TEST (test_clone_filters)
{
  static const struct
  {
    const char *arches; /* NULL: none listed */
    const char *args;
    bool weak;
  } cases[] = {
    /* the engines' and ocigate's filter */
    { NULL, "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      false },
    { "\"SCMP_ARCH_X86_64\"",
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}", false },
    /* a wider mask is fine, a narrower one is not */
    { NULL, "{\"index\":0,\"value\":4294967295,\"valueTwo\":17,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      false },
    { NULL, "{\"index\":0,\"value\":268435456,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      true },
    /* the mask must require the flags to be clear */
    { NULL,
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":268435456,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      true },
    /* the filter on argument 1 checks the stack pointer on x86/arm: only
     * s390 has the flags there */
    { "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"",
      "{\"index\":1,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}", true },
    { NULL, "{\"index\":1,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      true },
    { "\"SCMP_ARCH_S390X\",\"SCMP_ARCH_S390\"",
      "{\"index\":1,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}", false },
    /* only the mask filter counts, even where another comparison happens
     * to exclude every namespace flag (fork's SIGCHLD, values below
     * CLONE_NEWNS) */
    { NULL, "{\"index\":0,\"value\":17,\"op\":\"SCMP_CMP_EQ\"}", true },
    { NULL, "{\"index\":0,\"value\":268435473,\"op\":\"SCMP_CMP_EQ\"}", true },
    { NULL, "{\"index\":0,\"value\":131072,\"op\":\"SCMP_CMP_LT\"}", true },
    { NULL, "{\"index\":0,\"value\":131072,\"op\":\"SCMP_CMP_LE\"}", true },
    { NULL, "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_NE\"}", true },
    /* a condition on another argument does not filter the flags */
    { NULL, "{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}", true },
    /* ANDed with the filter: still filtered */
    { NULL,
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
      "{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}",
      false },
    /* ORed (same argument twice) with a condition that lets flags through */
    { NULL,
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
      "{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_NE\"}",
      true },
    { NULL,
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
      "{\"index\":0,\"value\":17,\"op\":\"SCMP_CMP_EQ\"}",
      true },
    { NULL,
      "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
      "{\"index\":0,\"value\":4294967295,\"valueTwo\":17,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
      false },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\"%s%s%s,\"syscalls\":[{\"names\":"
                           "[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[%s]}]}",
                           cases[i].arches ? ",\"architectures\":[" : "",
                           cases[i].arches ? cases[i].arches : "", cases[i].arches ? "]" : "",
                           cases[i].args);
      ck_assert_msg (weak (p) == cases[i].weak, "%s", p);
      free (p);
    }
  /* clone without any filter, and clone3 always. */
  ck_assert (weak_rule ("clone", "SCMP_ACT_ALLOW", NULL));
  ck_assert (weak_rule ("clone3", "SCMP_ACT_ALLOW", NULL));
  ck_assert (
      weak_rule ("clone3", "SCMP_ACT_ALLOW", "{\"index\":1,\"value\":88,\"op\":\"SCMP_CMP_EQ\"}"));
  ck_assert (!weak_rule ("clone3", "SCMP_ACT_ERRNO", NULL));
}
END_TEST

/* ---- per-architecture names ---- */

START_TEST (test_per_arch_spellings)
{
#ifdef HAVE_SECCOMP
  /* `umount` is a syscall of its own only on 32-bit x86 (22): libseccomp
   * knows it there and nowhere else we target, so a profile allowing it
   * lets 32-bit programs on an x86_64 host unmount. */
  ck_assert_int_eq (seccomp_syscall_resolve_name_arch (SCMP_ARCH_X86, "umount"), 22);
  ck_assert_int_lt (seccomp_syscall_resolve_name_arch (SCMP_ARCH_X86_64, "umount"), 0);
  ck_assert_int_lt (seccomp_syscall_resolve_name_arch (SCMP_ARCH_AARCH64, "umount"), 0);
  /* Every dangerous name and every other spelling is a syscall on at least
   * one architecture we target (no typo can hide in the lists). */
  static const uint32_t arches[]
      = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
  static const char *const spellings[]
      = { "umount",     "fsopen",    "fsconfig",      "fsmount",    "fspick",
          "move_mount", "open_tree", "mount_setattr", "quotactl_fd" };
  for (size_t k = 0; k < 2; k++)
    {
      const char *const *names = k ? spellings : tu_dangerous;
      size_t n = k ? ARRAY_SIZE (spellings) : tu_n_dangerous;
      for (size_t i = 0; i < n; i++)
        {
          int found = 0;
          for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
            found += seccomp_syscall_resolve_name_arch (arches[a], names[i]) >= 0;
          ck_assert_msg (found > 0, "%s resolves on no target architecture", names[i]);
        }
    }
  /* iopl/ioperm exist only on x86; kexec_file_load not on 32-bit x86. */
  ck_assert_int_lt (seccomp_syscall_resolve_name_arch (SCMP_ARCH_AARCH64, "iopl"), 0);
  ck_assert_int_lt (seccomp_syscall_resolve_name_arch (SCMP_ARCH_X86, "kexec_file_load"), 0);
  /* Each is caught as the operation it performs, whatever the profile's
   * architectures (runc adds the native one anyway). */
  static const char *const arch_lists[]
      = { "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"",
          "\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"", "\"SCMP_ARCH_X86\"" };
  for (size_t l = 0; l < ARRAY_SIZE (arch_lists); l++)
    for (size_t i = 0; i < ARRAY_SIZE (spellings); i++)
      {
        char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[%s],"
                             "\"syscalls\":[{\"names\":[\"read\",\"%s\"],"
                             "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                             arch_lists[l], spellings[i]);
        ocigate_doc_t *d = with_seccomp (p);
        free (p);
        char *m = tu_message (d, NULL, &lexical, "seccomp");
        const char *of = strcmp (spellings[i], "umount") == 0        ? "umount2"
                         : strcmp (spellings[i], "quotactl_fd") == 0 ? "quotactl"
                                                                     : "mount";
        char *why = xasprintf ("same operation as %s", of);
        ck_assert_msg (m && lists (m, spellings[i], why), "%s: %s", spellings[i], m);
        free (why);
        free (m);
        ocigate_result_t res;
        tu_rewrite (NULL, d, &lexical, &res);
        ocigate_result_free (&res);
        char *names = tu_json (
            oj_get (oj_at (oj_path (ocigate_doc_root (d), "linux/seccomp/syscalls"), 0), "names"));
        ck_assert_str_eq (names, "[\"read\"]");
        free (names);
        ocigate_doc_free (d);
      }
  /* The embedded profile: no dangerous name and no other spelling is
   * allowed, and every name resolves on at least one of its arches. */
  ocigate_doc_t *d = tu_base ();
  for (size_t i = 0; i < ARRAY_SIZE (spellings); i++)
    ck_assert_msg (!allowed_anywhere (d, spellings[i]), "%s", spellings[i]);
  ocigate_doc_free (d);
  const ocigate_json_t *prof = ocigate_doc_root (tu_default_policy ()->seccomp_profile);
  const ocigate_json_t *calls = oj_get (prof, "syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *names = oj_get (oj_at (calls, i), "names");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          int found = 0;
          for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
            found += seccomp_syscall_resolve_name_arch (arches[a], oj_str (oj_at (names, j))) >= 0;
          ck_assert_msg (found > 0, "%s", oj_str (oj_at (names, j)));
        }
    }
#endif
}
END_TEST

START_TEST (test_policy_dangerous)
{
  /* seccomp.dangerous extends the list, per policy: a cached list of one
   * policy never leaks into the judgement under another. */
  ocigate_policy_t *a = tu_policy ("{\"seccomp\":{\"dangerous\":[\"ptrace\",\"mount\"]}}");
  ocigate_policy_t *b = tu_policy ("{\"seccomp\":{\"dangerous\":[\"kcmp\"]}}");
  char *p = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                       "[\"ptrace\",\"kcmp\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  for (int round = 0; round < 2; round++)
    {
      ocigate_doc_t *d = with_seccomp (p);
      char *m = tu_message (d, a, &lexical, "seccomp");
      ck_assert_msg (m && lists (m, "ptrace", "unconditional") && !strstr (m, "kcmp"), "%s", m);
      free (m);
      m = tu_message (d, b, &lexical, "seccomp");
      ck_assert_msg (m && lists (m, "kcmp", "unconditional") && !strstr (m, "ptrace"), "%s", m);
      free (m);
      m = tu_message (d, NULL, &lexical, "seccomp");
      ck_assert_msg (m == NULL, "%s", m);
      ocigate_doc_free (d);
    }
  free (p);
  ocigate_policy_free (a);
  ocigate_policy_free (b);
}
END_TEST

/* ---- AppArmor on substitute hosts ---- */

static void
eval_host (const ocigate_policy_t *pol, ocigate_doc_t *d, const ocigate_host_ops_t *host,
           ocigate_result_t *res)
{
  ocigate_eval_opts_t o
      = { .name = "t", .bundle = "/tmp/ocigate-bundle", .host_checks = true, .host = host };
  tu_rewrite (pol, d, &o, res);
}

START_TEST (test_apparmor_hosts)
{
  ocigate_result_t res;
  /* enabled, profile loaded: injected */
  ocigate_doc_t *d = tu_base ();
  eval_host (NULL, d, tu_host ((tu_host_t){ .apparmor = true, .apparmor_loaded = 1 }), &res);
  ck_assert_finding (&res, "apparmor", RW, "/process/apparmorProfile");
  ck_assert (!res.reject && res.changed);
  ck_assert_json (d, "process/apparmorProfile", "\"ocigate-default\"");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* enabled, not loaded (0) or cannot tell (-1) */
  for (int loaded = -1; loaded <= 0; loaded++)
    {
      const ocigate_host_ops_t *h
          = tu_host ((tu_host_t){ .apparmor = true, .apparmor_loaded = loaded });
      /* require true (the default): rejected, nothing written */
      d = tu_base ();
      eval_host (NULL, d, h, &res);
      ck_assert_finding (&res, "apparmor", REJ, "/process/apparmorProfile");
      ck_assert (res.reject);
      ck_assert_absent (d, "process/apparmorProfile");
      char *msg = ocigate_result_message (&res);
      ck_assert_msg (strstr (msg, "ocigate-default") && strstr (msg, "not loaded"), "%s", msg);
      free (msg);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
      /* require false: a warning, nothing injected, the container runs */
      ocigate_policy_t *pol = tu_policy ("{\"apparmor\":{\"require\":false}}");
      d = tu_base ();
      eval_host (pol, d, h, &res);
      ck_assert_finding (&res, "apparmor", WARN, "/process/apparmorProfile");
      ck_assert (!res.reject && !res.changed);
      ck_assert_absent (d, "process/apparmorProfile");
      ocigate_result_free (&res);
      ocigate_policy_free (pol);
      ocigate_doc_free (d);
    }

  /* disabled: nothing, whatever the loaded list says */
  d = tu_base ();
  eval_host (NULL, d, tu_host ((tu_host_t){ .apparmor = false, .apparmor_loaded = 1 }), &res);
  ck_assert_uint_eq (tu_count (&res, "apparmor"), 0);
  ck_assert (!res.changed);
  ck_assert_absent (d, "process/apparmorProfile");
  ocigate_result_free (&res);

  /* unconfined: rejected on every host */
  tu_set (d, "process/apparmorProfile", "\"unconfined\"");
  for (int on = 0; on < 2; on++)
    {
      eval_host (NULL, d, tu_host ((tu_host_t){ .apparmor = on, .apparmor_loaded = 1 }), &res);
      ck_assert_finding (&res, "apparmor", REJ, "/process/apparmorProfile");
      ck_assert (res.reject);
      ocigate_result_free (&res);
    }
  ocigate_doc_free (d);
}
END_TEST

static char *
temp_file (const char *content)
{
  char *path = xstrdup ("/tmp/ocigate-test-XXXXXX");
  int fd = mkstemp (path);
  ck_assert (fd >= 0);
  size_t len = strlen (content);
  ck_assert (write (fd, content, len) == (ssize_t)len);
  close (fd);
  return path;
}

START_TEST (test_apparmor_profiles_list)
{
  /* What <securityfs>/apparmor/profiles looks like. */
  strbuf_t b = { 0 };
  strbuf_puts (&b, "docker-default (enforce)\n"
                   "ocigate-default-old (enforce)\n"
                   "/usr/sbin/cupsd (enforce)\n"
                   "site profile (complain)\n"
                   "odd (name) (kill)\n"
                   ":lxd-c1:ns-only (enforce)\n"
                   "no-mode-line\n");
  /* A name longer than any fixed line buffer, ending in one we look for:
   * only a whole line counts. */
  for (int i = 0; i < 5000; i++)
    strbuf_puts (&b, "x");
  strbuf_puts (&b, "ocigate-default (enforce)\n");
  char *list = temp_file (b.s);
  free (b.s);
  static const struct
  {
    const char *name;
    int want;
  } cases[] = {
    { "docker-default", 1 },
    { "/usr/sbin/cupsd", 1 },
    { "site profile", 1 },
    { "odd (name)", 1 },
    { ":lxd-c1:ns-only", 1 },
    { "ocigate-default", 0 },
    { "ocigate", 0 },
    { "site", 0 },
    { "odd", 0 },
    { "ns-only", 0 },
    { "no-mode-line", 0 },
    { "docker-default (enforce)", 0 },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    ck_assert_msg (ocigate_apparmor_profile_listed (list, cases[i].name) == cases[i].want, "%s",
                   cases[i].name);
  unlink (list);
  free (list);

  char *loaded = temp_file ("ocigate-default (enforce)\n");
  ck_assert_int_eq (ocigate_apparmor_profile_listed (loaded, "ocigate-default"), 1);
  unlink (loaded);
  free (loaded);
  /* Last line without a newline. */
  char *nonl = temp_file ("a (enforce)\nocigate-default (complain)");
  ck_assert_int_eq (ocigate_apparmor_profile_listed (nonl, "ocigate-default"), 1);
  unlink (nonl);
  free (nonl);
  char *empty = temp_file ("");
  ck_assert_int_eq (ocigate_apparmor_profile_listed (empty, "ocigate-default"), 0);
  unlink (empty);
  free (empty);
  /* Unreadable: cannot tell (the rule then rejects or warns per policy). */
  ck_assert_int_eq (
      ocigate_apparmor_profile_listed ("/nonexistent/apparmor/profiles", "ocigate-default"), -1);
}
END_TEST

START_TEST (test_real_host_unfaked)
{
  /* The shipped host probe asks libapparmor and libselinux, and nothing
   * in the environment changes its answer. */
  static const char *const vars[]
      = { "OCIGATE_APPARMOR", "OCIGATE_SELINUX", "OCIGATE_LSM", "OCIGATE_HOST" };
  for (int pass = 0; pass < 2; pass++)
    {
      for (size_t i = 0; i < ARRAY_SIZE (vars); i++)
        if (pass)
          setenv (vars[i], "0", 1);
        else
          unsetenv (vars[i]);
#ifdef HAVE_APPARMOR
      ck_assert_int_eq (ocigate_host_real.apparmor_enabled (), aa_is_enabled () == 1);
#endif
#ifdef HAVE_SELINUX
      ck_assert_int_eq (ocigate_host_real.selinux_enabled (), is_selinux_enabled () == 1);
#endif
    }
  for (size_t i = 0; i < ARRAY_SIZE (vars); i++)
    unsetenv (vars[i]);
}
END_TEST

/* ---- SELinux ---- */

static const char lxc_contexts[]
    = "# container contexts\n"
      "process = \"system_u:system_r:container_t:s0\"\n"
      "content = \"system_u:object_r:virt_var_lib_t:s0\"\n"
      "file = \"system_u:object_r:container_file_t:s0\"\n"
      "ro_file=\"system_u:object_r:container_ro_file_t:s0\"\n"
      "sandbox_kvm_process = \"system_u:system_r:container_kvm_t:s0\"\n"
      "sandbox_lxc_process = \"system_u:system_r:container_t:s0\"\n";

START_TEST (test_lxc_contexts_parse)
{
  char *p, *f;
  ck_assert_int_eq (ocigate_selinux_parse_lxc_contexts (lxc_contexts, &p, &f), 0);
  ck_assert_str_eq (p, "system_u:system_r:container_t:s0");
  ck_assert_str_eq (f, "system_u:object_r:container_file_t:s0");
  free (p);
  free (f);
  /* Spacing, unquoted values, CRLF, file before process, look-alike keys. */
  ck_assert_int_eq (ocigate_selinux_parse_lxc_contexts ("ro_file = \"a:b:ro_t:s0\"\r\n"
                                                        "  file=x:y:file_t:s0\r\n"
                                                        "processes = \"no:no:no_t:s0\"\r\n"
                                                        "\tprocess\t=\tu:r:t:s0\r\n",
                                                        &p, &f),
                    0);
  ck_assert_str_eq (p, "u:r:t:s0");
  ck_assert_str_eq (f, "x:y:file_t:s0");
  free (p);
  free (f);
  /* A commented-out key does not count; no process context is an error. */
  ck_assert_int_eq (ocigate_selinux_parse_lxc_contexts ("# process = \"u:r:t:s0\"\n"
                                                        "file = \"u:object_r:f_t:s0\"\n",
                                                        &p, &f),
                    -1);
  ck_assert_ptr_null (p);
  free (f);
  ck_assert_int_eq (ocigate_selinux_parse_lxc_contexts ("process = \"\"\n", &p, &f), -1);
  ck_assert_int_eq (ocigate_selinux_parse_lxc_contexts ("", &p, &f), -1);
}
END_TEST

START_TEST (test_selinux_with_level)
{
  static const struct
  {
    const char *ctx, *type, *level, *want;
  } cases[] = {
    { "system_u:system_r:container_t:s0", NULL, "s0:c1,c2",
      "system_u:system_r:container_t:s0:c1,c2" },
    { "system_u:system_r:container_t:s0", "my_t", "s0:c5,c9", "system_u:system_r:my_t:s0:c5,c9" },
    /* an MLS range is replaced whole */
    { "system_u:system_r:container_t:s0-s0:c0.c1023", NULL, "s0:c3,c4",
      "system_u:system_r:container_t:s0:c3,c4" },
    /* no level: the new one is added; NULL level keeps the old */
    { "u:r:t", NULL, "s0:c1,c2", "u:r:t:s0:c1,c2" },
    { "u:r:t:s0:c7,c8", NULL, NULL, "u:r:t:s0:c7,c8" },
    { "u:r:t", "x_t", NULL, "u:r:x_t:s0" },
    { "u:r", NULL, "s0:c1,c2", NULL },
    { "u", "t", "s0", NULL },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *got = ocigate_selinux_with_level (cases[i].ctx, cases[i].type, cases[i].level);
      if (cases[i].want == NULL)
        ck_assert_msg (got == NULL, "%s -> %s", cases[i].ctx, got);
      else
        ck_assert_msg (got && strcmp (got, cases[i].want) == 0, "%s -> %s, want %s", cases[i].ctx,
                       got, cases[i].want);
      free (got);
    }
}
END_TEST

/* A scripted random source and a record of pairs in use. */
struct draws
{
  const uint32_t *v;
  size_t n, i;
  int fail_at; /* -1: never */
  char used[256][16];
  size_t n_used;
  size_t asked;
};

static int
scripted (uint32_t r[2], void *arg)
{
  struct draws *d = arg;
  if ((int)d->i == d->fail_at * 2 || d->i + 2 > d->n)
    {
      errno = EIO;
      return -1;
    }
  r[0] = d->v[d->i++];
  r[1] = d->v[d->i++];
  return 0;
}

static uint32_t lcg_state = 12345;
static int
pseudo (uint32_t r[2], void *arg)
{
  (void)arg;
  for (int k = 0; k < 2; k++)
    {
      lcg_state = lcg_state * 1103515245u + 12345u;
      r[k] = lcg_state >> 3;
    }
  return 0;
}

static bool
recorded (const char *pair, void *arg)
{
  struct draws *d = arg;
  d->asked++;
  for (size_t i = 0; i < d->n_used; i++)
    if (strcmp (d->used[i], pair) == 0)
      return true;
  return false;
}

static void
record (struct draws *d, const char *label)
{
  const char *lv = strrchr (label, ':');
  ck_assert (lv && d->n_used < ARRAY_SIZE (d->used));
  snprintf (d->used[d->n_used++], sizeof (d->used[0]), "%s", lv + 1);
}

START_TEST (test_selinux_pick_level)
{
  char level[64];
  /* equal categories are skipped; the pair is ordered; values wrap at 1024 */
  static const uint32_t v1[] = { 5, 5, 700, 1024 + 3 };
  struct draws d = { .v = v1, .n = ARRAY_SIZE (v1), .fail_at = -1 };
  ck_assert_int_eq (ocigate_selinux_pick_level (scripted, recorded, &d, level, sizeof (level)), 0);
  ck_assert_str_eq (level, "s0:c3,c700");
  /* a pair in use is skipped */
  static const uint32_t v2[] = { 3, 700, 700, 3, 1, 2 };
  struct draws e = { .v = v2, .n = ARRAY_SIZE (v2), .fail_at = -1 };
  snprintf (e.used[e.n_used++], sizeof (e.used[0]), "c3,c700");
  ck_assert_int_eq (ocigate_selinux_pick_level (scripted, recorded, &e, level, sizeof (level)), 0);
  ck_assert_str_eq (level, "s0:c1,c2");
  ck_assert_uint_eq (e.asked, 3);
  /* every draw taken: gives up after 64 draws */
  uint32_t same[128];
  for (size_t i = 0; i < ARRAY_SIZE (same); i++)
    same[i] = i % 2 ? 700 : 3;
  struct draws f = { .v = same, .n = ARRAY_SIZE (same), .fail_at = -1 };
  snprintf (f.used[f.n_used++], sizeof (f.used[0]), "c3,c700");
  ck_assert_int_eq (ocigate_selinux_pick_level (scripted, recorded, &f, level, sizeof (level)), -1);
  ck_assert_uint_eq (f.asked, 64);
  /* the random source fails */
  struct draws g = { .v = v1, .n = ARRAY_SIZE (v1), .fail_at = 0 };
  ck_assert_int_eq (ocigate_selinux_pick_level (scripted, recorded, &g, level, sizeof (level)), -2);
}
END_TEST

START_TEST (test_selinux_labels_distinct)
{
  /* Labels as the real adapter builds them, from an lxc_contexts text:
   * the process type with an MCS pair, the file context with the same
   * pair.  Each container's pair counts as in use for the next one (as a
   * running container's processes do), so no two labels share a pair. */
  struct draws d = { .fail_at = -1 };
  ocigate_error_t err = NULL;
  for (int i = 0; i < 200; i++)
    {
      char *proc, *mount;
      int r = ocigate_selinux_labels_from (lxc_contexts, "lxc_contexts", i % 2 ? "site_t" : NULL,
                                           pseudo, recorded, &d, &proc, &mount, &err);
      ck_assert_msg (r == 0, "%s", err ? err->msg : "?");
      const char *lp = strrchr (proc, ':'), *lm = strrchr (mount, ':');
      ck_assert_str_eq (lp, lm);
      ck_assert_msg (str_has_prefix (proc, i % 2 ? "system_u:system_r:site_t:s0:c"
                                                 : "system_u:system_r:container_t:s0:c"),
                     "%s", proc);
      ck_assert_msg (str_has_prefix (mount, "system_u:object_r:container_file_t:s0:c"), "%s",
                     mount);
      ck_assert_msg (!recorded (lp + 1, &d), "pair %s issued twice", lp + 1);
      record (&d, proc);
      free (proc);
      free (mount);
    }
  /* Two labels drawn from the same numbers while the first container
   * runs: the second gets another pair. */
  static const uint32_t v[] = { 10, 20, 10, 20, 30, 40 };
  struct draws s = { .v = v, .n = ARRAY_SIZE (v), .fail_at = -1 };
  char *p1, *m1, *p2, *m2;
  ck_assert_int_eq (
      ocigate_selinux_labels_from (lxc_contexts, "x", NULL, scripted, recorded, &s, &p1, &m1, &err),
      0);
  record (&s, p1);
  ck_assert_int_eq (
      ocigate_selinux_labels_from (lxc_contexts, "x", NULL, scripted, recorded, &s, &p2, &m2, &err),
      0);
  ck_assert_str_eq (p1, "system_u:system_r:container_t:s0:c10,c20");
  ck_assert_str_eq (p2, "system_u:system_r:container_t:s0:c30,c40");
  ck_assert_str_eq (m2, "system_u:object_r:container_file_t:s0:c30,c40");
  free (p1);
  free (m1);
  free (p2);
  free (m2);
  /* No process context: an error naming the file. */
  ck_assert_int_eq (ocigate_selinux_labels_from ("file = \"a:b:c:s0\"\n", "/etc/lxc_contexts", NULL,
                                                 pseudo, NULL, NULL, &p1, &m1, &err),
                    -1);
  ck_assert_msg (strstr (err->msg, "/etc/lxc_contexts"), "%s", err->msg);
  ocigate_error_free (&err);
}
END_TEST

/* A host with SELinux on whose labels come from ocigate_selinux_labels_from. */
static struct draws host_draws = { .fail_at = -1 };
static bool se_on;
static bool
se_enabled (void)
{
  return se_on;
}
static bool
aa_off (void)
{
  return false;
}
static int
aa_none (const char *p)
{
  (void)p;
  return 0;
}
static int
se_labels (const char *type, char **p, char **m, ocigate_error_t *err)
{
  int r = ocigate_selinux_labels_from (lxc_contexts, "lxc_contexts", type, pseudo, recorded,
                                       &host_draws, p, m, err);
  if (r == 0)
    record (&host_draws, *p);
  return r;
}
static int
se_check (const char *ctx)
{
  /* a host that knows container_t and nothing unconfined */
  return strstr (ctx, ":container_t:") ? 0 : -1;
}
static const ocigate_host_ops_t se_host
    = { aa_off, aa_none, se_enabled, se_labels, se_check, NULL };

START_TEST (test_selinux_hosts)
{
  ocigate_result_t res;
  se_on = true;
  char *labels[2], *mounts[2];
  for (int i = 0; i < 2; i++)
    {
      ocigate_doc_t *d = tu_base ();
      eval_host (NULL, d, &se_host, &res);
      ck_assert_finding (&res, "selinux", RW, "/process/selinuxLabel");
      ck_assert (!res.reject && res.changed);
      ocigate_result_free (&res);
      labels[i] = xstrdup (oj_str (oj_path (ocigate_doc_root (d), "process/selinuxLabel")));
      mounts[i] = xstrdup (oj_str (oj_path (ocigate_doc_root (d), "linux/mountLabel")));
      ck_assert_msg (str_has_prefix (labels[i], "system_u:system_r:container_t:s0:c"), "%s",
                     labels[i]);
      ck_assert_str_eq (strrchr (labels[i], ':'), strrchr (mounts[i], ':'));
      ck_assert_msg (str_has_prefix (mounts[i], "system_u:object_r:container_file_t:"), "%s",
                     mounts[i]);
      ocigate_doc_free (d);
    }
  ck_assert_str_ne (strrchr (labels[0], ':'), strrchr (labels[1], ':'));
  for (int i = 0; i < 2; i++)
    {
      free (labels[i]);
      free (mounts[i]);
    }

  /* A type the host does not know fails the rewrite (no label guessed). */
  ocigate_policy_t *pol = tu_policy ("{\"selinux\":{\"type\":\"nonexistent_t\"}}");
  ocigate_doc_t *d = tu_base ();
  ocigate_error_t err = NULL;
  ocigate_eval_opts_t o
      = { .name = "t", .bundle = "/tmp/ocigate-bundle", .host_checks = true, .host = &se_host };
  tu_eval (pol, d, &o, &res);
  ck_assert_int_lt (ocigate_apply (pol, d, &o, &res, &err), 0);
  ck_assert_msg (err && strstr (err->msg, "nonexistent_t"), "%s", err ? err->msg : "?");
  ocigate_error_free (&err);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);

  /* Unconfined types: rejected. */
  static const char *const bad[] = { "\"system_u:system_r:spc_t:s0\"",
                                     "\"unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\"" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      d = tu_base ();
      tu_set (d, "process/selinuxLabel", bad[i]);
      eval_host (NULL, d, &se_host, &res);
      ck_assert_finding (&res, "selinux", REJ, "/process/selinuxLabel");
      ck_assert (res.reject);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* Disabled: nothing injected, and the note (carried to the audit line)
   * says why. */
  se_on = false;
  d = tu_base ();
  eval_host (NULL, d, &se_host, &res);
  ck_assert_uint_eq (tu_count (&res, "selinux"), 0);
  ck_assert_absent (d, "process/selinuxLabel");
  ck_assert_absent (d, "linux/mountLabel");
  ck_assert_msg (res.note && strstr (res.note, "selinux") && strstr (res.note, "not enabled"), "%s",
                 res.note ? res.note : "(no note)");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("confinement");
  TCase *tc = tcase_create ("seccomp");
  tcase_add_test (tc, test_containerd_runtimedefault);
  tcase_add_test (tc, test_podman_default);
  tcase_add_test (tc, test_podman_unconfined);
  tcase_add_test (tc, test_weak_default_action);
  tcase_add_test (tc, test_blocking_actions);
  tcase_add_test (tc, test_arg_filters);
  tcase_add_test (tc, test_clone_filters);
  tcase_add_test (tc, test_per_arch_spellings);
  tcase_add_test (tc, test_policy_dangerous);
  suite_add_tcase (s, tc);
  tc = tcase_create ("lsm");
  tcase_add_test (tc, test_apparmor_hosts);
  tcase_add_test (tc, test_apparmor_profiles_list);
  tcase_add_test (tc, test_real_host_unfaked);
  tcase_add_test (tc, test_lxc_contexts_parse);
  tcase_add_test (tc, test_selinux_with_level);
  tcase_add_test (tc, test_selinux_pick_level);
  tcase_add_test (tc, test_selinux_labels_distinct);
  tcase_add_test (tc, test_selinux_hosts);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
