/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_ENGINE_H
#define OCIGATE_ENGINE_H

#include <stdio.h>

#include "ocigate/policy.h"

/* What the engine needs to know about the host's LSMs.  One small
 * interface so tests can substitute a host with AppArmor or SELinux on;
 * the shipped binary always uses ocigate_host_real. */
typedef struct
{
  bool (*apparmor_enabled) (void);
  /* 1 loaded, 0 not loaded, negative: cannot tell */
  int (*apparmor_profile_loaded) (const char *profile);
  bool (*selinux_enabled) (void);
  /* A fresh container process label (type overridable) and its mount label. */
  int (*selinux_labels) (const char *type, char **ret_process, char **ret_mount,
                         ocigate_error_t *err);
  /* 0 when the context is valid on this host */
  int (*selinux_check_context) (const char *ctx);
  /* The text of the host's lxc_contexts (caller frees); negative when the
   * host has none.  May be NULL: no file. */
  int (*selinux_lxc_contexts) (char **ret_text);
} ocigate_host_ops_t;

extern const ocigate_host_ops_t ocigate_host_real;

/* Who the container is, from the annotations the engine itself sets
 * (docs/what-the-gate-judges.md, "Identity and exemptions").  Fields are
 * NULL unless the engine's keys were believed. */
typedef struct
{
  const char *namespace, *pod, *container, *container_type, *image; /* borrowed */
  const char *pod_uid, *sandbox_id; /* the pod's kubelet uid, the engine's sandbox id */
  const char *engine;               /* "containerd", "cri-o", or NULL */
  /* Runtime mode: the call (bundle location, --root, container id) is the
   * one this engine makes; false offline, where only the keys are seen. */
  bool caller_checked;
  const char *distrust; /* static: why keys naming an identity were not believed, or NULL */
} ocigate_context_t;

typedef struct
{
  ocigate_rule_id_t rule;
  ocigate_action_t action;
  char *pointer; /* JSON pointer of the offending field */
  char *message;
  const char *fix; /* static: a hint for this case, NULL: the rule's (ocigate_finding_fix) */
} ocigate_finding_t;

/* The fix hint of a finding: its own where the rule's would mislead. */
const char *ocigate_finding_fix (const ocigate_finding_t *f);

typedef struct
{
  ocigate_finding_t *f;
  size_t n, cap;
  ocigate_context_t ctx;
  const char *policy_name; /* borrowed */
  ocigate_preset_t preset; /* effective (after exemptions) */
  int exemption;           /* index of the matching exemption, or -1 */
  ocigate_mode_t mode;
  bool reject;  /* a reject finding in enforce mode */
  bool changed; /* rewrites were applied */
  char *note;   /* owned: decisions worth auditing that are not findings */
} ocigate_result_t;

void ocigate_result_free (ocigate_result_t *r);

typedef struct
{
  const char *name;               /* file name for messages */
  const char *bundle;             /* directory that relative root.path is resolved against */
  bool host_checks;               /* namespace inodes, symlinks, LSM state */
  const ocigate_host_ops_t *host; /* NULL: ocigate_host_real */
  /* Runtime mode: how the runtime was called.  The identity an engine's
   * annotations claim counts only when the call is the one that engine
   * makes (its bundle directory, --root and container id). */
  bool runtime_call;
  const char *container_id; /* the ID argument of create/run/restore/exec */
  const char *runtime_root; /* runc --root as given (NULL: absent, runc uses /run/runc) */
} ocigate_eval_opts_t;

/* Parse a config.json strictly: JSON errors and wrong types of the fields
 * decisions rest on are errors naming the file and JSON pointer. */
ocigate_doc_t *ocigate_config_parse (const char *buf, size_t len, const ocigate_policy_t *pol,
                                     const char *name, ocigate_error_t *err);
/* The same for an `exec --process` file. */
ocigate_doc_t *ocigate_process_parse (const char *buf, size_t len, const ocigate_policy_t *pol,
                                      const char *name, ocigate_error_t *err);

/* Evaluate every rule (pure: no writes).  Fills res; returns <0 on error. */
int ocigate_evaluate (const ocigate_policy_t *pol, ocigate_doc_t *doc,
                      const ocigate_eval_opts_t *opts, ocigate_result_t *res, ocigate_error_t *err);
/* Apply the rewrites decided by ocigate_evaluate to doc (enforce mode,
 * not rejected).  Records annotation ocigate.rewrites. */
int ocigate_apply (const ocigate_policy_t *pol, ocigate_doc_t *doc, const ocigate_eval_opts_t *opts,
                   ocigate_result_t *res, ocigate_error_t *err);

/* Evaluate a process (exec --process) against the process rules, with the
 * container's own config as the ceiling.  Clamps in place when allowed. */
int ocigate_evaluate_process (const ocigate_policy_t *pol, ocigate_doc_t *process,
                              ocigate_doc_t *container, const ocigate_eval_opts_t *opts,
                              ocigate_result_t *res, ocigate_error_t *err);
int ocigate_apply_process (const ocigate_policy_t *pol, ocigate_doc_t *process,
                           ocigate_doc_t *container, const ocigate_eval_opts_t *opts,
                           ocigate_result_t *res, ocigate_error_t *err);

typedef struct
{
  const char *id;
  const char *description;
  int8_t defaults[OCIGATE_PRESET_COUNT];
  const char *fix;
} ocigate_rule_info_t;

const ocigate_rule_info_t *ocigate_rule_info (ocigate_rule_id_t id);
bool ocigate_rule_can_rewrite (ocigate_rule_id_t id);
int ocigate_rule_lookup (const char *id);

/* One line per finding, most severe first: "ocigate: rejected by policy P:
 * rule: msg at /ptr; fix: ..." */
char *ocigate_result_message (const ocigate_result_t *res);

/* Reports for validate. */
typedef enum
{
  OCIGATE_FORMAT_TEXT,
  OCIGATE_FORMAT_JSON,
  OCIGATE_FORMAT_SARIF
} ocigate_format_t;

typedef struct
{
  char *path;
  ocigate_result_t res;
  char *error;   /* set when the file could not be judged */
  char *file;    /* the file read (a bundle's config.json), or NULL: path */
  unsigned *pos; /* owned: line and column of each finding (2 per finding, 0: unknown) */
} ocigate_report_item_t;

/* Where in doc (as parsed, before rewrites) each finding of it->res points:
 * the member's key, or the deepest part of the pointer that exists. */
void ocigate_report_locate (ocigate_report_item_t *it, ocigate_doc_t *doc);
int ocigate_report_write (FILE *out, ocigate_format_t fmt, const ocigate_report_item_t *items,
                          size_t n, ocigate_error_t *err);
/* SARIF's view of a finding's action (reject: error; rewrite and warn:
 * warning) and the documentation of a rule (docs/errors.md#ID); the
 * returned string is owned by the caller. */
const char *ocigate_sarif_level (ocigate_action_t a);
char *ocigate_rule_help_uri (ocigate_rule_id_t id);

#endif
