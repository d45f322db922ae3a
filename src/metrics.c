/* SPDX-License-Identifier: Apache-2.0 */
/* Decision counters for node-exporter's textfile collector (policy key
 * metrics.path).  Every decision reads the file, adds to its counters and
 * replaces it (a temporary file renamed over it), all under flock on a
 * sibling `.lock` file: concurrent gates never lose a count, and the
 * collector never reads half a file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime-internal.h"

#define METRICS_MAX_BYTES (1 << 20)

static const struct
{
  const char *name, *type, *help;
} families[] = {
  { "ocigate_decisions_total", "counter", "Container decisions by decision, mode and policy." },
  { "ocigate_findings_total", "counter", "Decisions with findings of a rule, by rule and action." },
  { "ocigate_would_reject_total", "counter",
    "Decisions in warn or audit mode that enforce mode would have rejected." },
  { "ocigate_audit_failures_total", "counter",
    "Decisions the audit trail (file or syslog) could not record." },
  { "ocigate_last_decision_timestamp_seconds", "gauge", "Time of the last decision." },
};

typedef struct
{
  char *key; /* name{labels} */
  size_t family;
  double value;
} series_t;

typedef struct
{
  series_t *s;
  size_t n;
} table_t;

static int
family_of (const char *key, size_t len)
{
  size_t n = strcspn (key, "{ ");
  if (n > len)
    n = len;
  for (size_t i = 0; i < ARRAY_SIZE (families); i++)
    if (strlen (families[i].name) == n && strncmp (families[i].name, key, n) == 0)
      return (int)i;
  return -1;
}

static series_t *
lookup (table_t *t, const char *key, bool create)
{
  for (size_t i = 0; i < t->n; i++)
    if (strcmp (t->s[i].key, key) == 0)
      return &t->s[i];
  int f = family_of (key, strlen (key));
  if (!create || f < 0)
    return NULL;
  t->s = xrealloc (t->s, (t->n + 1) * sizeof (*t->s));
  t->s[t->n] = (series_t){ .key = xstrdup (key), .family = (size_t)f, .value = 0 };
  return &t->s[t->n++];
}

static void
table_free (table_t *t)
{
  for (size_t i = 0; i < t->n; i++)
    free (t->s[i].key);
  free (t->s);
}

/* Our own format back: `name{labels} value` lines; comments and lines of
 * families we do not write are dropped. */
static void
parse (table_t *t, char *buf)
{
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (*line == '#' || *line == '\0')
        continue;
      char *sp = strrchr (line, ' ');
      if (sp == NULL || sp == line)
        continue;
      *sp = '\0';
      char *end;
      double v = strtod (sp + 1, &end);
      if (end == sp + 1 || *end != '\0' || !(v >= 0))
        continue;
      series_t *s = lookup (t, line, true);
      if (s)
        s->value = v;
    }
}

static void
label (strbuf_t *b, const char *name, const char *val)
{
  strbuf_printf (b, "%s%s=\"", b->len && b->s[b->len - 1] != '{' ? "," : "", name);
  for (const char *p = val ? val : ""; *p; p++)
    {
      if (*p == '\\' || *p == '"')
        strbuf_printf (b, "\\%c", *p);
      else if (*p == '\n')
        strbuf_puts (b, "\\n");
      else
        strbuf_append (b, p, 1);
    }
  strbuf_puts (b, "\"");
}

static void
add (table_t *t, strbuf_t *key, double v, bool set)
{
  strbuf_puts (key, "}");
  series_t *s = lookup (t, key->s, true);
  if (s)
    s->value = set ? v : s->value + v;
  key->len = 0;
  key->s[0] = '\0';
}

void
ocigate_metrics_count (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                       bool audit_failed, char **ret, size_t *ret_len, const char *old)
{
  table_t t = { 0 };
  strbuf_t k = { 0 };
  const ocigate_result_t *res = rec->res;
  const char *policy = ocigate_policy_name (pol);
  const char *source = pol->source ? pol->source : "embedded";
  const char *mode = ocigate_mode_name (res ? res->mode : pol->mode);
  cleanup_free char *copy = xstrdup (old ? old : "");
  parse (&t, copy);

  strbuf_puts (&k, "ocigate_decisions_total{");
  label (&k, "decision", ocigate_decision_name (rec->decision));
  label (&k, "mode", mode);
  label (&k, "policy", policy);
  label (&k, "source", source);
  add (&t, &k, 1, false);
  bool would_reject = false;
  if (res)
    {
      /* once per rule and action in a decision */
      bool seen[OCIGATE_RULE_COUNT][OCIGATE_ACTION_REJECT + 1] = { { false } };
      for (size_t i = 0; i < res->n; i++)
        {
          const ocigate_finding_t *f = &res->f[i];
          if (f->action < 0 || f->action > OCIGATE_ACTION_REJECT || seen[f->rule][f->action])
            continue;
          seen[f->rule][f->action] = true;
          would_reject |= f->action == OCIGATE_ACTION_REJECT;
          strbuf_puts (&k, "ocigate_findings_total{");
          label (&k, "rule", ocigate_rule_info (f->rule)->id);
          label (&k, "action", ocigate_action_name (f->action));
          label (&k, "policy", policy);
          add (&t, &k, 1, false);
        }
    }
  if (would_reject && res->mode != OCIGATE_MODE_ENFORCE)
    {
      strbuf_puts (&k, "ocigate_would_reject_total{");
      label (&k, "mode", mode);
      label (&k, "policy", policy);
      add (&t, &k, 1, false);
    }
  strbuf_puts (&k, "ocigate_audit_failures_total{");
  label (&k, "policy", policy);
  add (&t, &k, audit_failed ? 1 : 0, false);
  strbuf_puts (&k, "ocigate_last_decision_timestamp_seconds{");
  label (&k, "policy", policy);
  add (&t, &k, (double)time (NULL), true);
  free (k.s);

  strbuf_t out = { 0 };
  strbuf_puts (&out, "");
  for (size_t f = 0; f < ARRAY_SIZE (families); f++)
    {
      bool header = false;
      for (size_t i = 0; i < t.n; i++)
        {
          if (t.s[i].family != f)
            continue;
          if (!header)
            strbuf_printf (&out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
                           families[f].name, families[f].type);
          header = true;
          strbuf_printf (&out, "%s %.0f\n", t.s[i].key, t.s[i].value);
        }
    }
  table_free (&t);
  *ret_len = out.len;
  *ret = strbuf_steal (&out);
}

/* A file in the metrics directory: no symlink, root's, not group/other
 * writable, one link. */
static int
open_checked (const char *name, const char *real, int flags, int mode, ocigate_error_t *err)
{
  struct stat st;
  int fd = open (real, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0)
    return errno == ENOENT && !(flags & O_CREAT)
               ? -2
               : ocigate_make_error (err, errno, "cannot open `%s`", real);
  if (fstat (fd, &st) < 0 || ocigate_trust_check_file (name, &st, err) < 0 || st.st_nlink > 1)
    {
      if (err && *err == NULL)
        ocigate_make_error (err, EPERM, "`%s` is not trusted: it has several links", real);
      close (fd);
      return -1;
    }
  return fd;
}

int
ocigate_metrics_record (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                        bool audit_failed, ocigate_error_t *err)
{
  const char *path = pol->metrics_path;
  cleanup_free char *real = NULL;
  cleanup_free char *old = NULL;
  cleanup_free char *out = NULL;
  struct stat st;
  size_t len = 0;
  if (path == NULL || *path == '\0')
    return 0;
  /* the directory must be root's alone, as for the audit log */
  if (ocigate_trust_resolve (path, false, true, &real, &st, err) < 0)
    return ocigate_error_prefix (err, "the metrics file `%s` is not trusted", path);
  cleanup_free char *lock = xasprintf ("%s.lock", real);
  cleanup_free char *tmp = xasprintf ("%s.tmp", real);
  cleanup_close int lfd = open_checked (lock, lock, O_RDWR | O_CREAT, 0600, err);
  if (lfd < 0)
    return ocigate_error_prefix (err, "the metrics file `%s`", path);
  if (ocigate_flock_bounded (lfd, OCIGATE_LOCK_WAIT_MS) < 0)
    return ocigate_make_error (err, errno, "cannot lock `%s`", lock);

  cleanup_close int fd = open_checked (path, real, O_RDONLY, 0, err);
  if (fd == -1)
    return ocigate_error_prefix (err, "the metrics file `%s`", path);
  if (fd >= 0)
    {
      strbuf_t b = { 0 };
      char chunk[8192];
      ssize_t n;
      while ((n = read (fd, chunk, sizeof (chunk))) > 0 && b.len < METRICS_MAX_BYTES)
        strbuf_append (&b, chunk, (size_t)n);
      old = b.s;
    }
  ocigate_metrics_count (pol, rec, audit_failed, &out, &len, old);

  (void)unlink (tmp);
  cleanup_close int tfd = open_checked (tmp, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644, err);
  if (tfd < 0)
    return ocigate_error_prefix (err, "the metrics file `%s`", path);
  /* node-exporter reads it as an unprivileged user */
  (void)fchmod (tfd, 0644);
  const char *p = out;
  size_t left = len;
  while (left > 0)
    {
      ssize_t w = write (tfd, p, left);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int e = w < 0 ? errno : ENOSPC;
          unlink (tmp);
          return ocigate_make_error (err, e, "cannot write `%s`", tmp);
        }
      p += w;
      left -= (size_t)w;
    }
  if (rename (tmp, real) < 0)
    {
      int e = errno;
      unlink (tmp);
      return ocigate_make_error (err, e, "cannot replace the metrics file `%s`", path);
    }
  return 0;
}
