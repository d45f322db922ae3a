/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime mode's common ground, used by runtime.c (create, run, restore,
 * update and the dispatch) and runtime-exec.c (exec): reporting to the
 * caller and the logs, the audit trail of a decision, the runtime's final
 * argv and its exec (plain or neutered), descriptors handed to runc, and
 * the bundle's and process file's reads and copies. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "runtime-internal.h"

/* ---- reporting ---- */

char *
ocigate_rt_oneline (const char *msg)
{
  /* containerd shows only the last error line of the log, so every finding
   * goes on one line; the repeated "ocigate: " of the multi-line form is
   * dropped after the first. */
  strbuf_t b = { 0 };
  const char *p = msg;
  bool first = true;
  strbuf_puts (&b, "");
  while (*p)
    {
      size_t l = strcspn (p, "\n");
      const char *s = p;
      if (!first && str_has_prefix (s, "ocigate: "))
        s += strlen ("ocigate: ");
      if (s < p + l)
        {
          if (!first)
            strbuf_puts (&b, "; ");
          strbuf_append (&b, s, (size_t)(p + l - s));
          first = false;
        }
      p += l;
      if (*p == '\n')
        p++;
    }
  return strbuf_steal (&b);
}

/* logrus's text format quotes the message the way Go's %q does. */
static void
quote_text (strbuf_t *b, const char *s)
{
  ocigate_escape_append (b, s, OCIGATE_ESC_QUOTE);
}

static int audit (struct rt *rt, const char *command, const char *id, const char *bundle,
                  ocigate_decision_t d, const ocigate_result_t *res, const char *error,
                  ocigate_error_t *err);

/* logrus quotes a text value only when it has a character outside
 * [A-Za-z0-9-._/@^+]. */
static bool
needs_quoting (const char *s)
{
  if (*s == '\0')
    return true;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
          || strchr ("-._/@^+", *s)))
      return true;
  return false;
}

/* One runc-compatible line (level error: what containerd reads back from
 * --log; level warning: a line containerd passes over). */
static char *
log_line (const char *format, const char *level, const char *msg, const char *safe_msg)
{
  char ts[64];
  ocigate_rt_timestamp (ts, false);
  if (format && strcmp (format, "json") == 0)
    {
      cleanup_doc ocigate_doc_t *doc = ocigate_doc_new ();
      ocigate_json_t *o = oj_new (doc, OJ_OBJECT);
      char *out;
      size_t len;
      /* logrus's JSON formatter: keys sorted, as runc writes them */
      oj_set (doc, o, "level", oj_new_string (doc, level));
      oj_set (doc, o, "msg", ocigate_rt_json_string (doc, safe_msg));
      oj_set (doc, o, "time", oj_new_string (doc, ts));
      if (ocigate_json_serialize (o, false, &out, &len, NULL) < 0)
        return NULL;
      out = xrealloc (out, len + 2);
      out[len++] = '\n';
      out[len] = '\0';
      return out;
    }
  strbuf_t b = { 0 };
  strbuf_printf (&b, "time=\"%s\" level=%s msg=", ts, level);
  if (needs_quoting (msg))
    quote_text (&b, msg);
  else
    strbuf_puts (&b, msg);
  strbuf_puts (&b, "\n");
  return strbuf_steal (&b);
}

static void
write_all_fd (int fd, const char *s, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, s, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return;
      s += w;
      len -= (size_t)w;
    }
}

void
ocigate_rt_report (struct rt *rt, const char *msg, const char *oneline)
{
  cleanup_free char *joined = NULL;
  bool log_is_stderr = false;
  const char *log = rt->a.log;
  if (oneline == NULL)
    oneline = joined = ocigate_rt_oneline (msg);
  /* Findings are escaped where they are written; this also covers error
   * text that quotes a path or a value: no control character reaches the
   * engine's terminal or the JSON log's reader, only ocigate's own line
   * breaks. */
  cleanup_free char *safe_msg
      = ocigate_escape (msg, OCIGATE_ESC_KEEP_NEWLINE | OCIGATE_ESC_KEEP_BACKSLASH);
  cleanup_free char *safe_line = ocigate_escape (oneline, OCIGATE_ESC_KEEP_BACKSLASH);
  if (log && *log)
    {
      /* runc's own mode and flags for its log file */
      cleanup_close int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      struct stat a, b;
      if (fd >= 0)
        {
          cleanup_free char *line = log_line (rt->a.log_format, "error", oneline, safe_line);
          if (fstat (fd, &a) == 0 && fstat (STDERR_FILENO, &b) == 0 && a.st_dev == b.st_dev
              && a.st_ino == b.st_ino)
            log_is_stderr = true;
          if (line)
            write_all_fd (fd, line, strlen (line));
        }
    }
  if (!log_is_stderr)
    {
      cleanup_free char *m = xasprintf ("%s\n", safe_msg);
      write_all_fd (STDERR_FILENO, m, strlen (m));
    }
}

int
ocigate_rt_runc_fatal (struct rt *rt, const char *msg, int code)
{
  const char *log = rt->a.log, *fmt = rt->a.log_format;
  cleanup_free char *line = NULL;
  /* runc refuses an unknown log format before anything else: let it. */
  if (fmt && *fmt && strcmp (fmt, "text") != 0 && strcmp (fmt, "json") != 0)
    return ocigate_rt_exec_neutered (rt);
  line = log_line (fmt, "error", msg, msg);
  if (log && *log)
    {
      cleanup_close int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      struct stat a, b;
      if (fd >= 0)
        {
          if (line)
            write_all_fd (fd, line, strlen (line));
          if (fstat (fd, &a) == 0 && fstat (STDERR_FILENO, &b) == 0 && a.st_dev == b.st_dev
              && a.st_ino == b.st_ino)
            return code;
          cleanup_free char *m = xasprintf ("%s\n", msg);
          write_all_fd (STDERR_FILENO, m, strlen (m));
          return code;
        }
    }
  if (line)
    write_all_fd (STDERR_FILENO, line, strlen (line));
  return code;
}

int
ocigate_rt_refuse (struct rt *rt, const char *command, const char *id, const char *bundle,
                   const ocigate_result_t *res, const char *msg)
{
  cleanup_error ocigate_error_t err = NULL;
  cleanup_free char *m = xstrdup (msg);
  if (audit (rt, command, id, bundle, OCIGATE_DECISION_REJECT, res, msg, &err) < 0)
    {
      char *n = xasprintf ("%s\nocigate: %s", m, err->msg);
      free (m);
      m = n;
    }
  ocigate_rt_report (rt, m, NULL);
  return OCIGATE_RT_EXIT_REJECT;
}

int
ocigate_rt_report_error (struct rt *rt, int code, ocigate_error_t *err)
{
  cleanup_free char *msg = xasprintf ("ocigate: %s", (*err)->msg);
  ocigate_rt_report (rt, msg, msg);
  return code;
}

static char *
absolute (const char *path)
{
  if (path[0] == '/')
    return xstrdup (path);
  char cwd[4096];
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    return xstrdup (path);
  return strcmp (path, ".") == 0 ? xstrdup (cwd) : xasprintf ("%s/%s", cwd, path);
}

static int
audit (struct rt *rt, const char *command, const char *id, const char *bundle, ocigate_decision_t d,
       const ocigate_result_t *res, const char *error, ocigate_error_t *err)
{
  cleanup_free char *abs = bundle ? absolute (bundle) : NULL;
  ocigate_audit_record_t rec = { .command = command,
                                 .container_id = id,
                                 .bundle = abs,
                                 .decision = d,
                                 .res = res,
                                 .error = error,
                                 .changed = &rt->changed };
  cleanup_error ocigate_error_t merr = NULL;
  int r = ocigate_audit_write (rt->pol, &rec, err);
  if (ocigate_metrics_record (rt->pol, &rec, r < 0, &merr) < 0)
    syslog (LOG_AUTHPRIV | LOG_WARNING, "ocigate: warning: %s", merr->msg);
  return r;
}

int
ocigate_rt_reject (struct rt *rt, const char *command, const char *id, const char *bundle,
                   const ocigate_result_t *res)
{
  cleanup_error ocigate_error_t err = NULL;
  cleanup_free char *msg = ocigate_result_message (res);
  /* The container stays rejected whatever happens to the audit trail;
   * its failure is added to the same message (one log line). */
  if (audit (rt, command, id, bundle, OCIGATE_DECISION_REJECT, res, NULL, &err) < 0)
    {
      char *m = xasprintf ("%s\nocigate: %s", msg, err->msg);
      free (msg);
      msg = m;
    }
  ocigate_rt_report (rt, msg, NULL);
  return OCIGATE_RT_EXIT_REJECT;
}

int
ocigate_rt_fail (struct rt *rt, const char *command, const char *id, const char *bundle,
                 ocigate_error_t *err)
{
  cleanup_error ocigate_error_t aerr = NULL;
  cleanup_free char *msg = xasprintf ("ocigate: %s", (*err)->msg);
  if (rt->pol
      && audit (rt, command, id, bundle, OCIGATE_DECISION_REJECT, NULL, (*err)->msg, &aerr) < 0)
    {
      char *m = xasprintf ("%s; %s", msg, aerr->msg);
      free (msg);
      msg = m;
    }
  ocigate_rt_report (rt, msg, msg);
  return OCIGATE_RT_EXIT_ERROR;
}

void
ocigate_rt_result_merge (ocigate_result_t *dst, ocigate_result_t *src)
{
  for (size_t i = 0; i < src->n; i++)
    {
      if (dst->n == dst->cap)
        {
          dst->cap = dst->cap ? dst->cap * 2 : 8;
          dst->f = xrealloc (dst->f, dst->cap * sizeof (*dst->f));
        }
      dst->f[dst->n++] = src->f[i];
    }
  dst->reject |= src->reject;
  dst->changed |= src->changed;
  if (dst->note == NULL)
    dst->note = steal_pointer (&src->note);
  free (src->f);
  src->f = NULL;
  src->n = src->cap = 0;
}

/* In warn mode the operator wants to see what enforce would do; in enforce
 * and audit mode a successful start says nothing (the trail has it).  Never
 * on stderr: for a container without a terminal the engines hand runc the
 * container's own stdio, so a line there would land in the workload's log. */
void
ocigate_rt_warn_mode_message (struct rt *rt, const ocigate_result_t *res)
{
  if (res->mode != OCIGATE_MODE_WARN || res->n == 0)
    return;
  cleanup_free char *msg = ocigate_result_message (res);
  cleanup_free char *line = ocigate_rt_oneline (msg);
  syslog (LOG_AUTHPRIV | LOG_WARNING, "%s", line);
}

/* A decision the trail could not record is never lost without a word:
 * syslog when a daemon listens (not stderr: see warn_mode_message), else a
 * warning line in --log (containerd reads back only the last level=error
 * line, and runc appends its own after it), else stderr. */
static void
lost_decision (struct rt *rt, const char *command, const char *id, ocigate_decision_t d,
               const ocigate_result_t *res, const char *why)
{
  cleanup_free char *findings = res && res->n ? ocigate_result_message (res) : NULL;
  cleanup_free char *joined = findings ? ocigate_rt_oneline (findings) : NULL;
  cleanup_free char *msg = xasprintf ("ocigate: warning: decision %s (%s %s) not recorded: %s%s%s",
                                      ocigate_decision_name (d), command, id ? id : "-", why,
                                      joined ? "; " : "", joined ? joined : "");
  cleanup_free char *safe = ocigate_escape (msg, OCIGATE_ESC_KEEP_BACKSLASH);
  if (ocigate_syslog_reachable ())
    {
      syslog (LOG_AUTHPRIV | LOG_WARNING, "%s", safe);
      return;
    }
  const char *log = rt->a.log, *fmt = rt->a.log_format;
  cleanup_free char *line = NULL;
  if (fmt && *fmt && strcmp (fmt, "text") != 0 && strcmp (fmt, "json") != 0)
    fmt = NULL;
  line = log_line (fmt, "warning", safe, safe);
  if (line && log && *log)
    {
      cleanup_close int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd >= 0)
        {
          write_all_fd (fd, line, strlen (line));
          return;
        }
    }
  if (line)
    write_all_fd (STDERR_FILENO, line, strlen (line));
}

/* An audit failure on allow or rewrite warns and lets the container start:
 * the container was judged and hardened all the same, and a full or
 * read-only log partition must not stop every container on the node.  A
 * rejection is never turned into a start by a failing trail. */
void
ocigate_rt_audit_decision (struct rt *rt, const char *command, const char *id, const char *bundle,
                           ocigate_decision_t d, const ocigate_result_t *res)
{
  cleanup_error ocigate_error_t err = NULL;
  if (audit (rt, command, id, bundle, d, res, NULL, &err) < 0)
    lost_decision (rt, command, id, d, res, err->msg);
}

/* ---- the runtime ---- */

char **
ocigate_rt_final_argv (struct rt *rt)
{
  char **v = xmalloc ((size_t)(rt->argc + 4) * sizeof (*v));
  size_t n = 0;
  v[n++] = (char *)rt->runtime;
  for (int i = 1; i < rt->argc; i++)
    {
      /* After every global flag of the caller's: the last --root wins. */
      if (i == rt->a.cmd_index && rt->neuter)
        v[n++] = rt->neuter;
      if (rt->drop && rt->drop[i])
        continue;
      v[n++] = rt->repl && rt->repl[i] ? rt->repl[i] : rt->argv[i];
      /* Right after the subcommand: exec parses flags only before the
       * container id. */
      if (i == rt->a.cmd_index && rt->add_nnp)
        v[n++] = (char *)"--no-new-privs";
      if (i == rt->a.cmd_index && rt->add_flag)
        v[n++] = rt->add_flag;
    }
  v[n] = NULL;
  return v;
}

int
ocigate_rt_exec_runtime (struct rt *rt)
{
  cleanup_free char **v = ocigate_rt_final_argv (rt);
  /* Go's os.Getwd returns $PWD when it names the working directory, and
   * runc joins root.path and relative bind sources to that: without it,
   * runc's getcwd() is the physical path the gate judged. */
  if (rt->unset_pwd)
    unsetenv ("PWD");
  execv (rt->runtime, v);
  int e = errno;
  cleanup_error ocigate_error_t err = NULL;
  ocigate_make_error (&err, e, "cannot execute the runtime `%s`", rt->runtime);
  return ocigate_rt_report_error (rt, e == ENOENT ? 127 : 126, &err);
}

int
ocigate_rt_pass_fd (struct rt *rt, int fd, ocigate_error_t *err)
{
  int64_t preserve = 0, listen = 0;
  const char *lf = getenv ("LISTEN_FDS");
  for (size_t i = 0; i < rt->a.n_flags; i++)
    if (!rt->a.flags[i].global && rt->a.flags[i].id == RF_PRESERVE_FDS && rt->a.flags[i].value
        && !ocigate_go_parse_int (rt->a.flags[i].value, 0, &preserve))
      preserve = 0;
  if (lf == NULL || !ocigate_go_parse_int (lf, 10, &listen) || listen < 0)
    listen = 0;
  if (preserve < 0)
    preserve = 0;
  if (preserve > (1 << 20) || listen > (1 << 20))
    {
      close (fd);
      return ocigate_make_error (err, 0, "too many descriptors to preserve");
    }
  /* runc hands the container fds 3 .. 3+LISTEN_FDS+preserve-fds-1: one
   * of ours there would reach the workload. */
  int n = fcntl (fd, F_DUPFD, (int)(3 + listen + preserve));
  int e = errno;
  close (fd);
  if (n < 0)
    return ocigate_make_error (err, e, "cannot place a descriptor for the runtime");
  return n;
}

int
ocigate_rt_exec_neutered (struct rt *rt)
{
  cleanup_error ocigate_error_t err = NULL;
  static const char *const dirs[] = { "/run", "/tmp", "/dev/shm" };
  int fd = -1;
  if (rt->a.cmd_index < 0)
    {
      ocigate_make_error (&err, 0, "cannot find the subcommand on the command line");
      return ocigate_rt_report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
    }
  for (size_t i = 0; fd < 0 && i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *t = xasprintf ("%s/ocigate-empty.XXXXXX", dirs[i]);
      struct stat st;
      if (mkdtemp (t) == NULL)
        continue;
      fd = open (t, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      rmdir (t);
      /* Removed: the kernel lets nothing be created in it any more. */
      if (fd >= 0 && (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode) || st.st_nlink != 0))
        {
          close (fd);
          fd = -1;
        }
    }
  if (fd < 0)
    {
      ocigate_make_error (&err, 0, "cannot make an empty runtime root");
      return ocigate_rt_report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
    }
  fd = ocigate_rt_pass_fd (rt, fd, &err);
  if (fd < 0)
    return ocigate_rt_report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
  for (int i = 0; rt->drop && i < rt->argc; i++)
    rt->drop[i] = false;
  rt->add_nnp = false;
  free (rt->add_flag);
  rt->add_flag = NULL;
  free (rt->neuter);
  rt->neuter = xasprintf ("--root=/proc/self/fd/%d", fd);
  return ocigate_rt_exec_runtime (rt);
}

/* ---- bundle and process files ---- */

/* Someone other than root (or the caller) who can write the bundle or its
 * config.json could change the document between the gate's read and
 * runc's. */
int
ocigate_rt_check_owner (int fd, const char *path, ocigate_error_t *err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return ocigate_make_error (err, errno, "cannot stat `%s`", path);
  if (st.st_uid != 0 && st.st_uid != geteuid ())
    return ocigate_make_error (err, 0,
                               "`%s` is owned by uid %u, not by root: it could change after "
                               "it is judged",
                               path, (unsigned)st.st_uid);
  if (st.st_mode & S_IWOTH)
    return ocigate_make_error (
        err, 0, "`%s` is writable by anyone: it could change after it is judged", path);
  return 0;
}

int
ocigate_rt_read_config (const char *bundle, size_t max_bytes, char **ret_buf, size_t *ret_len,
                        ocigate_error_t *err)
{
  cleanup_free char *config = xasprintf ("%s/config.json", bundle);
  cleanup_close int dfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", bundle);
  cleanup_close int cfd
      = openat (dfd, "config.json", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (cfd < 0 && errno == ELOOP)
    return ocigate_make_error (err, 0,
                               "`%s` is a symbolic link: runc would follow it again after the "
                               "gate read it",
                               config);
  if (cfd < 0)
    return ocigate_make_error (err, errno, "cannot open `%s`", config);
  if (ocigate_rt_check_owner (dfd, bundle, err) < 0
      || ocigate_rt_check_owner (cfd, config, err) < 0)
    return -1;
  return ocigate_read_fd (cfd, config, max_bytes, ret_buf, ret_len, err);
}

/* A process or resources file has been read once and judged: runc gets
 * exactly those bytes as a sealed memfd, opened by runc as
 * /proc/self/fd/N (a path may name other bytes by then, a stream is
 * drained).  Returns the new path (owned). */
char *
ocigate_rt_private_copy (struct rt *rt, const char *data, size_t len, ocigate_error_t *err)
{
  int fd = memfd_create ("ocigate-process", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    {
      ocigate_make_error (err, errno, "cannot create a memfd for the process file");
      return NULL;
    }
  size_t off = 0;
  while (off < len)
    {
      ssize_t w = write (fd, data + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          ocigate_make_error (err, errno, "cannot write the process file's copy");
          close (fd);
          return NULL;
        }
      off += (size_t)w;
    }
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    {
      ocigate_make_error (err, errno, "cannot seal the process file's copy");
      close (fd);
      return NULL;
    }
  fd = ocigate_rt_pass_fd (rt, fd, err);
  if (fd < 0)
    return NULL;
  return xasprintf ("/proc/self/fd/%d", fd);
}
