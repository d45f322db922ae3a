/* SPDX-License-Identifier: Apache-2.0 */
/* The policy file (spec section 6): JSON with comments, strict keys. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "engine-internal.h"

static const char *const preset_names[] = { "restricted", "baseline", "privileged" };
static const char *const action_names[] = { "off", "warn", "rewrite", "reject" };
static const char *const mode_names[] = { "enforce", "warn", "audit" };

const char *
ocigate_action_name (ocigate_action_t a)
{
  return a >= 0 && a <= OCIGATE_ACTION_REJECT ? action_names[a] : "default";
}

int
ocigate_action_parse (const char *s)
{
  for (int i = 0; i < (int)ARRAY_SIZE (action_names); i++)
    if (strcmp (s, action_names[i]) == 0)
      return i;
  return -1;
}

const char *
ocigate_preset_name (ocigate_preset_t p)
{
  return preset_names[p];
}

int
ocigate_preset_parse (const char *s)
{
  for (int i = 0; i < (int)ARRAY_SIZE (preset_names); i++)
    if (strcmp (s, preset_names[i]) == 0)
      return i;
  return -1;
}

const char *
ocigate_mode_name (ocigate_mode_t m)
{
  return mode_names[m];
}

bool
ocigate_strlist_contains (const ocigate_strlist_t *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i], s) == 0)
      return true;
  return false;
}

bool
ocigate_strlist_matches (const ocigate_strlist_t *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    {
      size_t n = strlen (l->v[i]);
      if (n > 0 && l->v[i][n - 1] == '*' ? strncmp (s, l->v[i], n - 1) == 0
                                         : strcmp (s, l->v[i]) == 0)
        return true;
    }
  return false;
}

/* A prefix of an image reference ends where a name component does:
 * "docker.io/library" covers docker.io/library/nginx:1 but not
 * docker.io/libraryevil/x, and "registry.example.com" not
 * registry.example.com.evil.io/x. */
static bool
boundary (char c)
{
  return c == '\0' || c == '/' || c == ':' || c == '@';
}

bool
ocigate_strlist_has_prefix_of (const ocigate_strlist_t *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    {
      size_t n = strlen (l->v[i]);
      if (strncmp (s, l->v[i], n) == 0 && (boundary (s[n]) || (n > 0 && boundary (l->v[i][n - 1]))))
        return true;
    }
  return false;
}

void
ocigate_strlist_free (ocigate_strlist_t *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

ocigate_policy_t *
ocigate_policy_default (void)
{
  ocigate_policy_t *p = xzalloc (sizeof (*p));
  p->preset = OCIGATE_PRESET_RESTRICTED;
  p->mode = OCIGATE_MODE_ENFORCE;
  p->runtime = xstrdup (OCIGATE_DEFAULT_RUNTIME);
  memset (p->actions, OCIGATE_ACTION_DEFAULT, sizeof (p->actions));
  p->rewrite_uid = 65534;
  p->rewrite_gid = 65534;
  p->apparmor_profile = xstrdup ("ocigate-default");
  p->apparmor_require = true;
  /* The engines' own default profiles: confining, and loaded only by root. */
  static const char *const engine_profiles[]
      = { "cri-containerd.apparmor.d", "crio-default", "docker-default", "containers-default-*" };
  p->apparmor_allowed.v = xzalloc ((ARRAY_SIZE (engine_profiles) + 1) * sizeof (char *));
  for (size_t i = 0; i < ARRAY_SIZE (engine_profiles); i++)
    p->apparmor_allowed.v[p->apparmor_allowed.n++] = xstrdup (engine_profiles[i]);
  p->audit_path = xstrdup (OCIGATE_AUDIT_PATH);
  p->audit_syslog = true;
  p->audit_max_bytes = 50 << 20;
  p->audit_keep = 5;
  p->max_config_bytes = 16 << 20;
  p->max_depth = 64;
  static const char *const scratch[] = { "/tmp", "/var/tmp", "/run" };
  p->readonly_tmpfs.v = xzalloc ((ARRAY_SIZE (scratch) + 1) * sizeof (char *));
  for (size_t i = 0; i < ARRAY_SIZE (scratch); i++)
    p->readonly_tmpfs.v[p->readonly_tmpfs.n++] = xstrdup (scratch[i]);
  p->readonly_tmpfs_size = xstrdup ("64m");
  p->limits_pids = 4096;
  return p;
}

void
ocigate_policy_free (ocigate_policy_t *p)
{
  if (p == NULL)
    return;
  free (p->source);
  free (p->runtime);
  ocigate_strlist_free (&p->caps_allowed);
  ocigate_strlist_free (&p->mounts_deny);
  ocigate_strlist_free (&p->mounts_allow);
  ocigate_strlist_free (&p->mounts_allowed_types);
  ocigate_strlist_free (&p->hooks_allowed);
  ocigate_strlist_free (&p->sysctls_allowed);
  ocigate_strlist_free (&p->seccomp_dangerous);
  ocigate_strlist_free (&p->images_allowed);
  ocigate_strlist_free (&p->readonly_tmpfs);
  free (p->readonly_tmpfs_size);
  ocigate_strlist_free (&p->seccomp_allow);
  ocigate_strlist_free (&p->devices_allowed);
  free (p->seccomp_profile_path);
  ocigate_doc_free (p->seccomp_profile);
  free (p->apparmor_profile);
  free (p->selinux_type);
  ocigate_strlist_free (&p->apparmor_allowed);
  ocigate_strlist_free (&p->selinux_allowed);
  for (size_t i = 0; i < p->n_exemptions; i++)
    {
      ocigate_strlist_free (&p->exemptions[i].namespaces);
      ocigate_strlist_free (&p->exemptions[i].images);
      ocigate_strlist_free (&p->exemptions[i].container_types);
      ocigate_strlist_free (&p->exemptions[i].seccomp_allow);
    }
  free (p->exemptions);
  free (p->audit_path);
  free (p->metrics_path);
  free (p);
}

const char *
ocigate_policy_name (const ocigate_policy_t *p)
{
  return preset_names[p->preset];
}

/* ---- loading ---- */

struct loader
{
  ocigate_doc_t *doc;
  const char *name;
  ocigate_policy_t *pol;
};

static int at (struct loader *L, const ocigate_json_t *n, const char *key, ocigate_error_t *err,
               const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

static int
at (struct loader *L, const ocigate_json_t *n, const char *key, ocigate_error_t *err,
    const char *fmt, ...)
{
  unsigned line, col;
  va_list ap;
  char *msg;
  ocigate_doc_position (L->doc, n->offset, &line, &col);
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s: %s", L->name, line, col, key, msg);
  free (msg);
  return -1;
}

static int
want (struct loader *L, const ocigate_json_t *n, ocigate_json_type_t t, const char *key,
      ocigate_error_t *err)
{
  bool ok = n->type == t || (t == OJ_TRUE && n->type == OJ_FALSE);
  if (ok)
    return 0;
  return at (L, n, key, err, "expected %s, got %s", t == OJ_TRUE ? "a boolean" : oj_type_name (t),
             oj_type_name (n->type));
}

static int
get_string (struct loader *L, const ocigate_json_t *n, const char *key, char **dst,
            ocigate_error_t *err)
{
  if (want (L, n, OJ_STRING, key, err) < 0)
    return -1;
  free (*dst);
  *dst = xstrdup (oj_str (n));
  return 0;
}

static int
get_bool (struct loader *L, const ocigate_json_t *n, const char *key, bool *dst,
          ocigate_error_t *err)
{
  if (want (L, n, OJ_TRUE, key, err) < 0)
    return -1;
  *dst = n->type == OJ_TRUE;
  return 0;
}

static int
get_uint (struct loader *L, const ocigate_json_t *n, const char *key, int64_t max, int64_t *dst,
          ocigate_error_t *err)
{
  int64_t v;
  if (!oj_int (n, &v) || v < 0 || v > max)
    return at (L, n, key, err, "expected an integer from 0 to %lld", (long long)max);
  *dst = v;
  return 0;
}

static int
get_list (struct loader *L, const ocigate_json_t *n, const char *key, ocigate_strlist_t *dst,
          ocigate_error_t *err)
{
  if (want (L, n, OJ_ARRAY, key, err) < 0)
    return -1;
  ocigate_strlist_free (dst);
  dst->v = xzalloc ((oj_len (n) + 1) * sizeof (char *));
  for (size_t i = 0; i < oj_len (n); i++)
    {
      const ocigate_json_t *s = oj_at (n, i);
      if (s->type != OJ_STRING)
        return at (L, s, key, err, "element %zu: expected a string, got %s", i,
                   oj_type_name (s->type));
      dst->v[dst->n++] = xstrdup (oj_str (s));
    }
  return 0;
}

typedef int (*section_fn) (struct loader *L, const char *key, const ocigate_json_t *v, void *ctx,
                           ocigate_error_t *err);

/* Walk an object, calling fn for each member; fn returns 1 for an unknown
 * key, which is an error with its position. */
static int
walk (struct loader *L, const ocigate_json_t *obj, const char *where, section_fn fn, void *ctx,
      ocigate_error_t *err)
{
  if (want (L, obj, OJ_OBJECT, where, err) < 0)
    return -1;
  for (size_t i = 0; i < obj->u.obj.n; i++)
    {
      const ocigate_json_member_t *m = &obj->u.obj.m[i];
      cleanup_free char *full = *where ? xasprintf ("%s.%s", where, m->key) : xstrdup (m->key);
      /* Keys are matched by their dotted path; a key that is itself dotted
       * ("capabilities.allowed" at the top) would be a second, undocumented
       * spelling of a nested one. */
      if (strchr (m->key, '.'))
        return at (L, m->val, full, err, "unknown key");
      int r = fn (L, full, m->val, ctx, err);
      if (r < 0)
        return -1;
      if (r > 0)
        return at (L, m->val, full, err, "unknown key");
    }
  return 0;
}

static int
parse_rules (struct loader *L, const ocigate_json_t *obj, int8_t *actions, const char *where,
             ocigate_error_t *err)
{
  if (want (L, obj, OJ_OBJECT, where, err) < 0)
    return -1;
  for (size_t i = 0; i < obj->u.obj.n; i++)
    {
      const ocigate_json_member_t *m = &obj->u.obj.m[i];
      cleanup_free char *full = xasprintf ("%s.%s", where, m->key);
      int id = ocigate_rule_lookup (m->key);
      if (id < 0)
        return at (L, m->val, full, err, "unknown rule");
      if (m->val->type != OJ_STRING)
        return at (L, m->val, full, err, "expected reject|rewrite|warn|off, got %s",
                   oj_type_name (m->val->type));
      int a = ocigate_action_parse (oj_str (m->val));
      if (a < 0)
        return at (L, m->val, full, err, "expected reject|rewrite|warn|off, got \"%s\"",
                   oj_str (m->val));
      if (a == OCIGATE_ACTION_REWRITE && !ocigate_rule_can_rewrite ((ocigate_rule_id_t)id))
        return at (L, m->val, full, err, "rule %s cannot rewrite; use reject, warn or off", m->key);
      actions[id] = (int8_t)a;
    }
  return 0;
}

#define KEY(k) (strcmp (key, k) == 0)

/* Syscalls seccomp.allow can never give back: each opens a way out of the
 * container or into host-wide kernel state (mounts and namespaces, the
 * root, keyrings, BPF, kernel code, handles past the mount tree, host
 * devices and power), whatever the workload. */
static const char *const seccomp_core[] = {
  "mount",
  "umount",
  "umount2",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "move_mount",
  "open_tree",
  "mount_setattr",
  "unshare",
  "setns",
  "clone",
  "clone3",
  "pivot_root",
  "chroot",
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "open_by_handle_at",
  "name_to_handle_at",
  "reboot",
  "swapon",
  "swapoff",
  "acct",
  "quotactl",
  "quotactl_fd",
  "iopl",
  "ioperm",
};

static int
get_seccomp_allow (struct loader *L, const ocigate_json_t *v, const char *key,
                   ocigate_strlist_t *dst, ocigate_error_t *err)
{
  if (get_list (L, v, key, dst, err) < 0)
    return -1;
  for (size_t i = 0; i < dst->n; i++)
    {
      const char *n = dst->v[i];
      if (n[0] == '\0' || strspn (n, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen (n))
        return at (L, v, key, err, "\"%s\" is not a syscall name", n);
      for (size_t k = 0; k < ARRAY_SIZE (seccomp_core); k++)
        if (strcmp (n, seccomp_core[k]) == 0)
          return at (L, v, key, err, "\"%s\" can never be allowed: it reaches past the container",
                     n);
    }
  return 0;
}

static int
exemption_seccomp_key (struct loader *L, const char *key, const ocigate_json_t *v, void *ctx,
                       ocigate_error_t *err)
{
  ocigate_exemption_t *x = ctx;
  if (strcmp (strrchr (key, '.') + 1, "allow") == 0)
    return get_seccomp_allow (L, v, key, &x->seccomp_allow, err);
  return 1;
}

static int
exemption_key (struct loader *L, const char *key, const ocigate_json_t *v, void *ctx,
               ocigate_error_t *err)
{
  ocigate_exemption_t *x = ctx;
  const char *k = strrchr (key, '.') + 1;
  if (strcmp (k, "namespaces") == 0)
    return get_list (L, v, key, &x->namespaces, err);
  if (strcmp (k, "images") == 0)
    return get_list (L, v, key, &x->images, err);
  if (strcmp (k, "container_types") == 0)
    return get_list (L, v, key, &x->container_types, err);
  if (strcmp (k, "preset") == 0)
    {
      if (want (L, v, OJ_STRING, key, err) < 0)
        return -1;
      x->preset = ocigate_preset_parse (oj_str (v));
      if (x->preset < 0)
        return at (L, v, key, err, "expected restricted|baseline|privileged");
      return 0;
    }
  if (strcmp (k, "rules") == 0)
    return parse_rules (L, v, x->actions, key, err);
  /* "seccomp": { "allow": [...] }, as at the top */
  if (strcmp (k, "seccomp") == 0)
    return walk (L, v, key, exemption_seccomp_key, x, err);
  return 1;
}

static int
top_key (struct loader *L, const char *key, const ocigate_json_t *v, void *ctx,
         ocigate_error_t *err)
{
  ocigate_policy_t *p = L->pol;
  int64_t n;
  (void)ctx;

  /* What `policy show` printed the policy from: it loads back. */
  if (KEY ("source"))
    return want (L, v, OJ_STRING, key, err);
  if (KEY ("preset"))
    {
      if (want (L, v, OJ_STRING, key, err) < 0)
        return -1;
      int r = ocigate_preset_parse (oj_str (v));
      if (r < 0)
        return at (L, v, key, err, "expected restricted|baseline|privileged, got \"%s\"",
                   oj_str (v));
      p->preset = (ocigate_preset_t)r;
      return 0;
    }
  if (KEY ("mode"))
    {
      if (want (L, v, OJ_STRING, key, err) < 0)
        return -1;
      for (int i = 0; i < (int)ARRAY_SIZE (mode_names); i++)
        if (strcmp (oj_str (v), mode_names[i]) == 0)
          {
            p->mode = (ocigate_mode_t)i;
            return 0;
          }
      return at (L, v, key, err, "expected enforce|warn|audit, got \"%s\"", oj_str (v));
    }
  if (KEY ("runtime"))
    {
      if (get_string (L, v, key, &p->runtime, err) < 0)
        return -1;
      if (p->runtime[0] != '/')
        return at (L, v, key, err, "must be an absolute path");
      return 0;
    }
  if (KEY ("rules"))
    return parse_rules (L, v, p->actions, key, err);
  if (KEY ("capabilities") || KEY ("user") || KEY ("mounts") || KEY ("hooks") || KEY ("sysctls")
      || KEY ("seccomp") || KEY ("apparmor") || KEY ("selinux") || KEY ("images")
      || KEY ("readonly_rootfs") || KEY ("audit") || KEY ("limits") || KEY ("devices")
      || KEY ("metrics"))
    return walk (L, v, key, top_key, NULL, err);
  if (KEY ("capabilities.allowed"))
    {
      if (get_list (L, v, key, &p->caps_allowed, err) < 0)
        return -1;
      for (size_t i = 0; i < p->caps_allowed.n; i++)
        if (ocigate_cap_from_name (p->caps_allowed.v[i]) < 0)
          return at (L, v, key, err, "unknown capability \"%s\"", p->caps_allowed.v[i]);
      p->caps_allowed_set = true;
      return 0;
    }
  if (KEY ("user.rewrite_uid") || KEY ("user.rewrite_gid"))
    {
      if (get_uint (L, v, key, 0xfffffffe, &n, err) < 0)
        return -1;
      if (n == 0)
        return at (L, v, key, err, "rewriting to 0 would make the process root");
      *(KEY ("user.rewrite_uid") ? &p->rewrite_uid : &p->rewrite_gid) = (uint32_t)n;
      return 0;
    }
  if (KEY ("mounts.allowed_types"))
    return get_list (L, v, key, &p->mounts_allowed_types, err);
  if (KEY ("mounts.deny") || KEY ("mounts.allow"))
    {
      ocigate_strlist_t *l = KEY ("mounts.deny") ? &p->mounts_deny : &p->mounts_allow;
      if (get_list (L, v, key, l, err) < 0)
        return -1;
      for (size_t i = 0; i < l->n; i++)
        {
          if (l->v[i][0] != '/')
            return at (L, v, key, err, "\"%s\" is not an absolute path", l->v[i]);
          char *norm = ocigate_host_path (l->v[i], false);
          free (l->v[i]);
          l->v[i] = norm;
        }
      return 0;
    }
  if (KEY ("hooks.allowed"))
    return get_list (L, v, key, &p->hooks_allowed, err);
  if (KEY ("sysctls.allowed"))
    return get_list (L, v, key, &p->sysctls_allowed, err);
  if (KEY ("devices.allowed"))
    return get_list (L, v, key, &p->devices_allowed, err);
  /* null is the default, as `policy show` prints it. */
  if ((KEY ("seccomp.profile") || KEY ("selinux.type")) && v->type == OJ_NULL)
    {
      char **dst = KEY ("seccomp.profile") ? &p->seccomp_profile_path : &p->selinux_type;
      free (*dst);
      *dst = NULL;
      return 0;
    }
  if (KEY ("seccomp.profile"))
    return get_string (L, v, key, &p->seccomp_profile_path, err);
  if (KEY ("seccomp.dangerous"))
    return get_list (L, v, key, &p->seccomp_dangerous, err);
  if (KEY ("seccomp.allow"))
    return get_seccomp_allow (L, v, key, &p->seccomp_allow, err);
  if (KEY ("apparmor.profile"))
    return get_string (L, v, key, &p->apparmor_profile, err);
  if (KEY ("apparmor.require"))
    return get_bool (L, v, key, &p->apparmor_require, err);
  if (KEY ("apparmor.allowed"))
    return get_list (L, v, key, &p->apparmor_allowed, err);
  if (KEY ("selinux.allowed"))
    return get_list (L, v, key, &p->selinux_allowed, err);
  if (KEY ("selinux.type"))
    return get_string (L, v, key, &p->selinux_type, err);
  if (KEY ("images.allowed"))
    return get_list (L, v, key, &p->images_allowed, err);
  if (KEY ("readonly_rootfs.tmpfs"))
    {
      if (get_list (L, v, key, &p->readonly_tmpfs, err) < 0)
        return -1;
      for (size_t i = 0; i < p->readonly_tmpfs.n; i++)
        {
          const char *t = p->readonly_tmpfs.v[i];
          cleanup_free char *norm = ocigate_path_normalize (t);
          if (t[0] != '/')
            return at (L, v, key, err, "\"%s\" is not an absolute path", t);
          /* A tmpfs over the root or a kernel filesystem is not scratch
           * space: it hides the image or kernel state. */
          if (strcmp (norm, "/") == 0 || ocigate_path_has_prefix (norm, "/proc")
              || ocigate_path_has_prefix (norm, "/sys") || ocigate_path_has_prefix (norm, "/dev"))
            return at (L, v, key, err, "\"%s\" is not scratch space", t);
        }
      return 0;
    }
  if (KEY ("readonly_rootfs.tmpfs_size"))
    {
      if (get_string (L, v, key, &p->readonly_tmpfs_size, err) < 0)
        return -1;
      /* tmpfs's own syntax: a number with an optional k, m, g or % */
      const char *s = p->readonly_tmpfs_size;
      size_t d = strspn (s, "0123456789");
      if (d == 0 || d > 12 || (s[d] && (strchr ("kKmMgG%", s[d]) == NULL || s[d + 1])))
        return at (L, v, key, err, "\"%s\" is not a tmpfs size (e.g. \"64m\", \"10%%\", \"0\")", s);
      return 0;
    }
  if (KEY ("readonly_rootfs.home"))
    return get_bool (L, v, key, &p->readonly_home, err);
  if (KEY ("audit.path"))
    return get_string (L, v, key, &p->audit_path, err);
  if (KEY ("audit.syslog"))
    return get_bool (L, v, key, &p->audit_syslog, err);
  if (KEY ("audit.max_bytes"))
    {
      if (get_uint (L, v, key, INT64_C (1) << 40, &n, err) < 0)
        return -1;
      if (n != 0 && n < 4096)
        return at (L, v, key, err, "must be 0 (no rotation) or at least 4096");
      p->audit_max_bytes = (uint64_t)n;
      return 0;
    }
  if (KEY ("audit.keep"))
    {
      if (get_uint (L, v, key, 100, &n, err) < 0)
        return -1;
      p->audit_keep = (unsigned)n;
      return 0;
    }
  if (KEY ("metrics.path"))
    {
      if (get_string (L, v, key, &p->metrics_path, err) < 0)
        return -1;
      if (p->metrics_path[0] != '\0' && p->metrics_path[0] != '/')
        return at (L, v, key, err, "must be an absolute path (or \"\" for none)");
      return 0;
    }
  if (KEY ("limits.max_config_bytes"))
    {
      if (get_uint (L, v, key, 1 << 30, &n, err) < 0)
        return -1;
      p->max_config_bytes = (size_t)n;
      return 0;
    }
  if (KEY ("limits.max_depth"))
    {
      if (get_uint (L, v, key, 1024, &n, err) < 0)
        return -1;
      if (n < 8)
        return at (L, v, key, err, "must be at least 8");
      p->max_depth = (size_t)n;
      return 0;
    }
  if (KEY ("limits.pids"))
    {
      /* 0: resource-limits leaves pids alone */
      if (get_uint (L, v, key, 4194304, &n, err) < 0)
        return -1;
      p->limits_pids = n;
      return 0;
    }
  if (KEY ("exemptions"))
    {
      if (want (L, v, OJ_ARRAY, key, err) < 0)
        return -1;
      p->exemptions = xzalloc ((oj_len (v) + 1) * sizeof (*p->exemptions));
      for (size_t i = 0; i < oj_len (v); i++)
        {
          ocigate_exemption_t *x = &p->exemptions[p->n_exemptions++];
          x->preset = -1;
          memset (x->actions, OCIGATE_ACTION_DEFAULT, sizeof (x->actions));
          cleanup_free char *where = xasprintf ("exemptions[%zu]", i);
          if (walk (L, oj_at (v, i), where, exemption_key, x, err) < 0)
            return -1;
          if (x->namespaces.n + x->images.n + x->container_types.n == 0)
            return at (L, oj_at (v, i), where, err,
                       "an exemption must match on namespaces, images or container_types");
        }
      return 0;
    }
  return 1;
}

/* Runtime mode (the lazy loader) reads only trusted files: whoever could
 * write the policy or a profile it names would decide what runs as root.
 * The standalone verbs read what they are given (CI runs them as any user). */
static int
read_input (const char *path, size_t max, bool trusted, char **buf, size_t *len,
            ocigate_error_t *err)
{
  if (!trusted)
    return ocigate_read_file (path, max, buf, len, err);
  if (ocigate_read_trusted (path, max, buf, len, err) < 0)
    return ocigate_error_prefix (err, "`%s` is not trusted in runtime mode", path);
  return 0;
}

static int
load_seccomp (ocigate_policy_t *p, bool lazy, ocigate_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  /* A profile file is read now, so a bad one fails at load; the embedded
   * one is known good and can wait for ocigate_seccomp_default(). */
  if (lazy && p->seccomp_profile_path == NULL)
    return 0;
  const char *name = p->seccomp_profile_path ? p->seccomp_profile_path : "embedded seccomp profile";
  if (p->seccomp_profile_path)
    {
      if (read_input (p->seccomp_profile_path, p->max_config_bytes, lazy, &buf, &len, err) < 0)
        return -1;
    }
  ocigate_json_parse_opts_t o = { .name = name, .max_depth = p->max_depth };
  const char *src = buf ? buf : ocigate_injected_seccomp_json;
  p->seccomp_profile = ocigate_json_parse (src, strlen (src), &o, err);
  if (p->seccomp_profile == NULL)
    return -1;
  const ocigate_json_t *r = ocigate_doc_root (p->seccomp_profile);
  if (r->type != OJ_OBJECT || oj_str (oj_get (r, "defaultAction")) == NULL)
    return ocigate_make_error (err, 0, "`%s`: not an OCI seccomp object (no defaultAction)", name);
  return 0;
}

static ocigate_policy_t *
policy_parse (const char *buf, size_t len, const char *name, bool lazy, ocigate_error_t *err)
{
  ocigate_policy_t *p = ocigate_policy_default ();
  ocigate_json_parse_opts_t o = { .name = name, .max_depth = 32, .allow_comments = true };
  cleanup_doc ocigate_doc_t *doc = ocigate_json_parse (buf, len, &o, err);
  struct loader L = { doc, name, p };
  p->source = xstrdup (name);
  if (doc == NULL || walk (&L, ocigate_doc_root (doc), "", top_key, NULL, err) < 0
      || load_seccomp (p, lazy, err) < 0)
    {
      ocigate_policy_free (p);
      return NULL;
    }
  return p;
}

ocigate_policy_t *
ocigate_policy_parse (const char *buf, size_t len, const char *name, ocigate_error_t *err)
{
  return policy_parse (buf, len, name, false, err);
}

static ocigate_policy_t *
policy_load (const char *path, bool lazy, ocigate_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (path == NULL)
    {
      ocigate_policy_t *p = ocigate_policy_default ();
      if (load_seccomp (p, lazy, err) < 0)
        {
          ocigate_policy_free (p);
          return NULL;
        }
      return p;
    }
  if (read_input (path, 1 << 20, lazy, &buf, &len, err) < 0)
    return NULL;
  return policy_parse (buf, len, path, lazy, err);
}

ocigate_policy_t *
ocigate_policy_load (const char *path, ocigate_error_t *err)
{
  return policy_load (path, false, err);
}

ocigate_policy_t *
ocigate_policy_load_lazy (const char *path, ocigate_error_t *err)
{
  return policy_load (path, true, err);
}

/* ---- show ---- */

#define G_STR(g, s) yajl_gen_string (g, (const unsigned char *)(s), strlen (s))

static void
gen_list (yajl_gen g, const char *key, const ocigate_strlist_t *l)
{
  G_STR (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < l->n; i++)
    G_STR (g, l->v[i]);
  yajl_gen_array_close (g);
}

static void
gen_actions (yajl_gen g, const int8_t *actions, ocigate_preset_t preset, bool fill)
{
  yajl_gen_map_open (g);
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      int a = actions[r];
      if (a == OCIGATE_ACTION_DEFAULT)
        {
          if (!fill)
            continue;
          a = ocigate_rule_info (r)->defaults[preset];
        }
      G_STR (g, ocigate_rule_info (r)->id);
      G_STR (g, action_names[a]);
    }
  yajl_gen_map_close (g);
}

int
ocigate_policy_show (const ocigate_policy_t *p, char **ret, size_t *ret_len, ocigate_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *out;
  size_t len;
  char buf[64];
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  yajl_gen_map_open (g);
  G_STR (g, "source");
  G_STR (g, p->source ? p->source : "embedded default");
  G_STR (g, "preset");
  G_STR (g, preset_names[p->preset]);
  G_STR (g, "mode");
  G_STR (g, mode_names[p->mode]);
  G_STR (g, "runtime");
  G_STR (g, p->runtime);
  G_STR (g, "rules");
  gen_actions (g, p->actions, p->preset, true);
  G_STR (g, "capabilities");
  yajl_gen_map_open (g);
  G_STR (g, "allowed");
  yajl_gen_array_open (g);
  uint64_t mask = ocigate_caps_preset (p->preset);
  if (p->caps_allowed_set)
    ocigate_caps_mask (&p->caps_allowed, &mask, NULL);
  /* Only names libcap knows: a number would not load again. */
  for (int c = 0; c < 64 && c < ocigate_cap_kernel_count (); c++)
    if ((mask & (UINT64_C (1) << c)) && ocigate_cap_name (c, buf) != buf)
      G_STR (g, ocigate_cap_name (c, buf));
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  G_STR (g, "user");
  yajl_gen_map_open (g);
  G_STR (g, "rewrite_uid");
  yajl_gen_integer (g, p->rewrite_uid);
  G_STR (g, "rewrite_gid");
  yajl_gen_integer (g, p->rewrite_gid);
  yajl_gen_map_close (g);
  G_STR (g, "mounts");
  yajl_gen_map_open (g);
  gen_list (g, "deny", &p->mounts_deny);
  gen_list (g, "allow", &p->mounts_allow);
  gen_list (g, "allowed_types", &p->mounts_allowed_types);
  yajl_gen_map_close (g);
  G_STR (g, "hooks");
  yajl_gen_map_open (g);
  gen_list (g, "allowed", &p->hooks_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "sysctls");
  yajl_gen_map_open (g);
  gen_list (g, "allowed", &p->sysctls_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "devices");
  yajl_gen_map_open (g);
  gen_list (g, "allowed", &p->devices_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "seccomp");
  yajl_gen_map_open (g);
  G_STR (g, "profile");
  if (p->seccomp_profile_path)
    G_STR (g, p->seccomp_profile_path);
  else
    yajl_gen_null (g); /* embedded */
  gen_list (g, "dangerous", &p->seccomp_dangerous);
  gen_list (g, "allow", &p->seccomp_allow);
  yajl_gen_map_close (g);
  G_STR (g, "apparmor");
  yajl_gen_map_open (g);
  G_STR (g, "profile");
  G_STR (g, p->apparmor_profile);
  G_STR (g, "require");
  yajl_gen_bool (g, p->apparmor_require);
  gen_list (g, "allowed", &p->apparmor_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "selinux");
  yajl_gen_map_open (g);
  G_STR (g, "type");
  if (p->selinux_type)
    G_STR (g, p->selinux_type);
  else
    yajl_gen_null (g);
  gen_list (g, "allowed", &p->selinux_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "images");
  yajl_gen_map_open (g);
  gen_list (g, "allowed", &p->images_allowed);
  yajl_gen_map_close (g);
  G_STR (g, "readonly_rootfs");
  yajl_gen_map_open (g);
  gen_list (g, "tmpfs", &p->readonly_tmpfs);
  G_STR (g, "tmpfs_size");
  G_STR (g, p->readonly_tmpfs_size);
  G_STR (g, "home");
  yajl_gen_bool (g, p->readonly_home);
  yajl_gen_map_close (g);
  G_STR (g, "exemptions");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < p->n_exemptions; i++)
    {
      const ocigate_exemption_t *x = &p->exemptions[i];
      yajl_gen_map_open (g);
      gen_list (g, "namespaces", &x->namespaces);
      gen_list (g, "images", &x->images);
      gen_list (g, "container_types", &x->container_types);
      if (x->seccomp_allow.n)
        {
          G_STR (g, "seccomp");
          yajl_gen_map_open (g);
          gen_list (g, "allow", &x->seccomp_allow);
          yajl_gen_map_close (g);
        }
      if (x->preset >= 0)
        {
          G_STR (g, "preset");
          G_STR (g, preset_names[x->preset]);
        }
      G_STR (g, "rules");
      gen_actions (g, x->actions, p->preset, false);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  G_STR (g, "audit");
  yajl_gen_map_open (g);
  G_STR (g, "path");
  G_STR (g, p->audit_path);
  G_STR (g, "syslog");
  yajl_gen_bool (g, p->audit_syslog);
  G_STR (g, "max_bytes");
  yajl_gen_integer (g, (long long)p->audit_max_bytes);
  G_STR (g, "keep");
  yajl_gen_integer (g, (long long)p->audit_keep);
  yajl_gen_map_close (g);
  G_STR (g, "metrics");
  yajl_gen_map_open (g);
  G_STR (g, "path");
  G_STR (g, p->metrics_path ? p->metrics_path : "");
  yajl_gen_map_close (g);
  G_STR (g, "limits");
  yajl_gen_map_open (g);
  G_STR (g, "max_config_bytes");
  yajl_gen_integer (g, (long long)p->max_config_bytes);
  G_STR (g, "max_depth");
  yajl_gen_integer (g, (long long)p->max_depth);
  G_STR (g, "pids");
  yajl_gen_integer (g, (long long)p->limits_pids);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &out, &len) != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return ocigate_make_error (err, 0, "cannot serialise the policy (invalid UTF-8?)");
    }
  *ret = xstrndup ((const char *)out, len);
  *ret_len = len;
  yajl_gen_free (g);
  return 0;
}
