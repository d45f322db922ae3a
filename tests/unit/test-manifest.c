/* SPDX-License-Identifier: Apache-2.0 */
/* validate on Kubernetes manifests: the predicted config against the
 * configs containerd 1.6 really wrote (tests/data/generated), findings
 * located in the manifest, and bad YAML refused in bounded time. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "k8s-internal.h"
#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define WARN OCIGATE_ACTION_WARN

static char *
slurp (const char *rel, size_t *len)
{
  char *path = xasprintf ("%s/%s", TEST_DATA, rel);
  char *buf = NULL;
  ocigate_error_t err = NULL;
  ck_assert_msg (ocigate_read_file (path, 64 << 20, &buf, len, &err) == 0, "%s: %s", path,
                 err ? err->msg : "?");
  free (path);
  return buf;
}

static void
judge_text (const ocigate_policy_t *pol, const char *yaml, k8s_file_t *f)
{
  ocigate_error_t err = NULL;
  memset (f, 0, sizeof (*f));
  f->file = xstrdup ("m.yaml");
  int r
      = k8s_judge_buffer (pol ? pol : tu_default_policy (), yaml, strlen (yaml), "m.yaml", f, &err);
  ck_assert_msg (r == 0, "%s", err ? err->msg : "?");
}

static const k8s_item_t *
item (const k8s_file_t *f, const char *container)
{
  for (size_t i = 0; i < f->n; i++)
    if (strcmp (f->items[i].container, container) == 0)
      return &f->items[i];
  ck_abort_msg ("no container %s", container);
  return NULL;
}

/* The finding of a rule, or NULL. */
static const ocigate_finding_t *
find (const k8s_item_t *it, const char *rule, size_t *idx)
{
  for (size_t i = 0; i < it->res.n; i++)
    if (strcmp (ocigate_rule_info (it->res.f[i].rule)->id, rule) == 0)
      {
        if (idx)
          *idx = i;
        return &it->res.f[i];
      }
  return NULL;
}

static char *
bad_yaml (const char *yaml)
{
  ocigate_error_t err = NULL;
  k8s_file_t f = { 0 };
  int r = k8s_judge_buffer (tu_default_policy (), yaml, strlen (yaml), "bad.yaml", &f, &err);
  ck_assert_msg (r < 0, "accepted: %.60s", yaml);
  ck_assert (strchr (err->msg, '\n') == NULL);
  ck_assert (strstr (err->msg, "bad.yaml") != NULL);
  char *m = xstrdup (err->msg);
  ocigate_error_free (&err);
  k8s_file_free (&f);
  return m;
}

/* ---- golden pairs ---- */

static ocigate_json_t *
get (const ocigate_json_t *root, const char *path)
{
  return oj_path (root, path);
}

/* A field compared as canonical JSON ("null" when absent). */
static char *
canon (const ocigate_json_t *n)
{
  return n ? tu_json (n) : xstrdup ("null");
}

static void
same (const char *what, const char *fixture, const ocigate_json_t *a, const ocigate_json_t *b)
{
  char *x = canon (a), *y = canon (b);
  ck_assert_msg (strcmp (x, y) == 0, "%s: %s: predicted %.300s, containerd %.300s", fixture, what,
                 x, y);
  free (x);
  free (y);
}

static bool
is_true_at (const ocigate_json_t *root, const char *path)
{
  return oj_is (get (root, path), OJ_TRUE);
}

/* Ids the node picks (pod uid, sandbox and container ids, the
 * termination-log file name, the token volume's suffix) replaced. */
static char *
norm_source (const char *s, const char *uid, const char *sid)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, s);
  char *t = strbuf_steal (&b);
  const char *pats[] = { uid, sid, "00000000-0000-4000-8000-00000000cafe",
                         "5a4d0b0e0f0a0b0c0d0e0f00112233445566778899aabbccddeeff0011223344" };
  const char *rep[] = { "UID", "SID", "UID", "SID" };
  for (size_t i = 0; i < 4; i++)
    {
      char *p;
      while (pats[i] && (p = strstr (t, pats[i])))
        {
          char *n = xasprintf ("%.*s%s%s", (int)(p - t), t, rep[i], p + strlen (pats[i]));
          free (t);
          t = n;
        }
    }
  char *c = strstr (t, "/containers/");
  if (c)
    {
      char *last = strrchr (t, '/');
      *last = '\0';
    }
  char *k = strstr (t, "kube-api-access-");
  if (k)
    k[strlen ("kube-api-access")] = '\0';
  return t;
}

/* The set of mounts as "destination type source options", sorted. */
static char *
mount_set (const ocigate_json_t *root)
{
  const char *uid = oj_str (get (root, "annotations/io.kubernetes.cri.sandbox-uid"));
  const char *sid = oj_str (get (root, "annotations/io.kubernetes.cri.sandbox-id"));
  const ocigate_json_t *ms = get (root, "mounts");
  size_t n = oj_len (ms);
  char **v = xzalloc ((n + 1) * sizeof (*v));
  for (size_t i = 0; i < n; i++)
    {
      const ocigate_json_t *m = oj_at (ms, i);
      char *src = norm_source (oj_str (oj_get (m, "source")), uid, sid);
      char *opts = canon (oj_get (m, "options"));
      v[i] = xasprintf ("%s %s %s %s", oj_str (oj_get (m, "destination")),
                        oj_str (oj_get (m, "type")), src, opts);
      free (src);
      free (opts);
    }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp (v[i], v[j]) > 0)
        {
          char *t = v[i];
          v[i] = v[j];
          v[j] = t;
        }
  strbuf_t b = { 0 };
  strbuf_puts (&b, "");
  for (size_t i = 0; i < n; i++)
    {
      strbuf_printf (&b, "%s\n", v[i]);
      free (v[i]);
    }
  free (v);
  return strbuf_steal (&b);
}

/* Namespaces as the container really gets them: a path into a sandbox
 * that has no namespace of that type is the host's (hostNetwork). */
static char *
ns_set (const ocigate_json_t *root, const ocigate_json_t *sandbox)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "");
  const ocigate_json_t *ns = get (root, "linux/namespaces");
  static const char *const types[] = { "pid", "ipc", "uts", "mount", "network", "user", "cgroup" };
  for (size_t t = 0; t < ARRAY_SIZE (types); t++)
    for (size_t i = 0; i < oj_len (ns); i++)
      {
        const ocigate_json_t *e = oj_at (ns, i);
        if (!oj_str_eq (oj_get (e, "type"), types[t]))
          continue;
        bool joined = oj_get (e, "path") != NULL;
        if (joined && sandbox)
          {
            bool has = false;
            const ocigate_json_t *sns = get (sandbox, "linux/namespaces");
            for (size_t k = 0; k < oj_len (sns); k++)
              has |= oj_str_eq (oj_get (oj_at (sns, k), "type"), types[t]);
            if (!has)
              continue; /* the host's */
          }
        strbuf_printf (&b, "%s%s ", types[t], joined ? "=sandbox" : "");
      }
  return strbuf_steal (&b);
}

/* Findings as "rule action" lines, sorted, without pointers. */
static char *
verdicts (const ocigate_result_t *res)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "");
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    for (int a = OCIGATE_ACTION_REJECT; a >= OCIGATE_ACTION_WARN; a--)
      for (size_t i = 0; i < res->n; i++)
        if ((int)res->f[i].rule == r && (int)res->f[i].action == a)
          {
            strbuf_printf (&b, "%s %s\n", ocigate_rule_info (r)->id, ocigate_action_name (a));
            break;
          }
  return strbuf_steal (&b);
}

/* extra: a verdict only the prediction can reach offline (the host's
 * network namespace behind the sandbox's path shows in runtime mode,
 * through the inode comparison, and not in the config's text). */
static void
golden (const char *manifest, const char *container, const char *fixture, const char *sandbox,
        const char *extra)
{
  size_t len;
  char *yaml = slurp (manifest, &len);
  k8s_file_t f;
  judge_text (NULL, yaml, &f);
  const k8s_item_t *it = item (&f, container);
  ocigate_doc_t *pd = tu_parse (it->config);
  char *fx = slurp (fixture, &len);
  ocigate_doc_t *cd = tu_parse (fx);
  ocigate_doc_t *sd = NULL;
  char *sx = NULL;
  if (sandbox)
    {
      sx = slurp (sandbox, &len);
      sd = tu_parse (sx);
    }
  const ocigate_json_t *p = ocigate_doc_root (pd), *c = ocigate_doc_root (cd);

  /* every field a rule reads */
  static const char *const fields[] = { "process/user",
                                        "process/cwd",
                                        "process/capabilities",
                                        "process/apparmorProfile",
                                        "process/selinuxLabel",
                                        "process/oomScoreAdj",
                                        "process/scheduler",
                                        "process/ioPriority",
                                        "root/path",
                                        "hooks",
                                        "annotations/io.kubernetes.cri.container-type",
                                        "annotations/io.kubernetes.cri.container-name",
                                        "annotations/io.kubernetes.cri.sandbox-name",
                                        "annotations/io.kubernetes.cri.sandbox-namespace",
                                        "annotations/io.kubernetes.cri.image-name",
                                        "linux/resources/devices",
                                        "linux/resources/pids",
                                        "linux/resources/memory/limit",
                                        "linux/sysctl",
                                        "linux/uidMappings",
                                        "linux/gidMappings",
                                        "linux/maskedPaths",
                                        "linux/readonlyPaths",
                                        "linux/seccomp",
                                        "linux/rootfsPropagation",
                                        "linux/netDevices",
                                        "linux/mountLabel" };
  bool privileged
      = oj_is (oj_get (oj_at (get (c, "linux/resources/devices"), 0), "allow"), OJ_TRUE);
  for (size_t i = 0; i < ARRAY_SIZE (fields); i++)
    if (!(privileged && strcmp (fields[i], "process/capabilities") == 0))
      same (fields[i], fixture, get (p, fields[i]), get (c, fields[i]));
  if (privileged)
    {
      /* "all" is every capability the node's root holds: the kernel's
       * set on a node, 40 of 41 on the capture host, whose root lacked
       * CAP_SYS_RESOURCE (tests/data/README.md) */
      static const char *const sets[] = { "bounding", "effective", "permitted" };
      for (size_t k = 0; k < ARRAY_SIZE (sets); k++)
        {
          char *path = xasprintf ("process/capabilities/%s", sets[k]);
          const ocigate_json_t *ps = get (p, path), *cs = get (c, path);
          for (size_t i = 0; i < oj_len (cs); i++)
            {
              bool in = false;
              for (size_t j = 0; j < oj_len (ps); j++)
                in |= oj_equal (oj_at (cs, i), oj_at (ps, j));
              ck_assert_msg (in, "%s: %s lacks %s", fixture, path, oj_str (oj_at (cs, i)));
            }
          ck_assert_msg (oj_len (ps) <= oj_len (cs) + 1, "%s: %s", fixture, path);
          free (path);
        }
    }
  ck_assert_msg (is_true_at (p, "process/noNewPrivileges")
                     == is_true_at (c, "process/noNewPrivileges"),
                 "%s: noNewPrivileges", fixture);
  ck_assert_msg (is_true_at (p, "root/readonly") == is_true_at (c, "root/readonly"), "%s: readonly",
                 fixture);
  /* privileged: containerd copies the node's device nodes; which ones is
   * the node's, that there are some is the prediction's */
  ck_assert_msg (
      (oj_len (get (c, "linux/devices")) > 0)
          == oj_is (oj_get (oj_at (get (p, "linux/resources/devices"), 0), "allow"), OJ_TRUE),
      "%s: devices", fixture);
  char *a = mount_set (p), *b = mount_set (c);
  ck_assert_msg (strcmp (a, b) == 0, "%s: mounts\npredicted:\n%.1000s\ncontainerd:\n%.1000s",
                 fixture, a, b);
  free (a);
  free (b);
  a = ns_set (p, NULL);
  b = ns_set (c, sd ? ocigate_doc_root (sd) : NULL);
  ck_assert_msg (strcmp (a, b) == 0, "%s: namespaces: predicted %s, containerd %s", fixture, a, b);
  free (a);
  free (b);
  char *pc = norm_source (oj_str (get (p, "linux/cgroupsPath")), NULL, NULL);
  char *cc = norm_source (oj_str (get (c, "linux/cgroupsPath")),
                          oj_str (get (c, "annotations/io.kubernetes.cri.sandbox-uid")), NULL);
  ck_assert_msg (strncmp (pc, cc, strrchr (cc, '/') - cc) == 0, "%s: cgroupsPath %s vs %s", fixture,
                 pc, cc);
  free (pc);
  free (cc);

  /* and the same verdicts, rule by rule */
  ocigate_eval_opts_t o = { .name = fixture, .bundle = "/nonexistent" };
  ocigate_result_t res;
  tu_eval (NULL, cd, &o, &res);
  a = verdicts (&it->res);
  b = verdicts (&res);
  if (extra)
    {
      char *x = strstr (a, extra);
      ck_assert_msg (x != NULL, "%s: predicted no %s", fixture, extra);
      memmove (x, x + strlen (extra), strlen (x + strlen (extra)) + 1);
    }
  ck_assert_msg (strcmp (a, b) == 0, "%s: verdicts\npredicted:\n%.1000s\ncontainerd:\n%.1000s",
                 fixture, a, b);
  free (a);
  free (b);
  ocigate_result_free (&res);
  ocigate_doc_free (pd);
  ocigate_doc_free (cd);
  ocigate_doc_free (sd);
  free (sx);
  free (fx);
  free (yaml);
  k8s_file_free (&f);
}

START_TEST (test_golden)
{
  golden ("manifests/cri/web.yaml", "app", "generated/cri-container.json", NULL, NULL);
  golden ("manifests/cri/web.yaml", "app-rd", "generated/cri-container-runtimedefault.json", NULL,
          NULL);
  golden ("manifests/cri/web.yaml", "app-restricted", "generated/cri-container-restricted.json",
          NULL, NULL);
  golden ("manifests/cri/hostnet.yaml", "app", "generated/cri-container-hostnetwork.json",
          "generated/cri-container-hostnetwork-sandbox.json", "host-namespaces reject\n");
  golden ("manifests/cri/priv.yaml", "app", "generated/cri-container-privileged.json", NULL, NULL);
}
END_TEST

/* ---- findings in the manifest ---- */

START_TEST (test_locations)
{
  const char *yaml = "apiVersion: v1\n"               /* 1 */
                     "kind: Service\n"                /* 2 */
                     "metadata: {name: s}\n"          /* 3 */
                     "---\n"                          /* 4 */
                     "apiVersion: apps/v1\n"          /* 5 */
                     "kind: Deployment\n"             /* 6 */
                     "metadata:\n"                    /* 7 */
                     "  name: d\n"                    /* 8 */
                     "spec:\n"                        /* 9 */
                     "  template:\n"                  /* 10 */
                     "    spec:\n"                    /* 11 */
                     "      hostPID: true\n"          /* 12 */
                     "      containers:\n"            /* 13 */
                     "        - name: a\n"            /* 14 */
                     "          image: x\n"           /* 15 */
                     "        - name: b\n"            /* 16 */
                     "          image: y\n"           /* 17 */
                     "          securityContext:\n"   /* 18 */
                     "            runAsUser: 0\n"     /* 19 */
                     "            privileged: yes\n"; /* 20 */
  k8s_file_t f;
  judge_text (NULL, yaml, &f);
  ck_assert_uint_eq (f.n, 2);
  ck_assert_uint_eq (f.skipped, 1);
  const k8s_item_t *b = item (&f, "b");
  ck_assert_uint_eq (b->doc, 1);
  ck_assert_str_eq (b->where.path, "spec.template.spec.containers[1]");
  ck_assert_uint_eq (b->where.line, 16);
  size_t i;
  /* YAML 1.1: yes is true, as the API server reads it */
  ck_assert (find (b, "privileged", &i) != NULL);
  ck_assert_int_eq (b->res.f[i].action, REJ);
  ck_assert_str_eq (b->locs[i].path, "spec.template.spec.containers[1].securityContext.privileged");
  ck_assert_uint_eq (b->locs[i].line, 20);
  ck_assert_uint_eq (b->locs[i].col, 13);
  ck_assert (find (b, "root-user", &i) != NULL);
  ck_assert_str_eq (b->locs[i].path, "spec.template.spec.containers[1].securityContext.runAsUser");
  ck_assert_uint_eq (b->locs[i].line, 19);
  ck_assert (strstr (b->res.f[i].message, "depends on the image") == NULL);
  ck_assert (find (b, "host-namespaces", &i) != NULL);
  ck_assert_str_eq (b->locs[i].path, "spec.template.spec.hostPID");
  ck_assert_uint_eq (b->locs[i].line, 12);
  ck_assert (b->res.reject);
  k8s_file_free (&f);
}
END_TEST

START_TEST (test_depends_on_image)
{
#define POD1                                                                                       \
  "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\n"                              \
  "spec:\n  containers:\n  - name: c\n    image: nginx\n%s"
  /* no runAsUser, no runAsNonRoot: its own finding, never a guess */
  char *y = xasprintf (POD1, "");
  k8s_file_t f;
  judge_text (NULL, y, &f);
  size_t i;
  const ocigate_finding_t *fi = find (&f.items[0], "root-user", &i);
  ck_assert (fi != NULL);
  ck_assert (strstr (fi->message, "depends on the image") != NULL);
  ck_assert_int_eq (fi->action, REJ);
  ck_assert_str_eq (f.items[0].locs[i].path, "spec.containers[0]");
  fi = find (&f.items[0], "root-group", NULL);
  ck_assert (fi && strstr (fi->message, "depends on the image"));
  k8s_file_free (&f);
  free (y);
  /* near miss: runAsNonRoot decides the user (the kubelet refuses a root USER) */
  y = xasprintf (POD1, "    securityContext: {runAsNonRoot: true, runAsGroup: 5}\n");
  judge_text (NULL, y, &f);
  ck_assert (find (&f.items[0], "root-user", NULL) == NULL);
  ck_assert (find (&f.items[0], "root-group", NULL) == NULL);
  k8s_file_free (&f);
  free (y);
  /* the pod's securityContext counts too */
  y = xasprintf ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                 "  securityContext: {runAsUser: 7, runAsGroup: 7}\n"
                 "  containers:\n  - name: c\n    image: nginx\n");
  judge_text (NULL, y, &f);
  ck_assert (find (&f.items[0], "root-user", NULL) == NULL);
  const char *cfg = f.items[0].config;
  ck_assert (strstr (cfg, "\"uid\": 7") || strstr (cfg, "\"uid\":7"));
  k8s_file_free (&f);
  free (y);
}
END_TEST

START_TEST (test_kinds)
{
  const char *yaml
      = "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: cj}\n  spec:\n"
        "    schedule: '* * * * *'\n    jobTemplate:\n      spec:\n        template:\n"
        "          spec:\n            containers: [{name: job, image: busybox}]\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: dbg}\n  spec:\n"
        "    initContainers: [{name: init, image: busybox}]\n"
        "    containers: [{name: main, image: busybox}]\n"
        "    ephemeralContainers: [{name: debugger, image: busybox, securityContext: "
        "{capabilities: {add: [SYS_PTRACE]}}}]\n"
        "---\n"
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\"},"
        "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"agent\",\"image\":\"a\"}]}}}"
        "}\n"
        "---\n"
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ss}\nspec:\n  template:\n"
        "    spec: {containers: [{name: db, image: pg}]}\n"
        "---\n"
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n"
        "    spec: {containers: [{name: run, image: pg}]}\n"
        "---\n"
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n  template:\n"
        "    spec: {containers: [{name: r, image: pg}]}\n";
  k8s_file_t f;
  judge_text (NULL, yaml, &f);
  ck_assert_uint_eq (f.n, 8);
  ck_assert_str_eq (item (&f, "job")->where.path,
                    "items[0].spec.jobTemplate.spec.template.spec.containers[0]");
  ck_assert_str_eq (item (&f, "init")->where.path, "items[1].spec.initContainers[0]");
  ck_assert_str_eq (item (&f, "debugger")->where.path, "items[1].spec.ephemeralContainers[0]");
  ck_assert_str_eq (item (&f, "agent")->kind, "DaemonSet");
  ck_assert_uint_eq (item (&f, "agent")->doc, 1);
  ck_assert_uint_eq (item (&f, "db")->doc, 2);
  ck_assert_str_eq (item (&f, "r")->kind, "ReplicaSet");
  /* SYS_PTRACE added to the ephemeral container is judged */
  const k8s_item_t *dbg = item (&f, "debugger");
  size_t i;
  ck_assert (find (dbg, "capabilities", &i) != NULL);
  ck_assert (strstr (dbg->res.f[i].message, "CAP_SYS_PTRACE") != NULL);
  ck_assert_str_eq (dbg->locs[i].path,
                    "items[1].spec.ephemeralContainers[0].securityContext.capabilities");
  k8s_file_free (&f);
}
END_TEST

START_TEST (test_exemptions)
{
  const char *yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: cni, namespace: kube-system}\n"
                     "spec:\n  hostNetwork: true\n  containers:\n"
                     "  - {name: agent, image: quay.io/cilium/cilium:v1.14, securityContext: "
                     "{privileged: true}}\n";
  k8s_file_t f;
  judge_text (NULL, yaml, &f);
  ck_assert (f.items[0].res.reject);
  k8s_file_free (&f);
  ocigate_policy_t *pol
      = tu_policy ("{\"exemptions\":[{\"namespaces\":[\"kube-system\"],"
                   "\"images\":[\"quay.io/cilium\"],\"preset\":\"privileged\"}]}");
  judge_text (pol, yaml, &f);
  ck_assert (!f.items[0].res.reject);
  ck_assert_int_eq (f.items[0].res.exemption, 0);
  k8s_file_free (&f);
  /* near miss: another namespace is not exempt */
  char *other = xstrdup (yaml);
  memcpy (strstr (other, "kube-system"), "kube-systex", 11);
  judge_text (pol, other, &f);
  ck_assert (f.items[0].res.reject);
  k8s_file_free (&f);
  free (other);
  ocigate_policy_free (pol);
}
END_TEST

START_TEST (test_resources)
{
#define POD2                                                                                       \
  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"                         \
  "  - name: c\n    image: x\n    securityContext: {runAsUser: 1, runAsGroup: 1}\n"                \
  "    resources: {limits: {memory: %s}}\n"
  static const struct
  {
    const char *q;
    long long bytes;
  } cases[] = { { "128Mi", 134217728 }, { "1G", 1000000000 },   { "129e6", 129000000 },
                { "\"1000\"", 1000 },   { "0.5Gi", 536870912 }, { "1k", 1000 } };
  for (size_t k = 0; k < ARRAY_SIZE (cases); k++)
    {
      char *y = xasprintf (POD2, cases[k].q);
      k8s_file_t f;
      judge_text (NULL, y, &f);
      char *want = xasprintf ("\"limit\": %lld", cases[k].bytes);
      ck_assert_msg (strstr (f.items[0].config, want), "%s: %s", cases[k].q, f.items[0].config);
      ck_assert (find (&f.items[0], "resource-limits", NULL) != NULL); /* pids */
      for (size_t i = 0; i < f.items[0].res.n; i++)
        ck_assert (strcmp (f.items[0].res.f[i].pointer, "/linux/resources/memory/limit") != 0);
      free (want);
      free (y);
      k8s_file_free (&f);
    }
  /* no memory limit: a warning pointing at the container's resources */
  k8s_file_t f;
  judge_text (NULL,
              "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
              "  - name: c\n    image: x\n    resources: {requests: {cpu: 1}}\n",
              &f);
  size_t i;
  bool seen = false;
  for (i = 0; i < f.items[0].res.n; i++)
    if (strcmp (f.items[0].res.f[i].pointer, "/linux/resources/memory/limit") == 0)
      {
        seen = true;
        ck_assert_int_eq (f.items[0].res.f[i].action, WARN);
        ck_assert_str_eq (f.items[0].locs[i].path, "spec.containers[0].resources");
      }
  ck_assert (seen);
  k8s_file_free (&f);
  char *m = bad_yaml ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                      "  - {name: c, image: x, resources: {limits: {memory: lots}}}\n");
  ck_assert (strstr (m, "resources.limits.memory") != NULL);
  free (m);
}
END_TEST

/* ---- bad YAML: one line, bounded ---- */

START_TEST (test_bad_yaml)
{
  char *m;
  /* billion laughs */
  const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                     "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                     "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
  clock_t t0 = clock ();
  m = bad_yaml (bomb);
  ck_assert_msg (strstr (m, "alias") != NULL, "%s", m);
  /* expanding the bomb would never end; the bound is loose on purpose */
  ck_assert ((double)(clock () - t0) / CLOCKS_PER_SEC < 5.0);
  free (m);
  /* deep nesting */
  strbuf_t b = { 0 };
  for (int i = 0; i < 100000; i++)
    strbuf_puts (&b, "[");
  m = bad_yaml (b.s);
  ck_assert_msg (strstr (m, "nesting") != NULL, "%s", m);
  free (m);
  free (b.s);
  /* not UTF-8, NUL bytes, duplicate and merge keys, unknown alias */
  m = bad_yaml ("kind: Pod\nmetadata: {name: \"\xff\xfe\"}\n");
  ck_assert_msg (strstr (m, "UTF-8") != NULL, "%s", m);
  free (m);
  m = bad_yaml ("kind: Pod\nimage: \"a\\0b\"\n");
  ck_assert_msg (strstr (m, "NUL") != NULL, "%s", m);
  free (m);
  m = bad_yaml ("kind: Pod\nspec:\n  hostPID: false\n  hostPID: true\n");
  ck_assert_msg (strstr (m, "duplicate key \"hostPID\"") && strstr (m, "line 4"), "%s", m);
  free (m);
  m = bad_yaml ("base: &b {privileged: true}\nsc:\n  <<: *b\n");
  ck_assert_msg (strstr (m, "merge keys") != NULL, "%s", m);
  free (m);
  m = bad_yaml ("a: *nope\n");
  ck_assert_msg (strstr (m, "unknown anchor") != NULL, "%s", m);
  free (m);
  m = bad_yaml ("a: [1, 2\n");
  ck_assert_msg (strstr (m, "line") != NULL, "%s", m);
  free (m);
  /* too large */
  size_t big = K8S_MAX_BYTES + 1;
  char *huge = xmalloc (big + 1);
  memset (huge, '#', big);
  huge[big] = '\0';
  m = bad_yaml (huge);
  ck_assert_msg (strstr (m, "larger than") != NULL, "%s", m);
  free (m);
  free (huge);
  /* near miss: a few aliases are fine */
  k8s_file_t f;
  judge_text (NULL,
              "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
              "  - name: a\n    image: x\n    securityContext: &sc {runAsUser: 5, runAsGroup: 5}\n"
              "  - name: b\n    image: x\n    securityContext: *sc\n",
              &f);
  ck_assert_uint_eq (f.n, 2);
  ck_assert (find (&f.items[1], "root-user", NULL) == NULL);
  k8s_file_free (&f);
}
END_TEST

START_TEST (test_scalars)
{
  /* quoted "true" is a string: the API server refuses it, and so do we
   * not read it as true; 0x10 and 0o17 are integers */
  k8s_file_t f;
  judge_text (NULL,
              "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
              "  - {name: a, image: x, securityContext: {runAsUser: 0x10, runAsGroup: 0o17}}\n",
              &f);
  ck_assert (strstr (f.items[0].config, "\"uid\": 16") != NULL);
  ck_assert (strstr (f.items[0].config, "\"gid\": 15") != NULL);
  k8s_file_free (&f);
  char *m = bad_yaml ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                      "  - {name: a, image: x, securityContext: {runAsUser: \"1000\"}}\n");
  ck_assert (strstr (m, "runAsUser") != NULL);
  free (m);
  /* a field of the wrong type is an error, never an absent field: the
   * API server refuses such a pod, and reading "true" as unset would
   * judge another one */
  m = bad_yaml ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                "  - {name: a, image: x, securityContext: {privileged: \"true\"}}\n");
  ck_assert_msg (strstr (m, "spec.containers[0].securityContext.privileged must be true or false"),
                 "%s", m);
  free (m);
  m = bad_yaml ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                "    name: a\n");
  ck_assert_msg (strstr (m, "spec.containers must be a list"), "%s", m);
  free (m);
  m = bad_yaml ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec: {}\n");
  ck_assert_msg (strstr (m, "no pod spec"), "%s", m);
  free (m);
  /* near miss: a plain scalar in a string field is a string there */
  judge_text (NULL,
              "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
              "  - {name: 1234, image: y, securityContext: {runAsUser: 3, runAsGroup: 3}}\n",
              &f);
  ck_assert_str_eq (f.items[0].container, "1234");
  ck_assert (strstr (f.items[0].config, "docker.io/library/true:latest") != NULL);
  k8s_file_free (&f);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("manifest");
  TCase *tc = tcase_create ("manifest");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_golden);
  tcase_add_test (tc, test_locations);
  tcase_add_test (tc, test_depends_on_image);
  tcase_add_test (tc, test_kinds);
  tcase_add_test (tc, test_exemptions);
  tcase_add_test (tc, test_resources);
  tcase_add_test (tc, test_bad_yaml);
  tcase_add_test (tc, test_scalars);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
