/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail (spec section 8): one JSON line per decision. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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

/* A record stays one bounded line: long config strings in a message or a
 * pointer are cut (at a character boundary) with a marker. */
static ocigate_json_t *
bounded_string (ocigate_doc_t *doc, const char *val)
{
  cleanup_free char *clean = utf8_sanitize (val);
  const char *s = clean ? clean : val;
  size_t len = strlen (s);
  if (len <= OCIGATE_AUDIT_MAX_STRING)
    return oj_new_string (doc, s);
  size_t cut = OCIGATE_AUDIT_MAX_STRING;
  while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
    cut--;
  cleanup_free char *t = xasprintf ("%.*s...[%zu bytes cut]", (int)cut, s, len - cut);
  return oj_new_string (doc, t);
}

static void
set_bounded (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key, const char *val)
{
  if (val)
    oj_set (doc, obj, key, bounded_string (doc, val));
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
      bool would_reject = false;
      size_t kept = 0;
      for (size_t i = 0; i < res->n; i++)
        {
          const ocigate_finding_t *f = &res->f[i];
          const ocigate_rule_info_t *ri = ocigate_rule_info (f->rule);
          if (!seen[f->rule])
            oj_append (doc, rules, oj_new_string (doc, ri->id));
          seen[f->rule] = true;
          would_reject |= f->action == OCIGATE_ACTION_REJECT;
          if (kept == OCIGATE_AUDIT_MAX_FINDINGS)
            continue;
          kept++;
          ocigate_json_t *fo = oj_new (doc, OJ_OBJECT);
          set_utf8 (doc, fo, "rule", ri->id);
          set_utf8 (doc, fo, "action", ocigate_action_name (f->action));
          set_bounded (doc, fo, "pointer", f->pointer);
          set_bounded (doc, fo, "message", f->message);
          set_utf8 (doc, fo, "fix", ri->fix);
          oj_append (doc, findings, fo);
        }
      oj_set (doc, o, "rules", rules);
      oj_set (doc, o, "findings", findings);
      if (kept < res->n)
        oj_set (doc, o, "findings_omitted", oj_new_int (doc, (int64_t)(res->n - kept)));
      /* what enforce mode would have done with the same findings */
      if (res->mode != OCIGATE_MODE_ENFORCE)
        oj_set (doc, o, "would_reject", oj_new_bool (doc, would_reject));
      set_str (doc, o, "note", res->note);
    }
  if (rec->changed && rec->changed->n)
    {
      ocigate_json_t *ch = oj_new (doc, OJ_ARRAY);
      size_t n = rec->changed->n < OCIGATE_AUDIT_MAX_CHANGED ? rec->changed->n
                                                             : OCIGATE_AUDIT_MAX_CHANGED;
      for (size_t i = 0; i < n; i++)
        oj_append (doc, ch, bounded_string (doc, rec->changed->v[i]));
      oj_set (doc, o, "changed", ch);
      if (n < rec->changed->n)
        oj_set (doc, o, "changed_omitted", oj_new_int (doc, (int64_t)(rec->changed->n - n)));
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

static void
strlist_push (ocigate_strlist_t *l, char *s)
{
  l->v = xrealloc (l->v, (l->n + 2) * sizeof (char *));
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
}

static void
diff_at (const ocigate_json_t *a, const ocigate_json_t *b, strbuf_t *ptr, ocigate_strlist_t *ret)
{
  size_t mark = ptr->len;
  if (a && b && a->type == b->type && a->type == OJ_OBJECT)
    {
      for (size_t i = 0; i < a->u.obj.n; i++)
        {
          const ocigate_json_member_t *m = &a->u.obj.m[i];
          cleanup_free char *k = xstrndup (m->key, m->klen);
          ocigate_pointer_append (ptr, k);
          diff_at (m->val, oj_get (b, k), ptr, ret);
          ptr->len = mark;
          ptr->s[mark] = '\0';
        }
      for (size_t i = 0; i < b->u.obj.n; i++)
        {
          const ocigate_json_member_t *m = &b->u.obj.m[i];
          cleanup_free char *k = xstrndup (m->key, m->klen);
          if (oj_get (a, k))
            continue;
          ocigate_pointer_append (ptr, k);
          strlist_push (ret, xstrdup (ptr->s));
          ptr->len = mark;
          ptr->s[mark] = '\0';
        }
      return;
    }
  if (a && b && a->type == b->type && a->type == OJ_ARRAY)
    {
      size_t n = a->u.arr.n > b->u.arr.n ? a->u.arr.n : b->u.arr.n;
      for (size_t i = 0; i < n; i++)
        {
          char idx[32];
          snprintf (idx, sizeof (idx), "%zu", i);
          ocigate_pointer_append (ptr, idx);
          diff_at (i < a->u.arr.n ? a->u.arr.v[i] : NULL, i < b->u.arr.n ? b->u.arr.v[i] : NULL,
                   ptr, ret);
          ptr->len = mark;
          ptr->s[mark] = '\0';
        }
      return;
    }
  if (a && b && oj_equal (a, b))
    return;
  strlist_push (ret, xstrdup (ptr->s ? ptr->s : ""));
}

void
ocigate_audit_diff (const ocigate_json_t *before, const ocigate_json_t *after,
                    ocigate_strlist_t *ret)
{
  strbuf_t ptr = { 0 };
  strbuf_puts (&ptr, "");
  diff_at (before, after, &ptr, ret);
  free (ptr.s);
}

bool
ocigate_syslog_reachable (void)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strncpy (sa.sun_path, _PATH_LOG, sizeof (sa.sun_path) - 1);
  /* as glibc tries it: datagram first, then stream */
  static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_close int fd = socket (AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
      if (fd >= 0 && connect (fd, (struct sockaddr *)&sa, sizeof (sa)) == 0)
        return true;
    }
  return false;
}

long
ocigate_adm_gid (void)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (ocigate_read_file ("/etc/group", 1 << 20, &buf, &len, NULL) < 0)
    return -1;
  for (char *line = buf; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      /* adm:x:4:syslog,... */
      if (strncmp (line, "adm:", 4) != 0)
        continue;
      char *f = strchr (line + 4, ':');
      if (f == NULL)
        return -1;
      char *end;
      errno = 0;
      long gid = strtol (f + 1, &end, 10);
      if (errno || end == f + 1 || (*end != ':' && *end != '\n' && *end) || gid < 0)
        return -1;
      return gid;
    }
  return -1;
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

/* A new log is readable by the adm group (Debian's log readers) from its
 * first line, as logrotate's `create 0640 root adm` makes the next one. */
static void
new_log_mode (int fd)
{
  long gid = ocigate_adm_gid ();
  if (gid >= 0 && fchown (fd, (uid_t)-1, (gid_t)gid) < 0)
    (void)0; /* not root: the directory's group stays */
  (void)fchmod (fd, 0640);
}

static char *
rotated_name (const char *real, unsigned i, bool gz)
{
  return i == 0 ? xstrdup (real) : xasprintf ("%s.%u%s", real, i, gz ? ".gz" : "");
}

/* audit.jsonl -> .1 -> ... -> .keep, the oldest dropped; compressed
 * ones (logrotate's .N.gz) shift along.  Called with the log locked. */
static int
rotate (const char *real, unsigned keep, ocigate_error_t *err)
{
  if (keep == 0)
    {
      if (unlink (real) < 0 && errno != ENOENT)
        return ocigate_make_error (err, errno, "cannot remove the full audit log `%s`", real);
      return 0;
    }
  for (int gz = 0; gz < 2; gz++)
    {
      cleanup_free char *last = rotated_name (real, keep, gz);
      if (unlink (last) < 0 && errno != ENOENT)
        return ocigate_make_error (err, errno, "cannot remove the old audit log `%s`", last);
    }
  for (unsigned i = keep; i >= 1; i--)
    for (int gz = 0; gz < 2; gz++)
      {
        if (i == 1 && gz)
          continue;
        cleanup_free char *from = rotated_name (real, i - 1, gz);
        cleanup_free char *to = rotated_name (real, i, gz);
        if (rename (from, to) < 0 && errno != ENOENT)
          return ocigate_make_error (err, errno, "cannot rotate the audit log `%s` to `%s`", from,
                                     to);
      }
  return 0;
}

int
ocigate_flock_bounded (int fd, unsigned ms)
{
  for (unsigned waited = 0;; waited += 5)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return -1;
      if (waited >= ms)
        {
          errno = ETIMEDOUT;
          return -1;
        }
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

/* The sibling FILE.lock: root's, 0600, so that only the gates take it (a
 * lock on the log itself could be held by any reader of the log, the adm
 * group, and stop every container start). */
static int
open_lock (const char *real, ocigate_error_t *err)
{
  cleanup_free char *lock = xasprintf ("%s.lock", real);
  struct stat st;
  const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  int fd = open (lock, flags, 0600);
  if (fd < 0 && errno == ENOENT && make_parents (real) == 0)
    fd = open (lock, flags, 0600);
  if (fd < 0)
    return ocigate_make_error (err, errno, "cannot open the lock `%s`", lock);
  if (fstat (fd, &st) < 0 || ocigate_trust_check_file (lock, &st, err) < 0 || st.st_nlink > 1)
    {
      if (err && *err == NULL)
        ocigate_make_error (err, EPERM, "the lock `%s` is not trusted", lock);
      close (fd);
      return -1;
    }
  return fd;
}

/* One write per line on an O_APPEND descriptor (concurrent gates never
 * interleave), the size check and rotation under flock on FILE.lock.  A
 * lock not had within OCIGATE_LOCK_WAIT_MS still appends (the record
 * matters more than the cap) but does not rotate.  O_NOFOLLOW: a planted
 * symlink does not redirect the trail; and every directory on the way must
 * be root's alone (a link or a name planted higher up would redirect it
 * too), the file root's, unshared (a hard link to another file would
 * receive the lines) and writable by no one else. */
static int
append_line (const ocigate_policy_t *pol, const char *path, const char *line, size_t len,
             ocigate_error_t *err)
{
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  cleanup_free char *real = NULL;
  struct stat st;
  if (ocigate_trust_resolve (path, false, true, &real, &st, err) < 0)
    return ocigate_error_prefix (err, "the audit log `%s` is not trusted", path);
  cleanup_close int lfd = -1;
  bool locked = false;
  if (pol->audit_max_bytes)
    {
      /* without the lock the line is still written (and the log's own
       * open names what is wrong), only not rotated */
      lfd = open_lock (real, NULL);
      locked = lfd >= 0 && ocigate_flock_bounded (lfd, OCIGATE_LOCK_WAIT_MS) == 0;
    }
  for (int attempt = 0; attempt < 2; attempt++)
    {
      cleanup_close int fd = open (real, flags | O_EXCL, 0640);
      if (fd < 0 && errno == ENOENT && make_parents (real) == 0)
        fd = open (real, flags | O_EXCL, 0640);
      if (fd >= 0)
        new_log_mode (fd);
      else if (errno == EEXIST)
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
      if (locked && attempt == 0 && st.st_size > 0
          && (uint64_t)st.st_size + len > pol->audit_max_bytes)
        {
          if (rotate (real, pol->audit_keep, err) < 0)
            return -1;
          continue;
        }
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
  return ocigate_make_error (err, EAGAIN, "cannot open the audit log `%s`", path);
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

  bool syslog_ok = false;
  if (pol->audit_syslog && ocigate_syslog_reachable ())
    {
      syslog_ok = true;
      /* glibc opens the log socket close-on-exec; close it anyway before
       * the runtime is exec'd. */
      openlog ("ocigate", LOG_PID, LOG_AUTHPRIV);
      syslog (rec->decision == OCIGATE_DECISION_REJECT ? LOG_WARNING : LOG_NOTICE, "%.*s",
              (int)len - 1, line);
      closelog ();
    }

  if (path == NULL || *path == '\0')
    {
      if (!syslog_ok)
        return ocigate_make_error (err, ENOTCONN,
                                   "the decision was not recorded: no audit log, and no syslog "
                                   "daemon listens on %s",
                                   _PATH_LOG);
      return 0;
    }
  return append_line (pol, path, line, len, err);
}
