/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp rule: inject the default profile where there is none, and
 * find and close what a weak profile lets through. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "engine-internal.h"

/* Spec section 4: syscalls that reach kernel attack surface or host state
 * a container has no business with, and the other names under which the
 * kernel performs the same operation on some architecture we target (`of`:
 * the listed syscall it stands for).  A profile that allows one of those
 * lets the operation through as surely as the listed name: `umount` is
 * x86's old umount(2), a umount2 without flags (runc resolves it on an
 * x86_64 host and adds it to the 32-bit x86 filter); the new mount API
 * attaches mounts without mount(2); quotactl_fd is quotactl on an fd.
 * Sorted by name for bsearch, and constant: evaluation never writes to
 * shared state, so policies can be judged from several threads. */
struct dname
{
  const char *name, *of;
};
static const struct dname builtin_dangerous[] = {
  { "acct", NULL },
  { "add_key", NULL },
  { "bpf", NULL },
  { "delete_module", NULL },
  { "finit_module", NULL },
  { "fsconfig", "mount" },
  { "fsmount", "mount" },
  { "fsopen", "mount" },
  { "fspick", "mount" },
  { "init_module", NULL },
  { "io_uring_enter", NULL },
  { "io_uring_register", NULL },
  { "io_uring_setup", NULL },
  { "ioperm", NULL },
  { "iopl", NULL },
  { "kexec_file_load", NULL },
  { "kexec_load", NULL },
  { "keyctl", NULL },
  { "lookup_dcookie", NULL },
  { "mount", NULL },
  { "mount_setattr", "mount" },
  { "move_mount", "mount" },
  { "open_by_handle_at", NULL },
  { "open_tree", "mount" },
  { "perf_event_open", NULL },
  { "pivot_root", NULL },
  { "quotactl", NULL },
  { "quotactl_fd", "quotactl" },
  { "reboot", NULL },
  { "request_key", NULL },
  { "setns", NULL },
  { "swapoff", NULL },
  { "swapon", NULL },
  { "umount", "umount2" },
  { "umount2", NULL },
  { "unshare", NULL },
  { "userfaultfd", NULL },
};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: every
 * namespace flag clone(2) takes (CLONE_NEWTIME, 0x80, is clone3's and
 * unshare's only; in clone's flags that bit is part of the exit signal). */
#define CLONE_NS_FLAGS UINT64_C (0x7E020000)

static int
dname_cmp (const void *a, const void *b)
{
  return strcmp (((const struct dname *)a)->name, ((const struct dname *)b)->name);
}

/* Is name dangerous under this policy?  *of: the dangerous syscall it is
 * another name of, NULL for itself. */
static bool
dangerous_name (const ocigate_policy_t *pol, const char *name, const char **of)
{
  struct dname key = { .name = name };
  const struct dname *d;
  *of = NULL;
  if (name == NULL)
    return false;
  d = bsearch (&key, builtin_dangerous, ARRAY_SIZE (builtin_dangerous), sizeof (key), dname_cmp);
  if (d)
    {
      *of = d->of;
      return true;
    }
  return ocigate_strlist_contains (&pol->seccomp_dangerous, name);
}

/* Actions under which the syscall may run.  SCMP_ACT_LOG allows and logs.
 * SCMP_ACT_TRACE runs it as soon as a tracer with PTRACE_O_TRACESECCOMP
 * resumes the tracee, and a process in the container may trace its own
 * children (ptrace is allowed by every engine's default).  SCMP_ACT_NOTIFY
 * hands the decision to the listener at listenerPath, which may answer
 * "continue" (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the kernel then runs the
 * call as the container asked.  Everything else (ERRNO, TRAP, KILL,
 * KILL_PROCESS, KILL_THREAD) blocks; runc refuses an action it does not
 * know, so no other string reaches the kernel. */
static bool
letting_through (const char *action)
{
  return action
         && (strcmp (action, "SCMP_ACT_ALLOW") == 0 || strcmp (action, "SCMP_ACT_LOG") == 0
             || strcmp (action, "SCMP_ACT_TRACE") == 0 || strcmp (action, "SCMP_ACT_NOTIFY") == 0);
}

static uint64_t
u64 (const ocigate_json_t *n)
{
  return n && n->type == OJ_NUMBER ? strtoull (n->u.str.s, NULL, 10) : 0;
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

/* Is this comparison the namespace-flag filter: clone's flags argument,
 * SCMP_CMP_MASKED_EQ (`value` the mask, `valueTwo` the datum) with every
 * CLONE_NEW* bit in the mask and none in the datum, so that only flags
 * without a namespace bit match?  No other comparison counts: that is the
 * one filter the default profiles use and that can be shown to exclude
 * every namespace flag. */
static bool
ns_mask_filter (const ocigate_json_t *a, int64_t flags_index)
{
  int64_t idx = -1;
  oj_int (oj_get (a, "index"), &idx);
  if (idx != flags_index || !oj_str_eq (oj_get (a, "op"), "SCMP_CMP_MASKED_EQ"))
    return false;
  uint64_t mask = u64 (oj_get (a, "value")), datum = u64 (oj_get (a, "valueTwo"));
  return (mask & CLONE_NS_FLAGS) == CLONE_NS_FLAGS && (datum & CLONE_NS_FLAGS) == 0;
}

/* clone's flags are argument 0, except on s390/s390x where the first two
 * arguments are swapped (argument 1).  runc adds the native architecture
 * to every filter, so argument 1 counts only for a profile that lists
 * nothing but those. */
static int64_t
clone_flags_index (const ocigate_json_t *sc)
{
  const ocigate_json_t *arches = oj_get (sc, "architectures");
  if (oj_len (arches) == 0)
    return 0;
  for (size_t i = 0; i < oj_len (arches); i++)
    if (!oj_str_eq (oj_at (arches, i), "SCMP_ARCH_S390")
        && !oj_str_eq (oj_at (arches, i), "SCMP_ARCH_S390X"))
      return 0;
  return 1;
}

/* clone is safe to let through only when its flags cannot carry a
 * namespace flag: the mask filter ANDed into the entry's one rule, or
 * every ORed rule being that filter. */
static bool
clone_filtered (int64_t flags_index, const ocigate_json_t *args)
{
  bool ored = args_ored (args);
  if (oj_len (args) == 0)
    return false;
  for (size_t i = 0; i < oj_len (args); i++)
    {
      bool f = ns_mask_filter (oj_at (args, i), flags_index);
      if (ored && !f)
        return false;
      if (!ored && f)
        return true;
    }
  return ored;
}

/* One syscall entry under judgement; clone's filter is judged once per
 * entry, however often the entry names it. */
struct entry
{
  const char *action;
  const ocigate_json_t *args;
  int64_t flags_index;
  int clone_ok;         /* -1: not judged yet */
  const struct eval *e; /* whose seccomp.allow applies */
};

/* seccomp.allow: names the policy, or the exemption that matched, gives
 * back (never the dangerous list's core: the policy loader refuses it). */
static bool
allowed_back (const struct eval *e, const char *name)
{
  const ocigate_policy_t *pol = e->pol;
  return ocigate_strlist_contains (&pol->seccomp_allow, name)
         || (e->res->exemption >= 0
             && ocigate_strlist_contains (&pol->exemptions[e->res->exemption].seccomp_allow, name));
}

static const char *
action_word (const char *action)
{
  return strcmp (action, "SCMP_ACT_LOG") == 0      ? "log"
         : strcmp (action, "SCMP_ACT_TRACE") == 0  ? "trace"
         : strcmp (action, "SCMP_ACT_NOTIFY") == 0 ? "notify"
                                                   : "allow";
}

/* Why a name of a letting-through entry is weak (written to buf), or NULL. */
static const char *
weak_name (const ocigate_policy_t *pol, struct entry *en, const char *name, char *buf, size_t len)
{
  const char *how = "";
  if (strcmp (en->action, "SCMP_ACT_TRACE") == 0)
    how = ", SCMP_ACT_TRACE: runs once a tracer in the container resumes it";
  else if (strcmp (en->action, "SCMP_ACT_NOTIFY") == 0)
    how = ", SCMP_ACT_NOTIFY: runs when the listener answers continue";
  if (name == NULL)
    return NULL;
  if (strcmp (name, "clone") == 0)
    {
      if (en->clone_ok < 0)
        en->clone_ok = clone_filtered (en->flags_index, en->args);
      if (en->clone_ok)
        return NULL;
      snprintf (buf, len, "let through without the namespace-flag filter%s", how);
      return buf;
    }
  if (strcmp (name, "clone3") == 0)
    {
      snprintf (buf, len, "let through: its flags cannot be filtered%s", how);
      return buf;
    }
  const char *of;
  if (!dangerous_name (pol, name, &of) || allowed_back (en->e, name))
    return NULL;
  char abuf[96] = "";
  if (of)
    snprintf (abuf, sizeof (abuf), "same operation as %s; ", of);
  if (oj_len (en->args) == 0)
    snprintf (buf, len, "%sunconditional %s%s", abuf, action_word (en->action), how);
  else
    /* unshare allowed for some flags still creates a user namespace; a
     * mask test can match every value; runc ORs conditions on one
     * argument.  No filter is shown to exclude the dangerous use. */
    snprintf (buf, len, "%san argument filter does not restrict it%s", abuf, how);
  return buf;
}

/* The embedded default profile in the form injected on this build's
 * architecture family (only its architectures, the names that exist on
 * them, the unconditional allows in one entry: what runc compiles with
 * libseccomp on every start), parsed once per process.  A policy that
 * names no profile of its own (and was loaded lazily) uses it; the policy
 * object itself is never written during evaluation. */
static ocigate_doc_t *embedded_profile;
static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;

static void
parse_embedded (void)
{
  ocigate_json_parse_opts_t o = { .name = "embedded seccomp profile" };
  embedded_profile = ocigate_json_parse (ocigate_injected_seccomp_json,
                                         strlen (ocigate_injected_seccomp_json), &o, NULL);
  /* Built in and parsed by every unit test: this cannot fail. */
  if (embedded_profile == NULL)
    abort ();
}

const ocigate_json_t *
ocigate_seccomp_default (const ocigate_policy_t *pol)
{
  if (pol->seccomp_profile)
    return ocigate_doc_root (pol->seccomp_profile);
  pthread_once (&embedded_once, parse_embedded);
  return ocigate_doc_root (embedded_profile);
}

static int
str_cmp (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The names a finding may list, each with a slot of its own: the built-in
 * dangerous names, clone, clone3, then the policy's additions (a sorted
 * copy, duplicates sharing the first one's slot). */
struct slots
{
  const char **extra;
  size_t nx, n;
};

static void
slots_init (struct slots *sl, const ocigate_policy_t *pol)
{
  sl->nx = pol->seccomp_dangerous.n;
  sl->extra = xzalloc ((sl->nx + 1) * sizeof (char *));
  if (sl->nx > 0) /* an empty list may have no array at all */
    {
      memcpy (sl->extra, pol->seccomp_dangerous.v, sl->nx * sizeof (char *));
      qsort (sl->extra, sl->nx, sizeof (char *), str_cmp);
    }
  sl->n = ARRAY_SIZE (builtin_dangerous) + 2 + sl->nx;
}

static ssize_t
slot_of (const struct slots *sl, const char *n)
{
  size_t nb = ARRAY_SIZE (builtin_dangerous);
  struct dname key = { .name = n };
  const struct dname *d;
  const char **x;
  if (n == NULL)
    return -1;
  if ((d = bsearch (&key, builtin_dangerous, nb, sizeof (key), dname_cmp)) != NULL)
    return d - builtin_dangerous;
  if (strcmp (n, "clone") == 0 || strcmp (n, "clone3") == 0)
    return (ssize_t)nb + (n[5] == '3');
  if ((x = bsearch (&n, sl->extra, sl->nx, sizeof (char *), str_cmp)) == NULL)
    return -1;
  while (x > sl->extra && strcmp (x[-1], n) == 0)
    x--;
  return (ssize_t)(nb + 2 + (size_t)(x - sl->extra));
}

/* Under a letting-through default action: the dangerous syscalls (not
 * their other spellings), clone and clone3 that no entry blocks outright
 * (a blocking action and no condition), listed into b.  One pass over the
 * profile's names, each looked up by bsearch. */
static void
list_let_through (const ocigate_policy_t *pol, const ocigate_json_t *calls, strbuf_t *b)
{
  struct slots sl;
  slots_init (&sl, pol);
  cleanup_free bool *blocked = xzalloc (sl.n * sizeof (bool));
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      if (letting_through (oj_str (oj_get (c, "action"))) || oj_len (oj_get (c, "args")) > 0)
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          ssize_t k = slot_of (&sl, oj_str (oj_at (names, j)));
          if (k >= 0)
            blocked[k] = true;
        }
    }
  size_t nb = ARRAY_SIZE (builtin_dangerous);
  for (size_t i = 0; i < nb; i++)
    if (builtin_dangerous[i].of == NULL && !blocked[i])
      strbuf_printf (b, "%s%s", b->len ? ", " : "", builtin_dangerous[i].name);
  for (size_t i = 0; i < sl.nx; i++)
    if (slot_of (&sl, sl.extra[i]) == (ssize_t)(nb + 2 + i) && !blocked[nb + 2 + i])
      strbuf_printf (b, "%s%s", b->len ? ", " : "", sl.extra[i]);
  for (size_t i = 0; i < 2; i++)
    if (!blocked[nb + i])
      strbuf_printf (b, "%s%s", b->len ? ", " : "", i ? "clone3" : "clone");
  free (sl.extra);
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
  const ocigate_json_t *calls = oj_get (sc, "syscalls");
  strbuf_t b = { 0 };
  if (letting_through (def))
    {
      /* Name what the default lets through. */
      list_let_through (e->pol, calls, &b);
      finding_fix (e,
                   "use seccompProfile.type: RuntimeDefault or a Localhost profile whose "
                   "defaultAction blocks (SCMP_ACT_ERRNO); under rewrite the gate puts its "
                   "default profile in place of this one",
                   "/linux/seccomp/defaultAction",
                   "default action %s lets every unlisted syscall through%s%s", def,
                   b.len ? ", among them " : "", b.len ? b.s : "");
      free (b.s);
      return 0;
    }
  /* Each weak name once (the first reason), however often it is named. */
  int64_t flags_index = clone_flags_index (sc);
  struct slots sl;
  slots_init (&sl, e->pol);
  cleanup_free bool *listed = xzalloc (sl.n * sizeof (bool));
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *c = oj_at (calls, i);
      struct entry en = { oj_str (oj_get (c, "action")), oj_get (c, "args"), flags_index, -1, e };
      if (!letting_through (en.action))
        continue;
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        {
          char why[256];
          const char *name = oj_str (oj_at (names, j));
          ssize_t k = slot_of (&sl, name);
          if (k < 0 || listed[k])
            continue;
          if (weak_name (e->pol, &en, name, why, sizeof (why)))
            {
              strbuf_printf (&b, "%s%s (%s)", b.len ? ", " : "", name, why);
              listed[k] = true;
            }
        }
    }
  free (sl.extra);
  if (b.len)
    /* The profile is there, often the engine's own RuntimeDefault: telling
     * the workload to set RuntimeDefault would name the wrong cause. */
    finding_fix (e,
                 "the profile (the engine's RuntimeDefault or a Localhost one) is weaker than "
                 "the policy: under rewrite the gate takes these names out of it; a workload "
                 "that needs one gets it back through seccomp.allow in the policy or its "
                 "exemption",
                 "/linux/seccomp/syscalls", "profile lets through: %s", b.s);
  free (b.s);
  return 0;
}

/* Append the default profile's entry for name (clone or clone3), alone,
 * with clone's flags index moved to where this profile's architectures
 * keep the flags. */
static void
append_default_entry (ocigate_doc_t *doc, ocigate_json_t *sc, const ocigate_json_t *def,
                      const char *name, int64_t flags_index)
{
  const ocigate_json_t *dcalls = oj_get (def, "syscalls");
  for (size_t i = 0; i < oj_len (dcalls); i++)
    {
      const ocigate_json_t *c = oj_at (dcalls, i);
      const ocigate_json_t *names = oj_get (c, "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (oj_str_eq (oj_at (names, j), name))
          {
            ocigate_json_t *copy = oj_copy (doc, c);
            ocigate_json_t *cn = oj_new (doc, OJ_ARRAY);
            oj_append (doc, cn, oj_new_string (doc, name));
            oj_set (doc, copy, "names", cn);
            ocigate_json_t *args = oj_get (copy, "args");
            if (flags_index != 0 && strcmp (name, "clone") == 0)
              for (size_t k = 0; k < oj_len (args); k++)
                oj_set (doc, oj_at (args, k), "index", oj_new_int (doc, flags_index));
            oj_append (doc, oj_ensure_array (doc, sc, "syscalls"), copy);
          }
    }
}

/* Does any entry name this syscall? */
static bool
named (const ocigate_json_t *calls, const char *name)
{
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      const ocigate_json_t *names = oj_get (oj_at (calls, i), "names");
      for (size_t j = 0; j < oj_len (names); j++)
        if (oj_str_eq (oj_at (names, j), name))
          return true;
    }
  return false;
}

int
fix_seccomp (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *linux_ = oj_ensure_object (e->doc, e->root, "linux");
  ocigate_json_t *sc = oj_get (linux_, "seccomp");
  const ocigate_json_t *def = ocigate_seccomp_default (e->pol);

  if (sc == NULL || sc->type != OJ_OBJECT
      || letting_through (oj_str (oj_get (sc, "defaultAction"))))
    {
      sc = oj_copy (e->doc, def);
      oj_set (e->doc, linux_, "seccomp", sc);
      /* seccomp.allow: one allow rule for the names given back. */
      ocigate_json_t *names = oj_new (e->doc, OJ_ARRAY);
      const ocigate_strlist_t *lists[2]
          = { &e->pol->seccomp_allow, e->res->exemption >= 0
                                          ? &e->pol->exemptions[e->res->exemption].seccomp_allow
                                          : NULL };
      for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; lists[i] && j < lists[i]->n; j++)
          if (i == 0 || !ocigate_strlist_contains (lists[0], lists[i]->v[j]))
            oj_append (e->doc, names, oj_new_string (e->doc, lists[i]->v[j]));
      if (oj_len (names))
        {
          ocigate_json_t *rule = oj_new (e->doc, OJ_OBJECT);
          oj_set (e->doc, rule, "names", names);
          oj_set (e->doc, rule, "action", oj_new_string (e->doc, "SCMP_ACT_ALLOW"));
          oj_append (e->doc, oj_ensure_array (e->doc, sc, "syscalls"), rule);
        }
      return 0;
    }
  /* Drop the weak names from every letting-through entry, and an entry
   * left with no name; compacting in place keeps this linear. */
  ocigate_json_t *calls = oj_get (sc, "syscalls");
  int64_t flags_index = clone_flags_index (sc);
  bool need_clone = false, need_clone3 = false;
  size_t kept_calls = 0;
  for (size_t i = 0; i < oj_len (calls); i++)
    {
      ocigate_json_t *c = calls->u.arr.v[i];
      struct entry en = { oj_str (oj_get (c, "action")), oj_get (c, "args"), flags_index, -1, e };
      ocigate_json_t *names = oj_get (c, "names");
      if (letting_through (en.action) && oj_is (names, OJ_ARRAY))
        {
          size_t kept = 0;
          for (size_t j = 0; j < names->u.arr.n; j++)
            {
              char why[256];
              const char *n = oj_str (names->u.arr.v[j]);
              if (weak_name (e->pol, &en, n, why, sizeof (why)) == NULL)
                names->u.arr.v[kept++] = names->u.arr.v[j];
              else if (strcmp (n, "clone") == 0)
                need_clone = true;
              else if (strcmp (n, "clone3") == 0)
                need_clone3 = true;
            }
          bool emptied = kept == 0 && names->u.arr.n > 0;
          names->u.arr.n = kept;
          if (emptied)
            continue;
        }
      calls->u.arr.v[kept_calls++] = c;
    }
  if (calls && calls->type == OJ_ARRAY)
    calls->u.arr.n = kept_calls;
  /* clone and clone3 as the default profile has them: clone with the
   * namespace-flag mask, clone3 failing with ENOSYS.  A clone3 the profile
   * does not name would fail with the default errno, and libc falls back
   * to clone only on ENOSYS: it comes along with clone. */
  if (need_clone && !named (calls, "clone3"))
    need_clone3 = true;
  if (need_clone)
    append_default_entry (e->doc, sc, def, "clone", flags_index);
  if (need_clone3)
    append_default_entry (e->doc, sc, def, "clone3", flags_index);
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
