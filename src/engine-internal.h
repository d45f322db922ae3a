/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_ENGINE_INTERNAL_H
#define OCIGATE_ENGINE_INTERNAL_H

#include "ocigate/engine.h"

/* State shared by the rule functions during one evaluation. */
struct eval
{
  const ocigate_policy_t *pol;
  const ocigate_eval_opts_t *opts;
  const ocigate_host_ops_t *host;
  ocigate_doc_t *doc;
  ocigate_json_t *root;
  ocigate_result_t *res;
  int8_t actions[OCIGATE_RULE_COUNT]; /* effective, after preset and exemption */
  uint64_t caps_allowed;              /* effective capability mask */
  ocigate_rule_id_t rule;             /* the rule being evaluated */
  bool process_only;                  /* exec --process: only process rules */
  ocigate_json_t *ceiling;            /* exec: the container's process object */
  const ocigate_json_t *croot;        /* the container config: user namespace, annotations */
};

typedef int (*rule_fn) (struct eval *e, ocigate_error_t *err);

struct rule_def
{
  rule_fn check;
  rule_fn fix;       /* NULL: the rule cannot rewrite (reject instead) */
  bool process_rule; /* also judged for exec --process */
};

extern const struct rule_def ocigate_rules[OCIGATE_RULE_COUNT];

/* Record a finding for e->rule with its effective action (or `action`
 * where a rule escalates, e.g. unknown capability names reject where the
 * rule would rewrite; a rule set to warn or off stays so). */
void finding (struct eval *e, const char *pointer, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void finding_action (struct eval *e, ocigate_action_t action, const char *pointer, const char *fmt,
                     ...) __attribute__ ((format (printf, 4, 5)));
/* As finding, with a fix hint for this case where the rule's general one
 * would name the wrong cause. */
void finding_fix (struct eval *e, const char *fix, const char *pointer, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* The same for what was recorded since mark (e->res->n before the call),
 * after finding_action. */
void finding_hint (struct eval *e, size_t mark, const char *fix);
char *ptrf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* rule check/fix functions, one file per family */
#define RULE_FNS(name)                                                                             \
  int check_##name (struct eval *e, ocigate_error_t *err);                                         \
  int fix_##name (struct eval *e, ocigate_error_t *err)
RULE_FNS (root_user);
RULE_FNS (root_group);
RULE_FNS (privileged);
RULE_FNS (host_namespaces);
RULE_FNS (host_mounts);
RULE_FNS (kernel_mounts);
RULE_FNS (devices);
RULE_FNS (hooks);
RULE_FNS (sysctls);
RULE_FNS (capabilities);
RULE_FNS (no_new_privileges);
RULE_FNS (readonly_rootfs);
RULE_FNS (seccomp);
RULE_FNS (apparmor);
RULE_FNS (selinux);
RULE_FNS (masked_paths);
RULE_FNS (userns_host_root);
RULE_FNS (proc_fd_cwd);
RULE_FNS (image_registry);
RULE_FNS (root_path);
RULE_FNS (net_devices);
RULE_FNS (mount_propagation);
RULE_FNS (runtime_annotations);
RULE_FNS (process_limits);
RULE_FNS (cgroups_path);
RULE_FNS (resource_limits);

/* The process object under judgement: config.process, or the exec
 * process document's root. */
ocigate_json_t *eval_process (struct eval *e);

/* caps.c: libcap adapter */
int ocigate_cap_from_name (const char *name); /* -1: not an exact CAP_ name libcap knows */
const char *ocigate_cap_name (int cap, char buf[64]);
int ocigate_cap_kernel_count (void);
uint64_t ocigate_caps_preset (ocigate_preset_t p);
int ocigate_caps_mask (const ocigate_strlist_t *names, uint64_t *ret, ocigate_error_t *err);

int ocigate_caps_count (const ocigate_json_t *set);

/* mounts helpers (rules-mounts.c; ocigate_host_path in mounts.c) */
bool ocigate_mount_is_bind (const ocigate_json_t *m);
/* normalised host path (lexical; resolving symlinks on the host when asked) */
char *ocigate_host_path (const char *path, bool resolve);
/* Is this normalised host path sensitive?  Returns the sensitive path it
 * hits, or NULL. */
const char *ocigate_sensitive_path (const ocigate_policy_t *pol, const char *path);

/* seccomp.c */
/* The policy's default profile (the embedded one unless it names its own). */
const ocigate_json_t *ocigate_seccomp_default (const ocigate_policy_t *pol);
/* Names of a profile that libseccomp cannot resolve for arch_token,
 * space-separated into out; returns their count, -1 for an unknown arch. */
int ocigate_seccomp_unresolved (const ocigate_json_t *profile, const char *arch_token,
                                strbuf_t *out);

/* A path walked component by component the way the kernel resolves it
 * through /proc, instead of normalising it lexically: '..' pops one
 * component, the links /proc/self, /proc/thread-self and /proc/net lead
 * into the walking process's own directory ("self" stands for its pid),
 * and /proc/P/root leads back to "/" where the walk knows that root is the
 * caller's (any_root: every process's, as inside the container; else
 * only self's and 1's).  stop, when given, is asked after every step and
 * ends the walk (returning true) when it says so.  Components point into
 * path; only the first OCIGATE_PROC_DEPTH are kept. */
#define OCIGATE_PROC_DEPTH 8
typedef struct
{
  const char *c[OCIGATE_PROC_DEPTH];
  size_t l[OCIGATE_PROC_DEPTH];
  int n; /* depth */
} ocigate_proc_walk_t;
bool ocigate_proc_walk (const char *path, bool any_root,
                        bool (*stop) (const ocigate_proc_walk_t *w), ocigate_proc_walk_t *w);
bool ocigate_proc_walk_is (const ocigate_proc_walk_t *w, int i, const char *s);
/* a pid: digits, or "self" */
bool ocigate_proc_walk_pid (const ocigate_proc_walk_t *w, int i);

/* Is uid 0 (container) host root given the config's user namespace? */
bool ocigate_maps_to_host_root (const ocigate_json_t *root, const char *mappings, int64_t id);

/* rules-process.c / rules-linux.c: joined namespaces, groups, sysctls */
/* The path of a user namespace the config joins, or NULL. */
const char *ocigate_joined_userns (const ocigate_json_t *root);
/* The real uid_map/gid_map ("uid_map", "gid_map") of the user namespace at
 * path, with host ids in the second column. */
int ocigate_userns_read_map (const char *path, const char *file, char **ret, ocigate_error_t *err);
bool ocigate_kernel_map_has_root (const char *map);
/* The supplementary gids runc 1.1.5 applies for the requested ones (n,
 * e.g. from additionalGids or `exec -g`), each looked up first as a group
 * NAME, then as a gid, in rootfs/etc/group (opened without leaving
 * rootfs: /proc/PID/root of a running container works too); ret[i] is
 * what want[i] becomes.  ret may be want. */
int ocigate_groups_resolve (const char *rootfs, const int64_t *want, size_t n, int64_t *ret,
                            ocigate_error_t *err);
/* The /proc/sys file runc writes for a sysctl name (normalised). */
char *ocigate_sysctl_path (const char *name);

#endif
