/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime mode: ocigate called in place of runc.
 *
 * create, run and restore build a container from a bundle: the bundle's
 * config.json goes through the same engine as `ocigate validate`, and is
 * rejected, or rewritten in place (atomically) before the real runtime is
 * exec'd with the caller's argv unchanged but for argv[0].  exec is vetted
 * in runtime-exec.c.  Everything else, and any --help/--version, is exec'd
 * untouched.
 *
 * The runtime's stdout belongs to the caller (engines parse `state`, `ps`
 * and `features` from it): nothing here writes to stdout.  Every file
 * opened here is close-on-exec and nothing inherited is closed, so console
 * sockets and --preserve-fds descriptors reach the runtime as they came.
 *
 * Exit status when the runtime is not exec'd: 1 rejected by the policy,
 * 2 nothing could be judged (bad command line, policy, config, audit
 * failure on a rejection), 126/127 the runtime cannot be executed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* One runc-compatible error line: what containerd reads back from --log. */
static char *
log_line (const char *format, const char *msg, const char *safe_msg)
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
      oj_set (doc, o, "level", oj_new_string (doc, "error"));
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
  strbuf_printf (&b, "time=\"%s\" level=error msg=", ts);
  quote_text (&b, msg);
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
          cleanup_free char *line = log_line (rt->a.log_format, oneline, safe_line);
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
  ocigate_audit_record_t rec = {
    .command = command, .container_id = id, .bundle = abs, .decision = d, .res = res, .error = error
  };
  return ocigate_audit_write (rt->pol, &rec, err);
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

/* An audit failure on allow or rewrite warns and lets the container start:
 * the container was judged and hardened all the same, and a full or
 * read-only log partition must not stop every container on the node.  A
 * rejection is never turned into a start by a failing trail. */
static void
audit_decision (struct rt *rt, const char *command, const char *id, const char *bundle,
                ocigate_decision_t d, const ocigate_result_t *res)
{
  cleanup_error ocigate_error_t err = NULL;
  /* syslog, not stderr: see warn_mode_message. */
  if (audit (rt, command, id, bundle, d, res, NULL, &err) < 0)
    syslog (LOG_AUTHPRIV | LOG_WARNING, "ocigate: warning: %s", err->msg);
}

/* ---- policy and runtime ---- */

static ocigate_policy_t *
load_policy (ocigate_error_t *err)
{
  const char *env = getenv ("OCIGATE_POLICY");
  struct stat st;
  if (env && *env)
    return ocigate_policy_load_lazy (env, err);
  /* No policy file installed: the embedded restricted default.  A file
   * that exists but cannot be read or parsed fails closed. */
  if (stat (OCIGATE_POLICY_PATH, &st) < 0 && errno == ENOENT)
    return ocigate_policy_load_lazy (NULL, err);
  return ocigate_policy_load_lazy (OCIGATE_POLICY_PATH, err);
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
  char **v = xmalloc ((size_t)(rt->argc + 2) * sizeof (*v));
  size_t n = 0;
  v[n++] = (char *)rt->runtime;
  for (int i = 1; i < rt->argc; i++)
    {
      if (rt->drop && rt->drop[i])
        continue;
      v[n++] = rt->argv[i];
      /* Right after the subcommand: exec parses flags only before the
       * container id. */
      if (i == rt->a.cmd_index && rt->add_nnp)
        v[n++] = (char *)"--no-new-privs";
    }
  v[n] = NULL;
  return v;
}

static int
exec_runtime (struct rt *rt)
{
  cleanup_free char **v = ocigate_rt_final_argv (rt);
  execv (rt->runtime, v);
  int e = errno;
  cleanup_error ocigate_error_t err = NULL;
  ocigate_make_error (&err, e, "cannot execute the runtime `%s`", rt->runtime);
  return report_error (rt, e == ENOENT ? 127 : 126, &err);
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

/* The edited argv must still name the same container and bundle. */
static int
recheck_argv (struct rt *rt, ocigate_error_t *err)
{
  cleanup_free char **v = ocigate_rt_final_argv (rt);
  int n = 0;
  while (v[n])
    n++;
  ocigate_rt_argv_t b;
  int r = ocigate_argv_parse (n, v, &b, err);
  if (r == 0
      && (b.cmd != rt->a.cmd || b.n_args != rt->a.n_args || strcmp (b.args[0], rt->a.args[0]) != 0
          || (b.bundle == NULL) != (rt->a.bundle == NULL)
          || (b.bundle && strcmp (b.bundle, rt->a.bundle) != 0)))
    r = ocigate_make_error (err, 0, "the edited command line names another container");
  ocigate_argv_free (&b);
  return r;
}

/* ---- create, run, restore ---- */

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
  cleanup_doc ocigate_doc_t *doc = NULL;
  ocigate_result_t res = { 0 };
  struct stat st;
  size_t len;
  bool edited = false;
  int r;

  if (stat (config, &st) < 0)
    {
      ocigate_make_error (&err, errno, "cannot read `%s`", config);
      return ocigate_rt_fail (rt, cmd, id, bundle, &err);
    }
  if (ocigate_read_file (config, rt->pol->max_config_bytes, &buf, &len, &err) < 0
      || (doc = ocigate_config_parse (buf, len, rt->pol, config, &err)) == NULL)
    return ocigate_rt_fail (rt, cmd, id, bundle, &err);

  ocigate_eval_opts_t opts = { .name = config,
                               .bundle = bundle,
                               .host_checks = true,
                               .runtime_call = true,
                               .container_id = id,
                               .runtime_root = rt->a.root };
  if (ocigate_evaluate (rt->pol, doc, &opts, &res, &err) < 0)
    goto fail;
  if (res.reject)
    goto reject;
  if (ocigate_apply (rt->pol, doc, &opts, &res, &err) < 0)
    goto fail;
  if (rt->a.cmd == OCIGATE_RT_RESTORE)
    {
      if (vet_restore_lsm (rt, doc, &opts, &res, &edited, &err) < 0)
        goto fail;
      if (res.reject)
        goto reject;
      if (edited && recheck_argv (rt, &err) < 0)
        goto fail;
    }
  if (res.changed)
    {
      if (ocigate_json_serialize (ocigate_doc_root (doc), false, &out, &len, &err) < 0
          || ocigate_write_file_atomic (config, out, len, (int)(st.st_mode & 07777), &err) < 0)
        goto fail;
    }
  warn_mode_message (rt, &res);
  audit_decision (rt, cmd, id, bundle,
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

int
ocigate_runtime_main (int argc, char **argv)
{
  cleanup_error ocigate_error_t err = NULL;
  struct rt rt = { .argc = argc, .argv = argv };
  int r;

  if (ocigate_argv_parse (argc, argv, &rt.a, &err) < 0)
    {
      ocigate_error_prefix (&err, "cannot parse the runc command line");
      r = report_error (&rt, OCIGATE_RT_EXIT_ERROR, &err);
      ocigate_argv_free (&rt.a);
      return r;
    }
  bool vetted = !rt.a.help
                && (rt.a.cmd == OCIGATE_RT_CREATE || rt.a.cmd == OCIGATE_RT_RUN
                    || rt.a.cmd == OCIGATE_RT_RESTORE || rt.a.cmd == OCIGATE_RT_EXEC);

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
      r = rt.a.cmd == OCIGATE_RT_EXEC ? ocigate_rt_vet_exec (&rt) : vet_create (&rt);
      if (r != 0)
        goto out;
    }
  r = exec_runtime (&rt);
out:
  free (rt.drop);
  ocigate_policy_free (rt.pol);
  ocigate_argv_free (&rt.a);
  return r;
}
