/* SPDX-License-Identifier: Apache-2.0 */
/* The decision engine: strict config parsing, the rule table, evaluation
 * (pure) and the application of rewrites.  Runtime mode, validate and
 * rewrite all come through here. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "spec-internal.h"

/* What each rule runs (the catalogue itself is in rules-table.c). */
const struct rule_def ocigate_rules[OCIGATE_RULE_COUNT] = {
  [R_ROOT_USER] = { check_root_user, fix_root_user, true },
  [R_ROOT_GROUP] = { check_root_group, fix_root_group, true },
  [R_PRIVILEGED] = { check_privileged, NULL, false },
  [R_HOST_NAMESPACES] = { check_host_namespaces, NULL, false },
  [R_HOST_MOUNTS] = { check_host_mounts, fix_host_mounts, false },
  [R_KERNEL_MOUNTS] = { check_kernel_mounts, NULL, false },
  [R_DEVICES] = { check_devices, NULL, false },
  [R_HOOKS] = { check_hooks, fix_hooks, false },
  [R_SYSCTLS] = { check_sysctls, fix_sysctls, false },
  [R_CAPABILITIES] = { check_capabilities, fix_capabilities, true },
  [R_NO_NEW_PRIVILEGES] = { check_no_new_privileges, fix_no_new_privileges, true },
  [R_READONLY_ROOTFS] = { check_readonly_rootfs, fix_readonly_rootfs, false },
  [R_SECCOMP] = { check_seccomp, fix_seccomp, false },
  [R_APPARMOR] = { check_apparmor, fix_apparmor, true },
  [R_SELINUX] = { check_selinux, fix_selinux, true },
  [R_MASKED_PATHS] = { check_masked_paths, fix_masked_paths, false },
  [R_USERNS_HOST_ROOT] = { check_userns_host_root, NULL, false },
  [R_PROC_FD_CWD] = { check_proc_fd_cwd, NULL, true },
  [R_IMAGE_REGISTRY] = { check_image_registry, NULL, false },
  [R_ROOT_PATH] = { check_root_path, NULL, false },
  [R_NET_DEVICES] = { check_net_devices, NULL, false },
  [R_MOUNT_PROPAGATION] = { check_mount_propagation, NULL, false },
  [R_RUNTIME_ANNOTATIONS] = { check_runtime_annotations, fix_runtime_annotations, false },
  [R_PROCESS_LIMITS] = { check_process_limits, NULL, true },
  [R_CGROUPS_PATH] = { check_cgroups_path, NULL, false },
  [R_RESOURCE_LIMITS] = { check_resource_limits, fix_resource_limits, false },
};

char *
ptrf (const char *fmt, ...)
{
  va_list ap;
  char *r;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

static void vfinding (struct eval *e, ocigate_action_t action, const char *pointer, const char *fmt,
                      va_list ap) __attribute__ ((format (printf, 4, 0)));

static void
vfinding (struct eval *e, ocigate_action_t action, const char *pointer, const char *fmt, va_list ap)
{
  ocigate_result_t *r = e->res;
  if (action == OCIGATE_ACTION_OFF)
    return;
  if (r->n == r->cap)
    {
      r->cap = r->cap ? r->cap * 2 : 8;
      r->f = xrealloc (r->f, r->cap * sizeof (*r->f));
    }
  ocigate_finding_t *f = &r->f[r->n++];
  f->rule = e->rule;
  f->action = action;
  f->pointer = xstrdup (pointer);
  f->fix = NULL;
  if (vasprintf (&f->message, fmt, ap) < 0)
    abort ();
  if (action == OCIGATE_ACTION_REJECT && r->mode == OCIGATE_MODE_ENFORCE)
    r->reject = true;
}

void
finding (struct eval *e, const char *pointer, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vfinding (e, e->actions[e->rule], pointer, fmt, ap);
  va_end (ap);
}

void
finding_fix (struct eval *e, const char *fix, const char *pointer, const char *fmt, ...)
{
  va_list ap;
  size_t n = e->res->n;
  va_start (ap, fmt);
  vfinding (e, e->actions[e->rule], pointer, fmt, ap);
  va_end (ap);
  finding_hint (e, n, fix);
}

void
finding_hint (struct eval *e, size_t mark, const char *fix)
{
  for (size_t i = mark; i < e->res->n; i++)
    e->res->f[i].fix = fix;
}

const char *
ocigate_finding_fix (const ocigate_finding_t *f)
{
  return f->fix ? f->fix : ocigate_rule_info (f->rule)->fix;
}

void
finding_action (struct eval *e, ocigate_action_t action, const char *pointer, const char *fmt, ...)
{
  va_list ap;
  /* A rule the operator turned off stays off, and one set to warn (the
   * privileged preset, an override) only warns: escalation replaces a
   * rewrite that cannot fix the field, never the operator's choice. */
  if (e->actions[e->rule] == OCIGATE_ACTION_OFF)
    return;
  if (e->actions[e->rule] == OCIGATE_ACTION_WARN)
    action = OCIGATE_ACTION_WARN;
  va_start (ap, fmt);
  vfinding (e, action, pointer, fmt, ap);
  va_end (ap);
}

void
ocigate_result_free (ocigate_result_t *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      free (r->f[i].pointer);
      free (r->f[i].message);
    }
  free (r->f);
  free (r->note);
  memset (r, 0, sizeof (*r));
}

/* ---- strict parsing: the fields decisions rest on ---- */

enum field_type
{
  T_OBJ,
  T_ARR,
  T_STR,
  T_BOOL,
  T_U32,
  T_I64,
  T_U64,
  T_INT, /* int32 */
};

struct field
{
  const char *path; /* '/'-separated; '*' matches every array element or member */
  enum field_type type;
  bool required; /* when the parent exists */
};

/* Process fields, relative to a process object. */
static const struct field process_fields[] = {
  { "user", T_OBJ, false },
  { "user/uid", T_U32, true },
  { "user/gid", T_U32, true },
  { "user/additionalGids", T_ARR, false },
  { "user/additionalGids/*", T_U32, false },
  { "cwd", T_STR, false },
  { "args", T_ARR, false },
  { "args/*", T_STR, false },
  { "env", T_ARR, false },
  { "env/*", T_STR, false },
  { "terminal", T_BOOL, false },
  { "capabilities", T_OBJ, false },
  { "capabilities/bounding", T_ARR, false },
  { "capabilities/bounding/*", T_STR, false },
  { "capabilities/effective", T_ARR, false },
  { "capabilities/effective/*", T_STR, false },
  { "capabilities/inheritable", T_ARR, false },
  { "capabilities/inheritable/*", T_STR, false },
  { "capabilities/permitted", T_ARR, false },
  { "capabilities/permitted/*", T_STR, false },
  { "capabilities/ambient", T_ARR, false },
  { "capabilities/ambient/*", T_STR, false },
  { "noNewPrivileges", T_BOOL, false },
  { "apparmorProfile", T_STR, false },
  { "selinuxLabel", T_STR, false },
  { "oomScoreAdj", T_INT, false },
  { "scheduler", T_OBJ, false },
  { "scheduler/policy", T_STR, true },
  { "ioPriority", T_OBJ, false },
  { "ioPriority/class", T_STR, true },
  { "rlimits", T_ARR, false },
  { "rlimits/*", T_OBJ, false },
};

static const struct field config_fields[] = {
  { "ociVersion", T_STR, true },
  { "process", T_OBJ, false },
  { "root", T_OBJ, false },
  { "root/path", T_STR, true },
  { "root/readonly", T_BOOL, false },
  { "hostname", T_STR, false },
  { "mounts", T_ARR, false },
  { "mounts/*", T_OBJ, false },
  { "mounts/*/destination", T_STR, true },
  { "mounts/*/type", T_STR, false },
  { "mounts/*/source", T_STR, false },
  { "mounts/*/options", T_ARR, false },
  { "mounts/*/options/*", T_STR, false },
  { "hooks", T_OBJ, false },
  { "hooks/*", T_ARR, false },
  { "hooks/*/*", T_OBJ, false },
  { "hooks/*/*/path", T_STR, true },
  { "annotations", T_OBJ, false },
  { "annotations/*", T_STR, false },
  { "linux", T_OBJ, false },
  { "linux/namespaces", T_ARR, false },
  { "linux/namespaces/*", T_OBJ, false },
  { "linux/namespaces/*/type", T_STR, true },
  { "linux/namespaces/*/path", T_STR, false },
  { "linux/uidMappings", T_ARR, false },
  { "linux/uidMappings/*", T_OBJ, false },
  { "linux/uidMappings/*/containerID", T_U32, true },
  { "linux/uidMappings/*/hostID", T_U32, true },
  { "linux/uidMappings/*/size", T_U32, true },
  { "linux/gidMappings", T_ARR, false },
  { "linux/gidMappings/*", T_OBJ, false },
  { "linux/gidMappings/*/containerID", T_U32, true },
  { "linux/gidMappings/*/hostID", T_U32, true },
  { "linux/gidMappings/*/size", T_U32, true },
  { "linux/devices", T_ARR, false },
  { "linux/devices/*", T_OBJ, false },
  { "linux/devices/*/path", T_STR, false },
  { "linux/resources", T_OBJ, false },
  { "linux/resources/devices", T_ARR, false },
  { "linux/resources/devices/*", T_OBJ, false },
  { "linux/resources/devices/*/allow", T_BOOL, true },
  { "linux/resources/devices/*/type", T_STR, false },
  { "linux/resources/devices/*/major", T_I64, false },
  { "linux/resources/devices/*/minor", T_I64, false },
  { "linux/resources/devices/*/access", T_STR, false },
  { "linux/resources/pids", T_OBJ, false },
  { "linux/resources/pids/limit", T_I64, false },
  { "linux/resources/memory", T_OBJ, false },
  { "linux/resources/memory/limit", T_I64, false },
  { "linux/sysctl", T_OBJ, false },
  { "linux/sysctl/*", T_STR, false },
  { "linux/seccomp", T_OBJ, false },
  { "linux/seccomp/defaultAction", T_STR, true },
  { "linux/seccomp/defaultErrnoRet", T_U32, false },
  { "linux/seccomp/architectures", T_ARR, false },
  { "linux/seccomp/architectures/*", T_STR, false },
  { "linux/seccomp/flags", T_ARR, false },
  { "linux/seccomp/flags/*", T_STR, false },
  { "linux/seccomp/listenerPath", T_STR, false },
  { "linux/seccomp/syscalls", T_ARR, false },
  { "linux/seccomp/syscalls/*", T_OBJ, false },
  { "linux/seccomp/syscalls/*/names", T_ARR, true },
  { "linux/seccomp/syscalls/*/names/*", T_STR, false },
  { "linux/seccomp/syscalls/*/action", T_STR, true },
  { "linux/seccomp/syscalls/*/errnoRet", T_U32, false },
  { "linux/seccomp/syscalls/*/args", T_ARR, false },
  { "linux/seccomp/syscalls/*/args/*", T_OBJ, false },
  { "linux/seccomp/syscalls/*/args/*/index", T_U32, true },
  { "linux/seccomp/syscalls/*/args/*/value", T_U64, true },
  { "linux/seccomp/syscalls/*/args/*/valueTwo", T_U64, false },
  { "linux/seccomp/syscalls/*/args/*/op", T_STR, true },
  { "linux/maskedPaths", T_ARR, false },
  { "linux/maskedPaths/*", T_STR, false },
  { "linux/readonlyPaths", T_ARR, false },
  { "linux/readonlyPaths/*", T_STR, false },
  { "linux/rootfsPropagation", T_STR, false },
  { "linux/mountLabel", T_STR, false },
  { "linux/netDevices", T_OBJ, false },
};

static bool
type_ok (const ocigate_json_t *n, enum field_type t, const char **want)
{
  int64_t v;
  switch (t)
    {
    case T_OBJ:
      *want = "an object";
      return n->type == OJ_OBJECT;
    case T_ARR:
      *want = "an array";
      return n->type == OJ_ARRAY;
    case T_STR:
      *want = "a string";
      return n->type == OJ_STRING;
    case T_BOOL:
      *want = "a boolean";
      return n->type == OJ_TRUE || n->type == OJ_FALSE;
    case T_U32:
      *want = "an integer from 0 to 4294967295";
      return oj_int (n, &v) && v >= 0 && v <= 0xffffffffLL;
    case T_INT:
      *want = "a 32-bit integer";
      return oj_int (n, &v) && v >= INT32_MIN && v <= INT32_MAX;
    case T_I64:
      *want = "an integer";
      return oj_int (n, &v);
    case T_U64:
      {
        *want = "an integer from 0 to 18446744073709551615";
        if (n->type != OJ_NUMBER || n->u.str.len == 0 || n->u.str.len > 20)
          return false;
        for (size_t i = 0; i < n->u.str.len; i++)
          if (n->u.str.s[i] < '0' || n->u.str.s[i] > '9')
            return false;
        return n->u.str.len < 20 || strcmp (n->u.str.s, "18446744073709551615") <= 0;
      }
    }
  return false;
}

/* The path walked so far, kept as segments so the JSON pointer string is
 * only built for an error message. */
struct seg
{
  const char *key; /* NULL: array index */
  size_t index;
};

static char *
pointer_of (const char *prefix, const struct seg *segs, size_t n)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, prefix);
  for (size_t i = 0; i < n; i++)
    {
      if (segs[i].key)
        ocigate_pointer_append (&b, segs[i].key);
      else
        strbuf_printf (&b, "/%zu", segs[i].index);
    }
  return strbuf_steal (&b);
}

/* The flat tables above compiled once into a tree (the process fields
 * grafted under the config's "process" too).  The walk follows it in
 * step with the spec's object table (spec-internal.h), so one pass over
 * the document types the fields rules read and checks every key of every
 * object the spec defines. */
struct snode
{
  const char *key;       /* "*": every array element or object member */
  const struct field *f; /* type check here, or NULL */
  struct snode *child, *next;
  struct snode *star; /* the "*" child, if any */
};

static void
schema_add (struct snode *root, const char *prefix, const struct field *fields, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      struct snode *cur = root;
      cleanup_free char *path = xasprintf ("%s%s", prefix, fields[i].path);
      const char *p = path;
      while (*p)
        {
          size_t l = strcspn (p, "/");
          struct snode *c = cur->child, *last = NULL;
          for (; c; last = c, c = c->next)
            if (strlen (c->key) == l && strncmp (c->key, p, l) == 0)
              break;
          if (c == NULL)
            {
              c = xzalloc (sizeof (*c));
              c->key = xstrndup (p, l);
              if (last)
                last->next = c;
              else
                cur->child = c;
              if (strcmp (c->key, "*") == 0)
                cur->star = c;
            }
          cur = c;
          p += l + (p[l] == '/');
        }
      cur->f = &fields[i];
    }
}

static struct snode *config_schema, *process_schema;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static void
schema_init (void)
{
  config_schema = xzalloc (sizeof (*config_schema));
  schema_add (config_schema, "", config_fields, ARRAY_SIZE (config_fields));
  schema_add (config_schema, "process/", process_fields, ARRAY_SIZE (process_fields));
  process_schema = xzalloc (sizeof (*process_schema));
  schema_add (process_schema, "", process_fields, ARRAY_SIZE (process_fields));
}

static const struct snode *
snode_child (const struct snode *s, const ocigate_json_member_t *m)
{
  for (const struct snode *c = s->child; c; c = c->next)
    if (c != s->star && strlen (c->key) == m->klen && memcmp (c->key, m->key, m->klen) == 0)
      return c;
  return s->star;
}

/* Where a node stands in the spec: an object of type obj (SPEC_STRUCT), a
 * list of them (SPEC_ARRAY), a map to them (SPEC_MAP); obj -1: nowhere
 * the spec defines. */
struct spec_at
{
  short obj;
  unsigned char kind;
};
static const struct spec_at spec_none = { -1, SPEC_SCALAR };

struct field_walk
{
  ocigate_doc_t *doc;
  const char *name;
  struct seg segs[16];
  size_t depth;
};

static int
walk_error_at (struct field_walk *w, size_t offset, const char *msg, ocigate_error_t *err)
{
  unsigned line, col;
  cleanup_free char *ptr = pointer_of ("", w->segs, w->depth);
  ocigate_doc_position (w->doc, offset, &line, &col);
  return ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s: %s", w->name, line, col, ptr,
                             msg);
}

static int
walk_error (struct field_walk *w, const ocigate_json_t *at, const char *want, ocigate_error_t *err)
{
  unsigned line, col;
  cleanup_free char *ptr = pointer_of ("", w->segs, w->depth);
  ocigate_doc_position (w->doc, at->offset, &line, &col);
  return ocigate_make_error (
      err, 0, "`%s`: line %u, column %u: %s: expected %s, got %s%s%.*s", w->name, line, col, ptr,
      want, oj_type_name (at->type), at->type == OJ_NUMBER ? " " : "",
      at->type == OJ_NUMBER ? (int)at->u.str.len : 0, at->type == OJ_NUMBER ? at->u.str.s : "");
}

static int walk_schema (struct field_walk *w, const struct snode *s, struct spec_at at,
                        const ocigate_json_t *node, ocigate_error_t *err);

static int
walk_members (struct field_walk *w, const struct snode *s, struct spec_at at,
              const ocigate_json_t *node, ocigate_error_t *err)
{
  size_t d = w->depth;
  for (size_t i = 0; i < node->u.obj.n; i++)
    {
      const ocigate_json_member_t *m = &node->u.obj.m[i];
      struct spec_at cat = spec_none;
      if (at.kind == SPEC_STRUCT)
        {
          bool exact;
          const struct ocigate_spec_field *f = ocigate_spec_bind (at.obj, m->key, m->klen, &exact);
          if (f && !exact)
            {
              /* runc would take this key for the field: a reader of the
               * exact name only would judge another value than runc runs
               * (e.g. "User": {"uid": 0} after a vetted "user"). */
              cleanup_free char *msg
                  = xasprintf ("key binds to \"%s\" as runc decodes it; spell it exactly", f->name);
              w->segs[d] = (struct seg){ m->key, 0 };
              w->depth = d + 1;
              return walk_error_at (w, m->koffset, msg, err);
            }
          if (f && f->child >= 0)
            cat = (struct spec_at){ f->child, f->kind };
        }
      else if (at.kind == SPEC_MAP)
        cat = (struct spec_at){ at.obj, SPEC_STRUCT };
      const struct snode *c = s ? snode_child (s, m) : NULL;
      if (c == NULL && cat.obj < 0)
        continue;
      w->segs[d] = (struct seg){ m->key, 0 };
      w->depth = d + 1;
      if (walk_schema (w, c, cat, m->val, err) < 0)
        return -1;
      w->depth = d;
    }
  if (s == NULL)
    return 0;
  for (const struct snode *c = s->child; c; c = c->next)
    if (c->f && c->f->required && c != s->star && oj_get (node, c->key) == NULL)
      {
        w->segs[d] = (struct seg){ c->key, 0 };
        w->depth = d + 1;
        return walk_error_at (w, node->offset, "required field missing", err);
      }
  return 0;
}

static int
walk_schema (struct field_walk *w, const struct snode *s, struct spec_at at,
             const ocigate_json_t *node, ocigate_error_t *err)
{
  const char *want;
  if (s && s->f && !type_ok (node, s->f->type, &want))
    return walk_error (w, node, want, err);
  /* The spec's objects nest a few levels only; the deepest typed field
   * is seven. */
  if (w->depth >= ARRAY_SIZE (w->segs))
    return 0;
  if (at.obj >= 0 && at.kind == SPEC_SCALAR)
    at = spec_none;
  if (node->type == OJ_OBJECT)
    {
      if (at.kind == SPEC_ARRAY)
        at = spec_none;
      if ((s == NULL || s->child == NULL) && at.obj < 0)
        return 0;
      return walk_members (w, s, at, node, err);
    }
  if (node->type == OJ_ARRAY)
    {
      const struct snode *c = s ? s->star : NULL;
      struct spec_at cat
          = at.kind == SPEC_ARRAY ? (struct spec_at){ at.obj, SPEC_STRUCT } : spec_none;
      size_t d = w->depth;
      if (c == NULL && cat.obj < 0)
        return 0;
      for (size_t i = 0; i < node->u.arr.n; i++)
        {
          w->segs[d] = (struct seg){ NULL, i };
          w->depth = d + 1;
          if (walk_schema (w, c, cat, node->u.arr.v[i], err) < 0)
            return -1;
        }
      w->depth = d;
    }
  return 0;
}

static int
check_fields (ocigate_doc_t *doc, const char *name, const ocigate_json_t *node,
              const struct snode *schema, int spec_obj, ocigate_error_t *err)
{
  struct field_walk w = { .doc = doc, .name = name };
  return walk_schema (&w, schema, (struct spec_at){ (short)spec_obj, SPEC_STRUCT }, node, err);
}

static ocigate_doc_t *
parse_object (const char *buf, size_t len, const ocigate_policy_t *pol, const char *name,
              ocigate_error_t *err)
{
  ocigate_json_parse_opts_t o = { .name = name, .max_depth = pol->max_depth };
  if (len > pol->max_config_bytes)
    {
      ocigate_make_error (err, 0, "`%s`: %zu bytes, larger than the limit of %zu", name, len,
                          pol->max_config_bytes);
      return NULL;
    }
  ocigate_doc_t *doc = ocigate_json_parse (buf, len, &o, err);
  if (doc == NULL)
    return NULL;
  if (ocigate_doc_root (doc)->type != OJ_OBJECT)
    {
      ocigate_make_error (err, 0, "`%s`: expected a JSON object at the top level, got %s", name,
                          oj_type_name (ocigate_doc_root (doc)->type));
      ocigate_doc_free (doc);
      return NULL;
    }
  return doc;
}

ocigate_doc_t *
ocigate_config_parse (const char *buf, size_t len, const ocigate_policy_t *pol, const char *name,
                      ocigate_error_t *err)
{
  ocigate_doc_t *doc = parse_object (buf, len, pol, name, err);
  if (doc == NULL)
    return NULL;
  pthread_once (&schema_once, schema_init);
  if (check_fields (doc, name, ocigate_doc_root (doc), config_schema, OCIGATE_SPEC_CONFIG, err) < 0)
    {
      ocigate_doc_free (doc);
      return NULL;
    }
  return doc;
}

ocigate_doc_t *
ocigate_process_parse (const char *buf, size_t len, const ocigate_policy_t *pol, const char *name,
                       ocigate_error_t *err)
{
  ocigate_doc_t *doc = parse_object (buf, len, pol, name, err);
  if (doc == NULL)
    return NULL;
  pthread_once (&schema_once, schema_init);
  if (check_fields (doc, name, ocigate_doc_root (doc), process_schema, OCIGATE_SPEC_PROCESS, err)
      < 0)
    {
      ocigate_doc_free (doc);
      return NULL;
    }
  return doc;
}

/* ---- context: who the container is ---- */

/* The annotation keys the context reads.  One pass over the annotations
 * picks them out, so building the context costs one short comparison per
 * annotation whatever the document holds. */
enum ctx_key
{
  /* containerd's CRI plugin */
  K_CTRD_TYPE,
  K_CTRD_SANDBOX_ID,
  K_CTRD_SANDBOX_UID,
  K_CTRD_NAMESPACE,
  K_CTRD_NAME,
  K_CTRD_CONTAINER,
  K_CTRD_IMAGE,
  K_CTRD_SANDBOX_IMAGE,
  /* CRI-O */
  K_CRIO_TYPE,
  K_CRIO_CONTAINER_ID,
  K_CRIO_SANDBOX_ID,
  K_CRIO_NAMESPACE,
  K_CRIO_KUBE_NAME,
  K_CRIO_LABELS,
  K_CRIO_IMAGE,
  /* the kubelet's CRI labels, which CRI-O writes as annotations last */
  K_POD_NAMESPACE,
  K_POD_NAME,
  K_POD_UID,
  K_CONTAINER_NAME,
  /* which engine made the container: CRI-O "cri-o", podman "libpod" */
  K_MANAGER,
  K_COUNT
};

static const char *const ctx_keys[K_COUNT] = {
  [K_CTRD_TYPE] = "io.kubernetes.cri.container-type",
  [K_CTRD_SANDBOX_ID] = "io.kubernetes.cri.sandbox-id",
  [K_CTRD_SANDBOX_UID] = "io.kubernetes.cri.sandbox-uid",
  [K_CTRD_NAMESPACE] = "io.kubernetes.cri.sandbox-namespace",
  [K_CTRD_NAME] = "io.kubernetes.cri.sandbox-name",
  [K_CTRD_CONTAINER] = "io.kubernetes.cri.container-name",
  [K_CTRD_IMAGE] = "io.kubernetes.cri.image-name",
  [K_CTRD_SANDBOX_IMAGE] = "io.kubernetes.cri.podsandbox.image-name",
  [K_CRIO_TYPE] = "io.kubernetes.cri-o.ContainerType",
  [K_CRIO_CONTAINER_ID] = "io.kubernetes.cri-o.ContainerID",
  [K_CRIO_SANDBOX_ID] = "io.kubernetes.cri-o.SandboxID",
  [K_CRIO_NAMESPACE] = "io.kubernetes.cri-o.Namespace",
  [K_CRIO_KUBE_NAME] = "io.kubernetes.cri-o.KubeName",
  [K_CRIO_LABELS] = "io.kubernetes.cri-o.Labels",
  [K_CRIO_IMAGE] = "io.kubernetes.cri-o.ImageName",
  [K_POD_NAMESPACE] = "io.kubernetes.pod.namespace",
  [K_POD_NAME] = "io.kubernetes.pod.name",
  [K_POD_UID] = "io.kubernetes.pod.uid",
  [K_CONTAINER_NAME] = "io.kubernetes.container.name",
  [K_MANAGER] = "io.container.manager",
};

/* Is key[0..len) one the context reads, or in a family it reads from? */
static int
ctx_key_index (const char *key, size_t len)
{
  for (int k = 0; k < K_COUNT; k++)
    if (strlen (ctx_keys[k]) == len && memcmp (ctx_keys[k], key, len) == 0)
      return k;
  return -1;
}

struct ctx_scan
{
  const char *v[K_COUNT]; /* string values, NULL when absent (or not a string) */
  bool present[K_COUNT];
  bool split_clash; /* a key with '=' that runc's labels read as a context key */
};

/* runc turns every annotation into a "KEY=VALUE" label and splits it at
 * the first '=': `a=b` with value c reads as key `a`, value `b=c` (OCI
 * state given to hooks, CRIU's config, exec's bundle).  A key with '='
 * whose first part is a key the context reads, or any io.kubernetes.* /
 * io.container.* key, makes the identity ambiguous: it is not believed. */
static void
ctx_scan (const ocigate_json_t *ann, struct ctx_scan *s)
{
  memset (s, 0, sizeof (*s));
  for (size_t i = 0; i < oj_len (ann); i++)
    {
      const ocigate_json_member_t *m = &ann->u.obj.m[i];
      if (m->klen < 3 || memcmp (m->key, "io.", 3) != 0)
        continue;
      const char *eq = memchr (m->key, '=', m->klen);
      if (eq)
        {
          size_t l = (size_t)(eq - m->key);
          if (ctx_key_index (m->key, l) >= 0
              || (l >= 14 && memcmp (m->key, "io.kubernetes.", 14) == 0)
              || (l >= 13 && memcmp (m->key, "io.container.", 13) == 0))
            s->split_clash = true;
          continue;
        }
      int k = ctx_key_index (m->key, m->klen);
      if (k < 0)
        continue;
      s->present[k] = true;
      s->v[k] = oj_str (m->val);
    }
}

static bool
str_eq0 (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* runc's container id charset (^[\w+-\.]+$, never "." or ".."): an id
 * that passes cannot add path components to the bundle checks below. */
static bool
runc_id_ok (const char *id)
{
  if (id == NULL || *id == '\0' || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return false;
  return true;
}

/* The bundle directory as runc will see it: physical in runtime mode,
 * trailing slashes dropped.  Caller frees. */
static char *
bundle_path (const ocigate_eval_opts_t *opts)
{
  const char *b = opts->bundle && *opts->bundle ? opts->bundle : ".";
  char *p = opts->host_checks ? realpath (b, NULL) : NULL;
  if (p == NULL)
    p = xstrdup (b);
  for (size_t l = strlen (p); l > 1 && p[l - 1] == '/'; l--)
    p[l - 1] = '\0';
  return p;
}

static bool
str_has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && memcmp (s + a - b, suffix, b) == 0;
}

/* The last component of --root. */
static bool
root_base_is (const char *root, const char *base)
{
  if (root == NULL)
    return false;
  size_t l = strlen (root);
  while (l > 1 && root[l - 1] == '/')
    l--;
  size_t b = strlen (base);
  return l > b && root[l - b - 1] == '/' && memcmp (root + l - b, base, b) == 0;
}

/* containerd's runc shim (io.containerd.runc.v2) runs the runtime as
 *   --root <RuncRoot>/k8s.io ... create --bundle <state>/io.containerd.runtime.v2.task/k8s.io/<id> <id>
 * and the CRI plugin keeps every pod in the namespace k8s.io.  podman and
 * CRI-O bundles are <runroot>/<driver>-containers/<id>/userdata: neither
 * can put a container there. */
static const char *
containerd_call (const ocigate_eval_opts_t *opts, const struct ctx_scan *s, bool sandbox)
{
  const char *id = opts->container_id;
  if (!runc_id_ok (id))
    return "the container id is not one runc accepts";
  if (!root_base_is (opts->runtime_root, "k8s.io"))
    return "containerd's keys, but --root is not containerd's <root>/k8s.io";
  cleanup_free char *b = bundle_path (opts);
  cleanup_free char *want = xasprintf ("/io.containerd.runtime.v2.task/k8s.io/%s", id);
  if (!str_has_suffix (b, want))
    return "containerd's keys, but the bundle is not containerd's task directory for this id";
  if (sandbox != str_eq0 (s->v[K_CTRD_SANDBOX_ID], id))
    return "containerd's keys, but the sandbox id does not match the container id";
  return NULL;
}

/* CRI-O (through conmon) runs the runtime as
 *   --root=<runtime_root> create --bundle <runroot>/<driver>-containers/<id>/userdata ... <id>
 * podman uses the same storage layout, so the layout alone does not tell
 * them apart: CRI-O always passes --root and writes its container id,
 * which a podman user cannot know before podman picks it. */
static const char *
crio_call (const ocigate_eval_opts_t *opts, const struct ctx_scan *s)
{
  const char *id = opts->container_id;
  if (!runc_id_ok (id))
    return "the container id is not one runc accepts";
  if (opts->runtime_root == NULL || *opts->runtime_root == '\0')
    return "CRI-O's keys, but no --root (CRI-O always passes one)";
  if (!str_eq0 (s->v[K_CRIO_CONTAINER_ID], id))
    return "CRI-O's keys, but its container id annotation is not the container id";
  cleanup_free char *b = bundle_path (opts);
  cleanup_free char *want = xasprintf ("/%s/userdata", id);
  if (!str_has_suffix (b, want))
    return "CRI-O's keys, but the bundle is not CRI-O's <id>/userdata directory";
  return NULL;
}

/* The kubelet's CRI labels as CRI-O recorded them (io.kubernetes.cri-o.Labels,
 * a JSON object of strings) must agree with the ones it wrote as
 * annotations.  Parsed strictly: one level, bounded size, no duplicates. */
#define CRIO_LABELS_MAX (256 * 1024)
static const char *
crio_labels_agree (const ocigate_json_t *labels, const struct ctx_scan *s)
{
  static const int keys[] = { K_POD_NAMESPACE, K_POD_NAME, K_CONTAINER_NAME };
  cleanup_error ocigate_error_t err = NULL;
  if (labels == NULL || labels->type != OJ_STRING)
    return "CRI-O's labels annotation is missing";
  if (labels->u.str.len > CRIO_LABELS_MAX)
    return "CRI-O's labels annotation is too large";
  ocigate_json_parse_opts_t o = { .name = ctx_keys[K_CRIO_LABELS], .max_depth = 1 };
  cleanup_doc ocigate_doc_t *d = ocigate_json_parse (labels->u.str.s, labels->u.str.len, &o, &err);
  if (d == NULL || ocigate_doc_root (d)->type != OJ_OBJECT)
    return "CRI-O's labels annotation is not a JSON object";
  const ocigate_json_t *r = ocigate_doc_root (d);
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    if (!str_eq0 (oj_str (oj_get (r, ctx_keys[keys[i]])), s->v[keys[i]]))
      return "CRI-O's labels annotation disagrees with the kubelet's labels";
  /* the pod uid (it names the pod's kubelet directory): both or neither */
  const ocigate_json_t *uid = oj_get (r, ctx_keys[K_POD_UID]);
  if ((uid || s->present[K_POD_UID]) && !str_eq0 (oj_str (uid), s->v[K_POD_UID]))
    return "CRI-O's labels annotation disagrees with the kubelet's pod uid";
  return NULL;
}

/* CRI-O writes its own keys and then, for a pod sandbox, every pod
 * annotation and then every CRI label over them (for a container: the
 * kubelet's container annotations and labels).  So on a sandbox a pod
 * author can overwrite io.kubernetes.cri-o.Namespace, ContainerType,
 * Labels, ImageName, io.container.manager...; only the keys written last
 * are the kubelet's and CRI-O's own: the CRI labels io.kubernetes.pod.
 * {namespace,name} and io.kubernetes.container.name, which CRI-O sets to
 * "POD" for the infra container (a container name is a lower-case DNS
 * label, never "POD").  Identity comes from those; every other key must
 * agree with them, or nothing is believed (a pod author can only lose an
 * exemption that way). */
static const char *
crio_context (const struct ctx_scan *s, const ocigate_json_t *ann, ocigate_context_t *ctx)
{
  const char *why;
  if (!str_eq0 (s->v[K_MANAGER], "cri-o"))
    return "CRI-O's keys, but io.container.manager is not \"cri-o\"";
  if (!s->v[K_POD_NAMESPACE] || !s->v[K_POD_NAME] || !s->v[K_CONTAINER_NAME])
    return "CRI-O's keys without the kubelet's pod and container labels";
  bool sandbox = strcmp (s->v[K_CONTAINER_NAME], "POD") == 0;
  if (!str_eq0 (s->v[K_CRIO_TYPE], sandbox ? "sandbox" : "container"))
    return "CRI-O's container type disagrees with the kubelet's labels";
  if (!s->v[K_CRIO_CONTAINER_ID] || !s->v[K_CRIO_SANDBOX_ID]
      || sandbox != (strcmp (s->v[K_CRIO_CONTAINER_ID], s->v[K_CRIO_SANDBOX_ID]) == 0))
    return "CRI-O's container and sandbox ids disagree with the container type";
  if (sandbox
      && ((s->present[K_CRIO_NAMESPACE] && !str_eq0 (s->v[K_CRIO_NAMESPACE], s->v[K_POD_NAMESPACE]))
          || (s->present[K_CRIO_KUBE_NAME] && !str_eq0 (s->v[K_CRIO_KUBE_NAME], s->v[K_POD_NAME]))))
    return "CRI-O's sandbox namespace or name disagrees with the kubelet's labels";
  if ((why = crio_labels_agree (oj_get (ann, ctx_keys[K_CRIO_LABELS]), s)) != NULL)
    return why;
  ctx->engine = "cri-o";
  ctx->container_type = sandbox ? "sandbox" : "container";
  ctx->namespace = s->v[K_POD_NAMESPACE];
  ctx->pod = s->v[K_POD_NAME];
  ctx->container = sandbox ? NULL : s->v[K_CONTAINER_NAME];
  /* A sandbox runs CRI-O's configured pause image whatever its (pod
   * writable) image annotations say: no image is claimed for it. */
  ctx->image = sandbox ? NULL : s->v[K_CRIO_IMAGE];
  ctx->pod_uid = s->v[K_POD_UID];
  ctx->sandbox_id = s->v[K_CRIO_SANDBOX_ID];
  return NULL;
}

/* containerd's CRI plugin writes its keys after any pod annotations the
 * operator lets through (pod_annotations), so its keys are its own. */
static const char *
containerd_context (const struct ctx_scan *s, ocigate_context_t *ctx)
{
  const char *ct = s->v[K_CTRD_TYPE];
  bool sandbox = str_eq0 (ct, "sandbox");
  if (!sandbox && !str_eq0 (ct, "container"))
    return "containerd's container type is neither \"sandbox\" nor \"container\"";
  if (s->present[K_MANAGER])
    return "containerd's keys next to io.container.manager, which containerd never writes";
  if (!s->v[K_CTRD_SANDBOX_ID] || !s->v[K_CTRD_NAMESPACE] || !s->v[K_CTRD_NAME]
      || (!sandbox && (!s->v[K_CTRD_CONTAINER] || !s->v[K_CTRD_IMAGE])))
    return "containerd's keys without the ones it always writes";
  ctx->engine = "containerd";
  ctx->container_type = ct;
  ctx->namespace = s->v[K_CTRD_NAMESPACE];
  ctx->pod = s->v[K_CTRD_NAME];
  ctx->container = sandbox ? NULL : s->v[K_CTRD_CONTAINER];
  /* containerd 1.7 names the sandbox image; 1.6 does not (its configured
   * sandbox_image, never the pod's choice). */
  ctx->image = sandbox ? s->v[K_CTRD_SANDBOX_IMAGE] : s->v[K_CTRD_IMAGE];
  ctx->pod_uid = s->v[K_CTRD_SANDBOX_UID];
  ctx->sandbox_id = s->v[K_CTRD_SANDBOX_ID];
  return NULL;
}

static void
build_context (const ocigate_json_t *root, const ocigate_eval_opts_t *opts, ocigate_result_t *res)
{
  ocigate_context_t *ctx = &res->ctx;
  const ocigate_json_t *ann = oj_get (root, "annotations");
  struct ctx_scan s;
  const char *why = NULL;

  memset (ctx, 0, sizeof (*ctx));
  if (ann == NULL || ann->type != OJ_OBJECT)
    return;
  ctx_scan (ann, &s);
  bool ctrd = s.present[K_CTRD_TYPE];
  bool crio = s.present[K_CRIO_TYPE] || str_eq0 (s.v[K_MANAGER], "cri-o");
  if (!ctrd && !crio && !s.split_clash)
    return;
  if (s.split_clash)
    why = "an annotation key with '=' reads as an identity key to runc";
  else if (ctrd && crio)
    /* One family was written by someone else: which cannot be told. */
    why = "both containerd's and CRI-O's keys";
  else if (ctrd)
    {
      why = containerd_context (&s, ctx);
      if (why == NULL && opts->runtime_call)
        why = containerd_call (opts, &s, strcmp (ctx->container_type, "sandbox") == 0);
    }
  else
    {
      why = crio_context (&s, ann, ctx);
      if (why == NULL && opts->runtime_call)
        why = crio_call (opts, &s);
    }
  if (why)
    {
      memset (ctx, 0, sizeof (*ctx));
      ctx->distrust = why;
      if (res->note == NULL)
        res->note = xasprintf ("identity not believed: %s", why);
      return;
    }
  ctx->caller_checked = opts->runtime_call;
}

/* ---- effective policy ---- */

static bool
match_list (const ocigate_strlist_t *l, const char *v, bool prefix)
{
  if (l->n == 0)
    return true;
  if (v == NULL)
    return false;
  return prefix ? ocigate_strlist_has_prefix_of (l, v) : ocigate_strlist_matches (l, v);
}

static void
effective (const ocigate_policy_t *pol, struct eval *e)
{
  ocigate_result_t *res = e->res;
  const ocigate_exemption_t *ex = NULL;
  res->exemption = -1;
  for (size_t i = 0; i < pol->n_exemptions; i++)
    {
      const ocigate_exemption_t *x = &pol->exemptions[i];
      if (match_list (&x->namespaces, res->ctx.namespace, false)
          && match_list (&x->images, res->ctx.image, true)
          && match_list (&x->container_types, res->ctx.container_type, false))
        {
          ex = x;
          res->exemption = (int)i;
          break;
        }
    }
  ocigate_preset_t preset = ex && ex->preset >= 0 ? (ocigate_preset_t)ex->preset : pol->preset;
  res->preset = preset;
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      int a = ocigate_rule_info (r)->defaults[preset];
      /* An exemption that names a preset starts from that preset alone;
       * otherwise the policy's overrides apply. */
      if (!(ex && ex->preset >= 0) && pol->actions[r] != OCIGATE_ACTION_DEFAULT)
        a = pol->actions[r];
      if (ex && ex->actions[r] != OCIGATE_ACTION_DEFAULT)
        a = ex->actions[r];
      e->actions[r] = (int8_t)a;
    }
  e->caps_allowed = ocigate_caps_preset (preset);
  if (pol->caps_allowed_set && !(ex && ex->preset >= 0))
    ocigate_caps_mask (&pol->caps_allowed, &e->caps_allowed, NULL);
}

static void
eval_init (struct eval *e, const ocigate_policy_t *pol, ocigate_doc_t *doc,
           const ocigate_eval_opts_t *opts, ocigate_result_t *res)
{
  static const ocigate_eval_opts_t no_opts = { 0 };
  memset (e, 0, sizeof (*e));
  e->pol = pol;
  e->opts = opts ? opts : &no_opts;
  e->host = e->opts->host ? e->opts->host : &ocigate_host_real;
  e->doc = doc;
  e->root = ocigate_doc_root (doc);
  e->croot = e->root;
  e->res = res;
}

int
ocigate_evaluate (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
                  ocigate_result_t *res, ocigate_error_t *err)
{
  struct eval e;
  memset (res, 0, sizeof (*res));
  eval_init (&e, pol, doc, opts, res);
  res->mode = pol->mode;
  res->policy_name = ocigate_policy_name (pol);
  build_context (e.root, e.opts, res);
  effective (pol, &e);

  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      if (e.actions[r] == OCIGATE_ACTION_OFF)
        continue;
      e.rule = (ocigate_rule_id_t)r;
      if (ocigate_rules[r].check (&e, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply (struct eval *e, ocigate_error_t *err)
{
  ocigate_result_t *res = e->res;
  bool done[OCIGATE_RULE_COUNT] = { false };
  strbuf_t ids = { 0 };

  if (res->reject || res->mode != OCIGATE_MODE_ENFORCE)
    return 0;
  for (size_t i = 0; i < res->n; i++)
    {
      ocigate_rule_id_t r = res->f[i].rule;
      if (res->f[i].action != OCIGATE_ACTION_REWRITE || done[r] || ocigate_rules[r].fix == NULL)
        continue;
      done[r] = true;
      e->rule = r;
      if (ocigate_rules[r].fix (e, err) < 0)
        {
          free (ids.s);
          return -1;
        }
      res->changed = true;
    }
  if (!res->changed)
    return 0;
  /* Record the rules that rewrote, merged with an earlier record so a
   * second pass never loses the first one's. */
  ocigate_json_t *ann = NULL;
  if (!e->process_only)
    {
      ann = oj_ensure_object (e->doc, e->root, "annotations");
      const char *prev = oj_str (oj_get (ann, "ocigate.rewrites"));
      bool had[OCIGATE_RULE_COUNT] = { false };
      if (prev)
        {
          cleanup_free char *copy = xstrdup (prev);
          char *save = NULL;
          for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
            {
              int id = ocigate_rule_lookup (t);
              if (id >= 0)
                had[id] = true;
            }
        }
      for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
        if (done[r] || had[r])
          {
            if (ids.len)
              strbuf_puts (&ids, ",");
            strbuf_puts (&ids, ocigate_rule_info (r)->id);
          }
      oj_set (e->doc, ann, "ocigate.rewrites", oj_new_string (e->doc, ids.s));
    }
  free (ids.s);
  return 0;
}

int
ocigate_apply (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
               ocigate_result_t *res, ocigate_error_t *err)
{
  struct eval e;
  eval_init (&e, pol, doc, opts, res);
  effective (pol, &e);
  return apply (&e, err);
}

ocigate_json_t *
eval_process (struct eval *e)
{
  if (e->process_only)
    return e->root;
  return oj_get (e->root, "process");
}

static void
process_eval_init (struct eval *e, const ocigate_policy_t *pol, ocigate_doc_t *process,
                   ocigate_doc_t *container, const ocigate_eval_opts_t *opts, ocigate_result_t *res)
{
  eval_init (e, pol, process, opts, res);
  e->process_only = true;
  e->croot = NULL;
  if (container)
    {
      /* The context (exemptions) and the user namespace come from the
       * container the process joins. */
      e->croot = ocigate_doc_root (container);
      e->ceiling = oj_get (e->croot, "process");
      build_context (e->croot, e->opts, res);
    }
  effective (pol, e);
}

int
ocigate_evaluate_process (const ocigate_policy_t *pol, ocigate_doc_t *process,
                          ocigate_doc_t *container, const ocigate_eval_opts_t *opts,
                          ocigate_result_t *res, ocigate_error_t *err)
{
  struct eval e;
  memset (res, 0, sizeof (*res));
  res->mode = pol->mode;
  res->policy_name = ocigate_policy_name (pol);
  process_eval_init (&e, pol, process, container, opts, res);
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    {
      if (!ocigate_rules[r].process_rule || e.actions[r] == OCIGATE_ACTION_OFF)
        continue;
      e.rule = (ocigate_rule_id_t)r;
      if (ocigate_rules[r].check (&e, err) < 0)
        return -1;
    }
  return 0;
}

int
ocigate_apply_process (const ocigate_policy_t *pol, ocigate_doc_t *process,
                       ocigate_doc_t *container, const ocigate_eval_opts_t *opts,
                       ocigate_result_t *res, ocigate_error_t *err)
{
  struct eval e;
  process_eval_init (&e, pol, process, container, opts, res);
  return apply (&e, err);
}

/* ---- messages ---- */

static int
severity (ocigate_action_t a)
{
  return a == OCIGATE_ACTION_REJECT ? 3 : a == OCIGATE_ACTION_REWRITE ? 2 : 1;
}

char *
ocigate_result_message (const ocigate_result_t *res)
{
  strbuf_t b = { 0 };
  bool first = true;
  size_t rest = 0;
  /* Most severe first, catalogue order within a severity.  A rejection
   * lists what rejected: the rewrites that will not happen now would only
   * bury the reason (and engines show a bounded amount of it). */
  for (int s = 3; s >= 1; s--)
    for (size_t i = 0; i < res->n; i++)
      {
        const ocigate_finding_t *f = &res->f[i];
        if (severity (f->action) != s)
          continue;
        if (res->reject && f->action != OCIGATE_ACTION_REJECT)
          {
            rest++;
            continue;
          }
        if (first)
          {
            strbuf_printf (&b, "ocigate: %s by policy %s: ", res->reject ? "rejected" : "findings",
                           res->policy_name);
            first = false;
          }
        else
          strbuf_puts (&b, "\nocigate: ");
        /* Shown on the engine's terminal and in logs read line by line:
         * config strings are escaped (ocigate_escape). */
        cleanup_free char *m = ocigate_escape (f->message, 0);
        cleanup_free char *ptr = ocigate_escape (*f->pointer ? f->pointer : "/", 0);
        strbuf_printf (&b, "%s: %s at %s; fix: %s", ocigate_rule_info (f->rule)->id, m, ptr,
                       ocigate_finding_fix (f));
      }
  if (rest)
    strbuf_printf (&b, "\nocigate: and %zu more finding%s to fix (ocigate validate shows them)",
                   rest, rest == 1 ? "" : "s");
  return strbuf_steal (&b);
}
