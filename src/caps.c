/* SPDX-License-Identifier: Apache-2.0 */
/* libcap adapter: capability names and the kernel's full set. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <sys/capability.h>

#include "engine-internal.h"

#define MAX_CAPS 64

/* Upper-case "CAP_X" names of every capability libcap knows, by number;
 * built once from cap_to_name so a newer libcap brings new names. */
static char *names[MAX_CAPS];
/* The same names sorted, for bsearch on the hot path. */
static struct cap_entry
{
  const char *name;
  int cap;
} sorted[MAX_CAPS];
static size_t n_sorted;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static int
entry_cmp (const void *a, const void *b)
{
  return strcmp (((const struct cap_entry *)a)->name, ((const struct cap_entry *)b)->name);
}

static void
build_names (void)
{
  for (int c = 0; c < MAX_CAPS; c++)
    {
      char *n = cap_to_name ((cap_value_t)c);
      if (n == NULL)
        continue;
      /* For numbers it has no name for, libcap prints the number. */
      if (str_has_prefix (n, "cap_"))
        {
          names[c] = xstrdup (n);
          for (char *p = names[c]; *p; p++)
            *p = (char)toupper ((unsigned char)*p);
        }
      cap_free (n);
      if (names[c])
        sorted[n_sorted++] = (struct cap_entry){ names[c], c };
    }
  qsort (sorted, n_sorted, sizeof (*sorted), entry_cmp);
}

int
ocigate_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  pthread_once (&names_once, build_names);
  /* Exactly CAP_ and the upper-case name: runc maps names through its own
   * table and rejects others, so "cap_sys_admin", "SYS_ADMIN" or "CAP_21"
   * are not what they seem. */
  struct cap_entry key = { name, 0 };
  const struct cap_entry *hit = bsearch (&key, sorted, n_sorted, sizeof (*sorted), entry_cmp);
  return hit ? hit->cap : -1;
}

const char *
ocigate_cap_name (int cap, char buf[64])
{
  pthread_once (&names_once, build_names);
  if (cap >= 0 && cap < MAX_CAPS && names[cap])
    return names[cap];
  snprintf (buf, 64, "%d", cap);
  return buf;
}

int
ocigate_cap_kernel_count (void)
{
  int n = cap_max_bits ();
  return n > MAX_CAPS ? MAX_CAPS : n;
}

#define BIT(c) (UINT64_C (1) << (c))

uint64_t
ocigate_caps_preset (ocigate_preset_t p)
{
  switch (p)
    {
    case OCIGATE_PRESET_RESTRICTED:
      /* Pod Security "restricted": only NET_BIND_SERVICE may be added. */
      return BIT (CAP_NET_BIND_SERVICE);
    case OCIGATE_PRESET_BASELINE:
      /* Pod Security "baseline": the engines' default set. */
      return BIT (CAP_AUDIT_WRITE) | BIT (CAP_CHOWN) | BIT (CAP_DAC_OVERRIDE) | BIT (CAP_FOWNER)
             | BIT (CAP_FSETID) | BIT (CAP_KILL) | BIT (CAP_MKNOD) | BIT (CAP_NET_BIND_SERVICE)
             | BIT (CAP_SETFCAP) | BIT (CAP_SETGID) | BIT (CAP_SETPCAP) | BIT (CAP_SETUID)
             | BIT (CAP_SYS_CHROOT);
    default:
      return ~UINT64_C (0);
    }
}

int
ocigate_caps_mask (const ocigate_strlist_t *list, uint64_t *ret, ocigate_error_t *err)
{
  uint64_t m = 0;
  for (size_t i = 0; i < list->n; i++)
    {
      int c = ocigate_cap_from_name (list->v[i]);
      if (c < 0)
        return ocigate_make_error (err, 0, "unknown capability \"%s\"", list->v[i]);
      m |= BIT (c);
    }
  *ret = m;
  return 0;
}
