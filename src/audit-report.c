/* SPDX-License-Identifier: Apache-2.0 */
/* `ocigate audit`: a summary of audit logs (rotated and gzip-compressed
 * ones too): counts by decision, rule, namespace, pod, container and
 * image, and what enforce mode would have rejected of the warn and audit
 * mode decisions. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "runtime-internal.h"

/* A record is a few KiB at most (findings are capped); a longer line is
 * not ours and is counted as malformed without being held in memory. */
#define MAX_LINE (1 << 20)
#define MAX_ROTATED 1000
#define TEXT_TOP 15

/* ---- counters: an open-addressing hash of strings ---- */

typedef struct
{
  char *key;
  uint64_t n;
} bucket_t;

typedef struct
{
  bucket_t *b;
  size_t cap, n;
} counter_t;

static uint64_t
hash (const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void counter_add (counter_t *c, const char *key, uint64_t n);

static void
counter_grow (counter_t *c)
{
  counter_t old = *c;
  c->cap = old.cap ? old.cap * 2 : 64;
  c->b = xzalloc (c->cap * sizeof (*c->b));
  c->n = 0;
  for (size_t i = 0; i < old.cap; i++)
    if (old.b[i].key)
      {
        counter_add (c, old.b[i].key, old.b[i].n);
        free (old.b[i].key);
      }
  free (old.b);
}

static void
counter_add (counter_t *c, const char *key, uint64_t n)
{
  if (key == NULL)
    return;
  if ((c->n + 1) * 2 > c->cap)
    counter_grow (c);
  size_t i = hash (key) & (c->cap - 1);
  while (c->b[i].key && strcmp (c->b[i].key, key) != 0)
    i = (i + 1) & (c->cap - 1);
  if (c->b[i].key == NULL)
    {
      c->b[i].key = xstrdup (key);
      c->n++;
    }
  c->b[i].n += n;
}

static void
counter_free (counter_t *c)
{
  for (size_t i = 0; i < c->cap; i++)
    free (c->b[i].key);
  free (c->b);
}

static int
by_count (const void *a, const void *b)
{
  const bucket_t *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? 1 : -1;
  return strcmp (x->key, y->key);
}

/* The entries, most frequent first (borrowed keys). */
static bucket_t *
counter_sorted (const counter_t *c)
{
  bucket_t *v = xzalloc ((c->n + 1) * sizeof (*v));
  size_t k = 0;
  for (size_t i = 0; i < c->cap; i++)
    if (c->b[i].key)
      v[k++] = c->b[i];
  qsort (v, k, sizeof (*v), by_count);
  return v;
}

/* ---- the summary ---- */

enum
{
  C_DECISION,
  C_MODE,
  C_RULE,
  C_NAMESPACE,
  C_POD,
  C_CONTAINER,
  C_IMAGE,
  C_WR_RULE,
  C_WR_NAMESPACE,
  C_WR_POD,
  C_WR_IMAGE,
  C_COUNT
};

static const char *const counter_names[C_COUNT] = {
  "decisions", "modes", "rules",      "namespaces", "pods",   "containers",
  "images",    "rules", "namespaces", "pods",       "images",
};

typedef struct
{
  char *path;
  uint64_t records, malformed, skipped;
  char *error; /* could not be read (in part) */
} file_stat_t;

typedef struct
{
  time_t since; /* 0: everything */
  counter_t c[C_COUNT];
  uint64_t records, malformed, skipped, errors, would_reject;
  char first[64], last[64];
  file_stat_t *files;
  size_t n_files;
} summary_t;

/* 2026-12-04T23:38:22[.123456]Z (UTC, as the records have it), or a date. */
static bool
parse_time (const char *s, time_t *ret)
{
  struct tm tm = { 0 };
  const char *end = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == NULL)
    {
      memset (&tm, 0, sizeof (tm));
      end = strptime (s, "%Y-%m-%d", &tm);
      if (end == NULL || *end)
        return false;
    }
  else
    {
      if (*end == '.')
        end += 1 + strspn (end + 1, "0123456789");
      if (strcmp (end, "Z") != 0 && strcmp (end, "+00:00") != 0)
        return false;
    }
  time_t t = timegm (&tm);
  if (t == (time_t)-1)
    return false;
  *ret = t;
  return true;
}

/* TIME for --since: an RFC 3339 UTC time, a date, or an age: 30m, 24h, 7d. */
static bool
parse_since (const char *s, time_t now, time_t *ret)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (end != s && errno == 0 && v >= 0 && end[0] && end[1] == '\0' && strchr ("smhdw", end[0]))
    {
      long long unit = end[0] == 's'   ? 1
                       : end[0] == 'm' ? 60
                       : end[0] == 'h' ? 3600
                       : end[0] == 'd' ? 86400
                                       : 7 * 86400;
      if (v > (long long)now / unit)
        return false;
      *ret = now - (time_t)(v * unit);
      return true;
    }
  return parse_time (s, ret);
}

static const char *
member_str (const ocigate_json_t *o, const char *key)
{
  const ocigate_json_t *v = oj_get (o, key);
  return v && v->type == OJ_STRING ? oj_str (v) : NULL;
}

/* One record.  false: not a record of ours. */
static bool
account (summary_t *S, file_stat_t *F, const char *line, size_t len)
{
  ocigate_json_parse_opts_t opts = { .name = F->path, .max_depth = 8 };
  cleanup_doc ocigate_doc_t *doc = ocigate_json_parse (line, len, &opts, NULL);
  const ocigate_json_t *o = doc ? ocigate_doc_root (doc) : NULL;
  if (o == NULL || o->type != OJ_OBJECT)
    return false;
  const char *ts = member_str (o, "time"), *decision = member_str (o, "decision");
  const ocigate_json_t *findings = oj_get (o, "findings");
  time_t t;
  if (ts == NULL || decision == NULL || !parse_time (ts, &t)
      || (findings && findings->type != OJ_ARRAY))
    return false;
  if (S->since && t < S->since)
    {
      F->skipped++;
      S->skipped++;
      return true;
    }
  F->records++;
  S->records++;
  if (S->first[0] == '\0' || strcmp (ts, S->first) < 0)
    snprintf (S->first, sizeof (S->first), "%s", ts);
  if (strcmp (ts, S->last) > 0)
    snprintf (S->last, sizeof (S->last), "%s", ts);
  counter_add (&S->c[C_DECISION], decision, 1);
  const char *mode = member_str (o, "mode");
  counter_add (&S->c[C_MODE], mode, 1);
  if (member_str (o, "error"))
    S->errors++;

  const char *ns = member_str (o, "namespace"), *pod = member_str (o, "pod");
  const char *ctr = member_str (o, "container"), *image = member_str (o, "image");
  cleanup_free char *podkey = ns && pod ? xasprintf ("%s/%s", ns, pod) : NULL;
  cleanup_free char *ctrkey = podkey && ctr ? xasprintf ("%s/%s", podkey, ctr) : NULL;
  counter_add (&S->c[C_NAMESPACE], ns, 1);
  counter_add (&S->c[C_POD], podkey, 1);
  counter_add (&S->c[C_CONTAINER], ctrkey, 1);
  counter_add (&S->c[C_IMAGE], image, 1);

  /* rules: once per record; "rules" lists every rule even when the
   * findings were capped */
  const ocigate_json_t *rules = oj_get (o, "rules");
  for (size_t i = 0; rules && rules->type == OJ_ARRAY && i < oj_len (rules); i++)
    {
      const ocigate_json_t *r = oj_at (rules, i);
      if (r && r->type == OJ_STRING)
        counter_add (&S->c[C_RULE], oj_str (r), 1);
    }

  /* A warn or audit mode decision with a reject finding: enforce mode
   * would have refused the container. */
  bool enforce = mode == NULL || strcmp (mode, "enforce") == 0;
  const ocigate_json_t *wr = oj_get (o, "would_reject");
  bool would = wr && wr->type == OJ_TRUE;
  bool seen[OCIGATE_RULE_COUNT] = { false };
  for (size_t i = 0; !enforce && findings && i < oj_len (findings); i++)
    {
      const ocigate_json_t *f = oj_at (findings, i);
      const char *action = f && f->type == OJ_OBJECT ? member_str (f, "action") : NULL;
      const char *rule = f && f->type == OJ_OBJECT ? member_str (f, "rule") : NULL;
      if (action == NULL || rule == NULL || strcmp (action, "reject") != 0)
        continue;
      would = true;
      int id = ocigate_rule_lookup (rule);
      if (id >= 0 && seen[id])
        continue;
      if (id >= 0)
        seen[id] = true;
      counter_add (&S->c[C_WR_RULE], rule, 1);
    }
  if (!enforce && would)
    {
      S->would_reject++;
      counter_add (&S->c[C_WR_NAMESPACE], ns, 1);
      counter_add (&S->c[C_WR_POD], podkey, 1);
      counter_add (&S->c[C_WR_IMAGE], image, 1);
    }
  return true;
}

static void
read_log (summary_t *S, file_stat_t *F)
{
  int fd = open (F->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      F->error = xasprintf ("cannot open: %s", strerror (errno));
      return;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      F->error = xstrdup ("not a regular file");
      close (fd);
      return;
    }
  /* gzread reads a file without the gzip magic as it is */
  gzFile gz = gzdopen (fd, "rb");
  if (gz == NULL)
    {
      F->error = xstrdup ("cannot read");
      close (fd);
      return;
    }
  gzbuffer (gz, 64 * 1024);
  strbuf_t line = { 0 };
  bool too_long = false;
  char chunk[65536];
  for (;;)
    {
      int n = gzread (gz, chunk, sizeof (chunk));
      if (n < 0)
        {
          int e;
          const char *msg = gzerror (gz, &e);
          F->error = xasprintf ("read error: %s", e == Z_ERRNO ? strerror (errno) : msg);
          break;
        }
      if (n == 0)
        {
          /* a compressed file cut short ends without an error from gzread */
          int e;
          const char *msg = gzerror (gz, &e);
          if (e != Z_OK && e != Z_STREAM_END)
            F->error = xasprintf ("read error: %s", msg);
          break;
        }
      const char *p = chunk, *end = chunk + n;
      while (p < end)
        {
          const char *nl = memchr (p, '\n', (size_t)(end - p));
          size_t take = (size_t)((nl ? nl : end) - p);
          if (!too_long)
            {
              if (line.len + take > MAX_LINE)
                {
                  too_long = true;
                  line.len = 0;
                }
              else
                strbuf_append (&line, p, take);
            }
          p += take;
          if (nl == NULL)
            break;
          p++;
          if (too_long || (line.len && !account (S, F, line.s, line.len)))
            {
              F->malformed++;
              S->malformed++;
            }
          too_long = false;
          line.len = 0;
        }
    }
  /* a last line without its newline: cut short by a full disk or a crash */
  if (F->error == NULL && (too_long || line.len))
    {
      F->malformed++;
      S->malformed++;
    }
  free (line.s);
  gzclose (gz);
}

static void
add_file (summary_t *S, const char *path)
{
  S->files = xrealloc (S->files, (S->n_files + 1) * sizeof (*S->files));
  S->files[S->n_files++] = (file_stat_t){ .path = xstrdup (path) };
}

/* The log and its rotations, oldest first: LOG.N[.gz] ... LOG.1[.gz], LOG. */
static void
default_files (summary_t *S, const char *log)
{
  unsigned last = 0;
  struct stat st;
  for (unsigned i = 1; i <= MAX_ROTATED; i++)
    {
      cleanup_free char *a = xasprintf ("%s.%u", log, i);
      cleanup_free char *b = xasprintf ("%s.%u.gz", log, i);
      if (stat (a, &st) < 0 && stat (b, &st) < 0)
        break;
      last = i;
    }
  for (unsigned i = last; i >= 1; i--)
    {
      cleanup_free char *a = xasprintf ("%s.%u", log, i);
      cleanup_free char *b = xasprintf ("%s.%u.gz", log, i);
      if (stat (b, &st) == 0)
        add_file (S, b);
      if (stat (a, &st) == 0)
        add_file (S, a);
    }
  if (stat (log, &st) == 0 || last == 0)
    add_file (S, log);
}

static ocigate_json_t *
counter_json (ocigate_doc_t *doc, const counter_t *c)
{
  ocigate_json_t *o = oj_new (doc, OJ_OBJECT);
  cleanup_free bucket_t *v = counter_sorted (c);
  for (size_t i = 0; i < c->n; i++)
    oj_set (doc, o, v[i].key, oj_new_int (doc, (int64_t)v[i].n));
  return o;
}

static int
write_json (summary_t *S, FILE *out)
{
  cleanup_doc ocigate_doc_t *doc = ocigate_doc_new ();
  cleanup_error ocigate_error_t err = NULL;
  ocigate_json_t *o = oj_new (doc, OJ_OBJECT), *files = oj_new (doc, OJ_ARRAY);
  ocigate_doc_set_root (doc, o);
  for (size_t i = 0; i < S->n_files; i++)
    {
      const file_stat_t *F = &S->files[i];
      ocigate_json_t *f = oj_new (doc, OJ_OBJECT);
      oj_set (doc, f, "path", ocigate_rt_json_string (doc, F->path));
      oj_set (doc, f, "records", oj_new_int (doc, (int64_t)F->records));
      oj_set (doc, f, "malformed", oj_new_int (doc, (int64_t)F->malformed));
      if (S->since)
        oj_set (doc, f, "before_since", oj_new_int (doc, (int64_t)F->skipped));
      if (F->error)
        oj_set (doc, f, "error", ocigate_rt_json_string (doc, F->error));
      oj_append (doc, files, f);
    }
  oj_set (doc, o, "files", files);
  if (S->since)
    {
      char ts[64];
      struct tm tm;
      gmtime_r (&S->since, &tm);
      strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
      oj_set (doc, o, "since", oj_new_string (doc, ts));
    }
  oj_set (doc, o, "records", oj_new_int (doc, (int64_t)S->records));
  oj_set (doc, o, "malformed", oj_new_int (doc, (int64_t)S->malformed));
  oj_set (doc, o, "errors", oj_new_int (doc, (int64_t)S->errors));
  if (S->records)
    {
      oj_set (doc, o, "first", ocigate_rt_json_string (doc, S->first));
      oj_set (doc, o, "last", ocigate_rt_json_string (doc, S->last));
    }
  for (int c = C_DECISION; c <= C_IMAGE; c++)
    oj_set (doc, o, counter_names[c], counter_json (doc, &S->c[c]));
  ocigate_json_t *w = oj_new (doc, OJ_OBJECT);
  oj_set (doc, w, "total", oj_new_int (doc, (int64_t)S->would_reject));
  for (int c = C_WR_RULE; c < C_COUNT; c++)
    oj_set (doc, w, counter_names[c], counter_json (doc, &S->c[c]));
  oj_set (doc, o, "would_reject_under_enforce", w);
  cleanup_free char *buf = NULL;
  size_t len;
  if (ocigate_json_serialize (o, true, &buf, &len, &err) < 0)
    {
      fprintf (stderr, "ocigate audit: %s\n", err->msg);
      return -1;
    }
  fwrite (buf, 1, len, out);
  if (len && buf[len - 1] != '\n')
    fputc ('\n', out);
  return 0;
}

static void
put_text (FILE *out, const char *s)
{
  cleanup_free char *e = ocigate_escape (s, 0);
  fputs (e, out);
}

static void
text_counter (FILE *out, const char *title, const counter_t *c, const char *indent)
{
  if (c->n == 0)
    return;
  cleanup_free bucket_t *v = counter_sorted (c);
  fprintf (out, "%s%s:\n", indent, title);
  for (size_t i = 0; i < c->n && i < TEXT_TOP; i++)
    {
      fprintf (out, "%s  %8ju  ", indent, (uintmax_t)v[i].n);
      put_text (out, v[i].key);
      fputc ('\n', out);
    }
  if (c->n > TEXT_TOP)
    fprintf (out, "%s  ... and %zu more (--format json lists all)\n", indent, c->n - TEXT_TOP);
}

static void
write_text (summary_t *S, FILE *out)
{
  for (size_t i = 0; i < S->n_files; i++)
    {
      const file_stat_t *F = &S->files[i];
      put_text (out, F->path);
      fprintf (out, ": %ju records", (uintmax_t)F->records);
      if (F->malformed)
        fprintf (out, ", %ju malformed lines", (uintmax_t)F->malformed);
      if (S->since)
        fprintf (out, ", %ju before --since", (uintmax_t)F->skipped);
      if (F->error)
        {
          fputs (", error: ", out);
          put_text (out, F->error);
        }
      fputc ('\n', out);
    }
  fprintf (out, "records: %ju", (uintmax_t)S->records);
  if (S->records)
    fprintf (out, " from %s to %s", S->first, S->last);
  fprintf (out, "; malformed lines: %ju; not judged (errors): %ju\n", (uintmax_t)S->malformed,
           (uintmax_t)S->errors);
  text_counter (out, "decisions", &S->c[C_DECISION], "");
  text_counter (out, "modes", &S->c[C_MODE], "");
  fprintf (out, "would be rejected under enforce (warn/audit mode decisions): %ju\n",
           (uintmax_t)S->would_reject);
  text_counter (out, "by rule", &S->c[C_WR_RULE], "  ");
  text_counter (out, "by namespace", &S->c[C_WR_NAMESPACE], "  ");
  text_counter (out, "by pod", &S->c[C_WR_POD], "  ");
  text_counter (out, "by image", &S->c[C_WR_IMAGE], "  ");
  text_counter (out, "rules", &S->c[C_RULE], "");
  text_counter (out, "namespaces", &S->c[C_NAMESPACE], "");
  text_counter (out, "pods", &S->c[C_POD], "");
  text_counter (out, "containers", &S->c[C_CONTAINER], "");
  text_counter (out, "images", &S->c[C_IMAGE], "");
}

static const char help_audit[]
    = "Usage: ocigate audit [--since TIME] [--format text|json] [--policy FILE] [FILE...]\n\n"
      "Summarise audit logs: decisions, rules, namespaces, pods, containers, images,\n"
      "and what enforce mode would have rejected of the warn and audit mode decisions.\n\n"
      "  -s, --since TIME    only records from TIME on: 2026-12-04T10:00:00Z, 2026-12-04,\n"
      "                      or an age (30m, 24h, 7d, 2w)\n"
      "  -f, --format FMT    text (default) or json\n"
      "  -p, --policy FILE   take the log from this policy's audit.path (default: the\n"
      "                      policy runtime mode loads: $OCIGATE_POLICY, then\n"
      "                      " OCIGATE_POLICY_PATH ", then the embedded default)\n"
      "  -h, --help          this help\n\n"
      "Without FILE: the policy's audit log and its rotations (LOG.1, LOG.2.gz, ...),\n"
      "oldest first.  Compressed files are read as they are.  Malformed lines are\n"
      "counted and reported.  Exit status: 0 done, 2 a file could not be read or a\n"
      "usage error.\n";

static int
usage (const char *fmt, const char *arg)
{
  fputs ("ocigate audit: ", stderr);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  fprintf (stderr, fmt, arg);
#pragma GCC diagnostic pop
  fputs ("\nTry 'ocigate audit --help'.\n", stderr);
  return 2;
}

int
ocigate_audit_report_main (int argc, char **argv)
{
  static const struct option opts[] = { { "since", required_argument, NULL, 's' },
                                        { "format", required_argument, NULL, 'f' },
                                        { "policy", required_argument, NULL, 'p' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  const char *since = NULL, *format = "text", *policy = NULL;
  summary_t S = { 0 };
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "s:f:p:h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        since = optarg;
        break;
      case 'f':
        format = optarg;
        break;
      case 'p':
        policy = optarg;
        break;
      case 'h':
        fputs (help_audit, stdout);
        return 0;
      case ':':
        return usage ("option '%s' needs a value", argv[optind - 1]);
      default:
        return usage ("unknown option '%s'", argv[optind - 1]);
      }
  if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return usage ("unknown format '%s' (text or json)", format);
  if (since && !parse_since (since, time (NULL), &S.since))
    return usage ("cannot read the time '%s' (e.g. 2026-12-04T10:00:00Z, 2026-12-04, 24h)", since);

  if (optind < argc)
    for (int i = optind; i < argc; i++)
      add_file (&S, argv[i]);
  else
    {
      cleanup_error ocigate_error_t err = NULL;
      const char *from = NULL;
      if (policy == NULL)
        policy = ocigate_policy_node_path (&from);
      cleanup_policy ocigate_policy_t *pol = ocigate_policy_load (policy, &err);
      if (pol == NULL)
        {
          fprintf (stderr, "ocigate audit: %s\n", err->msg);
          return 2;
        }
      if (pol->audit_path == NULL || *pol->audit_path == '\0')
        {
          fprintf (stderr,
                   "ocigate audit: the policy %s writes no audit log (audit.path is "
                   "empty); name the FILEs\n",
                   policy ? policy : "(embedded)");
          return 2;
        }
      default_files (&S, pol->audit_path);
    }
  for (size_t i = 0; i < S.n_files; i++)
    {
      read_log (&S, &S.files[i]);
      if (S.files[i].error)
        {
          cleanup_free char *p = ocigate_escape (S.files[i].path, 0);
          cleanup_free char *e = ocigate_escape (S.files[i].error, 0);
          fprintf (stderr, "ocigate audit: %s: %s\n", p, e);
          rc = 2;
        }
    }
  if (strcmp (format, "json") == 0)
    {
      if (write_json (&S, stdout) < 0)
        rc = 2;
    }
  else
    write_text (&S, stdout);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "ocigate audit: cannot write the report: %s\n", strerror (errno));
      rc = 2;
    }
  for (int k = 0; k < C_COUNT; k++)
    counter_free (&S.c[k]);
  for (size_t i = 0; i < S.n_files; i++)
    {
      free (S.files[i].path);
      free (S.files[i].error);
    }
  free (S.files);
  return rc;
}
