/* SPDX-License-Identifier: Apache-2.0 */
/* The readonly-rootfs rule: a read-only root filesystem, with a private
 * scratch tmpfs where applications write by convention (/tmp, /var/tmp,
 * /run), so temp files, FIFOs, unix sockets and pid files keep working. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "engine-internal.h"
#include "mounts.h"

/* The container's root filesystem on the host, when it can be read:
 * runtime mode (host checks) with a bundle.  NULL otherwise. */
static char *
rootfs_dir (const struct eval *e)
{
  if (!e->opts->host_checks)
    return NULL;
  return ocigate_rootfs_host_dir (oj_str (oj_path (e->root, "root/path")), e->opts->bundle);
}

/* HOME of the process as runc sets it: the process environment's HOME,
 * else the home field of the user's line in the rootfs's /etc/passwd,
 * read without following any symlink (an image may point /etc/passwd
 * anywhere on the host).  NULL when there is none, or it is "/". */
static char *
process_home (const struct eval *e, const char *rootfs)
{
  const ocigate_json_t *proc = oj_get (e->root, "process");
  const ocigate_json_t *env = oj_get (proc, "env");
  char *home = NULL;
  for (size_t i = 0; i < oj_len (env); i++)
    {
      const char *kv = oj_str (oj_at (env, i));
      if (kv && str_has_prefix (kv, "HOME="))
        {
          free (home);
          home = xstrdup (kv + 5); /* the last one wins, as in Go's os.Setenv */
        }
    }
  int64_t uid = -1;
  if (home == NULL && rootfs && oj_int (oj_path (proc, "user/uid"), &uid))
    {
      cleanup_close int dir = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int etc
          = dir < 0 ? -1 : openat (dir, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int fd
          = etc < 0 ? -1 : openat (etc, "passwd", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      struct stat st;
      if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size < (1 << 20))
        {
          cleanup_free char *buf = xmalloc ((size_t)st.st_size + 1);
          ssize_t n = read (fd, buf, (size_t)st.st_size);
          buf[n > 0 ? n : 0] = '\0';
          char *save = NULL;
          for (char *line = strtok_r (buf, "\n", &save); line && home == NULL;
               line = strtok_r (NULL, "\n", &save))
            {
              /* name:password:uid:gid:gecos:home:shell */
              char *f[7] = { 0 };
              int k = 0;
              for (char *c = line; k < 7 && c; k++)
                {
                  f[k] = c;
                  c = strchr (c, ':');
                  if (c)
                    *c++ = '\0';
                }
              char *endp;
              if (k >= 6 && f[2][0] && strtoll (f[2], &endp, 10) == uid && *endp == '\0')
                home = xstrdup (f[5]);
            }
        }
    }
  if (home && (home[0] != '/' || strcmp (home, "/") == 0))
    {
      free (home);
      home = NULL;
    }
  return home;
}

/* The scratch filesystems to add: each path of readonly_rootfs.tmpfs
 * (and the process's HOME when readonly_rootfs.home is set) that no mount
 * of the container covers, i.e. none sits at it or above it. */
struct scratch
{
  char *dest;  /* the policy's spelling, as written into the mount */
  char *where; /* where runc mounts it */
};

struct plan
{
  struct scratch *v;
  size_t n;
  char *rootfs;
  char **placed; /* where runc mounts each of the container's mounts */
  size_t n_placed;
  ocigate_walk_t walk; /* lookups left, a known plain prefix (mounts.h) */
  char *why;           /* why a place cannot be told: add nothing */
};

static void
plan_free (struct plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->v[i].dest);
      free (p->v[i].where);
    }
  free (p->v);
  free (p->rootfs);
  for (size_t i = 0; i < p->n_placed; i++)
    free (p->placed[i]);
  free (p->placed);
  free (p->why);
  ocigate_walk_free (&p->walk);
}
#define cleanup_plan __attribute__ ((cleanup (plan_free)))

static bool
covered (const struct plan *p, const char *where)
{
  for (size_t i = 0; i < p->n_placed; i++)
    if (p->placed[i] && ocigate_path_has_prefix (where, p->placed[i]))
      return true;
  for (size_t i = 0; i < p->n; i++)
    if (ocigate_path_has_prefix (where, p->v[i].where))
      return true;
  return false;
}

/* Never scratch space: the root, kernel filesystems, devices (a policy
 * cannot name them; a HOME can). */
static bool
not_scratch (const char *where)
{
  return strcmp (where, "/") == 0 || ocigate_path_has_prefix (where, "/proc")
         || ocigate_path_has_prefix (where, "/sys") || ocigate_path_has_prefix (where, "/dev");
}

/* Where runc mounts dest, or NULL (and p->why) when that cannot be told. */
static char *
place (struct plan *p, const char *dest)
{
  char *where = NULL, *why = NULL;
  if (ocigate_dest_place (p->rootfs, dest, &p->walk, &where, &why) == 0)
    return where;
  if (p->why == NULL)
    p->why = steal_pointer (&why);
  free (why);
  return NULL;
}

static void
plan_add (struct plan *p, const char *dest)
{
  char *where = place (p, dest);
  if (where == NULL || not_scratch (where) || covered (p, where))
    {
      free (where);
      return;
    }
  p->v = xrealloc (p->v, (p->n + 1) * sizeof (*p->v));
  p->v[p->n].dest = xstrdup (dest);
  p->v[p->n].where = where;
  p->n++;
}

static void
plan_make (const struct eval *e, struct plan *p)
{
  memset (p, 0, sizeof (*p));
  p->rootfs = rootfs_dir (e);
  p->walk = (ocigate_walk_t)OCIGATE_WALK_INIT;
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  p->n_placed = oj_len (mounts);
  p->placed = xzalloc ((p->n_placed + 1) * sizeof (char *));
  for (size_t i = 0; i < p->n_placed; i++)
    {
      const char *d = oj_str (oj_get (oj_at (mounts, i), "destination"));
      p->placed[i] = d ? place (p, d) : NULL;
    }
  for (size_t i = 0; i < e->pol->readonly_tmpfs.n; i++)
    plan_add (p, e->pol->readonly_tmpfs.v[i]);
  if (e->pol->readonly_home)
    {
      cleanup_free char *home = process_home (e, p->rootfs);
      if (home)
        plan_add (p, home);
    }
}

int
check_readonly_rootfs (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *ro = oj_path (e->root, "root/readonly");
  /* No root at all: the runtime refuses the config, nothing to harden. */
  if (oj_get (e->root, "root") == NULL || (ro && ro->type == OJ_TRUE))
    return 0;
  cleanup_plan struct plan p;
  plan_make (e, &p);
  if (p.why)
    {
      /* Fail closed: a scratch tmpfs where runc would not put it, or
       * placed after a mount it then hides, is a guess. */
      finding_action (e, OCIGATE_ACTION_REJECT, "/root/readonly",
                      "root filesystem is writable, and where its mounts land cannot be told: %s",
                      p.why);
      return 0;
    }
  if (p.n == 0)
    {
      finding (e, "/root/readonly", "root filesystem is writable");
      return 0;
    }
  strbuf_t b = { 0 };
  for (size_t i = 0; i < p.n; i++)
    strbuf_printf (&b, "%s%s", i ? ", " : "", p.v[i].dest);
  finding (e, "/root/readonly",
           "root filesystem is writable; read-only, it gets scratch tmpfs at %s", b.s);
  free (b.s);
  return 0;
}

/* Options of a scratch tmpfs.  No noexec: JNI and other native-library
 * loaders extract into /tmp and map the result executable.  tmpcopyup
 * (runc) copies what the image has there, with its ownership, into the
 * new tmpfs, and runc then gives the tmpfs root the mode of the image's
 * directory: mode=1777 applies only where the image has none.  The root's
 * owner is the image directory's, where it can be read. */
static ocigate_json_t *
tmpfs_mount (struct eval *e, const struct plan *p, const struct scratch *s)
{
  ocigate_json_t *m = oj_new (e->doc, OJ_OBJECT);
  ocigate_json_t *o = oj_new (e->doc, OJ_ARRAY);
  oj_set (e->doc, m, "destination", oj_new_string (e->doc, s->dest));
  oj_set (e->doc, m, "type", oj_new_string (e->doc, "tmpfs"));
  oj_set (e->doc, m, "source", oj_new_string (e->doc, "tmpfs"));
  static const char *const fixed[] = { "nosuid", "nodev", "mode=1777" };
  for (size_t k = 0; k < ARRAY_SIZE (fixed); k++)
    oj_append (e->doc, o, oj_new_string (e->doc, fixed[k]));
  if (e->pol->readonly_tmpfs_size && strcmp (e->pol->readonly_tmpfs_size, "0") != 0)
    {
      cleanup_free char *size = xasprintf ("size=%s", e->pol->readonly_tmpfs_size);
      oj_append (e->doc, o, oj_new_string (e->doc, size));
    }
  struct stat st;
  cleanup_free char *host = p->rootfs ? xasprintf ("%s%s", p->rootfs, s->where) : NULL;
  if (host && lstat (host, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_uid || st.st_gid))
    {
      cleanup_free char *uid = xasprintf ("uid=%u", (unsigned)st.st_uid);
      cleanup_free char *gid = xasprintf ("gid=%u", (unsigned)st.st_gid);
      oj_append (e->doc, o, oj_new_string (e->doc, uid));
      oj_append (e->doc, o, oj_new_string (e->doc, gid));
    }
  oj_append (e->doc, o, oj_new_string (e->doc, "tmpcopyup"));
  oj_set (e->doc, m, "options", o);
  return m;
}

/* Insert m at index i of arr, and its place at i of the plan's. */
static void
insert_at (ocigate_doc_t *doc, ocigate_json_t *arr, size_t i, ocigate_json_t *m, struct plan *p,
           const char *where)
{
  oj_append (doc, arr, m);
  size_t n = arr->u.arr.n;
  memmove (arr->u.arr.v + i + 1, arr->u.arr.v + i, (n - 1 - i) * sizeof (void *));
  arr->u.arr.v[i] = m;
  p->placed = xrealloc (p->placed, (p->n_placed + 1) * sizeof (char *));
  memmove (p->placed + i + 1, p->placed + i, (p->n_placed - i) * sizeof (char *));
  p->placed[i] = xstrdup (where);
  p->n_placed++;
}

int
fix_readonly_rootfs (struct eval *e, ocigate_error_t *err)
{
  cleanup_plan struct plan p;
  plan_make (e, &p);
  ocigate_json_t *root = oj_ensure_object (e->doc, e->root, "root");
  oj_set (e->doc, root, "readonly", oj_new_bool (e->doc, true));
  for (size_t i = 0; p.why == NULL && i < p.n; i++)
    {
      ocigate_json_t *mounts = oj_ensure_array (e->doc, e->root, "mounts");
      /* runc mounts in order: the tmpfs goes before the first mount below
       * it (a secret at /run/secrets), which it would otherwise hide. */
      size_t at = oj_len (mounts);
      for (size_t j = 0; j < p.n_placed && at == oj_len (mounts); j++)
        if (p.placed[j] && ocigate_path_has_prefix (p.placed[j], p.v[i].where))
          at = j;
      insert_at (e->doc, mounts, at, tmpfs_mount (e, &p, &p.v[i]), &p, p.v[i].where);
    }
  if (p.n && p.why == NULL)
    {
      /* The audit record says what was added. */
      strbuf_t b = { 0 };
      if (e->res->note)
        strbuf_printf (&b, "%s; ", e->res->note);
      strbuf_puts (&b, "readonly-rootfs: scratch tmpfs at");
      for (size_t i = 0; i < p.n; i++)
        strbuf_printf (&b, "%s%s", i ? ", " : " ", p.v[i].dest);
      free (e->res->note);
      e->res->note = strbuf_steal (&b);
    }
  return 0;
}
