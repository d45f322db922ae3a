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

/* Other names under which the kernel performs the same operation as a
 * dangerous syscall on some architecture we target.  A profile that allows
 * one of these lets the operation through as surely as the listed name:
 * `umount` is x86's old umount(2), a umount2 without flags (runc resolves
 * it on an x86_64 host and adds it to the 32-bit x86 filter); the new mount
 * API attaches mounts without mount(2); quotactl_fd is quotactl on an fd. */
static const struct
{
  const char *name, *of;
} builtin_aliases[] = {
  { "umount", "umount2" },  { "fsopen", "mount" },        { "fsconfig", "mount" },
  { "fsmount", "mount" },   { "fspick", "mount" },        { "move_mount", "mount" },
  { "open_tree", "mount" }, { "mount_setattr", "mount" }, { "quotactl_fd", "quotactl" },
};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NS_FLAGS UINT64_C (0x7E020000)

/* The dangerous set: each name with the dangerous syscall it stands for
 * (NULL: itself), sorted for bsearch.  Built once per process, and again
 * only when a policy extends the list differently. */
struct dname
{
  char *name;
  const char *of;
};
static struct dname *dangerous;
static size_t n_dangerous, cap_dangerous;
static ocigate_strlist_t cache_extra; /* the policy's seccomp.dangerous it was built for */
static bool cache_valid;

static int
dname_cmp (const void *a, const void *b)
{
  return strcmp (((const struct dname *)a)->name, ((const struct dname *)b)->name);
}

static void
add_name (const char *n, const char *of)
{
  if (n_dangerous == cap_dangerous)
    {
      cap_dangerous = cap_dangerous ? cap_dangerous * 2 : 64;
      dangerous = xrealloc (dangerous, cap_dangerous * sizeof (*dangerous));
    }
  dangerous[n_dangerous].name = xstrdup (n);
  dangerous[n_dangerous].of = of;
  n_dangerous++;
}

static bool
same_list (const ocigate_strlist_t *a, const ocigate_strlist_t *b)
{
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp (a->v[i], b->v[i]) != 0)
      return false;
  return true;
}

static void
build_dangerous (const ocigate_policy_t *pol)
{
  if (cache_valid && same_list (&cache_extra, &pol->seccomp_dangerous))
    return;
  for (size_t i = 0; i < n_dangerous; i++)
    free (dangerous[i].name);
  for (size_t i = 0; i < cache_extra.n; i++)
    free (cache_extra.v[i]);
  free (cache_extra.v);
  n_dangerous = 0;
  for (size_t i = 0; i < ARRAY_SIZE (builtin_dangerous); i++)
    add_name (builtin_dangerous[i], NULL);
  for (size_t i = 0; i < ARRAY_SIZE (builtin_aliases); i++)
    add_name (builtin_aliases[i].name, builtin_aliases[i].of);
  cache_extra.n = pol->seccomp_dangerous.n;
  cache_extra.v = xzalloc ((cache_extra.n + 1) * sizeof (char *));
  for (size_t i = 0; i < pol->seccomp_dangerous.n; i++)
    {
      add_name (pol->seccomp_dangerous.v[i], NULL);
      cache_extra.v[i] = xstrdup (pol->seccomp_dangerous.v[i]);
    }
  qsort (dangerous, n_dangerous, sizeof (*dangerous), dname_cmp);
  /* Drop duplicates (a policy may repeat a built-in name); keep the first. */
  size_t k = 0;
  for (size_t i = 0; i < n_dangerous; i++)
    if (k > 0 && strcmp (dangerous[k - 1].name, dangerous[i].name) == 0)
      free (dangerous[i].name);
    else
      dangerous[k++] = dangerous[i];
  n_dangerous = k;
  cache_valid = true;
}

static const struct dname *
find_dangerous (const char *name)
{
  struct dname key = { .name = (char *)name };
  return name ? bsearch (&key, dangerous, n_dangerous, sizeof (*dangerous), dname_cmp) : NULL;
}

/* Actions under which the syscall runs.  SCMP_ACT_TRACE runs it as soon as
 * a tracer with PTRACE_O_TRACESECCOMP resumes the tracee, and a process in
 * the container may trace its own children (ptrace is allowed by every
 * engine's default): it lets the call through. */
static bool
allowing (const char *action)
{
  return action
         && (strcmp (action, "SCMP_ACT_ALLOW") == 0 || strcmp (action, "SCMP_ACT_LOG") == 0
             || strcmp (action, "SCMP_ACT_TRACE") == 0);
}

static uint64_t
u64 (const ocigate_json_t *n)
{
  return n && n->type == OJ_NUMBER ? strtoull (n->u.str.s, NULL, 10) : 0;
}

/* Does this comparison let every value through, or every value but one?
 * seccomp compares the whole 64-bit register while the kernel reads int
 * arguments from its low half, so "all but one value" (NE, GT 0, ...) is
 * not even that for them: 1<<32|v passes the comparison and means v. */
static bool
arg_trivial (const ocigate_json_t *a)
{
  const char *op = oj_str (oj_get (a, "op"));
  uint64_t v = u64 (oj_get (a, "value")), v2 = u64 (oj_get (a, "valueTwo"));
  if (op == NULL)
    return true;
  if (strcmp (op, "SCMP_CMP_NE") == 0)
    return true;
  if (strcmp (op, "SCMP_CMP_MASKED_EQ") == 0)
    return v == 0 && v2 == 0;
  if (strcmp (op, "SCMP_CMP_GE") == 0)
    return v <= 1;
  if (strcmp (op, "SCMP_CMP_GT") == 0)
    return v == 0;
  if (strcmp (op, "SCMP_CMP_LE") == 0)
    return v >= UINT64_MAX - 1;
  if (strcmp (op, "SCMP_CMP_LT") == 0)
    return v == UINT64_MAX;
  return false;
}

/* runc ANDs the conditions of one syscall entry only when each compares a
 * different argument; as soon as two compare the same argument it adds
 * every condition as a rule of its own, and the rules are ORed (verified
 * with runc 1.1.5: {arg0 >= 0, arg0 == 0} allows unshare(CLONE_NEWUSER)). */
static bool
args_ored (const ocigate_json_t *args)
{
  unsigned seen = 0;
  for (size_t i = 0; i < oj_len (args); i++)
    {
      int64_t idx = -1;
      oj_int (oj_get (oj_at (args, i), "index"), &idx);
      if (idx < 0 || idx > 31)
        continue;
      if (seen & (1u << idx))
        return true;
      seen |= 1u << idx;
    }
  return false;
}

static bool
args_restrict (const ocigate_json_t *args)
{
  bool ored = args_ored (args);
  for (size_t i = 0; i < oj_len (args); i++)
    {
      bool trivial = arg_trivial (oj_at (args, i));
      if (ored && trivial)
        return false; /* one rule lets everything through */
      if (!ored && !trivial)
        return true; /* ANDed with everything else */
    }
  return ored;
}

/* Does one comparison of clone's flags admit only values without a
 * namespace flag?  (The lowest one, CLONE_NEWNS, is 0x20000.) */
static bool
cond_no_ns (const ocigate_json_t *a, int64_t flags_index)
{
  int64_t idx = -1;
  oj_int (oj_get (a, "index"), &idx);
  if (idx != flags_index)
    return false;
  const char *op = oj_str (oj_get (a, "op"));
  uint64_t v = u64 (oj_get (a, "value")), v2 = u64 (oj_get (a, "valueTwo"));
  if (op == NULL)
    return false;
  if (strcmp (op, "SCMP_CMP_MASKED_EQ") == 0)
    return (v & CLONE_NS_FLAGS) == CLONE_NS_FLAGS && (v2 & CLONE_NS_FLAGS) == 0;
  if (strcmp (op, "SCMP_CMP_EQ") == 0)
    return (v & CLONE_NS_FLAGS) == 0;
  if (strcmp (op, "SCMP_CMP_LT") == 0)
    return v <= UINT64_C (0x20000);
  if (strcmp (op, "SCMP_CMP_LE") == 0)
    return v < UINT64_C (0x20000);
  return false;
}

/* clone is safe to allow only when its flags cannot carry a namespace flag.
 * The flags are argument 0, except on s390/s390x (argument 1), which counts
 * only for a profile that lists nothing but those. */
static bool
clone_filtered (const ocigate_json_t *sc, const ocigate_json_t *args)
{
  const ocigate_json_t *arches = oj_get (sc, "architectures");
  int64_t flags_index = 0;
  if (oj_len (arches) > 0)
    {
      flags_index = 1;
      for (size_t i = 0; i < oj_len (arches); i++)
        if (!oj_str_eq (oj_at (arches, i), "SCMP_ARCH_S390")
            && !oj_str_eq (oj_at (arches, i), "SCMP_ARCH_S390X"))
          flags_index = 0;
    }
  bool ored = args_ored (args);
  if (oj_len (args) == 0)
    return false;
  for (size_t i = 0; i < oj_len (args); i++)
    {
      bool f = cond_no_ns (oj_at (args, i), flags_index);
      if (ored && !f)
        return false;
      if (!ored && f)
        return true;
    }
  return ored;
}

/* Why an allowing rule's name is weak (written to buf), or NULL. */
static const char *
weak_name (const ocigate_json_t *sc, const char *name, const char *action,
           const ocigate_json_t *args, char *buf, size_t len)
{
  const char *how = oj_len (args) == 0 ? "unconditional"
                    : args_ored (args)
                        ? "allowed by conditions on one argument, which runc ORs; one of them"
                        : "allowed by an argument filter that";
  bool trace = action && strcmp (action, "SCMP_ACT_TRACE") == 0;
  const char *tr = trace ? ", SCMP_ACT_TRACE: runs once a tracer in the container resumes it" : "";
  if (name == NULL)
    return NULL;
  if (strcmp (name, "clone") == 0)
    {
      if (clone_filtered (sc, args))
        return NULL;
      snprintf (buf, len, "allowed without the namespace-flag filter%s", tr);
      return buf;
    }
  if (strcmp (name, "clone3") == 0)
    {
      snprintf (buf, len, "allowed: its flags cannot be filtered%s", tr);
      return buf;
    }
  const struct dname *d = find_dangerous (name);
  if (d == NULL || (oj_len (args) > 0 && args_restrict (args)))
    return NULL;
  const char *alias = "";
  char abuf[96] = "";
  if (d->of)
    {
      snprintf (abuf, sizeof (abuf), "same operation as %s; ", d->of);
      alias = abuf;
    }
  if (oj_len (args) == 0)
    snprintf (buf, len, "%s%s %s%s", alias, how, trace ? "trace" : "allow", tr);
  else
    snprintf (buf, len, "%s%s does not restrict it%s", alias, how, tr);
  return buf;
}

ocigate_json_t *
ocigate_seccomp_default (struct eval *e)
{
  if (e->pol->seccomp_profile == NULL)
    {
      /* ocigate_policy_load_lazy left the embedded profile for now.  The
       * policy object is the caller's heap object, never const storage:
       * fill its cache in place. */
      ocigate_policy_t *p = (ocigate_policy_t *)e->pol;
      ocigate_json_parse_opts_t o = { .name = "embedded seccomp profile" };
      p->seccomp_profile = ocigate_json_parse (ocigate_default_seccomp_json,
                                               strlen (ocigate_default_seccomp_json), &o, NULL);
      /* Built in and parsed by every unit test: this cannot fail. */
      if (p->seccomp_profile == NULL)
        abort ();
    }
  return ocigate_doc_root (e->pol->seccomp_profile);
}

/* Does an entry with a blocking action and no condition cover this name? */
static bool
blocked_unconditionally (const ocigate_json_t *calls, const char *name)
{
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      if (allowing (oj_str (oj_get (c, "action"))) || oj_len (oj_get (c, "args")) > 0)
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (oj_str_eq (oj_at (names, j), name))
          return true;
    }
  return false;
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
  build_dangerous (e->pol);
  const char *def = oj_str (oj_get (sc, "defaultAction"));
  const ocigate_json_t *calls = oj_get (sc, "syscalls");
  strbuf_t b = { 0 };
  if (allowing (def))
    {
      /* Name what the default lets through: the dangerous syscalls (not
       * their other spellings) that no entry blocks outright. */
      for (size_t i = 0; i < n_dangerous; i++)
        if (dangerous[i].of == NULL && !blocked_unconditionally (calls, dangerous[i].name))
          strbuf_printf (&b, "%s%s", b.len ? ", " : "", dangerous[i].name);
      static const char *const clones[] = { "clone", "clone3" };
      for (size_t i = 0; i < ARRAY_SIZE (clones); i++)
        if (!blocked_unconditionally (calls, clones[i]))
          strbuf_printf (&b, "%s%s", b.len ? ", " : "", clones[i]);
      finding (e, "/linux/seccomp/defaultAction",
               "default action %s lets every unlisted syscall through%s%s", def,
               b.len ? ", among them " : "", b.len ? b.s : "");
      free (b.s);
      return 0;
    }
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      const char *action = oj_str (oj_get (c, "action"));
      if (!allowing (action))
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      const ocigate_json_t *args = oj_get (c, "args");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          char why[256];
          const char *name = oj_str (oj_at (names, j));
          if (weak_name (sc, name, action, args, why, sizeof (why)))
            strbuf_printf (&b, "%s%s (%s)", b.len ? ", " : "", name, why);
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
      const char *action = oj_str (oj_get (c, "action"));
      if (!allowing (action))
        continue;
      ocigate_json_t *names = oj_get (c, "names");
      const ocigate_json_t *args = oj_get (c, "args");
      for (size_t j = oj_len (names); j-- > 0;)
        {
          char why[256];
          const char *n = oj_str (oj_at (names, j));
          if (weak_name (sc, n, action, args, why, sizeof (why)) == NULL)
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
ocigate_seccomp_unresolved (const ocigate_json_t *profile, const char *arch_token, strbuf_t *out)
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
  (void)profile;
  (void)arch_token;
  (void)out;
#endif
  return bad;
}
