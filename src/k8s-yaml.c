/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes manifests read with libyaml into the same JSON trees the
 * engine works on.  Scalars are resolved as the API machinery's YAML 1.1
 * reader (go-yaml v2 under sigs.k8s.io/yaml) resolves them, because that
 * is what the cluster will see: `privileged: yes` is true there.  What
 * that reader would take differently from us (merge keys, duplicate
 * keys, complex keys) is an error, never a silent difference. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "k8s-internal.h"

struct anchor
{
  char *name;
  ocigate_json_t *node;
  size_t nodes; /* nodes in its subtree */
};

struct loader
{
  yaml_parser_t parser;
  const char *name;
  size_t max_depth;
  ocigate_doc_t *doc;
  size_t nodes, alias_nodes;
  struct anchor *anchors;
  size_t n_anchors;
};

static int
at (struct loader *L, yaml_mark_t m, ocigate_error_t *err, const char *what)
{
  return ocigate_make_error (err, 0, "`%s`: line %zu, column %zu: %s", L->name, m.line + 1,
                             m.column + 1, what);
}

static int
next (struct loader *L, yaml_event_t *ev, ocigate_error_t *err)
{
  if (yaml_parser_parse (&L->parser, ev))
    return 0;
  yaml_parser_t *p = &L->parser;
  const char *problem = p->problem ? p->problem : "invalid YAML";
  yaml_mark_t m = p->problem_mark;
  if (p->error == YAML_READER_ERROR)
    return ocigate_make_error (err, 0, "`%s`: byte %zu: %s (the file must be UTF-8 text)", L->name,
                               p->problem_offset, problem);
  if (p->context)
    return ocigate_make_error (err, 0, "`%s`: line %zu, column %zu: %s %s", L->name, m.line + 1,
                               m.column + 1, problem, p->context);
  return at (L, m, err, problem);
}

static void
anchors_clear (struct loader *L)
{
  for (size_t i = 0; i < L->n_anchors; i++)
    free (L->anchors[i].name);
  free (L->anchors);
  L->anchors = NULL;
  L->n_anchors = 0;
}

static bool
is_one_of (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

/* An integer as go-yaml v2 reads one: underscores dropped, 0x/0o/0b and
 * leading-0 octal, a sign.  The node keeps it in decimal. */
static bool
resolve_int (const char *s, char out[32])
{
  char clean[80];
  size_t n = 0;
  for (const char *p = s; *p; p++)
    if (*p != '_')
      {
        if (n + 1 >= sizeof (clean))
          return false;
        clean[n++] = *p;
      }
  clean[n] = '\0';
  const char *d = clean;
  bool neg = false;
  if (*d == '+' || *d == '-')
    neg = *d++ == '-';
  if (*d == '\0')
    return false;
  int base = 10;
  if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
    base = 16, d += 2;
  else if (d[0] == '0' && (d[1] == 'b' || d[1] == 'B'))
    base = 2, d += 2;
  else if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O'))
    base = 8, d += 2;
  else if (d[0] == '0' && d[1] != '\0')
    base = 8, d += 1;
  if (*d == '\0' || *d == '+' || *d == '-' || *d == ' ')
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull (d, &end, base);
  if (errno || *end != '\0' || v > (neg ? 9223372036854775808ull : 18446744073709551615ull))
    return false;
  if (neg)
    snprintf (out, 32, "-%llu", v);
  else
    snprintf (out, 32, "%llu", v);
  return true;
}

static bool
is_float (const char *s)
{
  const char *p = s;
  bool digits = false;
  if (*p == '+' || *p == '-')
    p++;
  while (*p >= '0' && *p <= '9')
    p++, digits = true;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      digits = true;
  if (!digits)
    return false;
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!(*p >= '0' && *p <= '9'))
        return false;
      while (*p >= '0' && *p <= '9')
        p++;
    }
  return *p == '\0';
}

static ocigate_json_t *
scalar (struct loader *L, yaml_event_t *ev, ocigate_error_t *err)
{
  static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
  static const char *const trues[]
      = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE", NULL };
  static const char *const falses[]
      = { "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE", NULL };
  const char *s = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  if (memchr (s, '\0', len))
    {
      at (L, ev->start_mark, err, "NUL byte in a string");
      return NULL;
    }
  ocigate_json_t *n;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  bool str_tag = tag && strcmp (tag, YAML_STR_TAG) == 0;
  char num[32];
  if (!plain || str_tag)
    n = NULL;
  else if (is_one_of (s, nulls))
    n = oj_new (L->doc, OJ_NULL);
  else if (is_one_of (s, trues))
    n = oj_new (L->doc, OJ_TRUE);
  else if (is_one_of (s, falses))
    n = oj_new (L->doc, OJ_FALSE);
  else if (resolve_int (s, num))
    n = oj_new_string (L->doc, num), n->type = OJ_NUMBER;
  else if (is_float (s))
    n = oj_new_string (L->doc, s), n->type = OJ_NUMBER;
  else
    n = NULL;
  if (n == NULL)
    {
      n = oj_new (L->doc, OJ_STRING);
      n->u.str.s = oj_arena_strdup (L->doc, s, len);
      n->u.str.len = len;
    }
  return n;
}

static int
key_cmp (const void *a, const void *b)
{
  const ocigate_json_member_t *x = *(ocigate_json_member_t *const *)a;
  const ocigate_json_member_t *y = *(ocigate_json_member_t *const *)b;
  size_t l = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp (x->key, y->key, l);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Duplicate keys: the API machinery refuses them or keeps the last, a
 * reader that keeps the first would judge another document. */
static int
check_duplicates (struct loader *L, ocigate_json_t *obj, ocigate_error_t *err)
{
  size_t n = obj->u.obj.n;
  if (n < 2)
    return 0;
  ocigate_json_member_t **v = xmalloc (n * sizeof (*v));
  for (size_t i = 0; i < n; i++)
    v[i] = &obj->u.obj.m[i];
  qsort (v, n, sizeof (*v), key_cmp);
  for (size_t i = 1; i < n; i++)
    if (key_cmp (&v[i - 1], &v[i]) == 0)
      {
        ocigate_json_member_t *d = v[i - 1] > v[i] ? v[i - 1] : v[i];
        size_t pos = d->koffset;
        free (v);
        return ocigate_make_error (err, 0, "`%s`: line %u, column %u: duplicate key \"%s\"",
                                   L->name, K8S_LINE (pos), K8S_COL (pos), d->key);
      }
  free (v);
  return 0;
}

static ocigate_json_t *load (struct loader *L, yaml_event_t *ev, size_t depth,
                             ocigate_error_t *err);

static ocigate_json_t *
alias (struct loader *L, yaml_event_t *ev, ocigate_error_t *err)
{
  const char *name = (const char *)ev->data.alias.anchor;
  for (size_t i = L->n_anchors; i-- > 0;)
    if (strcmp (L->anchors[i].name, name) == 0)
      {
        struct anchor *a = &L->anchors[i];
        if (L->alias_nodes + a->nodes > K8S_MAX_ALIAS_NODES)
          {
            at (L, ev->start_mark, err, "aliases expand to too many nodes (alias bomb?)");
            return NULL;
          }
        L->alias_nodes += a->nodes;
        L->nodes += a->nodes;
        return oj_copy (L->doc, a->node);
      }
  at (L, ev->start_mark, err, "alias to an unknown anchor");
  return NULL;
}

static ocigate_json_t *
load (struct loader *L, yaml_event_t *ev, size_t depth, ocigate_error_t *err)
{
  ocigate_json_t *n = NULL;
  size_t before = L->nodes;
  const char *anchor = NULL;
  yaml_mark_t start = ev->start_mark;

  if (depth > L->max_depth)
    {
      at (L, start, err, "nesting too deep");
      return NULL;
    }
  switch (ev->type)
    {
    case YAML_ALIAS_EVENT:
      return alias (L, ev, err);
    case YAML_SCALAR_EVENT:
      anchor = (const char *)ev->data.scalar.anchor;
      n = scalar (L, ev, err);
      if (n == NULL)
        return NULL;
      break;
    case YAML_SEQUENCE_START_EVENT:
      anchor = (const char *)ev->data.sequence_start.anchor;
      n = oj_new (L->doc, OJ_ARRAY);
      for (;;)
        {
          yaml_event_t c;
          if (next (L, &c, err) < 0)
            return NULL;
          if (c.type == YAML_SEQUENCE_END_EVENT)
            {
              yaml_event_delete (&c);
              break;
            }
          ocigate_json_t *v = load (L, &c, depth + 1, err);
          yaml_event_delete (&c);
          if (v == NULL)
            return NULL;
          oj_append (L->doc, n, v);
        }
      break;
    case YAML_MAPPING_START_EVENT:
      anchor = (const char *)ev->data.mapping_start.anchor;
      n = oj_new (L->doc, OJ_OBJECT);
      for (;;)
        {
          yaml_event_t k, c;
          if (next (L, &k, err) < 0)
            return NULL;
          if (k.type == YAML_MAPPING_END_EVENT)
            {
              yaml_event_delete (&k);
              break;
            }
          ocigate_json_t *key = k.type == YAML_SCALAR_EVENT ? scalar (L, &k, err) : NULL;
          if (key == NULL)
            {
              if (k.type != YAML_SCALAR_EVENT)
                at (L, k.start_mark, err, "a key that is not a plain string");
              yaml_event_delete (&k);
              return NULL;
            }
          if (k.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
              && strcmp ((const char *)k.data.scalar.value, "<<") == 0)
            {
              at (L, k.start_mark, err, "merge keys (<<) are not supported: write the keys out");
              yaml_event_delete (&k);
              return NULL;
            }
          size_t kpos = K8S_POS (k.start_mark.line + 1, k.start_mark.column + 1);
          /* a key is a string whatever it looks like: JSON has no other */
          const char *ks = (const char *)k.data.scalar.value;
          size_t kl = k.data.scalar.length;
          char *kcopy = oj_arena_strdup (L->doc, ks, kl);
          yaml_event_delete (&k);
          if (next (L, &c, err) < 0)
            return NULL;
          ocigate_json_t *v = load (L, &c, depth + 1, err);
          yaml_event_delete (&c);
          if (v == NULL)
            return NULL;
          oj_push (L->doc, n, kcopy, kl, kpos, v);
        }
      if (check_duplicates (L, n, err) < 0)
        return NULL;
      break;
    default:
      at (L, start, err, "unexpected YAML event");
      return NULL;
    }
  L->nodes++;
  n->offset = K8S_POS (start.line + 1, start.column + 1);
  if (anchor)
    {
      if (L->n_anchors >= K8S_MAX_ANCHORS)
        {
          at (L, start, err, "too many anchors");
          return NULL;
        }
      L->anchors = xrealloc (L->anchors, (L->n_anchors + 1) * sizeof (*L->anchors));
      L->anchors[L->n_anchors++] = (struct anchor){ xstrdup (anchor), n, L->nodes - before };
    }
  return n;
}

void
k8s_stream_free (k8s_stream_t *s)
{
  for (size_t i = 0; i < s->n; i++)
    ocigate_doc_free (s->docs[i]);
  free (s->docs);
  s->docs = NULL;
  s->n = 0;
}

int
k8s_yaml_load (const char *buf, size_t len, const char *name, size_t max_depth, k8s_stream_t *ret,
               ocigate_error_t *err)
{
  struct loader L = { .name = name, .max_depth = max_depth ? max_depth : 64 };
  k8s_stream_t s = { 0 };
  int r = -1;
  if (len > K8S_MAX_BYTES)
    return ocigate_make_error (err, EFBIG, "`%s`: larger than %u bytes", name, K8S_MAX_BYTES);
  if (!yaml_parser_initialize (&L.parser))
    abort ();
  yaml_parser_set_input_string (&L.parser, (const unsigned char *)buf, len);
  for (;;)
    {
      yaml_event_t ev;
      if (next (&L, &ev, err) < 0)
        goto out;
      yaml_event_type_t t = ev.type;
      yaml_event_delete (&ev);
      if (t == YAML_STREAM_END_EVENT)
        break;
      if (t != YAML_DOCUMENT_START_EVENT)
        continue; /* stream start */
      L.doc = ocigate_doc_new ();
      s.docs = xrealloc (s.docs, (s.n + 1) * sizeof (*s.docs));
      s.docs[s.n++] = L.doc;
      yaml_event_t root;
      if (next (&L, &root, err) < 0)
        goto out;
      ocigate_json_t *n = load (&L, &root, 1, err);
      yaml_event_delete (&root);
      if (n == NULL)
        goto out;
      ocigate_doc_set_root (L.doc, n);
      anchors_clear (&L);
      yaml_event_t end;
      if (next (&L, &end, err) < 0)
        goto out;
      yaml_event_delete (&end); /* document end */
    }
  *ret = s;
  s.docs = NULL;
  s.n = 0;
  r = 0;
out:
  anchors_clear (&L);
  k8s_stream_free (&s);
  yaml_parser_delete (&L.parser);
  return r;
}
