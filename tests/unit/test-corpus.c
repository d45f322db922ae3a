/* SPDX-License-Identifier: Apache-2.0 */
/* Properties over the whole fixture corpus (tests/data): real generator
 * output and hand-made attack configs.  The files are listed at run time,
 * so every config added to either directory is covered. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE

/* A fixed bundle: root.path "rootfs" must not depend on where the source
 * tree is checked out. */
static const ocigate_eval_opts_t opts = { .name = "corpus", .bundle = "/tmp/ocigate-bundle" };

typedef struct
{
  char **path; /* absolute */
  char **name; /* file name */
  size_t n;
} file_list_t;

static int
name_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Every *.json directly in TEST_DATA/sub, sorted.  A missing directory is
 * an empty list: the callers decide whether that is a failure. */
static file_list_t
list_json (const char *sub)
{
  file_list_t l = { 0 };
  char *dir = xasprintf ("%s/%s", TEST_DATA, sub);
  DIR *d = opendir (dir);
  size_t cap = 0;
  char **names = NULL;
  if (d)
    {
      struct dirent *de;
      while ((de = readdir (d)) != NULL)
        {
          size_t len = strlen (de->d_name);
          if (len <= 5 || strcmp (de->d_name + len - 5, ".json") != 0 || de->d_name[0] == '.')
            continue;
          if (l.n == cap)
            {
              cap = cap ? cap * 2 : 32;
              names = xrealloc (names, cap * sizeof (*names));
            }
          names[l.n++] = xstrdup (de->d_name);
        }
      closedir (d);
    }
  qsort (names, l.n, sizeof (*names), name_cmp);
  l.name = names;
  l.path = xzalloc ((l.n + 1) * sizeof (char *));
  for (size_t i = 0; i < l.n; i++)
    l.path[i] = xasprintf ("%s/%s", dir, names[i]);
  free (dir);
  return l;
}

static void
list_free (file_list_t *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->path[i]);
      free (l->name[i]);
    }
  free (l->path);
  free (l->name);
}

/* Both directories, generated first. */
static file_list_t
corpus (void)
{
  file_list_t g = list_json ("generated"), a = list_json ("attack"), all = { 0 };
  all.n = g.n + a.n;
  all.path = xzalloc ((all.n + 1) * sizeof (char *));
  all.name = xzalloc ((all.n + 1) * sizeof (char *));
  for (size_t i = 0; i < g.n; i++)
    {
      all.path[i] = g.path[i];
      all.name[i] = g.name[i];
    }
  for (size_t i = 0; i < a.n; i++)
    {
      all.path[g.n + i] = a.path[i];
      all.name[g.n + i] = a.name[i];
    }
  free (g.path);
  free (g.name);
  free (a.path);
  free (a.name);
  return all;
}

static ocigate_doc_t *
load (const ocigate_policy_t *pol, const char *path)
{
  ocigate_error_t err = NULL;
  char *buf;
  size_t len;
  ck_assert_msg (ocigate_read_file (path, pol->max_config_bytes, &buf, &len, &err) == 0, "%s",
                 err ? err->msg : path);
  ocigate_doc_t *d = ocigate_config_parse (buf, len, pol, path, &err);
  ck_assert_msg (d != NULL, "%s", err ? err->msg : path);
  free (buf);
  return d;
}

static char *
text (ocigate_doc_t *d)
{
  return tu_json (ocigate_doc_root (d));
}

static ocigate_doc_t *
reparse (const ocigate_policy_t *pol, const char *json, const char *path)
{
  ocigate_error_t err = NULL;
  ocigate_doc_t *d = ocigate_config_parse (json, strlen (json), pol, path, &err);
  ck_assert_msg (d != NULL, "%s: the rewritten config does not parse: %s", path,
                 err ? err->msg : "?");
  return d;
}

/* A policy that rewrites whatever can be rewritten and only warns about
 * the rest, so the rewrite properties see every fix applied, not only
 * those of configs the default policy lets through. */
static ocigate_policy_t *
rewrite_all_policy (void)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"rules\":{");
  for (int r = 0; r < OCIGATE_RULE_COUNT; r++)
    strbuf_printf (&b, "%s\"%s\":\"%s\"", r ? "," : "",
                   ocigate_rule_info ((ocigate_rule_id_t)r)->id,
                   ocigate_rule_can_rewrite ((ocigate_rule_id_t)r) ? "rewrite" : "warn");
  strbuf_puts (&b, "},\"readonly_rootfs\":{\"tmpfs\":[\"/tmp\"]}}");
  ocigate_policy_t *p = tu_policy (b.s);
  free (b.s);
  return p;
}

START_TEST (test_corpus_present)
{
  /* The corpus must not be empty, or every property below would pass
   * vacuously. */
  file_list_t g = list_json ("generated"), a = list_json ("attack");
  ck_assert_msg (g.n > 0, "no configs in %s/generated", TEST_DATA);
  ck_assert_msg (a.n > 0, "no configs in %s/attack", TEST_DATA);
  list_free (&g);
  list_free (&a);
}
END_TEST

START_TEST (test_corpus_parses)
{
  file_list_t l = corpus ();
  for (size_t i = 0; i < l.n; i++)
    {
      ocigate_doc_t *d = load (tu_default_policy (), l.path[i]);
      /* Lossless: parse, serialise, parse again gives the same tree. */
      char *t = text (d);
      ocigate_doc_t *again = reparse (tu_default_policy (), t, l.path[i]);
      ck_assert_msg (oj_equal (ocigate_doc_root (d), ocigate_doc_root (again)), "%s", l.name[i]);
      free (t);
      ocigate_doc_free (again);
      ocigate_doc_free (d);
    }
  list_free (&l);
}
END_TEST

static void
check_idempotent (const ocigate_policy_t *pol, const char *path)
{
  ocigate_doc_t *d = load (pol, path);
  ocigate_result_t r1, r2;
  tu_rewrite (pol, d, &opts, &r1);
  char *once = text (d);

  ocigate_doc_t *d2 = reparse (pol, once, path);
  tu_rewrite (pol, d2, &opts, &r2);
  char *twice = text (d2);
  ck_assert_msg (strcmp (once, twice) == 0, "%s: rewrite is not idempotent:\n%s\n%s", path, once,
                 twice);
  ck_assert_msg (!r2.changed, "%s: the second pass rewrote again", path);
  ck_assert_int_eq (r1.reject, r2.reject);
  if (!r1.reject)
    for (size_t i = 0; i < r2.n; i++)
      {
        /* What the first pass could fix, it fixed. */
        char *dump = tu_dump (&r2);
        ck_assert_msg (r2.f[i].action != RW, "%s: left to rewrite after a rewrite:\n%s", path,
                       dump);
        free (dump);
      }
  free (once);
  free (twice);
  ocigate_result_free (&r1);
  ocigate_result_free (&r2);
  ocigate_doc_free (d2);
  ocigate_doc_free (d);
}

START_TEST (test_rewrite_idempotent)
{
  file_list_t l = corpus ();
  ocigate_policy_t *all = rewrite_all_policy ();
  ocigate_policy_t *baseline = tu_policy ("{\"preset\":\"baseline\"}");
  for (size_t i = 0; i < l.n; i++)
    {
      check_idempotent (tu_default_policy (), l.path[i]);
      check_idempotent (baseline, l.path[i]);
      check_idempotent (all, l.path[i]);
    }
  ocigate_policy_free (all);
  ocigate_policy_free (baseline);
  list_free (&l);
}
END_TEST

/* Members a rule owns and may change or remove (JSON pointers; a prefix
 * covers what lies below it).  Appending (mounts, maskedPaths,
 * readonlyPaths) is not owning: existing entries must survive. */
static const char *const owned[] = {
  "/process/user/uid",
  "/process/user/gid",
  "/process/user/additionalGids",
  "/process/capabilities/bounding",
  "/process/capabilities/effective",
  "/process/capabilities/inheritable",
  "/process/capabilities/permitted",
  "/process/capabilities/ambient",
  "/process/noNewPrivileges",
  "/process/apparmorProfile",
  "/process/selinuxLabel",
  "/root/readonly",
  "/linux/seccomp",
  "/linux/mountLabel",
  "/linux/sysctl",
  "/hooks/", /* the hook lists; the hooks object itself stays */
  "/annotations/run.oci.",
  "/annotations/org.systemd.property.",
  "/annotations/org.criu.config",
  "/annotations/bundle",
  "/annotations/ocigate.rewrites",
};

static bool
is_owned (const char *ptr)
{
  for (size_t i = 0; i < ARRAY_SIZE (owned); i++)
    {
      size_t l = strlen (owned[i]);
      if (strncmp (ptr, owned[i], l) != 0)
        continue;
      /* a whole component, or a prefix that ends in '/' or '.' */
      if (ptr[l] == '\0' || ptr[l] == '/' || owned[i][l - 1] == '/' || owned[i][l - 1] == '.')
        return true;
    }
  return false;
}

/* Every member of the original that no rule owns is in the rewritten
 * config, with the same value. */
static void
survives (const char *file, const ocigate_json_t *a, const ocigate_json_t *b, strbuf_t *ptr,
          size_t *checked)
{
  if (is_owned (ptr->s))
    return;
  ck_assert_msg (b != NULL, "%s: %s was dropped by the rewrite", file, ptr->s);
  ck_assert_msg (a->type == b->type, "%s: %s changed type", file, ptr->s);
  size_t mark = ptr->len;
  (*checked)++;
  switch (a->type)
    {
    case OJ_OBJECT:
      for (size_t i = 0; i < a->u.obj.n; i++)
        {
          ocigate_pointer_append (ptr, a->u.obj.m[i].key);
          survives (file, a->u.obj.m[i].val, oj_get (b, a->u.obj.m[i].key), ptr, checked);
          ptr->len = mark;
          ptr->s[mark] = '\0';
        }
      break;
    case OJ_ARRAY:
      for (size_t i = 0; i < a->u.arr.n; i++)
        {
          strbuf_printf (ptr, "/%zu", i);
          survives (file, a->u.arr.v[i], oj_at (b, i), ptr, checked);
          ptr->len = mark;
          ptr->s[mark] = '\0';
        }
      break;
    default:
      ck_assert_msg (oj_equal (a, b), "%s: %s changed", file, ptr->s);
      break;
    }
}

START_TEST (test_unknown_fields_survive)
{
  file_list_t l = corpus ();
  ocigate_policy_t *all = rewrite_all_policy ();
  const ocigate_policy_t *pols[] = { tu_default_policy (), all };
  for (size_t i = 0; i < l.n; i++)
    for (size_t p = 0; p < ARRAY_SIZE (pols); p++)
      {
        ocigate_doc_t *orig = load (pols[p], l.path[i]);
        ocigate_doc_t *d = load (pols[p], l.path[i]);
        ocigate_result_t res;
        tu_rewrite (pols[p], d, &opts, &res);
        /* Through the serialised form, as runc will read it. */
        char *t = text (d);
        ocigate_doc_t *out = reparse (pols[p], t, l.path[i]);
        strbuf_t ptr = { 0 };
        size_t checked = 0;
        strbuf_puts (&ptr, "");
        survives (l.name[i], ocigate_doc_root (orig), ocigate_doc_root (out), &ptr, &checked);
        ck_assert_msg (checked > 10, "%s: only %zu members compared", l.name[i], checked);
        /* The record of what changed. */
        if (res.changed)
          ck_assert_msg (oj_str (oj_path (ocigate_doc_root (out), "annotations/ocigate.rewrites")),
                         "%s: rewritten without ocigate.rewrites", l.name[i]);
        free (ptr.s);
        free (t);
        ocigate_result_free (&res);
        ocigate_doc_free (out);
        ocigate_doc_free (d);
        ocigate_doc_free (orig);
      }
  ocigate_policy_free (all);
  list_free (&l);
}
END_TEST

/* What each attack config is about (tests/data/README.md).  required:
 * the ones the issue asks the corpus for. */
static const struct
{
  const char *file, *rule;
  ocigate_action_t action;
  bool required;
} attacks[] = {
  { "privileged.json", "privileged", REJ, true },
  { "docker-sock.json", "host-mounts", REJ, true },
  { "hostpid.json", "host-namespaces", REJ, true },
  { "proc1-ns-net.json", "host-namespaces", REJ, true },
  { "cwd-proc-fd.json", "proc-fd-cwd", REJ, true },
  { "core-pattern.json", "sysctls", REJ, true },
  { "device-allow-all.json", "devices", REJ, true },
  { "prestart-hook.json", "hooks", REJ, true },
  /* tightened, not rejected */
  { "seccomp-allow-all.json", "seccomp", RW, true },
  { "root-user.json", "root-user", REJ, true },
  { "host-root-bind.json", "host-mounts", REJ, false },
  { "cap-sys-admin.json", "capabilities", RW, false },
  { "userns-host-root.json", "userns-host-root", REJ, false },
  { "rootfs-slash.json", "root-path", REJ, false },
};

START_TEST (test_attacks)
{
  file_list_t l = list_json ("attack");
  ocigate_policy_t *all = rewrite_all_policy ();
  for (size_t i = 0; i < l.n; i++)
    {
      ocigate_doc_t *d = load (tu_default_policy (), l.path[i]);
      ocigate_result_t res;
      tu_eval (NULL, d, &opts, &res);
      int k = -1;
      for (size_t j = 0; j < ARRAY_SIZE (attacks); j++)
        if (strcmp (attacks[j].file, l.name[i]) == 0)
          k = (int)j;
      char *dump = tu_dump (&res);
      if (k < 0)
        {
          /* Not in the table: it must not pass unchanged. */
          bool rw = false;
          for (size_t j = 0; j < res.n; j++)
            rw |= res.f[j].action == RW;
          ck_assert_msg (res.reject || rw, "%s passes unchanged:\n%s", l.name[i], dump);
        }
      else if (attacks[k].action == REJ)
        {
          ck_assert_msg (res.reject, "%s is not rejected:\n%s", l.name[i], dump);
          ck_assert_msg (tu_has (&res, attacks[k].rule, REJ, NULL), "%s: no %s reject:\n%s",
                         l.name[i], attacks[k].rule, dump);
        }
      else
        {
          ck_assert_msg (tu_has (&res, attacks[k].rule, RW, NULL), "%s: no %s rewrite:\n%s",
                         l.name[i], attacks[k].rule, dump);
          ck_assert_msg (!tu_has (&res, attacks[k].rule, REJ, NULL), "%s: %s rejects:\n%s",
                         l.name[i], attacks[k].rule, dump);
          /* Where nothing else stops it, the rewrite closes it. */
          ocigate_result_t r2;
          tu_rewrite (all, d, &opts, &r2);
          ck_assert (r2.changed);
          ocigate_result_free (&r2);
          tu_eval (all, d, &opts, &r2);
          ck_assert_msg (tu_count (&r2, attacks[k].rule) == 0, "%s: still %s after rewrite",
                         l.name[i], attacks[k].rule);
          ocigate_result_free (&r2);
        }
      free (dump);
      ocigate_result_free (&res);
      ocigate_doc_free (d);
    }

  /* Checked last, so the files present are judged even while the corpus
   * is incomplete: an empty attack directory cannot pass. */
  ck_assert_msg (l.n > 0, "no attack configs in %s/attack", TEST_DATA);
  for (size_t j = 0; j < ARRAY_SIZE (attacks); j++)
    {
      bool found = false;
      for (size_t i = 0; i < l.n; i++)
        found |= strcmp (attacks[j].file, l.name[i]) == 0;
      ck_assert_msg (found || !attacks[j].required, "attack config %s is missing", attacks[j].file);
    }
  ocigate_policy_free (all);
  list_free (&l);
}
END_TEST

/* What the default policy makes of the real generators' output
 * (tests/data/README.md says how each was made).  Files not listed here
 * are covered by the properties only. */
static const struct
{
  const char *file;
  bool reject;
  const char *rule; /* a finding that must be there, or NULL */
  ocigate_action_t action;
} generated[] = {
  /* PSS-restricted: only hardening rewrites */
  { "cri-container-restricted.json", false, "seccomp", RW },
  /* the pause container runs as 65535 with noNewPrivileges and a read-only root */
  { "cri-sandbox.json", false, "capabilities", RW },
  /* the sandbox of a privileged pod is not privileged itself */
  { "cri-sandbox-privileged.json", false, NULL, REJ },
  { "cri-container-privileged.json", true, "privileged", REJ },
  { "podman-privileged.json", true, "privileged", REJ },
  { "cri-container-hostnetwork-sandbox.json", true, "host-namespaces", REJ },
  { "cri-container.json", true, "root-user", REJ },
  { "runc-spec.json", true, "root-user", REJ },
  { "podman-seccomp-unconfined.json", true, "seccomp", RW },
  { "podman.json", true, "seccomp", RW },
};

START_TEST (test_generated)
{
  file_list_t l = list_json ("generated");
  for (size_t i = 0; i < l.n; i++)
    for (size_t j = 0; j < ARRAY_SIZE (generated); j++)
      {
        if (strcmp (generated[j].file, l.name[i]) != 0)
          continue;
        ocigate_doc_t *d = load (tu_default_policy (), l.path[i]);
        ocigate_result_t res;
        tu_rewrite (NULL, d, &opts, &res);
        char *dump = tu_dump (&res);
        ck_assert_msg (res.reject == generated[j].reject, "%s: %s:\n%s", l.name[i],
                       res.reject ? "rejected" : "not rejected", dump);
        if (generated[j].rule)
          ck_assert_msg (tu_has (&res, generated[j].rule, generated[j].action, NULL),
                         "%s: no %s %s:\n%s", l.name[i], generated[j].rule,
                         ocigate_action_name (generated[j].action), dump);
        /* The engines' own per-pod paths are never mistaken for host paths. */
        ck_assert_msg (tu_count (&res, "host-mounts") == 0 && tu_count (&res, "root-path") == 0,
                       "%s:\n%s", l.name[i], dump);
        free (dump);
        ocigate_result_free (&res);
        ocigate_doc_free (d);
      }
  list_free (&l);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("corpus");
  TCase *tc = tcase_create ("corpus");
  tcase_add_test (tc, test_corpus_present);
  tcase_add_test (tc, test_corpus_parses);
  tcase_add_test (tc, test_rewrite_idempotent);
  tcase_add_test (tc, test_unknown_fields_survive);
  tcase_add_test (tc, test_attacks);
  tcase_add_test (tc, test_generated);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
