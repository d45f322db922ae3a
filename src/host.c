/* SPDX-License-Identifier: Apache-2.0 */
/* The real host: what the LSM libraries say about this machine.  Tests
 * substitute their own ocigate_host_ops_t through ocigate_eval_opts_t;
 * nothing in the shipped binary can make it believe an LSM is absent. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

static int
real_apparmor_profile_loaded (const char *profile)
{
  /* The kernel lists loaded profiles as "name (mode)" lines. */
  char *fs = NULL;
#ifdef HAVE_APPARMOR
  if (aa_find_mountpoint (&fs) < 0)
    return -1;
#else
  fs = xstrdup ("/sys/kernel/security/apparmor");
#endif
  cleanup_free char *path = xasprintf ("%s/profiles", fs);
  free (fs);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return -1;
  char line[4096];
  size_t l = strlen (profile);
  int found = 0;
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, profile, l) == 0 && line[l] == ' ')
      {
        found = 1;
        break;
      }
  fclose (f);
  return found;
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


const ocigate_host_ops_t ocigate_host_real = {
  .apparmor_enabled = real_apparmor_enabled,
  .apparmor_profile_loaded = real_apparmor_profile_loaded,
  .selinux_enabled = real_selinux_enabled,
  .selinux_labels = ocigate_selinux_labels,
  .selinux_check_context = ocigate_selinux_check_context,
};
