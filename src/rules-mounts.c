/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the filesystem the container sees: bind mounts of host paths,
 * host storage mounted by type, kernel filesystems, propagation, the root
 * filesystem.  Every mount is read through one model (mounts.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "engine-internal.h"
#include "mounts.h"

/* Host paths a container must not see (spec section 4, host-mounts). */
static const char *const sensitive[] = {
  "/",
  "/proc",
  "/sys",
  "/dev",
  "/etc",
  "/boot",
  "/root",
  "/usr",
  "/lib/modules",
  "/var/lib/kubelet",
  "/var/lib/containerd",
  "/run/containerd",
  "/run/docker.sock",
  "/var/lib/docker",
  "/run/crio",
  "/run/podman",
  "/var/lib/containers",
  "/run/containers",
  "/var/log",
};

/* Public host files: a bind that ends read-only, with every submount, of
 * a file or directory strictly below one of these shows nothing a package
 * does not ship (podman --init's /usr/bin/catatonit, GPU driver
 * libraries).  Writable, they stay host mounts to refuse. */
static const char *const public_ro[] = { "/usr", "/lib", "/opt" };

/* Directories the engines keep for one pod or one container.  Only those
 * of this container count as its own (struct own). */
#define KUBELET_PODS "/var/lib/kubelet/pods"
#define CONTAINERD_CRI_SANDBOXES "io.containerd.grpc.v1.cri/sandboxes"
#define STORAGE_CONTAINERS "storage/overlay-containers"

bool
ocigate_mount_is_bind (const ocigate_json_t *m)
{
  ocigate_mount_t mm;
  ocigate_mount_parse (m, &mm);
  return mm.bind;
}

static const char *
hits (const char *path, const char *s)
{
  /* is, lies inside, or contains */
  if (ocigate_path_has_prefix (path, s) || ocigate_path_has_prefix (s, path))
    return s;
  return NULL;
}

static bool
strictly_below (const char *path, const char *prefix)
{
  return ocigate_path_has_prefix (path, prefix) && strcmp (path, prefix) != 0;
}

/* This container's own engine-managed directories. */
struct own
{
  char *v[8];
  size_t n;
};

static void
own_free (struct own *o)
{
  for (size_t i = 0; i < o->n; i++)
    free (o->v[i]);
  o->n = 0;
}
#define cleanup_own __attribute__ ((cleanup (own_free)))

/* An id the engine wrote that names one directory: a single component. */
static bool
id_component (const char *s)
{
  return s && *s && strlen (s) < 256 && strchr (s, '/') == NULL && strcmp (s, ".") != 0
         && strcmp (s, "..") != 0;
}

static void
own_add (struct own *o, char *dir)
{
  if (o->n < ARRAY_SIZE (o->v))
    o->v[o->n++] = dir;
  else
    free (dir);
}

/* Which engine-managed directories are this container's own: the pod and
 * sandbox the context believes (engine.c: only the engine's own keys and,
 * in runtime mode, only on the engine's own call; a podman user can write
 * any engine's keys, including io.container.manager), and the container
 * from where its bundle is. */
static void
own_dirs (struct eval *e, struct own *o)
{
  const ocigate_context_t *ctx = &e->res->ctx;
  o->n = 0;
  if (ctx->engine && id_component (ctx->pod_uid))
    own_add (o, xasprintf (KUBELET_PODS "/%s", ctx->pod_uid));
  if (ctx->engine && strcmp (ctx->engine, "containerd") == 0 && id_component (ctx->sandbox_id))
    {
      own_add (o,
               xasprintf ("/var/lib/containerd/" CONTAINERD_CRI_SANDBOXES "/%s", ctx->sandbox_id));
      own_add (o, xasprintf ("/run/containerd/" CONTAINERD_CRI_SANDBOXES "/%s", ctx->sandbox_id));
    }
  else if (ctx->engine && strcmp (ctx->engine, "cri-o") == 0 && id_component (ctx->sandbox_id))
    {
      own_add (
          o, xasprintf ("/var/lib/containers/" STORAGE_CONTAINERS "/%s/userdata", ctx->sandbox_id));
      own_add (o,
               xasprintf ("/run/containers/" STORAGE_CONTAINERS "/%s/userdata", ctx->sandbox_id));
    }
  /* The container's own directory, from where its bundle is: podman and
   * CRI-O keep it at .../overlay-containers/ID/userdata, containerd's shim
   * (CRI, Docker) at .../io.containerd.runtime.v2.task/NS/ID. */
  if (e->opts->bundle == NULL)
    return;
  char buf[PATH_MAX];
  cleanup_free char *b = e->opts->host_checks && realpath (e->opts->bundle, buf)
                             ? xstrdup (buf)
                             : ocigate_path_clean (e->opts->bundle);
  char *slash = strrchr (b, '/');
  if (slash == NULL || slash == b)
    return;
  if (strcmp (slash + 1, "userdata") == 0)
    {
      *slash = '\0';
      slash = strrchr (b, '/');
      if (slash && id_component (slash + 1))
        {
          own_add (o,
                   xasprintf ("/var/lib/containers/" STORAGE_CONTAINERS "/%s/userdata", slash + 1));
          own_add (o, xasprintf ("/run/containers/" STORAGE_CONTAINERS "/%s/userdata", slash + 1));
        }
    }
  else if (id_component (slash + 1))
    {
      own_add (o, xasprintf ("/var/lib/docker/containers/%s", slash + 1));
      /* containerd's CRI keeps image-declared volumes there */
      own_add (
          o, xasprintf ("/var/lib/containerd/io.containerd.grpc.v1.cri/containers/%s", slash + 1));
    }
}

/* A podman named volume: data the user shares on purpose, not engine
 * state. */
static bool
podman_volume (const char *path)
{
  static const char vol[] = "/var/lib/containers/storage/volumes/";
  if (strncmp (path, vol, strlen (vol)) != 0)
    return false;
  const char *name = path + strlen (vol);
  const char *s = strchr (name, '/');
  return s && s > name && strncmp (s, "/_data", 6) == 0 && (s[6] == '\0' || s[6] == '/');
}

static bool
public_path (const char *path)
{
  for (size_t i = 0; i < ARRAY_SIZE (public_ro); i++)
    if (strictly_below (path, public_ro[i]))
      return true;
  return false;
}

static const char *
sensitive_hit (const ocigate_policy_t *pol, const struct own *own, const char *path,
               bool public_read)
{
  /* The operator's deny list holds inside allowed prefixes too. */
  for (size_t i = 0; i < pol->mounts_deny.n; i++)
    if (hits (path, pol->mounts_deny.v[i]))
      return pol->mounts_deny.v[i];
  if (public_read && public_path (path))
    return NULL;
  for (size_t i = 0; own && i < own->n; i++)
    if (ocigate_path_has_prefix (path, own->v[i]))
      return NULL;
  if (podman_volume (path))
    return NULL;
  for (size_t i = 0; i < pol->mounts_allow.n; i++)
    {
      cleanup_free char *a = ocigate_path_normalize (pol->mounts_allow.v[i]);
      if (strictly_below (path, a))
        return NULL;
    }
  for (size_t i = 0; i < ARRAY_SIZE (sensitive); i++)
    {
      /* "/" is sensitive only as itself: everything lies inside it. */
      if (strcmp (sensitive[i], "/") == 0)
        {
          if (strcmp (path, "/") == 0)
            return "/";
          continue;
        }
      if (hits (path, sensitive[i]))
        return sensitive[i];
    }
  return NULL;
}

const char *
ocigate_sensitive_path (const ocigate_policy_t *pol, const char *path)
{
  return sensitive_hit (pol, NULL, path, false);
}

/* The absolute bundle directory (runc's working directory). */
static char *
bundle_dir (struct eval *e, bool physical)
{
  const char *b = e->opts->bundle ? e->opts->bundle : ".";
  char buf[PATH_MAX];
  if (physical && realpath (b, buf) != NULL)
    return xstrdup (buf);
  if (b[0] == '/')
    return xstrdup (b);
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    return NULL;
  return xasprintf ("%s/%s", cwd, b);
}

/* Where a bind source leads.  runc 1.1.5 joins a relative source to its
 * working directory (the bundle) with filepath.Join, which removes ".."
 * lexically, and hands an absolute one to the kernel as written, which
 * follows a symlink before the ".." after it.  With host checks the walk is
 * physical and must pass only through directories root alone controls;
 * without, a ".." cannot be judged.  *ret_physical: the path to mount
 * (host checks), *ret_judged: the same with /var/run read as /run. */
/* The bind sources of one rule: host lookups allowed (mounts.h), and
 * the last source judged, which the next mount often repeats. */
struct sources
{
  unsigned long left;
  char *src, *phys, *judged, *why;
  int rc;
};
#define SOURCES_INIT                                                                               \
  {                                                                                                \
    .left = OCIGATE_WALK_BUDGET                                                                    \
  }

static void
sources_forget (struct sources *c)
{
  free (c->src);
  free (c->phys);
  free (c->judged);
  free (c->why);
  c->src = c->phys = c->judged = c->why = NULL;
}
#define cleanup_sources __attribute__ ((cleanup (sources_forget)))

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static int bind_source_walk (struct eval *e, unsigned long *budget, const char *src,
                             char **ret_physical, char **ret_judged, char **ret_why);

static int
bind_source (struct eval *e, struct sources *c, const char *src, char **ret_physical,
             char **ret_judged, char **ret_why)
{
  if (c->src == NULL || strcmp (c->src, src) != 0)
    {
      sources_forget (c);
      c->rc = bind_source_walk (e, &c->left, src, &c->phys, &c->judged, &c->why);
      c->src = xstrdup (src);
    }
  *ret_physical = dup_or_null (c->phys);
  *ret_judged = dup_or_null (c->judged);
  *ret_why = dup_or_null (c->why);
  return c->rc;
}

static int
bind_source_walk (struct eval *e, unsigned long *budget, const char *src, char **ret_physical,
                  char **ret_judged, char **ret_why)
{
  bool host = e->opts->host_checks;
  *ret_physical = *ret_judged = *ret_why = NULL;
  if (!host && ocigate_path_has_dotdot (src))
    {
      *ret_why = xstrdup ("it has a \"..\" component, which the kernel applies after "
                          "following symlinks: only the host can tell where it leads");
      return -1;
    }
  cleanup_free char *joined = NULL;
  if (src[0] == '/')
    joined = xstrdup (src);
  else
    {
      cleanup_free char *b = bundle_dir (e, host);
      if (b == NULL)
        {
          *ret_why = xstrdup ("the bundle directory is unknown");
          return -1;
        }
      cleanup_free char *t = xasprintf ("%s/%s", b, src);
      joined = ocigate_path_clean (t);
    }
  if (!host)
    {
      *ret_judged = ocigate_var_run_to_run (ocigate_path_lexical (joined));
      return 0;
    }
  if (ocigate_path_walk_budget (joined, true, budget, ret_physical, ret_why) < 0)
    return -1;
  *ret_judged = ocigate_var_run_to_run (xstrdup (*ret_physical));
  return 0;
}

/* The host's mount points, read from /proc/self/mountinfo once per
 * evaluation of the rule, when first needed. */
struct mountinfo
{
  bool read, failed;
  char **v;
  size_t n;
};

static void
mountinfo_free (struct mountinfo *mi)
{
  for (size_t i = 0; i < mi->n; i++)
    free (mi->v[i]);
  free (mi->v);
  mi->v = NULL;
  mi->n = 0;
}
#define cleanup_mountinfo __attribute__ ((cleanup (mountinfo_free)))

static void
mountinfo_read (struct mountinfo *mi)
{
  mi->read = true;
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    {
      mi->failed = true;
      return;
    }
  char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) >= 0)
    {
      /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." with \ooo escapes */
      char *p = line;
      for (int field = 0; field < 4 && p; field++)
        p = (p = strchr (p, ' ')) ? p + 1 : NULL;
      if (p == NULL)
        continue;
      char *end = strchr (p, ' ');
      if (end)
        *end = '\0';
      char *o = p;
      for (char *i = p; *i; i++)
        {
          if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7'
              && i[3] >= '0' && i[3] <= '7')
            {
              *o++ = (char)(((i[1] - '0') << 6) | ((i[2] - '0') << 3) | (i[3] - '0'));
              i += 3;
            }
          else
            *o++ = *i;
        }
      *o = '\0';
      mi->v = xrealloc (mi->v, (mi->n + 1) * sizeof (char *));
      mi->v[mi->n++] = xstrdup (p);
    }
  free (line);
  fclose (f);
}

/* Is anything mounted strictly below path (physical) on this host?  An
 * rbind brings such mounts along, and "ro" reaches only the top one. */
static bool
has_submounts (struct mountinfo *mi, const char *path)
{
  if (!mi->read)
    mountinfo_read (mi);
  if (mi->failed)
    return true; /* cannot tell: assume so */
  for (size_t i = 0; i < mi->n; i++)
    if (strictly_below (mi->v[i], path))
      return true;
  return false;
}

static bool
type_allowed (const ocigate_policy_t *pol, const char *type)
{
  return type && ocigate_strlist_contains (&pol->mounts_allowed_types, type);
}

/* An overlay or aufs the policy lets through still must not layer a
 * sensitive host directory: judge each directory its options name as a
 * bind source (lowerdir=A:B, upperdir=, workdir=, br=A=rw:B=ro). */
static void
layer_dirs (struct eval *e, struct sources *c, const struct own *own, const ocigate_json_t *j,
            size_t i)
{
  static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=", "br=", "dirs=" };
  const ocigate_json_t *opts = oj_get (j, "options");
  for (size_t k = 0; k < oj_len (opts); k++)
    {
      const char *w = oj_str (oj_at (opts, k));
      if (w == NULL || !ocigate_mount_word_is_data (w))
        continue;
      /* runc joins the data words with ",": one word may hold several */
      cleanup_free char *copy = xstrdup (w);
      char *save = NULL;
      for (char *opt = strtok_r (copy, ",", &save); opt; opt = strtok_r (NULL, ",", &save))
        for (size_t q = 0; q < ARRAY_SIZE (keys); q++)
          {
            if (strncmp (opt, keys[q], strlen (keys[q])) != 0)
              continue;
            char *save2 = NULL;
            for (char *dir = strtok_r (opt + strlen (keys[q]), ":", &save2); dir;
                 dir = strtok_r (NULL, ":", &save2))
              {
                /* aufs branches carry "=rw"/"=ro" */
                char *eq = strcmp (keys[q], "br=") == 0 || strcmp (keys[q], "dirs=") == 0
                               ? strchr (dir, '=')
                               : NULL;
                if (eq)
                  *eq = '\0';
                cleanup_free char *p = ptrf ("/mounts/%zu/options/%zu", i, k);
                cleanup_free char *phys = NULL, *n = NULL, *why = NULL;
                if (bind_source (e, c, dir, &phys, &n, &why) < 0)
                  finding_action (e, OCIGATE_ACTION_REJECT, p,
                                  "layer directory %s cannot be judged: %s", dir, why);
                else if (sensitive_hit (e->pol, own, n, false))
                  finding_action (e, OCIGATE_ACTION_REJECT, p,
                                  "%s layers host path %s into the container", keys[q], n);
              }
          }
    }
}

int
check_host_mounts (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  cleanup_own struct own own = { 0 };
  cleanup_mountinfo struct mountinfo mi = { 0 };
  cleanup_sources struct sources src = SOURCES_INIT;
  own_dirs (e, &own);
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      ocigate_mount_t m;
      ocigate_mount_parse (oj_at (mounts, i), &m);
      /* runc 1.1.5 passes MS_REMOUNT to mount(2) as it stands: the kernel
       * then changes the mount already at the destination (found through
       * the image's symlinks), whatever type and source say -- the sysfs
       * made writable, the host filesystem under the rootfs made
       * read-only or resized, a read-only bind made writable.  No engine
       * writes one; the word is set-only, so the parsed flags decide. */
      if (m.flags & MS_REMOUNT)
        {
          cleanup_free char *p = ptrf ("/mounts/%zu/options", i);
          finding_action (e, OCIGATE_ACTION_REJECT, p,
                          "mount at %s has option \"remount\": runc would change the mount "
                          "already there (a kernel or host filesystem), not make a new one",
                          m.destination ? m.destination : "");
          continue;
        }
      if (!m.bind)
        {
          /* Not a bind and not a pseudo filesystem: host storage (a block
           * device, an overlay of host directories, a network share).
           * The device cgroup applies only after runc has mounted it. */
          if (ocigate_mount_pseudo_type (m.type))
            continue;
          if (type_allowed (e->pol, m.type))
            {
              layer_dirs (e, &src, &own, oj_at (mounts, i), i);
              continue;
            }
          cleanup_free char *p = ptrf ("/mounts/%zu/type", i);
          finding_action (e, OCIGATE_ACTION_REJECT, p,
                          "mount of a \"%s\" filesystem from \"%s\" exposes host storage",
                          m.type ? m.type : "", m.source ? m.source : "");
          continue;
        }
      if (m.source == NULL)
        continue; /* runc cannot bind nothing */
      cleanup_free char *p = ptrf ("/mounts/%zu/source", i);
      cleanup_free char *phys = NULL, *n = NULL, *why = NULL;
      if (bind_source (e, &src, m.source, &phys, &n, &why) < 0)
        {
          finding_action (e, OCIGATE_ACTION_REJECT, p, "bind source %s cannot be judged: %s",
                          m.source, why);
          continue;
        }
      /* Read-only with every mount below it; on the host, an rbind of a
       * tree with no mount inside is read-only as a whole. */
      bool ro = ocigate_mount_readonly_all (&m)
                || (phys && ocigate_mount_readonly (&m) && public_path (n)
                    && !has_submounts (&mi, phys));
      const char *s = sensitive_hit (e->pol, &own, n, ro);
      if (s != NULL)
        {
          if (strcmp (n, s) == 0)
            finding_action (e, OCIGATE_ACTION_REJECT, p, "bind mount of host path %s", n);
          else
            finding_action (e, OCIGATE_ACTION_REJECT, p, "bind mount of host path %s (%s %s)", n,
                            ocigate_path_has_prefix (n, s) ? "inside" : "contains", s);
          continue;
        }
      /* Check, then use: runc must mount the path judged, not walk the
       * source again. */
      if (phys && strcmp (phys, m.source) != 0)
        {
          size_t mark = e->res->n;
          finding_action (e, OCIGATE_ACTION_REWRITE, p, "bind source %s is mounted from %s",
                          m.source, phys);
          finding_hint (e, mark,
                        "nothing to change in the workload: the gate has runc mount the path "
                        "it judged, so the source is not walked again");
        }
    }
  return 0;
}

int
fix_host_mounts (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *mounts = oj_get (e->root, "mounts");
  if (!e->opts->host_checks)
    return 0;
  cleanup_sources struct sources src = SOURCES_INIT;
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      ocigate_json_t *j = oj_at (mounts, i);
      ocigate_mount_t m;
      ocigate_mount_parse (j, &m);
      if (!m.bind || m.source == NULL)
        continue;
      cleanup_free char *phys = NULL, *n = NULL, *why = NULL;
      if (bind_source (e, &src, m.source, &phys, &n, &why) < 0)
        return ocigate_make_error (err, 0, "bind source %s cannot be judged: %s", m.source, why);
      if (strcmp (phys, m.source) != 0)
        oj_set (e->doc, j, "source", oj_new_string (e->doc, phys));
    }
  return 0;
}

/* The standard kernel filesystems and where they belong. */
static bool
standard_kernel_mount (const char *dest, const char *type)
{
  if (type == NULL)
    return false;
  return (strcmp (dest, "/proc") == 0 && strcmp (type, "proc") == 0)
         || (strcmp (dest, "/sys") == 0 && strcmp (type, "sysfs") == 0)
         || (strcmp (dest, "/sys/fs/cgroup") == 0
             && (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0))
         || (strcmp (dest, "/dev/mqueue") == 0 && strcmp (type, "mqueue") == 0);
}

static bool
is_cgroup (const char *type)
{
  return type && (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0);
}

/* Judge one place of a kernel filesystem mount (the destination as
 * written, and where the image's symlinks lead it). */
static void
kernel_place (struct eval *e, const char *p, const char *type, const char *dest, const char *d)
{
  bool under = ocigate_path_has_prefix (d, "/proc") || ocigate_path_has_prefix (d, "/sys");
  const char *via = strcmp (d, dest) != 0 ? " (where the image's symlinks lead " : "";
  const char *via_end = *via ? ")" : "";
  const char *via_dest = *via ? dest : "";
  if (under && !standard_kernel_mount (d, type))
    finding (e, p, "mount over %s%s%s%s hides or exposes kernel state", d, via, via_dest, via_end);
  else if (type && strcmp (type, "proc") == 0 && strcmp (d, "/proc") != 0)
    finding (e, p, "proc mounted at %s%s%s%s instead of /proc", d, via, via_dest, via_end);
  /* Without a cgroup namespace (and runc 1.1.5 on cgroup v1) a cgroup
   * filesystem shows the host's whole hierarchy; at its standard place
   * runc and engines expect it, anywhere else it is only that. */
  else if (is_cgroup (type) && strcmp (d, "/sys/fs/cgroup") != 0)
    finding (e, p,
             "%s mounted at %s%s%s%s instead of /sys/fs/cgroup shows the host's cgroup "
             "hierarchy",
             type, d, via, via_dest, via_end);
}

int
check_kernel_mounts (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  /* In runtime mode the rootfs is there to read: runc places each
   * destination following the image's symlinks (securejoin). */
  cleanup_free char *rootfs
      = e->opts->host_checks
            ? ocigate_rootfs_host_dir (oj_str (oj_path (e->root, "root/path")), e->opts->bundle)
            : NULL;
  cleanup_walk ocigate_walk_t walk = OCIGATE_WALK_INIT;
  bool spent = false;
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      ocigate_mount_t m;
      ocigate_mount_parse (oj_at (mounts, i), &m);
      const char *type = m.type;
      const char *d = m.destination;
      if (d == NULL)
        continue;
      /* runc joins a relative destination to the rootfs: "sys/kernel" is
       * /sys/kernel. */
      cleanup_free char *abs = d[0] == '/' ? xstrdup (d) : xasprintf ("/%s", d);
      cleanup_free char *dest = ocigate_path_normalize (abs);
      cleanup_free char *p = ptrf ("/mounts/%zu", i);
      kernel_place (e, p, type, dest, dest);
      if (rootfs && !spent)
        {
          cleanup_free char *where = NULL, *why = NULL;
          if (ocigate_dest_place (rootfs, d, &walk, &where, &why) < 0)
            {
              finding (e, p, "mount destination %.200s%s cannot be judged: %s", d,
                       strlen (d) > 200 ? "..." : "", why);
              spent = walk.left == 0; /* said once: the rest cannot be judged either */
            }
          else if (strcmp (where, dest) != 0)
            kernel_place (e, p, type, dest, where);
        }
      /* Options apply in order (["ro","rw"] is read-write), and runc
       * applies the recursive forms (rro) to bind mounts only. */
      if (!m.bind && type && ocigate_mount_readonly (&m) == false
          && (strcmp (type, "sysfs") == 0 || is_cgroup (type)))
        finding_fix (e,
                     "mount it read-only (options: ro), as engines do for a container that is "
                     "not privileged",
                     p, "%s at %s is mounted read-write", type, dest);
    }
  return 0;
}

int
check_mount_propagation (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      ocigate_mount_t m;
      ocigate_mount_parse (oj_at (mounts, i), &m);
      /* runc 1.1.5 applies the propagation words to every mount, a tmpfs
       * or a proc as much as a bind (one mount(2) each, in order). */
      if (!ocigate_mount_shared (&m))
        continue;
      cleanup_free char *p = ptrf ("/mounts/%zu/options", i);
      if (m.bind)
        finding (e, p, "bind mount with shared propagation lets the container mount on the host");
      else
        finding (e, p, "%s mount with shared propagation passes mounts made under it to its peers",
                 m.type ? m.type : "untyped");
    }
  const char *rp = oj_str (oj_path (e->root, "linux/rootfsPropagation"));
  if (rp && (strcmp (rp, "shared") == 0 || strcmp (rp, "rshared") == 0))
    finding (e, "/linux/rootfsPropagation", "root filesystem propagation is %s", rp);
  return 0;
}

/* Engine state trees hold the engines' own rootfs directories (containerd's
 * task bundles, Docker's and podman's overlay dirs): a root inside them is
 * normal, a root that is one of them, or above one, is not. */
static bool
engine_state_dir (const char *s)
{
  return strcmp (s, "/var/lib/containerd") == 0 || strcmp (s, "/run/containerd") == 0
         || strcmp (s, "/var/lib/docker") == 0 || strcmp (s, "/run/crio") == 0
         || strcmp (s, "/run/podman") == 0 || strcmp (s, "/var/lib/containers") == 0
         || strcmp (s, "/run/containers") == 0;
}

/* Where root.path leads.  runc 1.1.5 joins a relative root.path to its
 * working directory -- the bundle's physical path, from getcwd -- with
 * filepath.Join (".." removed lexically there), and insists the result
 * has no symlink; an absolute one reaches the kernel as written. */
static int
root_dir (struct eval *e, const char *path, char **ret, char **ret_why)
{
  bool host = e->opts->host_checks;
  *ret = *ret_why = NULL;
  cleanup_free char *joined = NULL;
  if (path[0] == '/')
    {
      if (!host && ocigate_path_has_dotdot (path))
        {
          *ret_why = xstrdup ("it has a \"..\" component, which the kernel applies after "
                              "following symlinks: only the host can tell where it leads");
          return -1;
        }
      joined = xstrdup (path);
    }
  else
    {
      /* The bundle's physical place is known only on the host. */
      if (!host && ocigate_path_has_dotdot (path))
        {
          *ret_why = xstrdup ("it climbs out of the bundle with \"..\", from the bundle's "
                              "physical place, which only the host can tell");
          return -1;
        }
      cleanup_free char *b = bundle_dir (e, host);
      if (b == NULL)
        {
          *ret_why = xasprintf ("cannot get the working directory: %s", strerror (errno));
          return -1;
        }
      cleanup_free char *t = xasprintf ("%s/%s", b, path);
      joined = ocigate_path_clean (t);
    }
  if (!host)
    {
      *ret = ocigate_var_run_to_run (ocigate_path_lexical (joined));
      return 0;
    }
  cleanup_free char *phys = NULL;
  if (ocigate_path_walk (joined, false, &phys, ret_why) < 0)
    return -1;
  *ret = ocigate_var_run_to_run (steal_pointer (&phys));
  return 0;
}

int
check_root_path (struct eval *e, ocigate_error_t *err)
{
  const char *path = oj_str (oj_path (e->root, "root/path"));
  if (path == NULL)
    return 0;
  cleanup_free char *n = NULL, *why = NULL;
  if (root_dir (e, path, &n, &why) < 0)
    {
      finding (e, "/root/path", "root filesystem %s cannot be judged: %s", path, why);
      return 0;
    }
  const char *hit = NULL;
  for (size_t i = 0; hit == NULL && i < ARRAY_SIZE (sensitive); i++)
    {
      if (ocigate_path_has_prefix (sensitive[i], n))
        hit = sensitive[i]; /* is, or is an ancestor of, a sensitive path */
      else if (strcmp (sensitive[i], "/") != 0 && !engine_state_dir (sensitive[i])
               && ocigate_path_has_prefix (n, sensitive[i]))
        hit = sensitive[i];
    }
  for (size_t i = 0; hit == NULL && i < e->pol->mounts_deny.n; i++)
    if (hits (n, e->pol->mounts_deny.v[i]))
      hit = e->pol->mounts_deny.v[i];
  if (hit)
    finding (e, "/root/path", "root filesystem %s is a host system path (%s)", n, hit);
  return 0;
}
