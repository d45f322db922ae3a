/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the container's kernel-facing configuration: namespaces,
 * devices, sysctls, masked paths, id mappings, hooks, annotations. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include "engine-internal.h"
#include "mounts.h"

static ocigate_json_t *
linux_get (struct eval *e, const char *key)
{
  return oj_get (oj_get (e->root, "linux"), key);
}

/* ---- privileged fingerprint ---- */

static bool
device_rule_allows_all (const ocigate_json_t *d)
{
  const char *type = oj_str (oj_get (d, "type"));
  const char *access = oj_str (oj_get (d, "access"));
  int64_t v;
  if (!oj_is (oj_get (d, "allow"), OJ_TRUE))
    return false;
  if (type && strcmp (type, "a") != 0)
    return false;
  if ((oj_int (oj_get (d, "major"), &v) && v >= 0) || (oj_int (oj_get (d, "minor"), &v) && v >= 0))
    return false;
  return access == NULL || (strchr (access, 'r') && strchr (access, 'w'));
}

int
check_privileged (struct eval *e, ocigate_error_t *err)
{
  const char *pieces[4];
  int n = 0;
  const ocigate_json_t *caps = oj_path (e->root, "process/capabilities");
  int kernel = ocigate_cap_kernel_count ();
  int most = 0;
  static const char *const sets[] = { "bounding", "effective", "permitted" };
  for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
    {
      int c = ocigate_caps_count (oj_get (caps, sets[i]));
      if (c > most)
        most = c;
    }
  /* Engines copy their own full set, so a kernel newer than the engine
   * leaves a few out: all but three still means "everything". */
  if (kernel > 0 && most >= kernel - 3)
    pieces[n++] = "capabilities cover the kernel's full set";

  const ocigate_json_t *devs = oj_path (e->root, "linux/resources/devices");
  for (size_t i = 0; i < oj_len (devs); i++)
    if (device_rule_allows_all (oj_at (devs, i)))
      {
        pieces[n++] = "every device is readable and writable";
        break;
      }

  const ocigate_json_t *mounts = oj_get (e->root, "mounts");
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      ocigate_mount_t m;
      ocigate_mount_parse (oj_at (mounts, i), &m);
      const char *type = m.type;
      /* read as runc applies the options: in order, last wins */
      if (type && !m.bind
          && (strcmp (type, "sysfs") == 0 || strcmp (type, "cgroup") == 0
              || strcmp (type, "cgroup2") == 0)
          && !ocigate_mount_readonly (&m))
        {
          pieces[n++] = "sysfs or cgroupfs is mounted read-write";
          break;
        }
    }
  if (oj_len (linux_get (e, "maskedPaths")) == 0 && oj_len (linux_get (e, "readonlyPaths")) == 0)
    pieces[n++] = "no masked or read-only paths";

  if (n < 2)
    return 0;
  strbuf_t b = { 0 };
  for (int i = 0; i < n; i++)
    {
      if (i)
        strbuf_puts (&b, ", ");
      strbuf_puts (&b, pieces[i]);
    }
  finding (e, "", "container is privileged (--privileged): %s", b.s);
  free (b.s);
  return 0;
}

/* ---- namespaces ---- */

static const char *const required_ns[] = { "pid", "ipc", "uts", "mount", "network" };

/* /proc/{1,self,thread-self}/ns/X in any spelling, also /proc/1/task/N/ns.
 * The runtime opens the path in the host's view, where runc is self and
 * /proc/self/root and /proc/1/root are the host's root: walk it as the
 * kernel does (/proc/thread-self/../../ns/net is runc's own). */
static bool
ns_path_is_host_lexically (const char *path)
{
  ocigate_proc_walk_t w;
  ocigate_proc_walk (path, false, NULL, &w);
  if (!ocigate_proc_walk_is (&w, 0, "proc")
      || !(ocigate_proc_walk_is (&w, 1, "self") || ocigate_proc_walk_is (&w, 1, "1")))
    return false;
  if (w.n == 4)
    return ocigate_proc_walk_is (&w, 2, "ns");
  return w.n == 6 && ocigate_proc_walk_is (&w, 2, "task") && ocigate_proc_walk_pid (&w, 3)
         && ocigate_proc_walk_is (&w, 4, "ns");
}

static const char *
proc_ns_name (const char *type)
{
  if (strcmp (type, "network") == 0)
    return "net";
  if (strcmp (type, "mount") == 0)
    return "mnt";
  return type;
}

/* The namespaces an engine makes for a pod and how its containers name
 * them (spec section 4, host-namespaces):
 *   containerd CRI: app containers join the sandbox (pause) container's
 *     ipc, uts, network (and pid when shared) as /proc/PID/ns/TYPE; the
 *     sandbox joins the CNI netns /var/run/netns/cni-UUID.
 *   CRI-O: pinns bind-mounts them under namespaces_dir (/var/run):
 *     /var/run/{ipcns,utsns,netns,userns,cgroupns}/UUID; a shared pid
 *     namespace is the infra container's /proc/PID/ns/pid.
 *   podman: --pod members join the infra container's /proc/PID/ns/TYPE;
 *     a network namespace of its own is /run/netns/netns-UUID.
 * No engine joins a mount namespace: runc would build the rootfs inside
 * it and pivot_root every process there into the container's root. */
static const char *
pinned_dir (const char *type)
{
  static const char *const dirs[][2] = {
    { "ipc", "ipcns" },   { "uts", "utsns" },       { "network", "netns" },
    { "user", "userns" }, { "cgroup", "cgroupns" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    if (strcmp (type, dirs[i][0]) == 0)
      return dirs[i][1];
  return NULL;
}

enum ns_shape
{
  NS_FOREIGN, /* no engine writes it */
  NS_PROC,    /* /proc/PID/ns/TYPE: another container's init */
  NS_PINNED,  /* a bind-mounted namespace file under /run */
};

/* Split a normalised absolute path into up to 8 components. */
static int
split_path (const char *path, const char *c[8], size_t l[8])
{
  int n = 0;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      if (n == 8)
        return -1;
      c[n] = p;
      l[n] = strcspn (p, "/");
      p += l[n];
      n++;
    }
  return n;
}

static bool
comp_is (const char *c, size_t l, const char *s)
{
  return strlen (s) == l && strncmp (c, s, l) == 0;
}

/* The shape of a joined namespace path, and its pid for /proc paths.
 * path is absolute and free of '.' and '..' components. */
static enum ns_shape
ns_shape (const char *path, const char *type, long *ret_pid)
{
  const char *c[8];
  size_t l[8];
  cleanup_free char *norm = ocigate_path_normalize (path);
  int n = split_path (norm, c, l);
  const char *dir = pinned_dir (type);
  if (n == 4 && comp_is (c[0], l[0], "proc") && l[1] > 0 && l[1] < 10
      && strspn (c[1], "0123456789") == l[1] && c[1][0] != '0' && comp_is (c[2], l[2], "ns")
      && comp_is (c[3], l[3], proc_ns_name (type)))
    {
      *ret_pid = strtol (c[1], NULL, 10);
      return *ret_pid > 1 ? NS_PROC : NS_FOREIGN;
    }
  /* /run/D/NAME or /var/run/D/NAME */
  int off = n == 4 && comp_is (c[0], l[0], "var") ? 1 : 0;
  if (n == 3 + off && comp_is (c[off], l[off], "run") && dir
      && comp_is (c[off + 1], l[off + 1], dir))
    return NS_PINNED;
  return NS_FOREIGN;
}

static bool
has_dotdot (const char *path)
{
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO (0xb7, 0x3)
#endif

static int
clone_flag (const char *type)
{
  static const struct
  {
    const char *t;
    int flag;
  } f[] = {
    { "pid", CLONE_NEWPID },       { "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },
    { "mount", CLONE_NEWNS },      { "network", CLONE_NEWNET }, { "user", CLONE_NEWUSER },
    { "cgroup", CLONE_NEWCGROUP },
  };
  for (size_t i = 0; i < ARRAY_SIZE (f); i++)
    if (strcmp (type, f[i].t) == 0)
      return f[i].flag;
  return 0;
}

/* Field 22 of /proc/PID/stat: the start time runc records as
 * init_process_start, which tells a pid from a later reuse of it. */
static bool
proc_start_time (long pid, char *buf, size_t size)
{
  char path[64];
  char stat[1024];
  snprintf (path, sizeof (path), "/proc/%ld/stat", pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t r = read (fd, stat, sizeof (stat) - 1);
  if (r <= 0)
    return false;
  stat[r] = '\0';
  /* comm may hold spaces and parentheses: count from the last ')' */
  char *p = strrchr (stat, ')');
  if (p == NULL)
    return false;
  for (int field = 2; field < 22; field++)
    {
      p = strchr (p + 1, ' ');
      if (p == NULL)
        return false;
    }
  p++;
  size_t l = strspn (p, "0123456789");
  if (l == 0 || l >= size)
    return false;
  memcpy (buf, p, l);
  buf[l] = '\0';
  return true;
}

/* Is pid the init process of container id under the runtime's state
 * root?  runc keeps ROOT/ID/state.json (root-only directory).  The root
 * is the caller's --root: it is believed only when it, every directory on
 * the way and state.json are root's and writable by no one else (trust.c),
 * so a state.json planted elsewhere names no container init. */
static bool
is_container_init (const char *root, const char *id, long pid, const char *start)
{
  if (id[0] == '\0' || id[0] == '.' || strchr (id, '/'))
    return false;
  cleanup_free char *path = xasprintf ("%s/%s/state.json", root, id);
  cleanup_free char *buf = NULL;
  size_t len;
  ocigate_error_t err = NULL;
  if (ocigate_read_trusted (path, 64 << 20, &buf, &len, &err) < 0)
    {
      ocigate_error_free (&err);
      return false;
    }
  ocigate_json_parse_opts_t o = { .name = path, .max_depth = 256 };
  cleanup_doc ocigate_doc_t *doc = ocigate_json_parse (buf, len, &o, &err);
  if (doc == NULL)
    {
      ocigate_error_free (&err);
      return false;
    }
  const ocigate_json_t *r = ocigate_doc_root (doc);
  int64_t p;
  const ocigate_json_t *st = oj_get (r, "init_process_start");
  return oj_int (oj_get (r, "init_process_pid"), &p) && p == pid && oj_is (st, OJ_NUMBER)
         && st->u.str.len == strlen (start) && memcmp (st->u.str.s, start, st->u.str.len) == 0;
}

/* /proc/PID/ns/TYPE: PID must be the init of a container the same
 * runtime made, its pod's sandbox when the engine names one. */
static const char *
proc_ns_verdict (struct eval *e, long pid)
{
  const char *root = e->opts->runtime_root ? e->opts->runtime_root : "/run/runc";
  char start[32];
  if (!proc_start_time (pid, start, sizeof (start)))
    return "its process does not exist";
  /* The sandbox of a believed engine identity; without one (podman's
   * --pod, direct callers) any container init of the same runtime. */
  const char *sb = e->res->ctx.sandbox_id;
  if (sb)
    return is_container_init (root, sb, pid, start) ? NULL
                                                    : "it is not the pod sandbox's init process";
  DIR *d = opendir (root);
  if (d == NULL)
    return "it is not the init process of a container of this runtime";
  const char *verdict = "it is not the init process of a container of this runtime";
  struct dirent *de;
  for (int i = 0; i < 4096 && (de = readdir (d)) != NULL; i++)
    if (de->d_name[0] != '.' && is_container_init (root, de->d_name, pid, start))
      {
        verdict = NULL;
        break;
      }
  closedir (d);
  return verdict;
}

/* Host checks on a namespace path an engine shape allows. */
static const char *
ns_host_verdict (struct eval *e, const char *path, const char *type, enum ns_shape shape, long pid)
{
  struct stat st;
  struct statfs sfs;
  if (shape == NS_PINNED)
    {
      /* A bind mount of an nsfs file, itself not a symlink, in a
       * directory that resolves to /run/DIR (only root writes there). */
      cleanup_free char *copy = xstrdup (path);
      char *slash = strrchr (copy, '/');
      *slash = '\0';
      cleanup_free char *dir = realpath (copy, NULL);
      cleanup_free char *want = xasprintf ("/run/%s", pinned_dir (type));
      if (dir == NULL || strcmp (dir, want) != 0)
        return "its directory is not a namespace directory of the engines";
      if (lstat (path, &st) < 0 || S_ISLNK (st.st_mode))
        return "it is not a namespace file";
    }
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return "it cannot be opened";
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC)
    return "it is not a namespace file";
  int t = ioctl (fd, NS_GET_NSTYPE);
  if (t >= 0 && t != clone_flag (type))
    return "it is a namespace of another type";
  if (shape == NS_PROC)
    return proc_ns_verdict (e, pid);
  return NULL;
}

int
check_host_namespaces (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *ns = linux_get (e, "namespaces");
  for (size_t r = 0; r < ARRAY_SIZE (required_ns); r++)
    {
      bool found = false;
      for (size_t i = 0; i < oj_len (ns); i++)
        if (oj_str_eq (oj_get (oj_at (ns, i), "type"), required_ns[r]))
          found = true;
      if (!found)
        finding (e, "/linux/namespaces", "%s namespace is shared with the host (no \"%s\" entry)",
                 required_ns[r], required_ns[r]);
    }
  for (size_t i = 0; i < oj_len (ns); i++)
    {
      const ocigate_json_t *entry = oj_at (ns, i);
      const char *type = oj_str (oj_get (entry, "type"));
      const char *path = oj_str (oj_get (entry, "path"));
      if (path == NULL || *path == '\0')
        continue;
      cleanup_free char *p = ptrf ("/linux/namespaces/%zu/path", i);
      if (ns_path_is_host_lexically (path))
        {
          finding (e, p, "%s namespace joins the host's (%s)", type, path);
          continue;
        }
      if (strcmp (type, "mount") == 0)
        {
          /* runc would set the rootfs up inside the namespace joined and
           * pivot_root every process in it into the container's root. */
          finding (e, p,
                   "mount namespace joined by path (%s): no engine does this; it would take over "
                   "the namespace's processes",
                   path);
          continue;
        }
      long pid = 0;
      enum ns_shape shape
          = path[0] == '/' && !has_dotdot (path) ? ns_shape (path, type, &pid) : NS_FOREIGN;
      if (shape == NS_FOREIGN)
        {
          finding (e, p, "%s namespace path \"%s\" is not one an engine makes for a pod", type,
                   path);
          continue;
        }
      if (!e->opts->host_checks)
        continue;
      struct stat want, got;
      cleanup_free char *host = ptrf ("/proc/self/ns/%s", proc_ns_name (type));
      if (stat (path, &got) < 0)
        {
          finding (e, p, "%s namespace path \"%s\" cannot be checked: %s", type, path,
                   strerror (errno));
          continue;
        }
      if (stat (host, &want) == 0 && want.st_dev == got.st_dev && want.st_ino == got.st_ino)
        {
          finding (e, p, "%s namespace path \"%s\" is the host's namespace", type, path);
          continue;
        }
      const char *why = ns_host_verdict (e, path, type, shape, pid);
      if (why)
        finding (e, p, "%s namespace path \"%s\" is not this pod's: %s", type, path, why);
    }
  return 0;
}

/* ---- id mappings ---- */

int
check_userns_host_root (struct eval *e, ocigate_error_t *err)
{
  static const char *const maps[] = { "uidMappings", "gidMappings" };
  for (size_t k = 0; k < ARRAY_SIZE (maps); k++)
    {
      const ocigate_json_t *m = linux_get (e, maps[k]);
      for (size_t i = 0; i < oj_len (m); i++)
        {
          int64_t h = 0, sz = 0;
          oj_int (oj_get (oj_at (m, i), "hostID"), &h);
          oj_int (oj_get (oj_at (m, i), "size"), &sz);
          if (h == 0 && sz > 0)
            {
              cleanup_free char *p = ptrf ("/linux/%s/%zu", maps[k], i);
              finding (e, p, "mapping includes host id 0");
            }
        }
    }
  /* A joined namespace keeps its own map (runc ignores the config's). */
  const char *joined = ocigate_joined_userns (e->root);
  if (joined == NULL)
    return 0;
  const ocigate_json_t *ns = linux_get (e, "namespaces");
  size_t at = 0;
  for (size_t i = 0; i < oj_len (ns); i++)
    if (oj_str_eq (oj_get (oj_at (ns, i), "type"), "user"))
      at = i;
  cleanup_free char *p = ptrf ("/linux/namespaces/%zu/path", at);
  if (!e->opts->host_checks)
    {
      finding_fix (e, "judge it on the host: ocigate validate --host (runtime mode does)", p,
                   "user namespace joined by path (%s): its mapping can only be judged on the host",
                   joined);
      return 0;
    }
  static const char *const files[] = { "uid_map", "gid_map" };
  for (size_t k = 0; k < ARRAY_SIZE (files); k++)
    {
      cleanup_free char *map = NULL;
      ocigate_error_t lerr = NULL;
      if (ocigate_userns_read_map (joined, files[k], &map, &lerr) < 0)
        {
          finding (e, p, "user namespace joined by path cannot be judged: %s", lerr->msg);
          ocigate_error_free (&lerr);
          return 0;
        }
      if (ocigate_kernel_map_has_root (map))
        {
          finding (e, p, "user namespace joined by path (%s) maps host id 0 (%s)", joined,
                   files[k]);
          return 0;
        }
    }
  return 0;
}

/* ---- devices ---- */

struct dev
{
  char type;
  int64_t major, minor; /* -1: every */
};

/* The set every engine grants (spec section 4). */
static const struct dev standard_devices[] = {
  { 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 },    { 'c', 1, 9 },
  { 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 }, { 'c', 10, 200 },
};

static bool
parse_dev (const char *s, struct dev *d)
{
  char t;
  char maj[16], min[16];
  if (sscanf (s, "%c %15[0-9*]:%15[0-9*]", &t, maj, min) != 3 || (t != 'c' && t != 'b'))
    return false;
  d->type = t;
  d->major = maj[0] == '*' ? -1 : strtoll (maj, NULL, 10);
  d->minor = min[0] == '*' ? -1 : strtoll (min, NULL, 10);
  return true;
}

static bool
dev_covered (const struct dev *want, const struct dev *by)
{
  return want->type == by->type && (by->major == -1 || by->major == want->major)
         && (by->minor == -1 || by->minor == want->minor);
}

static bool
dev_in_standard (const ocigate_policy_t *pol, const struct dev *d)
{
  for (size_t i = 0; i < ARRAY_SIZE (standard_devices); i++)
    if (dev_covered (d, &standard_devices[i]))
      return true;
  for (size_t i = 0; i < pol->devices_allowed.n; i++)
    {
      struct dev a;
      if (parse_dev (pol->devices_allowed.v[i], &a) && dev_covered (d, &a))
        return true;
    }
  return false;
}

int
check_devices (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *devs = linux_get (e, "devices");
  if (oj_len (devs) == 1)
    {
      const char *path = oj_str (oj_get (oj_at (devs, 0), "path"));
      finding (e, "/linux/devices/0", "host device node %s in the container",
               path ? path : "(no path)");
    }
  else if (oj_len (devs) > 1)
    {
      /* A privileged engine config lists every host device: name a few. */
      strbuf_t b = { 0 };
      size_t shown = oj_len (devs) < 6 ? oj_len (devs) : 6;
      for (size_t i = 0; i < shown; i++)
        {
          const char *path = oj_str (oj_get (oj_at (devs, i), "path"));
          strbuf_printf (&b, "%s%s", i ? ", " : "", path ? path : "(no path)");
        }
      if (shown < oj_len (devs))
        strbuf_printf (&b, " and %zu more", oj_len (devs) - shown);
      finding (e, "/linux/devices", "%zu host device nodes in the container: %s", oj_len (devs),
               b.s);
      free (b.s);
    }
  const ocigate_json_t *rules = oj_path (e->root, "linux/resources/devices");
  for (size_t i = 0; i < oj_len (rules); i++)
    {
      const ocigate_json_t *r = oj_at (rules, i);
      const char *type = oj_str (oj_get (r, "type"));
      const char *access = oj_str (oj_get (r, "access"));
      struct dev d = { 0, -1, -1 };
      if (!oj_is (oj_get (r, "allow"), OJ_TRUE))
        continue;
      /* No access string means every access (runc). */
      if (access && !strchr (access, 'r') && !strchr (access, 'w'))
        continue;
      d.type = type && *type ? type[0] : 'a';
      oj_int (oj_get (r, "major"), &d.major);
      oj_int (oj_get (r, "minor"), &d.minor);
      if (d.major < 0)
        d.major = -1;
      if (d.minor < 0)
        d.minor = -1;
      if (d.type != 'a' && dev_in_standard (e->pol, &d))
        continue;
      cleanup_free char *p = ptrf ("/linux/resources/devices/%zu", i);
      char maj[24] = "*", min[24] = "*";
      if (d.major >= 0)
        snprintf (maj, sizeof (maj), "%lld", (long long)d.major);
      if (d.minor >= 0)
        snprintf (min, sizeof (min), "%lld", (long long)d.minor);
      finding (e, p, "device rule grants %s access to %c %s:%s", access ? access : "all", d.type,
               maj, min);
    }
  return 0;
}

/* ---- hooks ---- */

int
check_hooks (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *hooks = oj_get (e->root, "hooks");
  for (size_t k = 0; k < oj_len (hooks); k++)
    {
      const ocigate_json_member_t *m = &hooks->u.obj.m[k];
      for (size_t i = 0; i < oj_len (m->val); i++)
        {
          const char *path = oj_str (oj_get (oj_at (m->val, i), "path"));
          if (path && ocigate_strlist_contains (&e->pol->hooks_allowed, path))
            continue;
          cleanup_free char *p = ptrf ("/hooks/%s/%zu", m->key, i);
          finding (e, p, "%s hook \"%s\" would run on the host as root", m->key, path ? path : "");
        }
    }
  return 0;
}

int
fix_hooks (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *hooks = oj_get (e->root, "hooks");
  for (size_t k = 0; k < oj_len (hooks); k++)
    {
      ocigate_json_t *list = hooks->u.obj.m[k].val;
      for (size_t i = oj_len (list); i-- > 0;)
        {
          const char *path = oj_str (oj_get (oj_at (list, i), "path"));
          if (!(path && ocigate_strlist_contains (&e->pol->hooks_allowed, path)))
            oj_remove_at (list, i);
        }
    }
  return 0;
}

/* ---- sysctls ---- */

/* Kubernetes' safe set: namespaced and isolated per pod. */
static const char *const safe_sysctls[] = {
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
};

/* The file runc writes for a sysctl name: it turns every '.' into '/'
 * (so no ".." survives) and joins the result to /proc/sys with Go's
 * path.Join, which cleans it: "kernel/shm_rmid_forced",
 * "kernel.shm_rmid_forced" and "kernel..shm_rmid_forced/" are one file.
 * Names and policy entries are compared in this form. */
char *
ocigate_sysctl_path (const char *name)
{
  size_t l = strlen (name);
  cleanup_free char *joined = xmalloc (l + sizeof ("/proc/sys/"));
  memcpy (joined, "/proc/sys/", 10);
  for (size_t i = 0; i <= l; i++)
    joined[10 + i] = name[i] == '.' ? '/' : name[i];
  return ocigate_path_normalize (joined);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The safe set and the policy's additions as sorted /proc/sys paths:
 * one lookup per name is a binary search, so judging is linear in the
 * number of sysctls whatever the policy's size. */
struct sysctl_set
{
  char **v;
  size_t n;
};

static void
sysctl_set_build (const ocigate_policy_t *pol, struct sysctl_set *set)
{
  size_t n = ARRAY_SIZE (safe_sysctls) + pol->sysctls_allowed.n;
  set->v = xmalloc (n * sizeof (char *));
  set->n = 0;
  for (size_t i = 0; i < ARRAY_SIZE (safe_sysctls); i++)
    set->v[set->n++] = ocigate_sysctl_path (safe_sysctls[i]);
  for (size_t i = 0; i < pol->sysctls_allowed.n; i++)
    set->v[set->n++] = ocigate_sysctl_path (pol->sysctls_allowed.v[i]);
  qsort (set->v, set->n, sizeof (char *), cmp_str);
}

static void
sysctl_set_free (struct sysctl_set *set)
{
  for (size_t i = 0; i < set->n; i++)
    free (set->v[i]);
  free (set->v);
}

static bool
sysctl_allowed (const struct sysctl_set *set, const char *name)
{
  cleanup_free char *path = ocigate_sysctl_path (name);
  return bsearch (&path, set->v, set->n, sizeof (char *), cmp_str) != NULL;
}

int
check_sysctls (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *s = linux_get (e, "sysctl");
  if (oj_len (s) == 0)
    return 0;
  struct sysctl_set set;
  sysctl_set_build (e->pol, &set);
  for (size_t i = 0; i < oj_len (s); i++)
    {
      const char *name = s->u.obj.m[i].key;
      if (sysctl_allowed (&set, name))
        continue;
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/linux/sysctl");
      ocigate_pointer_append (&p, name);
      finding (e, p.s, "sysctl %s is not in the safe set", name);
      free (p.s);
    }
  sysctl_set_free (&set);
  return 0;
}

int
fix_sysctls (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *s = linux_get (e, "sysctl");
  if (oj_len (s) == 0)
    return 0;
  struct sysctl_set set;
  sysctl_set_build (e->pol, &set);
  /* One pass that keeps the allowed members in order: removing them one
   * by one would move the rest of the object each time. */
  size_t kept = 0;
  for (size_t i = 0; i < s->u.obj.n; i++)
    if (sysctl_allowed (&set, s->u.obj.m[i].key))
      s->u.obj.m[kept++] = s->u.obj.m[i];
  s->u.obj.n = kept;
  sysctl_set_free (&set);
  return 0;
}

/* ---- masked paths ---- */

/* What runc spec, containerd and podman mask by default. */
static const char *const default_masked[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
};
static const char *const default_readonly[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static bool
list_has (const ocigate_json_t *l, const char *s)
{
  for (size_t i = 0; i < oj_len (l); i++)
    {
      const char *v = oj_str (oj_at (l, i));
      if (v == NULL)
        continue;
      if (ocigate_path_is_normal (v))
        {
          if (strcmp (v, s) == 0)
            return true;
          continue;
        }
      cleanup_free char *n = ocigate_path_normalize (v);
      if (strcmp (n, s) == 0)
        return true;
    }
  return false;
}

static void
masked_missing (struct eval *e, const char *key, const char *const *want, size_t n, bool fix)
{
  ocigate_json_t *l = linux_get (e, key);
  strbuf_t missing = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      if (list_has (l, want[i]))
        continue;
      if (fix)
        {
          if (l == NULL)
            l = oj_ensure_array (e->doc, oj_ensure_object (e->doc, e->root, "linux"), key);
          oj_append (e->doc, l, oj_new_string (e->doc, want[i]));
        }
      else
        strbuf_printf (&missing, "%s%s", missing.len ? ", " : "", want[i]);
    }
  if (missing.len)
    {
      cleanup_free char *p = ptrf ("/linux/%s", key);
      /* A list that is there but short is the engine's default (containerd
       * 1.6 masks no powercap), not the workload unmasking: only an empty
       * list is procMount: Unmasked or --security-opt unmask=ALL. */
      if (oj_len (l) > 0)
        finding_fix (e,
                     "nothing to change in the workload: the engine's default list lacks "
                     "them and under rewrite the gate adds them (podman: no --security-opt "
                     "unmask=PATH for these)",
                     p, "default %s missing: %s", key, missing.s);
      else
        finding (e, p, "default %s missing: %s", key, missing.s);
    }
  free (missing.s);
}

int
check_masked_paths (struct eval *e, ocigate_error_t *err)
{
  masked_missing (e, "maskedPaths", default_masked, ARRAY_SIZE (default_masked), false);
  masked_missing (e, "readonlyPaths", default_readonly, ARRAY_SIZE (default_readonly), false);
  return 0;
}

int
fix_masked_paths (struct eval *e, ocigate_error_t *err)
{
  masked_missing (e, "maskedPaths", default_masked, ARRAY_SIZE (default_masked), true);
  masked_missing (e, "readonlyPaths", default_readonly, ARRAY_SIZE (default_readonly), true);
  return 0;
}

/* ---- net devices ---- */

int
check_net_devices (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *d = linux_get (e, "netDevices");
  for (size_t i = 0; i < oj_len (d); i++)
    {
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/linux/netDevices");
      ocigate_pointer_append (&p, d->u.obj.m[i].key);
      finding (e, p.s, "host network interface %s moved into the container", d->u.obj.m[i].key);
      free (p.s);
    }
  return 0;
}

/* ---- image registry ---- */

int
check_image_registry (struct eval *e, ocigate_error_t *err)
{
  const ocigate_context_t *ctx = &e->res->ctx;
  const char *image = ctx->image;
  if (e->pol->images_allowed.n == 0)
    return 0;
  /* A pod sandbox runs the pause image the node's operator configured in
   * the engine (containerd's sandbox_image, CRI-O's pause_image): the CRI
   * gives a pod no say in it.  containerd 1.7 names it and it is judged;
   * containerd 1.6 does not, and CRI-O's name for it is one a pod
   * annotation can overwrite, so an engine's sandbox without a believed
   * image name is not judged.  The engine and the container type are
   * believed only as the context decides (in runtime mode: the engine is
   * the caller). */
  if (image == NULL && ctx->engine && ctx->container_type
      && strcmp (ctx->container_type, "sandbox") == 0)
    return 0;
  if (image == NULL)
    finding (e, "/annotations", "no image annotation from the engine; images.allowed is set");
  else if (!ocigate_strlist_has_prefix_of (&e->pol->images_allowed, image))
    finding (e, "/annotations", "image %s is not from an allowed registry", image);
  return 0;
}

/* ---- runtime annotations ---- */

/* Annotations the runtime acts on.  crun reads run.oci.* from the
 * annotations themselves, runc reads org.systemd.property.* from them
 * (systemd cgroup driver), and runc reads the rest from its labels: each
 * annotation becomes the label "KEY=VALUE", which runc splits at the first
 * '='.  `runc exec` without --process builds its process from
 * <value of the first label whose key part is "bundle">/config.json, and
 * CRIU takes its configuration file from the label org.criu.config; the
 * annotations come before runc's own bundle label.  So `bundle=/p` is the
 * label key `bundle`, and every key with '=' is stripped: runc's labels
 * (exec's bundle, CRIU, the OCI state hooks are given) read it as another
 * key than the one judged, and no engine writes one (Kubernetes forbids
 * '=' in keys). */
enum runtime_ann
{
  ANN_NONE,
  ANN_ACTED, /* the runtime acts on the key itself */
  ANN_SPLIT, /* a key with '=': runc's label key is its first part */
};

static bool
runc_label_key (const char *key, size_t len)
{
  return (len == 6 && memcmp (key, "bundle", 6) == 0)
         || (len == 15 && memcmp (key, "org.criu.config", 15) == 0);
}

static enum runtime_ann
runtime_annotation (const char *key, size_t klen)
{
  if (str_has_prefix (key, "run.oci.") || str_has_prefix (key, "org.systemd.property.")
      || runc_label_key (key, klen))
    return ANN_ACTED;
  if (memchr (key, '=', klen))
    return ANN_SPLIT;
  return ANN_NONE;
}

/* Findings named one by one; the rest are counted in one more (a config
 * of 800,000 such keys must not make 800,000 messages). */
#define RUNTIME_ANN_NAMED 16

int
check_runtime_annotations (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *a = oj_get (e->root, "annotations");
  size_t n = 0;
  for (size_t i = 0; i < oj_len (a); i++)
    {
      const char *key = a->u.obj.m[i].key;
      size_t klen = a->u.obj.m[i].klen;
      enum runtime_ann k = runtime_annotation (key, klen);
      if (k == ANN_NONE || n++ >= RUNTIME_ANN_NAMED)
        continue;
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/annotations");
      ocigate_pointer_append (&p, key);
      if (k == ANN_ACTED)
        finding (e, p.s, "annotation %s changes how the runtime sets the container up", key);
      else
        {
          size_t l = (size_t)((const char *)memchr (key, '=', klen) - key);
          finding (e, p.s, "annotation key %s contains '=': runc reads it as the label %.*s%s", key,
                   (int)l, key, runc_label_key (key, l) ? ", which the runtime acts on" : "");
        }
      free (p.s);
    }
  if (n > RUNTIME_ANN_NAMED)
    finding (e, "/annotations", "and %zu more annotations the runtime acts on or misreads",
             n - RUNTIME_ANN_NAMED);
  return 0;
}

/* One pass, members kept in order: linear in the number of annotations. */
int
fix_runtime_annotations (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *a = oj_get (e->root, "annotations");
  if (a == NULL || a->type != OJ_OBJECT)
    return 0;
  size_t w = 0;
  for (size_t i = 0; i < a->u.obj.n; i++)
    if (runtime_annotation (a->u.obj.m[i].key, a->u.obj.m[i].klen) == ANN_NONE)
      a->u.obj.m[w++] = a->u.obj.m[i];
  a->u.obj.n = w;
  return 0;
}

/* ---- cgroups path ---- */

/* runc puts the container's processes into linux.cgroupsPath and writes
 * its limits there.  With the cgroupfs driver it joins whatever cgroup the
 * path names, existing or not (a host service's, another pod's), after
 * cleaning `..` lexically; with --systemd-cgroup the path is
 * "SLICE:PREFIX:NAME" and the container becomes unit PREFIX-NAME.scope in
 * SLICE (NAME ending in .slice makes the container that slice; an empty
 * SLICE is system.slice).  What the engines write:
 *   containerd CRI  /kubepods[/besteffort|/burstable]/pod<UID>/<ID>
 *                   kubepods[-besteffort|-burstable]-pod<UID_>.slice:cri-containerd:<ID>
 *   containerd ctr  /<NAMESPACE>/<ID>
 *   CRI-O           /kubepods/.../pod<UID>/crio-<ID>, kubepods-...-pod<UID_>.slice:crio:<ID>
 *   podman          /libpod_parent/libpod-<ID>, machine.slice:libpod:<ID>,
 *                   in a pod machine-libpod_pod_<POD>.slice:libpod:<ID>
 * (UID_ is the pod uid with '-' as '_').  Anything else is refused, and in
 * runtime mode so is a container cgroup that already exists: a new
 * container gets a new cgroup. */

static bool
has_suffix_n (const char *c, size_t l, const char *suffix)
{
  size_t sl = strlen (suffix);
  return l >= sl && strncmp (c + l - sl, suffix, sl) == 0;
}

/* A top-level name systemd or the host's services use. */
static bool
host_cgroup_name (const char *c, size_t l)
{
  static const char *const units[]
      = { ".slice", ".scope", ".service", ".mount", ".socket", ".swap" };
  for (size_t i = 0; i < ARRAY_SIZE (units); i++)
    if (has_suffix_n (c, l, units[i]))
      return true;
  return comp_is (c, l, "machine") || comp_is (c, l, "lxc");
}

/* containerd's namespace names: [A-Za-z0-9]+([._-][A-Za-z0-9]+)* */
static bool
containerd_namespace (const char *c, size_t l)
{
  bool sep = true;
  for (size_t i = 0; i < l; i++)
    {
      bool alnum = (c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z')
                   || (c[i] >= '0' && c[i] <= '9');
      if (alnum)
        sep = false;
      else if ((c[i] == '.' || c[i] == '_' || c[i] == '-') && !sep)
        sep = true;
      else
        return false;
    }
  return l > 0 && !sep;
}

/* "pod" + the pod's uid (any uid-like text when the engine names none);
 * under systemd the uid's '-' are '_'. */
static bool
pod_name_ok (const char *c, size_t l, const char *uid, bool systemd)
{
  if (l <= 3 || strncmp (c, "pod", 3) != 0)
    return false;
  c += 3;
  l -= 3;
  if (uid)
    {
      if (strlen (uid) != l)
        return false;
      for (size_t i = 0; i < l; i++)
        if (c[i] != (systemd && uid[i] == '-' ? '_' : uid[i]))
          return false;
      return true;
    }
  return strspn (c, "0123456789abcdef-_") >= l;
}

/* Does the cgroup exist in any hierarchy mounted under /sys/fs/cgroup? */
static bool
cgroup_exists (const char *path)
{
  struct statfs sfs;
  struct stat st;
  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      cleanup_free char *p = xasprintf ("/sys/fs/cgroup%s", path);
      return stat (p, &st) == 0;
    }
  DIR *d = opendir ("/sys/fs/cgroup");
  if (d == NULL)
    return false;
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *p = xasprintf ("/sys/fs/cgroup/%s%s", de->d_name, path);
      found = stat (p, &st) == 0 && S_ISDIR (st.st_mode);
    }
  closedir (d);
  return found;
}

/* Why a cgroupfs path is refused, or NULL. */
static const char *
cgroupfs_verdict (const char *path, const char *uid)
{
  const char *c[8];
  size_t l[8];
  if (path[0] != '/')
    return "a relative path lands under the runtime's own cgroup; engines write absolute paths";
  if (has_dotdot (path))
    return "it has a \"..\" component";
  cleanup_free char *norm = ocigate_path_normalize (path);
  int n = split_path (norm, c, l);
  if (n <= 0)
    return n == 0 ? "it is the root cgroup" : "it is deeper than any engine's";
  if (comp_is (c[0], l[0], "kubepods"))
    {
      if ((n == 4 && (comp_is (c[1], l[1], "besteffort") || comp_is (c[1], l[1], "burstable"))
           && pod_name_ok (c[2], l[2], uid, false))
          || (n == 3 && pod_name_ok (c[1], l[1], uid, false)))
        return NULL;
      return uid ? "it is not a container cgroup of this pod"
                 : "it is not a pod's container cgroup";
    }
  if (comp_is (c[0], l[0], "libpod_parent"))
    return n == 2 || n == 3 ? NULL : "it is not a podman container cgroup";
  if (n == 2 && containerd_namespace (c[0], l[0]) && !host_cgroup_name (c[0], l[0]))
    return NULL;
  return "it is outside the engines' cgroup parents (kubepods, libpod_parent, a containerd "
         "namespace)";
}

/* Why a systemd SLICE:PREFIX:NAME is refused, or NULL; *ret_path is the
 * container's cgroup path. */
static const char *
systemd_verdict (const char *v, const char *uid, bool host, char **ret_path)
{
  const char *c1 = strchr (v, ':');
  const char *c2 = strchr (c1 + 1, ':');
  size_t sl = (size_t)(c1 - v);
  const char *prefix = c1 + 1;
  size_t pl = (size_t)(c2 - prefix);
  const char *name = c2 + 1;
  size_t nl = strlen (name);
  *ret_path = NULL;
  if (sl == 0)
    return "an empty slice is runc's default, system.slice";
  if (!has_suffix_n (v, sl, ".slice") || sl == strlen (".slice"))
    return "the slice is not a slice unit";
  if (comp_is (v, sl, "-.slice"))
    return "it is the root slice";
  if (nl == 0 || has_suffix_n (name, nl, ".slice"))
    return "the container would be a slice itself, not a new scope";
  size_t first = strcspn (v, "-.");
  const char *base = v;
  size_t bl = sl - strlen (".slice");
  bool ok = false;
  if (comp_is (v, first, "kubepods"))
    {
      const char *rest = v + first;
      size_t rl = bl - first;
      if (rl == 0)
        ok = false; /* kubepods.slice itself */
      else
        {
          rest++, rl--;
          if (rl > 11 && strncmp (rest, "besteffort-", 11) == 0)
            rest += 11, rl -= 11;
          else if (rl > 10 && strncmp (rest, "burstable-", 10) == 0)
            rest += 10, rl -= 10;
          ok = pod_name_ok (rest, rl, uid, true);
        }
    }
  else if (comp_is (v, first, "machine"))
    ok = bl == first || (bl > 19 && strncmp (base, "machine-libpod_pod_", 19) == 0);
  else if (comp_is (v, first, "user") && host && geteuid () != 0)
    ok = true; /* rootless: the user's own systemd instance */
  if (!ok)
    return "the slice is not one the engines use (kubepods-...-pod<uid>.slice, machine.slice)";
  /* systemd expands a-b-c.slice to /a.slice/a-b.slice/a-b-c.slice */
  strbuf_t b = { 0 };
  for (size_t i = 0; i <= bl; i++)
    if (i == bl || v[i] == '-')
      {
        strbuf_puts (&b, "/");
        strbuf_append (&b, v, i);
        strbuf_puts (&b, ".slice");
      }
  strbuf_printf (&b, "/%.*s-%s.scope", (int)pl, prefix, name);
  *ret_path = strbuf_steal (&b);
  return NULL;
}

int
check_cgroups_path (struct eval *e, ocigate_error_t *err)
{
  const char *v = oj_str (linux_get (e, "cgroupsPath"));
  if (v == NULL || *v == '\0')
    return 0;                            /* runc's default: a new cgroup named for the container */
  const char *uid = e->res->ctx.pod_uid; /* believed identity only */
  const char *c1 = strchr (v, ':');
  bool systemd = v[0] != '/' && c1 && strchr (c1 + 1, ':')
                 && !strchr (strchr (c1 + 1, ':') + 1, ':') && !strchr (v, '/');
  cleanup_free char *leaf = NULL;
  const char *why
      = systemd ? systemd_verdict (v, uid, e->opts->host_checks, &leaf) : cgroupfs_verdict (v, uid);
  if (why == NULL && e->opts->host_checks)
    {
      if (leaf == NULL)
        leaf = ocigate_path_normalize (v);
      if (cgroup_exists (leaf))
        why = "the cgroup already exists: the container would join it and write its limits there";
    }
  if (why)
    finding (e, "/linux/cgroupsPath", "cgroupsPath \"%s\" is refused: %s", v, why);
  return 0;
}
