/* SPDX-License-Identifier: Apache-2.0 */
/* One model of a mount, as runc 1.1.5 turns the OCI entry into mount(2)
 * calls, and paths walked the way the kernel walks them.  Every mount rule
 * reads mounts through this model, never through the option words. */
#ifndef OCIGATE_MOUNTS_H
#define OCIGATE_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ocigate/json.h"

/* Propagation as runc applies it: each word one mount(2) call, in order. */
typedef enum
{
  OCIGATE_PROP_NONE = 0,
  OCIGATE_PROP_PRIVATE,
  OCIGATE_PROP_SHARED,
  OCIGATE_PROP_SLAVE,
  OCIGATE_PROP_UNBINDABLE,
} ocigate_prop_t;

typedef struct
{
  const char *type, *source, *destination; /* borrowed; NULL when absent */
  unsigned long flags;                     /* MS_* after every word, in order */
  uint64_t rec_set, rec_clr;               /* MOUNT_ATTR_* of the recursive forms */
  ocigate_prop_t prop_top;                 /* the last propagation word */
  ocigate_prop_t prop_rec;                 /* the last recursive one (reaches submounts) */
  bool bind;                               /* type "bind", or bind/rbind among the words */
  bool tmpcopyup;
} ocigate_mount_t;

/* Parse one entry of config.json "mounts" (options applied in order). */
void ocigate_mount_parse (const ocigate_json_t *m, ocigate_mount_t *ret);
/* Is the word one runc passes to the filesystem as data (not a flag)? */
bool ocigate_mount_word_is_data (const char *word);
/* The mount itself ends read-only (what the kernel applies, as runc 1.1.5
 * does it: the recursive forms act on bind mounts only). */
bool ocigate_mount_readonly (const ocigate_mount_t *m);
/* The mount and every mount below it end read-only. */
bool ocigate_mount_readonly_all (const ocigate_mount_t *m);
/* The mount, or a submount it brings along, ends shared. */
bool ocigate_mount_shared (const ocigate_mount_t *m);
/* proc, sysfs, tmpfs, devpts, mqueue, cgroup, cgroup2: nothing of the
 * host's storage. */
bool ocigate_mount_pseudo_type (const char *type);

/* Does the path have a ".." component? */
bool ocigate_path_has_dotdot (const char *path);
/* Lexical form of an absolute path without "..": "//", "/./" and a
 * trailing "/" dropped.  (No symlinks are known here.) */
char *ocigate_path_lexical (const char *path);
/* Go's filepath.Clean of an absolute path: ".." removed lexically (what
 * runc does when it joins a relative path to its working directory). */
char *ocigate_path_clean (const char *path);

/* Walk an absolute path on this host as the kernel does: a symlink is
 * followed before the ".." after it.  *ret_path is the physical path the
 * walk reaches (components past a missing one kept lexically).  With
 * strict, every directory the walk looks a name up in must be one only
 * root can change (owned by root, writable by no one else, or sticky with
 * a root-owned entry): otherwise a swapped symlink could send the mount
 * elsewhere after the check.  Returns 0, or -1 with *ret_why (allocated)
 * saying why the path cannot be judged. */
int ocigate_path_walk (const char *path, bool strict, char **ret_path, char **ret_why);
/* The same, each component taking one of *budget (when not NULL): none
 * left, the walk fails (the path is not judged). */
int ocigate_path_walk_budget (const char *path, bool strict, unsigned long *budget, char **ret_path,
                              char **ret_why);

/* Where runc 1.1.5 mounts a destination inside the rootfs (securejoin):
 * a relative destination is joined to "/", symlinks of the IMAGE are
 * followed with an absolute target or a ".." never leaving the rootfs,
 * up to OCIGATE_DEST_MAX_LINKS links (runc then fails with ELOOP).  With
 * rootfs NULL the path is judged lexically, /var/run read as /run (every
 * image that follows the FHS).  w carries, across the walks of one rule,
 * the symlink lookups still allowed (each readlink takes one) and the
 * last prefix found to hold no symlink (not looked up again).  *ret: the
 * normalised in-container path.  Returns 0, or -1 with *ret_why
 * (allocated) when the place cannot be told (too many links, the budget
 * spent, an error other than a missing component): fail closed. */
#define OCIGATE_DEST_MAX_LINKS 255
#define OCIGATE_WALK_BUDGET 100000UL
typedef struct
{
  unsigned long left; /* lookups still allowed */
  char *plain;        /* a rootfs-relative prefix without symlinks ("" none) */
  size_t plain_len;
} ocigate_walk_t;
#define OCIGATE_WALK_INIT                                                                          \
  {                                                                                                \
    .left = OCIGATE_WALK_BUDGET                                                                    \
  }
void ocigate_walk_free (ocigate_walk_t *w);
#define cleanup_walk __attribute__ ((cleanup (ocigate_walk_free)))
int ocigate_dest_place (const char *rootfs, const char *dest, ocigate_walk_t *w, char **ret,
                        char **ret_why);
/* The container's root filesystem on this host: root.path, joined to the
 * bundle when relative.  NULL when either is unknown. */
char *ocigate_rootfs_host_dir (const char *root_path, const char *bundle);

/* "/var/run..." as "/run..." (takes p) */
char *ocigate_var_run_to_run (char *p);
/* normalised host path (lexical; resolving symlinks on the host when asked) */
char *ocigate_host_path (const char *path, bool resolve);

#endif
