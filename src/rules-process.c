/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the process: who it runs as and with which privileges.  They
 * serve both the container's process and `exec --process`. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "engine-internal.h"

static const char *const cap_sets[]
    = { "bounding", "effective", "inheritable", "permitted", "ambient" };

/* Pointer prefix of the process object under judgement. */
static const char *
pp (struct eval *e)
{
  return e->process_only ? "" : "/process";
}

bool
ocigate_maps_to_host_root (const ocigate_json_t *root, const char *mappings, int64_t id)
{
  if (root == NULL)
    return id == 0; /* no container known: judge the id as it is */
  const ocigate_json_t *linux_ = oj_get (root, "linux");
  const ocigate_json_t *ns = oj_get (linux_, "namespaces");
  bool userns = false;
  for (size_t i = 0; i < oj_len (ns); i++)
    if (oj_str_eq (oj_get (oj_at (ns, i), "type"), "user"))
      userns = true;
  const ocigate_json_t *maps = oj_get (linux_, mappings);
  if (!userns)
    return id == 0;
  if (oj_len (maps) == 0)
    return true; /* a joined user namespace we cannot see into: fail closed */
  for (size_t i = 0; i < oj_len (maps); i++)
    {
      const ocigate_json_t *m = oj_at (maps, i);
      int64_t c = 0, h = 0, sz = 0;
      oj_int (oj_get (m, "containerID"), &c);
      oj_int (oj_get (m, "hostID"), &h);
      oj_int (oj_get (m, "size"), &sz);
      if (id >= c && id < c + sz)
        return h + (id - c) == 0;
    }
  return false; /* unmapped: the kernel shows it as the overflow id */
}

/* runc decodes process.user into a struct: a process without "user" runs
 * as uid 0, gid 0.  A config without a process cannot run at all; judging
 * it as root keeps it rejected rather than letting another rule's rewrite
 * create a root process. */
static bool
process_id (const ocigate_json_t *proc, const char *key, int64_t *ret)
{
  const ocigate_json_t *user = oj_get (proc, "user");
  *ret = 0;
  return user == NULL || oj_int (oj_get (user, key), ret);
}

/* The user object, created (as uid 0, gid 0, what its absence means) if
 * missing. */
static ocigate_json_t *
ensure_user (struct eval *e)
{
  ocigate_json_t *proc = eval_process (e);
  if (proc == NULL)
    proc = oj_ensure_object (e->doc, e->root, "process");
  ocigate_json_t *user = oj_get (proc, "user");
  if (user == NULL)
    {
      user = oj_ensure_object (e->doc, proc, "user");
      oj_set (e->doc, user, "uid", oj_new_int (e->doc, 0));
      oj_set (e->doc, user, "gid", oj_new_int (e->doc, 0));
    }
  return user;
}

int
check_root_user (struct eval *e, ocigate_error_t *err)
{
  int64_t uid;
  if (!process_id (eval_process (e), "uid", &uid) || uid != 0)
    return 0;
  if (!ocigate_maps_to_host_root (e->croot, "uidMappings", 0))
    return 0;
  cleanup_free char *p = ptrf ("%s/user/uid", pp (e));
  finding (e, p, "process runs as host root (uid 0)");
  return 0;
}

int
fix_root_user (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *user = ensure_user (e);
  int64_t gid = -1;
  oj_int (oj_get (user, "gid"), &gid);
  oj_set (e->doc, user, "uid", oj_new_int (e->doc, e->pol->rewrite_uid));
  if (gid == 0)
    oj_set (e->doc, user, "gid", oj_new_int (e->doc, e->pol->rewrite_gid));
  return 0;
}

int
check_root_group (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *user = oj_get (eval_process (e), "user");
  const ocigate_json_t *extra = oj_get (user, "additionalGids");
  int64_t gid;
  if (process_id (eval_process (e), "gid", &gid) && gid == 0
      && ocigate_maps_to_host_root (e->croot, "gidMappings", 0))
    {
      cleanup_free char *p = ptrf ("%s/user/gid", pp (e));
      finding (e, p, "process runs with host group root (gid 0)");
    }
  for (size_t i = 0; i < oj_len (extra); i++)
    if (oj_int (oj_at (extra, i), &gid) && gid == 0
        && ocigate_maps_to_host_root (e->croot, "gidMappings", 0))
      {
        cleanup_free char *p = ptrf ("%s/user/additionalGids/%zu", pp (e), i);
        finding (e, p, "process has host group root (gid 0) as a supplementary group");
      }
  return 0;
}

int
fix_root_group (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *user = ensure_user (e);
  ocigate_json_t *extra = oj_get (user, "additionalGids");
  int64_t gid;
  if (oj_int (oj_get (user, "gid"), &gid) && gid == 0)
    oj_set (e->doc, user, "gid", oj_new_int (e->doc, e->pol->rewrite_gid));
  for (size_t i = oj_len (extra); i-- > 0;)
    if (oj_int (oj_at (extra, i), &gid) && gid == 0)
      oj_remove_at (extra, i);
  return 0;
}

/* ---- capabilities ---- */

static bool
set_has (const ocigate_json_t *set, const char *name)
{
  for (size_t i = 0; i < oj_len (set); i++)
    if (oj_str_eq (oj_at (set, i), name))
      return true;
  return false;
}

/* Why a name must go from a set, or NULL when it may stay. */
static const char *
cap_verdict (struct eval *e, const ocigate_json_t *caps, const char *set, const char *name,
             bool *unknown)
{
  int c = ocigate_cap_from_name (name);
  *unknown = false;
  if (c < 0)
    {
      *unknown = true;
      return "unknown capability";
    }
  if (c >= 64 || !(e->caps_allowed & (UINT64_C (1) << c)))
    return "capability not allowed by the policy";
  /* CVE-2022-29162: inheritable and ambient must stay within bounding. */
  if ((strcmp (set, "inheritable") == 0 || strcmp (set, "ambient") == 0)
      && !set_has (oj_get (caps, "bounding"), name))
    return "capability not in the bounding set";
  if (e->ceiling && !set_has (oj_get (oj_get (e->ceiling, "capabilities"), set), name))
    return "capability the container itself does not have";
  return NULL;
}

int
check_capabilities (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *caps = oj_get (eval_process (e), "capabilities");
  for (size_t s = 0; s < ARRAY_SIZE (cap_sets); s++)
    {
      const ocigate_json_t *set = oj_get (caps, cap_sets[s]);
      /* One finding per set and reason: an engine's default set would
       * otherwise be a dozen lines saying the same thing. */
      const char *reasons[4] = { NULL };
      strbuf_t names[4] = { { 0 } };
      size_t count[4] = { 0 }, first[4] = { 0 };
      for (size_t i = 0; i < oj_len (set); i++)
        {
          const char *name = oj_str (oj_at (set, i));
          bool unknown;
          const char *why = cap_verdict (e, caps, cap_sets[s], name, &unknown);
          if (why == NULL)
            continue;
          if (unknown)
            {
              cleanup_free char *p = ptrf ("%s/capabilities/%s/%zu", pp (e), cap_sets[s], i);
              finding_action (e, OCIGATE_ACTION_REJECT, p,
                              "unknown capability \"%s\" (names are CAP_ and an upper-case "
                              "name libcap knows)",
                              name);
              continue;
            }
          size_t k = 0;
          while (k < ARRAY_SIZE (reasons) - 1 && reasons[k] && reasons[k] != why)
            k++;
          reasons[k] = why;
          if (count[k]++ == 0)
            first[k] = i;
          else
            strbuf_puts (&names[k], ", ");
          strbuf_puts (&names[k], name);
        }
      for (size_t k = 0; k < ARRAY_SIZE (reasons) && reasons[k]; k++)
        {
          /* A single entry keeps its exact pointer; several point at the set. */
          cleanup_free char *p
              = count[k] == 1 ? ptrf ("%s/capabilities/%s/%zu", pp (e), cap_sets[s], first[k])
                              : ptrf ("%s/capabilities/%s", pp (e), cap_sets[s]);
          finding (e, p, "%s: %s in the %s set", reasons[k], names[k].s, cap_sets[s]);
          free (names[k].s);
        }
    }
  return 0;
}

int
fix_capabilities (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *caps = oj_get (eval_process (e), "capabilities");
  /* Bounding first: the inheritable/ambient check reads the result. */
  for (size_t s = 0; s < ARRAY_SIZE (cap_sets); s++)
    {
      ocigate_json_t *set = oj_get (caps, cap_sets[s]);
      for (size_t i = oj_len (set); i-- > 0;)
        {
          bool unknown;
          if (cap_verdict (e, caps, cap_sets[s], oj_str (oj_at (set, i)), &unknown) != NULL)
            oj_remove_at (set, i);
        }
    }
  return 0;
}

/* Number of distinct capabilities the kernel knows that a set grants. */
int
ocigate_caps_count (const ocigate_json_t *set)
{
  uint64_t mask = 0;
  for (size_t i = 0; i < oj_len (set); i++)
    {
      int c = ocigate_cap_from_name (oj_str (oj_at (set, i)));
      if (c >= 0 && c < 64)
        mask |= UINT64_C (1) << c;
    }
  return __builtin_popcountll (mask);
}

int
check_no_new_privileges (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *nnp = oj_get (eval_process (e), "noNewPrivileges");
  if (nnp && nnp->type == OJ_TRUE)
    return 0;
  cleanup_free char *p = ptrf ("%s/noNewPrivileges", pp (e));
  finding (e, p,
           "setuid binaries and file capabilities can raise privileges "
           "(noNewPrivileges is not true)");
  return 0;
}

int
fix_no_new_privileges (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *proc = eval_process (e);
  if (proc == NULL)
    proc = oj_ensure_object (e->doc, e->root, "process");
  oj_set (e->doc, proc, "noNewPrivileges", oj_new_bool (e->doc, true));
  return 0;
}

/* ---- LSM confinement ---- */

int
check_apparmor (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *proc = eval_process (e);
  const char *profile = oj_str (oj_get (proc, "apparmorProfile"));
  cleanup_free char *p = ptrf ("%s/apparmorProfile", pp (e));

  if (profile && strcmp (profile, "unconfined") == 0)
    {
      finding_action (e, OCIGATE_ACTION_REJECT, p,
                      "AppArmor profile \"unconfined\" disables "
                      "confinement");
      return 0;
    }
  if (e->process_only)
    {
      /* A label set for exec overrides the container's: keep the
       * container's. */
      const char *want = oj_str (oj_get (e->ceiling, "apparmorProfile"));
      if (profile && *profile && (want == NULL || strcmp (profile, want) != 0))
        finding (e, p, "exec asks for AppArmor profile \"%s\", not the container's", profile);
      return 0;
    }
  if ((profile && *profile) || !e->opts->host_checks || !e->host->apparmor_enabled ())
    return 0;
  int loaded = e->host->apparmor_profile_loaded (e->pol->apparmor_profile);
  if (loaded == 1)
    finding (e, p, "no AppArmor profile on a host with AppArmor enabled");
  else if (e->pol->apparmor_require)
    finding_action (e, OCIGATE_ACTION_REJECT, p,
                    "no AppArmor profile, and the policy's profile \"%s\" is not loaded",
                    e->pol->apparmor_profile);
  else
    finding_action (e, OCIGATE_ACTION_WARN, p,
                    "no AppArmor profile, and the policy's profile \"%s\" is not loaded: "
                    "nothing injected",
                    e->pol->apparmor_profile);
  return 0;
}

int
fix_apparmor (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *proc = eval_process (e);
  if (e->process_only)
    {
      oj_remove (proc, "apparmorProfile");
      return 0;
    }
  if (proc == NULL)
    proc = oj_ensure_object (e->doc, e->root, "process");
  oj_set (e->doc, proc, "apparmorProfile", oj_new_string (e->doc, e->pol->apparmor_profile));
  return 0;
}

/* The type field of user:role:type[:level]. */
static bool
label_type_is (const char *label, const char *type)
{
  const char *p = label;
  for (int i = 0; i < 2 && p; i++)
    {
      p = strchr (p, ':');
      if (p)
        p++;
    }
  if (p == NULL)
    return false;
  size_t l = strcspn (p, ":");
  return strlen (type) == l && strncmp (p, type, l) == 0;
}

int
check_selinux (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *proc = eval_process (e);
  const char *label = oj_str (oj_get (proc, "selinuxLabel"));
  cleanup_free char *p = ptrf ("%s/selinuxLabel", pp (e));

  if (label && (label_type_is (label, "spc_t") || label_type_is (label, "unconfined_t")))
    {
      finding_action (e, OCIGATE_ACTION_REJECT, p, "SELinux label \"%s\" is an unconfined type",
                      label);
      return 0;
    }
  if (e->process_only)
    {
      const char *want = oj_str (oj_get (e->ceiling, "selinuxLabel"));
      if (label && *label && (want == NULL || strcmp (label, want) != 0))
        finding (e, p, "exec asks for SELinux label \"%s\", not the container's", label);
      return 0;
    }
  if (label && *label)
    return 0;
  if (!e->opts->host_checks)
    return 0;
  if (!e->host->selinux_enabled ())
    {
      if (e->res->note == NULL)
        e->res->note = xstrdup ("selinux: not enabled on the host, no label injected");
      return 0;
    }
  finding (e, p, "no SELinux label on a host with SELinux enabled");
  return 0;
}

int
fix_selinux (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *proc = eval_process (e);
  cleanup_free char *plabel = NULL;
  cleanup_free char *mlabel = NULL;
  if (e->process_only)
    {
      oj_remove (proc, "selinuxLabel");
      return 0;
    }
  if (e->host->selinux_labels (e->pol->selinux_type, &plabel, &mlabel, err) < 0)
    return -1;
  if (e->host->selinux_check_context (plabel) != 0)
    return ocigate_make_error (err, 0, "selinux: the host rejects context \"%s\"", plabel);
  if (proc == NULL)
    proc = oj_ensure_object (e->doc, e->root, "process");
  oj_set (e->doc, proc, "selinuxLabel", oj_new_string (e->doc, plabel));
  if (mlabel)
    {
      ocigate_json_t *linux_ = oj_ensure_object (e->doc, e->root, "linux");
      if (oj_get (linux_, "mountLabel") == NULL)
        oj_set (e->doc, linux_, "mountLabel", oj_new_string (e->doc, mlabel));
    }
  return 0;
}

/* ---- cwd and limits ---- */

/* ---- paths under /proc ---- */

bool
ocigate_proc_walk_is (const ocigate_proc_walk_t *w, int i, const char *s)
{
  return i < w->n && i < OCIGATE_PROC_DEPTH && w->l[i] == strlen (s)
         && strncmp (w->c[i], s, w->l[i]) == 0;
}

bool
ocigate_proc_walk_pid (const ocigate_proc_walk_t *w, int i)
{
  return i < w->n && i < OCIGATE_PROC_DEPTH
         && ((w->l[i] > 0 && strspn (w->c[i], "0123456789") >= w->l[i])
             || ocigate_proc_walk_is (w, i, "self"));
}

static void
walk_push (ocigate_proc_walk_t *w, const char *c, size_t l)
{
  if (w->n < OCIGATE_PROC_DEPTH)
    {
      w->c[w->n] = c;
      w->l[w->n] = l;
    }
  w->n++;
}

/* A process directory: /proc/P or /proc/P/task/T. */
static bool
in_process_dir (const ocigate_proc_walk_t *w)
{
  return (w->n == 2
          || (w->n == 4 && ocigate_proc_walk_is (w, 2, "task") && ocigate_proc_walk_pid (w, 3)))
         && ocigate_proc_walk_is (w, 0, "proc") && ocigate_proc_walk_pid (w, 1);
}

bool
ocigate_proc_walk (const char *path, bool any_root, bool (*stop) (const ocigate_proc_walk_t *w),
                   ocigate_proc_walk_t *w)
{
  const char *p = path;
  w->n = 0;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        return false;
      size_t l = strcspn (p, "/");
      const char *c = p;
      p += l;
      bool in_proc = w->n == 1 && ocigate_proc_walk_is (w, 0, "proc");
      if (l == 1 && c[0] == '.')
        continue;
      if (l == 2 && c[0] == '.' && c[1] == '.')
        {
          if (w->n > 0)
            w->n--;
        }
      else if (in_proc && l == 4 && strncmp (c, "self", 4) == 0)
        walk_push (w, "self", 4);
      else if (in_proc && l == 11 && strncmp (c, "thread-self", 11) == 0)
        {
          walk_push (w, "self", 4);
          walk_push (w, "task", 4);
          walk_push (w, "self", 4);
        }
      else if (in_proc && l == 3 && strncmp (c, "net", 3) == 0)
        {
          walk_push (w, "self", 4);
          walk_push (w, "net", 3);
        }
      else if (in_process_dir (w) && l == 4 && strncmp (c, "root", 4) == 0
               && (any_root || ocigate_proc_walk_is (w, 1, "self")
                   || ocigate_proc_walk_is (w, 1, "1")))
        w->n = 0;
      else
        walk_push (w, c, l);
      if (stop && stop (w))
        return true;
    }
}

/* /proc/P/fd or /proc/P/task/T/fd: from here on every component, '..'
 * included, goes through a descriptor. */
static bool
at_fd_dir (const ocigate_proc_walk_t *w)
{
  int n = w->n;
  if (n != 3 && n != 5)
    return false;
  ocigate_proc_walk_t parent = *w;
  parent.n = n - 1;
  return in_process_dir (&parent) && ocigate_proc_walk_is (w, n - 1, "fd");
}

/* /proc/self/fd, /proc/thread-self/fd, /proc/N/fd, /proc/N/task/N/fd in
 * any spelling.  Judged as the kernel walks the path, not after
 * normalising: /proc/self/fd/7/../.. is above the fd's target on the
 * host, and /proc/self/../1/fd or /proc/thread-self/../../fd are fd
 * directories.  Inside the container every process's root is the
 * container's. */
static bool
cwd_is_proc_fd (const char *cwd)
{
  ocigate_proc_walk_t w;
  return ocigate_proc_walk (cwd, true, at_fd_dir, &w);
}

int
check_proc_fd_cwd (struct eval *e, ocigate_error_t *err)
{
  const char *cwd = oj_str (oj_get (eval_process (e), "cwd"));
  if (cwd == NULL || !cwd_is_proc_fd (cwd))
    return 0;
  cleanup_free char *p = ptrf ("%s/cwd", pp (e));
  finding (e, p,
           "working directory \"%s\" is an inherited file descriptor that can reach the "
           "host filesystem",
           cwd);
  return 0;
}

int
check_process_limits (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *proc = eval_process (e);
  int64_t adj;
  if (oj_int (oj_get (proc, "oomScoreAdj"), &adj) && adj < 0)
    {
      cleanup_free char *p = ptrf ("%s/oomScoreAdj", pp (e));
      finding (e, p, "negative oomScoreAdj %lld protects the container from the OOM killer",
               (long long)adj);
    }
  const char *pol = oj_str (oj_path (proc, "scheduler/policy"));
  if (pol
      && (strcmp (pol, "SCHED_FIFO") == 0 || strcmp (pol, "SCHED_RR") == 0
          || strcmp (pol, "SCHED_DEADLINE") == 0))
    {
      cleanup_free char *p = ptrf ("%s/scheduler/policy", pp (e));
      finding (e, p, "real-time scheduling policy %s", pol);
    }
  const char *cls = oj_str (oj_path (proc, "ioPriority/class"));
  if (cls && strcmp (cls, "IOPRIO_CLASS_RT") == 0)
    {
      cleanup_free char *p = ptrf ("%s/ioPriority/class", pp (e));
      finding (e, p, "real-time I/O priority class");
    }
  return 0;
}
