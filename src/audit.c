/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail (spec section 8): one JSON line per decision. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "runtime-internal.h"

static const char *const decision_names[] = { "allow", "rewrite", "reject" };

const char *
ocigate_decision_name (ocigate_decision_t d)
{
  return decision_names[d];
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_seq (const unsigned char *p)
{
  size_t n;
  uint32_t cp;
  if (*p < 0x80)
    return 1;
  if ((*p & 0xe0) == 0xc0)
    n = 2, cp = *p & 0x1f;
  else if ((*p & 0xf0) == 0xe0)
    n = 3, cp = *p & 0x0f;
  else if ((*p & 0xf8) == 0xf0)
    n = 4, cp = *p & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
  /* overlong forms, surrogates and values past U+10FFFF */
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
      || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return n;
}

/* Strings from argv or the file system need not be UTF-8; the generator
 * refuses those, and a log line must never be lost over one byte.  Invalid
 * sequences become U+FFFD.  NULL when s is valid as it is. */
static char *
utf8_sanitize (const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n;
  while (*p && (n = utf8_seq (p)) > 0)
    p += n;
  if (*p == '\0')
    return NULL;
  strbuf_t b = { 0 };
  strbuf_append (&b, s, (size_t)(p - (const unsigned char *)s));
  while (*p)
    {
      n = utf8_seq (p);
      if (n)
        strbuf_append (&b, (const char *)p, n);
      else
        strbuf_append (&b, "\xef\xbf\xbd", 3);
      p += n ? n : 1;
    }
  return strbuf_steal (&b);
}

ocigate_json_t *
ocigate_rt_json_string (ocigate_doc_t *doc, const char *s)
{
  cleanup_free char *clean = utf8_sanitize (s);
  return oj_new_string (doc, clean ? clean : s);
}

void
ocigate_rt_timestamp (char buf[64], bool fraction)
{
  struct timeval tv;
  struct tm tm;
  gettimeofday (&tv, NULL);
  gmtime_r (&tv.tv_sec, &tm);
  size_t l = strftime (buf, 64, "%Y-%m-%dT%H:%M:%S", &tm);
  if (fraction)
    snprintf (buf + l, 64 - l, ".%06ldZ", (long)tv.tv_usec);
  else
    snprintf (buf + l, 64 - l, "Z");
}

/* From argv or the file system: may be any bytes. */
static void
set_str (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, const char *val)
{
  if (val)
    oj_set (doc, obj, key, ocigate_rt_json_string (doc, val));
}

/* From the engine or a parsed (UTF-8 validated) document. */
static void
set_utf8 (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, const char *val)
{
  if (val)
    oj_set (doc, obj, key, oj_new_string (doc, val));
}

int
ocigate_audit_format (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec, char **ret,
                      size_t *ret_len, ocigate_error_t *err)
{
  cleanup_doc ocigate_doc_t *doc = ocigate_doc_new ();
  ocigate_json_t *o = oj_new (doc, OJ_OBJECT);
  const ocigate_result_t *res = rec->res;
  char ts[64];
  ocigate_doc_set_root (doc, o);

  ocigate_rt_timestamp (ts, true);
  set_utf8 (doc, o, "time", ts);
  set_utf8 (doc, o, "decision", ocigate_decision_name (rec->decision));
  set_utf8 (doc, o, "command", rec->command);
  set_str (doc, o, "container_id", rec->container_id);
  set_str (doc, o, "bundle", rec->bundle);
  if (res)
    {
      set_utf8 (doc, o, "namespace", res->ctx.namespace);
      set_utf8 (doc, o, "pod", res->ctx.pod);
      set_utf8 (doc, o, "container", res->ctx.container);
      set_utf8 (doc, o, "container_type", res->ctx.container_type);
      set_utf8 (doc, o, "image", res->ctx.image);
      set_utf8 (doc, o, "engine", res->ctx.engine);
    }
  set_utf8 (doc, o, "policy", ocigate_policy_name (pol));
  set_str (doc, o, "policy_source", pol->source ? pol->source : "embedded");
  set_utf8 (doc, o, "mode", ocigate_mode_name (res ? res->mode : pol->mode));
  if (res)
    {
      set_utf8 (doc, o, "preset", ocigate_preset_name (res->preset));
      if (res->exemption >= 0)
        oj_set (doc, o, "exemption", oj_new_int (doc, res->exemption));
      ocigate_json_t *rules = oj_new (doc, OJ_ARRAY);
      ocigate_json_t *findings = oj_new (doc, OJ_ARRAY);
      bool seen[OCIGATE_RULE_COUNT] = { false };
      for (size_t i = 0; i < res->n; i++)
        {
          const ocigate_finding_t *f = &res->f[i];
          const char *id = ocigate_rule_info (f->rule)->id;
          if (!seen[f->rule])
            oj_append (doc, rules, oj_new_string (doc, id));
          seen[f->rule] = true;
          ocigate_json_t *fo = oj_new (doc, OJ_OBJECT);
          set_utf8 (doc, fo, "rule", id);
          set_utf8 (doc, fo, "action", ocigate_action_name (f->action));
          set_utf8 (doc, fo, "pointer", f->pointer);
          oj_append (doc, findings, fo);
        }
      oj_set (doc, o, "rules", rules);
      oj_set (doc, o, "findings", findings);
      set_str (doc, o, "note", res->note);
    }
  set_str (doc, o, "error", rec->error);
  set_utf8 (doc, o, "version", PACKAGE_VERSION);

  char *buf;
  size_t len;
  if (ocigate_json_serialize (o, false, &buf, &len, err) < 0)
    return -1;
  buf = xrealloc (buf, len + 2);
  buf[len++] = '\n';
  buf[len] = '\0';
  *ret = buf;
  *ret_len = len;
  return 0;
}

/* mkdir -p with 0750 for what is missing: the audit trail is for the
 * node's administrators, not for every local user. */
static int
make_parents (const char *path)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash == NULL || slash == dir)
    return 0;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (dir, 0750) < 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  if (mkdir (dir, 0750) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

int
ocigate_audit_write (const ocigate_policy_t *pol, const ocigate_audit_record_t *rec,
                     ocigate_error_t *err)
{
  cleanup_free char *line = NULL;
  size_t len;
  const char *path = pol->audit_path;
  if ((path == NULL || *path == '\0') && !pol->audit_syslog)
    return 0; /* the operator turned the trail off */
  if (ocigate_audit_format (pol, rec, &line, &len, err) < 0)
    return -1;

  if (pol->audit_syslog)
    {
      /* glibc opens the log socket close-on-exec; close it anyway before
       * the runtime is exec'd. */
      openlog ("ocigate", LOG_PID, LOG_AUTHPRIV);
      syslog (rec->decision == OCIGATE_DECISION_REJECT ? LOG_WARNING : LOG_NOTICE, "%.*s",
              (int)len - 1, line);
      closelog ();
    }

  if (path == NULL || *path == '\0')
    return 0;
  /* O_APPEND: every write lands at the end, and one write() per line means
   * concurrent gates never interleave.  O_NOFOLLOW: a planted symlink does
   * not redirect the trail; and every directory on the way must be root's
   * alone (a link or a name planted higher up would redirect it too), the
   * file root's, unshared (a hard link to another file would receive the
   * lines) and writable by no one else. */
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  cleanup_free char *real = NULL;
  struct stat st;
  if (ocigate_trust_resolve (path, false, true, &real, &st, err) < 0)
    return ocigate_error_prefix (err, "the audit log `%s` is not trusted", path);
  cleanup_close int fd = open (real, flags, 0640);
  if (fd < 0 && errno == ENOENT && make_parents (real) == 0)
    fd = open (real, flags, 0640);
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open the audit log `%s`", path);
  if (fstat (fd, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat the audit log `%s`", path);
  if (ocigate_trust_check_file (path, &st, err) < 0)
    return ocigate_error_prefix (err, "the audit log `%s` is not trusted", path);
  if (st.st_nlink > 1)
    return ocigate_make_error (err, EPERM,
                               "the audit log `%s` is not trusted: it has %ju hard links", path,
                               (uintmax_t)st.st_nlink);
  ssize_t w;
  do
    w = write (fd, line, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return ocigate_make_error (err, errno, "cannot write the audit log `%s`", path);
  if ((size_t)w != len)
    return ocigate_make_error (err, ENOSPC, "short write to the audit log `%s`", path);
  return 0;
}
