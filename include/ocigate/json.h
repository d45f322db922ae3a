/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_JSON_H
#define OCIGATE_JSON_H

#include "ocigate/util.h"

/* A JSON document kept as a tree that preserves member order, unknown
 * members and number spelling, so a rewrite changes only what a rule
 * owns.  Nodes live in the document's arena and are freed with it. */
typedef enum
{
  OJ_NULL,
  OJ_FALSE,
  OJ_TRUE,
  OJ_NUMBER,
  OJ_STRING,
  OJ_OBJECT,
  OJ_ARRAY,
} ocigate_json_type_t;

typedef struct ocigate_json_s ocigate_json_t;
typedef struct
{
  const char *key;
  size_t klen;
  size_t koffset; /* byte offset of the key in the source (0 for a built member) */
  ocigate_json_t *val;
} ocigate_json_member_t;

struct ocigate_json_s
{
  ocigate_json_type_t type;
  size_t offset; /* byte offset in the source, for line/column errors */
  union
  {
    struct
    {
      const char *s; /* string bytes (no NUL inside), or number text */
      size_t len;
    } str;
    struct
    {
      ocigate_json_member_t *m;
      size_t n, cap;
    } obj;
    struct
    {
      ocigate_json_t **v;
      size_t n, cap;
    } arr;
  } u;
};

typedef struct ocigate_doc_s ocigate_doc_t;

typedef struct
{
  const char *name;    /* file name for messages */
  size_t max_depth;    /* 0: 64 */
  bool allow_comments; /* policy files only: config.json must be plain JSON */
} ocigate_json_parse_opts_t;

/* Parse buf (len bytes).  Rejects duplicate keys, NUL bytes, invalid UTF-8
 * and nesting beyond max_depth; errors name the file, line and column. */
ocigate_doc_t *ocigate_json_parse (const char *buf, size_t len,
                                   const ocigate_json_parse_opts_t *opts, ocigate_error_t *err);
ocigate_doc_t *ocigate_doc_new (void);
void ocigate_doc_free (ocigate_doc_t *doc);
ocigate_json_t *ocigate_doc_root (ocigate_doc_t *doc);
void ocigate_doc_set_root (ocigate_doc_t *doc, ocigate_json_t *root);
/* Line and column (1-based) of a byte offset in the parsed source. */
void ocigate_doc_position (const ocigate_doc_t *doc, size_t offset, unsigned *line, unsigned *col);
static inline void
cleanup_docp (ocigate_doc_t **d)
{
  ocigate_doc_free (*d);
}
#define cleanup_doc __attribute__ ((cleanup (cleanup_docp)))

/* Lookups (NULL when absent or node is not an object/array). */
ocigate_json_t *oj_get (const ocigate_json_t *obj, const char *key);
ocigate_json_t *oj_at (const ocigate_json_t *arr, size_t i);
/* Path lookup with keys separated by '/', e.g. "process/user/uid". */
ocigate_json_t *oj_path (const ocigate_json_t *root, const char *path);
static inline size_t
oj_len (const ocigate_json_t *n)
{
  if (n == NULL)
    return 0;
  return n->type == OJ_ARRAY ? n->u.arr.n : n->type == OJ_OBJECT ? n->u.obj.n : 0;
}
static inline bool
oj_is (const ocigate_json_t *n, ocigate_json_type_t t)
{
  return n != NULL && n->type == t;
}
static inline bool
oj_is_bool (const ocigate_json_t *n)
{
  return n != NULL && (n->type == OJ_TRUE || n->type == OJ_FALSE);
}
/* String value (NUL-terminated in the arena) or NULL. */
const char *oj_str (const ocigate_json_t *n);
bool oj_str_eq (const ocigate_json_t *n, const char *s);
/* Integer value; returns false when the node is not an integer literal
 * or does not fit int64. */
bool oj_int (const ocigate_json_t *n, int64_t *ret);
const char *oj_type_name (ocigate_json_type_t t);

/* Construction and edits (allocate in doc's arena). */
ocigate_json_t *oj_new (ocigate_doc_t *doc, ocigate_json_type_t t);
ocigate_json_t *oj_new_string (ocigate_doc_t *doc, const char *s);
ocigate_json_t *oj_new_int (ocigate_doc_t *doc, int64_t v);
ocigate_json_t *oj_new_bool (ocigate_doc_t *doc, bool v);
/* Set key in obj (replacing in place to keep member order, else append). */
void oj_set (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, ocigate_json_t *val);
/* Get obj[key] as an object, creating it (or replacing a null) if absent. */
ocigate_json_t *oj_ensure_object (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key);
ocigate_json_t *oj_ensure_array (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key);
bool oj_remove (ocigate_json_t *obj, const char *key);
/* Append a member without looking for the key first (the caller has
 * ruled out duplicates): linear building of large objects. */
void oj_push (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, size_t klen, size_t koffset,
              ocigate_json_t *val);
void oj_append (ocigate_doc_t *doc, ocigate_json_t *arr, ocigate_json_t *val);
void oj_remove_at (ocigate_json_t *arr, size_t i);
/* Deep copy of a node (possibly from another document) into doc. */
ocigate_json_t *oj_copy (ocigate_doc_t *doc, const ocigate_json_t *src);
bool oj_equal (const ocigate_json_t *a, const ocigate_json_t *b);
char *oj_arena_strdup (ocigate_doc_t *doc, const char *s, size_t n);

/* Serialise with yajl_gen (UTF-8 validated).  Returns a malloc'd buffer. */
int ocigate_json_serialize (const ocigate_json_t *node, bool pretty, char **ret_buf,
                            size_t *ret_len, ocigate_error_t *err);

/* JSON pointer escaping (RFC 6901) of one reference token, appended. */
void ocigate_pointer_append (strbuf_t *b, const char *token);

#endif
