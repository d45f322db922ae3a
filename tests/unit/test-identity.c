/* SPDX-License-Identifier: Apache-2.0 */
/* Who a container is, and what runc reads from its annotations:
 *  - annotation keys judged as runc's labels split them (KEY=VALUE at the
 *    first '='), stripped in one pass;
 *  - an engine's identity believed only from the keys that engine itself
 *    writes and, in runtime mode, only when the call is the one it makes
 *    (bundle directory, --root, container id);
 *  - CRI-O's identity from the kubelet's CRI labels, which a pod author
 *    cannot overwrite;
 *  - images.allowed and the pod sandboxes of containerd 1.6 and CRI-O. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const ocigate_eval_opts_t offline = { .name = "config.json", .bundle = "/tmp/b" };

static ocigate_doc_t *
fixture (const char *name)
{
  /* "identity/..." or a file of generated/ */
  char *path = xasprintf (strchr (name, '/') ? "%s/%s" : "%s/generated/%s", TEST_DATA, name);
  char *buf = NULL;
  size_t len = 0;
  ocigate_error_t err = NULL;
  ck_assert_msg (ocigate_read_file (path, 1 << 24, &buf, &len, &err) == 0, "%s: %s", path,
                 err ? err->msg : "?");
  ocigate_doc_t *d = tu_parse (buf);
  free (buf);
  free (path);
  return d;
}

static void
set_ann (ocigate_doc_t *d, const char *key, const char *value)
{
  ocigate_json_t *a = oj_ensure_object (d, ocigate_doc_root (d), "annotations");
  oj_set (d, a, key, oj_new_string (d, value));
}

static const char *
ann (ocigate_doc_t *d, const char *key)
{
  return oj_str (oj_get (oj_get (ocigate_doc_root (d), "annotations"), key));
}

/* ---- 1. annotation keys as runc's labels read them ---- */

START_TEST (test_label_split_trips)
{
  /* runc's exec takes its bundle from the first label keyed "bundle", and
   * the annotations' labels come before its own: `bundle=/p` with value v
   * is the label "bundle=/p=v", read as bundle "/p=v". */
  static const char *const keys[] = {
    "bundle=/p",         "org.criu.config=/p",
    "bundle=",           "bundle==x",
    "org.criu.config==", "foo=bar",
    "run.oci.x=y",       "io.kubernetes.cri.x=y",
    "=bundle",           "org.systemd.property.A=B",
  };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      ocigate_doc_t *d = tu_base ();
      set_ann (d, "keep", "a=b");
      set_ann (d, keys[i], "/tmp/x");
      ocigate_result_t res;
      tu_eval (NULL, d, &offline, &res);
      strbuf_t p = { 0 };
      strbuf_puts (&p, "/annotations");
      ocigate_pointer_append (&p, keys[i]);
      ck_assert_finding (&res, "runtime-annotations", OCIGATE_ACTION_REWRITE, p.s);
      free (p.s);
      ocigate_result_free (&res);
      tu_rewrite (NULL, d, &offline, &res);
      ck_assert_msg (ann (d, keys[i]) == NULL, "%s survived", keys[i]);
      ck_assert_str_eq (ann (d, "keep"), "a=b");
      ocigate_result_free (&res);
      /* rewritten once: nothing left to strip */
      tu_eval (NULL, d, &offline, &res);
      ck_assert_no_finding (&res, "runtime-annotations");
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }
}
END_TEST

START_TEST (test_label_split_message)
{
  ocigate_doc_t *d = tu_base ();
  set_ann (d, "bundle=/p", "x");
  ocigate_result_t res;
  tu_eval (NULL, d, &offline, &res);
  ck_assert_uint_eq (tu_count (&res, "runtime-annotations"), 1);
  ck_assert_msg (strstr (res.f[0].message, "runc reads it as the label bundle, which the runtime")
                     != NULL,
                 "%s", res.f[0].message);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_label_split_near_miss)
{
  /* '=' in a value, and keys that only look like runtime keys. */
  static const char *const keys[] = {
    "bundlex", "my.bundle", "org.criu.configx", "org.criu", "Bundle", "run.ocix", "note",
  };
  ocigate_doc_t *d = tu_base ();
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    set_ann (d, keys[i], "bundle=/p=q");
  cleanup_free char *before = tu_json_at (d, "annotations");
  ocigate_result_t res;
  tu_rewrite (NULL, d, &offline, &res);
  ck_assert_no_finding (&res, "runtime-annotations");
  ck_assert (!res.changed);
  cleanup_free char *after = tu_json_at (d, "annotations");
  ck_assert_str_eq (before, after);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

START_TEST (test_strip_keeps_order)
{
  /* Interleaved keys: what is kept stays in order, nothing else moves. */
  ocigate_doc_t *d = tu_base ();
  for (int i = 0; i < 2000; i++)
    {
      char k[64];
      snprintf (k, sizeof k, i % 3 == 0 ? "run.oci.k%d" : i % 3 == 1 ? "a.k%d" : "b=k%d", i);
      set_ann (d, k, "v");
    }
  ocigate_result_t res;
  tu_eval (NULL, d, &offline, &res);
  /* sixteen named, the rest counted in one */
  ck_assert_uint_eq (tu_count (&res, "runtime-annotations"), 17);
  ck_assert_finding (&res, "runtime-annotations", OCIGATE_ACTION_REWRITE, "/annotations");
  ck_assert_msg (strstr (res.f[res.n - 1].message, "and 1317 more") != NULL, "%s",
                 res.f[res.n - 1].message);
  ocigate_result_free (&res);
  tu_rewrite (NULL, d, &offline, &res);
  ocigate_result_free (&res);
  const ocigate_json_t *a = oj_get (ocigate_doc_root (d), "annotations");
  size_t j = 0;
  for (int i = 1; i < 2000; i += 3, j++)
    {
      char k[64];
      snprintf (k, sizeof k, "a.k%d", i);
      ck_assert_str_eq (a->u.obj.m[j].key, k);
    }
  ck_assert_str_eq (a->u.obj.m[j].key, "ocigate.rewrites");
  ck_assert_uint_eq (oj_len (a), j + 1);
  ocigate_doc_free (d);
}
END_TEST

/* ---- 2. containerd: its keys, and its call ---- */

#define CTRD_BUNDLE "/run/containerd/io.containerd.runtime.v2.task/k8s.io/"
#define CTRD_ROOT "/run/containerd/runc/k8s.io"

static const char *const sandbox_id
    = "6a15f24b27207aaf60b3abb7eae3d4c9f7b8955cb75c34a8ca2454557c397428";
static const char *const ctr_id
    = "0f8e1c2d3b4a59687766554433221100ffeeddccbbaa99887766554433221100";

static ocigate_eval_opts_t
call (const char *bundle, const char *root, const char *id)
{
  return (ocigate_eval_opts_t){ .name = "config.json",
                                .bundle = bundle,
                                .runtime_call = true,
                                .container_id = id,
                                .runtime_root = root };
}

/* Judge d under a policy exempting namespace ns (privileged preset). */
static ocigate_result_t
judge (ocigate_doc_t *d, const char *ns, const ocigate_eval_opts_t *o)
{
  cleanup_free char *pj = xasprintf ("{\"exemptions\":[{\"namespaces\":[\"%s\"],"
                                     "\"preset\":\"privileged\"}]}",
                                     ns);
  ocigate_policy_t *pol = tu_policy (pj);
  ocigate_result_t res;
  tu_set (d, "process/user/uid", "0");
  tu_eval (pol, d, o, &res);
  ocigate_policy_free (pol);
  return res;
}

static void
assert_exempt (ocigate_doc_t *d, const char *ns, const ocigate_eval_opts_t *o, const char *what)
{
  ocigate_result_t res = judge (d, ns, o);
  ck_assert_msg (res.exemption == 0, "%s: not exempt (%s)", what,
                 res.ctx.distrust ? res.ctx.distrust : "no identity");
  ck_assert_str_eq (res.ctx.namespace, ns);
  ck_assert_msg (!res.reject, "%s", what);
  ck_assert (res.ctx.caller_checked == o->runtime_call);
  ocigate_result_free (&res);
}

static void
assert_not_exempt (ocigate_doc_t *d, const char *ns, const ocigate_eval_opts_t *o, const char *what)
{
  ocigate_result_t res = judge (d, ns, o);
  ck_assert_msg (res.exemption == -1, "%s: exempted", what);
  ck_assert_finding (&res, "root-user", OCIGATE_ACTION_REJECT, "/process/user/uid");
  ck_assert_msg (res.ctx.namespace == NULL, "%s: namespace %s", what, res.ctx.namespace);
  ocigate_result_free (&res);
}

START_TEST (test_containerd_call)
{
  ocigate_doc_t *c = fixture ("cri-container.json");
  ocigate_doc_t *s = fixture ("cri-sandbox.json");
  ocigate_eval_opts_t o;

  /* The calls containerd's shim makes. */
  ocigate_result_t res = judge (c, "default", &offline);
  ck_assert_str_eq (res.ctx.pod_uid, "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d");
  ck_assert_str_eq (res.ctx.sandbox_id, sandbox_id);
  ocigate_result_free (&res);
  assert_exempt (c, "default", &offline, "offline container");
  assert_exempt (s, "default", &offline, "offline sandbox");
  o = call (CTRD_BUNDLE "0f8e1c2d3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
            CTRD_ROOT, ctr_id);
  assert_exempt (c, "default", &o, "containerd container");
  o = call ("/var/run/containerd/state/io.containerd.runtime.v2.task/k8s.io/"
            "6a15f24b27207aaf60b3abb7eae3d4c9f7b8955cb75c34a8ca2454557c397428/",
            "/run/containerd/runc/k8s.io/", sandbox_id);
  assert_exempt (s, "default", &o, "containerd sandbox (other state dir, trailing slashes)");

  /* What podman, CRI-O, ctr in another namespace or a direct caller make. */
  o = call ("/var/lib/containers/storage/overlay-containers/" CTRD_BUNDLE "x/userdata", NULL,
            ctr_id);
  assert_not_exempt (c, "default", &o, "podman's bundle, no --root");
  o = call ("/run/containers/storage/overlay-containers/0f8e/userdata", "/run/runc", "0f8e");
  assert_not_exempt (c, "default", &o, "CRI-O's bundle");
  o = call (CTRD_BUNDLE "0f8e", "/run/runc", "0f8e");
  assert_not_exempt (c, "default", &o, "containerd's bundle, runc's default root");
  o = call (CTRD_BUNDLE "0f8e", NULL, "0f8e");
  assert_not_exempt (c, "default", &o, "no --root");
  o = call ("/run/containerd/io.containerd.runtime.v2.task/default/0f8e",
            "/run/containerd/runc/default", "0f8e");
  assert_not_exempt (c, "default", &o, "ctr's namespace default");
  o = call (CTRD_BUNDLE "0f8e", CTRD_ROOT, "other");
  assert_not_exempt (c, "default", &o, "id is not the bundle's");
  o = call (CTRD_BUNDLE "0f8e", CTRD_ROOT "x", "0f8e");
  assert_not_exempt (c, "default", &o, "root k8s.iox");
  o = call (CTRD_BUNDLE "a/../0f8e", CTRD_ROOT, "a/../0f8e");
  assert_not_exempt (c, "default", &o, "an id runc refuses");
  /* A sandbox is the container whose id is the sandbox id, and only it. */
  o = call (CTRD_BUNDLE "0f8e", CTRD_ROOT, "0f8e");
  assert_not_exempt (s, "default", &o, "sandbox type, another id");
  tu_set (c, "annotations/io.kubernetes.cri.sandbox-id", "\"0f8e\"");
  assert_not_exempt (c, "default", &o, "container type with the sandbox's id");
  ocigate_doc_free (c);
  ocigate_doc_free (s);
}
END_TEST

START_TEST (test_containerd_keys)
{
  ocigate_eval_opts_t o = call (CTRD_BUNDLE "0f8e", CTRD_ROOT, "0f8e");
  /* every key containerd always writes for a container */
  static const char *const required[] = {
    "io.kubernetes.cri.container-type",    "io.kubernetes.cri.sandbox-id",
    "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-name",
    "io.kubernetes.cri.container-name",    "io.kubernetes.cri.image-name",
  };
  for (size_t i = 0; i < ARRAY_SIZE (required); i++)
    {
      ocigate_doc_t *c = fixture ("cri-container.json");
      ocigate_json_t *a = oj_get (ocigate_doc_root (c), "annotations");
      ck_assert (oj_remove (a, required[i]));
      assert_not_exempt (c, "default", &o, required[i]);
      ocigate_doc_free (c);
    }
  /* Keys a podman user adds next to containerd's. */
  static const char *const extra[][2] = {
    { "io.container.manager", "libpod" },
    { "io.kubernetes.cri-o.ContainerType", "container" },
    /* runc's labels read these as containerd's keys */
    { "io.kubernetes.cri.sandbox-namespace=x", "y" },
    { "io.kubernetes.cri.container-type=", "sandbox" },
    { "io.kubernetes.pod.namespace=", "kube-system" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (extra); i++)
    {
      ocigate_doc_t *c = fixture ("cri-container.json");
      set_ann (c, extra[i][0], extra[i][1]);
      assert_not_exempt (c, "default", &offline, extra[i][0]);
      assert_not_exempt (c, "default", &o, extra[i][0]);
      ocigate_result_t res = judge (c, "default", &o);
      ck_assert (res.ctx.distrust != NULL);
      ck_assert (res.note && strstr (res.note, "identity not believed: ") == res.note);
      ocigate_result_free (&res);
      ocigate_doc_free (c);
    }
  /* An unknown container type. */
  ocigate_doc_t *c = fixture ("cri-container.json");
  tu_set (c, "annotations/io.kubernetes.cri.container-type", "\"Container\"");
  assert_not_exempt (c, "default", &offline, "type Container");
  ocigate_doc_free (c);
}
END_TEST

/* The podman user of issue 14: containerd's keys written with
 * `podman run --annotation`, on the config podman writes. */
START_TEST (test_podman_spoofs_containerd)
{
  ocigate_doc_t *d = fixture ("podman.json");
  set_ann (d, "io.kubernetes.cri.container-type", "container");
  set_ann (d, "io.kubernetes.cri.sandbox-id", "s");
  set_ann (d, "io.kubernetes.cri.sandbox-namespace", "kube-system");
  set_ann (d, "io.kubernetes.cri.sandbox-name", "p");
  set_ann (d, "io.kubernetes.cri.container-name", "c");
  set_ann (d, "io.kubernetes.cri.image-name", "i");
  ocigate_eval_opts_t o
      = call ("/var/lib/containers/storage/overlay-containers/0f8e/userdata", NULL, "0f8e");
  assert_not_exempt (d, "kube-system", &o, "podman call");
  assert_not_exempt (d, "kube-system", &offline, "podman's io.container.manager");
  /* even without podman's marker, the call is not containerd's */
  ocigate_json_t *a = oj_get (ocigate_doc_root (d), "annotations");
  oj_remove (a, "io.container.manager");
  assert_not_exempt (d, "kube-system", &o, "podman call, no marker");
  ocigate_doc_free (d);
}
END_TEST

/* ---- 3. CRI-O: the kubelet's labels ---- */

/* A config.json as CRI-O 1.26 writes it (server/sandbox_run_linux.go,
 * internal/factory/container/container.go): its own keys first, then for a
 * sandbox every pod annotation, then every CRI label (the kubelet's pod
 * labels plus io.kubernetes.pod.{name,namespace,uid}, and
 * io.kubernetes.container.name "POD" for the infra container), each
 * overwriting what was there.  pod_ann: the pod author's annotations. */
static ocigate_doc_t *
crio_config (bool sandbox, const char *ns, const char *const *pod_ann, size_t n_pod_ann)
{
  ocigate_doc_t *d = tu_base ();
  const char *id = sandbox ? "5d9e8f7a6b5c" : "c0ffee123456";
  const char *cname = sandbox ? "POD" : "app";
  cleanup_free char *name = xasprintf ("k8s_%s_web_%s_6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d_0",
                                       sandbox ? "web" : "app", ns);
  cleanup_free char *sbname = xasprintf ("k8s_web_%s_6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d_0", ns);
  cleanup_free char *labels
      = xasprintf ("{%s\"io.kubernetes.container.name\":\"%s\",\"io.kubernetes.pod.name\":\"web\","
                   "\"io.kubernetes.pod.namespace\":\"%s\","
                   "\"io.kubernetes.pod.uid\":\"6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d\"}",
                   sandbox ? "\"app\":\"web\"," : "", cname, ns);
  set_ann (d, "io.kubernetes.cri-o.Metadata",
           sandbox ? "{\"name\":\"web\",\"uid\":\"6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d\","
                     "\"namespace\":\"default\",\"attempt\":0}"
                   : "{\"name\":\"app\"}");
  set_ann (d, "io.kubernetes.cri-o.Labels", labels);
  set_ann (d, "io.kubernetes.cri-o.Annotations",
           sandbox ? "{\"kubernetes.io/config.source\":\"api\"}"
                   : "{\"io.kubernetes.container.hash\":\"1b3c2a\","
                     "\"io.kubernetes.container.restartCount\":\"0\"}");
  set_ann (d, "io.kubernetes.cri-o.Name", sandbox ? sbname : name);
  set_ann (d, "io.kubernetes.cri-o.SandboxName", sbname);
  if (sandbox)
    set_ann (d, "io.kubernetes.cri-o.Namespace", ns);
  set_ann (d, "io.kubernetes.cri-o.ContainerType", sandbox ? "sandbox" : "container");
  set_ann (d, "io.kubernetes.cri-o.SandboxID", "5d9e8f7a6b5c");
  set_ann (d, "io.kubernetes.cri-o.Image",
           sandbox ? "localhost/pause:test" : "localhost/busybox:test");
  set_ann (d, "io.kubernetes.cri-o.ImageName",
           sandbox ? "localhost/pause:test" : "localhost/busybox:test");
  set_ann (d, "io.kubernetes.cri-o.ContainerName", name);
  set_ann (d, "io.kubernetes.cri-o.ContainerID", id);
  if (sandbox)
    set_ann (d, "io.kubernetes.cri-o.KubeName", "web");
  set_ann (d, "io.container.manager", "cri-o");
  set_ann (d, "io.kubernetes.cri-o.Created", "2026-12-04T22:00:00.000000000Z");
  for (size_t i = 0; sandbox && i + 1 < n_pod_ann * 2; i += 2)
    set_ann (d, pod_ann[i], pod_ann[i + 1]);
  if (!sandbox)
    {
      set_ann (d, "io.kubernetes.container.hash", "1b3c2a");
      set_ann (d, "io.kubernetes.container.restartCount", "0");
    }
  if (sandbox)
    set_ann (d, "app", "web");
  set_ann (d, "io.kubernetes.container.name", cname);
  set_ann (d, "io.kubernetes.pod.name", "web");
  set_ann (d, "io.kubernetes.pod.namespace", ns);
  set_ann (d, "io.kubernetes.pod.uid", "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d");
  set_ann (d, "io.kubernetes.cri-o.MountPoint", "/var/lib/containers/storage/overlay/x/merged");
  return d;
}

#define CRIO_BUNDLE(id) "/run/containers/storage/overlay-containers/" id "/userdata"

START_TEST (test_crio_identity)
{
  ocigate_doc_t *c = crio_config (false, "kube-system", NULL, 0);
  ocigate_doc_t *s = crio_config (true, "kube-system", NULL, 0);
  ocigate_eval_opts_t oc = call (CRIO_BUNDLE ("c0ffee123456"), "/run/runc", "c0ffee123456");
  ocigate_eval_opts_t os = call (CRIO_BUNDLE ("5d9e8f7a6b5c"), "/run/runc", "5d9e8f7a6b5c");
  assert_exempt (c, "kube-system", &offline, "CRI-O container offline");
  assert_exempt (c, "kube-system", &oc, "CRI-O container");
  assert_exempt (s, "kube-system", &offline, "CRI-O sandbox offline");
  assert_exempt (s, "kube-system", &os, "CRI-O sandbox");

  ocigate_result_t res = judge (c, "kube-system", &oc);
  ck_assert_str_eq (res.ctx.engine, "cri-o");
  ck_assert_str_eq (res.ctx.container_type, "container");
  ck_assert_str_eq (res.ctx.pod, "web");
  ck_assert_str_eq (res.ctx.container, "app");
  ck_assert_str_eq (res.ctx.image, "localhost/busybox:test");
  ck_assert_str_eq (res.ctx.pod_uid, "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d");
  ck_assert_str_eq (res.ctx.sandbox_id, "5d9e8f7a6b5c");
  ocigate_result_free (&res);
  res = judge (s, "kube-system", &os);
  ck_assert_str_eq (res.ctx.container_type, "sandbox");
  ck_assert (res.ctx.container == NULL);
  /* pod-writable on a sandbox: not claimed */
  ck_assert (res.ctx.image == NULL);
  ocigate_result_free (&res);

  /* Calls CRI-O does not make. */
  ocigate_eval_opts_t o = call (CRIO_BUNDLE ("c0ffee123456"), NULL, "c0ffee123456");
  assert_not_exempt (c, "kube-system", &o, "no --root");
  o = call (CRIO_BUNDLE ("c0ffee123456"), "/run/runc", "c0ffee123457");
  assert_not_exempt (c, "kube-system", &o, "another id");
  o = call (CRIO_BUNDLE ("c0ffee123457"), "/run/runc", "c0ffee123456");
  assert_not_exempt (c, "kube-system", &o, "another bundle");
  o = call ("/run/containers/storage/overlay-containers/c0ffee123456", "/run/runc", "c0ffee123456");
  assert_not_exempt (c, "kube-system", &o, "not userdata");
  o = call (CRIO_BUNDLE ("5d9e8f7a6b5c"), "/run/runc", "5d9e8f7a6b5c");
  assert_not_exempt (c, "kube-system", &o, "the sandbox's call for a container config");
  ocigate_doc_free (c);
  ocigate_doc_free (s);
}
END_TEST

/* A pod author controls every annotation of the pod, and CRI-O writes them
 * over its own keys on the sandbox: none of that is believed. */
START_TEST (test_crio_pod_author_spoofs)
{
  static const char *const spoofs[][2] = {
    { "io.kubernetes.cri-o.Namespace", "kube-system" },
    { "io.kubernetes.cri-o.KubeName", "kube-proxy" },
    { "io.kubernetes.cri-o.ContainerType", "container" },
    { "io.kubernetes.cri-o.ContainerID", "5d9e8f7a6b5d" },
    { "io.kubernetes.cri-o.SandboxID", "0" },
    { "io.container.manager", "libpod" },
    { "io.kubernetes.cri-o.Labels",
      "{\"io.kubernetes.container.name\":\"POD\",\"io.kubernetes.pod.name\":\"web\","
      "\"io.kubernetes.pod.namespace\":\"kube-system\"}" },
    { "io.kubernetes.cri.container-type", "sandbox" },
    { "io.kubernetes.pod.namespace=", "kube-system" },
  };
  ocigate_eval_opts_t os = call (CRIO_BUNDLE ("5d9e8f7a6b5c"), "/run/runc", "5d9e8f7a6b5c");
  for (size_t i = 0; i < ARRAY_SIZE (spoofs); i++)
    {
      ocigate_doc_t *s = crio_config (true, "default", spoofs[i], 1);
      /* the pod is in default: neither default's nor kube-system's
       * exemption applies once the keys disagree */
      assert_not_exempt (s, "kube-system", &os, spoofs[i][0]);
      assert_not_exempt (s, "default", &os, spoofs[i][0]);
      ocigate_doc_free (s);
    }
  /* Pod annotations the kubelet's labels overwrite change nothing, and
   * ordinary ones are harmless. */
  static const char *const harmless[][2] = {
    { "io.kubernetes.pod.namespace", "kube-system" },
    { "io.kubernetes.container.name", "app" },
    { "io.kubernetes.cri-o.ImageName", "registry.k8s.io/pause:3.9" },
    { "kubernetes.io/config.seen", "2026-12-04T22:00:00Z" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (harmless); i++)
    {
      ocigate_doc_t *s = crio_config (true, "default", harmless[i], 1);
      assert_exempt (s, "default", &os, harmless[i][0]);
      ocigate_result_t res = judge (s, "kube-system", &os);
      ck_assert_int_eq (res.exemption, -1);
      ck_assert_str_eq (res.ctx.namespace, "default");
      ocigate_result_free (&res);
      ocigate_doc_free (s);
    }
}
END_TEST

START_TEST (test_crio_labels_strict)
{
  static const char *const bad[] = {
    "",
    "[]",
    "{\"io.kubernetes.pod.namespace\":\"kube-system\"",
    /* duplicate key: a reader keeping the first and one keeping the last differ */
    "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\","
    "\"io.kubernetes.pod.namespace\":\"default\",\"io.kubernetes.pod.namespace\":\"kube-system\"}",
    /* nested */
    "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\","
    "\"io.kubernetes.pod.namespace\":\"kube-system\",\"x\":{}}",
    /* disagrees with the kubelet's label */
    "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\","
    "\"io.kubernetes.pod.namespace\":\"kube-systemx\"}",
    "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\"}",
    /* another pod's uid (it names the kubelet directory this pod may bind) */
    "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\","
    "\"io.kubernetes.pod.namespace\":\"kube-system\","
    "\"io.kubernetes.pod.uid\":\"9c4b2e81-7d3a-4c5f-b6e2-3f1a0d9c8b7e\"}",
  };
  ocigate_eval_opts_t oc = call (CRIO_BUNDLE ("c0ffee123456"), "/run/runc", "c0ffee123456");
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ocigate_doc_t *c = crio_config (false, "kube-system", NULL, 0);
      set_ann (c, "io.kubernetes.cri-o.Labels", bad[i]);
      assert_not_exempt (c, "kube-system", &oc, bad[i]);
      ocigate_doc_free (c);
    }
  /* Too large to be the kubelet's. */
  ocigate_doc_t *c = crio_config (false, "kube-system", NULL, 0);
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"io.kubernetes.container.name\":\"app\",\"io.kubernetes.pod.name\":\"web\","
                   "\"io.kubernetes.pod.namespace\":\"kube-system\",\"pad\":\"");
  for (int i = 0; i < 300 * 1024; i++)
    strbuf_puts (&b, "x");
  strbuf_puts (&b, "\"}");
  set_ann (c, "io.kubernetes.cri-o.Labels", b.s);
  free (b.s);
  assert_not_exempt (c, "kube-system", &oc, "large labels");
  ocigate_doc_free (c);
  /* A container named POD is the infra container: the type must agree. */
  c = crio_config (false, "kube-system", NULL, 0);
  set_ann (c, "io.kubernetes.container.name", "POD");
  assert_not_exempt (c, "kube-system", &oc, "container named POD");
  ocigate_doc_free (c);
}
END_TEST

/* The same, on what CRI-O 1.26.4 really wrote (tests/data/identity): the
 * call as crio-argv.txt shows it. */
static ocigate_eval_opts_t
crio_real_call (ocigate_doc_t *d, char bundle[static 256])
{
  const char *id = ann (d, "io.kubernetes.cri-o.ContainerID");
  ck_assert (id != NULL);
  snprintf (bundle, 256, "/tmp/identity-crio/w/runroot/vfs-containers/%s/userdata", id);
  return call (bundle, "/tmp/identity-crio/w/runc-root", id);
}

START_TEST (test_crio_captured)
{
  ocigate_doc_t *s = fixture ("identity/crio-sandbox.json");
  ocigate_doc_t *c = fixture ("identity/crio-container.json");
  char bs[256], bc[256];
  ocigate_eval_opts_t os = crio_real_call (s, bs), oc = crio_real_call (c, bc);
  assert_exempt (s, "kube-system", &os, "CRI-O 1.26.4 sandbox");
  assert_exempt (c, "kube-system", &oc, "CRI-O 1.26.4 container");
  ocigate_result_t res = judge (c, "kube-system", &oc);
  ck_assert_str_eq (res.ctx.engine, "cri-o");
  ck_assert_str_eq (res.ctx.pod, "web");
  ck_assert_str_eq (res.ctx.container, "app");
  ck_assert_str_eq (res.ctx.image, "localhost/busybox:test");
  ck_assert_str_eq (res.ctx.pod_uid, "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d");
  ocigate_result_free (&res);
  res = judge (s, "kube-system", &os);
  ck_assert_str_eq (res.ctx.container_type, "sandbox");
  ocigate_result_free (&res);
  /* the container's call does not fit the sandbox's config, nor another root-less one */
  assert_not_exempt (s, "kube-system", &oc, "sandbox config, container's call");
  oc.runtime_root = NULL;
  assert_not_exempt (c, "kube-system", &oc, "no --root");
  ocigate_doc_free (s);
  ocigate_doc_free (c);

  /* Pod default/evil claims kube-system in its annotations.  On the
   * sandbox they overwrote CRI-O's Namespace, KubeName and Labels: nothing
   * is believed.  Into the container CRI-O copied them too
   * (io.kubernetes.cri-o.Namespace: kube-system): the kubelet's labels say
   * default, and default it is. */
  s = fixture ("identity/crio-spoof-sandbox.json");
  c = fixture ("identity/crio-spoof-container.json");
  ck_assert_str_eq (ann (c, "io.kubernetes.cri-o.Namespace"), "kube-system");
  os = crio_real_call (s, bs);
  oc = crio_real_call (c, bc);
  assert_not_exempt (s, "kube-system", &os, "spoofing sandbox");
  assert_not_exempt (s, "default", &os, "spoofing sandbox (its own namespace)");
  res = judge (c, "kube-system", &oc);
  ck_assert_int_eq (res.exemption, -1);
  ck_assert (res.reject);
  ck_assert_str_eq (res.ctx.namespace, "default");
  ck_assert_str_eq (res.ctx.pod_uid, "9c4b2e81-7d3a-4c5f-b6e2-3f1a0d9c8b7e");
  ocigate_result_free (&res);
  ocigate_doc_free (s);
  ocigate_doc_free (c);
}
END_TEST

/* A podman user writing CRI-O's whole key set: podman's own marker, no
 * --root, and a container id podman picks only afterwards. */
START_TEST (test_podman_spoofs_crio)
{
  ocigate_doc_t *c = crio_config (false, "kube-system", NULL, 0);
  set_ann (c, "io.container.manager", "libpod");
  ocigate_eval_opts_t o
      = call ("/var/lib/containers/storage/overlay-containers/9a8b7c/userdata", NULL, "9a8b7c");
  assert_not_exempt (c, "kube-system", &o, "podman's marker");
  set_ann (c, "io.container.manager", "cri-o");
  assert_not_exempt (c, "kube-system", &o, "no --root");
  o.runtime_root = "/run/runc";
  assert_not_exempt (c, "kube-system", &o, "id unknown in advance");
  ocigate_doc_free (c);
}
END_TEST

/* ---- 4. images.allowed and pod sandboxes ---- */

static size_t
image_findings (ocigate_doc_t *d, const char *allowed, const ocigate_eval_opts_t *o)
{
  cleanup_free char *pj = xasprintf ("{\"images\":{\"allowed\":[%s]}}", allowed);
  ocigate_policy_t *pol = tu_policy (pj);
  ocigate_result_t res;
  tu_eval (pol, d, o, &res);
  size_t n = tu_count (&res, "image-registry");
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  return n;
}

START_TEST (test_images_sandboxes)
{
  /* containerd 1.6 names no image for a sandbox: it runs the operator's
   * sandbox_image, and is not refused for it. */
  ocigate_doc_t *s = fixture ("cri-sandbox.json");
  ocigate_eval_opts_t os = call (CTRD_BUNDLE "6a15f24b27207aaf60b3abb7eae3d4c9f7b8955cb75c34a8ca24"
                                             "54557c397428",
                                 CTRD_ROOT, sandbox_id);
  ck_assert_uint_eq (image_findings (s, "\"registry.k8s.io/pause\"", &os), 0);
  ck_assert_uint_eq (image_findings (s, "\"registry.k8s.io/pause\"", &offline), 0);
  /* ...but only when the sandbox is containerd's */
  ocigate_eval_opts_t bad = call (CTRD_BUNDLE "x", "/run/runc", sandbox_id);
  ck_assert_uint_eq (image_findings (s, "\"registry.k8s.io/pause\"", &bad), 1);
  /* containerd 1.7 names it: judged */
  set_ann (s, "io.kubernetes.cri.podsandbox.image-name", "registry.k8s.io/pause:3.9");
  ck_assert_uint_eq (image_findings (s, "\"registry.k8s.io/pause\"", &os), 0);
  ck_assert_uint_eq (image_findings (s, "\"docker.io/\"", &os), 1);
  ocigate_doc_free (s);

  /* containerd containers: judged by their image */
  ocigate_doc_t *c = fixture ("cri-container.json");
  ocigate_eval_opts_t oc = call (CTRD_BUNDLE "0f8e", CTRD_ROOT, "0f8e");
  ck_assert_uint_eq (image_findings (c, "\"localhost/\"", &oc), 0);
  ck_assert_uint_eq (image_findings (c, "\"registry.k8s.io/pause\"", &oc), 1);
  ocigate_doc_free (c);

  /* CRI-O: the sandbox runs its pause_image whatever the annotations say */
  s = crio_config (true, "default", NULL, 0);
  os = call (CRIO_BUNDLE ("5d9e8f7a6b5c"), "/run/runc", "5d9e8f7a6b5c");
  ck_assert_uint_eq (image_findings (s, "\"registry.k8s.io/pause\"", &os), 0);
  ocigate_doc_free (s);
  c = crio_config (false, "default", NULL, 0);
  oc = call (CRIO_BUNDLE ("c0ffee123456"), "/run/runc", "c0ffee123456");
  ck_assert_uint_eq (image_findings (c, "\"localhost/busybox\"", &oc), 0);
  ck_assert_uint_eq (image_findings (c, "\"registry.k8s.io/\"", &oc), 1);
  ocigate_doc_free (c);

  /* No engine: no image, refused. */
  ocigate_doc_t *p = fixture ("podman.json");
  ck_assert_uint_eq (image_findings (p, "\"localhost/\"", &offline), 1);
  ocigate_doc_free (p);
}
END_TEST

/* ---- 5. exec: the container's identity, checked on the exec call ---- */

START_TEST (test_exec_identity)
{
  ocigate_policy_t *pol = tu_policy ("{\"exemptions\":[{\"namespaces\":[\"default\"],"
                                     "\"preset\":\"privileged\"}]}");
  ocigate_doc_t *c = fixture ("cri-container.json");
  static const char pj[] = "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}";
  ocigate_error_t err = NULL;
  ocigate_doc_t *p = ocigate_process_parse (pj, strlen (pj), pol, "process.json", &err);
  ck_assert_msg (p != NULL, "%s", err ? err->msg : "?");
  ocigate_eval_opts_t o = call (CTRD_BUNDLE "0f8e", CTRD_ROOT, "0f8e");
  ocigate_result_t res;
  ck_assert_int_eq (ocigate_evaluate_process (pol, p, c, &o, &res, &err), 0);
  ck_assert_int_eq (res.exemption, 0);
  ocigate_result_free (&res);
  o = call ("/var/lib/containers/storage/overlay-containers/0f8e/userdata", NULL, "0f8e");
  ck_assert_int_eq (ocigate_evaluate_process (pol, p, c, &o, &res, &err), 0);
  ck_assert_int_eq (res.exemption, -1);
  ck_assert (res.reject);
  ocigate_result_free (&res);
  ocigate_doc_free (p);
  ocigate_doc_free (c);
  ocigate_policy_free (pol);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("identity");
  TCase *tc = tcase_create ("identity");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_label_split_trips);
  tcase_add_test (tc, test_label_split_message);
  tcase_add_test (tc, test_label_split_near_miss);
  tcase_add_test (tc, test_strip_keeps_order);
  tcase_add_test (tc, test_containerd_call);
  tcase_add_test (tc, test_containerd_keys);
  tcase_add_test (tc, test_podman_spoofs_containerd);
  tcase_add_test (tc, test_crio_identity);
  tcase_add_test (tc, test_crio_pod_author_spoofs);
  tcase_add_test (tc, test_crio_labels_strict);
  tcase_add_test (tc, test_crio_captured);
  tcase_add_test (tc, test_podman_spoofs_crio);
  tcase_add_test (tc, test_images_sandboxes);
  tcase_add_test (tc, test_exec_identity);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
