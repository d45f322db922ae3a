/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp rule: inject the default profile where there is none, and
 * find and close what a weak profile lets through. */
#include "config.h"

#include <string.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "engine-internal.h"

/* Spec section 4: syscalls that reach kernel attack surface or host state
 * a container has no business with. */
static const char *const builtin_dangerous[] = {
  "mount",         "umount2",        "unshare",       "setns",           "pivot_root",
  "keyctl",        "add_key",        "request_key",   "bpf",             "kexec_load",
  "kexec_file_load", "init_module",  "finit_module",  "delete_module",   "open_by_handle_at",
  "userfaultfd",   "perf_event_open", "reboot",       "swapon",          "swapoff",
  "acct",          "quotactl",       "iopl",          "ioperm",          "lookup_dcookie",
  "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NS_FLAGS UINT64_C (0x7E020000)

/* The dangerous set, widened to every spelling libseccomp gives the same
 * syscall number on the architectures we target, sorted for bsearch.
 * Built once per process, and only when a profile has to be judged. */
static const ocigate_policy_t *cache_pol;
static char **dangerous;
static size_t n_dangerous;

static int
str_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
add_name (size_t *cap, const char *n)
{
  if (n_dangerous == *cap)
    {
      *cap = *cap ? *cap * 2 : 64;
      dangerous = xrealloc (dangerous, *cap * sizeof (*dangerous));
    }
  dangerous[n_dangerous++] = xstrdup (n);
}

static void
add_spellings (size_t *cap, const char *name)
{
  add_name (cap, name);
#ifdef HAVE_SECCOMP
  static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32,
                                     SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
  for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
    {
      int nr = seccomp_syscall_resolve_name_arch (arches[a], name);
      if (nr < 0)
        continue;
      char *canon = seccomp_syscall_resolve_num_arch (arches[a], nr);
      if (canon && strcmp (canon, name) != 0)
        add_name (cap, canon);
      free (canon);
    }
#endif
}

static void
build_dangerous (const ocigate_policy_t *pol)
{
  size_t cap = 0;
  if (cache_pol == pol && dangerous)
    return;
  for (size_t i = 0; i < n_dangerous; i++)
    free (dangerous[i]);
  n_dangerous = 0;
  for (size_t i = 0; i < ARRAY_SIZE (builtin_dangerous); i++)
    add_spellings (&cap, builtin_dangerous[i]);
  for (size_t i = 0; i < pol->seccomp_dangerous.n; i++)
    add_spellings (&cap, pol->seccomp_dangerous.v[i]);
  qsort (dangerous, n_dangerous, sizeof (*dangerous), str_cmp);
  cache_pol = pol;
}

static bool
is_dangerous (const char *name)
{
  return bsearch (&name, dangerous, n_dangerous, sizeof (*dangerous), str_cmp) != NULL;
}

static bool
allowing (const char *action)
{
  return action && (strcmp (action, "SCMP_ACT_ALLOW") == 0 || strcmp (action, "SCMP_ACT_LOG") == 0);
}

static uint64_t
u64 (const ocigate_json_t *n)
{
  return n && n->type == OJ_NUMBER ? strtoull (n->u.str.s, NULL, 10) : 0;
}

/* Does this argument comparison let every value through? */
static bool
arg_trivial (const ocigate_json_t *a)
{
  const char *op = oj_str (oj_get (a, "op"));
  uint64_t v = u64 (oj_get (a, "value")), v2 = u64 (oj_get (a, "valueTwo"));
  if (op == NULL)
    return true;
  if (strcmp (op, "SCMP_CMP_MASKED_EQ") == 0)
    return v == 0 && v2 == 0;
  if (strcmp (op, "SCMP_CMP_GE") == 0)
    return v == 0;
  if (strcmp (op, "SCMP_CMP_LE") == 0)
    return v == UINT64_MAX;
  return false;
}

static bool
args_restrict (const ocigate_json_t *args)
{
  for (size_t i = 0; i < oj_len (args); i++)
    if (!arg_trivial (oj_at (args, i)))
      return true;
  return false;
}

/* clone is safe to allow only with the namespace flags masked out of its
 * flags argument (index 0; 1 on s390, which we do not target). */
static bool
clone_filtered (const ocigate_json_t *args)
{
  for (size_t i = 0; i < oj_len (args); i++)
    {
      const ocigate_json_t *a = oj_at (args, i);
      int64_t idx = -1;
      oj_int (oj_get (a, "index"), &idx);
      if ((idx == 0 || idx == 1) && oj_str_eq (oj_get (a, "op"), "SCMP_CMP_MASKED_EQ")
          && (u64 (oj_get (a, "value")) & CLONE_NS_FLAGS) == CLONE_NS_FLAGS
          && (u64 (oj_get (a, "valueTwo")) & CLONE_NS_FLAGS) == 0)
        return true;
    }
  return false;
}

/* Why an allowing rule's name is weak, or NULL. */
static const char *
weak_name (const char *name, const ocigate_json_t *args)
{
  if (strcmp (name, "clone") == 0)
    return clone_filtered (args) ? NULL : "allowed without the namespace-flag filter";
  if (strcmp (name, "clone3") == 0)
    return "allowed (its flags cannot be filtered)";
  if (!is_dangerous (name))
    return NULL;
  if (oj_len (args) == 0)
    return "unconditional allow";
  return args_restrict (args) ? NULL : "allowed by an argument filter that does not restrict it";
}

ocigate_json_t *
ocigate_seccomp_default (struct eval *e)
{
  return ocigate_doc_root (e->pol->seccomp_profile);
}

int
check_seccomp (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *sc = oj_path (e->root, "linux/seccomp");
  if (sc == NULL)
    {
      finding (e, "/linux/seccomp", "no seccomp profile: every syscall is reachable");
      return 0;
    }
  const char *def = oj_str (oj_get (sc, "defaultAction"));
  if (allowing (def))
    {
      finding (e, "/linux/seccomp/defaultAction",
               "default action %s lets every unlisted syscall through", def);
      return 0;
    }
  build_dangerous (e->pol);
  strbuf_t b = { 0 };
  const ocigate_json_t *calls = oj_get (sc, "syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      if (!allowing (oj_str (oj_get (c, "action"))))
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      const ocigate_json_t *args = oj_get (c, "args");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          const char *why = weak_name (oj_str (oj_at (names, j)), args);
          if (why)
            strbuf_printf (&b, "%s%s (%s)", b.len ? ", " : "", oj_str (oj_at (names, j)), why);
        }
    }
  if (b.len)
    finding (e, "/linux/seccomp/syscalls", "profile lets through: %s", b.s);
  free (b.s);
  return 0;
}

int
fix_seccomp (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *linux_ = oj_ensure_object (e->doc, e->root, "linux");
  ocigate_json_t *sc = oj_get (linux_, "seccomp");
  ocigate_json_t *def = ocigate_seccomp_default (e);

  if (sc == NULL || sc->type != OJ_OBJECT || allowing (oj_str (oj_get (sc, "defaultAction"))))
    {
      oj_set (e->doc, linux_, "seccomp", oj_copy (e->doc, def));
      return 0;
    }
  build_dangerous (e->pol);
  ocigate_json_t *calls = oj_get (sc, "syscalls");
  bool need_clone = false;
  for (size_t i = oj_len (calls); i-- > 0;)
    {
      ocigate_json_t *c = oj_at (calls, i);
      if (!allowing (oj_str (oj_get (c, "action"))))
        continue;
      ocigate_json_t *names = oj_get (c, "names");
      const ocigate_json_t *args = oj_get (c, "args");
      for (size_t j = oj_len (names); j-- > 0;)
        {
          const char *n = oj_str (oj_at (names, j));
          if (weak_name (n, args) == NULL)
            continue;
          if (strcmp (n, "clone") == 0 || strcmp (n, "clone3") == 0)
            need_clone = true;
          oj_remove_at (names, j);
        }
      if (oj_len (names) == 0)
        oj_remove_at (calls, i);
    }
  if (need_clone)
    {
      /* Take clone/clone3 handling from the default profile. */
      const ocigate_json_t *dcalls = oj_get (def, "syscalls");
      for (size_t i = 0; i < oj_len (dcalls); i++)
        {
          const ocigate_json_t *c = oj_at (dcalls, i);
          const ocigate_json_t *names = oj_get (c, "names");
          for (size_t j = 0; j < oj_len (names); j++)
            if (oj_str_eq (oj_at (names, j), "clone") || oj_str_eq (oj_at (names, j), "clone3"))
              {
                ocigate_json_t *copy = oj_copy (e->doc, c);
                ocigate_json_t *cn = oj_new (e->doc, OJ_ARRAY);
                oj_append (e->doc, cn, oj_copy (e->doc, oj_at (names, j)));
                oj_set (e->doc, copy, "names", cn);
                if (calls == NULL)
                  calls = oj_ensure_array (e->doc, sc, "syscalls");
                oj_append (e->doc, calls, copy);
              }
        }
    }
  return 0;
}

/* For the profile checks in tests and `policy check`: every name of a
 * profile resolves on at least one of its architectures. */
int
ocigate_seccomp_unresolved (const ocigate_json_t *profile, const char *arch_token,
                            strbuf_t *out)
{
  int bad = 0;
#ifdef HAVE_SECCOMP
  uint32_t arch = seccomp_arch_resolve_name (arch_token);
  if (arch == 0)
    return -1;
  const ocigate_json_t *calls = oj_get (profile, "syscalls");
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *names = oj_get (oj_at (calls, i), "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (seccomp_syscall_resolve_name_arch (arch, oj_str (oj_at (names, j))) == __NR_SCMP_ERROR)
          {
            strbuf_printf (out, "%s%s", bad ? " " : "", oj_str (oj_at (names, j)));
            bad++;
          }
    }
#else
  (void) profile;
  (void) arch_token;
  (void) out;
#endif
  return bad;
}
