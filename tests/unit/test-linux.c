/* SPDX-License-Identifier: Apache-2.0 */
/* Namespaces joined by path, joined user namespaces, cgroupsPath,
 * supplementary groups resolved by name, and sysctl names as runc writes
 * them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define WARN OCIGATE_ACTION_WARN

static const ocigate_eval_opts_t lexical = { .name = "test.json", .bundle = "/nonexistent" };

static ocigate_eval_opts_t
host_opts (const char *runtime_root, const char *bundle)
{
  ocigate_eval_opts_t o = { .name = "test.json",
                            .bundle = bundle ? bundle : "/nonexistent",
                            .host_checks = true,
                            .runtime_root = runtime_root };
  o.host = tu_host ((tu_host_t){ .apparmor = false, .apparmor_loaded = 0, .selinux = false });
  return o;
}

/* The keys containerd's CRI always writes for a container: its identity
 * (and with it the sandbox id and pod uid) is believed only with all. */
#define CONTAINERD_ANN(sid, extra)                                                                 \
  "{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"" sid    \
  "\",\"io.kubernetes.cri.sandbox-name\":\"web\",\"io.kubernetes.cri.sandbox-namespace\":"         \
  "\"default\",\"io.kubernetes.cri.container-name\":\"app\",\"io.kubernetes.cri.image-name\":"     \
  "\"localhost/busybox:test\"" extra "}"

static void
write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  ck_assert_msg (f != NULL, "%s: %s", path, strerror (errno));
  fputs (text, f);
  fclose (f);
}

static char *
make_tmpdir (void)
{
  char *d = xstrdup ("/tmp/ocigate-linux-XXXXXX");
  ck_assert (mkdtemp (d) != NULL);
  return d;
}

static void
rm_rf (const char *dir)
{
  char *cmd = xasprintf ("rm -rf -- '%s'", dir);
  ck_assert_int_eq (system (cmd), 0);
  free (cmd);
}

/* A child that unshares `flags` and waits; returns its pid. */
static pid_t
spawn_ns (int flags)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      char c = unshare (flags) == 0 ? 'y' : 'n';
      if (write (p[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  char c = 0;
  ck_assert_int_eq (read (p[0], &c, 1), 1);
  close (p[0]);
  close (p[1]);
  ck_assert_msg (c == 'y', "unshare(%#x) failed", flags);
  return pid;
}

static void
reap (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
write_map (pid_t pid, const char *file, const char *map)
{
  char *path = xasprintf ("/proc/%ld/%s", (long)pid, file);
  int fd = open (path, O_WRONLY);
  ck_assert_msg (fd >= 0, "%s: %s", path, strerror (errno));
  ck_assert_int_eq (write (fd, map, strlen (map)), (ssize_t)strlen (map));
  close (fd);
  free (path);
}

/* ---- namespaces joined by path ---- */

/* Judge the base config with namespace entry idx joining path. */
static bool
ns_rejected (int idx, const char *type, const char *path, const ocigate_eval_opts_t *o,
             const char *annotations)
{
  ocigate_doc_t *d = tu_base ();
  char *v = xasprintf ("\"%s\"", path);
  char *p = xasprintf ("linux/namespaces/%d/path", idx);
  char *t = xasprintf ("linux/namespaces/%d/type", idx);
  char *tv = xasprintf ("\"%s\"", type);
  tu_set (d, t, tv);
  tu_set (d, p, v);
  if (annotations)
    tu_set (d, "annotations", annotations);
  char *ptr = xasprintf ("/%s", p);
  ocigate_result_t res;
  tu_eval (NULL, d, o, &res);
  bool r = tu_has (&res, "host-namespaces", REJ, ptr);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  free (v);
  free (p);
  free (t);
  free (tv);
  free (ptr);
  return r;
}

START_TEST (test_ns_mount_by_path)
{
  /* Any mount namespace joined by path: runc would pivot_root the
   * processes already in it. */
  ck_assert (ns_rejected (4, "mount", "/proc/4242/ns/mnt", &lexical, NULL));
  ck_assert (ns_rejected (4, "mount", "/var/run/mntns/abc", &lexical, NULL));
  ck_assert (ns_rejected (4, "mount", "/run/netns/x", &lexical, NULL));
  pid_t pid = spawn_ns (CLONE_NEWNS);
  char *path = xasprintf ("/proc/%ld/ns/mnt", (long)pid);
  ocigate_eval_opts_t o = host_opts (NULL, NULL);
  bool r = ns_rejected (4, "mount", path, &o, NULL);
  reap (pid);
  free (path);
  ck_assert (r);
}
END_TEST

START_TEST (test_ns_shapes_offline)
{
  /* What the engines write passes lexically. */
  ck_assert (!ns_rejected (1, "network", "/proc/30732/ns/net", &lexical, NULL));
  ck_assert (!ns_rejected (2, "ipc", "/proc/30732/ns/ipc", &lexical, NULL));
  ck_assert (!ns_rejected (3, "uts", "/proc/30732/ns/uts", &lexical, NULL));
  ck_assert (!ns_rejected (0, "pid", "/proc/30732/ns/pid", &lexical, NULL));
  ck_assert (!ns_rejected (1, "network", "/var/run/netns/cni-66e596b0-1feb", &lexical, NULL));
  ck_assert (!ns_rejected (1, "network", "/run/netns/netns-1234", &lexical, NULL));
  ck_assert (!ns_rejected (2, "ipc", "/var/run/ipcns/0d3c-11", &lexical, NULL));
  ck_assert (!ns_rejected (3, "uts", "/var/run/utsns/0d3c-11", &lexical, NULL));
  ck_assert (!ns_rejected (1, "network", "/var/run/netns/0d3c-11", &lexical, NULL));
  /* Anything else is not a pod's. */
  ck_assert (ns_rejected (2, "ipc", "/proc/30732/ns/net", &lexical, NULL));
  ck_assert (ns_rejected (2, "ipc", "/var/run/netns/x", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/tmp/netns", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "proc/30732/ns/net", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/var/run/netns/../../tmp/x", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/var/run/netns/a/b", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/proc/030732/ns/net", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/proc/30732/task/30732/ns/net", &lexical, NULL));
  ck_assert (ns_rejected (1, "network", "/proc/1/ns/net", &lexical, NULL));
}
END_TEST

/* A fake runtime root holding container ID whose init is pid. */
static char *
fake_runtime_root (const char *id, pid_t pid, bool right_start)
{
  char *root = make_tmpdir ();
  char *dir = xasprintf ("%s/%s", root, id);
  ck_assert_int_eq (mkdir (dir, 0700), 0);
  char *statp = xasprintf ("/proc/%ld/stat", (long)pid);
  char buf[1024] = "";
  FILE *f = fopen (statp, "r");
  ck_assert (f != NULL);
  ck_assert (fgets (buf, sizeof (buf), f) != NULL);
  fclose (f);
  char *p = strrchr (buf, ')');
  for (int field = 2; field < 22; field++)
    p = strchr (p + 1, ' ');
  unsigned long long start = strtoull (p + 1, NULL, 10);
  char *json = xasprintf ("{\"id\":\"%s\",\"init_process_pid\":%ld,\"init_process_start\":%llu,"
                          "\"config\":{}}",
                          id, (long)pid, right_start ? start : start + 1);
  char *file = xasprintf ("%s/state.json", dir);
  write_file (file, json);
  free (dir);
  free (statp);
  free (json);
  free (file);
  return root;
}

START_TEST (test_ns_sandbox_host_checks)
{
  pid_t pid = spawn_ns (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
  char *net = xasprintf ("/proc/%ld/ns/net", (long)pid);
  char *ipc = xasprintf ("/proc/%ld/ns/ipc", (long)pid);
  char *root = fake_runtime_root ("sb1", pid, true);
  char *bad = fake_runtime_root ("sb1", pid, false);
  const char *ann = CONTAINERD_ANN ("sb1", "");
  const char *other = CONTAINERD_ANN ("sb2", "");
  /* The same sandbox id without containerd's full key set is not believed:
   * it names no sandbox, so only "some container of this runtime" holds. */
  const char *partial = "{\"io.kubernetes.cri.container-type\":\"container\","
                        "\"io.kubernetes.cri.sandbox-id\":\"sb2\"}";
  ocigate_eval_opts_t o = host_opts (root, NULL);
  ocigate_eval_opts_t ob = host_opts (bad, NULL);
  ocigate_eval_opts_t none = host_opts ("/nonexistent/runc-root", NULL);
  /* Near miss: the pod sandbox's init, named by the engine, or any
   * container of this runtime when no sandbox is named (podman --pod). */
  bool near1 = ns_rejected (1, "network", net, &o, ann);
  bool near2 = ns_rejected (2, "ipc", ipc, &o, ann);
  bool near3 = ns_rejected (1, "network", net, &o, NULL);
  bool near4 = ns_rejected (1, "network", net, &o, partial);
  /* Trips: another sandbox id, a reused pid (start time differs), a
   * process that is no container of this runtime. */
  bool trip1 = ns_rejected (1, "network", net, &o, other);
  bool trip2 = ns_rejected (1, "network", net, &ob, ann);
  bool trip3 = ns_rejected (1, "network", net, &none, NULL);
  bool trip4 = ns_rejected (2, "ipc", net, &o, ann); /* wrong type */
  reap (pid);
  rm_rf (root);
  rm_rf (bad);
  free (root);
  free (bad);
  free (net);
  free (ipc);
  ck_assert_msg (!near1 && !near2 && !near3 && !near4, "%d %d %d %d", near1, near2, near3, near4);
  ck_assert (trip1 && trip2 && trip3 && trip4);
}
END_TEST

/* The runtime root (--root, the caller's) only counts when it is root's
 * and no one else can write it or the state.json in it: a planted root
 * naming a host process as a container init does not make its
 * namespaces joinable. */
START_TEST (test_ns_runtime_root_trusted)
{
  pid_t pid = spawn_ns (CLONE_NEWNET);
  char *net = xasprintf ("/proc/%ld/ns/net", (long)pid);
  char *root = fake_runtime_root ("c1", pid, true);
  char *dir = xasprintf ("%s/c1", root);
  char *file = xasprintf ("%s/c1/state.json", root);
  ocigate_eval_opts_t o = host_opts (root, NULL);
  bool near = ns_rejected (1, "network", net, &o, NULL);
  chmod (root, 0777);
  bool trip1 = ns_rejected (1, "network", net, &o, NULL);
  chmod (root, 0700);
  chmod (dir, 0770);
  bool trip2 = ns_rejected (1, "network", net, &o, NULL);
  chmod (dir, 0700);
  chmod (file, 0666);
  bool trip3 = ns_rejected (1, "network", net, &o, NULL);
  chmod (file, 0644);
  bool near2 = ns_rejected (1, "network", net, &o, NULL);
  bool trip4 = geteuid () != 0
               || (chown (file, 12345, 12345) == 0 && ns_rejected (1, "network", net, &o, NULL));
  reap (pid);
  rm_rf (root);
  free (root);
  free (dir);
  free (file);
  free (net);
  ck_assert_msg (!near && !near2, "%d %d", near, near2);
  ck_assert_msg (trip1 && trip2 && trip3 && trip4, "%d %d %d %d", trip1, trip2, trip3, trip4);
}
END_TEST

/* ---- joined user namespaces ---- */

static void
join_userns (ocigate_doc_t *d, const char *path)
{
  char *v = xasprintf ("{\"type\":\"user\",\"path\":\"%s\"}", path);
  tu_append (d, "linux/namespaces", v);
  /* decoy mappings runc ignores when it joins */
  tu_set (d, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "process/user/uid", "0");
  tu_set (d, "process/user/gid", "0");
  free (v);
}

START_TEST (test_userns_joined_offline)
{
  ocigate_doc_t *d = tu_base ();
  join_userns (d, "/proc/4242/ns/user");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ck_assert_finding (&res, "userns-host-root", REJ, "/linux/namespaces/6/path");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* Near miss: a user namespace of its own with the same mappings. */
  d = tu_base ();
  tu_append (d, "linux/namespaces", "{\"type\":\"user\"}");
  tu_set (d, "linux/uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "linux/gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
  tu_set (d, "process/user/uid", "0");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "root-user");
  ck_assert_no_finding (&res, "userns-host-root");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

static void
eval_joined (pid_t pid, ocigate_result_t *res)
{
  char *path = xasprintf ("/proc/%ld/ns/user", (long)pid);
  ocigate_doc_t *d = tu_base ();
  join_userns (d, path);
  ocigate_eval_opts_t o = host_opts (NULL, NULL);
  tu_eval (NULL, d, &o, res);
  ocigate_doc_free (d);
  free (path);
}

START_TEST (test_userns_joined_real_map)
{
  /* The namespace really maps container 0 to host 0 (unshare -r as
   * root): the config's 0 -> 100000 is a decoy. */
  pid_t pid = spawn_ns (CLONE_NEWUSER);
  write_map (pid, "uid_map", "0 0 1\n");
  write_map (pid, "setgroups", "deny");
  write_map (pid, "gid_map", "0 0 1\n");
  ocigate_result_t res;
  eval_joined (pid, &res);
  reap (pid);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ck_assert_finding (&res, "userns-host-root", REJ, "/linux/namespaces/6/path");
  ocigate_result_free (&res);

  /* Near miss: its real map sends 0 to 100000. */
  pid = spawn_ns (CLONE_NEWUSER);
  write_map (pid, "uid_map", "0 100000 65536\n");
  write_map (pid, "gid_map", "0 100000 65536\n");
  eval_joined (pid, &res);
  reap (pid);
  ck_assert_no_finding (&res, "root-user");
  ck_assert_no_finding (&res, "root-group");
  ck_assert_no_finding (&res, "userns-host-root");
  ocigate_result_free (&res);

  /* A namespace that cannot be opened: fail closed. */
  ocigate_doc_t *d = tu_base ();
  join_userns (d, "/proc/999999999/ns/user");
  ocigate_eval_opts_t o = host_opts (NULL, NULL);
  tu_eval (NULL, d, &o, &res);
  ck_assert_finding (&res, "root-user", REJ, "/process/user/uid");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- cgroupsPath ---- */

#define UID "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d"
#define UID_ "6f1c7a52_3d4e_4b8a_9c0d_1e2f3a4b5c6d"

static bool
cg_rejected (const char *path, bool with_uid, const ocigate_eval_opts_t *o)
{
  ocigate_doc_t *d = tu_base ();
  if (path)
    {
      char *v = xasprintf ("\"%s\"", path);
      tu_set (d, "linux/cgroupsPath", v);
      free (v);
    }
  if (with_uid)
    tu_set (d, "annotations",
            CONTAINERD_ANN ("sb1", ",\"io.kubernetes.cri.sandbox-uid\":\"" UID "\""));
  ocigate_result_t res;
  tu_eval (NULL, d, o ? o : &lexical, &res);
  bool r = tu_has (&res, "cgroups-path", REJ, "/linux/cgroupsPath");
  ck_assert_uint_eq (tu_count (&res, "cgroups-path"), r ? 1u : 0u);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_cgroups_path)
{
  static const char *const ok[] = {
    "/kubepods/besteffort/pod" UID
    "/de6893510bcbf95eef1e1eb6871d0ee982f06eb2876e5e94370497868d8f742b",
    "/kubepods/burstable/pod" UID "/crio-abc",
    "/kubepods/pod" UID "/abc",
    "kubepods-besteffort-pod" UID_ ".slice:cri-containerd:abc",
    "kubepods-burstable-pod" UID_ ".slice:crio:abc",
    "kubepods-pod" UID_ ".slice:cri-containerd:abc",
    "machine.slice:libpod:90b7498774481ed37ac59293f2fa622875320c02158422bf03e2bce10b5886ab",
    "machine-libpod_pod_1234.slice:libpod:abc",
    "/libpod_parent/libpod-90b7498774481ed37ac59293f2fa622875320c02158422bf03e2bce10b5886ab",
    "/libpod_parent/1234abcd/libpod-abc",
    "/default/ctr-run",
    "/k8s.io/abc",
    "",
  };
  for (size_t i = 0; i < ARRAY_SIZE (ok); i++)
    ck_assert_msg (!cg_rejected (ok[i], true, NULL), "%s refused", ok[i]);
  ck_assert (!cg_rejected (NULL, false, NULL));
  ck_assert (!cg_rejected ("/kubepods/besteffort/pod1234-5678/abc", false, NULL));

  static const char *const bad[] = {
    "/system.slice/ssh.service",
    "/system.slice/cron.service/x",
    "/user.slice/user-1000.slice",
    "/init.scope/x",
    "/kubepods/../system.slice/ssh.service",
    "/kubepods/besteffort/pod" UID "/../../../system.slice",
    "/kubepods",
    "/kubepods/besteffort",
    "/kubepods/besteffort/pod" UID,
    "/kubepods/besteffort/podffffffff-3d4e-4b8a-9c0d-1e2f3a4b5c6d/abc",
    "/kubepods/besteffort/pod" UID "/abc/def",
    "/",
    "//",
    "system.slice/ssh.service",
    "abc",
    "/machine/qemu-1-vm",
    "/lxc/c1",
    "/a/b/c",
    "system.slice:docker:abc",
    ":libpod:abc",
    "-.slice:x:abc",
    "user.slice:libpod:abc",
    "system-foo.slice:x:abc",
    "kubepods.slice:cri-containerd:abc",
    "kubepods-besteffort.slice:cri-containerd:abc",
    "kubepods-besteffort-podffff.slice:cri-containerd:abc",
    "kubepods-besteffort-pod" UID_ ".slice:cri-containerd:system.slice",
    "machine.slice:libpod:x.slice",
    "machine.slice:a:b:c",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (cg_rejected (bad[i], true, NULL), "%s passed", bad[i]);
}
END_TEST

START_TEST (test_cgroups_path_existing)
{
  /* With host checks, a cgroup that already exists is someone else's. */
  const char *top = NULL;
  static const char *const hier[]
      = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
  char *dir = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (hier) && top == NULL; i++)
    {
      dir = xasprintf ("%s/ocigate-test-%ld", hier[i], (long)getpid ());
      if (mkdir (dir, 0755) == 0)
        top = hier[i];
      else
        free (dir);
    }
  ck_assert_msg (top != NULL, "cannot create a cgroup: %s", strerror (errno));
  char *leaf = xasprintf ("%s/leaf", dir);
  ck_assert_int_eq (mkdir (leaf, 0755), 0);
  char *path = xasprintf ("/ocigate-test-%ld/leaf", (long)getpid ());
  char *fresh = xasprintf ("/ocigate-test-%ld/fresh", (long)getpid ());
  ocigate_eval_opts_t o = host_opts (NULL, NULL);
  bool lex = cg_rejected (path, false, NULL);
  bool host = cg_rejected (path, false, &o);
  bool near = cg_rejected (fresh, false, &o);
  rmdir (leaf);
  rmdir (dir);
  free (leaf);
  free (dir);
  free (path);
  free (fresh);
  ck_assert (!lex);
  ck_assert (host);
  ck_assert (!near);
}
END_TEST

/* ---- supplementary groups by name ---- */

/* A bundle with rootfs/etc/group holding `group`; returns the bundle. */
static char *
group_bundle (const char *group)
{
  char *b = make_tmpdir ();
  char *etc = xasprintf ("%s/rootfs/etc", b);
  char *rootfs = xasprintf ("%s/rootfs", b);
  ck_assert_int_eq (mkdir (rootfs, 0755), 0);
  ck_assert_int_eq (mkdir (etc, 0755), 0);
  if (group)
    {
      char *f = xasprintf ("%s/group", etc);
      write_file (f, group);
      free (f);
    }
  free (etc);
  free (rootfs);
  return b;
}

static ocigate_policy_t *
root_group_reject (void)
{
  return tu_policy ("{\"rules\":{\"root-group\":\"reject\"}}");
}

static bool
gids_rejected (const char *bundle, const char *gids, const char *extra_mount, size_t index)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/additionalGids", gids);
  if (extra_mount)
    tu_append (d, "mounts", extra_mount);
  ocigate_policy_t *pol = root_group_reject ();
  ocigate_eval_opts_t o = host_opts (NULL, bundle);
  ocigate_result_t res;
  tu_eval (pol, d, &o, &res);
  char *ptr = xasprintf ("/process/user/additionalGids/%zu", index);
  bool r = tu_has (&res, "root-group", REJ, ptr);
  free (ptr);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_groups_by_name)
{
  char *b = group_bundle ("root:x:0:\n1234:x:0:\nusers:x:100:\n");
  ck_assert (gids_rejected (b, "[1234]", NULL, 0));
  ck_assert (!gids_rejected (b, "[100]", NULL, 0));
  ck_assert (!gids_rejected (b, "[100, 4321]", NULL, 1));
  /* Offline the gid is judged as a number (noted in the docs). */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "process/user/additionalGids", "[1234]");
  ocigate_policy_t *pol = root_group_reject ();
  ocigate_result_t res;
  ocigate_eval_opts_t lo = { .name = "t", .bundle = b };
  tu_eval (pol, d, &lo, &res);
  ck_assert_no_finding (&res, "root-group");
  ocigate_result_free (&res);
  /* The default policy warns. */
  ocigate_eval_opts_t o = host_opts (NULL, b);
  tu_eval (NULL, d, &o, &res);
  ck_assert_finding (&res, "root-group", WARN, "/process/user/additionalGids/0");
  ocigate_result_free (&res);
  /* exec: the container's rootfs judges the process's gids. */
  ocigate_error_t err = NULL;
  const char *pj = "{\"user\":{\"uid\":1000,\"gid\":1000,\"additionalGids\":[1234]},"
                   "\"args\":[\"sh\"],\"cwd\":\"/\",\"noNewPrivileges\":true}";
  ocigate_doc_t *pd = ocigate_process_parse (pj, strlen (pj), pol, "process.json", &err);
  ck_assert (pd != NULL);
  ck_assert_int_eq (ocigate_evaluate_process (pol, pd, d, &o, &res, &err), 0);
  ck_assert_finding (&res, "root-group", REJ, "/user/additionalGids/0");
  ocigate_result_free (&res);
  ocigate_doc_free (pd);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
  rm_rf (b);
  free (b);

  /* Lines as runc's parser reads them. */
  static const char *const zero[] = {
    "  1234:x:0:\n",     "1234\n",       "1234:x:junk:\n",
    "1234:x:+0:\n",      "1234:x:-0:\n", "\302\2401234:x:0:\r\n", /* U+00A0 first */
    "# c\n\n1234:x:00:", "1234:x::\n",
  };
  for (size_t i = 0; i < ARRAY_SIZE (zero); i++)
    {
      b = group_bundle (zero[i]);
      ck_assert_msg (gids_rejected (b, "[1234]", NULL, 0), "line %zu passed", i);
      rm_rf (b);
      free (b);
    }
  static const char *const not_zero[] = {
    "#1234:x:0:\n", "1234 :x:0:\nx", "01234:x:0:\n", "12345:x:0:\n", "g:x:1234:\n1234:x:0:\n",
  };
  for (size_t i = 0; i < ARRAY_SIZE (not_zero); i++)
    {
      b = group_bundle (not_zero[i]);
      ck_assert_msg (!gids_rejected (b, "[1234]", NULL, 0), "line %zu refused", i);
      rm_rf (b);
      free (b);
    }
  /* gid 0 already taken by the first entry: 1234 then matches by gid. */
  b = group_bundle ("1234:x:0:\ng:x:1234:\n");
  ck_assert (!gids_rejected (b, "[0, 1234]", NULL, 1));
  ck_assert (gids_rejected (b, "[0, 1234]", NULL, 0));
  rm_rf (b);
  free (b);
}
END_TEST

START_TEST (test_groups_file_location)
{
  /* /etc/group as a symlink is followed inside the rootfs, never to the
   * host's file. */
  char *b = group_bundle (NULL);
  char *link = xasprintf ("%s/rootfs/etc/group", b);
  char *real = xasprintf ("%s/rootfs/etc/group.real", b);
  write_file (real, "1234:x:0:\n");
  ck_assert_int_eq (symlink ("/etc/../../../etc/group.real", link), 0);
  ck_assert (gids_rejected (b, "[1234]", NULL, 0));
  unlink (link);
  ck_assert_int_eq (symlink ("/etc/passwd", link), 0); /* in the rootfs: absent */
  ck_assert (!gids_rejected (b, "[1234]", NULL, 0));
  free (link);
  free (real);

  /* A bind over /etc/group is what runc reads. */
  char *src = xasprintf ("%s/hostgroup", b);
  write_file (src, "1234:x:0:\n");
  char *m = xasprintf ("{\"destination\":\"/etc/group\",\"type\":\"bind\",\"source\":\"%s\","
                       "\"options\":[\"rbind\",\"ro\"]}",
                       src);
  ck_assert (gids_rejected (b, "[1234]", m, 0));
  free (m);
  /* A mount over /etc cannot be judged: fail closed. */
  ck_assert (gids_rejected (
      b, "[1234]", "{\"destination\":\"/etc\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", 0));
  ck_assert (!gids_rejected (
      b, "[1234]", "{\"destination\":\"/etcx\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", 0));
  free (src);
  rm_rf (b);
  free (b);

  /* /etc is a link inside the image: a mount where it leads replaces the
   * file runc reads, whatever the destination's spelling. */
  b = group_bundle (NULL);
  char *etc = xasprintf ("%s/rootfs/etc", b);
  char *data = xasprintf ("%s/rootfs/data", b);
  char *grp = xasprintf ("%s/rootfs/data/group", b);
  ck_assert_int_eq (rmdir (etc), 0);
  ck_assert_int_eq (mkdir (data, 0755), 0);
  write_file (grp, "users:x:100:\n");
  ck_assert_int_eq (symlink ("data", etc), 0);
  char *x = xasprintf ("%s/rootfs/x", b);
  ck_assert_int_eq (symlink ("/etc", x), 0);
  ck_assert (!gids_rejected (b, "[1234]", NULL, 0));
  ck_assert (gids_rejected (
      b, "[1234]", "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", 0));
  ck_assert (gids_rejected (
      b, "[1234]", "{\"destination\":\"/x/group\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", 0));
  ck_assert (!gids_rejected (
      b, "[1234]", "{\"destination\":\"/datax\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", 0));
  free (etc);
  free (data);
  free (grp);
  free (x);
  rm_rf (b);
  free (b);
}
END_TEST

START_TEST (test_groups_resolve_api)
{
  char *b = group_bundle ("1234:x:0:\n");
  char *rootfs = xasprintf ("%s/rootfs", b);
  int64_t want[] = { 1234, 5 }, got[2];
  ocigate_error_t err = NULL;
  ck_assert_int_eq (ocigate_groups_resolve (rootfs, want, 2, got, &err), 0);
  ck_assert_int_eq (got[0], 0);
  ck_assert_int_eq (got[1], 5);
  ck_assert_int_lt (ocigate_groups_resolve ("/nonexistent", want, 2, got, &err), 0);
  ocigate_error_free (&err);
  rm_rf (b);
  free (b);
  free (rootfs);
}
END_TEST

/* ---- sysctls ---- */

static size_t
sysctl_findings (const char *name, const ocigate_policy_t *pol)
{
  ocigate_doc_t *d = tu_base ();
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{\"");
  strbuf_puts (&b, name);
  strbuf_puts (&b, "\":\"1\"}");
  tu_set (d, "linux/sysctl", b.s);
  ocigate_result_t res;
  tu_eval (pol, d, &lexical, &res);
  size_t n = tu_count (&res, "sysctls");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  free (b.s);
  return n;
}

START_TEST (test_sysctl_names)
{
  /* runc writes /proc/sys/<name with '.' as '/'>, cleaned. */
  ck_assert_uint_eq (sysctl_findings ("kernel.shm_rmid_forced", NULL), 0);
  ck_assert_uint_eq (sysctl_findings ("kernel/shm_rmid_forced", NULL), 0);
  ck_assert_uint_eq (sysctl_findings ("kernel.shm_rmid_forced/", NULL), 0);
  ck_assert_uint_eq (sysctl_findings ("net.ipv4/../../kernel/core_pattern", NULL), 1);
  ck_assert_uint_eq (sysctl_findings ("net.ipv4.tcp_syncookies/../../../kernel/core_pattern", NULL),
                     1);
  ck_assert_uint_eq (sysctl_findings ("net.ipv4.tcp_syncookies.", NULL), 0);
  ck_assert_uint_eq (sysctl_findings ("net.ipv4..tcp_syncookies", NULL), 0);
  ck_assert_uint_eq (sysctl_findings ("net.ipv4.tcp_syncookiesx", NULL), 1);
  /* Policy entries in either spelling mean the same file. */
  ocigate_policy_t *pol = tu_policy ("{\"sysctls\":{\"allowed\":[\"net/core/somaxconn\","
                                     "\"kernel.msgmax\"]}}");
  ck_assert_uint_eq (sysctl_findings ("net.core.somaxconn", pol), 0);
  ck_assert_uint_eq (sysctl_findings ("net/core/somaxconn", pol), 0);
  ck_assert_uint_eq (sysctl_findings ("kernel/msgmax", pol), 0);
  ck_assert_uint_eq (sysctl_findings ("kernel.msgmnb", pol), 1);
  ocigate_policy_free (pol);
  /* every dot becomes a slash, those of ".." too: nothing climbs */
  char *p = ocigate_sysctl_path ("net.ipv4/../../kernel/core_pattern");
  ck_assert_str_eq (p, "/proc/sys/net/ipv4/kernel/core_pattern");
  free (p);
}
END_TEST

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Judge and strip n sysctls, half of them unsafe; returns seconds. */
static double
sysctl_run (size_t n)
{
  strbuf_t b = { 0 };
  strbuf_puts (&b, "{");
  for (size_t i = 0; i < n; i++)
    strbuf_printf (&b, "%s\"%s.%zu\":\"1\"", i ? "," : "",
                   i % 2 ? "kernel.shm_rmid_forced/x" : "net.ipv4.tcp_keepalive_time/../x", i);
  strbuf_puts (&b, "}");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/sysctl", b.s);
  ocigate_policy_t *pol = tu_policy ("{\"rules\":{\"sysctls\":\"rewrite\"}}");
  ocigate_result_t res;
  double t0 = now ();
  tu_rewrite (pol, d, &lexical, &res);
  double t = now () - t0;
  ck_assert_uint_eq (tu_count (&res, "sysctls"), n);
  ck_assert_uint_eq (oj_len (oj_path (ocigate_doc_root (d), "linux/sysctl")), 0);
  ocigate_result_free (&res);
  ocigate_policy_free (pol);
  ocigate_doc_free (d);
  free (b.s);
  return t;
}

START_TEST (test_sysctl_linear)
{
  double small = sysctl_run (12500);
  double big = sysctl_run (50000);
  printf ("# sysctls: 12.5k judged+stripped in %.3f s, 50k in %.3f s\n", small, big);
  /* Guards against quadratic work, not a speed target (bench/ has those):
   * bounds loose enough for sanitizers on a loaded machine. */
  ck_assert_msg (big < 5.0, "50k sysctls took %.2f s", big);
  /* four times the input, well under sixteen times the time */
  ck_assert_msg (big < 12 * small + 0.2, "not linear: %.3f s vs %.3f s", big, small);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("linux");
  TCase *tc = tcase_create ("linux");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_ns_mount_by_path);
  tcase_add_test (tc, test_ns_shapes_offline);
  tcase_add_test (tc, test_ns_sandbox_host_checks);
  tcase_add_test (tc, test_ns_runtime_root_trusted);
  tcase_add_test (tc, test_userns_joined_offline);
  tcase_add_test (tc, test_userns_joined_real_map);
  tcase_add_test (tc, test_cgroups_path);
  tcase_add_test (tc, test_cgroups_path_existing);
  tcase_add_test (tc, test_groups_by_name);
  tcase_add_test (tc, test_groups_file_location);
  tcase_add_test (tc, test_groups_resolve_api);
  tcase_add_test (tc, test_sysctl_names);
  tcase_add_test (tc, test_sysctl_linear);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
