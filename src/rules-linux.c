/* SPDX-License-Identifier: Apache-2.0 */
/* Rules on the container's kernel-facing configuration: namespaces,
 * devices, sysctls, masked paths, id mappings, hooks, annotations. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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
        finding (e, p, "%s namespace path \"%s\" is the host's namespace", type, path);
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

static bool
sysctl_allowed (const ocigate_policy_t *pol, const char *name)
{
  /* The kernel accepts '/' as the separator too. */
  char buf[256];
  size_t l = strlen (name);
  if (l >= sizeof (buf))
    return false;
  for (size_t i = 0; i <= l; i++)
    buf[i] = name[i] == '/' ? '.' : name[i];
  for (size_t i = 0; i < ARRAY_SIZE (safe_sysctls); i++)
    if (strcmp (buf, safe_sysctls[i]) == 0)
      return true;
  return ocigate_strlist_contains (&pol->sysctls_allowed, buf);
}

int
check_sysctls (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *s = linux_get (e, "sysctl");
  for (size_t i = 0; i < oj_len (s); i++)
    {
      const char *name = s->u.obj.m[i].key;
      if (sysctl_allowed (e->pol, name))
        continue;
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/linux/sysctl");
      ocigate_pointer_append (&p, name);
      finding (e, p.s, "sysctl %s is not in the safe set", name);
      free (p.s);
    }
  return 0;
}

int
fix_sysctls (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *s = linux_get (e, "sysctl");
  for (size_t i = oj_len (s); i-- > 0;)
    if (!sysctl_allowed (e->pol, s->u.obj.m[i].key))
      oj_remove (s, s->u.obj.m[i].key);
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
  const char *image = e->res->ctx.image;
  if (e->pol->images_allowed.n == 0)
    return 0;
  if (image == NULL)
    finding (e, "/annotations", "no image annotation from the engine; images.allowed is set");
  else if (!ocigate_strlist_has_prefix_of (&e->pol->images_allowed, image))
    finding (e, "/annotations", "image %s is not from an allowed registry", image);
  return 0;
}

/* ---- runtime annotations ---- */

static bool
runtime_annotation (const char *key)
{
  return str_has_prefix (key, "run.oci.") || str_has_prefix (key, "org.systemd.property.")
         || strcmp (key, "org.criu.config") == 0 || strcmp (key, "bundle") == 0;
}

int
check_runtime_annotations (struct eval *e, ocigate_error_t *err)
{
  const ocigate_json_t *a = oj_get (e->root, "annotations");
  for (size_t i = 0; i < oj_len (a); i++)
    {
      const char *key = a->u.obj.m[i].key;
      if (!runtime_annotation (key))
        continue;
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/annotations");
      ocigate_pointer_append (&p, key);
      finding (e, p.s, "annotation %s changes how the runtime sets the container up", key);
      free (p.s);
    }
  return 0;
}

int
fix_runtime_annotations (struct eval *e, ocigate_error_t *err)
{
  ocigate_json_t *a = oj_get (e->root, "annotations");
  for (size_t i = oj_len (a); i-- > 0;)
    if (runtime_annotation (a->u.obj.m[i].key))
      oj_remove (a, a->u.obj.m[i].key);
  return 0;
}
