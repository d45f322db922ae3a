/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_K8S_INTERNAL_H
#define OCIGATE_K8S_INTERNAL_H

#include <stdio.h>

#include "ocigate/engine.h"

/* ---- k8s-yaml.c: YAML (and JSON) manifests as JSON trees ---- */

/* A node's offset holds its position in the manifest: line and column,
 * both 1-based (members' koffset the same for their key). */
#define K8S_POS(line, col) (((size_t)(line) << 24) | ((size_t)(col)&0xffffff))
#define K8S_LINE(pos) ((unsigned)((pos) >> 24))
#define K8S_COL(pos) ((unsigned)((pos)&0xffffff))

/* Bounds on a manifest file: bytes, nesting, nodes made by aliases
 * (the whole stream holds at most as many nodes as bytes plus this). */
#define K8S_MAX_BYTES (8u << 20)
#define K8S_MAX_ALIAS_NODES 10000u
#define K8S_MAX_ANCHORS 1000u

typedef struct
{
  ocigate_doc_t **docs; /* owned; a document's root may be JSON null (empty document) */
  size_t n;
} k8s_stream_t;

/* Parse a YAML stream the way the Kubernetes API machinery reads it
 * (YAML 1.1 scalars: yes/no/on/off are booleans, 0755 is octal).  Errors
 * name the file, line and column: invalid YAML or UTF-8, nesting beyond
 * max_depth, alias expansion beyond the bounds, duplicate keys, merge
 * keys, non-scalar keys, NUL bytes in strings. */
int k8s_yaml_load (const char *buf, size_t len, const char *name, size_t max_depth,
                   k8s_stream_t *ret, ocigate_error_t *err);
void k8s_stream_free (k8s_stream_t *s);

/* ---- k8s-predict.c: pod spec -> the config containerd 1.6 writes ---- */

typedef struct
{
  char *path; /* YAML path, e.g. spec.template.spec.containers[1].securityContext */
  unsigned line, col;
} k8s_loc_t;

/* One container of one workload, predicted and judged. */
typedef struct
{
  size_t doc;           /* document index in the file (0-based) */
  char *kind, *name;    /* the object (owned) */
  char *namespace;      /* owned */
  char *container;      /* container name (owned) */
  k8s_loc_t where;      /* the container */
  ocigate_result_t res; /* findings on the predicted config */
  k8s_loc_t *locs;      /* res.f[i] points at locs[i] in the manifest */
  char *config;         /* the predicted config.json (owned), for tests and --debug */
} k8s_item_t;

typedef struct
{
  char *file;     /* owned */
  char *error;    /* the file could not be judged (owned) */
  size_t skipped; /* documents of kinds that run no container */
  k8s_item_t *items;
  size_t n, cap;
} k8s_file_t;

/* Judge every container of every workload in a manifest buffer. */
int k8s_judge_buffer (const ocigate_policy_t *pol, const char *buf, size_t len, const char *name,
                      k8s_file_t *out, ocigate_error_t *err);
/* Read and judge a manifest file; errors are recorded in out->error. */
void k8s_judge_file (const ocigate_policy_t *pol, const char *path, k8s_file_t *out);
void k8s_file_free (k8s_file_t *f);

/* Is PATH a Kubernetes manifest rather than a bundle or config.json?  A
 * path named *.yaml or *.yml (even a missing one), or a regular file whose
 * top level is a JSON object with string apiVersion and kind and no
 * ociVersion.  A directory or "-" never is. */
bool k8s_is_manifest (const char *path, size_t max_bytes);

/* ---- k8s-report.c ---- */
int k8s_report_write (FILE *out, ocigate_format_t fmt, const k8s_file_t *files, size_t n,
                      ocigate_error_t *err);
/* validate on manifests: judge, report, and return the exit code. */
int k8s_validate (const ocigate_policy_t *pol, ocigate_format_t fmt, char **paths, size_t n,
                  FILE *out);
/* 0 allow/rewrite, 1 a rejection, 2 an error */
int k8s_exit_code (const k8s_file_t *files, size_t n);

#endif
