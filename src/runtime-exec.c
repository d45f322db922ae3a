/* SPDX-License-Identifier: Apache-2.0 */
/* `exec`: a second way into a running container, vetted on its own.
 *
 * Engines build the exec process from their in-memory spec, not from the
 * config.json ocigate rewrote, and runc takes user, capabilities,
 * noNewPrivileges and LSM labels from what exec is given.  So:
 *
 *  - The container is found with `RUNTIME [--root R] state ID`; its
 *    bundle's config.json is the ceiling (capabilities, labels), the user
 *    namespace (is uid 0 host root?) and the Kubernetes identity
 *    (exemptions) for every judgement below.
 *
 *  - --process FILE is read once, judged by the process rules and
 *    clamped to what the container itself got; runc gets the judged
 *    bytes as a sealed memfd (--process /proc/self/fd/N), never the path,
 *    which another process may rename something else onto.  A regular
 *    file is also clamped in place (atomic rewrite, same mode).
 *
 *  - The process flags (--cap, --user, --additional-gids, --apparmor,
 *    --process-label, --no-new-privs, --cwd) are judged on the process runc
 *    would build from them: without --process that is the container's own
 *    process from config.json with the flags applied as runc's getProcess
 *    applies them (--cap adds to bounding, effective, permitted and
 *    ambient; --user U[:G] is parsed with Go's Atoi and truncated to 32
 *    bits, so 4294967296 is root; --no-new-privs=false clears it).  runc
 *    ignores those flags when --process is given, but another runtime may
 *    not, so they are judged then too, on top of the clamped file.
 *    A finding whose action is reject rejects the exec.  One whose action
 *    is rewrite drops the flags that caused it from argv (every --cap that
 *    names a refused capability, --user for root, --apparmor and
 *    --process-label for a label other than the container's), or for
 *    no-new-privileges replaces any --no-new-privs by one plain
 *    --no-new-privs after `exec`.  The edited argv is parsed again and
 *    judged again; what no flag edit can clamp (the container's own
 *    config breaking the policy, e.g. a container started before the
 *    policy) is rejected: use --process, or recreate the container.
 *
 * Only flags are dropped or added: the exec'd argv differs from the
 * caller's by exactly those words. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>

#include "runtime-internal.h"

#define STATE_MAX (1 << 20)
#define STDERR_MAX 4096

/* Read both pipes to EOF; stdout up to STATE_MAX, stderr up to STDERR_MAX
 * (the rest is drained so the child never blocks). */
static int
collect (int out, int errfd, strbuf_t *o, strbuf_t *e)
{
  struct pollfd p[2] = { { out, POLLIN, 0 }, { errfd, POLLIN, 0 } };
  strbuf_t *bufs[2] = { o, e };
  size_t caps[2] = { STATE_MAX, STDERR_MAX };
  int open_fds = 2;
  while (open_fds > 0)
    {
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      for (int i = 0; i < 2; i++)
        {
          if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          char buf[8192];
          ssize_t r = read (p[i].fd, buf, sizeof (buf));
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            {
              p[i].fd = -1;
              open_fds--;
              continue;
            }
          if (bufs[i]->len + (size_t)r <= caps[i])
            strbuf_append (bufs[i], buf, (size_t)r);
          else if (i == 0)
            bufs[i]->len = caps[i] + 1; /* mark: too large */
        }
    }
  return 0;
}

extern char **environ;

/* The bundle of a running container, from the runtime's own state. */
static int
container_bundle (struct rt *rt, const char *id, char **ret, char **ret_status, int64_t *ret_pid,
                  bool *ret_unknown, ocigate_error_t *err)
{
  const char *argv[6];
  size_t n = 0;
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
  posix_spawn_file_actions_t fa;
  strbuf_t o = { 0 }, e = { 0 };
  cleanup_doc ocigate_doc_t *doc = NULL;
  pid_t pid;
  int status = 0, r = -1;

  argv[n++] = rt->runtime;
  if (rt->a.root)
    {
      argv[n++] = "--root";
      argv[n++] = rt->a.root;
    }
  argv[n++] = "state";
  argv[n++] = id;
  argv[n] = NULL;
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    {
      ocigate_make_error (err, errno, "cannot create a pipe");
      goto done;
    }
  /* An inherited SIG_IGN for SIGCHLD would have the kernel reap the child
   * and waitpid() fail: default it while we wait, and hand the runtime the
   * disposition we were given. */
  struct sigaction dfl = { .sa_handler = SIG_DFL }, old_chld;
  sigemptyset (&dfl.sa_mask);
  sigaction (SIGCHLD, &dfl, &old_chld);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, errp[1], STDERR_FILENO);
  int se = posix_spawn (&pid, rt->runtime, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (out[1]);
  close (errp[1]);
  out[1] = errp[1] = -1;
  if (se != 0)
    {
      sigaction (SIGCHLD, &old_chld, NULL);
      ocigate_make_error (err, se, "cannot run `%s state`", rt->runtime);
      goto done;
    }
  collect (out[0], errp[0], &o, &e);
  pid_t w;
  while ((w = waitpid (pid, &status, 0)) < 0 && errno == EINTR)
    ;
  sigaction (SIGCHLD, &old_chld, NULL);
  if (w != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      /* The runtime's own words: usually "container does not exist". */
      *ret_unknown = true;
      const char *msg = e.s ? e.s : "";
      size_t l = strcspn (msg, "\n");
      ocigate_make_error (err, 0, "exec: cannot find container `%s`: `%s state` failed%s%.*s", id,
                          rt->runtime, l ? ": " : "", (int)l, msg);
      goto done;
    }
  if (o.len > STATE_MAX)
    {
      ocigate_make_error (err, 0, "exec: `%s state %s`: output larger than %d bytes", rt->runtime,
                          id, STATE_MAX);
      goto done;
    }
  ocigate_json_parse_opts_t po = { .name = "runtime state" };
  doc = ocigate_json_parse (o.s ? o.s : "", o.len, &po, err);
  if (doc == NULL)
    goto done;
  const char *bundle = oj_str (oj_get (ocigate_doc_root (doc), "bundle"));
  if (bundle == NULL || bundle[0] != '/')
    {
      ocigate_make_error (err, 0, "exec: the state of container `%s` names no absolute bundle", id);
      goto done;
    }
  const char *cstatus = oj_str (oj_get (ocigate_doc_root (doc), "status"));
  *ret = xstrdup (bundle);
  *ret_status = xstrdup (cstatus ? cstatus : "");
  *ret_pid = 0;
  oj_int (oj_get (ocigate_doc_root (doc), "pid"), ret_pid);
  r = 0;
done:
  for (int i = 0; i < 2; i++)
    {
      if (out[i] >= 0)
        close (out[i]);
      if (errp[i] >= 0)
        close (errp[i]);
    }
  free (o.s);
  free (e.s);
  return r;
}

/* The user namespace an exec joins is the container init's, whatever the
 * bundle's config.json says now (it can be edited after the start: a user
 * namespace added there would make uid 0 look safe).  The container's
 * linux.namespaces user entry and mappings are replaced by what the init
 * runs in: none when it shares our user namespace, else a namespace
 * joined by path, judged by its real map (rules-process.c), through a
 * descriptor held open so a recycled pid cannot change the answer.
 * Returns the descriptor (>= 0), -2 when the init is in our own user
 * namespace, -1 on error: the init cannot be read, nothing is judged. */
static int
live_userns (ocigate_doc_t *container, int64_t pid, const char *status, ocigate_error_t *err)
{
  struct stat self, init;
  int fd = -2;
  if (pid <= 0 && strcmp (status, "stopped") != 0)
    return ocigate_make_error (err, 0, "exec: the container's state names no init pid");
  if (pid > 0)
    {
      cleanup_free char *p = xasprintf ("/proc/%lld/ns/user", (long long)pid);
      fd = open (p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0)
        return ocigate_make_error (err, errno, "exec: cannot open the container init's `%s`", p);
      if (fstat (fd, &init) < 0 || stat ("/proc/self/ns/user", &self) < 0)
        {
          int e = errno;
          close (fd);
          return ocigate_make_error (err, e, "exec: cannot stat `%s`", p);
        }
      if (init.st_dev == self.st_dev && init.st_ino == self.st_ino)
        {
          close (fd);
          fd = -2;
        }
    }
  /* A stopped container (runc refuses the exec) is judged as sharing ours. */
  ocigate_json_t *lx = oj_ensure_object (container, ocigate_doc_root (container), "linux");
  ocigate_json_t *ns = oj_get (lx, "namespaces");
  for (size_t i = oj_len (ns); ns && ns->type == OJ_ARRAY && i-- > 0;)
    if (oj_str_eq (oj_get (oj_at (ns, i), "type"), "user"))
      oj_remove_at (ns, i);
  oj_remove (lx, "uidMappings");
  oj_remove (lx, "gidMappings");
  if (fd >= 0)
    {
      ocigate_json_t *e = oj_new (container, OJ_OBJECT);
      cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
      oj_set (container, e, "type", oj_new_string (container, "user"));
      oj_set (container, e, "path", oj_new_string (container, p));
      oj_append (container, oj_ensure_array (container, lx, "namespaces"), e);
    }
  return fd;
}

/* The container's process as runc applied it at create: runc's own record
 * ROOT/ID/state.json, not the bundle's config.json, which can be edited
 * after the start (a container's own AppArmor profile or SELinux label,
 * and its capabilities, are what an exec may keep).  Its capabilities,
 * no_new_privileges, AppArmor profile and SELinux label replace the
 * container's process's as the ceiling exec is judged against.  A
 * runtime that keeps no state.json there (crun, another layout) leaves
 * config.json's; one that is there must be root's and writable by no one
 * else (trust.c) and readable, or nothing is judged. */
static int
ceiling_from_state (struct rt *rt, const char *id, ocigate_doc_t *container, ocigate_error_t *err)
{
  const char *root = rt->a.root && *rt->a.root ? rt->a.root : "/run/runc";
  cleanup_free char *path = xasprintf ("%s/%s/state.json", root, id);
  cleanup_free char *buf = NULL;
  cleanup_doc ocigate_doc_t *doc = NULL;
  struct stat st;
  size_t len;
  if (id[0] == '\0' || id[0] == '.' || strchr (id, '/'))
    return ocigate_make_error (err, 0, "exec: container id `%s` names no state directory", id);
  if (lstat (path, &st) < 0 && errno == ENOENT)
    return 0;
  ocigate_json_parse_opts_t po = { .name = path, .max_depth = 256 };
  if (ocigate_read_trusted (path, 64 << 20, &buf, &len, err) < 0
      || (doc = ocigate_json_parse (buf, len, &po, err)) == NULL)
    return ocigate_error_prefix (err, "exec: the runtime's state of `%s`", id);
  const ocigate_json_t *cfg = oj_get (ocigate_doc_root (doc), "config");
  if (!oj_is (cfg, OJ_OBJECT))
    return ocigate_make_error (err, 0, "exec: `%s` holds no config", path);
  ocigate_json_t *proc = oj_ensure_object (container, ocigate_doc_root (container), "process");
  /* libcontainer: no capabilities at all means none were dropped */
  const ocigate_json_t *caps = oj_get (cfg, "capabilities");
  oj_remove (proc, "capabilities");
  if (oj_is (caps, OJ_OBJECT))
    {
      static const char *const sets[][2] = { { "Bounding", "bounding" },
                                             { "Effective", "effective" },
                                             { "Inheritable", "inheritable" },
                                             { "Permitted", "permitted" },
                                             { "Ambient", "ambient" } };
      ocigate_json_t *c = oj_ensure_object (container, proc, "capabilities");
      for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
        {
          const ocigate_json_t *v = oj_get (caps, sets[i][0]);
          oj_set (container, c, sets[i][1],
                  oj_is (v, OJ_ARRAY) ? oj_copy (container, v) : oj_new (container, OJ_ARRAY));
        }
    }
  else if (caps != NULL && caps->type != OJ_NULL)
    return ocigate_make_error (err, 0, "exec: `%s`: config.capabilities is not an object", path);
  const ocigate_json_t *nnp = oj_get (cfg, "no_new_privileges");
  oj_set (container, proc, "noNewPrivileges", oj_new_bool (container, nnp && nnp->type == OJ_TRUE));
  const char *aa = oj_str (oj_get (cfg, "app_armor_profile"));
  const char *se = oj_str (oj_get (cfg, "process_label"));
  oj_remove (proc, "apparmorProfile");
  oj_remove (proc, "selinuxLabel");
  if (aa && *aa)
    oj_set (container, proc, "apparmorProfile", oj_new_string (container, aa));
  if (se && *se)
    oj_set (container, proc, "selinuxLabel", oj_new_string (container, se));
  return 0;
}

/* ---- the process runc would build from the flags ---- */

static const ocigate_rt_flag_t *
last_flag (const ocigate_rt_argv_t *a, ocigate_rt_flag_id_t id)
{
  for (size_t i = a->n_flags; i-- > 0;)
    if (!a->flags[i].global && a->flags[i].id == id)
      return &a->flags[i];
  return NULL;
}

static bool
is_process_flag (ocigate_rt_flag_id_t id)
{
  return id == RF_CAP || id == RF_USER || id == RF_ADDITIONAL_GIDS || id == RF_APPARMOR
         || id == RF_PROCESS_LABEL || id == RF_NO_NEW_PRIVS || id == RF_CWD;
}

/* --additional-gids: urfave reads base 10; a value another reading would
 * take differently ("010", "0x0") is refused rather than guessed. */
static int
parse_gid (const char *s, uint32_t *ret, ocigate_error_t *err)
{
  int64_t a, b;
  if (!ocigate_go_parse_int (s, 10, &a) || !ocigate_go_parse_int (s, 0, &b) || a != b)
    return ocigate_make_error (err, 0, "exec: --additional-gids \"%s\": not a decimal number", s);
  if (a < 0)
    return ocigate_make_error (err, 0, "exec: --additional-gids \"%s\": negative", s);
  *ret = (uint32_t)a; /* runc converts with uint32(): 4294967296 is 0 */
  return 0;
}

static int
parse_user (const char *s, uint32_t *uid, bool *has_gid, uint32_t *gid, ocigate_error_t *err)
{
  cleanup_free char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');
  int64_t v;
  *has_gid = colon != NULL;
  if (colon)
    {
      *colon = '\0';
      if (!ocigate_go_parse_int (colon + 1, 10, &v))
        return ocigate_make_error (err, 0, "exec: --user \"%s\": bad gid", s);
      *gid = (uint32_t)v;
    }
  if (!ocigate_go_parse_int (copy, 10, &v))
    return ocigate_make_error (err, 0, "exec: --user \"%s\": bad uid", s);
  *uid = (uint32_t)v;
  return 0;
}

static ocigate_json_t *
ensure_array (ocigate_doc_t *doc, ocigate_json_t *obj, const char *key)
{
  ocigate_json_t *a = oj_get (obj, key);
  if (a == NULL || a->type != OJ_ARRAY)
    {
      a = oj_new (doc, OJ_ARRAY);
      oj_set (doc, obj, key, a);
    }
  return a;
}

static int
overlay (const ocigate_rt_argv_t *a, const ocigate_json_t *base, ocigate_doc_t **ret,
         ocigate_error_t *err)
{
  cleanup_doc ocigate_doc_t *doc = ocigate_doc_new ();
  ocigate_json_t *p = base ? oj_copy (doc, base) : oj_new (doc, OJ_OBJECT);
  const ocigate_rt_flag_t *f;
  ocigate_doc_set_root (doc, p);

  if ((f = last_flag (a, RF_CWD)) && *f->value)
    oj_set (doc, p, "cwd", ocigate_rt_json_string (doc, f->value));
  if ((f = last_flag (a, RF_APPARMOR)) && *f->value)
    oj_set (doc, p, "apparmorProfile", ocigate_rt_json_string (doc, f->value));
  if ((f = last_flag (a, RF_PROCESS_LABEL)) && *f->value)
    oj_set (doc, p, "selinuxLabel", ocigate_rt_json_string (doc, f->value));
  if ((f = last_flag (a, RF_NO_NEW_PRIVS)))
    oj_set (doc, p, "noNewPrivileges", oj_new_bool (doc, f->bval));
  if ((f = last_flag (a, RF_USER)) && *f->value)
    {
      uint32_t uid = 0, gid = 0;
      bool has_gid;
      if (parse_user (f->value, &uid, &has_gid, &gid, err) < 0)
        return -1;
      ocigate_json_t *u = oj_ensure_object (doc, p, "user");
      oj_set (doc, u, "uid", oj_new_int (doc, uid));
      if (has_gid)
        oj_set (doc, u, "gid", oj_new_int (doc, gid));
      else if (oj_get (u, "gid") == NULL)
        oj_set (doc, u, "gid", oj_new_int (doc, 0));
    }
  for (size_t i = 0; i < a->n_flags; i++)
    {
      f = &a->flags[i];
      if (f->global)
        continue;
      if (f->id == RF_CAP)
        {
          static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
          ocigate_json_t *caps = oj_ensure_object (doc, p, "capabilities");
          for (size_t s = 0; s < ARRAY_SIZE (sets); s++)
            oj_append (doc, ensure_array (doc, caps, sets[s]),
                       ocigate_rt_json_string (doc, f->value));
        }
      else if (f->id == RF_ADDITIONAL_GIDS)
        {
          uint32_t g;
          if (parse_gid (f->value, &g, err) < 0)
            return -1;
          ocigate_json_t *u = oj_ensure_object (doc, p, "user");
          if (oj_get (u, "uid") == NULL)
            oj_set (doc, u, "uid", oj_new_int (doc, 0));
          if (oj_get (u, "gid") == NULL)
            oj_set (doc, u, "gid", oj_new_int (doc, 0));
          oj_append (doc, ensure_array (doc, u, "additionalGids"), oj_new_int (doc, g));
        }
    }
  *ret = steal_pointer (&doc);
  return 0;
}

/* The argv as it would be exec'd, with the original index of each word
 * (-1 for an inserted one). */
static char **
candidate (struct rt *rt, int **ret_map, int *ret_n)
{
  char **v = ocigate_rt_final_argv (rt);
  int *map = xmalloc ((size_t)(rt->argc + 2) * sizeof (int));
  int n = 0, k = 1;
  map[n++] = 0;
  for (int i = 1; i < rt->argc; i++)
    {
      if (rt->drop[i])
        continue;
      map[k++] = i;
      if (i == rt->a.cmd_index && rt->add_nnp)
        map[k++] = -1;
    }
  while (v[n])
    n++;
  *ret_map = map;
  *ret_n = n;
  return v;
}

static bool
drop_occurrence (struct rt *rt, const int *map, const ocigate_rt_flag_t *f)
{
  int i = map[f->index];
  if (i < 0 || rt->drop[i])
    return false;
  rt->drop[i] = true;
  if (f->value_index >= 0 && map[f->value_index] >= 0)
    rt->drop[map[f->value_index]] = true;
  return true;
}

static const char *const cap_flag_sets[] = { "bounding", "effective", "permitted", "ambient" };

static bool
set_has (const ocigate_json_t *set, const char *name)
{
  for (size_t i = 0; i < oj_len (set); i++)
    if (oj_str_eq (oj_at (set, i), name))
      return true;
  return false;
}

/* Would the engine's clamp take this --cap capability away?  Judged by
 * clamping a copy of the process with the engine's own fix, so the answer
 * does not depend on how findings are worded or pointed. */
static bool
cap_refused (const ocigate_json_t *before, const ocigate_json_t *after, const char *cap)
{
  for (size_t s = 0; s < ARRAY_SIZE (cap_flag_sets); s++)
    if (set_has (oj_get (before, cap_flag_sets[s]), cap)
        && !set_has (oj_get (after, cap_flag_sets[s]), cap))
      return true;
  return false;
}

/* Drop the flags behind one rewrite finding.  Returns how many words
 * changed.  clamped: the process after the engine's rewrites. */
static int
drop_for (struct rt *rt, const ocigate_rt_argv_t *ca, const int *map, ocigate_doc_t *doc,
          ocigate_doc_t *clamped, const ocigate_finding_t *fd)
{
  int changed = 0;
  const ocigate_json_t *before = oj_get (ocigate_doc_root (doc), "capabilities");
  const ocigate_json_t *after = oj_get (ocigate_doc_root (clamped), "capabilities");
  if (fd->rule == R_NO_NEW_PRIVILEGES && !rt->add_nnp)
    {
      rt->add_nnp = true;
      changed++;
    }
  for (size_t i = 0; i < ca->n_flags; i++)
    {
      const ocigate_rt_flag_t *f = &ca->flags[i];
      bool hit = false;
      if (f->global)
        continue;
      switch (fd->rule)
        {
        case R_CAPABILITIES:
          hit = f->id == RF_CAP && cap_refused (before, after, f->value);
          break;
        case R_NO_NEW_PRIVILEGES:
          hit = f->id == RF_NO_NEW_PRIVS;
          break;
        case R_ROOT_USER:
          hit = f->id == RF_USER;
          break;
        case R_ROOT_GROUP:
          {
            uint32_t g;
            cleanup_error ocigate_error_t e = NULL;
            hit = (f->id == RF_USER && strchr (f->value, ':'))
                  || (f->id == RF_ADDITIONAL_GIDS && parse_gid (f->value, &g, &e) == 0 && g == 0);
            break;
          }
        case R_APPARMOR:
          hit = f->id == RF_APPARMOR;
          break;
        case R_SELINUX:
          hit = f->id == RF_PROCESS_LABEL;
          break;
        default:
          break;
        }
      if (hit && drop_occurrence (rt, map, f))
        changed++;
    }
  return changed;
}

enum
{
  CLAMP_OK,
  CLAMP_REJECT,
  CLAMP_ERROR
};

/* Judge the flags on top of base; edit rt->drop/add_nnp until the process
 * they describe passes.  *res holds the last judgement. */
static int
clamp_flags (struct rt *rt, const char *want_process, const ocigate_json_t *base,
             ocigate_doc_t *container, const ocigate_eval_opts_t *opts, ocigate_result_t *res,
             ocigate_error_t *err)
{
  for (int round = 0;; round++)
    {
      int *map = NULL, n;
      char **v = candidate (rt, &map, &n);
      ocigate_rt_argv_t ca;
      ocigate_doc_t *doc = NULL, *clamped = NULL;
      int r = CLAMP_ERROR, changed = 0;
      bool pending = false;
      ocigate_result_free (res);
      if (ocigate_argv_parse (n, v, &ca, err) < 0)
        goto next;
      /* The edit must not change which container or process file runc uses. */
      if (ca.cmd != OCIGATE_RT_EXEC || strcmp (ca.args[0], rt->a.args[0]) != 0
          || (ca.process == NULL) != (want_process == NULL)
          || (ca.process && strcmp (ca.process, want_process) != 0))
        {
          ocigate_make_error (err, 0, "exec: the edited command line names another process");
          goto next;
        }
      if (overlay (&ca, base, &doc, err) < 0)
        goto next;
      if (ocigate_evaluate_process (rt->pol, doc, container, opts, res, err) < 0)
        goto next;
      r = CLAMP_OK;
      if (res->reject)
        {
          r = CLAMP_REJECT;
          goto next;
        }
      if (res->mode != OCIGATE_MODE_ENFORCE)
        goto next;
      for (size_t i = 0; i < res->n; i++)
        pending |= res->f[i].action == OCIGATE_ACTION_REWRITE;
      if (pending)
        {
          clamped = ocigate_doc_new ();
          ocigate_doc_set_root (clamped, oj_copy (clamped, ocigate_doc_root (doc)));
          if (ocigate_apply_process (rt->pol, clamped, container, opts, res, err) < 0)
            {
              r = CLAMP_ERROR;
              goto next;
            }
          res->changed = false;
          for (size_t i = 0; i < res->n; i++)
            if (res->f[i].action == OCIGATE_ACTION_REWRITE)
              changed += drop_for (rt, &ca, map, doc, clamped, &res->f[i]);
        }
      if (pending && changed == 0)
        {
          /* Nothing on the command line caused it: the container's own
           * process does not pass.  Flags cannot take it away. */
          for (size_t i = 0; i < res->n; i++)
            if (res->f[i].action == OCIGATE_ACTION_REWRITE)
              res->f[i].action = OCIGATE_ACTION_REJECT;
          res->reject = true;
          r = CLAMP_REJECT;
        }
      else if (pending)
        r = -1; /* judge the edited argv again */
    next:
      ocigate_doc_free (clamped);
      ocigate_doc_free (doc);
      ocigate_argv_free (&ca);
      free (map);
      free (v);
      if (r != -1)
        return r;
      if (round > 8)
        {
          ocigate_make_error (err, 0, "exec: the process flags do not settle");
          return CLAMP_ERROR;
        }
    }
}

static bool
any_process_flag (const ocigate_rt_argv_t *a)
{
  for (size_t i = 0; i < a->n_flags; i++)
    if (!a->flags[i].global && is_process_flag (a->flags[i].id))
      return true;
  return false;
}

/* Point the last --process flag (the one runc uses) at path. */
static void
replace_process (struct rt *rt, const char *path)
{
  for (size_t i = rt->a.n_flags; i-- > 0;)
    {
      const ocigate_rt_flag_t *f = &rt->a.flags[i];
      if (f->global || f->id != RF_PROCESS)
        continue;
      if (f->value_index >= 0)
        {
          free (rt->repl[f->value_index]);
          rt->repl[f->value_index] = xstrdup (path);
        }
      else
        {
          const char *w = rt->argv[f->index];
          size_t nl = strcspn (w, "=");
          free (rt->repl[f->index]);
          rt->repl[f->index] = xasprintf ("%.*s=%s", (int)nl, w, path);
        }
      return;
    }
}

/* exec --cgroup [CONTROLLERS:]PATH: runc 1.1 joins PATH to the container's
 * cgroup and checks only that the result starts with the container's path
 * as a string, so `../c4x` is taken for a sub-cgroup of `c4`, and
 * `../../system.slice/x` is not a sub-cgroup at all.  Any `..` component
 * is refused; without one, the joined path stays inside. */
static const char *
bad_cgroup (const ocigate_rt_argv_t *a)
{
  for (size_t i = 0; i < a->n_flags; i++)
    {
      const ocigate_rt_flag_t *f = &a->flags[i];
      if (f->global || f->id != RF_CGROUP || f->value == NULL)
        continue;
      const char *colon = strchr (f->value, ':');
      const char *p = colon ? colon + 1 : f->value;
      while (*p)
        {
          size_t l = strcspn (p, "/");
          if (l == 2 && p[0] == '.' && p[1] == '.')
            return f->value;
          p += l;
          while (*p == '/')
            p++;
        }
    }
  return NULL;
}

int
ocigate_rt_vet_exec (struct rt *rt)
{
  cleanup_error ocigate_error_t err = NULL;
  const char *id = rt->a.args[0];
  cleanup_free char *bundle = NULL;
  cleanup_free char *config = NULL;
  cleanup_free char *buf = NULL;
  cleanup_free char *out = NULL;
  cleanup_doc ocigate_doc_t *container = NULL;
  cleanup_doc ocigate_doc_t *proc = NULL;
  ocigate_result_t res = { 0 }, fres = { 0 };
  size_t len;
  bool edited = false;
  int r;

  cleanup_free char *status = NULL;
  cleanup_free char *want_process = NULL;
  bool unknown = false;
  int64_t init_pid = 0;
  if (container_bundle (rt, id, &bundle, &status, &init_pid, &unknown, &err) < 0)
    {
      /* No such container (or an id runc refuses): runc says so itself,
       * in a runtime root where no container can be found. */
      if (unknown)
        return ocigate_rt_exec_neutered (rt);
      return ocigate_rt_fail (rt, "exec", id, NULL, &err);
    }
  config = xasprintf ("%s/config.json", bundle);
  const char *pf = rt->a.process && *rt->a.process ? rt->a.process : NULL;
  if (ocigate_rt_read_config (bundle, rt->pol->max_config_bytes, &buf, &len, &err) < 0
      || (container = ocigate_config_parse (buf, len, rt->pol, config, &err)) == NULL)
    {
      /* The bundle lost its config: without --process runc fails reading
       * it, and says so as below (its checks, in its order); the gate does
       * not let runc read a config that may reappear unjudged.  With
       * --process nothing can be judged: refused. */
      if (pf == NULL && err->status == ENOENT)
        {
          const ocigate_rt_flag_t *ip = last_flag (&rt->a, RF_IGNORE_PAUSED);
          cleanup_free char *m = NULL;
          if (strcmp (status, "stopped") == 0)
            m = xstrdup ("exec failed: cannot exec in a stopped container");
          else if (strcmp (status, "paused") == 0 && !(ip && ip->bval))
            m = xstrdup ("exec failed: cannot exec in a paused container (use --ignore-paused "
                         "to override)");
          else if (rt->a.n_args == 1)
            m = xstrdup ("exec failed: process args cannot be empty");
          else
            {
              /* runc chdirs to the bundle, then opens config.json */
              struct stat bst;
              if (stat (bundle, &bst) < 0)
                {
                  int e = errno;
                  m = xasprintf ("exec failed: chdir %s: %s", bundle, strerror (e));
                  char *c = m + strlen ("exec failed: chdir ") + strlen (bundle) + 2;
                  if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a'); /* Go's lowercase errno text */
                }
              else
                m = xstrdup ("exec failed: JSON specification file config.json not found");
            }
          return ocigate_rt_runc_fatal (rt, m, 255);
        }
      return ocigate_rt_fail (rt, "exec", id, bundle, &err);
    }
  /* Without --process runc builds the exec from config.json's process as
   * it is now: that is the base; the ceiling is what runc applied. */
  cleanup_doc ocigate_doc_t *cfg_proc = ocigate_doc_new ();
  const ocigate_json_t *cp = oj_get (ocigate_doc_root (container), "process");
  if (cp)
    ocigate_doc_set_root (cfg_proc, oj_copy (cfg_proc, cp));
  cleanup_close int userns_fd = live_userns (container, init_pid, status, &err);
  if (userns_fd == -1 || ceiling_from_state (rt, id, container, &err) < 0)
    return ocigate_rt_fail (rt, "exec", id, bundle, &err);
  ocigate_eval_opts_t opts = { .name = config,
                               .bundle = bundle,
                               .host_checks = true,
                               .runtime_call = true,
                               .container_id = id,
                               .runtime_root = rt->a.root };

  if (pf)
    {
      bool regular = true;
      struct stat st;
      free (buf);
      buf = NULL;
      if (ocigate_read_stream (pf, rt->pol->max_config_bytes, &buf, &len, &regular, &err) < 0
          || (proc = ocigate_process_parse (buf, len, rt->pol, pf, &err)) == NULL)
        goto fail;
      if (regular && stat (pf, &st) < 0)
        {
          ocigate_make_error (&err, errno, "cannot stat `%s`", pf);
          goto fail;
        }
      opts.name = pf;
      if (ocigate_evaluate_process (rt->pol, proc, container, &opts, &res, &err) < 0)
        goto fail;
      if (res.reject)
        goto reject;
      if (ocigate_apply_process (rt->pol, proc, container, &opts, &res, &err) < 0)
        goto fail;
      if (res.changed
          && ocigate_json_serialize (ocigate_doc_root (proc), false, &out, &len, &err) < 0)
        goto fail;
      /* A regular file is also clamped in place, for whoever reads it
       * after us; runc never does: the path may name other bytes by the
       * time runc opens it (a rename or RENAME_EXCHANGE in between), and a
       * stream has been drained.  runc gets the judged bytes, sealed. */
      if (regular && res.changed
          && ocigate_write_file_atomic (pf, out, len, (int)(st.st_mode & 07777), &err) < 0)
        goto fail;
      want_process = res.changed ? ocigate_rt_private_copy (rt, out, len, &err)
                                 : ocigate_rt_private_copy (rt, buf, len, &err);
      if (want_process == NULL)
        goto fail;
      replace_process (rt, want_process);
      opts.name = config;
    }
  else if (rt->a.process)
    want_process = xstrdup (rt->a.process);

  if (pf == NULL || any_process_flag (&rt->a))
    {
      const ocigate_json_t *base = pf ? ocigate_doc_root (proc) : ocigate_doc_root (cfg_proc);
      int c = clamp_flags (rt, want_process, base, container, &opts, &fres, &err);
      if (c == CLAMP_ERROR)
        {
          ocigate_result_free (&fres);
          goto fail;
        }
      for (int i = 0; i < rt->argc; i++)
        edited |= rt->drop[i];
      edited |= rt->add_nnp;
      if (pf)
        ocigate_rt_result_merge (&res, &fres);
      else
        {
          res = fres;
          memset (&fres, 0, sizeof (fres));
        }
      ocigate_result_free (&fres);
      if (c == CLAMP_REJECT)
        goto reject;
    }

  const char *cg = bad_cgroup (&rt->a);
  if (cg && res.preset != OCIGATE_PRESET_PRIVILEGED && res.mode == OCIGATE_MODE_ENFORCE)
    {
      cleanup_free char *msg = xasprintf (
          "ocigate: rejected by policy %s: exec --cgroup \"%s\": `..` leads out of the "
          "container's own cgroup (runc checks only a string prefix, so a sibling passes)",
          res.policy_name, cg);
      r = ocigate_rt_refuse (rt, "exec", id, bundle, &res, msg);
      ocigate_result_free (&res);
      return r;
    }

  /* As for create: syslog, never stderr, which under containerd and
   * podman is the exec'd process's own stdio. */
  if (res.mode == OCIGATE_MODE_WARN && res.n)
    {
      cleanup_free char *msg = ocigate_result_message (&res);
      cleanup_free char *line = ocigate_rt_oneline (msg);
      syslog (LOG_AUTHPRIV | LOG_WARNING, "%s", line);
    }
  /* As for create: a failing trail warns, and the clamped exec goes on. */
  ocigate_rt_audit_decision (
      rt, "exec", id, bundle,
      res.changed || edited ? OCIGATE_DECISION_REWRITE : OCIGATE_DECISION_ALLOW, &res);
  ocigate_result_free (&res);
  return 0;

reject:
  r = ocigate_rt_reject (rt, "exec", id, bundle, &res);
  ocigate_result_free (&res);
  return r;
fail:
  ocigate_result_free (&res);
  return ocigate_rt_fail (rt, "exec", id, bundle, &err);
}
