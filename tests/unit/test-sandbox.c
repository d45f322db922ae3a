/* SPDX-License-Identifier: Apache-2.0 */
/* root-user and the engines' pod sandboxes: CRI-O runs its infra ("pause")
 * container as uid 0 whenever it keeps one; the default policy moves that
 * process to the rewrite uid instead of refusing the pod, and nothing else
 * that claims to be a sandbox gets the same.  Configs are CRI-O 1.26's, as
 * captured in tests/data/generated/cri-o/ (NAME.bundle: its bundle dir). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define WARN OCIGATE_ACTION_WARN

static char *
slurp (const char *path)
{
  FILE *f = fopen (path, "rb");
  ck_assert_msg (f != NULL, "cannot open %s", path);
  strbuf_t b = { 0 };
  char buf[4096];
  size_t n;
  while ((n = fread (buf, 1, sizeof (buf), f)) > 0)
    strbuf_append (&b, buf, n);
  fclose (f);
  return strbuf_steal (&b);
}

/* A captured CRI-O config and the bundle directory it ran from. */
static ocigate_doc_t *
crio (const char *name, char **bundle)
{
  cleanup_free char *p = xasprintf ("%s/generated/cri-o/%s.json", TEST_DATA, name);
  cleanup_free char *bp = xasprintf ("%s/generated/cri-o/%s.bundle", TEST_DATA, name);
  cleanup_free char *text = slurp (p);
  ocigate_doc_t *d = tu_parse (text);
  if (bundle)
    {
      *bundle = slurp (bp);
      (*bundle)[strcspn (*bundle, "\n")] = '\0';
    }
  return d;
}

static ocigate_eval_opts_t
at (const char *bundle)
{
  return (ocigate_eval_opts_t){ .name = "config.json", .bundle = bundle };
}

static int64_t
uid_of (ocigate_doc_t *d)
{
  int64_t u = -1;
  oj_int (oj_get (oj_get (oj_get (ocigate_doc_root (d), "process"), "user"), "uid"), &u);
  return u;
}

/* The tripping config: CRI-O's infra container, uid 0, oomScoreAdj -998. */
START_TEST (test_crio_infra_rewritten)
{
  cleanup_free char *b = NULL;
  ocigate_doc_t *d = crio ("sandbox-infra", &b);
  ocigate_eval_opts_t o = at (b);
  ocigate_result_t r;
  ck_assert_int_eq (uid_of (d), 0);
  tu_rewrite (NULL, d, &o, &r);
  ck_assert_str_eq (r.ctx.engine, "cri-o");
  ck_assert_str_eq (r.ctx.container_type, "sandbox");
  ck_assert_finding (&r, "root-user", RW, "/process/user/uid");
  ck_assert_msg (!r.reject, "the infra container is refused: %s", tu_dump (&r));
  ck_assert_int_eq (uid_of (d), 65534);
  cleanup_free char *gid = tu_json_at (d, "process/user/gid");
  ck_assert_str_eq (gid, "65534");
  /* everything else still applies: capabilities dropped, no_new_privs */
  ck_assert_finding (&r, "capabilities", RW, NULL);
  cleanup_free char *nnp = tu_json_at (d, "process/noNewPrivileges");
  ck_assert_str_eq (nnp, "true");
  ocigate_result_free (&r);
  ocigate_doc_free (d);
}
END_TEST

/* The policy's rewrite uid, and an operator's own choice for root-user. */
START_TEST (test_crio_infra_policy)
{
  cleanup_free char *b = NULL;
  ocigate_result_t r;
  ocigate_doc_t *d = crio ("sandbox-infra", &b);
  ocigate_eval_opts_t o = at (b);
  ocigate_policy_t *p = tu_policy ("{\"user\":{\"rewrite_uid\":4242,\"rewrite_gid\":4243}}");
  tu_rewrite (p, d, &o, &r);
  ck_assert (!r.reject);
  ck_assert_int_eq (uid_of (d), 4242);
  ocigate_result_free (&r);
  ocigate_doc_free (d);
  ocigate_policy_free (p);

  d = crio ("sandbox-infra", NULL);
  p = tu_policy ("{\"rules\":{\"root-user\":\"warn\"}}");
  tu_eval (p, d, &o, &r);
  ck_assert_finding (&r, "root-user", WARN, "/process/user/uid");
  ck_assert_int_eq (tu_count (&r, "root-user"), 1);
  ocigate_result_free (&r);
  ocigate_doc_free (d);
  ocigate_policy_free (p);

  d = crio ("sandbox-infra", NULL);
  p = tu_policy ("{\"rules\":{\"root-user\":\"off\"}}");
  tu_eval (p, d, &o, &r);
  ck_assert_no_finding (&r, "root-user");
  ocigate_result_free (&r);
  ocigate_doc_free (d);
  ocigate_policy_free (p);
}
END_TEST

/* Near misses: the same infra config not run from its own bundle, or with
 * the ids CRI-O writes disagreeing, is judged as any root process. */
START_TEST (test_crio_infra_elsewhere)
{
  cleanup_free char *b = NULL;
  ocigate_result_t r;
  ocigate_doc_t *d = crio ("sandbox-infra", &b);
  const char *sid = oj_str (
      oj_get (oj_get (ocigate_doc_root (d), "annotations"), "io.kubernetes.cri-o.SandboxID"));
  ck_assert (sid != NULL);
  cleanup_free char *slash = xasprintf ("%s/", b);
  cleanup_free char *other = xasprintf ("/run/containers/storage/overlay-containers/%s", sid);
  cleanup_free char *podman
      = xasprintf ("/run/containers/storage/overlay-containers/%sx/userdata", sid);
  const char *bundles[] = { NULL, ".", "/", other, podman, "userdata", "/userdata" };
  for (size_t i = 0; i < ARRAY_SIZE (bundles); i++)
    {
      ocigate_eval_opts_t o = at (bundles[i]);
      tu_eval (NULL, d, &o, &r);
      ck_assert_msg (r.reject, "bundle %s", bundles[i] ? bundles[i] : "(none)");
      ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
      ocigate_result_free (&r);
    }
  /* a trailing slash is the same directory */
  ocigate_eval_opts_t o = at (slash);
  tu_eval (NULL, d, &o, &r);
  ck_assert_finding (&r, "root-user", RW, "/process/user/uid");
  ocigate_result_free (&r);

  /* ContainerID not the SandboxID, the kubelet's container name not POD */
  static const char *const breaks[][2] = {
    { "annotations/io.kubernetes.cri-o.ContainerID", "\"0123\"" },
    { "annotations/io.kubernetes.container.name", "\"app\"" },
    { "annotations/io.kubernetes.container.name", "null" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (breaks); i++)
    {
      ocigate_doc_t *x = crio ("sandbox-infra", NULL);
      tu_set (x, breaks[i][0], breaks[i][1]);
      o = at (b);
      tu_eval (NULL, x, &o, &r);
      ck_assert_msg (r.reject, "%s = %s", breaks[i][0], breaks[i][1]);
      ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
      ocigate_result_free (&r);
      ocigate_doc_free (x);
    }
  ocigate_doc_free (d);
}
END_TEST

/* An application container whose CRI annotations and labels claim to be
 * the sandbox (ContainerType sandbox, container name POD) stays refused
 * as root, run from its own bundle. */
START_TEST (test_crio_container_claims_sandbox)
{
  cleanup_free char *b = NULL;
  ocigate_result_t r;
  ocigate_doc_t *d = crio ("container-claims-sandbox", &b);
  ocigate_eval_opts_t o = at (b);
  tu_eval (NULL, d, &o, &r);
  ck_assert (r.reject);
  ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&r);
  ocigate_doc_free (d);

  /* and a plain root container */
  free (b);
  d = crio ("container-root", &b);
  o = at (b);
  tu_eval (NULL, d, &o, &r);
  ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&r);
  ocigate_doc_free (d);
}
END_TEST

/* exec into a sandbox as root: refused like any exec as root. */
START_TEST (test_crio_exec_in_sandbox)
{
  cleanup_free char *b = NULL;
  ocigate_doc_t *c = crio ("sandbox-infra", &b);
  ocigate_eval_opts_t o = at (b);
  const char *pj = "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}";
  ocigate_error_t err = NULL;
  ocigate_doc_t *p = ocigate_process_parse (pj, strlen (pj), tu_default_policy (), "p", &err);
  ck_assert (p != NULL);
  ocigate_result_t r;
  ck_assert_int_eq (ocigate_evaluate_process (tu_default_policy (), p, c, &o, &r, &err), 0);
  ck_assert (r.reject);
  ck_assert_finding (&r, "root-user", REJ, "/user/uid");
  ocigate_result_free (&r);
  ocigate_doc_free (p);
  ocigate_doc_free (c);
}
END_TEST

/* containerd's sandbox runs the image's user (65535 for the pause image);
 * one set to uid 0 (a pod with runAsUser 0) is moved too, from containerd's
 * task directory of the sandbox id only. */
START_TEST (test_containerd_sandbox)
{
  cleanup_free char *p = xasprintf ("%s/generated/cri-sandbox.json", TEST_DATA);
  cleanup_free char *text = slurp (p);
  ocigate_result_t r;
  ocigate_doc_t *d = tu_parse (text);
  const char *sid = oj_str (
      oj_get (oj_get (ocigate_doc_root (d), "annotations"), "io.kubernetes.cri.sandbox-id"));
  ck_assert (sid != NULL);
  cleanup_free char *own
      = xasprintf ("/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s", sid);
  ocigate_eval_opts_t o = at (own);
  tu_eval (NULL, d, &o, &r);
  ck_assert_no_finding (&r, "root-user");
  ocigate_result_free (&r);

  tu_set (d, "process/user/uid", "0");
  tu_eval (NULL, d, &o, &r);
  ck_assert_finding (&r, "root-user", RW, "/process/user/uid");
  ck_assert (!r.reject);
  ocigate_result_free (&r);

  cleanup_free char *other_ns
      = xasprintf ("/run/containerd/io.containerd.runtime.v2.task/default/%s", sid);
  const char *bundles[]
      = { NULL, other_ns, "/var/lib/containers/storage/overlay-containers/x/userdata" };
  for (size_t i = 0; i < ARRAY_SIZE (bundles); i++)
    {
      o = at (bundles[i]);
      tu_eval (NULL, d, &o, &r);
      ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
      ocigate_result_free (&r);
    }
  /* podman: containerd's keys by --annotation, naming podman's bundle */
  tu_set (d, "annotations/io.kubernetes.cri.sandbox-id", "\"userdata\"");
  o = at ("/run/containers/storage/overlay-containers/abc/userdata");
  tu_eval (NULL, d, &o, &r);
  ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&r);
  ocigate_doc_free (d);
}
END_TEST

/* A pod's annotations overwrite CRI-O's own keys on its sandbox
 * (captured: ContainerType "container", Namespace "kube-system"): a pod
 * can make its sandbox look like a container, and is then refused. */
START_TEST (test_crio_spoofed_sandbox)
{
  cleanup_free char *b = NULL;
  ocigate_result_t r;
  ocigate_doc_t *d = crio ("sandbox-spoofed", &b);
  const ocigate_json_t *ann = oj_get (ocigate_doc_root (d), "annotations");
  ck_assert (oj_str_eq (oj_get (ann, "io.kubernetes.cri-o.ContainerType"), "container"));
  ck_assert (oj_str_eq (oj_get (ann, "io.kubernetes.pod.namespace"), "default"));
  ocigate_eval_opts_t o = at (b);
  tu_eval (NULL, d, &o, &r);
  ck_assert_finding (&r, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&r);
  ocigate_doc_free (d);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("sandbox");
  TCase *tc = tcase_create ("sandbox");
  tcase_add_test (tc, test_crio_infra_rewritten);
  tcase_add_test (tc, test_crio_infra_policy);
  tcase_add_test (tc, test_crio_infra_elsewhere);
  tcase_add_test (tc, test_crio_container_claims_sandbox);
  tcase_add_test (tc, test_crio_exec_in_sandbox);
  tcase_add_test (tc, test_containerd_sandbox);
  tcase_add_test (tc, test_crio_spoofed_sandbox);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (suite ());
}
