/* SPDX-License-Identifier: Apache-2.0 */
/* JSON glue: the only place besides the config model that talks to yajl.
 * We build our own tree from yajl's callback parser (not yajl_tree) because
 * the gate needs what yajl_tree cannot give: duplicate-key detection (runc
 * keeps the last value, a reader keeping the first could be bypassed), a
 * depth cap enforced while parsing, byte offsets for line/column errors,
 * comments only where we allow them, and the number spelling kept for a
 * lossless rewrite. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "ocigate/json.h"

#define ARENA_CHUNK 65536

struct arena_chunk
{
  struct arena_chunk *next;
  size_t used, size;
  max_align_t data[];
};

struct ocigate_doc_s
{
  struct arena_chunk *chunks;
  ocigate_json_t *root;
  const char *src; /* borrowed during parse only */
  size_t src_len;
  size_t *line_starts; /* owned; offsets of line starts, for positions */
  size_t nlines;
};

static void *
arena_alloc (ocigate_doc_t *doc, size_t n)
{
  n = (n + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
  struct arena_chunk *c = doc->chunks;
  if (c == NULL || c->size - c->used < n)
    {
      size_t size = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
      c = xmalloc (sizeof (*c) + size);
      c->size = size;
      c->used = 0;
      /* Oversized blocks go behind the current chunk so its space stays usable. */
      if (n > ARENA_CHUNK / 2 && doc->chunks != NULL)
        {
          c->next = doc->chunks->next;
          doc->chunks->next = c;
        }
      else
        {
          c->next = doc->chunks;
          doc->chunks = c;
        }
    }
  void *p = (char *)c->data + c->used;
  c->used += n;
  return p;
}

char *
oj_arena_strdup (ocigate_doc_t *doc, const char *s, size_t n)
{
  char *r = arena_alloc (doc, n + 1);
  memcpy (r, s, n);
  r[n] = '\0';
  return r;
}

ocigate_doc_t *
ocigate_doc_new (void)
{
  return xzalloc (sizeof (ocigate_doc_t));
}

void
ocigate_doc_free (ocigate_doc_t *doc)
{
  if (doc == NULL)
    return;
  struct arena_chunk *c = doc->chunks;
  while (c)
    {
      struct arena_chunk *n = c->next;
      free (c);
      c = n;
    }
  free (doc->line_starts);
  free (doc);
}

ocigate_json_t *
ocigate_doc_root (ocigate_doc_t *doc)
{
  return doc->root;
}

void
ocigate_doc_set_root (ocigate_doc_t *doc, ocigate_json_t *root)
{
  doc->root = root;
}

static void
position_in (const char *src, size_t len, size_t offset, unsigned *line, unsigned *col)
{
  unsigned l = 1, c = 1;
  if (offset > len)
    offset = len;
  for (size_t i = 0; i < offset; i++)
    {
      if (src[i] == '\n')
        {
          l++;
          c = 1;
        }
      else
        c++;
    }
  *line = l;
  *col = c;
}

void
ocigate_doc_position (const ocigate_doc_t *doc, size_t offset, unsigned *line, unsigned *col)
{
  /* Binary search over the line table recorded at parse time. */
  size_t lo = 0, hi = doc->nlines;
  if (doc->nlines == 0)
    {
      *line = 0;
      *col = 0;
      return;
    }
  while (hi - lo > 1)
    {
      size_t mid = (lo + hi) / 2;
      if (doc->line_starts[mid] <= offset)
        lo = mid;
      else
        hi = mid;
    }
  *line = (unsigned)lo + 1;
  *col = (unsigned)(offset - doc->line_starts[lo]) + 1;
}

ocigate_json_t *
oj_new (ocigate_doc_t *doc, ocigate_json_type_t t)
{
  ocigate_json_t *n = arena_alloc (doc, sizeof (*n));
  memset (n, 0, sizeof (*n));
  n->type = t;
  return n;
}

ocigate_json_t *
oj_new_string (ocigate_doc_t *doc, const char *s)
{
  ocigate_json_t *n = oj_new (doc, OJ_STRING);
  n->u.str.len = strlen (s);
  n->u.str.s = oj_arena_strdup (doc, s, n->u.str.len);
  return n;
}

ocigate_json_t *
oj_new_int (ocigate_doc_t *doc, int64_t v)
{
  char buf[32];
  int l = snprintf (buf, sizeof (buf), "%lld", (long long)v);
  ocigate_json_t *n = oj_new (doc, OJ_NUMBER);
  n->u.str.s = oj_arena_strdup (doc, buf, (size_t)l);
  n->u.str.len = (size_t)l;
  return n;
}

ocigate_json_t *
oj_new_bool (ocigate_doc_t *doc, bool v)
{
  return oj_new (doc, v ? OJ_TRUE : OJ_FALSE);
}

static void
obj_push (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, size_t klen, size_t koffset,
          ocigate_json_t *val)
{
  if (obj->u.obj.n == obj->u.obj.cap)
    {
      size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
      ocigate_json_member_t *m = arena_alloc (doc, cap * sizeof (*m));
      if (obj->u.obj.n)
        memcpy (m, obj->u.obj.m, obj->u.obj.n * sizeof (*m));
      obj->u.obj.m = m;
      obj->u.obj.cap = cap;
    }
  obj->u.obj.m[obj->u.obj.n].key = key;
  obj->u.obj.m[obj->u.obj.n].klen = klen;
  obj->u.obj.m[obj->u.obj.n].koffset = koffset;
  obj->u.obj.m[obj->u.obj.n].val = val;
  obj->u.obj.n++;
}

void
oj_append (ocigate_doc_t *doc, ocigate_json_t *arr, ocigate_json_t *val)
{
  if (arr->u.arr.n == arr->u.arr.cap)
    {
      size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 8;
      ocigate_json_t **v = arena_alloc (doc, cap * sizeof (*v));
      if (arr->u.arr.n)
        memcpy (v, arr->u.arr.v, arr->u.arr.n * sizeof (*v));
      arr->u.arr.v = v;
      arr->u.arr.cap = cap;
    }
  arr->u.arr.v[arr->u.arr.n++] = val;
}

void
oj_remove_at (ocigate_json_t *arr, size_t i)
{
  if (arr == NULL || arr->type != OJ_ARRAY || i >= arr->u.arr.n)
    return;
  memmove (arr->u.arr.v + i, arr->u.arr.v + i + 1, (arr->u.arr.n - i - 1) * sizeof (void *));
  arr->u.arr.n--;
}

static ocigate_json_member_t *
find_member (const ocigate_json_t *obj, const char *key)
{
  if (obj == NULL || obj->type != OJ_OBJECT)
    return NULL;
  size_t kl = strlen (key);
  for (size_t i = 0; i < obj->u.obj.n; i++)
    if (obj->u.obj.m[i].klen == kl && memcmp (obj->u.obj.m[i].key, key, kl) == 0)
      return &obj->u.obj.m[i];
  return NULL;
}

ocigate_json_t *
oj_get (const ocigate_json_t *obj, const char *key)
{
  ocigate_json_member_t *m = find_member (obj, key);
  return m ? m->val : NULL;
}

ocigate_json_t *
oj_at (const ocigate_json_t *arr, size_t i)
{
  if (arr == NULL || arr->type != OJ_ARRAY || i >= arr->u.arr.n)
    return NULL;
  return arr->u.arr.v[i];
}

ocigate_json_t *
oj_path (const ocigate_json_t *root, const char *path)
{
  const ocigate_json_t *n = root;
  char key[128];
  while (n && *path)
    {
      const char *e = strchr (path, '/');
      size_t l = e ? (size_t)(e - path) : strlen (path);
      if (l >= sizeof (key))
        return NULL;
      memcpy (key, path, l);
      key[l] = '\0';
      n = oj_get (n, key);
      path += l + (e ? 1 : 0);
    }
  return (ocigate_json_t *)n;
}

const char *
oj_str (const ocigate_json_t *n)
{
  return n && n->type == OJ_STRING ? n->u.str.s : NULL;
}

bool
oj_str_eq (const ocigate_json_t *n, const char *s)
{
  return n && n->type == OJ_STRING && strcmp (n->u.str.s, s) == 0;
}

bool
oj_int (const ocigate_json_t *n, int64_t *ret)
{
  if (n == NULL || n->type != OJ_NUMBER)
    return false;
  const char *s = n->u.str.s;
  size_t i = 0, len = n->u.str.len;
  bool neg = false;
  uint64_t v = 0;
  if (i < len && s[i] == '-')
    {
      neg = true;
      i++;
    }
  if (i == len)
    return false;
  for (; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      unsigned d = (unsigned)(s[i] - '0');
      if (v > (UINT64_MAX - d) / 10)
        return false;
      v = v * 10 + d;
    }
  if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
    return false;
  *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

const char *
oj_type_name (ocigate_json_type_t t)
{
  switch (t)
    {
    case OJ_NULL:
      return "null";
    case OJ_FALSE:
    case OJ_TRUE:
      return "boolean";
    case OJ_NUMBER:
      return "number";
    case OJ_STRING:
      return "string";
    case OJ_OBJECT:
      return "object";
    case OJ_ARRAY:
      return "array";
    }
  return "?";
}

void
oj_set (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, ocigate_json_t *val)
{
  ocigate_json_member_t *m = find_member (obj, key);
  if (m)
    {
      m->val = val;
      return;
    }
  size_t kl = strlen (key);
  obj_push (doc, obj, oj_arena_strdup (doc, key, kl), kl, 0, val);
}

static ocigate_json_t *
ensure (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, ocigate_json_type_t t)
{
  ocigate_json_t *v = oj_get (obj, key);
  if (v && v->type == t)
    return v;
  v = oj_new (doc, t);
  oj_set (doc, obj, key, v);
  return v;
}

ocigate_json_t *
oj_ensure_object (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key)
{
  return ensure (doc, obj, key, OJ_OBJECT);
}

ocigate_json_t *
oj_ensure_array (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key)
{
  return ensure (doc, obj, key, OJ_ARRAY);
}

bool
oj_remove (ocigate_json_t *obj, const char *key)
{
  ocigate_json_member_t *m = find_member (obj, key);
  if (m == NULL)
    return false;
  size_t i = (size_t)(m - obj->u.obj.m);
  memmove (m, m + 1, (obj->u.obj.n - i - 1) * sizeof (*m));
  obj->u.obj.n--;
  return true;
}

ocigate_json_t *
oj_copy (ocigate_doc_t *doc, const ocigate_json_t *src)
{
  ocigate_json_t *n = oj_new (doc, src->type);
  n->offset = src->offset;
  switch (src->type)
    {
    case OJ_NUMBER:
    case OJ_STRING:
      n->u.str.s = oj_arena_strdup (doc, src->u.str.s, src->u.str.len);
      n->u.str.len = src->u.str.len;
      break;
    case OJ_OBJECT:
      for (size_t i = 0; i < src->u.obj.n; i++)
        obj_push (doc, n, oj_arena_strdup (doc, src->u.obj.m[i].key, src->u.obj.m[i].klen),
                  src->u.obj.m[i].klen, src->u.obj.m[i].koffset,
                  oj_copy (doc, src->u.obj.m[i].val));
      break;
    case OJ_ARRAY:
      for (size_t i = 0; i < src->u.arr.n; i++)
        oj_append (doc, n, oj_copy (doc, src->u.arr.v[i]));
      break;
    default:
      break;
    }
  return n;
}

bool
oj_equal (const ocigate_json_t *a, const ocigate_json_t *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case OJ_NUMBER:
    case OJ_STRING:
      return a->u.str.len == b->u.str.len && memcmp (a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case OJ_OBJECT:
      if (a->u.obj.n != b->u.obj.n)
        return false;
      for (size_t i = 0; i < a->u.obj.n; i++)
        if (a->u.obj.m[i].klen != b->u.obj.m[i].klen
            || memcmp (a->u.obj.m[i].key, b->u.obj.m[i].key, a->u.obj.m[i].klen) != 0
            || !oj_equal (a->u.obj.m[i].val, b->u.obj.m[i].val))
          return false;
      return true;
    case OJ_ARRAY:
      if (a->u.arr.n != b->u.arr.n)
        return false;
      for (size_t i = 0; i < a->u.arr.n; i++)
        if (!oj_equal (a->u.arr.v[i], b->u.arr.v[i]))
          return false;
      return true;
    default:
      return true;
    }
}

/* ---- parser ---- */

struct parse_ctx
{
  ocigate_doc_t *doc;
  const char *buf; /* the whole input, parsed in one yajl_parse call */
  yajl_handle h;
  ocigate_json_t **stack;
  size_t depth, max_depth;
  const char *key; /* pending member key */
  size_t klen;
  size_t key_offset;
  char *error; /* owned */
  size_t error_offset;
};

static size_t
cur_offset (struct parse_ctx *c)
{
  return yajl_get_bytes_consumed (c->h);
}

static int
fail (struct parse_ctx *c, size_t offset, char *msg)
{
  if (c->error == NULL)
    {
      c->error = msg;
      c->error_offset = offset;
    }
  else
    free (msg);
  return 0;
}

/* Where the value that just ended began.  yajl reports the offset after
 * a token; an error message should point at the value itself. */
static size_t
string_start (struct parse_ctx *c)
{
  size_t end = cur_offset (c);
  /* Back from the closing quote to the first quote not escaped by an odd
   * run of backslashes. */
  for (size_t i = end > 0 ? end - 1 : 0; i-- > 0;)
    if (c->buf[i] == '"')
      {
        size_t bs = 0;
        while (bs < i && c->buf[i - 1 - bs] == '\\')
          bs++;
        if (bs % 2 == 0)
          return i;
      }
  return end;
}

/* Go's decoder reads every ill-formed sequence as U+FFFD: an overlong
 * form, an encoded surrogate, a code point past U+10FFFF, an unpaired
 * \uD800-\uDFFF escape.  yajl passes such bytes on, or makes an unpaired
 * high surrogate escape a '?'.  Either way ocigate would judge another
 * string than runc uses, so they are refused. */
static const char not_unicode[]
    = "string is not well-formed Unicode (an overlong or surrogate UTF-8 sequence, or an "
      "unpaired \\u surrogate escape)";

static bool
utf8_well_formed (const unsigned char *s, size_t n)
{
  for (size_t i = 0; i < n;)
    {
      unsigned b = s[i], cp, min;
      size_t len;
      if (b < 0x80)
        {
          i++;
          continue;
        }
      if (b >= 0xc2 && b <= 0xdf)
        len = 2, cp = b & 0x1f, min = 0x80;
      else if (b >= 0xe0 && b <= 0xef)
        len = 3, cp = b & 0x0f, min = 0x800;
      else if (b >= 0xf0 && b <= 0xf4)
        len = 4, cp = b & 0x07, min = 0x10000;
      else
        return false;
      if (n - i < len)
        return false;
      for (size_t j = 1; j < len; j++)
        {
          if ((s[i + j] & 0xc0) != 0x80)
            return false;
          cp = cp << 6 | (s[i + j] & 0x3f);
        }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += len;
    }
  return true;
}

static unsigned
hex4 (const char *p)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++)
    {
      char ch = p[i];
      v = v << 4 | (unsigned)(ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0');
    }
  return v;
}

/* Surrogate escapes in the source text of the string that just ended come
 * in high-low pairs (yajl has checked the escapes' syntax). */
static bool
escapes_paired (const char *raw, size_t n)
{
  for (size_t i = 0; i + 1 < n; i++)
    {
      if (raw[i] != '\\')
        continue;
      if (raw[i + 1] != 'u' || n - i < 6)
        {
          i++;
          continue;
        }
      unsigned u = hex4 (raw + i + 2);
      if (u >= 0xdc00 && u <= 0xdfff)
        return false;
      if (u >= 0xd800 && u <= 0xdbff)
        {
          if (n - i < 12 || raw[i + 6] != '\\' || raw[i + 7] != 'u')
            return false;
          unsigned lo = hex4 (raw + i + 8);
          if (lo < 0xdc00 || lo > 0xdfff)
            return false;
          i += 6;
        }
      i += 5;
    }
  return true;
}

static bool
same_text_as_go (struct parse_ctx *c, size_t start, const unsigned char *s, size_t l)
{
  if (!utf8_well_formed (s, l))
    return false;
  size_t end = cur_offset (c);
  if (end <= start + 1 || memchr (c->buf + start, '\\', end - start) == NULL)
    return true;
  return escapes_paired (c->buf + start + 1, end - start - 2);
}

static size_t
value_start (struct parse_ctx *c, const ocigate_json_t *v)
{
  size_t end = cur_offset (c), n;
  switch (v->type)
    {
    case OJ_STRING:
      return string_start (c);
    case OJ_NUMBER:
      n = v->u.str.len;
      break;
    case OJ_FALSE:
      n = 5;
      break;
    case OJ_TRUE:
    case OJ_NULL:
      n = 4;
      break;
    default:
      n = 1; /* the opening bracket */
      break;
    }
  return end >= n ? end - n : 0;
}

static int
add_value (struct parse_ctx *c, ocigate_json_t *v)
{
  v->offset = value_start (c, v);
  if (c->depth == 0)
    {
      c->doc->root = v;
      return 1;
    }
  ocigate_json_t *parent = c->stack[c->depth - 1];
  if (parent->type == OJ_ARRAY)
    oj_append (c->doc, parent, v);
  else
    {
      obj_push (c->doc, parent, c->key, c->klen, c->key_offset, v);
      c->key = NULL;
    }
  return 1;
}

static int
cb_null (void *ctx)
{
  struct parse_ctx *c = ctx;
  return add_value (c, oj_new (c->doc, OJ_NULL));
}

static int
cb_boolean (void *ctx, int b)
{
  struct parse_ctx *c = ctx;
  return add_value (c, oj_new (c->doc, b ? OJ_TRUE : OJ_FALSE));
}

static int
cb_number (void *ctx, const char *s, size_t l)
{
  struct parse_ctx *c = ctx;
  ocigate_json_t *n = oj_new (c->doc, OJ_NUMBER);
  n->u.str.s = oj_arena_strdup (c->doc, s, l);
  n->u.str.len = l;
  return add_value (c, n);
}

static int
cb_string (void *ctx, const unsigned char *s, size_t l)
{
  struct parse_ctx *c = ctx;
  /* A \u0000 escape would truncate the string for every C consumer. */
  if (memchr (s, '\0', l))
    return fail (c, cur_offset (c), xstrdup ("string contains a NUL character"));
  size_t start = string_start (c);
  if (!same_text_as_go (c, start, s, l))
    return fail (c, start, xstrdup (not_unicode));
  ocigate_json_t *n = oj_new (c->doc, OJ_STRING);
  n->u.str.s = oj_arena_strdup (c->doc, (const char *)s, l);
  n->u.str.len = l;
  return add_value (c, n);
}

static int
push (struct parse_ctx *c, ocigate_json_type_t t)
{
  if (c->depth >= c->max_depth)
    return fail (c, cur_offset (c), xasprintf ("nesting deeper than %zu levels", c->max_depth));
  ocigate_json_t *n = oj_new (c->doc, t);
  add_value (c, n);
  c->stack[c->depth++] = n;
  return 1;
}

static int
cb_start_map (void *ctx)
{
  return push (ctx, OJ_OBJECT);
}

static int
cb_start_array (void *ctx)
{
  return push (ctx, OJ_ARRAY);
}

static int
cb_map_key (void *ctx, const unsigned char *s, size_t l)
{
  struct parse_ctx *c = ctx;
  if (memchr (s, '\0', l))
    return fail (c, cur_offset (c), xstrdup ("key contains a NUL character"));
  c->key_offset = string_start (c);
  if (!same_text_as_go (c, c->key_offset, s, l))
    return fail (c, c->key_offset, xstrdup (not_unicode));
  c->key = oj_arena_strdup (c->doc, (const char *)s, l);
  c->klen = l;
  return 1;
}

static int
member_cmp (const void *a, const void *b)
{
  const ocigate_json_member_t *x = *(ocigate_json_member_t *const *)a;
  const ocigate_json_member_t *y = *(ocigate_json_member_t *const *)b;
  size_t l = x->klen < y->klen ? x->klen : y->klen;
  int r = memcmp (x->key, y->key, l);
  if (r)
    return r;
  if (x->klen != y->klen)
    return x->klen < y->klen ? -1 : 1;
  /* Equal keys: order by position so the later one is reported. */
  return x < y ? -1 : x > y;
}

static int
dup_key (struct parse_ctx *c, const ocigate_json_member_t *m)
{
  return fail (c, m->val->offset, xasprintf ("duplicate key \"%.*s\"", (int)m->klen, m->key));
}

static int
cb_end_map (void *ctx)
{
  struct parse_ctx *c = ctx;
  ocigate_json_t *obj = c->stack[--c->depth];
  size_t n = obj->u.obj.n;
  ocigate_json_member_t *m = obj->u.obj.m;

  /* Duplicate keys: pairwise for small objects, sorted for large ones so a
   * hostile file with many members stays O(n log n). */
  if (n <= 16)
    {
      for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
          if (m[i].klen == m[j].klen && memcmp (m[i].key, m[j].key, m[i].klen) == 0)
            return dup_key (c, &m[i]);
      return 1;
    }
  ocigate_json_member_t **v = xmalloc (n * sizeof (*v));
  for (size_t i = 0; i < n; i++)
    v[i] = &m[i];
  qsort (v, n, sizeof (*v), member_cmp);
  for (size_t i = 1; i < n; i++)
    if (v[i]->klen == v[i - 1]->klen && memcmp (v[i]->key, v[i - 1]->key, v[i]->klen) == 0)
      {
        const ocigate_json_member_t *d = v[i];
        free (v);
        return dup_key (c, d);
      }
  free (v);
  return 1;
}

static int
cb_end_array (void *ctx)
{
  struct parse_ctx *c = ctx;
  c->depth--;
  return 1;
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end_map,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end_array,
};

static void
record_lines (ocigate_doc_t *doc, const char *buf, size_t len)
{
  size_t n = 1;
  for (const char *p = buf; (p = memchr (p, '\n', (size_t)(buf + len - p))) != NULL; p++)
    n++;
  doc->line_starts = xmalloc (n * sizeof (size_t));
  doc->nlines = 0;
  doc->line_starts[doc->nlines++] = 0;
  for (const char *p = buf; (p = memchr (p, '\n', (size_t)(buf + len - p))) != NULL; p++)
    doc->line_starts[doc->nlines++] = (size_t)(p - buf) + 1;
}

/* yajl's messages come with a trailing newline and sometimes a dump of the
 * input; keep the first line only. */
static char *
yajl_message (yajl_handle h)
{
  unsigned char *m = yajl_get_error (h, 0, NULL, 0);
  size_t l = strcspn ((char *)m, "\n");
  char *r = xstrndup ((char *)m, l);
  yajl_free_error (h, m);
  return r;
}

ocigate_doc_t *
ocigate_json_parse (const char *buf, size_t len, const ocigate_json_parse_opts_t *opts,
                    ocigate_error_t *err)
{
  const char *name = opts && opts->name ? opts->name : "<input>";
  size_t max_depth = opts && opts->max_depth ? opts->max_depth : 64;
  ocigate_doc_t *doc = ocigate_doc_new ();
  struct parse_ctx c = { .doc = doc, .buf = buf, .max_depth = max_depth };
  unsigned line, col;
  size_t i;

  for (i = 0; i < len; i++)
    if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
      break;
  if (i == len)
    {
      ocigate_doc_free (doc);
      ocigate_make_error (err, 0, "`%s`: empty file, expected a JSON object", name);
      return NULL;
    }
  const char *nul = memchr (buf, '\0', len);
  if (nul)
    {
      position_in (buf, len, (size_t)(nul - buf), &line, &col);
      ocigate_doc_free (doc);
      ocigate_make_error (err, 0, "`%s`: line %u, column %u: NUL byte in JSON text", name, line,
                          col);
      return NULL;
    }

  c.stack = xmalloc ((max_depth + 1) * sizeof (*c.stack));
  c.h = yajl_alloc (&callbacks, NULL, &c);
  yajl_config (c.h, yajl_allow_comments, opts && opts->allow_comments ? 1 : 0);
  yajl_status st = yajl_parse (c.h, (const unsigned char *)buf, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (c.h);
  if (st != yajl_status_ok || c.error)
    {
      char *msg = c.error;
      size_t off = c.error_offset;
      if (msg == NULL)
        {
          msg = yajl_message (c.h);
          off = yajl_get_bytes_consumed (c.h);
          /* yajl_complete_parse reports truncation at offset 0. */
          if (st == yajl_status_error && off == 0 && c.doc->root != NULL)
            off = len;
        }
      position_in (buf, len, off, &line, &col);
      ocigate_make_error (err, 0, "`%s`: line %u, column %u: %s", name, line, col, msg);
      free (msg);
      yajl_free (c.h);
      free (c.stack);
      ocigate_doc_free (doc);
      return NULL;
    }
  yajl_free (c.h);
  free (c.stack);
  record_lines (doc, buf, len);
  return doc;
}

/* ---- generator ---- */

static int
gen_node (yajl_gen g, const ocigate_json_t *n)
{
  int r = yajl_gen_status_ok;
  switch (n->type)
    {
    case OJ_NULL:
      return yajl_gen_null (g);
    case OJ_FALSE:
      return yajl_gen_bool (g, 0);
    case OJ_TRUE:
      return yajl_gen_bool (g, 1);
    case OJ_NUMBER:
      return yajl_gen_number (g, n->u.str.s, n->u.str.len);
    case OJ_STRING:
      return yajl_gen_string (g, (const unsigned char *)n->u.str.s, n->u.str.len);
    case OJ_OBJECT:
      if ((r = yajl_gen_map_open (g)) != yajl_gen_status_ok)
        return r;
      for (size_t i = 0; i < n->u.obj.n; i++)
        {
          r = yajl_gen_string (g, (const unsigned char *)n->u.obj.m[i].key, n->u.obj.m[i].klen);
          if (r != yajl_gen_status_ok
              || (r = gen_node (g, n->u.obj.m[i].val)) != yajl_gen_status_ok)
            return r;
        }
      return yajl_gen_map_close (g);
    case OJ_ARRAY:
      if ((r = yajl_gen_array_open (g)) != yajl_gen_status_ok)
        return r;
      for (size_t i = 0; i < n->u.arr.n; i++)
        if ((r = gen_node (g, n->u.arr.v[i])) != yajl_gen_status_ok)
          return r;
      return yajl_gen_array_close (g);
    }
  return r;
}

int
ocigate_json_serialize (const ocigate_json_t *node, bool pretty, char **ret_buf, size_t *ret_len,
                        ocigate_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *out;
  size_t len;

  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "\t");
    }
  int r = gen_node (g, node);
  if (r != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return ocigate_make_error (err, 0, "cannot serialise JSON: %s",
                                 r == yajl_gen_invalid_string ? "invalid UTF-8 in a string"
                                                              : "generator error");
    }
  yajl_gen_get_buf (g, &out, &len);
  char *buf = xmalloc (len + 2);
  memcpy (buf, out, len);
  if (pretty && (len == 0 || buf[len - 1] != '\n'))
    buf[len++] = '\n';
  buf[len] = '\0';
  yajl_gen_free (g);
  *ret_buf = buf;
  *ret_len = len;
  return 0;
}

void
ocigate_pointer_append (strbuf_t *b, const char *token)
{
  strbuf_append (b, "/", 1);
  for (const char *p = token; *p; p++)
    {
      if (*p == '~')
        strbuf_append (b, "~0", 2);
      else if (*p == '/')
        strbuf_append (b, "~1", 2);
      else
        strbuf_append (b, p, 1);
    }
}

void
oj_push (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, size_t klen, size_t koffset,
         ocigate_json_t *val)
{
  obj_push (doc, obj, oj_arena_strdup (doc, key, klen), klen, koffset, val);
}
