/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_SPEC_INTERNAL_H
#define OCIGATE_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The objects of the OCI runtime spec as runc decodes them (Go's
 * encoding/json into the runtime-spec types): one table, generated from
 * the Go types by tests/oracle/specgen.go into src/spec-fields.c. */
enum ocigate_spec_kind
{
  SPEC_SCALAR, /* string, number, bool, or anything Go keeps whole */
  SPEC_STRUCT, /* an object of the spec: child */
  SPEC_ARRAY,  /* a list; elements are objects `child` when child >= 0 */
  SPEC_MAP,    /* an object with free keys; values are objects `child` when child >= 0 */
};

struct ocigate_spec_field
{
  const char *name; /* the JSON name, exactly as runc's types spell it */
  unsigned char len;
  unsigned char kind; /* enum ocigate_spec_kind */
  short child;        /* index into ocigate_spec_objects, or -1 */
};

struct ocigate_spec_object
{
  const char *name;                   /* Go type name */
  const struct ocigate_spec_field *f; /* sorted by ASCII-lowercased name */
  unsigned n;
};

/* Object 0 is the Spec (config.json), object 1 the Process (also an
 * exec --process file). */
enum
{
  OCIGATE_SPEC_CONFIG = 0,
  OCIGATE_SPEC_PROCESS = 1,
};

extern const struct ocigate_spec_object ocigate_spec_objects[];
extern const size_t ocigate_spec_nobjects;

/* The field of object `obj` that Go's encoding/json binds the key to: the
 * field spelled exactly so, else the one it matches case-insensitively
 * (ASCII case, U+212A KELVIN SIGN as k, U+017F LATIN SMALL LETTER LONG S
 * as s; every other byte exactly).  NULL: the key binds to nothing.
 * *ret_exact tells whether the spelling is the field's own. */
const struct ocigate_spec_field *ocigate_spec_bind (int obj, const char *key, size_t klen,
                                                    bool *ret_exact);

#endif
