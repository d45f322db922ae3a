/* SPDX-License-Identifier: Apache-2.0 */
/* runc command lines as the engines send them, and the corners of runc's
 * own parsing that a gate must read the same way. */
#include "config.h"

#include <string.h>

#include "runtime-internal.h"
#include "testutil.h"

#define ARGV(...) ((const char *const[]){ "ocigate", __VA_ARGS__, NULL })
#define B "/run/containerd/io.containerd.runtime.v2.task/k8s.io/0123abcd"
#define ID "0123abcd"

struct argv_case
{
  const char *name;
  const char *const *argv;
  bool error;
  ocigate_rt_cmd_t cmd;
  bool help;
  const char *id; /* first positional word */
  const char *bundle, *process, *root, *log, *log_format;
  size_t n_args; /* 0: do not check */
};

static const struct argv_case cases[] = {
  /* containerd's runc shim (v2), CRI and ctr */
  { "containerd create",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "create", "--bundle", B, "--pid-file", B "/init.pid", ID),
    false, OCIGATE_RT_CREATE, false, ID, B, NULL, "/run/containerd/runc/k8s.io", B "/log.json",
    "json", 1 },
  { "containerd create, systemd cgroups and a console",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "--systemd-cgroup", "create", "--bundle", B, "--pid-file", B "/init.pid",
          "--console-socket", "/tmp/pty123/pty.sock", ID),
    false, OCIGATE_RT_CREATE, false, ID, B, NULL, "/run/containerd/runc/k8s.io", B "/log.json",
    "json", 1 },
  { "containerd start",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "start", ID),
    false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL, "/run/containerd/runc/k8s.io", B "/log.json",
    "json", 0 },
  { "containerd kill --all",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "kill", "--all", ID, "9"),
    false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL, "/run/containerd/runc/k8s.io", NULL, NULL,
    0 },
  { "containerd delete --force",
    ARGV ("--root", "/run/containerd/runc/default", "--log", "/x/log.json", "--log-format", "json",
          "delete", "--force", "ctr-run"),
    false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
  { "containerd ps --format json",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "ps", "--format", "json", ID),
    false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
  { "containerd features", ARGV ("features"), false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL,
    NULL, NULL, NULL, 0 },
  { "containerd exec",
    ARGV ("--root", "/run/containerd/runc/k8s.io", "--log", B "/log.json", "--log-format", "json",
          "exec", "--process", "/tmp/runc-process2216473005", "--detach", "--pid-file",
          B "/exec1.pid", ID),
    false, OCIGATE_RT_EXEC, false, ID, NULL, "/tmp/runc-process2216473005",
    "/run/containerd/runc/k8s.io", B "/log.json", "json", 1 },
  /* CRI-O through conmon: `--root=`, no --log */
  { "cri-o create",
    ARGV ("--systemd-cgroup", "--root=/run/runc", "create", "--bundle",
          "/run/containers/storage/overlay-containers/" ID "/userdata", "--pid-file",
          "/run/containers/storage/overlay-containers/" ID "/userdata/pidfile", ID),
    false, OCIGATE_RT_CREATE, false, ID,
    "/run/containers/storage/overlay-containers/" ID "/userdata", NULL, "/run/runc", NULL, NULL,
    1 },
  { "cri-o create with a console",
    ARGV ("--root=/run/runc", "create", "--bundle", "/u", "--pid-file", "/u/pidfile",
          "--console-socket", "/var/run/crio/" ID "/attach", ID),
    false, OCIGATE_RT_CREATE, false, ID, "/u", NULL, "/run/runc", NULL, NULL, 1 },
  { "cri-o exec",
    ARGV ("--root=/run/runc", "exec", "--pid-file", "/tmp/pid", "--process", "/tmp/exec-process",
          "--detach", ID),
    false, OCIGATE_RT_EXEC, false, ID, NULL, "/tmp/exec-process", "/run/runc", NULL, NULL, 1 },
  /* podman through conmon: no --root, no --log */
  { "podman create",
    ARGV ("create", "--bundle", "/var/lib/containers/storage/overlay-containers/" ID "/userdata",
          "--pid-file", "/run/containers/storage/overlay-containers/" ID "/userdata/pidfile", ID),
    false, OCIGATE_RT_CREATE, false, ID,
    "/var/lib/containers/storage/overlay-containers/" ID "/userdata", NULL, NULL, NULL, NULL, 1 },
  { "podman exec",
    ARGV ("exec", "--pid-file", "/p/exec_pid", "--process", "/p/exec-process-1", "--detach", ID),
    false, OCIGATE_RT_EXEC, false, ID, NULL, "/p/exec-process-1", NULL, NULL, NULL, 1 },
  { "podman exec with fds and a tty",
    ARGV ("exec", "--pid-file", "/p/exec_pid", "--process", "/p/proc", "--console-socket",
          "/p/sock", "--preserve-fds", "2", "--detach", "--tty", ID),
    false, OCIGATE_RT_EXEC, false, ID, NULL, "/p/proc", NULL, NULL, NULL, 1 },
  { "podman kill", ARGV ("kill", ID, "15"), false, OCIGATE_RT_OTHER, false, NULL, NULL, NULL, NULL,
    NULL, NULL, 0 },
  { "podman --version", ARGV ("--version"), false, OCIGATE_RT_NONE, true, NULL, NULL, NULL, NULL,
    NULL, NULL, 0 },
  /* flag spellings runc accepts */
  { "flags after the id are moved first", ARGV ("create", ID, "--bundle", "/b"), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "single-dash long flag", ARGV ("-root", "/r", "create", "-bundle", "/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, "/r", NULL, NULL, 1 },
  { "--flag=value", ARGV ("--log=/l", "--log-format=text", "create", "--bundle=/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, "/l", "text", 1 },
  { "-flag=value", ARGV ("create", "-bundle=/b", ID), false, OCIGATE_RT_CREATE, false, ID, "/b",
    NULL, NULL, NULL, NULL, 1 },
  { "short flag", ARGV ("create", "-b", "/b", ID), false, OCIGATE_RT_CREATE, false, ID, "/b", NULL,
    NULL, NULL, NULL, 1 },
  { "short flag, two dashes", ARGV ("create", "--b=/b", ID), false, OCIGATE_RT_CREATE, false, ID,
    "/b", NULL, NULL, NULL, NULL, 1 },
  { "repeated flag: the last wins", ARGV ("create", "--bundle", "/a", "--bundle", "/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "repeated flag after the id", ARGV ("create", "--bundle", "/a", ID, "-bundle", "/b"), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "empty bundle: the working directory", ARGV ("create", "--bundle=", ID), false,
    OCIGATE_RT_CREATE, false, ID, "", NULL, NULL, NULL, NULL, 1 },
  { "no bundle flag", ARGV ("run", "-d", ID), false, OCIGATE_RT_RUN, false, ID, NULL, NULL, NULL,
    NULL, NULL, 1 },
  { "boolean flag after the id", ARGV ("run", ID, "--detach", "--bundle", "/b"), false,
    OCIGATE_RT_RUN, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "boolean flag with =false", ARGV ("create", "--no-pivot=false", "--bundle", "/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "-- ends the flags", ARGV ("create", "--bundle", "/b", "--", ID), false, OCIGATE_RT_CREATE,
    false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "-- before the subcommand", ARGV ("--root", "/r", "--", "create", "--bundle", "/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, "/r", NULL, NULL, 1 },
  { "a value that looks like a flag", ARGV ("create", "--pid-file", "--bundle", ID), false,
    OCIGATE_RT_CREATE, false, ID, NULL, NULL, NULL, NULL, NULL, 1 },
  { "--rootless takes a value", ARGV ("--rootless", "true", "create", "--bundle", "/b", ID), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "--rootless=auto", ARGV ("--rootless=auto", "--debug", "run", "--bundle", "/b", ID), false,
    OCIGATE_RT_RUN, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "restore",
    ARGV ("restore", "--image-path", "/ck", "--work-path", "/w", "--bundle", "/b", "--lsm-profile",
          "apparmor:x", "--empty-ns", "network", "--detach", ID),
    false, OCIGATE_RT_RESTORE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "preserve-fds in base 0", ARGV ("create", "--preserve-fds", "0x2", ID), false,
    OCIGATE_RT_CREATE, false, ID, NULL, NULL, NULL, NULL, NULL, 1 },
  { "a lone - is an argument", ARGV ("create", "-"), false, OCIGATE_RT_CREATE, false, "-", NULL,
    NULL, NULL, NULL, NULL, 1 },
  /* urfave/cli 1.22.9 (what Debian's runc 1.1.5 is built with): after a
   * flag written without `=`, the next word is its value unless it is one
   * of the command's flags; `-`, `--` and unknown `-x` words included. */
  { "run --bundle - ID: the bundle is -", ARGV ("run", "--bundle", "-", ID), false, OCIGATE_RT_RUN,
    false, ID, "-", NULL, NULL, NULL, NULL, 1 },
  { "create ID --bundle -: the bundle is -", ARGV ("create", ID, "--bundle", "-"), false,
    OCIGATE_RT_CREATE, false, ID, "-", NULL, NULL, NULL, NULL, 1 },
  { "run --bundle -x ID: the bundle is -x", ARGV ("run", "--bundle", "-x", ID), false,
    OCIGATE_RT_RUN, false, ID, "-x", NULL, NULL, NULL, NULL, 1 },
  { "create --bundle -- ID: the bundle is --", ARGV ("create", "--bundle", "--", ID), false,
    OCIGATE_RT_CREATE, false, ID, "--", NULL, NULL, NULL, NULL, 1 },
  { "restore -b - ID", ARGV ("restore", "-b", "-", ID), false, OCIGATE_RT_RESTORE, false, ID, "-",
    NULL, NULL, NULL, NULL, 1 },
  { "-- moves before the words seen so far", ARGV ("create", ID, "--bundle=/b", "--"), false,
    OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "near miss: --bundle=/b - keeps - as the id", ARGV ("run", "--bundle=/b", "-"), false,
    OCIGATE_RT_RUN, false, "-", "/b", NULL, NULL, NULL, NULL, 1 },
  /* exec: no reordering, the command keeps its own flags */
  { "exec command flags stay the command's", ARGV ("exec", ID, "sh", "-c", "--cap x"), false,
    OCIGATE_RT_EXEC, false, ID, NULL, NULL, NULL, NULL, NULL, 4 },
  { "exec --user after the id is the command", ARGV ("exec", ID, "--user", "0", "id"), false,
    OCIGATE_RT_EXEC, false, ID, NULL, NULL, NULL, NULL, NULL, 4 },
  { "exec -p", ARGV ("exec", "-p", "/p.json", ID), false, OCIGATE_RT_EXEC, false, ID, NULL,
    "/p.json", NULL, NULL, NULL, 1 },
  { "exec --process=", ARGV ("exec", "-process=/p.json", "-d", ID), false, OCIGATE_RT_EXEC, false,
    ID, NULL, "/p.json", NULL, NULL, NULL, 1 },
  /* help and version: runc prints, runs nothing */
  { "global --help", ARGV ("--help", "create", "--bundle", "/b", ID), false, OCIGATE_RT_CREATE,
    true, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
  { "global -v before a command", ARGV ("-v", "create", "--bogus"), false, OCIGATE_RT_CREATE, true,
    NULL, NULL, NULL, NULL, NULL, NULL, 0 },
  { "--help=false does not stop the create", ARGV ("--help=false", "create", "--bundle", "/b", ID),
    false, OCIGATE_RT_CREATE, false, ID, "/b", NULL, NULL, NULL, NULL, 1 },
  { "create --help", ARGV ("create", "--help"), false, OCIGATE_RT_CREATE, true, NULL, NULL, NULL,
    NULL, NULL, NULL, 0 },
  { "exec -h", ARGV ("exec", "-h"), false, OCIGATE_RT_EXEC, true, NULL, NULL, NULL, NULL, NULL,
    NULL, 0 },
  { "no subcommand", ARGV ("--root", "/r"), false, OCIGATE_RT_NONE, false, NULL, NULL, NULL, "/r",
    NULL, NULL, 0 },
  { "unknown subcommand", ARGV ("frobnicate", "--x"), false, OCIGATE_RT_OTHER, false, NULL, NULL,
    NULL, NULL, NULL, NULL, 0 },
  /* what runc refuses, refused too */
  { .name = "unknown global flag", .argv = ARGV ("--bogus", "create", ID), .error = true },
  { .name = "--rootless swallows the subcommand",
    .argv = ARGV ("--rootless", "create", "--bundle", "/b", ID),
    .error = true },
  { .name = "unknown create flag",
    .argv = ARGV ("create", "--bogus", "--bundle", "/b", ID),
    .error = true },
  { .name = "unknown flag after the id", .argv = ARGV ("create", ID, "--bogus"), .error = true },
  { .name = "two forms of one flag",
    .argv = ARGV ("create", "--bundle", "/a", "-b", "/b", ID),
    .error = true },
  { .name = "two forms of --cap",
    .argv = ARGV ("exec", "--cap", "CAP_KILL", "-c", "CAP_CHOWN", ID, "sh"),
    .error = true },
  { .name = "boolean with a separate value",
    .argv = ARGV ("create", "--no-pivot", "false", "--bundle", "/b", ID),
    .error = true },
  { .name = "bad boolean", .argv = ARGV ("run", "--detach=yes", ID), .error = true },
  { .name = "flag without its value", .argv = ARGV ("create", ID, "--bundle"), .error = true },
  { .name = "three dashes", .argv = ARGV ("create", "---bundle", "/b", ID), .error = true },
  { .name = "two ids", .argv = ARGV ("create", "--bundle", "/b", ID, "other"), .error = true },
  { .name = "no id", .argv = ARGV ("create", "--bundle", "/b"), .error = true },
  { .name = "words after --", .argv = ARGV ("create", "--", ID, "--bundle", "/x"), .error = true },
  { .name = "exec without an id", .argv = ARGV ("exec", "--detach"), .error = true },
  { .name = "bad preserve-fds",
    .argv = ARGV ("create", "--preserve-fds", "many", ID),
    .error = true },
  { .name = "bad additional gid", .argv = ARGV ("exec", "-g", "0x10", ID, "sh"), .error = true },
  { .name = "global flag after the subcommand",
    .argv = ARGV ("create", "--root", "/r", ID),
    .error = true },
};

static int
count (const char *const *v)
{
  int n = 0;
  while (v[n])
    n++;
  return n;
}

static void
check_str (const char *what, const char *name, const char *want, const char *got)
{
  if (want == NULL && got == NULL)
    return;
  ck_assert_msg (want && got && strcmp (want, got) == 0, "%s: %s: want \"%s\", got \"%s\"", name,
                 what, want ? want : "(null)", got ? got : "(null)");
}

START_TEST (test_table)
{
  const struct argv_case *c = &cases[_i];
  ocigate_rt_argv_t a;
  ocigate_error_t err = NULL;
  int r = ocigate_argv_parse (count (c->argv), (char *const *)c->argv, &a, &err);
  if (c->error)
    {
      ck_assert_msg (r < 0, "%s: parsed, expected an error", c->name);
      ck_assert (err && err->msg && *err->msg);
      ocigate_error_free (&err);
      ocigate_argv_free (&a);
      return;
    }
  ck_assert_msg (r == 0, "%s: %s", c->name, err ? err->msg : "?");
  ck_assert_msg (a.cmd == c->cmd, "%s: cmd %d, want %d", c->name, a.cmd, c->cmd);
  ck_assert_msg (a.help == c->help, "%s: help %d", c->name, a.help);
  if (!c->help && c->id)
    {
      ck_assert_msg (a.n_args >= 1, "%s: no positional argument", c->name);
      check_str ("id", c->name, c->id, a.args[0]);
      if (c->n_args)
        ck_assert_msg (a.n_args == c->n_args, "%s: %zu args", c->name, a.n_args);
      check_str ("bundle", c->name, c->bundle, a.bundle);
      check_str ("process", c->name, c->process, a.process);
    }
  if (c->root)
    check_str ("root", c->name, c->root, a.root);
  if (c->log)
    check_str ("log", c->name, c->log, a.log);
  if (c->log_format)
    check_str ("log-format", c->name, c->log_format, a.log_format);
  ocigate_argv_free (&a);
}
END_TEST

/* The occurrences keep the argv positions an edit needs. */
START_TEST (test_occurrences)
{
  const char *const *v = ARGV ("--root", "/r", "exec", "--cap", "CAP_A", "--cap=CAP_B",
                               "--no-new-privs=false", "-u", "0:0", ID, "sh");
  ocigate_rt_argv_t a;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_argv_parse (count (v), (char *const *)v, &a, &err) == 0);
  ck_assert_int_eq (a.cmd_index, 3);
  ck_assert_uint_eq (a.n_flags, 5);
  ck_assert (a.flags[0].global && a.flags[0].id == RF_ROOT && a.flags[0].value_index == 2);
  ck_assert (a.flags[1].id == RF_CAP && a.flags[1].index == 4 && a.flags[1].value_index == 5);
  ck_assert_str_eq (a.flags[1].value, "CAP_A");
  ck_assert (a.flags[2].id == RF_CAP && a.flags[2].index == 6 && a.flags[2].value_index == -1);
  ck_assert_str_eq (a.flags[2].value, "CAP_B");
  ck_assert (a.flags[3].id == RF_NO_NEW_PRIVS && !a.flags[3].bval);
  ck_assert (a.flags[4].id == RF_USER && a.flags[4].index == 8);
  ck_assert_str_eq (a.flags[4].value, "0:0");
  ck_assert_uint_eq (a.n_args, 2);
  ocigate_argv_free (&a);

  /* reordered: the value of a flag written after the id */
  const char *const *w = ARGV ("restore", ID, "--lsm-profile", "apparmor:x", "--bundle=/b");
  ck_assert (ocigate_argv_parse (count (w), (char *const *)w, &a, &err) == 0);
  ck_assert_uint_eq (a.n_flags, 2);
  ck_assert (a.flags[0].id == RF_LSM_PROFILE && a.flags[0].index == 3
             && a.flags[0].value_index == 4);
  ck_assert_str_eq (a.args[0], ID);
  ocigate_argv_free (&a);
}
END_TEST

/* urfave drops the first empty value of a list, unless it is alone. */
START_TEST (test_empty_list_value)
{
  const char *const *v = ARGV ("exec", "--cap", "CAP_A", "--cap", "", "--cap", "", ID, "sh");
  ocigate_rt_argv_t a;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_argv_parse (count (v), (char *const *)v, &a, &err) == 0);
  ck_assert_uint_eq (a.n_flags, 3);
  ck_assert (!a.flags[0].ignored && a.flags[1].ignored && !a.flags[2].ignored);
  ocigate_argv_free (&a);
  const char *const *w = ARGV ("exec", "--cap", "", ID, "sh");
  ck_assert (ocigate_argv_parse (count (w), (char *const *)w, &a, &err) == 0);
  ck_assert (a.n_flags == 1 && !a.flags[0].ignored);
  ocigate_argv_free (&a);
}
END_TEST

/* What a failed parse leaves: the log destination, for the error line. */
START_TEST (test_error_keeps_log)
{
  const char *const *v = ARGV ("--log", "/l.json", "--log-format", "json", "create", "--nope", ID);
  ocigate_rt_argv_t a;
  ocigate_error_t err = NULL;
  ck_assert (ocigate_argv_parse (count (v), (char *const *)v, &a, &err) < 0);
  ck_assert_str_eq (a.log, "/l.json");
  ck_assert_str_eq (a.log_format, "json");
  ck_assert_msg (strstr (err->msg, "-nope") != NULL, "%s", err->msg);
  ocigate_error_free (&err);
  ocigate_argv_free (&a);
}
END_TEST

struct int_case
{
  const char *s;
  int base;
  bool ok;
  int64_t v;
};

static const struct int_case ints[] = {
  { "0", 10, true, 0 },
  { "+5", 10, true, 5 },
  { "-0", 10, true, 0 },
  { "007", 10, true, 7 },
  { "4294967296", 10, true, 4294967296LL },
  { "9223372036854775807", 10, true, INT64_MAX },
  { "9223372036854775808", 10, false, 0 },
  { "-9223372036854775808", 10, true, INT64_MIN },
  { "", 10, false, 0 },
  { "-", 10, false, 0 },
  { " 1", 10, false, 0 },
  { "1_000", 10, false, 0 },
  { "0x10", 10, false, 0 },
  { "0x10", 0, true, 16 },
  { "010", 0, true, 8 },
  { "08", 0, false, 0 },
  { "0b101", 0, true, 5 },
  { "0o17", 0, true, 15 },
  { "1_000", 0, true, 1000 },
  { "0x_1", 0, true, 1 },
  { "_1", 0, false, 0 },
  { "1__0", 0, false, 0 },
  { "1_", 0, false, 0 },
  { "0x", 0, false, 0 },
  { "-0x8000000000000000", 0, true, INT64_MIN },
};

START_TEST (test_go_parse_int)
{
  const struct int_case *c = &ints[_i];
  int64_t v = 0;
  bool ok = ocigate_go_parse_int (c->s, c->base, &v);
  ck_assert_msg (ok == c->ok, "\"%s\" base %d: ok %d", c->s, c->base, ok);
  if (ok)
    ck_assert_msg (v == c->v, "\"%s\" base %d: %lld", c->s, c->base, (long long)v);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("argv");
  TCase *tc = tcase_create ("argv");
  tcase_add_loop_test (tc, test_table, 0, (int)ARRAY_SIZE (cases));
  tcase_add_test (tc, test_occurrences);
  tcase_add_test (tc, test_error_keeps_log);
  tcase_add_test (tc, test_empty_list_value);
  tcase_add_loop_test (tc, test_go_parse_int, 0, (int)ARRAY_SIZE (ints));
  suite_add_tcase (s, tc);
  return tu_run (s);
}
