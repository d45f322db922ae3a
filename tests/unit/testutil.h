/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_TESTUTIL_H
#define OCIGATE_TESTUTIL_H

#include <check.h>

#include "engine-internal.h"

/* The dangerous syscalls of the spec (section 4), in its order: the one
 * copy every test uses. */
extern const char *const tu_dangerous[];
extern const size_t tu_n_dangerous;

/* A config that the restricted policy accepts without a single finding:
 * non-root, no capabilities, read-only root, no_new_privs, the embedded
 * seccomp profile, the default masked paths, every namespace. */
const char *tu_base_json (void);

/* Parse a config strictly with the default policy; fails the test on error. */
ocigate_doc_t *tu_parse (const char *json);
/* The base config as a document. */
ocigate_doc_t *tu_base (void);
/* Set a value (JSON text) at a '/'-separated path, creating objects on the
 * way; a numeric component indexes an array ("mounts/0/source"). */
void tu_set (ocigate_doc_t *doc, const char *path, const char *json);
/* Remove the member at path. */
void tu_del (ocigate_doc_t *doc, const char *path);
/* Append a JSON value to the array at path (created if absent). */
void tu_append (ocigate_doc_t *doc, const char *path, const char *json);

/* A substitute host: LSM state as the test says. */
typedef struct
{
  bool apparmor;
  int apparmor_loaded; /* 1, 0, -1 */
  bool selinux;
  const char *lxc_contexts; /* text of the host's lxc_contexts; NULL: none */
} tu_host_t;
const ocigate_host_ops_t *tu_host (tu_host_t h);

/* Evaluate doc with pol (NULL: default) and opts (NULL: lexical, no host). */
void tu_eval (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
              ocigate_result_t *res);
/* Evaluate, then apply the rewrites. */
void tu_rewrite (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
                 ocigate_result_t *res);

/* Number of findings of a rule (any action), and whether one exists with
 * this action and pointer (NULL: any pointer). */
size_t tu_count (const ocigate_result_t *res, const char *rule);
bool tu_has (const ocigate_result_t *res, const char *rule, ocigate_action_t action,
             const char *pointer);
/* The message of the one finding of rule (at most one is expected), or
 * NULL; evaluated with pol and opts (caller frees). */
char *tu_message (ocigate_doc_t *doc, const ocigate_policy_t *pol, const ocigate_eval_opts_t *opts,
                  const char *rule);
/* All findings as text, for failure messages. */
char *tu_dump (const ocigate_result_t *res);

/* Serialise a node compactly (caller frees). */
char *tu_json (const ocigate_json_t *n);
/* Compact JSON of the node at path. */
char *tu_json_at (ocigate_doc_t *doc, const char *path);

/* Parse a policy from JSON text; fails the test on error. */
ocigate_policy_t *tu_policy (const char *json);
/* The default policy (embedded restricted). */
ocigate_policy_t *tu_default_policy (void);

/* Run a suite with TAP output; returns the process exit code. */
int tu_run (Suite *s);

#define ck_assert_finding(res, rule, action, ptr)                                                  \
  do                                                                                               \
    {                                                                                              \
      if (!tu_has ((res), (rule), (action), (ptr)))                                                \
        {                                                                                          \
          char *d_ = tu_dump (res);                                                                \
          ck_abort_msg ("expected %s %s at %s; findings:\n%s", rule, ocigate_action_name (action), \
                        (ptr) ? (ptr) : "*", d_);                                                  \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define ck_assert_no_finding(res, rule)                                                            \
  do                                                                                               \
    {                                                                                              \
      if (tu_count ((res), (rule)) != 0)                                                           \
        {                                                                                          \
          char *d_ = tu_dump (res);                                                                \
          ck_abort_msg ("expected no %s finding; findings:\n%s", rule, d_);                        \
        }                                                                                          \
    }                                                                                              \
  while (0)

#endif
