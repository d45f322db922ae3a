/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_POLICY_H
#define OCIGATE_POLICY_H

#include "ocigate/json.h"

typedef enum
{
  OCIGATE_ACTION_DEFAULT = -1, /* not set: take the preset's */
  OCIGATE_ACTION_OFF = 0,
  OCIGATE_ACTION_WARN,
  OCIGATE_ACTION_REWRITE,
  OCIGATE_ACTION_REJECT,
} ocigate_action_t;

typedef enum
{
  OCIGATE_PRESET_RESTRICTED,
  OCIGATE_PRESET_BASELINE,
  OCIGATE_PRESET_PRIVILEGED,
  OCIGATE_PRESET_COUNT
} ocigate_preset_t;

typedef enum
{
  OCIGATE_MODE_ENFORCE,
  OCIGATE_MODE_WARN,
  OCIGATE_MODE_AUDIT,
} ocigate_mode_t;

/* Rule ids, in catalogue order (spec section 4). */
typedef enum
{
  R_ROOT_USER,
  R_ROOT_GROUP,
  R_PRIVILEGED,
  R_HOST_NAMESPACES,
  R_HOST_MOUNTS,
  R_KERNEL_MOUNTS,
  R_DEVICES,
  R_HOOKS,
  R_SYSCTLS,
  R_CAPABILITIES,
  R_NO_NEW_PRIVILEGES,
  R_READONLY_ROOTFS,
  R_SECCOMP,
  R_APPARMOR,
  R_SELINUX,
  R_MASKED_PATHS,
  R_USERNS_HOST_ROOT,
  R_PROC_FD_CWD,
  R_IMAGE_REGISTRY,
  R_ROOT_PATH,
  R_NET_DEVICES,
  R_MOUNT_PROPAGATION,
  R_RUNTIME_ANNOTATIONS,
  R_PROCESS_LIMITS,
  R_CGROUPS_PATH,
  R_RESOURCE_LIMITS,
  OCIGATE_RULE_COUNT
} ocigate_rule_id_t;

typedef struct
{
  char **v;
  size_t n;
} ocigate_strlist_t;

/* Free the strings and the array; the list is left empty. */
void ocigate_strlist_free (ocigate_strlist_t *l);
bool ocigate_strlist_contains (const ocigate_strlist_t *l, const char *s);
/* The same, where an entry ending in '*' matches every string it begins
 * ("dev-*": dev-a, dev-b; "*": any) */
bool ocigate_strlist_matches (const ocigate_strlist_t *l, const char *s);
/* true when the image reference s starts with one of the list's entries,
 * ending at a boundary of the reference ('/', ':', '@' or its end) */
bool ocigate_strlist_has_prefix_of (const ocigate_strlist_t *l, const char *s);

typedef struct
{
  ocigate_strlist_t namespaces, images, container_types;
  ocigate_strlist_t seccomp_allow; /* added to the policy's seccomp.allow */
  int preset;                      /* -1: keep the policy's */
  int8_t actions[OCIGATE_RULE_COUNT];
} ocigate_exemption_t;

typedef struct ocigate_policy_s
{
  char *source; /* file path, or NULL for the embedded default */
  ocigate_preset_t preset;
  ocigate_mode_t mode;
  char *runtime;
  int8_t actions[OCIGATE_RULE_COUNT]; /* OCIGATE_ACTION_DEFAULT where unset */
  bool caps_allowed_set;
  ocigate_strlist_t caps_allowed;
  uint32_t rewrite_uid, rewrite_gid;
  ocigate_strlist_t mounts_deny, mounts_allow;
  ocigate_strlist_t mounts_allowed_types; /* filesystem types host-mounts lets through */
  ocigate_strlist_t hooks_allowed;
  ocigate_strlist_t sysctls_allowed;   /* added to the Kubernetes safe set */
  char *seccomp_profile_path;          /* NULL: embedded */
  ocigate_doc_t *seccomp_profile;      /* owned, parsed profile */
  ocigate_strlist_t seccomp_dangerous; /* added to the built-in list */
  ocigate_strlist_t seccomp_allow;     /* taken off it (never its core) */
  char *apparmor_profile;
  bool apparmor_require;
  ocigate_strlist_t apparmor_allowed; /* profiles a config may name besides apparmor_profile;
                                         "NAME*" matches by prefix */
  char *selinux_type;                 /* NULL: the host's container type */
  ocigate_strlist_t selinux_allowed;  /* process types allowed besides the host's container types */
  ocigate_strlist_t images_allowed;
  ocigate_strlist_t readonly_tmpfs;
  char *readonly_tmpfs_size; /* tmpfs size= of those, "0": no cap */
  bool readonly_home;        /* a tmpfs at the process's HOME too */
  ocigate_exemption_t *exemptions;
  size_t n_exemptions;
  char *audit_path;
  bool audit_syslog;
  uint64_t audit_max_bytes; /* rotate the audit log past this size; 0: never */
  unsigned audit_keep;      /* rotated logs kept (audit.jsonl.1 ... .N) */
  char *metrics_path;       /* textfile-collector metrics file; NULL or "": none */
  size_t max_config_bytes, max_depth;
  ocigate_strlist_t devices_allowed; /* extra "c 1:3" style entries */
  int64_t limits_pids;               /* resource-limits: pids.limit written (0: none) */
} ocigate_policy_t;

#define OCIGATE_POLICY_PATH "/etc/ocigate/policy.json"
#define OCIGATE_AUDIT_PATH "/var/log/ocigate/audit.jsonl"

/* The policy file runtime mode loads: $OCIGATE_POLICY, else
 * OCIGATE_POLICY_PATH when it exists; NULL for the embedded default.
 * *ret_from says which, for messages. */
const char *ocigate_policy_node_path (const char **ret_from);
/* What loading cannot see, as `policy check` reports it: syscall names
 * libseccomp does not know on this architecture, a runtime that is not an
 * executable file here, a relative audit path, exemption and image
 * entries that can never match.  One line per problem is appended to
 * problems (the caller frees them); returns their count. */
size_t ocigate_policy_lint (const ocigate_policy_t *p, ocigate_strlist_t *problems);

/* The embedded restricted default. */
ocigate_policy_t *ocigate_policy_default (void);
/* Load and validate a policy file; NULL path means the default. */
ocigate_policy_t *ocigate_policy_load (const char *path, ocigate_error_t *err);
/* The same, but the embedded default seccomp profile (seccomp_profile stays
 * NULL) is parsed only when a rewrite injects it: runtime mode, where most
 * invocations never need it.  Runtime mode also reads only trusted files
 * (the policy and the profile it names: ocigate_read_trusted). */
ocigate_policy_t *ocigate_policy_load_lazy (const char *path, ocigate_error_t *err);
ocigate_policy_t *ocigate_policy_parse (const char *buf, size_t len, const char *name,
                                        ocigate_error_t *err);
void ocigate_policy_free (ocigate_policy_t *p);
static inline void
cleanup_policyp (ocigate_policy_t **p)
{
  ocigate_policy_free (*p);
}
#define cleanup_policy __attribute__ ((cleanup (cleanup_policyp)))
/* The effective policy with defaults filled in, as JSON. */
int ocigate_policy_show (const ocigate_policy_t *p, char **ret, size_t *ret_len,
                         ocigate_error_t *err);
/* A short name for messages: the preset, or "FILE (preset)". */
const char *ocigate_policy_name (const ocigate_policy_t *p);

const char *ocigate_action_name (ocigate_action_t a);
int ocigate_action_parse (const char *s);
const char *ocigate_preset_name (ocigate_preset_t p);
int ocigate_preset_parse (const char *s);
const char *ocigate_mode_name (ocigate_mode_t m);

/* The embedded default seccomp profile (profiles/seccomp/default.json),
 * and the form of it that is injected: cut to the build target's
 * architecture family (profiles/seccomp/default.<family>.json). */
extern const char ocigate_default_seccomp_json[];
extern const char ocigate_injected_seccomp_json[];
extern const char ocigate_default_apparmor_profile[];

#endif
