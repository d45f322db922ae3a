/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the process: who it runs as and with which privileges.  They
 * serve both the container's process and `exec --process`. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engine-internal.h"
#include "selinux-internal.h"

static const char *const cap_sets[]
    = { "bounding", "effective", "inheritable", "permitted", "ambient" };

/* Pointer prefix of the process object under judgement. */
static const char *
pp (struct eval *e)
{
  return e->process_only ? "" : "/process";
}

/* The user namespace entry of a container config, or NULL. */
static const ocigate_json_t *
userns_entry (const ocigate_json_t *root)
{
  const ocigate_json_t *ns = oj_path (root, "linux/namespaces");
  const ocigate_json_t *found = NULL;
  for (size_t i = 0; i < oj_len (ns); i++)
    if (oj_str_eq (oj_get (oj_at (ns, i), "type"), "user"))
      found = oj_at (ns, i);
  return found;
}

const char *
ocigate_joined_userns (const ocigate_json_t *root)
{
  const char *path = oj_str (oj_get (userns_entry (root), "path"));
  return path && *path ? path : NULL;
}

bool
ocigate_maps_to_host_root (const ocigate_json_t *root, const char *mappings, int64_t id)
{
  if (root == NULL)
    return id == 0; /* no container known: judge the id as it is */
  const ocigate_json_t *entry = userns_entry (root);
  if (entry == NULL)
    return id == 0;
  /* runc 1.1.5 ignores the config's mappings when it joins a namespace:
   * only the namespace's own map counts, and it cannot be seen here. */
  if (ocigate_joined_userns (root))
    return true;
  const ocigate_json_t *maps = oj_path (oj_get (root, "linux"), mappings);
  if (oj_len (maps) == 0)
    return true; /* a user namespace we cannot see into: fail closed */
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

/* The real uid_map or gid_map of the user namespace at path, as the
 * host's user namespace sees it.  A namespace file cannot be asked for
 * its map, so a child process enters it and the map is read from the
 * child's /proc entry: read from the host's namespace, the second column
 * is a host id however deeply the namespace is nested. */
int
ocigate_userns_read_map (const char *path, const char *file, char **ret, ocigate_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open user namespace `%s`", path);
  int ready[2], done[2];
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return ocigate_make_error (err, errno, "pipe");
  if (pipe2 (done, O_CLOEXEC) < 0)
    {
      close (ready[0]);
      close (ready[1]);
      return ocigate_make_error (err, errno, "pipe");
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c = setns (fd, CLONE_NEWUSER) == 0 ? 'y' : 'n';
      close (ready[0]);
      close (done[1]);
      if (write (ready[1], &c, 1) != 1)
        _exit (1);
      /* stay in the namespace until the parent has read the map */
      while (read (done[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  int saved = errno;
  close (ready[1]);
  close (done[0]);
  char c = 0;
  int r = 0;
  if (pid < 0)
    r = ocigate_make_error (err, saved, "cannot fork to read `%s`", path);
  else if (read (ready[0], &c, 1) != 1 || c != 'y')
    r = ocigate_make_error (err, 0, "cannot enter user namespace `%s`", path);
  else
    {
      cleanup_free char *map = xasprintf ("/proc/%ld/%s", (long)pid, file);
      size_t len;
      r = ocigate_read_file (map, 64 << 10, ret, &len, err);
    }
  close (ready[0]);
  close (done[1]);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  return r < 0 ? -1 : 0;
}

/* Look id up in a kernel map ("inside outside count" lines): 1 when it
 * maps to host 0, 0 when it maps elsewhere or not at all. */
static bool
kernel_map_sends_to_root (const char *map, int64_t id)
{
  const char *p = map;
  while (*p)
    {
      unsigned long long in, out, count;
      int used = 0;
      if (sscanf (p, " %llu %llu %llu%n", &in, &out, &count, &used) != 3)
        break;
      if ((unsigned long long)id >= in && (unsigned long long)id - in < count)
        return out + ((unsigned long long)id - in) == 0;
      p += used;
    }
  return false;
}

bool
ocigate_kernel_map_has_root (const char *map)
{
  const char *p = map;
  while (*p)
    {
      unsigned long long in, out, count;
      int used = 0;
      if (sscanf (p, " %llu %llu %llu%n", &in, &out, &count, &used) != 3)
        break;
      if (out == 0 && count > 0)
        return true;
      p += used;
    }
  return false;
}

/* Does container id `id` run as host root (uid or gid per `mappings`)?
 * A user namespace joined by path is judged by its real map in runtime
 * mode; without host checks it cannot be judged and counts as root. */
static bool
maps_to_host_root (struct eval *e, const char *mappings, int64_t id)
{
  const char *joined = e->croot ? ocigate_joined_userns (e->croot) : NULL;
  if (joined == NULL || !e->opts->host_checks)
    return ocigate_maps_to_host_root (e->croot, mappings, id);
  cleanup_free char *map = NULL;
  ocigate_error_t err = NULL;
  if (ocigate_userns_read_map (
          joined, strcmp (mappings, "uidMappings") == 0 ? "uid_map" : "gid_map", &map, &err)
      < 0)
    {
      ocigate_error_free (&err);
      return true;
    }
  return kernel_map_sends_to_root (map, id);
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

/* Does the bundle directory (trailing slashes aside) end in
 * "<dir>/<id><tail>"? */
static bool
bundle_names (const char *bundle, const char *dir, const char *id, const char *tail)
{
  if (bundle == NULL || id == NULL || *id == '\0' || strchr (id, '/') != NULL
      || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return false;
  cleanup_free char *want = ptrf ("%s/%s%s", dir, id, tail);
  size_t bl = strlen (bundle), wl = strlen (want);
  while (bl > 1 && bundle[bl - 1] == '/')
    bl--;
  return bl >= wl && memcmp (bundle + bl - wl, want, wl) == 0;
}

/* A pod's sandbox ("pause", "infra") container as the engine itself
 * declares it: the context built from the engine's own keys says so, and
 * so do the keys a pod author cannot write into another container's
 * config, tied to the bundle directory the engine made for the sandbox
 * (whose id nobody knows before the engine picks it).  CRI-O: the
 * kubelet's container name "POD" (written last, over pod annotations), its
 * ContainerID equal to its SandboxID, bundle <runroot>/<driver>-containers/
 * <id>/userdata; containerd: bundle <state>/io.containerd.runtime.v2.task/
 * k8s.io/<sandbox-id>.  The process is the engine's pause binary, which
 * holds the pod's namespaces and runs nothing of the pod's; CRI-O runs it
 * as uid 0 whenever it keeps an infra container (drop_infra_ctr = false,
 * a shared pid namespace). */
static bool
engine_sandbox (const struct eval *e)
{
  const ocigate_context_t *c = &e->res->ctx;
  const ocigate_json_t *ann = oj_get (e->croot, "annotations");
  if (e->process_only || c->engine == NULL || c->container_type == NULL
      || strcmp (c->container_type, "sandbox") != 0)
    return false;
  if (strcmp (c->engine, "cri-o") == 0)
    {
      const char *sid = oj_str (oj_get (ann, "io.kubernetes.cri-o.SandboxID"));
      return oj_str_eq (oj_get (ann, "io.kubernetes.container.name"), "POD")
             && oj_str_eq (oj_get (ann, "io.kubernetes.cri-o.ContainerID"), sid ? sid : "")
             && bundle_names (e->opts->bundle, "", sid, "/userdata");
    }
  if (strcmp (c->engine, "containerd") == 0)
    return bundle_names (e->opts->bundle, "/io.containerd.runtime.v2.task/k8s.io",
                         oj_str (oj_get (ann, "io.kubernetes.cri.sandbox-id")), "");
  return false;
}

int
check_root_user (struct eval *e, ocigate_error_t *err)
{
  int64_t uid;
  if (!process_id (eval_process (e), "uid", &uid) || uid != 0)
    return 0;
  if (!maps_to_host_root (e, "uidMappings", 0))
    return 0;
  cleanup_free char *p = ptrf ("%s/user/uid", pp (e));
  /* Refusing the sandbox refuses the whole pod for what its engine chose:
   * the pause process moves to the rewrite uid instead (warn and off stay
   * as the operator set them). */
  if (engine_sandbox (e) && e->actions[e->rule] == OCIGATE_ACTION_REJECT)
    {
      size_t mark = e->res->n;
      finding_action (e, OCIGATE_ACTION_REWRITE, p,
                      "%s sandbox process runs as host root (uid 0): moved to uid %u",
                      e->res->ctx.engine, (unsigned)e->pol->rewrite_uid);
      finding_hint (e, mark,
                    "nothing to change in the pod: the engine runs its sandbox (pause) "
                    "process as root and the gate moves it to user.rewrite_uid");
      return 0;
    }
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

/* ---- supplementary groups as runc resolves them ---- */

/* Go's unicode.IsSpace for the rune at p (len bytes), as bytes.TrimSpace
 * uses it; returns the rune's length when it is a space, else 0. */
static size_t
go_space_at (const unsigned char *p, size_t len)
{
  if (len == 0)
    return 0;
  if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))
    return 1;
  if (len >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
    return 2;
  if (len >= 3)
    {
      unsigned cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
      if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80
          && (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029
              || cp == 0x202f || cp == 0x205f || cp == 0x3000))
        return 3;
    }
  return 0;
}

/* The same, for a rune that ends at p + len. */
static size_t
go_space_before (const unsigned char *p, size_t len)
{
  if (len >= 1 && go_space_at (p + len - 1, 1) == 1)
    return 1;
  if (len >= 2 && go_space_at (p + len - 2, 2) == 2)
    return 2;
  if (len >= 3 && go_space_at (p + len - 3, 3) == 3)
    return 3;
  return 0;
}

/* strconv.Atoi as runc's parseLine uses it: an error leaves 0. */
static int64_t
go_atoi_or_zero (const char *s, size_t l)
{
  size_t i = 0;
  bool neg = false;
  if (l > 0 && (s[0] == '+' || s[0] == '-'))
    neg = s[i++] == '-';
  if (i == l)
    return 0;
  int64_t v = 0;
  for (; i < l; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return 0;
      if (v > (INT64_MAX - (s[i] - '0')) / 10)
        return neg ? INT64_MIN : INT64_MAX; /* ParseInt's clamp on ErrRange */
      v = v * 10 + (s[i] - '0');
    }
  return neg ? -v : v;
}

struct group_line
{
  const char *name;
  size_t nl;
  int64_t gid;
};

/* Parse /etc/group as runc's user.ParseGroupFilter does: lines trimmed of
 * Unicode space, blank and '#' lines skipped, fields split at ':', a gid
 * that does not parse is 0 (so "1234:x:junk:" and "1234" are gid 0). */
static struct group_line *
parse_groups (const char *buf, size_t len, size_t *ret_n)
{
  size_t cap = 16, n = 0;
  struct group_line *g = xmalloc (cap * sizeof (*g));
  const char *p = buf, *end = buf + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t)(end - p));
      const char *le = nl ? nl : end;
      const unsigned char *a = (const unsigned char *)p;
      size_t l = (size_t)(le - p), k;
      while ((k = go_space_at (a, l)) > 0)
        a += k, l -= k;
      while ((k = go_space_before (a, l)) > 0)
        l -= k;
      p = nl ? nl + 1 : end;
      if (l == 0 || a[0] == '#')
        continue;
      const char *line = (const char *)a;
      const char *f[3] = { line, NULL, NULL };
      size_t fl[3] = { l, 0, 0 };
      int nf = 1;
      for (size_t i = 0; i < l && nf <= 3; i++)
        if (line[i] == ':')
          {
            fl[nf - 1] = (size_t)(line + i - f[nf - 1]);
            if (nf == 3)
              break;
            f[nf] = line + i + 1;
            fl[nf] = (size_t)(line + l - f[nf]);
            nf++;
          }
      if (n == cap)
        g = xrealloc (g, (cap *= 2) * sizeof (*g));
      g[n].name = f[0];
      g[n].nl = fl[0];
      g[n].gid = nf >= 3 ? go_atoi_or_zero (f[2], fl[2]) : 0;
      n++;
    }
  *ret_n = n;
  return g;
}

#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_NO_MAGICLINKS 0x02
#endif

/* Open rel below the directory rootfd as a chroot there would: openat2
 * with RESOLVE_IN_ROOT, else one component at a time without following
 * links, refusing links that are absolute or climb.  -errno on failure. */
static int
open_in_root (int rootfd, const char *rel, int flags)
{
  struct
  {
    uint64_t flags, mode, resolve;
  } how = { (uint64_t)(flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY | O_NONBLOCK)), 0,
            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
#ifdef SYS_openat2
  long fd = syscall (SYS_openat2, rootfd, rel, &how, sizeof (how));
  if (fd >= 0)
    return (int)fd;
  if (errno != ENOSYS && errno != EPERM)
    return -errno;
#endif
  char path[PATH_MAX];
  if (strlen (rel) >= sizeof (path))
    return -ENAMETOOLONG;
  strcpy (path, rel);
  int dir = dup (rootfd), links = 0;
  if (dir < 0)
    return -errno;
  char *p = path;
  for (;;)
    {
      while (*p == '/')
        p++;
      char *slash = strchr (p, '/');
      if (slash)
        *slash = '\0';
      bool last = slash == NULL;
      if (strcmp (p, "..") == 0 || *p == '\0')
        {
          close (dir);
          return -EXDEV;
        }
      int next = openat (dir, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (next < 0 || fstat (next, &st) < 0)
        {
          int e = errno;
          if (next >= 0)
            close (next);
          close (dir);
          return -e;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t tl = readlinkat (dir, p, target, sizeof (target) - 1);
          close (next);
          if (tl <= 0 || ++links > 40)
            {
              close (dir);
              return -ELOOP;
            }
          target[tl] = '\0';
          if (target[0] == '/' || strstr (target, ".."))
            {
              close (dir);
              return -EXDEV; /* could leave the root: cannot be judged */
            }
          char rest[PATH_MAX];
          int w = snprintf (rest, sizeof (rest), "%s%s%s", target, last ? "" : "/",
                            last ? "" : slash + 1);
          if (w < 0 || (size_t)w >= sizeof (rest))
            {
              close (dir);
              return -ENAMETOOLONG;
            }
          strcpy (path, rest);
          p = path;
          continue;
        }
      if (last)
        {
          close (next);
          int last_fd = openat (dir, p,
                                flags | O_NOFOLLOW | O_CLOEXEC
                                    | (flags & O_PATH ? 0 : O_NOCTTY | O_NONBLOCK));
          int e = errno;
          close (dir);
          return last_fd >= 0 ? last_fd : -e;
        }
      close (dir);
      dir = next;
      p = slash + 1;
    }
}

static bool
has_dotdot_comp (const char *path)
{
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

/* Is dest (a mount destination, lexically normalised) the file or one
 * of its ancestors? */
static bool
covers (const char *dest, const char *file)
{
  return ocigate_path_has_prefix (file, dest);
}

/* Read an opened /etc/group (regular, at most 1 MiB). */
static int
read_group_fd (int fd, const char *name, char **ret, size_t *ret_len, ocigate_error_t *err)
{
  struct stat st;
  size_t len = 0;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return ocigate_make_error (err, 0, "`%s` is not a regular file", name);
  if (st.st_size > (1 << 20))
    return ocigate_make_error (err, 0, "`%s` is larger than 1 MiB", name);
  cleanup_free char *buf = xmalloc ((size_t)st.st_size + 1);
  for (;;)
    {
      ssize_t r = read (fd, buf + len, (size_t)st.st_size + 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return ocigate_make_error (err, errno, "cannot read `%s`", name);
      if (r == 0)
        break;
      len += (size_t)r;
      if (len > (size_t)st.st_size)
        return ocigate_make_error (err, 0, "`%s` changed while read", name);
    }
  *ret = steal_pointer (&buf);
  *ret_len = len;
  return 0;
}

/* runc's user.GetAdditionalGroups over the group file's text (NULL: no
 * file): each requested gid, as decimal text, is looked up by group NAME
 * or by gid, first match in file order whose gid is not taken yet; only
 * with no such group is it a number. */
static int
groups_judge (const char *buf, size_t len, const int64_t *want, size_t n, int64_t *ret,
              ocigate_error_t *err)
{
  size_t ng = 0;
  cleanup_free struct group_line *g = buf ? parse_groups (buf, len, &ng) : NULL;
  if (ng > 0 && n > (size_t)10000000 / ng)
    return ocigate_make_error (err, 0, "%zu additional gids against %zu groups: too many to judge",
                               n, ng);
  cleanup_free int64_t *taken = xmalloc ((n ? n : 1) * sizeof (int64_t));
  size_t nt = 0;
  for (size_t i = 0; i < n; i++)
    {
      char text[24];
      int64_t w = want[i];
      int tl = snprintf (text, sizeof (text), "%lld", (long long)w);
      ret[i] = w;
      for (size_t k = 0; k < ng; k++)
        {
          if (!(g[k].gid == w || (g[k].nl == (size_t)tl && memcmp (g[k].name, text, g[k].nl) == 0)))
            continue;
          bool dup = false;
          for (size_t t = 0; t < nt && !dup; t++)
            dup = taken[t] == g[k].gid;
          if (dup)
            continue;
          ret[i] = g[k].gid;
          break;
        }
      taken[nt++] = ret[i];
    }
  return 0;
}

int
ocigate_groups_resolve (const char *rootfs, const int64_t *want, size_t n, int64_t *ret,
                        ocigate_error_t *err)
{
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocigate_make_error (err, errno, "cannot open the root filesystem `%s`", rootfs);
  cleanup_close int fd = open_in_root (rootfd, "etc/group", O_RDONLY);
  cleanup_free char *buf = NULL;
  cleanup_free char *name = xasprintf ("%s/etc/group", rootfs);
  size_t len = 0;
  if (fd < 0 && fd != -ENOENT && fd != -ENOTDIR)
    return ocigate_make_error (err, -fd, "cannot open `%s` inside its root", name);
  if (fd >= 0 && read_group_fd (fd, name, &buf, &len, err) < 0)
    return -1;
  return groups_judge (buf, len, want, n, ret, err);
}

/* The same from a group file on the host (a bind mount's source). */
static int
groups_resolve_file (const char *path, const int64_t *want, size_t n, int64_t *ret,
                     ocigate_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", path);
  if (read_group_fd (fd, path, &buf, &len, err) < 0)
    return -1;
  return groups_judge (buf, len, want, n, ret, err);
}

/* The container's root filesystem on the host, or NULL. */
static char *
rootfs_of (struct eval *e)
{
  const char *rp = oj_str (oj_path (e->croot, "root/path"));
  if (rp == NULL || *rp == '\0')
    return NULL;
  if (rp[0] == '/')
    return xstrdup (rp);
  if (e->opts->bundle == NULL)
    return NULL;
  return xasprintf ("%s/%s", e->opts->bundle, rp);
}

/* Where a container path lands in the rootfs once the links in it are
 * followed inside the root (runc places mounts and opens /etc/group that
 * way): its parent directory resolved, and with follow the file too.
 * Falls back to the lexical path when nothing of it exists. */
static char *
in_root_path (int rootfd, const char *rootreal, const char *cpath, bool follow)
{
  cleanup_free char *norm = ocigate_path_normalize (cpath);
  if (strcmp (norm, "/") == 0)
    return steal_pointer (&norm);
  char *slash = strrchr (norm, '/');
  const char *base = slash + 1;
  cleanup_free char *parent = xstrndup (norm, (size_t)(slash - norm));
  cleanup_close int fd = -1;
  if (follow)
    fd = open_in_root (rootfd, norm + 1, O_PATH);
  bool whole = fd >= 0;
  if (fd < 0)
    fd = open_in_root (rootfd, *parent ? parent + 1 : ".", O_PATH | O_DIRECTORY);
  if (fd < 0)
    return steal_pointer (&norm);
  char link[64], target[PATH_MAX];
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  ssize_t tl = readlink (link, target, sizeof (target) - 1);
  size_t rl = strlen (rootreal);
  if (tl <= 0)
    return steal_pointer (&norm);
  target[tl] = '\0';
  if (strncmp (target, rootreal, rl) != 0 || (target[rl] != '/' && target[rl] != '\0'))
    return steal_pointer (&norm);
  const char *inside = target[rl] ? target + rl : "/";
  if (whole)
    return xstrdup (inside);
  return xasprintf ("%s%s%s", inside, strcmp (inside, "/") == 0 ? "" : "/", base);
}

/* The gids runc will apply for additionalGids (ret, n entries), judged
 * in runtime mode from the image's /etc/group.  Returns false with *why
 * set when they cannot be judged. */
static bool
applied_gids (struct eval *e, const ocigate_json_t *extra, int64_t *ret, const char **why)
{
  size_t n = oj_len (extra);
  for (size_t i = 0; i < n; i++)
    if (!oj_int (oj_at (extra, i), &ret[i]))
      ret[i] = -1;
  *why = NULL;
  if (!e->opts->host_checks || n == 0 || e->croot == NULL)
    return true; /* offline: judged as numbers */
  cleanup_free char *rootfs = rootfs_of (e);
  cleanup_free char *rootreal = rootfs ? realpath (rootfs, NULL) : NULL;
  cleanup_close int rootfd = rootreal ? open (rootreal, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (rootfd < 0)
    {
      *why = "the root filesystem cannot be opened";
      return false;
    }
  /* A mount over /etc/group or a directory above it decides what runc
   * reads, not the image: judged where the links inside the rootfs
   * lead (/etc may be a link to /data, where a volume is mounted). */
  cleanup_free char *group_at = in_root_path (rootfd, rootreal, "/etc/group", true);
  const ocigate_json_t *mounts = oj_get (e->croot, "mounts");
  const char *bind_source = NULL;
  for (size_t i = 0; i < oj_len (mounts); i++)
    {
      const ocigate_json_t *m = oj_at (mounts, i);
      const char *d = oj_str (oj_get (m, "destination"));
      if (d == NULL)
        continue;
      if (d[0] != '/' || has_dotdot_comp (d))
        {
          *why = "a mount destination cannot be placed";
          return false;
        }
      cleanup_free char *nd = in_root_path (rootfd, rootreal, d, false);
      cleanup_free char *lex = ocigate_path_normalize (d);
      if (!covers (nd, "/etc/group") && !covers (nd, group_at) && !covers (lex, "/etc/group"))
        continue;
      /* podman binds a group file it wrote over /etc/group: read that */
      const char *src = oj_str (oj_get (m, "source"));
      if (strcmp (lex, "/etc/group") == 0 && strcmp (nd, group_at) == 0 && ocigate_mount_is_bind (m)
          && src && src[0] == '/')
        bind_source = src;
      else
        {
          *why = "a mount replaces /etc/group";
          return false;
        }
    }
  ocigate_error_t lerr = NULL;
  if (bind_source)
    {
      if (groups_resolve_file (bind_source, ret, n, ret, &lerr) < 0)
        {
          ocigate_error_free (&lerr);
          *why = "the group file mounted over /etc/group cannot be read";
          return false;
        }
      return true;
    }
  if (ocigate_groups_resolve (rootreal, ret, n, ret, &lerr) < 0)
    {
      ocigate_error_free (&lerr);
      *why = "the image's /etc/group cannot be read safely";
      return false;
    }
  return true;
}

int
check_root_group (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *user = oj_get (eval_process (e), "user");
  const ocigate_json_t *extra = oj_get (user, "additionalGids");
  int64_t gid;
  if (process_id (eval_process (e), "gid", &gid) && gid == 0
      && maps_to_host_root (e, "gidMappings", 0))
    {
      cleanup_free char *p = ptrf ("%s/user/gid", pp (e));
      finding (e, p, "process runs with host group root (gid 0)");
    }
  size_t n = oj_len (extra);
  if (n == 0)
    return 0;
  cleanup_free int64_t *applied = xmalloc (n * sizeof (int64_t));
  const char *why;
  bool judged = applied_gids (e, extra, applied, &why);
  bool root_mapped = maps_to_host_root (e, "gidMappings", 0);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *p = ptrf ("%s/user/additionalGids/%zu", pp (e), i);
      int64_t asked = -1;
      oj_int (oj_at (extra, i), &asked);
      if (!judged && asked != 0)
        {
          if (root_mapped)
            finding (e, p, "supplementary group %lld cannot be judged (%s): it may name gid 0",
                     (long long)asked, why);
          continue;
        }
      if (applied[i] != 0 || !root_mapped)
        continue;
      if (asked == 0)
        finding (e, p, "process has host group root (gid 0) as a supplementary group");
      else
        finding (e, p,
                 "supplementary group %lld is the name of a group with gid 0 in the image's "
                 "/etc/group: runc applies gid 0",
                 (long long)asked);
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
  size_t n = oj_len (extra);
  if (n == 0)
    return 0;
  cleanup_free int64_t *applied = xmalloc (n * sizeof (int64_t));
  const char *why;
  bool judged = applied_gids (e, extra, applied, &why);
  /* One pass that keeps what does not become gid 0. */
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    {
      int64_t asked = -1;
      oj_int (oj_at (extra, i), &asked);
      if (!judged || asked == 0 || applied[i] == 0)
        continue;
      extra->u.arr.v[kept++] = extra->u.arr.v[i];
    }
  extra->u.arr.n = kept;
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
              size_t mark = e->res->n;
              finding_action (e, OCIGATE_ACTION_REJECT, p,
                              "unknown capability \"%s\" (names are CAP_ and an upper-case "
                              "name libcap knows)",
                              name);
              finding_hint (e, mark,
                            "spell it as the kernel names it (CAP_NET_BIND_SERVICE); a name "
                            "runc cannot map is not dropped");
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

  /* By allowlist: the profile injected here, the engines' defaults and
   * what the policy lists.  Any other loaded profile may confine less (a
   * host service's, a complain-mode one); "unconfined" in any spelling
   * (the kernel strips the white space around the name) none at all.
   * Judged with or without AppArmor on the host: the config may run on
   * another. */
  const char *own = e->process_only ? oj_str (oj_get (e->ceiling, "apparmorProfile")) : NULL;
  if (profile && *profile && !(own && strcmp (profile, own) == 0)
      && !ocigate_apparmor_profile_allowed (profile, e->pol->apparmor_profile,
                                            &e->pol->apparmor_allowed))
    {
      cleanup_free char *name = ocigate_apparmor_effective_name (profile);
      if (strcmp (name, "unconfined") == 0)
        finding_action (e, OCIGATE_ACTION_REJECT, p,
                        "AppArmor profile \"%s\" is \"unconfined\": disables confinement", profile);
      else
        finding_action (e, OCIGATE_ACTION_REJECT, p,
                        "AppArmor profile \"%s\" is neither the policy's \"%s\" nor one it "
                        "allows (apparmor.allowed)",
                        profile, e->pol->apparmor_profile);
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
  size_t mark = e->res->n;
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
  if (loaded != 1)
    finding_hint (e, mark,
                  "load the policy's profile on the node (apparmor_parser -r "
                  "/etc/apparmor.d/ocigate-default), or set apparmor.profile to one that is "
                  "loaded");
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

int
check_selinux (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *proc = eval_process (e);
  const char *label = oj_str (oj_get (proc, "selinuxLabel"));
  cleanup_free char *p = ptrf ("%s/selinuxLabel", pp (e));

  /* By allowlist: a type other than the host's container types (spc_t,
   * unconfined_t, container_runtime_t, kernel_t, a host service's type)
   * escapes the container policy.  The host's lxc_contexts names them when
   * host checks are on and it has one; else a built-in list.  Judged even
   * when SELinux is off here (runc would refuse any label then, but the
   * config may run on another host). */
  /* exec and restore: the container's own label is never weaker than the
   * container (restore's mount context stands in as the ceiling's). */
  const char *own = e->process_only ? oj_str (oj_get (e->ceiling, "selinuxLabel")) : NULL;
  if (label && *label && !(own && strcmp (label, own) == 0))
    {
      cleanup_free char *lxc = NULL;
      cleanup_free char *type = NULL;
      if (!e->opts->host_checks || e->host->selinux_lxc_contexts == NULL
          || e->host->selinux_lxc_contexts (&lxc) < 0)
        {
          free (lxc);
          lxc = NULL;
        }
      if (!ocigate_selinux_label_allowed (label, lxc, e->pol->selinux_type,
                                          &e->pol->selinux_allowed, &type))
        {
          finding_action (e, OCIGATE_ACTION_REJECT, p,
                          "SELinux label \"%s\": type %s%s%s is not a container type of %s", label,
                          type ? "\"" : "", type ? type : "(none)", type ? "\"" : "",
                          lxc ? "this host" : "the built-in list");
          return 0;
        }
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
  finding_fix (e,
               "let the engine label the container (podman: no --security-opt label=disable); "
               "under rewrite the gate adds the host's container label",
               p, "no SELinux label on a host with SELinux enabled");
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
