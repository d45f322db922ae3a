/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz `exec --process` parsing and clamping against a fixed container. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ocigate/engine.h"

static ocigate_policy_t *pol;
static ocigate_doc_t *container;

static const char container_json[]
    = "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":1000,\"gid\":1000},"
      "\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"],\"effective\":[],"
      "\"permitted\":[]},\"noNewPrivileges\":true},\"linux\":{\"namespaces\":[{\"type\":"
      "\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}}";

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocigate_error_t err = NULL;
  ocigate_result_t res;
  if (pol == NULL)
    {
      pol = ocigate_policy_load (NULL, &err);
      container
          = pol ? ocigate_config_parse (container_json, strlen (container_json), pol, "c", &err)
                : NULL;
      if (container == NULL)
        __builtin_trap ();
    }
  ocigate_doc_t *p = ocigate_process_parse ((const char *)data, size, pol, "fuzz", &err);
  if (p == NULL)
    {
      ocigate_error_free (&err);
      return 0;
    }
  if (ocigate_evaluate_process (pol, p, container, NULL, &res, &err) == 0)
    {
      ocigate_apply_process (pol, p, container, NULL, &res, &err);
      char *out;
      size_t len;
      if (ocigate_json_serialize (ocigate_doc_root (p), false, &out, &len, &err) == 0)
        free (out);
    }
  ocigate_error_free (&err);
  ocigate_result_free (&res);
  ocigate_doc_free (p);
  return 0;
}
