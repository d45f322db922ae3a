/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the filesystem the container sees: bind mounts of host paths,
 * kernel filesystems, propagation, the root filesystem. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "engine-internal.h"

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
};

/* Per-pod and per-container directories the engines manage themselves:
 * a path strictly below one of these is the container's own. */
static const char *const engine_dirs[] = {
  "/var/lib/kubelet/pods",
  "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes",
  "/run/containerd/io.containerd.grpc.v1.cri/sandboxes",
  "/var/lib/docker/containers",
};

bool
ocigate_mount_is_bind (const ocigate_json_t *m)
{
  const char *type = oj_str (oj_get (m, "type"));
  const ocigate_json_t *opts = oj_get (m, "options");
  if (type && strcmp (type, "bind") == 0)
    return true;
  for (size_t i = 0; i < oj_len (opts); i++)
    if (oj_str_eq (oj_at (opts, i), "bind") || oj_str_eq (oj_at (opts, i), "rbind"))
      return true;
  return false;
}

static char *
var_run_to_run (char *p)
{
  if (ocigate_path_has_prefix (p, "/var/run"))
    {
      char *r = xasprintf ("/run%s", p + strlen ("/var/run"));
      free (p);
      return r;
    }
  return p;
}

/* Resolve symlinks of the longest existing prefix, keep the rest. */
static char *
resolve_existing (const char *path)
{
  char buf[PATH_MAX];
  cleanup_free char *head = xstrdup (path);
  size_t l = strlen (head);
  for (;;)
    {
      if (realpath (head, buf) != NULL)
        {
          const char *rest = path + l;
          if (*rest == '\0')
            return xstrdup (buf);
          return xasprintf ("%s%s%s", buf, strcmp (buf, "/") == 0 ? "" : "/",
                            rest[0] == '/' ? rest + 1 : rest);
        }
      char *slash = strrchr (head, '/');
      if (slash == NULL || slash == head)
        return xstrdup (path);
      *slash = '\0';
      l = (size_t)(slash - head);
    }
}

char *
ocigate_host_path (const char *path, bool resolve)
{
  char *n = var_run_to_run (ocigate_path_normalize (path));
  if (resolve)
    {
      char *r = resolve_existing (n);
      free (n);
      n = var_run_to_run (r);
    }
  return n;
}

static bool
in_engine_dir (const ocigate_policy_t *pol, const char *path)
{
  for (size_t i = 0; i < ARRAY_SIZE (engine_dirs); i++)
    if (ocigate_path_has_prefix (path, engine_dirs[i]) && strcmp (path, engine_dirs[i]) != 0)
      return true;
  for (size_t i = 0; i < pol->mounts_allow.n; i++)
    {
      cleanup_free char *a = ocigate_path_normalize (pol->mounts_allow.v[i]);
      if (ocigate_path_has_prefix (path, a) && strcmp (path, a) != 0)
        return true;
    }
  return false;
}

static const char *
hits (const char *path, const char *s)
{
  /* is, lies inside, or contains */
  if (ocigate_path_has_prefix (path, s) || ocigate_path_has_prefix (s, path))
    return s;
  return NULL;
}

const char *
ocigate_sensitive_path (const ocigate_policy_t *pol, const char *path)
{
  if (in_engine_dir (pol, path))
    return NULL;
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
  for (size_t i = 0; i < pol->mounts_deny.n; i++)
    if (hits (path, pol->mounts_deny.v[i]))
      return pol->mounts_deny.v[i];
  return NULL;
}

int
check_host_mounts (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      const ocigate_json_t *m = oj_at (mounts, i);
      const char *src = oj_str (oj_get (m, "source"));
      if (src == NULL || !ocigate_mount_is_bind (m))
        continue;
      /* A relative bind source is relative to the runtime's cwd, the bundle. */
      cleanup_free char *abs = src[0] == '/' || e->opts->bundle == NULL
                                   ? xstrdup (src)
                                   : xasprintf ("%s/%s", e->opts->bundle, src);
      cleanup_free char *n = ocigate_host_path (abs, e->opts->host_checks);
      const char *s = ocigate_sensitive_path (e->pol, n);
      if (s == NULL)
        continue;
      cleanup_free char *p = ptrf ("/mounts/%zu/source", i);
      if (strcmp (n, s) == 0)
        finding (e, p, "bind mount of host path %s", n);
      else
        finding (e, p, "bind mount of host path %s (%s %s)", n,
                 ocigate_path_has_prefix (n, s) ? "inside" : "contains", s);
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
opt (const ocigate_json_t *m, const char *o)
{
  const ocigate_json_t *opts = oj_get (m, "options");
  for (size_t i = 0; i < oj_len (opts); i++)
    if (oj_str_eq (oj_at (opts, i), o))
      return true;
  return false;
}

int
check_kernel_mounts (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      const ocigate_json_t *m = oj_at (mounts, i);
      const char *type = oj_str (oj_get (m, "type"));
      const char *d = oj_str (oj_get (m, "destination"));
      /* runc joins a relative destination to the rootfs: "sys/kernel" is
       * /sys/kernel. */
      cleanup_free char *abs = d[0] == '/' ? xstrdup (d) : xasprintf ("/%s", d);
      cleanup_free char *dest = ocigate_path_normalize (abs);
      cleanup_free char *p = ptrf ("/mounts/%zu", i);
      bool under
          = ocigate_path_has_prefix (dest, "/proc") || ocigate_path_has_prefix (dest, "/sys");
      if (under && !standard_kernel_mount (dest, type))
        finding (e, p, "mount over %s hides or exposes kernel state", dest);
      else if (type && strcmp (type, "proc") == 0 && strcmp (dest, "/proc") != 0)
        finding (e, p, "proc mounted at %s instead of /proc", dest);
      if (type && strcmp (type, "sysfs") == 0 && !opt (m, "ro"))
        finding (e, p, "sysfs at %s is mounted read-write", dest);
    }
  return 0;
}

int
check_mount_propagation (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      const ocigate_json_t *m = oj_at (mounts, i);
      if (!ocigate_mount_is_bind (m) || !(opt (m, "shared") || opt (m, "rshared")))
        continue;
      cleanup_free char *p = ptrf ("/mounts/%zu/options", i);
      finding (e, p, "bind mount with shared propagation lets the container mount on the host");
    }
  const char *rp = oj_str (oj_path (e->root, "linux/rootfsPropagation"));
  if (rp && (strcmp (rp, "shared") == 0 || strcmp (rp, "rshared") == 0))
    finding (e, "/linux/rootfsPropagation", "root filesystem propagation is %s", rp);
  return 0;
}

/* Engine state trees hold the engines' own rootfs directories (containerd's
 * task bundles, Docker's overlay dirs): a root inside them is normal, a
 * root that is one of them, or above one, is not. */
static bool
engine_state_dir (const char *s)
{
  return strcmp (s, "/var/lib/containerd") == 0 || strcmp (s, "/run/containerd") == 0
         || strcmp (s, "/var/lib/docker") == 0 || strcmp (s, "/run/crio") == 0
         || strcmp (s, "/run/podman") == 0;
}

int
check_root_path (struct eval *e, ocigate_error_t *err)
{
  const char *path = oj_str (oj_path (e->root, "root/path"));
  if (path == NULL)
    return 0;
  const char *bundle = e->opts->bundle ? e->opts->bundle : ".";
  cleanup_free char *abs = path[0] == '/' ? xstrdup (path) : xasprintf ("%s/%s", bundle, path);
  if (abs[0] != '/')
    {
      /* A relative bundle: make it absolute so ".." cannot escape lexically. */
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof (cwd)) == NULL)
        return ocigate_make_error (err, errno, "cannot get the working directory");
      char *t = xasprintf ("%s/%s", cwd, abs);
      free (abs);
      abs = t;
    }
  cleanup_free char *n = ocigate_host_path (abs, e->opts->host_checks);
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

int
check_readonly_rootfs (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *ro = oj_path (e->root, "root/readonly");
  /* No root at all: the runtime refuses the config, nothing to harden. */
  if (oj_get (e->root, "root") == NULL || (ro && ro->type == OJ_TRUE))
    return 0;
  finding (e, "/root/readonly", "root filesystem is writable");
  return 0;
}

int
fix_readonly_rootfs (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *root = oj_ensure_object (e->doc, e->root, "root");
  oj_set (e->doc, root, "readonly", oj_new_bool (e->doc, true));
  /* Writable scratch space the operator asked for (e.g. /tmp). */
  ocigate_json_t *mounts = NULL;
  for (size_t i = 0; i < e->pol->readonly_tmpfs.n; i++)
    {
      const char *dest = e->pol->readonly_tmpfs.v[i];
      bool present = false;
      mounts = oj_ensure_array (e->doc, e->root, "mounts");
      for (size_t j = 0; j < oj_len (mounts); j++)
        if (oj_str_eq (oj_get (oj_at (mounts, j), "destination"), dest))
          present = true;
      if (present)
        continue;
      ocigate_json_t *m = oj_new (e->doc, OJ_OBJECT);
      ocigate_json_t *o = oj_new (e->doc, OJ_ARRAY);
      oj_set (e->doc, m, "destination", oj_new_string (e->doc, dest));
      oj_set (e->doc, m, "type", oj_new_string (e->doc, "tmpfs"));
      oj_set (e->doc, m, "source", oj_new_string (e->doc, "tmpfs"));
      static const char *const tmpfs_opts[] = { "nosuid", "nodev", "noexec", "mode=1777" };
      for (size_t k = 0; k < ARRAY_SIZE (tmpfs_opts); k++)
        oj_append (e->doc, o, oj_new_string (e->doc, tmpfs_opts[k]));
      oj_set (e->doc, m, "options", o);
      oj_append (e->doc, mounts, m);
    }
  return 0;
}
