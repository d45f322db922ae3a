/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes manifests judged before they reach a node: for every
 * container the config.json the kubelet and containerd 1.6 would hand
 * the runtime is predicted from the pod spec and judged by the same
 * engine and policy as in runtime mode.  What the pod spec leaves to the
 * image (USER) is judged at its worst and said to depend on the image;
 * what it leaves to the node (a Localhost seccomp profile's content) is
 * said to be judged on the node.  Placeholders stand where the node
 * decides an id (pod uid, sandbox and container ids, sandbox pid); the
 * rules only compare them with each other. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine-internal.h"
#include "k8s-internal.h"

extern const char ocigate_containerd_seccomp_json[];

#define POD_UID "00000000-0000-4000-8000-00000000cafe"
#define SANDBOX_ID "5a4d0b0e0f0a0b0c0d0e0f00112233445566778899aabbccddeeff0011223344"
#define CONTAINER_ID "c0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f"
#define SANDBOX_PID "4242"
#define KUBELET_POD "/var/lib/kubelet/pods/" POD_UID
#define SA_PATH "/var/run/secrets/kubernetes.io/serviceaccount"

/* containerd 1.6's default capability set (oci.defaultUnixCaps). */
static const char *const default_caps[] = { "CAP_CHOWN",
                                            "CAP_DAC_OVERRIDE",
                                            "CAP_FSETID",
                                            "CAP_FOWNER",
                                            "CAP_MKNOD",
                                            "CAP_NET_RAW",
                                            "CAP_SETGID",
                                            "CAP_SETUID",
                                            "CAP_SETFCAP",
                                            "CAP_SETPCAP",
                                            "CAP_NET_BIND_SERVICE",
                                            "CAP_SYS_CHROOT",
                                            "CAP_KILL",
                                            "CAP_AUDIT_WRITE",
                                            NULL };

/* The kubelet's default masked and read-only paths (procMount Default). */
static const char *const masked_paths[] = {
  "/proc/acpi",        "/proc/kcore",       "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",       NULL
};
static const char *const readonly_paths[]
    = { "/proc/asound", "/proc/bus",           "/proc/fs", "/proc/irq",
        "/proc/sys",    "/proc/sysrq-trigger", NULL };

struct origin
{
  char *ptr;
  k8s_loc_t loc;
};

struct pod
{
  const char *file;
  const ocigate_json_t *spec; /* the pod spec */
  char *spec_path;            /* its YAML path */
  const ocigate_json_t *psc;  /* pod securityContext */
  const ocigate_json_t *meta; /* the pod (template) metadata, for annotations */
  const char *namespace, *name;
  const char *qos; /* "besteffort", "burstable", "" (guaranteed) */
};

struct pred
{
  struct pod *pod;
  const ocigate_json_t *c, *csc; /* container, its securityContext */
  char *cpath;                   /* YAML path of the container */
  const char *cname;
  ocigate_doc_t *doc;
  ocigate_json_t *root;
  struct origin *o;
  size_t no;
  bool uid_from_image, gid_from_image;
  const char *seccomp_localhost;
};

/* ---- small helpers ---- */

static ocigate_json_t *
member (const ocigate_json_t *obj, const char *key, size_t *pos)
{
  if (!oj_is (obj, OJ_OBJECT))
    return NULL;
  for (size_t i = 0; i < obj->u.obj.n; i++)
    if (strcmp (obj->u.obj.m[i].key, key) == 0)
      {
        if (pos)
          *pos = obj->u.obj.m[i].koffset;
        return obj->u.obj.m[i].val;
      }
  return NULL;
}

/* A string field as the API machinery reads it: sigs.k8s.io/yaml turns
 * a plain scalar that YAML 1.1 resolves to a number or boolean back into
 * a string when the field is one (`image: y` is the image "true"). */
static const char *
sval (const ocigate_json_t *n)
{
  if (oj_is (n, OJ_STRING) || oj_is (n, OJ_NUMBER))
    return n->u.str.s;
  if (oj_is (n, OJ_TRUE))
    return "true";
  if (oj_is (n, OJ_FALSE))
    return "false";
  return NULL;
}

static k8s_loc_t
loc_at (const char *path, size_t pos)
{
  return (k8s_loc_t){ xstrdup (path), K8S_LINE (pos), K8S_COL (pos) };
}

static void
origin (struct pred *P, const char *ptr, const char *path, size_t pos)
{
  P->o = xrealloc (P->o, (P->no + 1) * sizeof (*P->o));
  P->o[P->no++] = (struct origin){ xstrdup (ptr), loc_at (path, pos) };
}

/* Origin of a securityContext field: the container's, else the pod's. */
static const ocigate_json_t *
sc_field (struct pred *P, const char *key, const char *ptr)
{
  size_t pos;
  const ocigate_json_t *v = member (P->csc, key, &pos);
  cleanup_free char *path = NULL;
  if (v && !oj_is (v, OJ_NULL))
    path = xasprintf ("%s.securityContext.%s", P->cpath, key);
  else if ((v = member (P->pod->psc, key, &pos)) && !oj_is (v, OJ_NULL))
    path = xasprintf ("%s.securityContext.%s", P->pod->spec_path, key);
  else
    return NULL;
  if (ptr)
    origin (P, ptr, path, pos);
  return v;
}

static int
type_error (struct pred *P, const char *what, const ocigate_json_t *v, const char *want,
            ocigate_error_t *err)
{
  return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s must be %s", P->pod->file,
                             K8S_LINE (v->offset), K8S_COL (v->offset), what, want);
}

static int
get_int (struct pred *P, const char *what, const ocigate_json_t *v, int64_t min, int64_t max,
         int64_t *ret, ocigate_error_t *err)
{
  if (!oj_int (v, ret) || *ret < min || *ret > max)
    return type_error (P, what, v, "an integer in range", err);
  return 0;
}

static bool
is_true (const ocigate_json_t *v)
{
  return oj_is (v, OJ_TRUE);
}

static ocigate_json_t *
str_array (ocigate_doc_t *d, const char *const *v)
{
  ocigate_json_t *a = oj_new (d, OJ_ARRAY);
  for (; *v; v++)
    oj_append (d, a, oj_new_string (d, *v));
  return a;
}

/* Memory quantity (resource.Quantity) in bytes, rounded up. */
static bool
quantity_bytes (const ocigate_json_t *v, int64_t *ret)
{
  int64_t i;
  if (oj_int (v, &i))
    {
      *ret = i;
      return true;
    }
  const char *s = oj_is (v, OJ_STRING) || oj_is (v, OJ_NUMBER) ? v->u.str.s : NULL;
  if (s == NULL || *s == '\0')
    return false;
  char *end;
  errno = 0;
  long double x = strtold (s, &end);
  if (errno || end == s || x < 0)
    return false;
  static const struct
  {
    const char *sfx;
    long double mul;
  } sfx[] = { { "", 1 },
              { "m", 1e-3L },
              { "k", 1e3L },
              { "M", 1e6L },
              { "G", 1e9L },
              { "T", 1e12L },
              { "P", 1e15L },
              { "E", 1e18L },
              { "Ki", 1024.0L },
              { "Mi", 1048576.0L },
              { "Gi", 1073741824.0L },
              { "Ti", 1099511627776.0L },
              { "Pi", 1125899906842624.0L },
              { "Ei", 1152921504606846976.0L } };
  for (size_t k = 0; k < ARRAY_SIZE (sfx); k++)
    if (strcmp (end, sfx[k].sfx) == 0)
      {
        long double b = x * sfx[k].mul;
        if (b > 9.2e18L)
          return false;
        int64_t r = (int64_t)b;
        if ((long double)r < b)
          r++;
        *ret = r;
        return true;
      }
  return false;
}

/* The image reference as containerd records it (docker.io/library/x:latest). */
static char *
normalize_image (const char *img)
{
  const char *slash = strchr (img, '/');
  strbuf_t b = { 0 };
  if (slash == NULL)
    strbuf_printf (&b, "docker.io/library/%s", img);
  else
    {
      size_t hl = (size_t)(slash - img);
      bool host = memchr (img, '.', hl) || memchr (img, ':', hl)
                  || (hl == 9 && strncmp (img, "localhost", 9) == 0);
      strbuf_printf (&b, "%s%s", host ? "" : "docker.io/", img);
    }
  const char *last = strrchr (b.s, '/');
  if (!strchr (last, ':') && !strchr (last, '@'))
    strbuf_puts (&b, ":latest");
  return strbuf_steal (&b);
}

/* ---- the prediction ---- */

static void
add_mount (struct pred *P, ocigate_json_t *mounts, const char *dest, const char *type,
           const char *source, const char *const *opts)
{
  ocigate_doc_t *d = P->doc;
  ocigate_json_t *m = oj_new (d, OJ_OBJECT);
  oj_set (d, m, "destination", oj_new_string (d, dest));
  oj_set (d, m, "type", oj_new_string (d, type));
  oj_set (d, m, "source", oj_new_string (d, source));
  if (opts)
    oj_set (d, m, "options", str_array (d, opts));
  oj_append (d, mounts, m);
}

static const char *
volume_dir (const ocigate_json_t *vol)
{
  if (member (vol, "emptyDir", NULL))
    return "kubernetes.io~empty-dir";
  if (member (vol, "configMap", NULL))
    return "kubernetes.io~configmap";
  if (member (vol, "secret", NULL))
    return "kubernetes.io~secret";
  if (member (vol, "projected", NULL))
    return "kubernetes.io~projected";
  if (member (vol, "downwardAPI", NULL))
    return "kubernetes.io~downward-api";
  return "kubernetes.io~csi";
}

static int
predict_mounts (struct pred *P, bool privileged, bool ro_root, ocigate_error_t *err)
{
  ocigate_doc_t *d = P->doc;
  ocigate_json_t *mounts = oj_ensure_array (d, P->root, "mounts");
  static const char *const o_proc[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const o_pts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const o_sys_ro[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const o_sys_rw[] = { "nosuid", "noexec", "nodev", "rw", NULL };
  static const char *const o_cg_ro[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  static const char *const o_cg_rw[] = { "nosuid", "noexec", "nodev", "relatime", "rw", NULL };
  static const char *const b_rw[] = { "rbind", "rprivate", "rw", NULL };
  static const char *const b_ro[] = { "rbind", "rprivate", "ro", NULL };

  add_mount (P, mounts, "/proc", "proc", "proc", o_proc);
  add_mount (P, mounts, "/dev", "tmpfs", "tmpfs", o_dev);
  add_mount (P, mounts, "/dev/pts", "devpts", "devpts", o_pts);
  add_mount (P, mounts, "/dev/mqueue", "mqueue", "mqueue", o_proc);
  add_mount (P, mounts, "/sys", "sysfs", "sysfs", privileged ? o_sys_rw : o_sys_ro);
  add_mount (P, mounts, "/sys/fs/cgroup", "cgroup", "cgroup", privileged ? o_cg_rw : o_cg_ro);
  if (privileged)
    {
      cleanup_free char *p = xasprintf ("%s.securityContext.privileged", P->cpath);
      origin (P, "/mounts/4", p, P->csc ? P->csc->offset : P->c->offset);
      origin (P, "/mounts/5", p, P->csc ? P->csc->offset : P->c->offset);
    }

  /* The pod's volumes, by name. */
  const ocigate_json_t *vols = member (P->pod->spec, "volumes", NULL);
  const ocigate_json_t *vms = member (P->c, "volumeMounts", NULL);
  bool sa_mounted = false;
  for (size_t j = 0; j < oj_len (vms); j++)
    {
      const ocigate_json_t *vm = oj_at (vms, j);
      const char *name = sval (member (vm, "name", NULL));
      const char *dest = sval (member (vm, "mountPath", NULL));
      cleanup_free char *vmpath = xasprintf ("%s.volumeMounts[%zu]", P->cpath, j);
      if (name == NULL || dest == NULL)
        return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s needs name and mountPath",
                                   P->pod->file, K8S_LINE (vm->offset), K8S_COL (vm->offset),
                                   vmpath);
      const ocigate_json_t *vol = NULL;
      size_t k;
      for (k = 0; k < oj_len (vols); k++)
        if (sval (member (oj_at (vols, k), "name", NULL))
            && strcmp (sval (member (oj_at (vols, k), "name", NULL)), name) == 0)
          {
            vol = oj_at (vols, k);
            break;
          }
      if (vol == NULL)
        return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s names no volume \"%s\"",
                                   P->pod->file, K8S_LINE (vm->offset), K8S_COL (vm->offset),
                                   vmpath, name);
      if (strcmp (dest, SA_PATH) == 0)
        sa_mounted = true;
      cleanup_free char *src = NULL;
      cleanup_free char *where = NULL;
      size_t wpos = vm->offset;
      const ocigate_json_t *hp = member (vol, "hostPath", &wpos);
      if (hp)
        {
          const ocigate_json_t *path = member (hp, "path", NULL);
          if (sval (path) == NULL)
            return type_error (P, "hostPath.path", path ? path : hp, "a string", err);
          src = xstrdup (sval (path));
          where = xasprintf ("%s.volumes[%zu].hostPath", P->pod->spec_path, k);
        }
      else
        {
          src = xasprintf (KUBELET_POD "/volumes/%s/%s%s", volume_dir (vol), name,
                           strcmp (volume_dir (vol), "kubernetes.io~csi") == 0 ? "/mount" : "");
          where = xstrdup (vmpath);
          wpos = vm->offset;
        }
      const char *sub = sval (member (vm, "subPath", NULL));
      if (sub && *sub)
        {
          char *s2 = xasprintf ("%s/%s", src, sub);
          free (src);
          src = s2;
        }
      const char *prop = sval (member (vm, "mountPropagation", NULL));
      const char *popt = "rprivate";
      if (prop && strcmp (prop, "HostToContainer") == 0)
        popt = "rslave";
      else if (prop && strcmp (prop, "Bidirectional") == 0)
        popt = "rshared";
      const char *opts[]
          = { "rbind", popt, is_true (member (vm, "readOnly", NULL)) ? "ro" : "rw", NULL };
      cleanup_free char *ptr = xasprintf ("/mounts/%zu", oj_len (mounts));
      origin (P, ptr, prop && strcmp (popt, "rprivate") != 0 ? vmpath : where,
              prop && strcmp (popt, "rprivate") != 0 ? vm->offset : wpos);
      add_mount (P, mounts, dest, "bind", src, opts);
    }

  /* kubelet: /etc/hosts and the termination log; containerd: hostname,
   * resolv.conf and /dev/shm from the sandbox (the host's with hostIPC). */
  add_mount (P, mounts, "/etc/hosts", "bind", KUBELET_POD "/etc-hosts", b_rw);
  const char *tmp = sval (member (P->c, "terminationMessagePath", NULL));
  cleanup_free char *tlog = xasprintf (KUBELET_POD "/containers/%s/0000abcd", P->cname);
  add_mount (P, mounts, tmp ? tmp : "/dev/termination-log", "bind", tlog, b_rw);
  add_mount (P, mounts, "/etc/hostname", "bind",
             "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" SANDBOX_ID "/hostname",
             ro_root ? b_ro : b_rw);
  add_mount (P, mounts, "/etc/resolv.conf", "bind",
             "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" SANDBOX_ID "/resolv.conf",
             ro_root ? b_ro : b_rw);
  size_t hpos;
  if (is_true (member (P->pod->spec, "hostIPC", &hpos)))
    {
      cleanup_free char *ptr = xasprintf ("/mounts/%zu", oj_len (mounts));
      cleanup_free char *p = xasprintf ("%s.hostIPC", P->pod->spec_path);
      origin (P, ptr, p, hpos);
      add_mount (P, mounts, "/dev/shm", "bind", "/dev/shm", b_rw);
    }
  else
    add_mount (P, mounts, "/dev/shm", "bind",
               "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/" SANDBOX_ID "/shm", b_rw);
  /* the service account admission plugin's projected token volume */
  const ocigate_json_t *am = member (P->pod->spec, "automountServiceAccountToken", NULL);
  if (!sa_mounted && !oj_is (am, OJ_FALSE))
    add_mount (P, mounts, SA_PATH, "bind",
               KUBELET_POD "/volumes/kubernetes.io~projected/kube-api-access-00000", b_ro);
  return 0;
}

static int
predict_user (struct pred *P, ocigate_json_t *proc, ocigate_error_t *err)
{
  ocigate_doc_t *d = P->doc;
  int64_t uid = 0, gid = 0, v;
  const ocigate_json_t *u = sc_field (P, "runAsUser", "/process/user/uid");
  const ocigate_json_t *g = sc_field (P, "runAsGroup", "/process/user/gid");
  const ocigate_json_t *nonroot = sc_field (P, "runAsNonRoot", NULL);
  if (u)
    {
      if (get_int (P, "runAsUser", u, 0, 2147483647, &uid, err) < 0)
        return -1;
    }
  else if (is_true (nonroot))
    uid = 65534; /* the kubelet refuses an image whose USER is root or not numeric */
  else
    P->uid_from_image = true;
  if (g)
    {
      if (get_int (P, "runAsGroup", g, 0, 2147483647, &gid, err) < 0)
        return -1;
    }
  else
    P->gid_from_image = true; /* the image's /etc/passwd entry for the uid, else 0 */
  if (P->uid_from_image || P->gid_from_image)
    {
      cleanup_free char *p = xasprintf ("%s", P->cpath);
      if (P->uid_from_image)
        origin (P, "/process/user/uid", p, P->c->offset);
      origin (P, "/process/user/gid", p, P->c->offset);
      origin (P, "/process/user/additionalGids/0", p, P->c->offset);
    }
  ocigate_json_t *user = oj_ensure_object (d, proc, "user");
  oj_set (d, user, "uid", oj_new_int (d, uid));
  oj_set (d, user, "gid", oj_new_int (d, gid));
  ocigate_json_t *add = oj_ensure_array (d, user, "additionalGids");
  oj_append (d, add, oj_new_int (d, gid));
  size_t pos;
  const ocigate_json_t *sg = member (P->pod->psc, "supplementalGroups", &pos);
  for (size_t i = 0; i < oj_len (sg); i++)
    {
      if (get_int (P, "supplementalGroups", oj_at (sg, i), 0, 4294967295, &v, err) < 0)
        return -1;
      cleanup_free char *ptr = xasprintf ("/process/user/additionalGids/%zu", oj_len (add));
      cleanup_free char *p
          = xasprintf ("%s.securityContext.supplementalGroups[%zu]", P->pod->spec_path, i);
      origin (P, ptr, p, oj_at (sg, i)->offset);
      oj_append (d, add, oj_new_int (d, v));
    }
  const ocigate_json_t *fg = member (P->pod->psc, "fsGroup", &pos);
  if (fg && !oj_is (fg, OJ_NULL))
    {
      if (get_int (P, "fsGroup", fg, 0, 4294967295, &v, err) < 0)
        return -1;
      cleanup_free char *ptr = xasprintf ("/process/user/additionalGids/%zu", oj_len (add));
      cleanup_free char *p = xasprintf ("%s.securityContext.fsGroup", P->pod->spec_path);
      origin (P, ptr, p, pos);
      oj_append (d, add, oj_new_int (d, v));
    }
  return 0;
}

static void
cap_add (ocigate_doc_t *d, ocigate_json_t *set, const char *name)
{
  for (size_t i = 0; i < oj_len (set); i++)
    if (oj_str_eq (oj_at (set, i), name))
      return;
  oj_append (d, set, oj_new_string (d, name));
}

static void
cap_drop (ocigate_json_t *set, const char *name)
{
  for (size_t i = oj_len (set); i-- > 0;)
    if (oj_str_eq (oj_at (set, i), name))
      oj_remove_at (set, i);
}

static bool
list_has_all (const ocigate_json_t *l)
{
  for (size_t i = 0; i < oj_len (l); i++)
    {
      const char *s = sval (oj_at (l, i));
      if (s && strcasecmp (s, "ALL") == 0)
        return true;
    }
  return false;
}

/* containerd's WithCapabilities: "ALL" in add, then "ALL" in drop, then
 * the single names added and dropped, each as "CAP_" + upper case. */
static void
predict_caps (struct pred *P, ocigate_json_t *proc, bool privileged)
{
  ocigate_doc_t *d = P->doc;
  ocigate_json_t *set = oj_new (d, OJ_ARRAY);
  char buf[64];
  size_t pos;
  const ocigate_json_t *caps = member (P->csc, "capabilities", &pos);
  cleanup_free char *cp
      = xasprintf ("%s.securityContext.%s", P->cpath, privileged ? "privileged" : "capabilities");
  origin (P, "/process/capabilities", caps || privileged ? cp : P->cpath,
          caps     ? pos
          : P->csc ? P->csc->offset
                   : P->c->offset);
  const ocigate_json_t *add = member (caps, "add", NULL);
  const ocigate_json_t *drop = member (caps, "drop", NULL);
  if (privileged || list_has_all (add))
    for (int c = 0; c < ocigate_cap_kernel_count (); c++)
      cap_add (d, set, ocigate_cap_name (c, buf));
  else if (!list_has_all (drop))
    for (const char *const *c = default_caps; *c; c++)
      cap_add (d, set, *c);
  if (!privileged)
    {
      if (list_has_all (drop))
        set->u.arr.n = 0;
      for (int pass = 0; pass < 2; pass++)
        {
          const ocigate_json_t *l = pass == 0 ? add : drop;
          for (size_t i = 0; i < oj_len (l); i++)
            {
              const char *s = sval (oj_at (l, i));
              if (s == NULL || strcasecmp (s, "ALL") == 0)
                continue;
              strbuf_t b = { 0 };
              strbuf_puts (&b, "CAP_");
              for (const char *q = s; *q; q++)
                strbuf_printf (&b, "%c", *q >= 'a' && *q <= 'z' ? *q - 32 : *q);
              cleanup_free char *name = strbuf_steal (&b);
              if (pass == 0)
                cap_add (d, set, name);
              else
                cap_drop (set, name);
            }
        }
    }
  ocigate_json_t *c = oj_ensure_object (d, proc, "capabilities");
  if (oj_len (set) == 0)
    return; /* containerd writes {} */
  oj_set (d, c, "bounding", set);
  oj_set (d, c, "effective", oj_copy (d, set));
  oj_set (d, c, "permitted", oj_copy (d, set));
}

static void
ns_entry (struct pred *P, ocigate_json_t *ns, const char *type, const char *file)
{
  ocigate_doc_t *d = P->doc;
  ocigate_json_t *e = oj_new (d, OJ_OBJECT);
  oj_set (d, e, "type", oj_new_string (d, type));
  if (file)
    {
      cleanup_free char *path = xasprintf ("/proc/" SANDBOX_PID "/ns/%s", file);
      oj_set (d, e, "path", oj_new_string (d, path));
    }
  oj_append (d, ns, e);
}

/* containerd: the sandbox's ipc, uts and network namespaces, a new pid
 * and mount namespace; a host* pod field leaves the namespace out (with
 * hostNetwork containerd still writes the sandbox's network path, which
 * is then the host's: the effect is the same). */
static void
predict_namespaces (struct pred *P, ocigate_json_t *lx)
{
  const ocigate_json_t *spec = P->pod->spec;
  ocigate_json_t *ns = oj_ensure_array (P->doc, lx, "namespaces");
  static const char *const keys[] = { "hostPID", "hostIPC", "hostNetwork" };
  size_t pos;
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    if (is_true (member (spec, keys[i], &pos)))
      {
        cleanup_free char *p = xasprintf ("%s.%s", P->pod->spec_path, keys[i]);
        origin (P, "/linux/namespaces", p, pos);
        break;
      }
  bool hpid = is_true (member (spec, "hostPID", NULL));
  bool hipc = is_true (member (spec, "hostIPC", NULL));
  bool hnet = is_true (member (spec, "hostNetwork", NULL));
  if (!hpid)
    ns_entry (P, ns, "pid", is_true (member (spec, "shareProcessNamespace", NULL)) ? "pid" : NULL);
  if (!hipc)
    ns_entry (P, ns, "ipc", "ipc");
  if (!hnet)
    ns_entry (P, ns, "uts", "uts");
  ns_entry (P, ns, "mount", NULL);
  if (!hnet)
    ns_entry (P, ns, "network", "net");
}

/* containerd's DefaultProfile allows more syscalls for the capabilities
 * in the bounding set; the embedded profile is the one for its default
 * set (chroot, for CAP_SYS_CHROOT, the only one among them). */
static void
seccomp_caps (struct pred *P, ocigate_json_t *rules)
{
  static const struct
  {
    const char *cap;
    const char *const names[24];
  } extra[] = {
    { "CAP_DAC_READ_SEARCH", { "open_by_handle_at" } },
    { "CAP_SYS_ADMIN",
      { "bpf",
        "clone",
        "clone3",
        "fanotify_init",
        "fsconfig",
        "fsmount",
        "fsopen",
        "fspick",
        "lookup_dcookie",
        "mount",
        "mount_setattr",
        "move_mount",
        "name_to_handle_at",
        "open_tree",
        "perf_event_open",
        "quotactl",
        "quotactl_fd",
        "setdomainname",
        "sethostname",
        "setns",
        "syslog",
        "umount",
        "umount2",
        "unshare" } },
    { "CAP_SYS_BOOT", { "reboot" } },
    { "CAP_SYS_MODULE", { "delete_module", "init_module", "finit_module" } },
    { "CAP_SYS_PACCT", { "acct" } },
    { "CAP_SYS_PTRACE",
      { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
        "ptrace" } },
    { "CAP_SYS_RAWIO", { "iopl", "ioperm" } },
    { "CAP_SYS_TIME", { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
    { "CAP_SYS_TTY_CONFIG", { "vhangup" } },
    { "CAP_SYS_NICE", { "get_mempolicy", "mbind", "set_mempolicy" } },
    { "CAP_SYSLOG", { "syslog" } },
    { "CAP_BPF", { "bpf" } },
    { "CAP_PERFMON", { "perf_event_open" } },
  };
  ocigate_doc_t *d = P->doc;
  const ocigate_json_t *bounding = oj_path (P->root, "process/capabilities/bounding");
  bool chroot = false;
  for (size_t i = 0; i < oj_len (bounding); i++)
    chroot |= oj_str_eq (oj_at (bounding, i), "CAP_SYS_CHROOT");
  for (size_t i = 0; !chroot && i < oj_len (rules); i++)
    {
      const ocigate_json_t *names = oj_get (oj_at (rules, i), "names");
      if (oj_len (names) == 1 && oj_str_eq (oj_at (names, 0), "chroot"))
        {
          oj_remove_at (rules, i);
          break;
        }
    }
  for (size_t k = 0; k < ARRAY_SIZE (extra); k++)
    {
      bool has = false;
      for (size_t i = 0; i < oj_len (bounding); i++)
        has |= oj_str_eq (oj_at (bounding, i), extra[k].cap);
      if (!has)
        continue;
      ocigate_json_t *r = oj_new (d, OJ_OBJECT);
      ocigate_json_t *names = oj_ensure_array (d, r, "names");
      for (size_t n = 0; n < ARRAY_SIZE (extra[k].names) && extra[k].names[n]; n++)
        oj_append (d, names, oj_new_string (d, extra[k].names[n]));
      oj_set (d, r, "action", oj_new_string (d, "SCMP_ACT_ALLOW"));
      oj_append (d, rules, r);
    }
}

static int
predict_seccomp (struct pred *P, ocigate_json_t *lx, ocigate_error_t *err)
{
  const ocigate_json_t *sp = sc_field (P, "seccompProfile", "/linux/seccomp");
  const char *type = sval (member (sp, "type", NULL));
  if (type == NULL || strcmp (type, "Unconfined") == 0)
    return 0; /* the kubelet's default: no filter */
  if (strcmp (type, "Localhost") == 0)
    {
      P->seccomp_localhost = sval (member (sp, "localhostProfile", NULL));
      if (P->seccomp_localhost == NULL)
        P->seccomp_localhost = "";
      return 0;
    }
  if (strcmp (type, "RuntimeDefault") != 0)
    return type_error (P, "seccompProfile.type", member (sp, "type", NULL),
                       "RuntimeDefault, Localhost or Unconfined", err);
  ocigate_json_parse_opts_t o = { .name = "containerd default seccomp profile" };
  cleanup_doc ocigate_doc_t *prof = ocigate_json_parse (
      ocigate_containerd_seccomp_json, strlen (ocigate_containerd_seccomp_json), &o, err);
  if (prof == NULL)
    return -1;
  ocigate_json_t *sp2 = oj_copy (P->doc, ocigate_doc_root (prof));
  oj_set (P->doc, lx, "seccomp", sp2);
  seccomp_caps (P, oj_get (sp2, "syscalls"));
  return 0;
}

static int
predict (struct pred *P, ocigate_error_t *err)
{
  ocigate_doc_t *d = P->doc;
  ocigate_json_t *root = P->root;
  size_t pos;

  oj_set (d, root, "ociVersion", oj_new_string (d, "1.0.2-dev"));
  ocigate_json_t *proc = oj_ensure_object (d, root, "process");
  const ocigate_json_t *priv = member (P->csc, "privileged", &pos);
  bool privileged = is_true (priv);
  if (privileged)
    {
      cleanup_free char *p = xasprintf ("%s.securityContext.privileged", P->cpath);
      origin (P, "/linux/devices", p, pos);
      origin (P, "/linux/resources/devices", p, pos);
      origin (P, "/linux/maskedPaths", p, pos);
      origin (P, "/linux/readonlyPaths", p, pos);
      origin (P, "/linux/seccomp", p, pos);
      origin (P, "", p, pos); /* the privileged fingerprint */
    }
  if (predict_user (P, proc, err) < 0)
    return -1;
  ocigate_json_t *args = oj_ensure_array (d, proc, "args");
  const ocigate_json_t *cmd = member (P->c, "command", NULL);
  for (size_t i = 0; i < oj_len (cmd); i++)
    if (sval (oj_at (cmd, i)))
      oj_append (d, args, oj_new_string (d, sval (oj_at (cmd, i))));
  const char *wd = sval (member (P->c, "workingDir", &pos));
  if (wd)
    {
      cleanup_free char *p = xasprintf ("%s.workingDir", P->cpath);
      origin (P, "/process/cwd", p, pos);
    }
  oj_set (d, proc, "cwd", oj_new_string (d, wd && *wd ? wd : "/"));
  predict_caps (P, proc, privileged);
  /* the kubelet asks for no_new_privs only for allowPrivilegeEscalation: false */
  const ocigate_json_t *ape = sc_field (P, "allowPrivilegeEscalation", "/process/noNewPrivileges");
  if (!sc_field (P, "allowPrivilegeEscalation", NULL))
    origin (P, "/process/noNewPrivileges", P->cpath, P->c->offset);
  if (oj_is (ape, OJ_FALSE) && !privileged)
    oj_set (d, proc, "noNewPrivileges", oj_new_bool (d, true));
  /* AppArmor: containerd writes a profile only for Localhost (on a host
   * without AppArmor it writes none at all). */
  const ocigate_json_t *aa = sc_field (P, "appArmorProfile", "/process/apparmorProfile");
  const char *aat = sval (member (aa, "type", NULL));
  cleanup_free char *ann_key
      = xasprintf ("container.apparmor.security.beta.kubernetes.io/%s", P->cname);
  const char *aa_ann = sval (member (member (P->pod->meta, "annotations", NULL), ann_key, NULL));
  if (aat && strcmp (aat, "Localhost") == 0 && sval (member (aa, "localhostProfile", NULL)))
    oj_set (d, proc, "apparmorProfile",
            oj_new_string (d, sval (member (aa, "localhostProfile", NULL))));
  else if (aa == NULL && aa_ann && strncmp (aa_ann, "localhost/", 10) == 0)
    oj_set (d, proc, "apparmorProfile", oj_new_string (d, aa_ann + 10));
  const ocigate_json_t *se = sc_field (P, "seLinuxOptions", "/process/selinuxLabel");
  if (se && !privileged)
    {
      const char *u = sval (member (se, "user", NULL)), *r = sval (member (se, "role", NULL));
      const char *t = sval (member (se, "type", NULL)), *l = sval (member (se, "level", NULL));
      cleanup_free char *label = xasprintf ("%s:%s:%s:%s", u ? u : "system_u", r ? r : "system_r",
                                            t ? t : "container_t", l ? l : "s0");
      oj_set (d, proc, "selinuxLabel", oj_new_string (d, label));
    }
  cleanup_free char *rpath = xasprintf ("%s.resources", P->cpath);
  const ocigate_json_t *res = member (P->c, "resources", &pos);
  origin (P, "/process/oomScoreAdj", res ? rpath : P->cpath, res ? pos : P->c->offset);
  origin (P, "/linux/resources", res ? rpath : P->cpath, res ? pos : P->c->offset);
  oj_set (d, proc, "oomScoreAdj",
          oj_new_int (d, *P->pod->qos == '\0'                      ? -997
                         : strcmp (P->pod->qos, "besteffort") == 0 ? 1000
                                                                   : 999));

  ocigate_json_t *r = oj_ensure_object (d, root, "root");
  oj_set (d, r, "path", oj_new_string (d, "rootfs"));
  const ocigate_json_t *ro = sc_field (P, "readOnlyRootFilesystem", "/root/readonly");
  if (ro == NULL)
    {
      ro = member (P->csc, "readOnlyRootFilesystem", NULL);
      origin (P, "/root/readonly", P->cpath, P->c->offset);
    }
  if (is_true (ro))
    oj_set (d, r, "readonly", oj_new_bool (d, true));
  if (predict_mounts (P, privileged, is_true (ro), err) < 0)
    return -1;

  ocigate_json_t *ann = oj_ensure_object (d, root, "annotations");
  const char *image = sval (member (P->c, "image", &pos));
  cleanup_free char *img = normalize_image (image ? image : "");
  cleanup_free char *ipath = xasprintf ("%s.image", P->cpath);
  origin (P, "/annotations/io.kubernetes.cri.image-name", ipath, pos);
  oj_set (d, ann, "io.kubernetes.cri.container-name", oj_new_string (d, P->cname));
  oj_set (d, ann, "io.kubernetes.cri.container-type", oj_new_string (d, "container"));
  oj_set (d, ann, "io.kubernetes.cri.image-name", oj_new_string (d, img));
  oj_set (d, ann, "io.kubernetes.cri.sandbox-id", oj_new_string (d, SANDBOX_ID));
  oj_set (d, ann, "io.kubernetes.cri.sandbox-name", oj_new_string (d, P->pod->name));
  oj_set (d, ann, "io.kubernetes.cri.sandbox-namespace", oj_new_string (d, P->pod->namespace));
  oj_set (d, ann, "io.kubernetes.cri.sandbox-uid", oj_new_string (d, POD_UID));

  ocigate_json_t *lx = oj_ensure_object (d, root, "linux");
  ocigate_json_t *rs = oj_ensure_object (d, lx, "resources");
  ocigate_json_t *dev = oj_new (d, OJ_OBJECT);
  oj_set (d, dev, "allow", oj_new_bool (d, privileged));
  oj_set (d, dev, "access", oj_new_string (d, "rwm"));
  ocigate_json_t *devs = oj_ensure_array (d, rs, "devices");
  oj_append (d, devs, dev);
  ocigate_json_t *mem = oj_ensure_object (d, rs, "memory");
  const ocigate_json_t *ml = member (member (res, "limits", NULL), "memory", &pos);
  if (ml)
    {
      int64_t bytes;
      if (!quantity_bytes (ml, &bytes))
        return type_error (P, "resources.limits.memory", ml, "a quantity such as 512Mi", err);
      oj_set (d, mem, "limit", oj_new_int (d, bytes));
    }
  cleanup_free char *cg = xasprintf ("/kubepods%s%s/pod" POD_UID "/" CONTAINER_ID,
                                     *P->pod->qos ? "/" : "", P->pod->qos);
  oj_set (d, lx, "cgroupsPath", oj_new_string (d, cg));
  predict_namespaces (P, lx);
  const char *pm = sval (member (P->csc, "procMount", &pos));
  if (pm && strcmp (pm, "Unmasked") == 0)
    {
      cleanup_free char *p = xasprintf ("%s.securityContext.procMount", P->cpath);
      origin (P, "/linux/maskedPaths", p, pos);
      origin (P, "/linux/readonlyPaths", p, pos);
    }
  else if (!privileged)
    {
      oj_set (d, lx, "maskedPaths", str_array (d, masked_paths));
      oj_set (d, lx, "readonlyPaths", str_array (d, readonly_paths));
    }
  if (!privileged && predict_seccomp (P, lx, err) < 0)
    return -1;
  const ocigate_json_t *sys = member (P->pod->psc, "sysctls", &pos);
  if (oj_len (sys))
    {
      cleanup_free char *p = xasprintf ("%s.securityContext.sysctls", P->pod->spec_path);
      origin (P, "/linux/sysctl", p, pos);
      ocigate_json_t *m = oj_ensure_object (d, lx, "sysctl");
      for (size_t i = 0; i < oj_len (sys); i++)
        {
          const char *n = sval (member (oj_at (sys, i), "name", NULL));
          const ocigate_json_t *v = member (oj_at (sys, i), "value", NULL);
          if (n == NULL || v == NULL || !(oj_is (v, OJ_STRING) || oj_is (v, OJ_NUMBER)))
            return type_error (P, "a sysctl", oj_at (sys, i), "{name, value}", err);
          oj_set (d, m, n, oj_new_string (d, v->u.str.s));
        }
    }
  return 0;
}

/* ---- findings back onto the manifest ---- */

static k8s_loc_t
locate (struct pred *P, const char *ptr)
{
  size_t best = 0, bl = 0;
  bool found = false;
  for (size_t i = 0; i < P->no; i++)
    {
      size_t l = strlen (P->o[i].ptr);
      bool match = l == 0 ? ptr[0] == '\0' || strcmp (ptr, "/") == 0
                          : strncmp (ptr, P->o[i].ptr, l) == 0 && (ptr[l] == '\0' || ptr[l] == '/');
      if (match && (!found || l > bl))
        best = i, bl = l, found = true;
    }
  if (found)
    {
      k8s_loc_t l = P->o[best].loc;
      l.path = xstrdup (l.path);
      return l;
    }
  return loc_at (P->cpath, P->c->offset);
}

static void
relabel (struct pred *P, ocigate_result_t *res)
{
  for (size_t i = 0; i < res->n; i++)
    {
      ocigate_finding_t *f = &res->f[i];
      const char *why = NULL;
      if (f->rule == R_ROOT_USER && P->uid_from_image)
        why = "the user depends on the image: no runAsUser and no runAsNonRoot, so the image's "
              "USER decides and it may be root";
      else if (f->rule == R_ROOT_GROUP && P->gid_from_image
               && (strcmp (f->pointer, "/process/user/gid") == 0
                   || strcmp (f->pointer, "/process/user/additionalGids/0") == 0))
        why = "the group depends on the image: no runAsGroup, so the image's /etc/passwd decides "
              "and it may be 0";
      else if (f->rule == R_SECCOMP && P->seccomp_localhost)
        {
          free (f->message);
          f->message = xasprintf ("seccomp profile Localhost \"%s\": its content is on the node "
                                  "and is judged there",
                                  P->seccomp_localhost);
          f->action = OCIGATE_ACTION_WARN;
          continue;
        }
      if (why)
        {
          free (f->message);
          f->message = xstrdup (why);
        }
    }
  /* a Localhost profile cannot turn a warning into a rejection */
  res->reject = false;
  for (size_t i = 0; i < res->n; i++)
    if (res->f[i].action == OCIGATE_ACTION_REJECT && res->mode == OCIGATE_MODE_ENFORCE)
      res->reject = true;
}

static int
judge_container (const ocigate_policy_t *pol, struct pod *pod, const ocigate_json_t *c,
                 const char *cpath, k8s_item_t *it, ocigate_error_t *err)
{
  struct pred P = { .pod = pod, .c = c };
  int r = -1;
  P.cpath = xstrdup (cpath);
  P.csc = member (c, "securityContext", NULL);
  if (P.csc && !oj_is (P.csc, OJ_OBJECT))
    P.csc = NULL;
  P.cname = sval (member (c, "name", NULL));
  if (P.cname == NULL)
    {
      ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s has no name", pod->file,
                          K8S_LINE (c->offset), K8S_COL (c->offset), cpath);
      goto out;
    }
  it->container = xstrdup (P.cname);
  it->where = loc_at (cpath, c->offset);
  P.doc = ocigate_doc_new ();
  P.root = oj_new (P.doc, OJ_OBJECT);
  ocigate_doc_set_root (P.doc, P.root);
  if (predict (&P, err) < 0)
    goto out;
  size_t clen;
  if (ocigate_json_serialize (P.root, true, &it->config, &clen, err) < 0)
    goto out;
  ocigate_eval_opts_t opts = { .name = cpath, .bundle = "/nonexistent" };
  if (ocigate_evaluate (pol, P.doc, &opts, &it->res, err) < 0)
    goto out;
  relabel (&P, &it->res);
  it->locs = xzalloc ((it->res.n + 1) * sizeof (*it->locs));
  for (size_t i = 0; i < it->res.n; i++)
    it->locs[i] = locate (&P, it->res.f[i].pointer);
  /* the result's context borrows from the predicted config: keep copies */
  it->res.ctx = (ocigate_context_t){ 0 };
  r = 0;
out:
  for (size_t i = 0; i < P.no; i++)
    {
      free (P.o[i].ptr);
      free (P.o[i].loc.path);
    }
  free (P.o);
  free (P.cpath);
  ocigate_doc_free (P.doc);
  return r;
}

/* QoS class from every container's requests and limits. */
static const char *
qos_class (const ocigate_json_t *spec)
{
  bool any = false, guaranteed = true;
  static const char *const lists[] = { "containers", "initContainers" };
  for (size_t l = 0; l < ARRAY_SIZE (lists); l++)
    {
      const ocigate_json_t *cs = member (spec, lists[l], NULL);
      for (size_t i = 0; i < oj_len (cs); i++)
        {
          const ocigate_json_t *res = member (oj_at (cs, i), "resources", NULL);
          const ocigate_json_t *lim = member (res, "limits", NULL);
          const ocigate_json_t *req = member (res, "requests", NULL);
          if (oj_len (lim) || oj_len (req))
            any = true;
          static const char *const kinds[] = { "cpu", "memory" };
          for (size_t k = 0; k < 2; k++)
            {
              const ocigate_json_t *lv = member (lim, kinds[k], NULL);
              const ocigate_json_t *rv = member (req, kinds[k], NULL);
              if (lv == NULL || (rv && !oj_equal (lv, rv)))
                guaranteed = false;
            }
        }
    }
  return !any ? "besteffort" : guaranteed ? "" : "burstable";
}

/* ---- the types of what the prediction reads ----
 * The API server refuses a manifest whose fields have the wrong type;
 * reading such a field as absent would judge a pod that cannot exist
 * and let the real one through unjudged, so it is an error here.
 * Parents come before their children; "[]" is every element; "%s" the
 * three container lists. */
static const struct
{
  const char *path;
  char t; /* L list, O object, S string, B boolean */
} spec_types[] = {
  { "securityContext", 'O' },
  { "securityContext.runAsNonRoot", 'B' },
  { "securityContext.supplementalGroups", 'L' },
  { "securityContext.sysctls", 'L' },
  { "securityContext.sysctls[]", 'O' },
  { "securityContext.sysctls[].name", 'S' },
  { "securityContext.seccompProfile", 'O' },
  { "securityContext.seccompProfile.type", 'S' },
  { "securityContext.seccompProfile.localhostProfile", 'S' },
  { "securityContext.appArmorProfile", 'O' },
  { "securityContext.appArmorProfile.type", 'S' },
  { "securityContext.appArmorProfile.localhostProfile", 'S' },
  { "securityContext.seLinuxOptions", 'O' },
  { "securityContext.seLinuxOptions.user", 'S' },
  { "securityContext.seLinuxOptions.role", 'S' },
  { "securityContext.seLinuxOptions.type", 'S' },
  { "securityContext.seLinuxOptions.level", 'S' },
  { "hostPID", 'B' },
  { "hostIPC", 'B' },
  { "hostNetwork", 'B' },
  { "shareProcessNamespace", 'B' },
  { "automountServiceAccountToken", 'B' },
  { "volumes", 'L' },
  { "volumes[]", 'O' },
  { "volumes[].name", 'S' },
  { "volumes[].hostPath", 'O' },
  { "volumes[].hostPath.path", 'S' },
  { "%s", 'L' },
  { "%s[]", 'O' },
  { "%s[].name", 'S' },
  { "%s[].image", 'S' },
  { "%s[].command", 'L' },
  { "%s[].command[]", 'S' },
  { "%s[].workingDir", 'S' },
  { "%s[].terminationMessagePath", 'S' },
  { "%s[].resources", 'O' },
  { "%s[].resources.limits", 'O' },
  { "%s[].resources.requests", 'O' },
  { "%s[].volumeMounts", 'L' },
  { "%s[].volumeMounts[]", 'O' },
  { "%s[].volumeMounts[].name", 'S' },
  { "%s[].volumeMounts[].mountPath", 'S' },
  { "%s[].volumeMounts[].readOnly", 'B' },
  { "%s[].volumeMounts[].mountPropagation", 'S' },
  { "%s[].volumeMounts[].subPath", 'S' },
  { "%s[].securityContext", 'O' },
  { "%s[].securityContext.privileged", 'B' },
  { "%s[].securityContext.allowPrivilegeEscalation", 'B' },
  { "%s[].securityContext.readOnlyRootFilesystem", 'B' },
  { "%s[].securityContext.runAsNonRoot", 'B' },
  { "%s[].securityContext.procMount", 'S' },
  { "%s[].securityContext.capabilities", 'O' },
  { "%s[].securityContext.capabilities.add", 'L' },
  { "%s[].securityContext.capabilities.add[]", 'S' },
  { "%s[].securityContext.capabilities.drop", 'L' },
  { "%s[].securityContext.capabilities.drop[]", 'S' },
  { "%s[].securityContext.seccompProfile", 'O' },
  { "%s[].securityContext.seccompProfile.type", 'S' },
  { "%s[].securityContext.seccompProfile.localhostProfile", 'S' },
  { "%s[].securityContext.appArmorProfile", 'O' },
  { "%s[].securityContext.appArmorProfile.type", 'S' },
  { "%s[].securityContext.appArmorProfile.localhostProfile", 'S' },
  { "%s[].securityContext.seLinuxOptions", 'O' },
  { "%s[].securityContext.seLinuxOptions.user", 'S' },
  { "%s[].securityContext.seLinuxOptions.role", 'S' },
  { "%s[].securityContext.seLinuxOptions.type", 'S' },
  { "%s[].securityContext.seLinuxOptions.level", 'S' },
};

static int
check_type (const char *file, const ocigate_json_t *n, const char *pat, const char *at, char t,
            ocigate_error_t *err)
{
  if (n == NULL || oj_is (n, OJ_NULL))
    return 0;
  if (*pat == '\0')
    {
      bool ok = t == 'L'   ? oj_is (n, OJ_ARRAY)
                : t == 'O' ? oj_is (n, OJ_OBJECT)
                : t == 'S' ? sval (n) != NULL
                           : oj_is_bool (n);
      if (ok)
        return 0;
      return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s must be %s", file,
                                 K8S_LINE (n->offset), K8S_COL (n->offset), at,
                                 t == 'L'   ? "a list"
                                 : t == 'O' ? "a mapping"
                                 : t == 'S' ? "a string"
                                            : "true or false");
    }
  const char *dot = strchr (pat, '.');
  size_t l = dot ? (size_t)(dot - pat) : strlen (pat);
  const char *rest = dot ? dot + 1 : "";
  bool each = l > 2 && memcmp (pat + l - 2, "[]", 2) == 0;
  cleanup_free char *key = xstrndup (pat, each ? l - 2 : l);
  cleanup_free char *path = xasprintf ("%s%s%s", at, *at ? "." : "", key);
  const ocigate_json_t *v = member (n, key, NULL);
  if (!each)
    return check_type (file, v, rest, path, t, err);
  if (v == NULL || !oj_is (v, OJ_ARRAY))
    return 0; /* the list itself is checked by its own entry */
  for (size_t i = 0; i < oj_len (v); i++)
    {
      cleanup_free char *ip = xasprintf ("%s[%zu]", path, i);
      if (check_type (file, oj_at (v, i), rest, ip, t, err) < 0)
        return -1;
    }
  return 0;
}

static int
check_spec_types (const char *file, const ocigate_json_t *spec, const char *spec_path,
                  ocigate_error_t *err)
{
  static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
  for (size_t l = 0; l < ARRAY_SIZE (lists); l++)
    for (size_t i = 0; i < ARRAY_SIZE (spec_types); i++)
      {
        const char *p = spec_types[i].path;
        bool per_list = strncmp (p, "%s", 2) == 0;
        if (!per_list && l > 0)
          continue;
        cleanup_free char *pat = per_list ? xasprintf ("%s%s", lists[l], p + 2) : xstrdup (p);
        if (check_type (file, spec, pat, spec_path, spec_types[i].t, err) < 0)
          return -1;
      }
  return 0;
}

static k8s_item_t *
new_item (k8s_file_t *out)
{
  if (out->n == out->cap)
    {
      out->cap = out->cap ? out->cap * 2 : 8;
      out->items = xrealloc (out->items, out->cap * sizeof (*out->items));
    }
  k8s_item_t *it = &out->items[out->n++];
  memset (it, 0, sizeof (*it));
  return it;
}

/* The pod spec of a workload object, and its YAML path. */
static const ocigate_json_t *
pod_spec (const ocigate_json_t *obj, const char *kind, const char **ret_path,
          const ocigate_json_t **ret_meta)
{
  const ocigate_json_t *spec = member (obj, "spec", NULL);
  if (strcmp (kind, "Pod") == 0)
    {
      *ret_path = "spec";
      *ret_meta = member (obj, "metadata", NULL);
      return spec;
    }
  const ocigate_json_t *tmpl = NULL;
  if (strcmp (kind, "Deployment") == 0 || strcmp (kind, "StatefulSet") == 0
      || strcmp (kind, "DaemonSet") == 0 || strcmp (kind, "ReplicaSet") == 0
      || strcmp (kind, "ReplicationController") == 0 || strcmp (kind, "Job") == 0)
    {
      tmpl = member (spec, "template", NULL);
      *ret_path = "spec.template.spec";
    }
  else if (strcmp (kind, "CronJob") == 0)
    {
      tmpl = member (member (member (spec, "jobTemplate", NULL), "spec", NULL), "template", NULL);
      *ret_path = "spec.jobTemplate.spec.template.spec";
    }
  else if (strcmp (kind, "PodTemplate") == 0)
    {
      tmpl = member (obj, "template", NULL);
      *ret_path = "template.spec";
    }
  else
    return NULL;
  *ret_meta = member (tmpl, "metadata", NULL);
  return member (tmpl, "spec", NULL);
}

static int
judge_object (const ocigate_policy_t *pol, const char *file, size_t doc, const ocigate_json_t *obj,
              const char *prefix, k8s_file_t *out, ocigate_error_t *err)
{
  const char *kind = oj_str (member (obj, "kind", NULL));
  if (!oj_is (obj, OJ_OBJECT) || kind == NULL)
    {
      out->skipped++;
      return 0;
    }
  size_t kl = strlen (kind);
  if (kl >= 4 && strcmp (kind + kl - 4, "List") == 0)
    {
      const ocigate_json_t *items = member (obj, "items", NULL);
      cleanup_free char *ip = xasprintf ("%sitems", prefix);
      if (check_type (file, items, "", ip, 'L', err) < 0)
        return -1;
      for (size_t i = 0; i < oj_len (items); i++)
        {
          cleanup_free char *p = xasprintf ("%sitems[%zu].", prefix, i);
          if (judge_object (pol, file, doc, oj_at (items, i), p, out, err) < 0)
            return -1;
        }
      return 0;
    }
  const char *sp;
  const ocigate_json_t *meta = NULL;
  sp = NULL;
  const ocigate_json_t *spec = pod_spec (obj, kind, &sp, &meta);
  if (sp == NULL)
    {
      out->skipped++; /* a kind that runs no container */
      return 0;
    }
  if (!oj_is (spec, OJ_OBJECT))
    return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s has no pod spec at %s%s", file,
                               K8S_LINE (obj->offset), K8S_COL (obj->offset), kind, prefix, sp);
  cleanup_free char *full = xasprintf ("%s%s", prefix, sp);
  if (check_spec_types (file, spec, full, err) < 0)
    return -1;
  const ocigate_json_t *ometa = member (obj, "metadata", NULL);
  const char *ns = sval (member (ometa, "namespace", NULL));
  const char *name = sval (member (ometa, "name", NULL));
  struct pod pod = { .file = file,
                     .spec = spec,
                     .meta = meta,
                     .namespace = ns ? ns : "default",
                     .name = name ? name : "",
                     .qos = qos_class (spec) };
  pod.spec_path = xasprintf ("%s%s", prefix, sp);
  pod.psc = member (spec, "securityContext", NULL);
  static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
  int r = 0;
  for (size_t l = 0; l < ARRAY_SIZE (lists) && r == 0; l++)
    {
      const ocigate_json_t *cs = member (spec, lists[l], NULL);
      for (size_t i = 0; i < oj_len (cs) && r == 0; i++)
        {
          cleanup_free char *cpath = xasprintf ("%s.%s[%zu]", pod.spec_path, lists[l], i);
          k8s_item_t *it = new_item (out);
          it->doc = doc;
          it->kind = xstrdup (kind);
          it->name = xstrdup (pod.name);
          it->namespace = xstrdup (pod.namespace);
          r = judge_container (pol, &pod, oj_at (cs, i), cpath, it, err);
        }
    }
  free (pod.spec_path);
  return r;
}

int
k8s_judge_buffer (const ocigate_policy_t *pol, const char *buf, size_t len, const char *name,
                  k8s_file_t *out, ocigate_error_t *err)
{
  k8s_stream_t s = { 0 };
  if (k8s_yaml_load (buf, len, name, pol->max_depth, &s, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < s.n && r == 0; i++)
    r = judge_object (pol, name, i, ocigate_doc_root (s.docs[i]), "", out, err);
  k8s_stream_free (&s);
  return r;
}

void
k8s_judge_file (const ocigate_policy_t *pol, const char *path, k8s_file_t *out)
{
  cleanup_free char *buf = NULL;
  cleanup_error ocigate_error_t err = NULL;
  size_t len;
  memset (out, 0, sizeof (*out));
  out->file = xstrdup (path);
  if (ocigate_read_file (path, K8S_MAX_BYTES, &buf, &len, &err) < 0
      || k8s_judge_buffer (pol, buf, len, path, out, &err) < 0)
    out->error = xstrdup (err->msg);
}

void
k8s_file_free (k8s_file_t *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      k8s_item_t *it = &f->items[i];
      for (size_t j = 0; j < it->res.n; j++)
        free (it->locs ? it->locs[j].path : NULL);
      free (it->locs);
      ocigate_result_free (&it->res);
      free (it->kind);
      free (it->name);
      free (it->namespace);
      free (it->container);
      free (it->where.path);
      free (it->config);
    }
  free (f->items);
  free (f->file);
  free (f->error);
  memset (f, 0, sizeof (*f));
}

static bool
has_suffix (const char *s, const char *sfx)
{
  size_t l = strlen (s), n = strlen (sfx);
  return l >= n && strcmp (s + l - n, sfx) == 0;
}

bool
k8s_is_manifest (const char *path, size_t max_bytes)
{
  struct stat st;
  /* by name even when missing, so the error is about the manifest */
  if (has_suffix (path, ".yaml") || has_suffix (path, ".yml"))
    return true;
  if (strcmp (path, "-") == 0 || stat (path, &st) < 0 || !S_ISREG (st.st_mode))
    return false;
  cleanup_free char *buf = NULL;
  size_t len;
  if (ocigate_read_file (path, max_bytes, &buf, &len, NULL) < 0)
    return false;
  ocigate_json_parse_opts_t o = { .name = path };
  cleanup_doc ocigate_doc_t *d = ocigate_json_parse (buf, len, &o, NULL);
  const ocigate_json_t *root = d ? ocigate_doc_root (d) : NULL;
  return oj_str (oj_get (root, "apiVersion")) && oj_str (oj_get (root, "kind"))
         && oj_get (root, "ociVersion") == NULL;
}
