/* SPDX-License-Identifier: Apache-2.0 */
/* Go's encoding/json (fold.go) binds an object key to a struct field by
 * its exact name, else by a case-insensitive match: ASCII letters in
 * either case, and the two non-ASCII runes whose case folding reaches an
 * ASCII letter, U+212A KELVIN SIGN (k) and U+017F LATIN SMALL LETTER LONG
 * S (s).  Other bytes must be equal.  Field names are ASCII, so a key
 * folds to a byte string that is compared with the lowercased name. */
#include "config.h"

#include <string.h>

#include "spec-internal.h"

/* The next folded byte of key at *i, or -1 at the end. */
static int
fold_next (const unsigned char *k, size_t len, size_t *i)
{
  if (*i >= len)
    return -1;
  unsigned char c = k[*i];
  if (c >= 'A' && c <= 'Z')
    {
      (*i)++;
      return c - 'A' + 'a';
    }
  if (c == 0xe2 && *i + 2 < len && k[*i + 1] == 0x84 && k[*i + 2] == 0xaa)
    {
      *i += 3;
      return 'k';
    }
  if (c == 0xc5 && *i + 1 < len && k[*i + 1] == 0xbf)
    {
      *i += 2;
      return 's';
    }
  (*i)++;
  return c;
}

/* Compare the folded key with the lowercased name, as strcmp does. */
static int
fold_cmp (const unsigned char *key, size_t klen, const char *name)
{
  size_t i = 0;
  for (const unsigned char *n = (const unsigned char *)name;; n++)
    {
      int a = fold_next (key, klen, &i);
      int b = *n >= 'A' && *n <= 'Z' ? *n - 'A' + 'a' : *n;
      if (a < 0)
        return b == 0 ? 0 : -1;
      if (b == 0)
        return 1;
      if (a != b)
        return a < b ? -1 : 1;
    }
}

const struct ocigate_spec_field *
ocigate_spec_bind (int obj, const char *key, size_t klen, bool *ret_exact)
{
  const struct ocigate_spec_object *o = &ocigate_spec_objects[obj];
  size_t lo = 0, hi = o->n;
  /* No field name is longer than 64 bytes; a folded key is at least a
   * third of its length, so a longer key binds to nothing. */
  if (klen > 3 * 64)
    return NULL;
  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      int c = fold_cmp ((const unsigned char *)key, klen, o->f[mid].name);
      if (c == 0)
        {
          *ret_exact = klen == o->f[mid].len && memcmp (key, o->f[mid].name, klen) == 0;
          return &o->f[mid];
        }
      if (c < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return NULL;
}
