/* SPDX-License-Identifier: Apache-2.0 */
/* The real host: what the LSM libraries say about this machine.  Tests
 * substitute their own ocigate_host_ops_t through ocigate_eval_opts_t;
 * nothing in the shipped binary can make it believe an LSM is absent. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_APPARMOR
#include <sys/apparmor.h>
#endif
#ifdef HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#include "ocigate/engine.h"
#include "selinux-internal.h"

static bool
real_apparmor_enabled (void)
{
#ifdef HAVE_APPARMOR
  return aa_is_enabled () == 1;
#else
  /* Built without libapparmor: ask the kernel directly so a gate never
   * silently skips confinement on an AppArmor host. */
  FILE *f = fopen ("/sys/module/apparmor/parameters/enabled", "re");
  int c = f ? fgetc (f) : EOF;
  if (f)
    fclose (f);
  return c == 'Y';
#endif
}

/* The kernel lists every loaded profile on a line of its own, "NAME (MODE)",
 * MODE being enforce, complain, kill, unconfined, ...  A profile loaded in
 * any mode counts (complain is how operators roll a profile out).  NAME may
 * contain spaces and parentheses, so it is everything before the last " (";
 * a namespaced profile is listed as ":NS:NAME" and matches only that. */
int
ocigate_apparmor_profile_listed (const char *profiles_path, const char *profile)
{
  FILE *f = fopen (profiles_path, "re");
  if (f == NULL)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int found = 0;
  while (!found && (n = getline (&line, &cap, f)) >= 0)
    {
      if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
      if (n < 4 || line[n - 1] != ')')
        continue;
      char *open = NULL;
      for (char *p = line; (p = strstr (p, " (")) != NULL; p++)
        open = p;
      if (open == NULL || open == line)
        continue;
      *open = '\0';
      found = strcmp (line, profile) == 0;
    }
  int rerr = ferror (f);
  free (line);
  fclose (f);
  return found ? 1 : rerr ? -1 : 0;
}

static int
real_apparmor_profile_loaded (const char *profile)
{
  char *fs = NULL;
#ifdef HAVE_APPARMOR
  if (aa_find_mountpoint (&fs) < 0)
    return -1;
#else
  fs = xstrdup ("/sys/kernel/security/apparmor");
#endif
  cleanup_free char *path = xasprintf ("%s/profiles", fs);
  free (fs);
  return ocigate_apparmor_profile_listed (path, profile);
}

static bool
real_selinux_enabled (void)
{
#ifdef HAVE_SELINUX
  return is_selinux_enabled () == 1;
#else
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
#endif
}

static int
real_selinux_lxc_contexts (char **ret_text)
{
#ifdef HAVE_SELINUX
  const char *path = selinux_lxc_contexts_path ();
  ocigate_error_t err = NULL;
  size_t len;
  *ret_text = NULL;
  if (path == NULL)
    return -1;
  if (ocigate_read_file (path, 1 << 20, ret_text, &len, &err) < 0)
    {
      ocigate_error_free (&err);
      return -1;
    }
  return 0;
#else
  *ret_text = NULL;
  return -1;
#endif
}

const ocigate_host_ops_t ocigate_host_real = {
  .apparmor_enabled = real_apparmor_enabled,
  .apparmor_profile_loaded = real_apparmor_profile_loaded,
  .selinux_enabled = real_selinux_enabled,
  .selinux_labels = ocigate_selinux_labels,
  .selinux_check_context = ocigate_selinux_check_context,
  .selinux_lxc_contexts = real_selinux_lxc_contexts,
};
