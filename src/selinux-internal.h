/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_SELINUX_INTERNAL_H
#define OCIGATE_SELINUX_INTERNAL_H

#include "ocigate/policy.h"

/* LSM host adapters (host.c, selinux.c), split into functions a test can
 * call with files and random numbers of its own. */

/* Is `profile` listed in an AppArmor profiles file (the kernel's
 * <securityfs>/apparmor/profiles)?  1 yes, 0 no, -1 unreadable. */
int ocigate_apparmor_profile_listed (const char *profiles_path, const char *profile);

int ocigate_selinux_labels (const char *type, char **ret_process, char **ret_mount,
                            ocigate_error_t *err);
int ocigate_selinux_check_context (const char *ctx);
/* Parse `process = "..."` / `file = "..."` from an lxc_contexts file. */
int ocigate_selinux_parse_lxc_contexts (const char *text, char **ret_process, char **ret_file);
/* user:role:type:level with type (NULL: keep) and level replaced. */
char *ocigate_selinux_with_level (const char *ctx, const char *type, const char *level);

/* Choose an MCS level "s0:cA,cB" (A < B < 1024) from the numbers rnd
 * draws, skipping pairs ("cA,cB") in_use reports taken.  0 ok, -1 no free
 * pair in 64 draws, -2 rnd failed. */
int ocigate_selinux_pick_level (int (*rnd) (uint32_t r[2], void *arg),
                                bool (*in_use) (const char *pair, void *arg), void *arg,
                                char *level, size_t len);
/* A process label (type replaced unless NULL) and a mount label from the
 * text of an lxc_contexts file (name: for messages), with a fresh level. */
int ocigate_selinux_labels_from (const char *lxc_contexts, const char *name, const char *type,
                                 int (*rnd) (uint32_t r[2], void *arg),
                                 bool (*in_use) (const char *pair, void *arg), void *arg,
                                 char **ret_process, char **ret_mount, ocigate_error_t *err);

/* The type field of a label user:role:type[:level] (malloc'd), or NULL
 * when it has fewer than three fields or an empty type. */
char *ocigate_selinux_label_type (const char *label);
/* The container process types an lxc_contexts file names (its `process`
 * and every `*_process` key), appended to out. */
void ocigate_selinux_container_types (const char *lxc_contexts, ocigate_strlist_t *out);
/* May a container process run as this label?  Its type must be one of the
 * host's container types (from the text of its lxc_contexts; NULL: the
 * built-in list container_t, container_init_t, svirt_lxc_net_t), the
 * policy's type, or one of extra.  *ret_type: the label's type (NULL when
 * malformed), for messages. */
bool ocigate_selinux_label_allowed (const char *label, const char *lxc_contexts,
                                    const char *policy_type, const ocigate_strlist_t *extra,
                                    char **ret_type);

/* The profile name the kernel will apply for an apparmorProfile value
 * (runc writes "exec NAME"; the kernel strips the white space around it),
 * malloc'd. */
char *ocigate_apparmor_effective_name (const char *profile);
/* May a container run under this AppArmor profile: the policy's own, or
 * one of allowed ("NAME*" matches by prefix), never "unconfined". */
bool ocigate_apparmor_profile_allowed (const char *profile, const char *policy_profile,
                                       const ocigate_strlist_t *allowed);

#endif
