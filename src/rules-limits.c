/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup guard: a container with no pids limit can fork until the
 * node's pid space (kernel.pid_max, threads included) is gone and every
 * other process on it fails in fork; one with no memory limit leaves the
 * node's memory to the OOM killer. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine-internal.h"

static const ocigate_json_t *
resources (struct eval *e, const char *key)
{
  return oj_get (oj_path (e->root, "linux/resources"), key);
}

/* runc 1.1.5 writes pids.max only for a non-zero limit, "max" for a
 * negative one: 0, a negative value and no value all leave the new
 * cgroup at its default, "max".  A limit above the policy's is clamped
 * too: 2^62 is no more a limit than -1 is. */
int
check_resource_limits (struct eval *e, ocigate_error_t *err)
{
  (void)err;
  int64_t want = e->pol->limits_pids, v = 0;
  const ocigate_json_t *pids = oj_get (resources (e, "pids"), "limit");
  bool set = pids != NULL && oj_int (pids, &v);
  if (want > 0)
    {
      if (!set || v <= 0)
        finding (e, "/linux/resources/pids/limit",
                 "no pids limit (%s): a fork loop can exhaust the node's pids; limit %lld",
                 pids == NULL ? "absent" : "unlimited", (long long)want);
      else if (v > want)
        finding (e, "/linux/resources/pids/limit", "pids limit %lld is above the policy's %lld",
                 (long long)v, (long long)want);
    }
  const ocigate_json_t *mem = oj_get (resources (e, "memory"), "limit");
  int64_t m = 0;
  if (mem == NULL || !oj_int (mem, &m) || m <= 0)
    finding_action (e, OCIGATE_ACTION_WARN, "/linux/resources/memory/limit",
                    "no memory limit: the container can take the node's memory (set "
                    "resources.limits.memory in the pod spec)");
  return 0;
}

int
fix_resource_limits (struct eval *e, ocigate_error_t *err)
{
  (void)err;
  int64_t want = e->pol->limits_pids, v = 0;
  if (want <= 0)
    return 0;
  ocigate_json_t *lx = oj_ensure_object (e->doc, e->root, "linux");
  ocigate_json_t *res = oj_ensure_object (e->doc, lx, "resources");
  ocigate_json_t *pids = oj_ensure_object (e->doc, res, "pids");
  const ocigate_json_t *cur = oj_get (pids, "limit");
  if (cur != NULL && oj_int (cur, &v) && v > 0 && v <= want)
    return 0;
  oj_set (e->doc, pids, "limit", oj_new_int (e->doc, want));
  return 0;
}
