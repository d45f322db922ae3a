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
  if ((physical = fd_path (dfd, &err)) == NULL || ocigate_rt_check_owner (dfd, bundle, &err) < 0
      || ocigate_rt_check_owner (cfd, config, &err) < 0 || fstat (cfd, &st) < 0)
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

  ocigate_rt_warn_mode_message (rt, &res);
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
      r = ocigate_rt_report_error (&rt, OCIGATE_RT_EXIT_ERROR, &perr);
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
          r = ocigate_rt_report_error (&rt, OCIGATE_RT_EXIT_ERROR, &err);
          goto out;
        }
      if (rt.runtime == NULL)
        rt.runtime = rt.pol->runtime;
    }
  if (check_runtime (rt.runtime, &err) < 0)
    {
      r = ocigate_rt_report_error (&rt, OCIGATE_RT_EXIT_ERROR, &err);
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
  r = ocigate_rt_exec_runtime (&rt);
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
