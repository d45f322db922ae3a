/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_SELINUX_INTERNAL_H
#define OCIGATE_SELINUX_INTERNAL_H

#include "ocigate/util.h"

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

#endif
