/* SPDX-License-Identifier: Apache-2.0 */
/* The C half of the differential oracle: judge many documents in one
 * process, as runtime mode would, under several presets.
 *
 *   oracle-driver judge IN OUT    for each IN/NAME (p-*: exec --process
 *                                 file, else config.json) and preset,
 *                                 write OUT/PRESET/NAME.ocigate.json (the
 *                                 tree the rules judged, after rewrites)
 *                                 and NAME.runc.json (what runc reads:
 *                                 the rewrite, or the original bytes)
 *                                 when the verdict is allow or rewrite
 *   oracle-driver recheck OUT     every OUT/PRESET/NAME.go.json (runc's
 *                                 view, re-encoded by Go) must be judged
 *                                 allow with no rewrite under PRESET
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/engine.h"

/* The presets, and restricted once more with the host-specific checks
 * runtime mode makes (paths resolved on this host, namespace inodes). */
static const struct
{
  const char *name, *preset;
  bool host_checks;
} presets[] = {
  { "restricted", "restricted", false },
  { "baseline", "baseline", false },
  { "privileged", "privileged", false },
  { "restricted-host", "restricted", true },
};
#define NPRESETS (sizeof (presets) / sizeof (presets[0]))
static bool host_checks;

static bool
off (void)
{
  return false;
}
static int
not_loaded (const char *p)
{
  return 0;
}
static int
no_labels (const char *type, char **p, char **m, ocigate_error_t *err)
{
  return ocigate_make_error (err, 0, "no SELinux");
}
static int
bad_context (const char *c)
{
  return -1;
}
/* A host without LSMs: the verdicts do not depend on the test machine. */
static const ocigate_host_ops_t host = { off, not_loaded, off, no_labels, bad_context, NULL };

static ocigate_policy_t *
policy (const char *preset)
{
  ocigate_error_t err = NULL;
  char *json = xasprintf ("{\"preset\": \"%s\"}", preset);
  ocigate_policy_t *p = ocigate_policy_parse (json, strlen (json), "preset", &err);
  free (json);
  if (p == NULL)
    {
      fprintf (stderr, "oracle-driver: %s\n", err->msg);
      exit (99);
    }
  return p;
}

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      fprintf (stderr, "oracle-driver: %s: %s\n", path, strerror (errno));
      exit (99);
    }
  strbuf_t b = { 0 };
  char chunk[65536];
  size_t n;
  while ((n = fread (chunk, 1, sizeof (chunk), f)) > 0)
    strbuf_append (&b, chunk, n);
  fclose (f);
  *len = b.len;
  if (b.s == NULL)
    b.s = xstrdup ("");
  return b.s;
}

static void
spill (const char *path, const char *buf, size_t len)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL || fwrite (buf, 1, len, f) != len || fclose (f) != 0)
    {
      fprintf (stderr, "oracle-driver: cannot write %s\n", path);
      exit (99);
    }
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix. */
static char **
list (const char *dir, const char *suffix, size_t *ret_n)
{
  DIR *d = opendir (dir);
  size_t n = 0, cap = 0, sl = strlen (suffix);
  char **v = NULL;
  struct dirent *e;
  if (d == NULL)
    {
      fprintf (stderr, "oracle-driver: %s: %s\n", dir, strerror (errno));
      exit (99);
    }
  while ((e = readdir (d)) != NULL)
    {
      size_t l = strlen (e->d_name);
      if (e->d_name[0] == '.' || l < sl || strcmp (e->d_name + l - sl, suffix) != 0)
        continue;
      if (n == cap)
        {
          cap = cap ? cap * 2 : 256;
          v = xrealloc (v, cap * sizeof (*v));
        }
      v[n++] = xstrdup (e->d_name);
    }
  closedir (d);
  if (n)
    qsort (v, n, sizeof (*v), by_name);
  *ret_n = n;
  return v;
}

static bool
is_process (const char *name)
{
  return strncmp (name, "p-", 2) == 0;
}

/* Parse and judge; the document when the verdict is allow or rewrite
 * (rewrites applied), else NULL.  *parsed: whether it parsed. */
static char parse_error[1024];

static ocigate_doc_t *
judge (const ocigate_policy_t *pol, const char *name, const char *buf, size_t len, bool *parsed,
       ocigate_result_t *res)
{
  ocigate_error_t err = NULL;
  ocigate_eval_opts_t opts = { .name = name, .host = &host, .host_checks = host_checks };
  bool proc = is_process (name);
  ocigate_doc_t *doc = proc ? ocigate_process_parse (buf, len, pol, name, &err)
                            : ocigate_config_parse (buf, len, pol, name, &err);
  *parsed = doc != NULL;
  memset (res, 0, sizeof (*res));
  if (doc == NULL)
    {
      snprintf (parse_error, sizeof (parse_error), "%s", err->msg);
      ocigate_error_free (&err);
      return NULL;
    }
  int r = proc ? ocigate_evaluate_process (pol, doc, NULL, &opts, res, &err)
               : ocigate_evaluate (pol, doc, &opts, res, &err);
  if (r == 0 && !res->reject)
    r = proc ? ocigate_apply_process (pol, doc, NULL, &opts, res, &err)
             : ocigate_apply (pol, doc, &opts, res, &err);
  if (r < 0 || res->reject)
    {
      if (r < 0)
        {
          fprintf (stderr, "oracle-driver: %s: evaluation failed: %s\n", name, err->msg);
          ocigate_error_free (&err);
        }
      ocigate_doc_free (doc);
      return NULL;
    }
  return doc;
}

static int
cmd_judge (const char *in, const char *out)
{
  size_t n;
  char **names = list (in, ".json", &n);
  for (size_t p = 0; p < NPRESETS; p++)
    {
      host_checks = presets[p].host_checks;
      ocigate_policy_t *pol = policy (presets[p].preset);
      char *dir = xasprintf ("%s/%s", out, presets[p].name);
      size_t errors = 0, rejected = 0, allowed = 0, rewritten = 0;
      if (mkdir (dir, 0755) < 0 && errno != EEXIST)
        {
          fprintf (stderr, "oracle-driver: %s: %s\n", dir, strerror (errno));
          return 99;
        }
      for (size_t i = 0; i < n; i++)
        {
          size_t len, olen;
          char *path = xasprintf ("%s/%s", in, names[i]);
          char *buf = slurp (path, &len), *obuf;
          bool parsed;
          ocigate_result_t res;
          ocigate_error_t err = NULL;
          ocigate_doc_t *doc = judge (pol, names[i], buf, len, &parsed, &res);
          if (!parsed)
            errors++;
          else if (doc == NULL)
            rejected++;
          else
            {
              char stem[512];
              snprintf (stem, sizeof (stem), "%s/%.*s", dir, (int)(strlen (names[i]) - 5),
                        names[i]);
              if (ocigate_json_serialize (ocigate_doc_root (doc), false, &obuf, &olen, &err) < 0)
                {
                  fprintf (stderr, "oracle-driver: %s: %s\n", names[i], err->msg);
                  return 99;
                }
              char *a = xasprintf ("%s.ocigate.json", stem), *b = xasprintf ("%s.runc.json", stem);
              spill (a, obuf, olen);
              /* Runtime mode leaves the file alone unless it rewrote. */
              if (res.changed)
                spill (b, obuf, olen);
              else
                spill (b, buf, len);
              res.changed ? rewritten++ : allowed++;
              free (a);
              free (b);
              free (obuf);
              ocigate_doc_free (doc);
            }
          ocigate_result_free (&res);
          free (buf);
          free (path);
        }
      printf ("ocigate %s: %zu documents: %zu allowed, %zu rewritten, %zu rejected, %zu errors\n",
              presets[p].name, n, allowed, rewritten, rejected, errors);
      free (dir);
      ocigate_policy_free (pol);
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return 0;
}

static int
cmd_recheck (const char *out)
{
  size_t bad = 0, total = 0;
  for (size_t p = 0; p < NPRESETS; p++)
    {
      host_checks = presets[p].host_checks;
      ocigate_policy_t *pol = policy (presets[p].preset);
      char *dir = xasprintf ("%s/%s", out, presets[p].name);
      size_t n;
      char **names = list (dir, ".go.json", &n);
      for (size_t i = 0; i < n; i++)
        {
          size_t len;
          char *path = xasprintf ("%s/%s", dir, names[i]);
          char *buf = slurp (path, &len);
          bool parsed;
          ocigate_result_t res;
          ocigate_doc_t *doc = judge (pol, names[i], buf, len, &parsed, &res);
          total++;
          if (doc == NULL || res.changed)
            {
              bad++;
              char *m = ocigate_result_message (&res);
              printf ("DISAGREE %s/%s: runc's view is %s: %s\n", presets[p].name, names[i],
                      !parsed       ? "a parse error"
                      : doc == NULL ? "rejected"
                                    : "rewritten again",
                      !parsed ? parse_error
                      : m     ? m
                              : "");
              free (m);
            }
          ocigate_doc_free (doc);
          ocigate_result_free (&res);
          free (buf);
          free (path);
          free (names[i]);
        }
      free (names);
      free (dir);
      ocigate_policy_free (pol);
    }
  printf ("recheck: %zu of runc's views judged, %zu not allowed as they are\n", total, bad);
  return bad ? 1 : 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "judge") == 0)
    return cmd_judge (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "recheck") == 0)
    return cmd_recheck (argv[2]);
  fprintf (stderr, "usage: oracle-driver judge IN OUT | recheck OUT\n");
  return 99;
}
