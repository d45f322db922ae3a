/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime mode end to end without root: the built binary ($OCIGATE) with
 * tests/helpers/fake-runc as the runtime, which records what it was given. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <sys/wait.h>

#include "runtime-internal.h"
#include "testutil.h"

static char *tmp;

static char *
path (const char *rel)
{
  return xasprintf ("%s/%s", tmp, rel);
}

static void
write_file (const char *rel, const char *content, mode_t mode)
{
  cleanup_free char *p = path (rel);
  FILE *f = fopen (p, "w");
  ck_assert_msg (f != NULL, "%s: %s", p, strerror (errno));
  fputs (content, f);
  fclose (f);
  chmod (p, mode);
}

/* NULL when the file does not exist. */
static char *
slurp (const char *rel, size_t *ret_len)
{
  cleanup_free char *p = rel[0] == '/' ? xstrdup (rel) : path (rel);
  char *buf;
  size_t len;
  if (ocigate_read_file (p, 1 << 24, &buf, &len, NULL) < 0)
    return NULL;
  if (ret_len)
    *ret_len = len;
  return buf;
}

static void
write_policy (const char *extra)
{
  cleanup_free char *audit = path ("audit.jsonl");
  cleanup_free char *pol = xasprintf ("{ \"audit\": { \"path\": \"%s\", \"syslog\": false }%s%s }",
                                      audit, extra ? ", " : "", extra ? extra : "");
  write_file ("policy.json", pol, 0644);
}

static void
write_bundle (const char *rel, ocigate_doc_t *doc, mode_t mode)
{
  cleanup_free char *dir = path (rel);
  cleanup_free char *rootfs = xasprintf ("%s/rootfs", dir);
  cleanup_free char *cfg = xasprintf ("%s/config.json", rel);
  cleanup_free char *json = tu_json (ocigate_doc_root (doc));
  mkdir (dir, 0755);
  mkdir (rootfs, 0755);
  write_file (cfg, json, mode);
}

static ocigate_json_t *
parse (const char *s, ocigate_doc_t **ret_doc)
{
  ocigate_error_t err = NULL;
  ocigate_json_parse_opts_t o = { .name = "test" };
  ocigate_doc_t *d = ocigate_json_parse (s, strlen (s), &o, &err);
  ck_assert_msg (d != NULL, "not JSON: %s: %s", err ? err->msg : "?", s);
  *ret_doc = d;
  return ocigate_doc_root (d);
}

static void
setup (void)
{
  char t[] = "/tmp/ocigate-runtime.XXXXXX";
  ck_assert (mkdtemp (t) != NULL);
  tmp = xstrdup (t);
  cleanup_free char *rec = path ("rec");
  mkdir (rec, 0755);
  write_policy (NULL);
}

static int
rm_one (const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st, (void)flag, (void)ftw;
  chmod (p, 0755);
  remove (p);
  return 0;
}

static void
teardown (void)
{
  nftw (tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free (tmp);
}

/* ---- running the binary ---- */

struct run
{
  int status; /* exit code, or 128+signal */
  char *out, *err;
  size_t out_len;
};

static void
run_free (struct run *r)
{
  free (r->out);
  free (r->err);
}

static const char *stdin_path; /* the child's stdin, default /dev/null */
static long fsize_limit;       /* RLIMIT_FSIZE for the child, 0: none */
static bool ignore_sigchld;    /* start the child with SIGCHLD ignored */

static void
drain (int out, int err, struct run *r)
{
  strbuf_t b[2] = { { 0 }, { 0 } };
  struct pollfd p[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
  int open_fds = 2;
  while (open_fds > 0)
    {
      if (poll (p, 2, -1) < 0)
        continue;
      for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0 && p[i].revents)
          {
            char buf[4096];
            ssize_t n = read (p[i].fd, buf, sizeof (buf));
            if (n <= 0)
              {
                p[i].fd = -1;
                open_fds--;
              }
            else
              strbuf_append (&b[i], buf, (size_t)n);
          }
    }
  r->out_len = b[0].len;
  r->out = strbuf_steal (&b[0]);
  r->err = strbuf_steal (&b[1]);
}

/* Run $OCIGATE with args; env entries "K=V" add or replace, "-K" removes. */
static void
run_env (struct run *r, const char *const *env, const char *const *args)
{
  const char *ocigate = getenv ("OCIGATE");
  ck_assert_msg (ocigate != NULL, "OCIGATE not set (run through make check)");
  char *vars[64];
  size_t nv = 0;
  vars[nv++] = xstrdup ("PATH=/usr/local/bin:/usr/bin:/bin");
  vars[nv++] = xasprintf ("OCIGATE_RUNTIME=%s", FAKE_RUNC);
  vars[nv++] = xasprintf ("OCIGATE_POLICY=%s/policy.json", tmp);
  vars[nv++] = xasprintf ("FAKE_RUNC_DIR=%s/rec", tmp);
  for (size_t i = 0; env && env[i]; i++)
    {
      const char *e = env[i];
      size_t kl = e[0] == '-' ? strlen (e + 1) : strcspn (e, "=");
      const char *key = e[0] == '-' ? e + 1 : e;
      for (size_t j = 0; j < nv; j++)
        if (strncmp (vars[j], key, kl) == 0 && vars[j][kl] == '=')
          {
            free (vars[j]);
            vars[j] = vars[--nv];
            break;
          }
      if (e[0] != '-')
        vars[nv++] = xstrdup (e);
    }
  vars[nv] = NULL;
  const char *argv[64];
  size_t na = 0;
  argv[na++] = ocigate;
  for (size_t i = 0; args[i]; i++)
    argv[na++] = args[i];
  argv[na] = NULL;

  int out[2], err[2];
  ck_assert (pipe2 (out, O_CLOEXEC) == 0 && pipe2 (err, O_CLOEXEC) == 0);
  pid_t pid = fork ();
  ck_assert (pid >= 0);
  if (pid == 0)
    {
      dup2 (out[1], 1);
      dup2 (err[1], 2);
      int null = open (stdin_path ? stdin_path : "/dev/null", O_RDONLY);
      dup2 (null, 0);
      /* An inherited descriptor the runtime must get as it came. */
      int extra = open ("/dev/null", O_RDONLY);
      if (extra >= 0 && extra != 7)
        {
          dup2 (extra, 7);
          close (extra);
        }
      if (ignore_sigchld)
        signal (SIGCHLD, SIG_IGN);
      if (fsize_limit)
        {
          struct rlimit rl = { (rlim_t)fsize_limit, (rlim_t)fsize_limit };
          signal (SIGXFSZ, SIG_IGN);
          setrlimit (RLIMIT_FSIZE, &rl);
        }
      if (chdir (tmp) < 0)
        _exit (99);
      execve (ocigate, (char *const *)argv, vars);
      _exit (98);
    }
  close (out[1]);
  close (err[1]);
  drain (out[0], err[0], r);
  close (out[0]);
  close (err[0]);
  int st;
  ck_assert (waitpid (pid, &st, 0) == pid);
  r->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
  for (size_t j = 0; j < nv; j++)
    free (vars[j]);
}

static void
run (struct run *r, const char *const *args)
{
  run_env (r, NULL, args);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* How many times the fake runtime ran. */
static int
calls (void)
{
  int n = 0;
  for (;;)
    {
      cleanup_free char *p = xasprintf ("%s/rec/%d", tmp, n + 1);
      struct stat st;
      if (stat (p, &st) < 0)
        return n;
      n++;
    }
}

static char *
call_file (int n, const char *name, size_t *len)
{
  cleanup_free char *rel = xasprintf ("rec/%d/%s", n, name);
  return slurp (rel, len);
}

/* The argv call n received, NUL-separated, compared with want. */
static void
assert_call_argv (int n, const char *const *want)
{
  size_t len;
  cleanup_free char *got = call_file (n, "argv", &len);
  strbuf_t w = { 0 };
  ck_assert (got != NULL);
  strbuf_puts (&w, "");
  for (size_t i = 0; want[i]; i++)
    strbuf_append (&w, want[i], strlen (want[i]) + 1);
  for (size_t i = 0; i < len; i++)
    if (got[i] == '\0')
      got[i] = '|';
  /* Descriptor numbers vary: /proc/self/fd/7 reads /proc/self/fd/N. */
  for (char *p = got; (p = strstr (p, "/proc/self/fd/")) != NULL;)
    {
      char *q = p += strlen ("/proc/self/fd/");
      while (q < got + len && *q >= '0' && *q <= '9')
        q++;
      if (q > p)
        {
          *p = 'N';
          memmove (p + 1, q, (size_t)(got + len - q));
          len -= (size_t)(q - p - 1);
        }
    }
  for (size_t i = 0; i < w.len; i++)
    if (w.s[i] == '\0')
      w.s[i] = '|';
  ck_assert_msg (len == w.len && memcmp (got, w.s, len) == 0, "call %d argv:\n got  %.*s\n want %s",
                 n, (int)len, got, w.s);
  free (w.s);
}

static size_t
count_lines (const char *s)
{
  size_t n = 0;
  for (; s && *s; s++)
    n += *s == '\n';
  return n;
}

/* The last line of a file, parsed. */
static ocigate_json_t *
last_json_line (const char *rel, ocigate_doc_t **doc)
{
  cleanup_free char *s = slurp (rel, NULL);
  ck_assert_msg (s != NULL, "%s missing", rel);
  size_t l = strlen (s);
  ck_assert (l > 0 && s[l - 1] == '\n');
  s[l - 1] = '\0';
  char *nl = strrchr (s, '\n');
  return parse (nl ? nl + 1 : s, doc);
}

static bool
json_array_has (const ocigate_json_t *arr, const char *s)
{
  for (size_t i = 0; i < oj_len (arr); i++)
    if (oj_str_eq (oj_at (arr, i), s))
      return true;
  return false;
}

static ocigate_doc_t *
root_config (void)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/uid", "0");
  tu_set (d, "process/user/gid", "0");
  return d;
}

/* ---- create: reject ---- */

START_TEST (test_reject_json_log)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = root_config ();
  write_bundle ("b", d, 0644);
  cleanup_free char *before = slurp ("b/config.json", NULL);
  run (&r, ARGS ("--root", "root", "--log", "log.json", "--log-format", "json", "create",
                 "--bundle", "b", "--pid-file", "b/init.pid", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  ck_assert_uint_eq (r.out_len, 0);
  ck_assert_msg (strstr (r.err, "ocigate: rejected by policy restricted: root-user:") == r.err,
                 "%s", r.err);

  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert_uint_eq (count_lines (log), 1);
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert_uint_eq (oj_len (l), 3);
  ck_assert (oj_str_eq (oj_get (l, "level"), "error"));
  const char *msg = oj_str (oj_get (l, "msg"));
  ck_assert (msg
             && strstr (msg, "root-user: process runs as host root (uid 0) at "
                             "/process/user/uid; fix: ")
                    != NULL);
  ck_assert_msg (strchr (msg, '\n') == NULL, "%s", msg);
  const char *t = oj_str (oj_get (l, "time"));
  ck_assert (t && strlen (t) == 20 && t[10] == 'T' && t[19] == 'Z');

  cleanup_free char *after = slurp ("b/config.json", NULL);
  ck_assert_str_eq (before, after);

  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "decision"), "reject"));
  ck_assert (oj_str_eq (oj_get (a, "command"), "create"));
  ck_assert (oj_str_eq (oj_get (a, "container_id"), "ctr1"));
  ck_assert (json_array_has (oj_get (a, "rules"), "root-user"));
  ck_assert (oj_str_eq (oj_get (a, "version"), PACKAGE_VERSION));
  run_free (&r);
}
END_TEST

START_TEST (test_reject_text_log)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = root_config ();
  write_bundle ("b", d, 0644);
  run (&r, ARGS ("--log", "log.txt", "run", "-b", "b", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  cleanup_free char *log = slurp ("log.txt", NULL);
  ck_assert_uint_eq (count_lines (log), 1);
  ck_assert_msg (strncmp (log, "time=\"", 6) == 0
                     && strstr (log, "\" level=error msg=\"ocigate: rejected by policy") != NULL,
                 "%s", log);
  run_free (&r);
}
END_TEST

/* Podman/CRI-O pass no --log: stderr carries it, nothing else is written. */
START_TEST (test_reject_no_log)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = root_config ();
  write_bundle ("b", d, 0644);
  run (&r, ARGS ("create", "--bundle", "b", "--pid-file", "pid", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  ck_assert (strstr (r.err, "root-user") != NULL);
  ck_assert_uint_eq (r.out_len, 0);
  run_free (&r);
}
END_TEST

/* ---- create: rewrite and allow ---- */

START_TEST (test_rewrite)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_append (d, "process/capabilities/bounding", "\"CAP_SYS_ADMIN\"");
  tu_append (d, "process/capabilities/effective", "\"CAP_SYS_ADMIN\"");
  tu_set (d, "root/readonly", "false");
  tu_set (d, "process/noNewPrivileges", "false");
  tu_del (d, "linux/seccomp");
  tu_set (d, "annotations",
          "{\"io.kubernetes.cri.container-type\":\"container\","
          "\"io.kubernetes.cri.sandbox-id\":\"sb1\","
          "\"io.kubernetes.cri.sandbox-namespace\":\"team-a\","
          "\"io.kubernetes.cri.sandbox-name\":\"web-1\","
          "\"io.kubernetes.cri.container-name\":\"app\","
          "\"io.kubernetes.cri.image-name\":\"registry.example/app:1\"}");
  /* Where containerd's shim puts a bundle and its runc root: the identity
   * its keys claim counts only then (tests/unit/test-identity.c). */
  static const char *const dirs[]
      = { "s", "s/io.containerd.runtime.v2.task", "s/io.containerd.runtime.v2.task/k8s.io" };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *dir = path (dirs[i]);
      mkdir (dir, 0755);
    }
  const char *b = "s/io.containerd.runtime.v2.task/k8s.io/ctr1";
  write_bundle (b, d, 0640);
  const char *const *args
      = ARGS ("--root", "runc/k8s.io", "--log", "log.json", "--log-format", "json", "create",
              "--bundle", b, "--pid-file", "init.pid", "ctr1");
  run (&r, args);
  ck_assert_msg (r.status == 0, "%d: %s", r.status, r.err);
  ck_assert_int_eq (calls (), 1);
  /* runc gets the pinned directory in place of the caller's bundle words */
  assert_call_argv (1,
                    ARGS ("--root", "runc/k8s.io", "--log", "log.json", "--log-format", "json",
                          "create", "--bundle=/proc/self/fd/N", "--pid-file", "init.pid", "ctr1"));
  ck_assert_uint_eq (r.out_len, 0);
  ck_assert_str_eq (r.err, "");
  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert (log == NULL);

  cleanup_free char *mode = call_file (1, "config.mode", NULL);
  ck_assert_str_eq (mode, "640\n");
  cleanup_free char *got = call_file (1, "config.json", NULL);
  cleanup_doc ocigate_doc_t *gd = tu_parse (got);
  cleanup_free char *caps = tu_json_at (gd, "process/capabilities");
  ck_assert_msg (strstr (caps, "SYS_ADMIN") == NULL, "%s", caps);
  cleanup_free char *ro = tu_json_at (gd, "root/readonly");
  ck_assert_str_eq (ro, "true");
  cleanup_free char *nnp = tu_json_at (gd, "process/noNewPrivileges");
  ck_assert_str_eq (nnp, "true");
  ck_assert (oj_path (ocigate_doc_root (gd), "linux/seccomp/defaultAction") != NULL);
  const char *rw = oj_str (oj_path (ocigate_doc_root (gd), "annotations/ocigate.rewrites"));
  ck_assert (rw && strstr (rw, "capabilities") && strstr (rw, "seccomp"));
  /* The file in the bundle is what the runtime read. */
  cleanup_free char *cfg = xasprintf ("%s/config.json", b);
  cleanup_free char *now = slurp (cfg, NULL);
  ck_assert_str_eq (now, got);

  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "decision"), "rewrite"));
  ck_assert (oj_str_eq (oj_get (a, "namespace"), "team-a"));
  ck_assert (oj_str_eq (oj_get (a, "pod"), "web-1"));
  ck_assert (oj_str_eq (oj_get (a, "container"), "app"));
  ck_assert (oj_str_eq (oj_get (a, "image"), "registry.example/app:1"));
  ck_assert (json_array_has (oj_get (a, "rules"), "capabilities"));
  const char *bundle = oj_str (oj_get (a, "bundle"));
  ck_assert (bundle && bundle[0] == '/');
  run_free (&r);
}
END_TEST

START_TEST (test_allow_untouched)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0600);
  cleanup_free char *before = slurp ("b/config.json", NULL);
  run (&r, ARGS ("create", "--bundle", "b", "ctr1"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  cleanup_free char *after = slurp ("b/config.json", NULL);
  ck_assert_str_eq (before, after);
  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "decision"), "allow"));
  run_free (&r);
}
END_TEST

/* The bundle is found where runc finds it: flags after the id count. */
START_TEST (test_bundle_after_id)
{
  struct run r;
  cleanup_doc ocigate_doc_t *good = tu_base ();
  cleanup_doc ocigate_doc_t *bad = root_config ();
  write_bundle ("good", good, 0644);
  write_bundle ("bad", bad, 0644);
  run (&r, ARGS ("create", "--bundle", "good", "ctr1", "--bundle", "bad"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  run_free (&r);
  /* and the default is the working directory */
  cleanup_free char *json = tu_json (ocigate_doc_root (bad));
  write_file ("config.json", json, 0644);
  run (&r, ARGS ("create", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  run_free (&r);
}
END_TEST

START_TEST (test_warn_mode)
{
  struct run r;
  write_policy ("\"mode\": \"warn\"");
  cleanup_doc ocigate_doc_t *d = root_config ();
  write_bundle ("b", d, 0644);
  cleanup_free char *before = slurp ("b/config.json", NULL);
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "create", "--bundle", "b", "c"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert_int_eq (calls (), 1);
  /* What enforce would do goes to the trail (and syslog), never to stderr:
   * that is the container's own stderr under containerd. */
  ck_assert_msg (strstr (r.err, "root-user") == NULL, "%s", r.err);
  cleanup_free char *trail = slurp ("audit.jsonl", NULL);
  ck_assert_msg (trail && strstr (trail, "root-user"), "%s", trail ? trail : "(no trail)");
  cleanup_free char *after = slurp ("b/config.json", NULL);
  ck_assert_str_eq (before, after);
  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert (log == NULL);
  run_free (&r);
}
END_TEST

/* ---- passthrough ---- */

START_TEST (test_passthrough_bytes)
{
  struct run r;
  /* stdout of the runtime reaches the caller byte for byte */
  static const char out[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"x\"}\n\x01\xff binary\n";
  cleanup_free char *outfile = path ("stdout");
  cleanup_free char *env1 = xasprintf ("FAKE_RUNC_STDOUT=%s", outfile);
  write_file ("stdout", out, 0644);
  const char *const *args
      = ARGS ("--root", "/run/x", "--log", "log.json", "--log-format", "json", "state", "odd\xff",
              "", "two words", "line\nbreak", "--bundle", "/nonexistent");
  run_env (&r, ENV (env1, "FAKE_RUNC_EXIT=3"), args);
  ck_assert_int_eq (r.status, 3);
  ck_assert_uint_eq (r.out_len, sizeof (out) - 1);
  ck_assert (memcmp (r.out, out, r.out_len) == 0);
  ck_assert_str_eq (r.err, "");
  ck_assert_int_eq (calls (), 1);
  assert_call_argv (1, args);
  run_free (&r);
}
END_TEST

START_TEST (test_passthrough_verbs)
{
  const char *const *const lines[] = {
    ARGS ("features"),
    ARGS ("--version"),
    ARGS ("-v"),
    ARGS ("--help"),
    ARGS ("--root", "/r", "start", "c"),
    ARGS ("--root", "/r", "kill", "--all", "c", "9"),
    ARGS ("delete", "--force", "c"),
    ARGS ("spec", "--rootless"),
    ARGS ("list", "-q"),
    ARGS ("create", "--help"),
    ARGS ("--help", "create", "--bundle", "/nonexistent", "c"),
    ARGS ("exec", "-h"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (lines); i++)
    {
      struct run r;
      cleanup_free char *rec = path ("rec");
      nftw (rec, rm_one, 16, FTW_DEPTH | FTW_PHYS);
      mkdir (rec, 0755);
      run (&r, lines[i]);
      ck_assert_msg (r.status == 0, "%s: %d %s", lines[i][0], r.status, r.err);
      ck_assert_int_eq (calls (), 1);
      assert_call_argv (1, lines[i]);
      run_free (&r);
    }
}
END_TEST

/* Descriptors reach the runtime as they came: the fake runtime sees the
 * same set through ocigate as when started directly. */
START_TEST (test_passthrough_fds)
{
  struct run r;
  cleanup_free char *keep = xstrdup (getenv ("OCIGATE"));
  setenv ("OCIGATE", FAKE_RUNC, 1); /* the fake runtime started directly */
  run (&r, ARGS ("start", "c"));
  setenv ("OCIGATE", keep, 1);
  run_free (&r);
  run (&r, ARGS ("start", "c"));
  ck_assert_int_eq (r.status, 0);
  ck_assert_int_eq (calls (), 2);
  cleanup_free char *direct = call_file (1, "fds", NULL);
  cleanup_free char *through = call_file (2, "fds", NULL);
  ck_assert_msg (strstr (direct, "7\n") != NULL, "%s", direct);
  ck_assert_str_eq (direct, through);
  run_free (&r);
}
END_TEST

/* A passthrough with OCIGATE_RUNTIME set does not need the policy. */
START_TEST (test_passthrough_skips_policy)
{
  struct run r;
  write_file ("policy.json", "{ not json", 0644);
  run (&r, ARGS ("start", "c"));
  ck_assert_int_eq (r.status, 0);
  ck_assert_int_eq (calls (), 1);
  run_free (&r);
}
END_TEST

/* ---- fail closed ---- */

START_TEST (test_bad_policy)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  write_file ("policy.json", "{ \"preset\": \"lenient\" }", 0644);
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  ck_assert (strstr (r.err, "policy.json") != NULL);
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert (strstr (oj_str (oj_get (l, "msg")), "preset") != NULL);
  run_free (&r);

  /* without OCIGATE_RUNTIME even a passthrough needs the policy */
  run_env (&r, ENV ("-OCIGATE_RUNTIME"), ARGS ("state", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  run_free (&r);

  /* a policy named in the environment must exist */
  run_env (&r, ENV ("OCIGATE_POLICY=/nonexistent/policy.json"),
           ARGS ("create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  ck_assert (strstr (r.err, "/nonexistent/policy.json") != NULL);
  run_free (&r);
}
END_TEST

START_TEST (test_bad_config)
{
  struct run r;
  cleanup_free char *dir = path ("b");
  mkdir (dir, 0755);
  write_file ("b/config.json",
              "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":1,"
              "\"uid\":0,\"gid\":0}}}",
              0644);
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert (oj_str_eq (oj_get (l, "level"), "error"));
  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "decision"), "reject"));
  ck_assert (oj_get (a, "error") != NULL);
  run_free (&r);
}
END_TEST

/* The runtime root of a neutered call: a removed directory. */
static void
assert_dead_root (int n)
{
  cleanup_free char *root = call_file (n, "root", NULL);
  ck_assert_msg (root && strcmp (root, "dead\n") == 0, "call %d root: %s", n, root ? root : "-");
}

/* Not a policy decision: runc says what is wrong, with a runtime root in
 * which it can create nothing, so a bundle or config appearing after the
 * gate looked starts nothing. */
START_TEST (test_missing_bundle)
{
  struct run r;
  run (&r, ARGS ("--log", "log.json", "create", "--bundle", "missing", "c"));
  ck_assert_int_eq (r.status, 0); /* the fake runtime's status */
  ck_assert_int_eq (calls (), 1);
  assert_call_argv (1, ARGS ("--log", "log.json", "--root=/proc/self/fd/N", "create", "--bundle",
                             "missing", "c"));
  assert_dead_root (1);
  ck_assert_str_eq (r.err, "");
  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert (log == NULL);
  cleanup_free char *audit = slurp ("audit.jsonl", NULL);
  ck_assert (audit == NULL);
  run_free (&r);

  /* a bundle without config.json; the caller's --root comes first and
   * loses (Go's flag package keeps the last) */
  cleanup_free char *dir = path ("empty");
  mkdir (dir, 0755);
  run (&r, ARGS ("--root", "r", "run", "-b", "empty", "c"));
  ck_assert_int_eq (calls (), 2);
  assert_call_argv (2, ARGS ("--root", "r", "--root=/proc/self/fd/N", "run", "-b", "empty", "c"));
  assert_dead_root (2);
  run_free (&r);

  /* the working directory as the bundle */
  run (&r, ARGS ("restore", "c"));
  ck_assert_int_eq (calls (), 3);
  assert_call_argv (3, ARGS ("--root=/proc/self/fd/N", "restore", "c"));
  assert_dead_root (3);
  run_free (&r);
}
END_TEST

/* No arguments: runc prints its help. */
START_TEST (test_no_args)
{
  struct run r;
  const char *const none[] = { NULL };
  run (&r, none);
  ck_assert_int_eq (r.status, 0);
  ck_assert_int_eq (calls (), 1);
  size_t len = 1;
  cleanup_free char *argv = call_file (1, "argv", &len);
  ck_assert (argv != NULL);
  ck_assert_uint_eq (len, 0);
  run_free (&r);
}
END_TEST

START_TEST (test_bad_argv)
{
  struct run r;
  /* usage errors of a vetted verb: runc's own words, a dead root */
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "create", "--bogus", "c"));
  ck_assert_int_eq (calls (), 1);
  assert_call_argv (1, ARGS ("--log", "log.json", "--log-format", "json", "--root=/proc/self/fd/N",
                             "create", "--bogus", "c"));
  assert_dead_root (1);
  ck_assert_str_eq (r.err, "");
  run_free (&r);
  run (&r, ARGS ("exec"));
  ck_assert_int_eq (calls (), 2);
  assert_call_argv (2, ARGS ("--root=/proc/self/fd/N", "exec"));
  assert_dead_root (2);
  run_free (&r);
  run (&r, ARGS ("run", "a", "b"));
  ck_assert_int_eq (calls (), 3);
  assert_call_argv (3, ARGS ("--root=/proc/self/fd/N", "run", "a", "b"));
  run_free (&r);
  /* a global flag the gate cannot read, no vetted verb: runc's to refuse */
  run (&r, ARGS ("--bogus", "list"));
  ck_assert_int_eq (calls (), 4);
  assert_call_argv (4, ARGS ("--bogus", "list"));
  run_free (&r);
  /* ... with a vetted verb somewhere: refused by the gate */
  run (&r, ARGS ("--bogus", "create", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 4);
  ck_assert (strstr (r.err, "-bogus") != NULL);
  run_free (&r);
}
END_TEST

/* The rewrite cannot be written: the runtime is never called. */
START_TEST (test_write_failure)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  write_bundle ("b", d, 0644);
  cleanup_free char *before = slurp ("b/config.json", NULL);
  fsize_limit = (long)strlen (before) + 100; /* the injected profile does not fit */
  run (&r, ARGS ("create", "--bundle", "b", "c"));
  fsize_limit = 0;
  ck_assert_msg (r.status == 2, "exit %d: %s", r.status, r.err);
  ck_assert_int_eq (calls (), 0);
  ck_assert_msg (strstr (r.err, "cannot write") != NULL, "%s", r.err);
  cleanup_free char *after = slurp ("b/config.json", NULL);
  ck_assert_str_eq (before, after);
  /* no temporary file is left behind */
  cleanup_free char *dir = path ("b");
  DIR *dh = opendir (dir);
  struct dirent *de;
  while ((de = readdir (dh)))
    ck_assert_msg (strstr (de->d_name, ".tmp") == NULL, "%s left", de->d_name);
  closedir (dh);
  run_free (&r);
}
END_TEST

START_TEST (test_audit_failure)
{
  struct run r;
  /* a path no one can create */
  write_file ("policy.json",
              "{ \"audit\": { \"path\": \"/proc/ocigate/audit.jsonl\", \"syslog\": false } }",
              0644);
  cleanup_doc ocigate_doc_t *bad = root_config ();
  write_bundle ("bad", bad, 0644);
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "create", "--bundle", "bad", "c"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert_uint_eq (count_lines (log), 1);
  ck_assert (strstr (log, "audit log") != NULL);
  run_free (&r);

  /* allowed: the container starts; the warning goes to syslog when a
   * daemon listens, else to --log as a level=warning line (not to stderr:
   * the container's own under containerd), and to stderr only without
   * either: a decision is never lost without a word */
  cleanup_doc ocigate_doc_t *good = tu_base ();
  write_bundle ("good", good, 0644);
  run (&r, ARGS ("--log", "good.json", "--log-format", "json", "create", "--bundle", "good", "c"));
  ck_assert_int_eq (r.status, 0);
  ck_assert_int_eq (calls (), 1);
  ck_assert_msg (strstr (r.err, "warning") == NULL, "%s", r.err);
  cleanup_free char *glog = slurp ("good.json", NULL);
  if (ocigate_syslog_reachable ())
    ck_assert (glog == NULL);
  else
    {
      ck_assert_uint_eq (count_lines (glog), 1);
      ck_assert_msg (strstr (glog, "{\"level\":\"warning\",\"msg\":\"ocigate: warning: decision "
                                   "allow (create c) not recorded: cannot open the audit log")
                         == glog,
                     "%s", glog);
    }
  run_free (&r);
  run (&r, ARGS ("create", "--bundle", "good", "c"));
  ck_assert_int_eq (r.status, 0);
  if (ocigate_syslog_reachable ())
    ck_assert_msg (strstr (r.err, "warning") == NULL, "%s", r.err);
  else
    ck_assert_msg (strstr (r.err, "level=warning msg=\"ocigate: warning: decision allow") != NULL,
                   "%s", r.err);
  run_free (&r);
}
END_TEST

/* ---- the runtime itself ---- */

START_TEST (test_recursion_guard)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *self = xasprintf ("OCIGATE_RUNTIME=%s", getenv ("OCIGATE"));
  run_env (&r, ENV (self), ARGS ("create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_msg (strstr (r.err, "is ocigate itself") != NULL, "%s", r.err);
  run_free (&r);
  /* through a symlink, and on a passthrough */
  cleanup_free char *link = path ("runc");
  ck_assert (symlink (getenv ("OCIGATE"), link) == 0);
  cleanup_free char *viasym = xasprintf ("OCIGATE_RUNTIME=%s", link);
  run_env (&r, ENV (viasym), ARGS ("state", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert (strstr (r.err, "is ocigate itself") != NULL);
  run_free (&r);
  /* named by the policy */
  cleanup_free char *pol = xasprintf ("\"runtime\": \"%s\"", link);
  write_policy (pol);
  run_env (&r, ENV ("-OCIGATE_RUNTIME"), ARGS ("state", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert (strstr (r.err, "is ocigate itself") != NULL);
  run_free (&r);
}
END_TEST

START_TEST (test_missing_runtime)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  run_env (&r, ENV ("OCIGATE_RUNTIME=/nonexistent/runc"),
           ARGS ("--log", "log.json", "--log-format", "json", "create", "--bundle", "b", "c"));
  ck_assert (r.status != 0);
  ck_assert_msg (strstr (r.err, "/nonexistent/runc") != NULL, "%s", r.err);
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert (strstr (oj_str (oj_get (l, "msg")), "/nonexistent/runc") != NULL);
  run_free (&r);

  run_env (&r, ENV ("OCIGATE_RUNTIME=relative/runc"), ARGS ("state", "c"));
  ck_assert (r.status != 0);
  ck_assert (strstr (r.err, "absolute") != NULL);
  run_free (&r);
}
END_TEST

/* ---- exec ---- */

static char *
bundle_env (void)
{
  return xasprintf ("FAKE_RUNC_BUNDLE=%s/b", tmp);
}

START_TEST (test_exec_process_clamp)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  write_file ("process.json",
              "{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"sh\"],"
              "\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_KILL\"],"
              "\"effective\":[\"CAP_SYS_ADMIN\"],\"permitted\":[\"CAP_SYS_ADMIN\"]},"
              "\"noNewPrivileges\":false}",
              0600);
  const char *const *args
      = ARGS ("--root", "/run/r", "--log", "log.json", "--log-format", "json", "exec", "--process",
              "process.json", "--detach", "--pid-file", "exec.pid", "ctr1");
  run_env (&r, ENV (benv), args);
  ck_assert_msg (r.status == 0, "%d %s", r.status, r.err);
  ck_assert_int_eq (calls (), 2);
  assert_call_argv (1, ARGS ("--root", "/run/r", "state", "ctr1"));
  /* runc reads the judged bytes, never the path again */
  assert_call_argv (2, ARGS ("--root", "/run/r", "--log", "log.json", "--log-format", "json",
                             "exec", "--process", "/proc/self/fd/N", "--detach", "--pid-file",
                             "exec.pid", "ctr1"));
  cleanup_free char *got = call_file (2, "process.json", NULL);
  ck_assert_msg (strstr (got, "CAP_SYS_ADMIN") == NULL && strstr (got, "CAP_KILL") == NULL, "%s",
                 got);
  ck_assert (strstr (got, "\"noNewPrivileges\":true") != NULL);
  cleanup_free char *p = path ("process.json");
  struct stat st;
  ck_assert (stat (p, &st) == 0 && (st.st_mode & 07777) == 0600);
  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "command"), "exec"));
  ck_assert (oj_str_eq (oj_get (a, "decision"), "rewrite"));
  run_free (&r);
}
END_TEST

START_TEST (test_exec_process_root)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  write_file ("process.json", "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}",
              0600);
  run_env (&r, ENV (benv),
           ARGS ("--log", "log.json", "--log-format", "json", "exec", "--process", "process.json",
                 "--detach", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 1); /* state only */
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert (strstr (oj_str (oj_get (l, "msg")), "root-user") != NULL);
  run_free (&r);

  /* a process without "user" runs as uid 0 */
  write_file ("process.json", "{\"args\":[\"sh\"],\"cwd\":\"/\"}", 0600);
  run_env (&r, ENV (benv), ARGS ("exec", "-p", "process.json", "ctr1"));
  ck_assert_int_eq (r.status, 1);
  run_free (&r);
}
END_TEST

/* A regular process file that passes as written is not handed to runc
 * by path either: a rename between the judgement and runc's open would
 * swap in an unjudged process.  runc gets the judged bytes, sealed. */
START_TEST (test_exec_process_sealed)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  const char *good = "{\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"id\"],\"cwd\":\"/\","
                     "\"noNewPrivileges\":true}";
  write_file ("process.json", good, 0644);
  run_env (&r, ENV (benv), ARGS ("exec", "-p", "process.json", "ctr1"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (2, ARGS ("exec", "-p", "/proc/self/fd/N", "ctr1"));
  cleanup_free char *got = call_file (2, "process.json", NULL);
  ck_assert_str_eq (got, good);
  run_free (&r);
  /* the --process=FILE spelling, and the last of two --process flags */
  cleanup_free char *rec = path ("rec");
  nftw (rec, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  mkdir (rec, 0755);
  run_env (&r, ENV (benv), ARGS ("exec", "--process=other.json", "--process=process.json", "ctr1"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (2, ARGS ("exec", "--process=other.json", "--process=/proc/self/fd/N", "ctr1"));
  run_free (&r);
}
END_TEST

/* A child in a user namespace mapping 0 -> 100000 (0 -> our uid when not
 * root): a container init as the kernel sees it.  Returns its pid, or -1
 * when user namespaces cannot be made here. */
static pid_t
userns_child (int *hold)
{
  int ready[2], wait_fd[2];
  ck_assert (pipe (ready) == 0 && pipe (wait_fd) == 0);
  pid_t pid = fork ();
  ck_assert (pid >= 0);
  if (pid == 0)
    {
      char c = unshare (CLONE_NEWUSER) == 0 ? 'y' : 'n';
      close (ready[0]);
      close (wait_fd[1]);
      if (write (ready[1], &c, 1) != 1)
        _exit (1);
      while (read (wait_fd[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (ready[1]);
  close (wait_fd[0]);
  char c = 0;
  ck_assert (read (ready[0], &c, 1) == 1);
  close (ready[0]);
  *hold = wait_fd[1];
  if (c != 'y')
    return -1;
  cleanup_free char *um = xasprintf ("/proc/%d/uid_map", (int)pid);
  cleanup_free char *gm = xasprintf ("/proc/%d/gid_map", (int)pid);
  cleanup_free char *sg = xasprintf ("/proc/%d/setgroups", (int)pid);
  cleanup_free char *m1 = geteuid () == 0 ? xstrdup ("0 100000 65536\n")
                                          : xasprintf ("0 %u 1\n", (unsigned)geteuid ());
  cleanup_free char *m2 = getegid () == 0 ? xstrdup ("0 100000 65536\n")
                                          : xasprintf ("0 %u 1\n", (unsigned)getegid ());
  FILE *f;
  if (geteuid () != 0 && (f = fopen (sg, "w")) != NULL)
    {
      fputs ("deny", f);
      fclose (f);
    }
  ck_assert ((f = fopen (um, "w")) != NULL);
  ck_assert (fputs (m1, f) >= 0 && fclose (f) == 0);
  ck_assert ((f = fopen (gm, "w")) != NULL);
  ck_assert (fputs (m2, f) >= 0 && fclose (f) == 0);
  return pid;
}

static void
userns_child_end (pid_t pid, int hold)
{
  close (hold);
  if (pid > 0)
    waitpid (pid, NULL, 0);
}

/* uid 0 of an exec is judged in the user namespace the container init
 * really runs in, never the one config.json claims now: the bundle can
 * be edited after the start, and runc takes the namespace from its own
 * state. */
START_TEST (test_exec_userns)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_append (d, "linux/namespaces", "{\"type\":\"user\"}");
  tu_set (d, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  /* the init (the stand-in: its caller) shares the host's namespace */
  run_env (&r, ENV (benv), ARGS ("exec", "--user", "0:0", "ctr1", "id"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_msg (strstr (r.err, "root-user") != NULL, "%s", r.err);
  ck_assert_int_eq (calls (), 1);
  run_free (&r);

  /* near miss: an init in a user namespace mapping 0 elsewhere; the
   * config's own mappings (none here) do not count */
  cleanup_doc ocigate_doc_t *d2 = tu_base ();
  write_bundle ("b", d2, 0644);
  int hold;
  pid_t child = userns_child (&hold);
  if (child > 0)
    {
      cleanup_free char *penv = xasprintf ("FAKE_RUNC_PID=%d", (int)child);
      run_env (&r, ENV (benv, penv), ARGS ("exec", "--user", "0:0", "ctr1", "id"));
      ck_assert_msg (r.status == 0, "%s", r.err);
      assert_call_argv (3, ARGS ("exec", "--user", "0:0", "ctr1", "id"));
      run_free (&r);
    }
  userns_child_end (child, hold);

  /* an init that cannot be read: nothing judged, nothing run */
  run_env (&r, ENV (benv, "FAKE_RUNC_PID=2147483646"), ARGS ("exec", "ctr1", "id"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_msg (strstr (r.err, "container init") != NULL, "%s", r.err);
  run_free (&r);
}
END_TEST

/* The ceiling of an exec (the container's own capabilities and labels)
 * is runc's record of what it applied, ROOT/ID/state.json, not the
 * bundle's config.json, which can be edited after the start. */
START_TEST (test_exec_ceiling_from_state)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/apparmorProfile", "\"unconfined\"");
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  cleanup_free char *rroot = path ("rr");
  cleanup_free char *cdir = path ("rr/ctr1");
  cleanup_free char *state = path ("rr/ctr1/state.json");
  mkdir (rroot, 0700);
  mkdir (cdir, 0700);
  const char *applied = "{\"id\":\"ctr1\",\"config\":{\"capabilities\":{\"Bounding\":[]},"
                        "\"no_new_privileges\":true,\"app_armor_profile\":\"docker-default\"}}";
  write_file ("rr/ctr1/state.json", applied, 0600);
  run_env (&r, ENV (benv), ARGS ("--root", "rr", "exec", "ctr1", "id"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_msg (strstr (r.err, "apparmor") != NULL, "%s", r.err);
  ck_assert_int_eq (calls (), 1);
  run_free (&r);
  /* near miss: what runc applied is what config.json says */
  write_file ("rr/ctr1/state.json",
              "{\"id\":\"ctr1\",\"config\":{\"capabilities\":{\"Bounding\":[]},"
              "\"no_new_privileges\":true,\"app_armor_profile\":\"unconfined\"}}",
              0600);
  run_env (&r, ENV (benv), ARGS ("--root", "rr", "exec", "ctr1", "id"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  run_free (&r);
  /* a state.json others can write is not believed */
  chmod (state, 0666);
  run_env (&r, ENV (benv), ARGS ("--root", "rr", "exec", "ctr1", "id"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_msg (strstr (r.err, "writable") != NULL, "%s", r.err);
  run_free (&r);
}
END_TEST

struct exec_case
{
  const char *const *args;
  int status;
  const char *const *want; /* argv the runtime gets, NULL when rejected */
};

START_TEST (test_exec_flags)
{
  const struct exec_case cases[] = {
    { ARGS ("exec", "c", "id"), 0, ARGS ("exec", "c", "id") },
    { ARGS ("exec", "--cap", "CAP_SYS_ADMIN", "c", "id"), 0, ARGS ("exec", "c", "id") },
    { ARGS ("exec", "--cap=CAP_SYS_ADMIN", "--tty", "--cap", "CAP_NET_RAW", "c", "sh"), 0,
      ARGS ("exec", "--tty", "c", "sh") },
    { ARGS ("exec", "--user", "0", "c", "id"), 1, NULL },
    { ARGS ("exec", "-u", "4294967296:1", "c", "id"), 1, NULL },
    { ARGS ("exec", "--user", "1000:1000", "c", "id"), 0,
      ARGS ("exec", "--user", "1000:1000", "c", "id") },
    { ARGS ("exec", "--no-new-privs=false", "c", "id"), 0,
      ARGS ("exec", "--no-new-privs", "c", "id") },
    { ARGS ("exec", "--no-new-privs", "c", "id"), 0, ARGS ("exec", "--no-new-privs", "c", "id") },
    { ARGS ("exec", "--apparmor", "unconfined", "c", "id"), 1, NULL },
    { ARGS ("exec", "--apparmor=docker-default", "c", "id"), 0, ARGS ("exec", "c", "id") },
    { ARGS ("exec", "--apparmor=other", "c", "id"), 1, NULL },
    { ARGS ("exec", "--apparmor", "unconfined\n", "c", "id"), 1, NULL },
    { ARGS ("exec", "--process-label", "system_u:system_r:container_runtime_t:s0", "c", "id"), 1,
      NULL },
    { ARGS ("exec", "--process-label", "system_u:system_r:spc_t:s0", "c", "id"), 1, NULL },
    { ARGS ("exec", "--process-label", "system_u:system_r:container_t:s0:c1,c2", "c", "id"), 0,
      ARGS ("exec", "c", "id") },
    { ARGS ("exec", "--cwd", "/proc/self/fd/5", "c", "id"), 1, NULL },
    { ARGS ("exec", "--cap", "SYS_ADMIN", "c", "id"), 1, NULL },
    /* after the id the words are the command's */
    { ARGS ("exec", "c", "sh", "--cap", "CAP_SYS_ADMIN", "--user", "0"), 0,
      ARGS ("exec", "c", "sh", "--cap", "CAP_SYS_ADMIN", "--user", "0") },
    { ARGS ("exec", "-g", "010", "c", "id"), 2, NULL },
  };
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct run r;
      cleanup_free char *rec = path ("rec");
      nftw (rec, rm_one, 16, FTW_DEPTH | FTW_PHYS);
      mkdir (rec, 0755);
      run_env (&r, ENV (benv), cases[i].args);
      ck_assert_msg (r.status == cases[i].status, "case %zu: status %d: %s", i, r.status, r.err);
      if (cases[i].want)
        {
          ck_assert_int_eq (calls (), 2);
          assert_call_argv (2, cases[i].want);
        }
      else
        ck_assert_int_eq (calls (), 1);
      run_free (&r);
    }
}
END_TEST

/* Without --process the base is the container's own process: one that
 * breaks the policy cannot be clamped by flags. */
START_TEST (test_exec_container_unclamped)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_append (d, "process/capabilities/bounding", "\"CAP_SYS_ADMIN\"");
  tu_set (d, "process/noNewPrivileges", "false");
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_int_eq (r.status, 1);
  ck_assert (strstr (r.err, "capabilities") != NULL);
  run_free (&r);

  /* only no_new_privs missing: added */
  cleanup_doc ocigate_doc_t *d2 = tu_base ();
  tu_set (d2, "process/noNewPrivileges", "false");
  write_bundle ("b", d2, 0644);
  cleanup_free char *rec = path ("rec");
  nftw (rec, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  mkdir (rec, 0755);
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (2, ARGS ("exec", "--no-new-privs", "c", "id"));
  run_free (&r);
}
END_TEST

/* Started with SIGCHLD ignored (it is inherited across exec): the state
 * query still reads the runtime's exit status. */
START_TEST (test_exec_sigchld_ignored)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  ignore_sigchld = true;
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert_int_eq (calls (), 2);
  run_free (&r);
  run (&r, ARGS ("exec", "gone", "id"));
  ignore_sigchld = false;
  ck_assert_int_eq (calls (), 4);
  assert_dead_root (4);
  run_free (&r);
}
END_TEST

START_TEST (test_exec_no_container)
{
  struct run r;
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "exec", "-p", "x.json", "gone"));
  /* runc itself reports the unknown container, in a root where none is */
  ck_assert_int_eq (calls (), 2);
  assert_call_argv (2, ARGS ("--log", "log.json", "--log-format", "json", "--root=/proc/self/fd/N",
                             "exec", "-p", "x.json", "gone"));
  assert_dead_root (2);
  ck_assert_str_eq (r.err, "");
  cleanup_free char *log = slurp ("log.json", NULL);
  ck_assert (log == NULL);
  run_free (&r);
}
END_TEST

/* The container's bundle lost its config.json: runc's message and status
 * (255) without letting runc read a config that may come back. */
START_TEST (test_exec_lost_config)
{
  struct run r;
  cleanup_free char *dir = path ("b");
  mkdir (dir, 0755);
  cleanup_free char *benv = bundle_env ();
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_int_eq (r.status, 255);
  ck_assert_int_eq (calls (), 1);
  const char *want
      = "level=error msg=\"exec failed: JSON specification file config.json not found\"\n";
  ck_assert_msg (str_has_prefix (r.err, "time=\"") && strstr (r.err, want) != NULL, "%s", r.err);
  run_free (&r);
  run_env (&r, ENV (benv), ARGS ("--log", "log.json", "--log-format", "json", "exec", "c"));
  ck_assert_int_eq (r.status, 255);
  ck_assert_str_eq (r.err, "exec failed: process args cannot be empty\n");
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert (oj_str_eq (oj_get (l, "msg"), "exec failed: process args cannot be empty"));
  run_free (&r);
  /* with --process nothing can be judged: refused */
  write_file ("p.json", "{\"args\":[\"id\"],\"cwd\":\"/\",\"user\":{\"uid\":1000,\"gid\":1000}}",
              0644);
  run_env (&r, ENV (benv), ARGS ("exec", "-p", "p.json", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 3);
  ck_assert_msg (strstr (r.err, "config.json") != NULL, "%s", r.err);
  run_free (&r);
}
END_TEST

/* ---- update ---- */

static void
reset_rec (void)
{
  cleanup_free char *rec = path ("rec");
  nftw (rec, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  mkdir (rec, 0755);
}

/* update --pids-limit: negative is "max" in runc, above limits.pids is no
 * limit either; 0 leaves pids.max as it is.  Rewrite (the restricted
 * default) clamps the value, reject refuses, warn and audit pass. */
START_TEST (test_update_pids)
{
  struct run r;
  const struct exec_case rewrite[] = {
    { ARGS ("update", "--pids-limit", "-1", "c"), 0, ARGS ("update", "--pids-limit", "4096", "c") },
    { ARGS ("update", "--pids-limit=5000", "c"), 0, ARGS ("update", "--pids-limit=4096", "c") },
    { ARGS ("update", "c", "--pids-limit", "0x7fffffff"), 0,
      ARGS ("update", "c", "--pids-limit", "4096") },
    { ARGS ("update", "--pids-limit", "100", "--pids-limit", "-1", "c"), 0,
      ARGS ("update", "--pids-limit", "100", "--pids-limit", "4096", "c") },
    /* near misses: within the limit, 0 (no change), no --pids-limit, the last one counts */
    { ARGS ("update", "--pids-limit", "4096", "c"), 0,
      ARGS ("update", "--pids-limit", "4096", "c") },
    { ARGS ("update", "--pids-limit", "0", "c"), 0, ARGS ("update", "--pids-limit", "0", "c") },
    { ARGS ("update", "--memory", "-1", "c"), 0, ARGS ("update", "--memory", "-1", "c") },
    { ARGS ("update", "--pids-limit", "-1", "--pids-limit", "10", "c"), 0,
      ARGS ("update", "--pids-limit", "-1", "--pids-limit", "10", "c") },
    { ARGS ("--root", "/run/r", "update", "--pids-limit", "0010", "c"), 0,
      ARGS ("--root", "/run/r", "update", "--pids-limit", "0010", "c") },
  };
  for (size_t i = 0; i < ARRAY_SIZE (rewrite); i++)
    {
      reset_rec ();
      run (&r, rewrite[i].args);
      ck_assert_msg (r.status == rewrite[i].status, "case %zu: %d %s", i, r.status, r.err);
      ck_assert_int_eq (calls (), 1);
      assert_call_argv (1, rewrite[i].want);
      run_free (&r);
    }
  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "command"), "update"));
  ck_assert (oj_str_eq (oj_get (a, "decision"), "rewrite"));

  write_policy ("\"rules\": { \"resource-limits\": \"reject\" }");
  reset_rec ();
  run (&r, ARGS ("--log", "log.json", "--log-format", "json", "update", "--pids-limit", "-1", "c"));
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), 0);
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = last_json_line ("log.json", &ld);
  ck_assert_msg (strstr (oj_str (oj_get (l, "msg")), "resource-limits") != NULL, "%s", r.err);
  run_free (&r);
  run (&r, ARGS ("update", "--pids-limit", "4097", "c"));
  ck_assert_int_eq (r.status, 1);
  run_free (&r);
  run (&r, ARGS ("update", "--pids-limit", "4096", "c"));
  ck_assert_int_eq (r.status, 0);
  run_free (&r);

  /* no limit to keep: passes unchanged */
  const char *const *off[] = {
    ARGS ("\"limits\": { \"pids\": 0 }"),
    ARGS ("\"rules\": { \"resource-limits\": \"off\" }"),
    ARGS ("\"mode\": \"audit\""),
    ARGS ("\"preset\": \"privileged\""),
  };
  for (size_t i = 0; i < ARRAY_SIZE (off); i++)
    {
      write_policy (off[i][0]);
      reset_rec ();
      run (&r, ARGS ("update", "--pids-limit", "-1", "c"));
      ck_assert_msg (r.status == 0, "policy %zu: %s", i, r.err);
      assert_call_argv (1, ARGS ("update", "--pids-limit", "-1", "c"));
      run_free (&r);
    }
  write_policy (NULL);
}
END_TEST

/* update -r FILE: every flag is ignored and the file's pids.limit counts,
 * matched the way Go decodes JSON; runc reads the judged bytes. */
START_TEST (test_update_resources)
{
  struct run r;
  struct
  {
    const char *json;
    int reject;          /* refused under resource-limits: reject */
    const char *clamped; /* what runc reads under rewrite (NULL: as written) */
  } cases[] = {
    { "{\"pids\":{\"limit\":-1}}", 1, "{\"pids\":{\"limit\":4096}}" },
    { "{\"PIDS\":{\"Limit\":9999}}", 1, "{\"PIDS\":{\"Limit\":4096}}" },
    { "{\"pid\xc5\xbf\":{\"limit\":-1}}", 1, "{\"pid\xc5\xbf\":{\"limit\":4096}}" },
    { "{\"unified\":{\"pids.max\":\"max\"}}", 1, "{\"unified\":{\"pids.max\":\"4096\"}}" },
    { "{\"pids\":{\"limit\":\"x\"}}", 1, "{\"pids\":{\"limit\":4096}}" },
    /* near misses */
    { "{\"pids\":{\"limit\":100}}", 0, NULL },
    { "{\"memory\":{\"limit\":-1}}", 0, NULL },
    { "{\"pids\":{\"limits\":-1},\"pidsx\":{\"limit\":-1}}", 0, NULL },
    { "{\"unified\":{\"pids.max\":\"10\",\"memory.max\":\"max\"}}", 0, NULL },
  };
  for (int pass = 0; pass < 2; pass++)
    {
      write_policy (pass ? "\"rules\": { \"resource-limits\": \"reject\" }" : NULL);
      for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
        {
          write_file ("res.json", cases[i].json, 0644);
          reset_rec ();
          /* the flag is ignored by runc when -r is given: judged from the file */
          run (&r, ARGS ("update", "--pids-limit", "10", "-r", "res.json", "c"));
          if (pass && cases[i].reject)
            {
              ck_assert_msg (r.status == 1, "case %zu: %d %s", i, r.status, r.err);
              ck_assert_int_eq (calls (), 0);
              run_free (&r);
              continue;
            }
          ck_assert_msg (r.status == 0, "case %zu: %d %s", i, r.status, r.err);
          assert_call_argv (1, ARGS ("update", "--pids-limit", "10", "-r", "/proc/self/fd/N", "c"));
          cleanup_free char *got = call_file (1, "resources.json", NULL);
          const char *want = cases[i].clamped && !pass ? cases[i].clamped : cases[i].json;
          ck_assert_msg (got && strcmp (got, want) == 0, "case %zu: %s", i, got);
          run_free (&r);
        }
    }
  /* near miss: flags alone, with an empty -r (runc reads the flags then) */
  reset_rec ();
  run (&r, ARGS ("update", "-r", "", "--pids-limit", "-1", "c"));
  ck_assert_int_eq (r.status, 1);
  run_free (&r);
  /* from standard input */
  write_policy (NULL);
  reset_rec ();
  cleanup_free char *res = path ("res.json");
  write_file ("res.json", "{\"pids\":{\"limit\":-1}}", 0644);
  stdin_path = res;
  run (&r, ARGS ("update", "--resources=-", "c"));
  stdin_path = NULL;
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (1, ARGS ("update", "--resources=/proc/self/fd/N", "c"));
  cleanup_free char *got = call_file (1, "resources.json", NULL);
  ck_assert_str_eq (got, "{\"pids\":{\"limit\":4096}}");
  run_free (&r);
}
END_TEST

/* ---- restore ---- */

/* A checkpoint image carries the restored process's credentials, which
 * the gate cannot judge: refused where the policy restricts anything. */
START_TEST (test_restore)
{
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  struct run r;
  const char *const *cases[] = {
    ARGS ("restore", "--bundle", "b", "--image-path", "ck", "c"),
    ARGS ("restore", "--bundle", "b", "--manage-cgroups-mode", "full", "c"),
    ARGS ("restore", "--lsm-profile", "apparmor:unconfined", "--bundle", "b", "c"),
    ARGS ("restore", "--bundle", "b", "--lsm-mount-context", "u:object_r:unconfined_t:s0", "c"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      run (&r, cases[i]);
      ck_assert_msg (r.status == 1, "case %zu: status %d: %s", i, r.status, r.err);
      ck_assert_int_eq (calls (), 0);
      ck_assert_msg (strstr (r.err, "restore: a checkpoint image") != NULL, "%s", r.err);
      run_free (&r);
    }
  cleanup_doc ocigate_doc_t *ad = NULL;
  ocigate_json_t *a = last_json_line ("audit.jsonl", &ad);
  ck_assert (oj_str_eq (oj_get (a, "decision"), "reject"));
  ck_assert (oj_str_eq (oj_get (a, "command"), "restore"));

  /* near miss: the privileged preset, and audit mode, let it through to
   * the (stand-in) runtime with the bundle pinned */
  write_policy ("\"preset\": \"privileged\"");
  run (&r, cases[0]);
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (1, ARGS ("restore", "--bundle=/proc/self/fd/N", "--image-path", "ck", "c"));
  cleanup_free char *cfg = call_file (1, "config.json", NULL);
  ck_assert (cfg != NULL);
  run_free (&r);
  write_policy ("\"mode\": \"audit\"");
  run (&r, cases[2]);
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert_int_eq (calls (), 2);
  run_free (&r);
  /* a malformed --lsm-profile is still an error */
  write_policy ("\"preset\": \"privileged\"");
  run (&r, ARGS ("restore", "--bundle", "b", "--lsm-profile", "tomoyo:x", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 2);
  run_free (&r);
}
END_TEST

/* ---- reading and writing only what is safe ---- */

static double
now_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A FIFO as config.json, policy or validated file: refused at once. */
START_TEST (test_fifo_inputs)
{
  struct run r;
  cleanup_free char *dir = path ("b");
  cleanup_free char *cfg = path ("b/config.json");
  cleanup_free char *pol = path ("fifo-policy.json");
  mkdir (dir, 0755);
  ck_assert (mkfifo (cfg, 0644) == 0);
  ck_assert (mkfifo (pol, 0644) == 0);
  double t0 = now_s ();
  run (&r, ARGS ("create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  ck_assert_msg (strstr (r.err, "not a regular file") != NULL, "%s", r.err);
  run_free (&r);
  run (&r, ARGS ("validate", "b"));
  ck_assert_int_eq (r.status, 2);
  run_free (&r);
  cleanup_free char *penv = xasprintf ("OCIGATE_POLICY=%s", pol);
  run_env (&r, ENV (penv), ARGS ("create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_msg (strstr (r.err, "fifo-policy.json") != NULL, "%s", r.err);
  run_free (&r);
  ck_assert_msg (now_s () - t0 < 20, "took %.1f s", now_s () - t0); /* a wait would hang */
  ck_assert_int_eq (calls (), 0);
}
END_TEST

/* config.json as a symbolic link: runc would follow it again later. */
START_TEST (test_symlink_config)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("real", d, 0644);
  cleanup_free char *dir = path ("b");
  cleanup_free char *lnk = path ("b/config.json");
  cleanup_free char *target = path ("real/config.json");
  mkdir (dir, 0755);
  ck_assert (symlink (target, lnk) == 0);
  run (&r, ARGS ("create", "--bundle", "b", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 0);
  ck_assert_msg (strstr (r.err, "symbolic link") != NULL, "%s", r.err);
  run_free (&r);
  /* a bundle anyone can write */
  cleanup_free char *real = path ("real");
  chmod (real, 0777);
  run (&r, ARGS ("create", "--bundle", "real", "c"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_msg (strstr (r.err, "writable by anyone") != NULL, "%s", r.err);
  run_free (&r);
  chmod (real, 0755);
  chmod (target, 0666);
  run (&r, ARGS ("create", "--bundle", "real", "c"));
  ck_assert_int_eq (r.status, 2);
  run_free (&r);
  ck_assert_int_eq (calls (), 0);
  /* near miss: group-writable is the administrator's business */
  chmod (target, 0664);
  run (&r, ARGS ("create", "--bundle", "real", "c"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert_int_eq (calls (), 1);
  run_free (&r);
}
END_TEST

/* A symlinked bundle is judged and run as the directory it named when
 * the gate opened it; runc's environment has no PWD to spell it another
 * way. */
START_TEST (test_bundle_pinned)
{
  struct run r;
  cleanup_doc ocigate_doc_t *good = tu_base ();
  write_bundle ("good", good, 0644);
  cleanup_free char *lnk = path ("link");
  ck_assert (symlink ("good", lnk) == 0);
  /* a PWD naming the working directory by another spelling: Go's Getwd
   * would return it (the shell running the fake runtime keeps it too) */
  cleanup_free char *cwdlink = path ("cwd-link");
  ck_assert (symlink (".", cwdlink) == 0);
  cleanup_free char *pwd = xasprintf ("PWD=%s", cwdlink);
  run_env (&r, ENV (pwd), ARGS ("run", "-d", "--bundle", "link", "c"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  assert_call_argv (1, ARGS ("run", "--bundle=/proc/self/fd/N", "-d", "c"));
  /* the runtime read the judged bytes through the pinned descriptor */
  cleanup_free char *got = call_file (1, "config.json", NULL);
  cleanup_free char *want = slurp ("good/config.json", NULL);
  ck_assert (got && want);
  ck_assert_str_eq (got, want);
  size_t len;
  cleanup_free char *env = call_file (1, "env", &len);
  for (size_t i = 0; i < len; i += strlen (env + i) + 1)
    ck_assert_msg (strcmp (env + i, pwd) != 0, "%s", env + i);
  run_free (&r);
}
END_TEST

/* The pinned bundle's descriptor lies above every descriptor runc hands
 * the container (stdio, $LISTEN_FDS, --preserve-fds). */
START_TEST (test_pinned_fd_placement)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  run_env (&r, ENV ("LISTEN_FDS=2"), ARGS ("create", "--preserve-fds", "5", "--bundle", "b", "c"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  size_t len;
  cleanup_free char *argv = call_file (1, "argv", &len);
  const char *p = NULL;
  for (size_t i = 0; i < len; i += strlen (argv + i) + 1)
    if (str_has_prefix (argv + i, "--bundle=/proc/self/fd/"))
      p = argv + i + strlen ("--bundle=/proc/self/fd/");
  ck_assert (p != NULL);
  ck_assert_msg (atoi (p) >= 3 + 2 + 5, "fd %s", p);
  run_free (&r);
}
END_TEST

/* root.path `..` through a symlinked bundle: runc joins it to the
 * physical bundle.  The link lies deep, the bundle shallow: read on the
 * link's spelling, ../../../etc stays under the temp dir; from the
 * physical bundle it is the host's /etc. */
START_TEST (test_root_path_physical)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_set (d, "root/path", "\"../../../etc\"");
  write_bundle ("b", d, 0644);
  cleanup_free char *d1 = path ("d1");
  cleanup_free char *d2 = path ("d1/d2");
  cleanup_free char *d3 = path ("d1/d2/d3");
  cleanup_free char *lnk = path ("d1/d2/d3/link");
  cleanup_free char *real = path ("b");
  mkdir (d1, 0755);
  mkdir (d2, 0755);
  mkdir (d3, 0755);
  ck_assert (symlink (real, lnk) == 0);
  /* tmp is /tmp/ocigate-runtime.X: b/../../../etc is /etc */
  run (&r, ARGS ("create", "--bundle", "d1/d2/d3/link", "c"));
  ck_assert_msg (r.status == 1, "%d: %s", r.status, r.err);
  ck_assert_msg (strstr (r.err, "root-path") != NULL, "%s", r.err);
  ck_assert_int_eq (calls (), 0);
  run_free (&r);
  /* near miss: a root.path that stays in the bundle */
  tu_set (d, "root/path", "\"rootfs\"");
  write_bundle ("b", d, 0644);
  run (&r, ARGS ("create", "--bundle", "d1/d2/d3/link", "c"));
  ck_assert_msg (r.status == 0, "%d: %s", r.status, r.err);
  run_free (&r);
}
END_TEST

static pid_t
fifo_writer (const char *fifo, const char *content)
{
  pid_t pid = fork ();
  ck_assert (pid >= 0);
  if (pid == 0)
    {
      int fd = open (fifo, O_WRONLY);
      if (fd < 0)
        _exit (1);
      size_t l = strlen (content);
      _exit (write (fd, content, l) == (ssize_t)l ? 0 : 1);
    }
  return pid;
}

/* exec --process from a FIFO, /dev/stdin or /dev/fd/N: read once, judged,
 * and the runtime reads the judged bytes from a sealed memfd. */
START_TEST (test_exec_process_stream)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  cleanup_free char *fifo = path ("proc.fifo");
  ck_assert (mkfifo (fifo, 0600) == 0);
  const char *proc = "{\"args\":[\"id\"],\"cwd\":\"/\",\"user\":{\"uid\":1000,\"gid\":1000},"
                     "\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"],"
                     "\"effective\":[\"CAP_SYS_ADMIN\"]},\"noNewPrivileges\":true}";
  const char *const *forms[] = {
    ARGS ("exec", "-p", "proc.fifo", "c"),
    ARGS ("exec", "--process=/dev/stdin", "c"),
    ARGS ("exec", "--process", "/dev/fd/0", "--detach", "c"),
  };
  const char *const *want[] = {
    ARGS ("exec", "-p", "/proc/self/fd/N", "c"),
    ARGS ("exec", "--process=/proc/self/fd/N", "c"),
    ARGS ("exec", "--process", "/proc/self/fd/N", "--detach", "c"),
  };
  for (size_t i = 0; i < ARRAY_SIZE (forms); i++)
    {
      pid_t w = fifo_writer (fifo, proc);
      stdin_path = i > 0 ? fifo : NULL;
      run_env (&r, ENV (benv), forms[i]);
      stdin_path = NULL;
      int st;
      waitpid (w, &st, 0);
      ck_assert_msg (r.status == 0, "form %zu: %s", i, r.err);
      int n = calls ();
      assert_call_argv (n, want[i]);
      cleanup_free char *got = call_file (n, "process.json", NULL);
      ck_assert_msg (got != NULL, "form %zu: the runtime could not read the copy", i);
      ck_assert_msg (strstr (got, "\"uid\":1000") != NULL, "%s", got);
      ck_assert_msg (strstr (got, "SYS_ADMIN") == NULL, "not clamped: %s", got);
      run_free (&r);
    }
  /* a root process from a stream is rejected like one from a file */
  pid_t w = fifo_writer (fifo, "{\"args\":[\"id\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}");
  int before = calls ();
  run_env (&r, ENV (benv), ARGS ("exec", "-p", "proc.fifo", "c"));
  int st;
  waitpid (w, &st, 0);
  ck_assert_int_eq (r.status, 1);
  ck_assert_int_eq (calls (), before + 1);
  run_free (&r);
}
END_TEST

/* exec builds its process from the container's config.json when no
 * --process is given: a config anyone can change, or a symlink, is not
 * judged. */
START_TEST (test_exec_config_writable)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0666);
  cleanup_free char *benv = bundle_env ();
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 1);
  ck_assert_msg (strstr (r.err, "writable by anyone") != NULL, "%s", r.err);
  run_free (&r);
  cleanup_free char *cfg = path ("b/config.json");
  chmod (cfg, 0644);
  run_env (&r, ENV (benv), ARGS ("exec", "c", "id"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert_int_eq (calls (), 3);
  run_free (&r);
}
END_TEST

/* A FIFO nobody writes: bounded in time, not a hang. */
START_TEST (test_exec_process_fifo_timeout)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  cleanup_free char *fifo = path ("proc.fifo");
  ck_assert (mkfifo (fifo, 0600) == 0);
  double t0 = now_s ();
  run_env (&r, ENV (benv), ARGS ("exec", "-p", "proc.fifo", "c"));
  double t = now_s () - t0;
  ck_assert_int_eq (r.status, 2);
  ck_assert_int_eq (calls (), 1);
  ck_assert_msg (strstr (r.err, "not complete within") != NULL, "%s", r.err);
  ck_assert_msg (t < OCIGATE_STREAM_TIMEOUT_MS / 1000 + 5, "took %.1f s", t);
  run_free (&r);
}
END_TEST

/* exec --cgroup: runc 1.1 checks only a string prefix. */
START_TEST (test_exec_cgroup)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  cleanup_free char *benv = bundle_env ();
  const char *bad[]
      = { "../c4x", "cpu,memory:../../system.slice/x", "a/../../b", "pids:..", "..//x" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      int before = calls ();
      run_env (&r, ENV (benv), ARGS ("exec", "--cgroup", bad[i], "c", "id"));
      ck_assert_msg (r.status == 1, "%s: %d %s", bad[i], r.status, r.err);
      ck_assert_int_eq (calls (), before + 1);
      ck_assert_msg (strstr (r.err, "--cgroup") != NULL, "%s", r.err);
      run_free (&r);
    }
  const char *good[] = { "sub", "cpu:sub/x", "/sub", "..x", "x..", "a/.../b" };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    {
      int before = calls ();
      run_env (&r, ENV (benv), ARGS ("exec", "--cgroup", good[i], "c", "id"));
      ck_assert_msg (r.status == 0, "%s: %d %s", good[i], r.status, r.err);
      ck_assert_int_eq (calls (), before + 2);
      run_free (&r);
    }
  write_policy ("\"preset\": \"privileged\"");
  run_env (&r, ENV (benv), ARGS ("exec", "--cgroup=../c4x", "c", "id"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  run_free (&r);
}
END_TEST

/* rewrite -o replaces only a regular file. */
START_TEST (test_rewrite_output)
{
  struct run r;
  cleanup_doc ocigate_doc_t *d = tu_base ();
  write_bundle ("b", d, 0644);
  /* a character device is written through, never replaced */
  if (geteuid () == 0)
    {
      cleanup_free char *null = path ("null");
      struct stat st;
      ck_assert (mknod (null, S_IFCHR | 0666, makedev (1, 3)) == 0);
      run (&r, ARGS ("rewrite", "-o", "null", "b"));
      ck_assert_msg (r.status == 0, "%s", r.err);
      ck_assert (lstat (null, &st) == 0 && S_ISCHR (st.st_mode));
      run_free (&r);
    }
  /* /dev/stdout: a link to the pipe */
  run (&r, ARGS ("rewrite", "-o", "/dev/stdout", "b"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  ck_assert (r.out_len > 0 && strstr (r.out, "\"ociVersion\"") != NULL);
  run_free (&r);
  /* a link to a regular file: the file is written, the link stays */
  write_file ("target.json", "old", 0600);
  cleanup_free char *lnk = path ("out-link");
  ck_assert (symlink ("target.json", lnk) == 0);
  run (&r, ARGS ("rewrite", "-o", "out-link", "b"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  struct stat st;
  ck_assert (lstat (lnk, &st) == 0 && S_ISLNK (st.st_mode));
  cleanup_free char *t = slurp ("target.json", NULL);
  ck_assert (strstr (t, "\"ociVersion\"") != NULL);
  run_free (&r);
  /* a directory is refused */
  run (&r, ARGS ("rewrite", "-o", "b", "b"));
  ck_assert_int_eq (r.status, 2);
  run_free (&r);
  /* near miss: a regular file is replaced atomically, keeping its mode */
  write_file ("out.json", "old", 0600);
  run (&r, ARGS ("rewrite", "-o", "out.json", "b"));
  ck_assert_msg (r.status == 0, "%s", r.err);
  cleanup_free char *o = path ("out.json");
  ck_assert (stat (o, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 07777) == 0600);
  run_free (&r);
}
END_TEST

/* ---- audit ---- */

/* Concurrent gates append whole lines. */
START_TEST (test_audit_concurrent)
{
  enum
  {
    N = 16
  };
  cleanup_doc ocigate_doc_t *d = tu_base ();
  tu_del (d, "linux/seccomp");
  const char *ocigate = getenv ("OCIGATE");
  pid_t pids[N];
  for (int i = 0; i < N; i++)
    {
      cleanup_free char *b = xasprintf ("b%d", i);
      write_bundle (b, d, 0644);
    }
  for (int i = 0; i < N; i++)
    {
      pids[i] = fork ();
      ck_assert (pids[i] >= 0);
      if (pids[i] == 0)
        {
          char b[16], id[16];
          snprintf (b, sizeof (b), "b%d", i);
          snprintf (id, sizeof (id), "c%d", i);
          cleanup_free char *pol = xasprintf ("OCIGATE_POLICY=%s/policy.json", tmp);
          cleanup_free char *rt = xasprintf ("OCIGATE_RUNTIME=%s", FAKE_RUNC);
          cleanup_free char *rec = xasprintf ("FAKE_RUNC_DIR=%s/rec", tmp);
          char *env[] = { (char *)"PATH=/usr/bin:/bin", pol, rt, rec, NULL };
          if (chdir (tmp) < 0)
            _exit (99);
          int null = open ("/dev/null", O_WRONLY);
          dup2 (null, 2);
          execve (ocigate,
                  (char *[]){ (char *)ocigate, (char *)"create", (char *)"--bundle", b, id, NULL },
                  env);
          _exit (98);
        }
    }
  for (int i = 0; i < N; i++)
    {
      int st;
      ck_assert (waitpid (pids[i], &st, 0) == pids[i]);
      ck_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }
  cleanup_free char *audit = slurp ("audit.jsonl", NULL);
  ck_assert_uint_eq (count_lines (audit), N);
  char *save = NULL;
  for (char *line = strtok_r (audit, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      cleanup_doc ocigate_doc_t *ld = NULL;
      ocigate_json_t *l = parse (line, &ld);
      ck_assert (oj_str_eq (oj_get (l, "decision"), "rewrite"));
    }
  ck_assert_int_eq (calls (), N);
}
END_TEST

START_TEST (test_audit_format)
{
  ocigate_policy_t *pol = tu_default_policy ();
  ocigate_result_t res = { 0 };
  cleanup_doc ocigate_doc_t *d = root_config ();
  tu_eval (pol, d, NULL, &res);
  ocigate_audit_record_t rec = { .command = "create",
                                 .container_id = "c\xff",
                                 .bundle = "/b\nx",
                                 .decision = OCIGATE_DECISION_REJECT,
                                 .res = &res };
  char *line;
  size_t len;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_audit_format (pol, &rec, &line, &len, &err) == 0);
  ck_assert (len == strlen (line) && line[len - 1] == '\n');
  ck_assert (strchr (line, '\n') == line + len - 1);
  line[len - 1] = '\0';
  cleanup_doc ocigate_doc_t *ld = NULL;
  ocigate_json_t *l = parse (line, &ld);
  ck_assert (oj_str_eq (oj_get (l, "container_id"), "c\xef\xbf\xbd"));
  ck_assert (oj_str_eq (oj_get (l, "bundle"), "/b\nx"));
  ck_assert (oj_str_eq (oj_get (l, "policy"), "restricted"));
  ck_assert (oj_str_eq (oj_get (l, "policy_source"), "embedded"));
  ck_assert (json_array_has (oj_get (l, "rules"), "root-user"));
  ocigate_json_t *f = oj_at (oj_get (l, "findings"), 0);
  ck_assert (oj_str_eq (oj_get (f, "rule"), "root-user"));
  ck_assert (oj_str_eq (oj_get (f, "action"), "reject"));
  ck_assert (oj_str_eq (oj_get (f, "pointer"), "/process/user/uid"));
  free (line);
  ocigate_result_free (&res);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime");
  TCase *tc = tcase_create ("runtime");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_reject_json_log);
  tcase_add_test (tc, test_reject_text_log);
  tcase_add_test (tc, test_reject_no_log);
  tcase_add_test (tc, test_rewrite);
  tcase_add_test (tc, test_allow_untouched);
  tcase_add_test (tc, test_bundle_after_id);
  tcase_add_test (tc, test_warn_mode);
  tcase_add_test (tc, test_passthrough_bytes);
  tcase_add_test (tc, test_passthrough_verbs);
  tcase_add_test (tc, test_passthrough_fds);
  tcase_add_test (tc, test_passthrough_skips_policy);
  tcase_add_test (tc, test_bad_policy);
  tcase_add_test (tc, test_bad_config);
  tcase_add_test (tc, test_bad_argv);
  tcase_add_test (tc, test_write_failure);
  tcase_add_test (tc, test_audit_failure);
  tcase_add_test (tc, test_recursion_guard);
  tcase_add_test (tc, test_missing_runtime);
  tcase_add_test (tc, test_exec_process_clamp);
  tcase_add_test (tc, test_exec_process_root);
  tcase_add_test (tc, test_exec_process_sealed);
  tcase_add_test (tc, test_exec_ceiling_from_state);
  tcase_add_test (tc, test_update_pids);
  tcase_add_test (tc, test_update_resources);
  tcase_add_test (tc, test_exec_userns);
  tcase_add_test (tc, test_exec_flags);
  tcase_add_test (tc, test_exec_container_unclamped);
  tcase_add_test (tc, test_exec_sigchld_ignored);
  tcase_add_test (tc, test_exec_no_container);
  tcase_add_test (tc, test_restore);
  tcase_add_test (tc, test_missing_bundle);
  tcase_add_test (tc, test_no_args);
  tcase_add_test (tc, test_exec_lost_config);
  tcase_add_test (tc, test_fifo_inputs);
  tcase_add_test (tc, test_symlink_config);
  tcase_add_test (tc, test_bundle_pinned);
  tcase_add_test (tc, test_pinned_fd_placement);
  tcase_add_test (tc, test_root_path_physical);
  tcase_add_test (tc, test_exec_process_stream);
  tcase_add_test (tc, test_exec_process_fifo_timeout);
  tcase_add_test (tc, test_exec_config_writable);
  tcase_add_test (tc, test_exec_cgroup);
  tcase_add_test (tc, test_rewrite_output);
  tcase_add_test (tc, test_audit_concurrent);
  tcase_add_test (tc, test_audit_format);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
