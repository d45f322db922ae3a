/* SPDX-License-Identifier: Apache-2.0 */
/* libselinux adapter: container labels with a fresh MCS pair. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#ifdef HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#include "ocigate/engine.h"
#include "selinux-internal.h"

/* Read `process = "..."` and `file = "..."` from an lxc_contexts file. */
int
ocigate_selinux_parse_lxc_contexts (const char *text, char **ret_process, char **ret_file)
{
  *ret_process = *ret_file = NULL;
  for (const char *line = text; line && *line;
       line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      while (*line == ' ' || *line == '\t')
        line++;
      char **dst = NULL;
      if (str_has_prefix (line, "process"))
        dst = ret_process, line += 7;
      else if (str_has_prefix (line, "file"))
        dst = ret_file, line += 4;
      else
        continue;
      while (*line == ' ' || *line == '\t')
        line++;
      if (*line != '=')
        continue;
      line++;
      while (*line == ' ' || *line == '\t')
        line++;
      char q = *line == '"' ? '"' : 0;
      if (q)
        line++;
      size_t l = strcspn (line, q ? "\"\r\n" : " \t\r\n");
      if (*dst == NULL && l > 0)
        *dst = xstrndup (line, l);
    }
  return *ret_process ? 0 : -1;
}

char *
ocigate_selinux_label_type (const char *label)
{
  const char *p = label;
  for (int i = 0; i < 2 && p; i++)
    {
      p = strchr (p, ':');
      if (p)
        p++;
    }
  if (p == NULL)
    return NULL;
  size_t l = strcspn (p, ":");
  return l ? xstrndup (p, l) : NULL;
}

void
ocigate_selinux_container_types (const char *text, ocigate_strlist_t *out)
{
  for (const char *line = text; line && *line;
       line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      while (*line == ' ' || *line == '\t')
        line++;
      size_t kl = strcspn (line, " \t=\r\n");
      if (!((kl == 7 && strncmp (line, "process", 7) == 0)
            || (kl > 8 && strncmp (line + kl - 8, "_process", 8) == 0)))
        continue;
      const char *v = line + kl;
      while (*v == ' ' || *v == '\t')
        v++;
      if (*v != '=')
        continue;
      v++;
      while (*v == ' ' || *v == '\t')
        v++;
      char q = *v == '"' ? '"' : 0;
      if (q)
        v++;
      cleanup_free char *ctx = xstrndup (v, strcspn (v, q ? "\"\r\n" : " \t\r\n"));
      char *type = ocigate_selinux_label_type (ctx);
      if (type == NULL)
        continue;
      out->v = xrealloc (out->v, (out->n + 2) * sizeof (char *));
      out->v[out->n++] = type;
      out->v[out->n] = NULL;
    }
}

/* Where the host names no container types (no SELinux policy installed,
 * or offline validation): the container-selinux types a container runs
 * as (svirt_lxc_net_t is container_t's older name). */
static const char *const builtin_container_types[]
    = { "container_t", "container_init_t", "svirt_lxc_net_t" };

bool
ocigate_selinux_label_allowed (const char *label, const char *lxc_contexts, const char *policy_type,
                               const ocigate_strlist_t *extra, char **ret_type)
{
  char *type = ocigate_selinux_label_type (label);
  bool ok = false;
  *ret_type = type;
  if (type == NULL)
    return false;
  if ((policy_type && strcmp (type, policy_type) == 0) || ocigate_strlist_contains (extra, type))
    return true;
  if (lxc_contexts)
    {
      ocigate_strlist_t host = { 0 };
      ocigate_selinux_container_types (lxc_contexts, &host);
      ok = ocigate_strlist_contains (&host, type);
      for (size_t i = 0; i < host.n; i++)
        free (host.v[i]);
      free (host.v);
      return ok;
    }
  for (size_t i = 0; i < ARRAY_SIZE (builtin_container_types); i++)
    ok = ok || strcmp (type, builtin_container_types[i]) == 0;
  return ok;
}

/* The kernel's white space (isspace in lib/ctype.c), which strim() removes
 * around the name runc writes to /proc/self/attr/apparmor/exec. */
static bool
kspace (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char *
ocigate_apparmor_effective_name (const char *profile)
{
  size_t l = strlen (profile);
  while (l > 0 && kspace (*profile))
    profile++, l--;
  while (l > 0 && kspace (profile[l - 1]))
    l--;
  return xstrndup (profile, l);
}

bool
ocigate_apparmor_profile_allowed (const char *profile, const char *policy_profile,
                                  const ocigate_strlist_t *allowed)
{
  cleanup_free char *name = ocigate_apparmor_effective_name (profile);
  if (*name == '\0' || strcmp (name, "unconfined") == 0)
    return false;
  if (policy_profile && strcmp (name, policy_profile) == 0)
    return true;
  for (size_t i = 0; allowed && i < allowed->n; i++)
    {
      const char *a = allowed->v[i];
      size_t n = strlen (a);
      if (n > 1 && a[n - 1] == '*' ? strncmp (name, a, n - 1) == 0 : strcmp (name, a) == 0)
        return true;
    }
  return false;
}

/* user:role:type:level with type and level replaced (NULL keeps). */
char *
ocigate_selinux_with_level (const char *ctx, const char *type, const char *level)
{
  const char *f[4] = { 0 };
  size_t l[4] = { 0 };
  const char *p = ctx;
  for (int i = 0; i < 4 && p; i++)
    {
      f[i] = p;
      if (i < 3)
        {
          const char *c = strchr (p, ':');
          l[i] = c ? (size_t)(c - p) : strlen (p);
          p = c ? c + 1 : NULL;
        }
      else
        l[i] = strlen (p);
    }
  if (f[2] == NULL)
    return NULL;
  const char *lv = level ? level : f[3] ? f[3] : "s0";
  if (type)
    return xasprintf ("%.*s:%.*s:%s:%s", (int)l[0], f[0], (int)l[1], f[1], type, lv);
  return xasprintf ("%.*s:%.*s:%.*s:%s", (int)l[0], f[0], (int)l[1], f[1], (int)l[2], f[2], lv);
}

#ifdef HAVE_SELINUX
/* Is "cA,cB" used by a running process?  Reused pairs would let two
 * containers read each other's files. */
static bool
mcs_in_use (const char *pair)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  bool used = false;
  if (d == NULL)
    return false;
  while (!used && (de = readdir (d)) != NULL)
    {
      if (!isdigit ((unsigned char)de->d_name[0]))
        continue;
      char *con = NULL;
      if (getpidcon ((pid_t)atoi (de->d_name), &con) == 0 && con)
        {
          const char *lv = strrchr (con, ':');
          used = lv && strcmp (lv + 1, pair) == 0;
          freecon (con);
        }
    }
  closedir (d);
  return used;
}
#endif

/* Pick "s0:cA,cB" with A < B < 1024 from rnd's numbers, skipping pairs
 * in_use reports.  0 on success, -1 when 64 draws found no free pair,
 * -2 when rnd fails (errno set). */
int
ocigate_selinux_pick_level (int (*rnd) (uint32_t r[2], void *arg),
                            bool (*in_use) (const char *pair, void *arg), void *arg, char *level,
                            size_t len)
{
  for (int attempt = 0; attempt < 64; attempt++)
    {
      uint32_t r[2];
      if (rnd (r, arg) < 0)
        return -2;
      unsigned a = r[0] % 1024, b = r[1] % 1024;
      if (a == b)
        continue;
      snprintf (level, len, "s0:c%u,c%u", a < b ? a : b, a < b ? b : a);
      if (in_use && in_use (level + 3, arg))
        continue;
      return 0;
    }
  return -1;
}

int
ocigate_selinux_labels_from (const char *lxc_contexts, const char *name, const char *type,
                             int (*rnd) (uint32_t r[2], void *arg),
                             bool (*in_use) (const char *pair, void *arg), void *arg,
                             char **ret_process, char **ret_mount, ocigate_error_t *err)
{
  cleanup_free char *proc = NULL;
  cleanup_free char *file = NULL;
  char level[64];
  *ret_process = *ret_mount = NULL;
  if (ocigate_selinux_parse_lxc_contexts (lxc_contexts, &proc, &file) < 0)
    return ocigate_make_error (err, 0, "selinux: `%s` names no process context", name);
  switch (ocigate_selinux_pick_level (rnd, in_use, arg, level, sizeof (level)))
    {
    case -2:
      return ocigate_make_error (err, errno, "selinux: getrandom");
    case -1:
      return ocigate_make_error (err, 0, "selinux: no unused MCS pair found");
    }
  *ret_process = ocigate_selinux_with_level (proc, type, level);
  if (*ret_process == NULL)
    return ocigate_make_error (err, 0, "selinux: malformed context \"%s\" in `%s`", proc, name);
  *ret_mount = file ? ocigate_selinux_with_level (file, NULL, level) : NULL;
  return 0;
}

#ifdef HAVE_SELINUX
static int
real_random (uint32_t r[2], void *arg)
{
  (void)arg;
  return getrandom (r, 2 * sizeof (uint32_t), 0) == 2 * sizeof (uint32_t) ? 0 : -1;
}

static bool
real_in_use (const char *pair, void *arg)
{
  (void)arg;
  return mcs_in_use (pair);
}
#endif

int
ocigate_selinux_labels (const char *type, char **ret_process, char **ret_mount,
                        ocigate_error_t *err)
{
#ifdef HAVE_SELINUX
  const char *path = selinux_lxc_contexts_path ();
  cleanup_free char *text = NULL;
  size_t len;
  if (path == NULL)
    return ocigate_make_error (err, 0, "selinux: no container contexts file on this host");
  if (ocigate_read_file (path, 1 << 20, &text, &len, err) < 0)
    return ocigate_error_prefix (err, "selinux");
  return ocigate_selinux_labels_from (text, path, type, real_random, real_in_use, NULL, ret_process,
                                      ret_mount, err);
#else
  (void)type;
  *ret_process = *ret_mount = NULL;
  return ocigate_make_error (err, 0, "selinux: ocigate was built without SELinux support");
#endif
}

int
ocigate_selinux_check_context (const char *ctx)
{
#ifdef HAVE_SELINUX
  return security_check_context (ctx) == 0 ? 0 : -1;
#else
  return -1;
#endif
}
