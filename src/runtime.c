/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime mode: ocigate called in place of runc.
 *
 * create, run and restore build a container from a bundle: the bundle's
 * config.json goes through the same engine as `ocigate validate`, and is
 * rejected, or rewritten in place (atomically) before the real runtime is
 * exec'd with the caller's argv but for argv[0] and the bundle (below).
 * exec is vetted in runtime-exec.c.  Everything else (start, state, kill,
 * delete, list, ps, events, pause, resume, update, features, checkpoint,
 * spec, init, help), and any --help/--version, is exec'd untouched.
 *
 * The runtime's stdout belongs to the caller (engines parse `state`, `ps`
 * and `features` from it): nothing here writes to stdout.  Every file
 * opened here is close-on-exec, but for the descriptors runc is told to
 * open as /proc/self/fd/N (the pinned bundle, a process file's copy, an
 * empty root), which are placed above the ones runc hands the container;
 * nothing inherited is closed, so console sockets and --preserve-fds
 * descriptors reach the runtime as they came.
 *
 * Where policy has nothing to decide, runc decides: a usage error, a
 * missing bundle or config.json, an unknown container are left to runc
 * itself (its message, its exit status), run with a `--root` in which
 * nothing can be created or found (ocigate_rt_exec_neutered), so that a
 * create/run/restore/exec the gate could not vet never starts anything.
 *
 * The bundle is pinned: opened once, its config.json read from that
 * descriptor (a symlinked config.json is refused), judged against the
 * bundle's physical path (runc joins a relative root.path to its getcwd(),
 * the physical path), rewritten in that directory, and runc gets
 * `--bundle=/proc/self/fd/N` for the same directory, so swapping a
 * symlinked bundle between the two reads changes nothing.
 *
 * Exit status when the runtime is not exec'd: 1 rejected by the policy,
 * 2 nothing could be judged (policy, config, audit failure on a
 * rejection), 126/127 the runtime cannot be executed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
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

static int
report_error (struct rt *rt, int code, ocigate_error_t *err)
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
static void
warn_mode_message (struct rt *rt, const ocigate_result_t *res)
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

/* ---- policy and runtime ---- */

static ocigate_policy_t *
load_policy (ocigate_error_t *err)
{
  /* $OCIGATE_POLICY, else the node's file; only a missing file means the
   * embedded restricted default (one that cannot be read fails closed). */
  const char *from;
  return ocigate_policy_load_lazy (ocigate_policy_node_path (&from), err);
}

static const char *
runtime_from_env (void)
{
  const char *e = getenv ("OCIGATE_RUNTIME");
  return e && *e ? e : NULL;
}

static int
check_runtime (const char *path, ocigate_error_t *err)
{
  struct stat rt, self;
  if (path[0] != '/')
    return ocigate_make_error (err, 0, "the runtime `%s` is not an absolute path", path);
  if (stat (path, &rt) < 0)
    return ocigate_make_error (err, errno, "cannot find the runtime `%s`", path);
  if (!S_ISREG (rt.st_mode))
    return ocigate_make_error (err, 0, "the runtime `%s` is not a regular file", path);
  /* Pointing the gate at itself would recurse until something runs out. */
  if (stat ("/proc/self/exe", &self) < 0)
    return ocigate_make_error (err, errno,
                               "cannot stat `/proc/self/exe` to rule out running ocigate as "
                               "its own runtime");
  if (rt.st_dev == self.st_dev && rt.st_ino == self.st_ino)
    return ocigate_make_error (err, 0,
                               "the runtime `%s` is ocigate itself; set `runtime` in the policy "
                               "or OCIGATE_RUNTIME to the real runtime",
                               path);
  return 0;
}

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

static int
exec_runtime (struct rt *rt)
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
  return report_error (rt, e == ENOENT ? 127 : 126, &err);
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
      return report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
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
      return report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
    }
  fd = ocigate_rt_pass_fd (rt, fd, &err);
  if (fd < 0)
    return report_error (rt, OCIGATE_RT_EXIT_ERROR, &err);
  for (int i = 0; rt->drop && i < rt->argc; i++)
    rt->drop[i] = false;
  rt->add_nnp = false;
  free (rt->add_flag);
  rt->add_flag = NULL;
  free (rt->neuter);
  rt->neuter = xasprintf ("--root=/proc/self/fd/%d", fd);
  return exec_runtime (rt);
}

/* ---- restore's LSM flags ---- */

/* --lsm-profile TYPE:NAME and --lsm-mount-context CTX replace what the
 * restored container runs under.  Each is judged as an exec process asking
 * for that label would be (process rules, the container's own label as
 * the ceiling): unconfined types are rejected, any other label than the
 * container's is dropped from argv where the rule's action is rewrite. */
static int
vet_restore_lsm (struct rt *rt, ocigate_doc_t *config, const ocigate_eval_opts_t *opts,
                 ocigate_result_t *total, bool *edited, ocigate_error_t *err)
{
  ocigate_json_t *croot = ocigate_doc_root (config);
  for (size_t i = 0; i < rt->a.n_flags; i++)
    {
      const ocigate_rt_flag_t *f = &rt->a.flags[i];
      if (f->global || (f->id != RF_LSM_PROFILE && f->id != RF_LSM_MOUNT_CONTEXT) || !*f->value)
        continue;
      cleanup_doc ocigate_doc_t *proc = ocigate_doc_new ();
      cleanup_doc ocigate_doc_t *ceiling = NULL;
      ocigate_doc_t *container = config;
      const ocigate_json_t *cproc = oj_get (croot, "process");
      ocigate_json_t *p = cproc ? oj_copy (proc, cproc) : oj_new (proc, OJ_OBJECT);
      ocigate_doc_set_root (proc, p);
      if (f->id == RF_LSM_PROFILE)
        {
          const char *colon = strchr (f->value, ':');
          size_t tl = colon ? (size_t)(colon - f->value) : 0;
          if (colon && tl == 8 && strncmp (f->value, "apparmor", 8) == 0)
            oj_set (proc, p, "apparmorProfile", ocigate_rt_json_string (proc, colon + 1));
          else if (colon && tl == 7 && strncmp (f->value, "selinux", 7) == 0)
            oj_set (proc, p, "selinuxLabel", ocigate_rt_json_string (proc, colon + 1));
          else
            return ocigate_make_error (err, 0,
                                       "restore: --lsm-profile \"%s\": expected apparmor:NAME "
                                       "or selinux:LABEL",
                                       f->value);
        }
      else
        {
          /* The mount context is judged against the container's mount
           * label, so that label stands in as the ceiling's. */
          ceiling = ocigate_doc_new ();
          ocigate_json_t *c = oj_copy (ceiling, croot);
          ocigate_json_t *cp = oj_ensure_object (ceiling, c, "process");
          const char *ml = oj_str (oj_path (c, "linux/mountLabel"));
          ocigate_doc_set_root (ceiling, c);
          if (ml)
            oj_set (ceiling, cp, "selinuxLabel", oj_new_string (ceiling, ml));
          else
            oj_remove (cp, "selinuxLabel");
          container = ceiling;
          oj_set (proc, p, "selinuxLabel", ocigate_rt_json_string (proc, f->value));
        }
      ocigate_result_t res;
      if (ocigate_evaluate_process (rt->pol, proc, container, opts, &res, err) < 0)
        {
          ocigate_result_free (&res);
          return -1;
        }
      bool rewrite = false;
      for (size_t k = 0; k < res.n; k++)
        if (res.f[k].action == OCIGATE_ACTION_REWRITE)
          rewrite = true;
      if (rewrite && !res.reject && res.mode == OCIGATE_MODE_ENFORCE)
        {
          rt->drop[f->index] = true;
          if (f->value_index >= 0)
            rt->drop[f->value_index] = true;
          *edited = true;
        }
      ocigate_rt_result_merge (total, &res);
      ocigate_result_free (&res);
    }
  return 0;
}

/* The edited argv must still name the same container, and the bundle the
 * gate pinned. */
static int
recheck_argv (struct rt *rt, const char *bundle, ocigate_error_t *err)
{
  cleanup_free char **v = ocigate_rt_final_argv (rt);
  int n = 0;
  while (v[n])
    n++;
  ocigate_rt_argv_t b;
  int r = ocigate_argv_parse (n, v, &b, err);
  if (r == 0
      && (b.cmd != rt->a.cmd || b.n_args != rt->a.n_args || strcmp (b.args[0], rt->a.args[0]) != 0
          || b.bundle == NULL || strcmp (b.bundle, bundle) != 0))
    r = ocigate_make_error (err, 0, "the edited command line names another container");
  ocigate_argv_free (&b);
  return r;
}

/* Someone other than root (or the caller) who can write the bundle or its
 * config.json could change the document between the gate's read and
 * runc's. */
static int
check_owner (int fd, const char *path, ocigate_error_t *err)
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
  if (check_owner (dfd, bundle, err) < 0 || check_owner (cfd, config, err) < 0)
    return -1;
  return ocigate_read_fd (cfd, config, max_bytes, ret_buf, ret_len, err);
}

/* The physical path of a directory descriptor: what runc's getcwd() gives
 * after chdir there. */
static char *
fd_path (int fd, ocigate_error_t *err)
{
  char link[64], buf[PATH_MAX];
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  ssize_t l = readlink (link, buf, sizeof (buf) - 1);
  if (l < 0)
    {
      ocigate_make_error (err, errno, "cannot read `%s`", link);
      return NULL;
    }
  buf[l] = '\0';
  if (buf[0] != '/' || (l > 10 && strcmp (buf + l - 10, " (deleted)") == 0))
    {
      ocigate_make_error (err, 0, "the bundle directory has no path (`%s`)", buf);
      return NULL;
    }
  return xstrdup (buf);
}

static int
take_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

/* ---- create, run, restore ---- */

/* A CRIU image carries the restored process's credentials, capabilities,
 * seccomp filter and no_new_privs; runc restores them as they are.  The
 * gate cannot judge the image and does not see images made, so restore is
 * refused where the policy restricts anything (restricted, baseline) in
 * enforce mode; warn and audit mode and the privileged preset let it
 * through with the config vetted as for create. */
static bool
restore_refused (const ocigate_result_t *res)
{
  return res->preset != OCIGATE_PRESET_PRIVILEGED && res->mode == OCIGATE_MODE_ENFORCE;
}

static const char restore_msg[]
    = "restore: a checkpoint image sets the restored process's user, capabilities, seccomp "
      "filter and no_new_privs, which the gate cannot judge; restore is refused under this "
      "policy (it is allowed under the privileged preset and in warn or audit mode)";

static int
vet_create (struct rt *rt)
{
  cleanup_error ocigate_error_t err = NULL;
  const char *cmd = rt->a.cmd_name;
  const char *id = rt->a.args[0];
  /* runc chdirs to --bundle when it is not empty, else stays put. */
  const char *bundle = rt->a.bundle && *rt->a.bundle ? rt->a.bundle : ".";
  cleanup_free char *config = xasprintf ("%s/config.json", bundle);
  cleanup_free char *buf = NULL;
  cleanup_free char *out = NULL;
  cleanup_free char *physical = NULL;
  cleanup_free char *pinned = NULL;
  cleanup_doc ocigate_doc_t *doc = NULL;
  cleanup_close int dfd = -1;
  cleanup_close int cfd = -1;
  ocigate_result_t res = { 0 };
  struct stat st;
  size_t len;
  bool edited = false;
  cleanup_doc ocigate_doc_t *before = NULL;
  int r;

  dfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* runc's chdir fails the same way; a bundle made in between finds a
   * runtime root where nothing can be created. */
  if (dfd < 0)
    return ocigate_rt_exec_neutered (rt);
  cfd = openat (dfd, "config.json", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (cfd < 0 && errno == ENOENT)
    return ocigate_rt_exec_neutered (rt);
  if (cfd < 0)
    {
      if (errno == ELOOP)
        ocigate_make_error (&err, 0,
                            "`%s` is a symbolic link: runc would follow it again after the "
                            "gate read it",
                            config);
      else
        ocigate_make_error (&err, errno, "cannot open `%s`", config);
      return ocigate_rt_fail (rt, cmd, id, bundle, &err);
    }
  if ((physical = fd_path (dfd, &err)) == NULL || check_owner (dfd, bundle, &err) < 0
      || check_owner (cfd, config, &err) < 0 || fstat (cfd, &st) < 0)
    return ocigate_rt_fail (rt, cmd, id, bundle, &err);
  if (ocigate_read_fd (cfd, config, rt->pol->max_config_bytes, &buf, &len, &err) < 0
      || (doc = ocigate_config_parse (buf, len, rt->pol, config, &err)) == NULL)
    return ocigate_rt_fail (rt, cmd, id, bundle, &err);

  /* runc joins root.path and relative sources to its getcwd(): the
   * physical bundle, whatever symlinks the caller's spelling went through. */
  ocigate_eval_opts_t opts = { .name = config,
                               .bundle = physical,
                               .host_checks = true,
                               .runtime_call = true,
                               .container_id = id,
                               .runtime_root = rt->a.root };
  if (ocigate_evaluate (rt->pol, doc, &opts, &res, &err) < 0)
    goto fail;
  if (res.reject)
    goto reject;
  /* the record names what the rewrite changed */
  before = ocigate_doc_new ();
  ocigate_doc_set_root (before, oj_copy (before, ocigate_doc_root (doc)));
  if (ocigate_apply (rt->pol, doc, &opts, &res, &err) < 0)
    goto fail;
  if (rt->a.cmd == OCIGATE_RT_RESTORE)
    {
      if (restore_refused (&res))
        {
          cleanup_free char *msg
              = xasprintf ("ocigate: rejected by policy %s: %s", res.policy_name, restore_msg);
          r = ocigate_rt_refuse (rt, cmd, id, bundle, &res, msg);
          ocigate_result_free (&res);
          return r;
        }
      if (vet_restore_lsm (rt, doc, &opts, &res, &edited, &err) < 0)
        goto fail;
      if (res.reject)
        goto reject;
    }
  if (res.changed || edited)
    ocigate_audit_diff (ocigate_doc_root (before), ocigate_doc_root (doc), &rt->changed);
  if (res.changed)
    {
      cleanup_free char *target = xasprintf ("/proc/self/fd/%d/config.json", dfd);
      if (ocigate_json_serialize (ocigate_doc_root (doc), false, &out, &len, &err) < 0
          || ocigate_write_file_atomic (target, out, len, (int)(st.st_mode & 07777), &err) < 0)
        {
          ocigate_error_prefix (&err, "cannot rewrite `%s`", config);
          goto fail;
        }
    }

  /* runc gets the directory judged, not a name that can be swapped. */
  int pfd = ocigate_rt_pass_fd (rt, take_fd (&dfd), &err);
  if (pfd < 0)
    goto fail;
  pinned = xasprintf ("/proc/self/fd/%d", pfd);
  for (size_t i = 0; i < rt->a.n_flags; i++)
    {
      const ocigate_rt_flag_t *f = &rt->a.flags[i];
      if (f->global || f->id != RF_BUNDLE)
        continue;
      rt->drop[f->index] = true;
      if (f->value_index >= 0)
        rt->drop[f->value_index] = true;
    }
  rt->add_flag = xasprintf ("--bundle=%s", pinned);
  rt->unset_pwd = true;
  if (recheck_argv (rt, pinned, &err) < 0)
    goto fail;

  warn_mode_message (rt, &res);
  if (rt->a.cmd == OCIGATE_RT_RESTORE && res.mode == OCIGATE_MODE_WARN)
    syslog (LOG_AUTHPRIV | LOG_WARNING, "ocigate: warning: %s", restore_msg);
  ocigate_rt_audit_decision (
      rt, cmd, id, bundle,
      res.changed || edited ? OCIGATE_DECISION_REWRITE : OCIGATE_DECISION_ALLOW, &res);
  ocigate_result_free (&res);
  return 0;

reject:
  r = ocigate_rt_reject (rt, cmd, id, bundle, &res);
  ocigate_result_free (&res);
  return r;
fail:
  ocigate_result_free (&res);
  return ocigate_rt_fail (rt, cmd, id, bundle, &err);
}

/* ---- update ----
 *
 * runc 1.1.5 `update` sets the container's pids.max from --pids-limit (a
 * Go int: ParseInt(s, 0, 64)), or, when -r/--resources names a file ("-":
 * standard input), from that file's pids.limit alone: every flag is then
 * ignored.  0 (and no value) leaves pids.max as it is; any negative value
 * writes "max".  The file is decoded the Go way: member names match
 * case-insensitively ("PIDS", "Limit", "pidſ"), and unified's "pids.max"
 * is written to the cgroup as given.  A limit that is unlimited or above
 * limits.pids is refused when resource-limits is reject, clamped to
 * limits.pids when it is rewrite; the policy's preset decides the action
 * (update names no pod, so no exemption applies).  runc gets the judged
 * file as a sealed memfd.  Everything else of update passes unchanged. */

/* Go's encoding/json field match: ASCII case folded, and the two
 * non-ASCII runes that fold to ASCII letters (U+017F to s, U+212A to k). */
static bool
go_key_is (const ocigate_json_member_t *m, const char *name)
{
  const unsigned char *k = (const unsigned char *)m->key, *end = k + m->klen;
  for (; *name; name++)
    {
      if (end - k >= 2 && k[0] == 0xc5 && k[1] == 0xbf && *name == 's')
        k += 2;
      else if (end - k >= 3 && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa && *name == 'k')
        k += 3;
      else if (k < end && (*k | 0x20) == *name)
        k++;
      else
        return false;
    }
  return k == end;
}

/* Check (and with fix, clamp) every pids limit of a resources document.
 * Returns how many were out of bounds. */
static int
judge_resources (ocigate_doc_t *doc, int64_t want, bool fix, strbuf_t *why)
{
  ocigate_json_t *root = ocigate_doc_root (doc);
  int bad = 0;
  if (root == NULL || root->type != OJ_OBJECT)
    return 0; /* runc cannot decode it either */
  for (size_t i = 0; i < oj_len (root); i++)
    {
      ocigate_json_member_t *km = &root->u.obj.m[i];
      ocigate_json_t *v = km->val;
      if (go_key_is (km, "pids") && v && v->type == OJ_OBJECT)
        for (size_t j = 0; j < oj_len (v); j++)
          {
            int64_t n = 0;
            ocigate_json_member_t *m = &v->u.obj.m[j];
            if (!go_key_is (m, "limit"))
              continue;
            bool ok = oj_int (m->val, &n);
            if (ok && n >= 0 && n <= want)
              continue; /* 0: pids.max stays */
            bad++;
            if (why->len == 0)
              strbuf_printf (why, "%.*s.%.*s %s", (int)km->klen, km->key, (int)m->klen, m->key,
                             ok && n < 0 ? "is negative (unlimited)"
                                         : "is above the policy's limit");
            if (fix)
              m->val = oj_new_int (doc, want);
          }
      if (go_key_is (km, "unified") && v && v->type == OJ_OBJECT)
        for (size_t j = 0; j < oj_len (v); j++)
          {
            int64_t n = 0;
            ocigate_json_member_t *m = &v->u.obj.m[j];
            const char *val = oj_str (m->val);
            if (m->klen != strlen ("pids.max") || memcmp (m->key, "pids.max", m->klen) != 0)
              continue;
            if (val && ocigate_go_parse_int (val, 10, &n) && n > 0 && n <= want)
              continue;
            bad++;
            if (why->len == 0)
              strbuf_printf (why, "%.*s[\"pids.max\"] \"%s\" is not a limit within the policy's",
                             (int)km->klen, km->key, val ? val : "?");
            if (fix)
              {
                char b[32];
                snprintf (b, sizeof (b), "%lld", (long long)want);
                m->val = oj_new_string (doc, b);
              }
          }
    }
  return bad;
}

static int
vet_update (struct rt *rt)
{
  cleanup_error ocigate_error_t err = NULL;
  cleanup_free char *buf = NULL;
  cleanup_free char *out = NULL;
  cleanup_free char *path = NULL;
  cleanup_doc ocigate_doc_t *doc = NULL;
  strbuf_t why = { 0 };
  const char *id = rt->a.args[0];
  const ocigate_policy_t *pol = rt->pol;
  int64_t want = pol->limits_pids;
  int action = ocigate_rule_info (R_RESOURCE_LIMITS)->defaults[pol->preset];
  if (pol->actions[R_RESOURCE_LIMITS] != OCIGATE_ACTION_DEFAULT)
    action = pol->actions[R_RESOURCE_LIMITS];
  if (want <= 0 || action == OCIGATE_ACTION_OFF)
    return 0;
  bool enforce = pol->mode == OCIGATE_MODE_ENFORCE
                 && (action == OCIGATE_ACTION_REJECT || action == OCIGATE_ACTION_REWRITE);
  bool fix = enforce && action == OCIGATE_ACTION_REWRITE;
  const ocigate_rt_flag_t *res_flag = NULL, *pids_flag = NULL;
  for (size_t i = 0; i < rt->a.n_flags; i++)
    if (!rt->a.flags[i].global && rt->a.flags[i].id == RF_RESOURCES)
      res_flag = &rt->a.flags[i];
    else if (!rt->a.flags[i].global && rt->a.flags[i].id == RF_PIDS_LIMIT)
      pids_flag = &rt->a.flags[i];
  int bad = 0, r = 0;
  char clamp[32];
  snprintf (clamp, sizeof (clamp), "%lld", (long long)want);

  if (res_flag && *res_flag->value)
    {
      const char *in = strcmp (res_flag->value, "-") == 0 ? "/dev/stdin" : res_flag->value;
      size_t len = 0;
      bool regular;
      ocigate_json_parse_opts_t po = { .name = res_flag->value };
      if (ocigate_read_stream (in, pol->max_config_bytes, &buf, &len, &regular, &err) < 0
          || (doc = ocigate_json_parse (buf, len, &po, &err)) == NULL)
        {
          ocigate_error_prefix (&err, "update --resources");
          return ocigate_rt_fail (rt, "update", id, NULL, &err);
        }
      bad = judge_resources (doc, want, fix, &why);
      const char *give = buf;
      if (bad && fix)
        {
          if (ocigate_json_serialize (ocigate_doc_root (doc), false, &out, &len, &err) < 0)
            return ocigate_rt_fail (rt, "update", id, NULL, &err);
          give = out;
        }
      /* runc reads the judged bytes, never the path (or stdin) again */
      path = ocigate_rt_private_copy (rt, give, len, &err);
      if (path == NULL)
        return ocigate_rt_fail (rt, "update", id, NULL, &err);
      if (res_flag->value_index >= 0)
        rt->repl[res_flag->value_index] = xstrdup (path);
      else
        {
          const char *w = rt->argv[res_flag->index];
          rt->repl[res_flag->index] = xasprintf ("%.*s=%s", (int)strcspn (w, "="), w, path);
        }
    }
  else if (pids_flag)
    {
      int64_t v = 0;
      ocigate_go_parse_int (pids_flag->value, 0, &v); /* the parser checked it */
      if (v < 0 || v > want)
        {
          bad = 1;
          strbuf_printf (&why, "--pids-limit %s %s", pids_flag->value,
                         v < 0 ? "is unlimited" : "is above the policy's limit");
          if (fix && pids_flag->value_index >= 0)
            rt->repl[pids_flag->value_index] = xstrdup (clamp);
          else if (fix)
            {
              const char *w = rt->argv[pids_flag->index];
              rt->repl[pids_flag->index] = xasprintf ("%.*s=%s", (int)strcspn (w, "="), w, clamp);
            }
        }
    }
  if (bad == 0)
    goto out;

  ocigate_result_t res = { .policy_name = ocigate_policy_name (pol),
                           .mode = pol->mode,
                           .preset = pol->preset,
                           .changed = fix };
  if (!enforce)
    {
      if (pol->mode != OCIGATE_MODE_AUDIT)
        syslog (LOG_AUTHPRIV | LOG_WARNING,
                "ocigate: policy %s: update %s: resource-limits: %s (limit %lld)", res.policy_name,
                id, why.s, (long long)want);
      goto out;
    }
  if (!fix)
    {
      cleanup_free char *msg
          = xasprintf ("ocigate: rejected by policy %s: update: resource-limits: %s: a fork loop "
                       "could exhaust the node's pids; limit %lld",
                       res.policy_name, why.s, (long long)want);
      r = ocigate_rt_refuse (rt, "update", id, NULL, &res, msg);
      goto out;
    }
  ocigate_rt_audit_decision (rt, "update", id, NULL, OCIGATE_DECISION_REWRITE, &res);
out:
  free (why.s);
  return r;
}

/* A vetted verb anywhere on a command line the gate could not parse. */
static bool
names_vetted_verb (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "create") == 0 || strcmp (argv[i], "run") == 0
        || strcmp (argv[i], "restore") == 0 || strcmp (argv[i], "exec") == 0)
      return true;
  return false;
}

int
ocigate_runtime_main (int argc, char **argv)
{
  cleanup_error ocigate_error_t err = NULL;
  cleanup_error ocigate_error_t perr = NULL;
  struct rt rt = { .argc = argc, .argv = argv };
  int r;

  bool parsed = ocigate_argv_parse (argc, argv, &rt.a, &perr) == 0;
  bool vetted = rt.a.cmd == OCIGATE_RT_CREATE || rt.a.cmd == OCIGATE_RT_RUN
                || rt.a.cmd == OCIGATE_RT_RESTORE || rt.a.cmd == OCIGATE_RT_EXEC
                || rt.a.cmd == OCIGATE_RT_UPDATE;
  /* A command line the gate cannot read: if it may start something, runc
   * reads it too but can start nothing (neutered); if the subcommand is
   * not even known and no word could be a vetted verb, it is runc's to
   * refuse as it likes. */
  if (!parsed && !vetted && names_vetted_verb (argc, argv))
    {
      ocigate_error_prefix (&perr, "cannot parse the runc command line");
      r = report_error (&rt, OCIGATE_RT_EXIT_ERROR, &perr);
      ocigate_argv_free (&rt.a);
      return r;
    }
  if (!parsed && !vetted)
    rt.a.cmd = OCIGATE_RT_OTHER;
  if (parsed && rt.a.help)
    vetted = false;

  rt.runtime = runtime_from_env ();
  /* The policy names the runtime, so even a passthrough reads it unless
   * the environment names the runtime; a policy that cannot be loaded
   * stops everything rather than guess which runtime the operator meant. */
  if (vetted || rt.runtime == NULL)
    {
      rt.pol = load_policy (&err);
      if (rt.pol == NULL)
        {
          r = report_error (&rt, OCIGATE_RT_EXIT_ERROR, &err);
          goto out;
        }
      if (rt.runtime == NULL)
        rt.runtime = rt.pol->runtime;
    }
  if (check_runtime (rt.runtime, &err) < 0)
    {
      r = report_error (&rt, OCIGATE_RT_EXIT_ERROR, &err);
      goto out;
    }
  if (vetted)
    {
      rt.drop = xzalloc ((size_t)argc * sizeof (*rt.drop));
      rt.repl = xzalloc ((size_t)argc * sizeof (*rt.repl));
      if (!parsed)
        r = ocigate_rt_exec_neutered (&rt);
      else
        r = rt.a.cmd == OCIGATE_RT_EXEC     ? ocigate_rt_vet_exec (&rt)
            : rt.a.cmd == OCIGATE_RT_UPDATE ? vet_update (&rt)
                                            : vet_create (&rt);
      if (r != 0)
        goto out;
    }
  r = exec_runtime (&rt);
out:
  for (int i = 0; rt.repl && i < argc; i++)
    free (rt.repl[i]);
  free (rt.repl);
  free (rt.drop);
  free (rt.add_flag);
  free (rt.neuter);
  ocigate_strlist_free (&rt.changed);
  ocigate_policy_free (rt.pol);
  ocigate_argv_free (&rt.a);
  return r;
}
