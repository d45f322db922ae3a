/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_SELINUX_INTERNAL_H
#define OCIGATE_SELINUX_INTERNAL_H

#include "ocigate/util.h"

int ocigate_selinux_labels (const char *type, char **ret_process, char **ret_mount,
                            ocigate_error_t *err);
int ocigate_selinux_check_context (const char *ctx);
/* Parse `process = "..."` / `file = "..."` from an lxc_contexts file. */
int ocigate_selinux_parse_lxc_contexts (const char *text, char **ret_process, char **ret_file);
/* user:role:type:level with type (NULL: keep) and level replaced. */
char *ocigate_selinux_with_level (const char *ctx, const char *type, const char *level);

#endif
