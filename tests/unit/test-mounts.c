/* SPDX-License-Identifier: Apache-2.0 */
/* The mount model and the mount rules: options in order as runc 1.1.5
 * applies them, host storage by type, paths walked as the kernel walks
 * them, this pod's own engine directories, check-then-use, read-only
 * binds of public files, root.path. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "testutil.h"

#define REJ OCIGATE_ACTION_REJECT
#define RW OCIGATE_ACTION_REWRITE
#define NEW_MOUNT "7" /* index of the first mount appended to the base config */
#define BUNDLE "/tmp/ocigate-bundle"

static const ocigate_eval_opts_t lexical = { .name = "t", .bundle = BUNDLE };

static ocigate_eval_opts_t
host_opts (const char *bundle)
{
  ocigate_eval_opts_t o = { .name = "t", .bundle = bundle ? bundle : BUNDLE, .host_checks = true };
  o.host = tu_host ((tu_host_t){ .apparmor = false, .apparmor_loaded = 0, .selinux = false });
  return o;
}

/* ---- the model ---- */

static ocigate_mount_t
model (ocigate_doc_t **keep, const char *type, const char *options)
{
  char *j = xasprintf ("{\"destination\":\"/m\",\"type\":\"%s\",\"source\":\"/s\","
                       "\"options\":%s}",
                       type, options);
  ocigate_error_t err = NULL;
  ocigate_json_parse_opts_t po = { .name = "m" };
  *keep = ocigate_json_parse (j, strlen (j), &po, &err);
  ck_assert (*keep != NULL);
  free (j);
  ocigate_mount_t m;
  ocigate_mount_parse (ocigate_doc_root (*keep), &m);
  return m;
}

static bool
ro_of (const char *type, const char *options, bool all)
{
  ocigate_doc_t *d;
  ocigate_mount_t m = model (&d, type, options);
  bool r = all ? ocigate_mount_readonly_all (&m) : ocigate_mount_readonly (&m);
  ocigate_doc_free (d);
  return r;
}

static bool
shared_of (const char *type, const char *options)
{
  ocigate_doc_t *d;
  ocigate_mount_t m = model (&d, type, options);
  bool r = ocigate_mount_shared (&m);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_model_order)
{
  /* the last of a pair wins */
  ck_assert (!ro_of ("sysfs", "[\"ro\",\"rw\"]", false));
  ck_assert (ro_of ("sysfs", "[\"rw\",\"ro\"]", false));
  ck_assert (ro_of ("sysfs", "[\"nosuid\",\"ro\",\"noexec\"]", false));
  /* runc applies the recursive forms to binds only */
  ck_assert (!ro_of ("sysfs", "[\"rro\"]", false));
  ck_assert (ro_of ("bind", "[\"rbind\",\"rro\"]", true));
  ck_assert (!ro_of ("bind", "[\"rbind\",\"rro\",\"rrw\"]", false));
  ck_assert (!ro_of ("bind", "[\"bind\",\"ro\",\"rrw\"]", false));
  ck_assert (ro_of ("none", "[\"rbind\",\"rrw\",\"rro\"]", true));
  /* rbind + ro: the top mount only */
  ck_assert (ro_of ("bind", "[\"rbind\",\"ro\"]", false));
  ck_assert (!ro_of ("bind", "[\"rbind\",\"ro\"]", true));
  ck_assert (ro_of ("bind", "[\"bind\",\"ro\"]", true));
  /* words runc does not know are data: case matters, "defaults" is data */
  ck_assert (!ro_of ("sysfs", "[\"RO\"]", false));
  ck_assert (!ro_of ("sysfs", "[\"ro=1\"]", false));
  ck_assert (ocigate_mount_word_is_data ("defaults"));
  ck_assert (ocigate_mount_word_is_data ("lowerdir=/etc"));
  ck_assert (ocigate_mount_word_is_data ("mode=755"));
  ck_assert (!ocigate_mount_word_is_data ("rnosuid"));
  ck_assert (!ocigate_mount_word_is_data ("tmpcopyup"));
  ck_assert (!ocigate_mount_word_is_data ("runbindable"));

  /* bind: type "bind", or bind/rbind among the words whatever the type */
  ocigate_doc_t *d;
  ocigate_mount_t m = model (&d, "overlay", "[\"ro\",\"rbind\"]");
  ck_assert (m.bind);
  ocigate_doc_free (d);
  m = model (&d, "tmpfs", "[\"bindx\",\"mode=755\"]");
  ck_assert (!m.bind);
  ocigate_doc_free (d);

  /* propagation: one mount(2) per word, in order */
  ck_assert (shared_of ("bind", "[\"rbind\",\"rprivate\",\"rshared\"]"));
  ck_assert (!shared_of ("bind", "[\"rbind\",\"rshared\",\"rprivate\"]"));
  ck_assert (!shared_of ("bind", "[\"bind\",\"shared\",\"private\"]"));
  /* the top mount private, its submounts still shared */
  ck_assert (shared_of ("bind", "[\"rbind\",\"rshared\",\"private\"]"));
  ck_assert (!shared_of ("bind", "[\"bind\",\"rshared\",\"private\"]"));
  ck_assert (!shared_of ("bind", "[\"rbind\",\"rslave\"]"));
}
END_TEST

/* ---- helpers for rule tests ---- */

static ocigate_doc_t *
with_mount (const char *type, const char *source, const char *options)
{
  ocigate_doc_t *d = tu_base ();
  char *m = xasprintf ("{\"destination\":\"/mnt\",\"type\":\"%s\",\"source\":\"%s\","
                       "\"options\":%s}",
                       type, source, options ? options : "[\"rbind\",\"ro\"]");
  tu_append (d, "mounts", m);
  free (m);
  return d;
}

static void
annotate (ocigate_doc_t *d, const char *json)
{
  if (json)
    tu_set (d, "annotations", json);
}

/* Does host-mounts reject the appended mount (at ptr_field)? */
static bool
rejected_ex (const ocigate_policy_t *pol, const char *type, const char *source, const char *options,
             const ocigate_eval_opts_t *o, const char *annotations, const char *field)
{
  ocigate_doc_t *d = with_mount (type, source, options);
  annotate (d, annotations);
  ocigate_result_t res;
  tu_eval (pol, d, o, &res);
  char *p = xasprintf ("/mounts/" NEW_MOUNT "/%s", field);
  bool r = tu_has (&res, "host-mounts", REJ, p);
  free (p);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

static bool
rejected (const char *source, const char *options, const char *annotations)
{
  return rejected_ex (NULL, "bind", source, options, &lexical, annotations, "source");
}

/* ---- host-mounts (b): host storage by filesystem type ---- */

START_TEST (test_host_storage_types)
{
  static const char *const bad[][3] = {
    { "ext4", "/dev/vda", "[\"rw\"]" },
    { "xfs", "/dev/sda1", "[]" },
    { "overlay", "overlay", "[\"lowerdir=/etc:/root\",\"upperdir=/tmp/u\",\"workdir=/tmp/w\"]" },
    { "aufs", "none", "[\"br=/etc\"]" },
    { "nfs", "10.0.0.1:/export", "[\"addr=10.0.0.1\"]" },
    { "9p", "hostshare", "[\"trans=virtio\"]" },
    { "none", "/etc", "[\"nosuid\"]" },
    { "btrfs", "/dev/vdb", "[\"ro\"]" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (rejected_ex (NULL, bad[i][0], bad[i][1], bad[i][2], &lexical, NULL, "type"),
                   "%s", bad[i][0]);
  /* a mount without a type is refused too (fail closed) */
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "mounts", "{\"destination\":\"/mnt\",\"source\":\"/dev/vda\"}");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "host-mounts", REJ, "/mounts/" NEW_MOUNT "/type");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* near misses: the pseudo filesystems, whatever their source */
  static const char *const good[][3] = {
    { "tmpfs", "/dev/vda", "[\"nosuid\"]" },
    { "devpts", "devpts", "[\"newinstance\"]" },
    { "mqueue", "mqueue", "[]" },
    { "cgroup2", "cgroup", "[\"ro\"]" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!rejected_ex (NULL, good[i][0], good[i][1], good[i][2], &lexical, NULL, "type"),
                   "%s", good[i][0]);

  /* mounts.allowed_types lets a type through; others still trip */
  ocigate_policy_t *pol = tu_policy ("{\"mounts\":{\"allowed_types\":[\"nfs\"]}}");
  ck_assert (!rejected_ex (pol, "nfs", "10.0.0.1:/export", "[]", &lexical, NULL, "type"));
  ck_assert (rejected_ex (pol, "ext4", "/dev/vda", "[]", &lexical, NULL, "type"));
  ocigate_policy_free (pol);

  /* an allowed overlay or aufs still must not layer a sensitive directory */
  pol = tu_policy ("{\"mounts\":{\"allowed_types\":[\"overlay\",\"aufs\"]}}");
  ck_assert (!rejected_ex (pol, "overlay", "overlay",
                           "[\"lowerdir=/srv/l1:/srv/l2\",\"upperdir=/srv/u\",\"workdir=/srv/w\"]",
                           &lexical, NULL, "type"));
  ck_assert (rejected_ex (pol, "overlay", "overlay",
                          "[\"lowerdir=/srv/l1:/etc\",\"upperdir=/srv/u\",\"workdir=/srv/w\"]",
                          &lexical, NULL, "options/0"));
  ck_assert (rejected_ex (pol, "overlay", "overlay", "[\"ro\",\"lowerdir=/srv/l,upperdir=/root\"]",
                          &lexical, NULL, "options/1"));
  ck_assert (rejected_ex (pol, "overlay", "overlay", "[\"lowerdir=/srv/../etc\"]", &lexical, NULL,
                          "options/0"));
  ck_assert (rejected_ex (pol, "aufs", "none", "[\"br=/srv/rw=rw:/var/lib/kubelet=ro\"]", &lexical,
                          NULL, "options/0"));
  ck_assert (!rejected_ex (pol, "aufs", "none", "[\"br=/srv/rw=rw:/srv/ro=ro\"]", &lexical, NULL,
                           "options/0"));
  ocigate_policy_free (pol);
}
END_TEST

/* ---- paths as the kernel walks them ---- */

START_TEST (test_paths_offline)
{
  /* /var/run -> /run is followed before the "..": the kernel reaches "/" */
  ck_assert (rejected ("/var/run/../var/run/..", NULL, NULL));
  ck_assert (rejected ("/tmp/../tmp/x", NULL, NULL));
  /* a leading ".." is never dropped */
  ck_assert (rejected ("../../../../etc", NULL, NULL));
  ck_assert (rejected ("data/../../x", NULL, NULL));
  ck_assert (rejected ("/var/run/docker.sock", NULL, NULL));
  ck_assert (rejected ("/var/run/containers/storage", NULL, NULL));
  /* near misses: "//", "/./", a trailing "/", a name with dots */
  ck_assert (!rejected ("/tmp//data/./x/", NULL, NULL));
  ck_assert (!rejected ("/tmp/..data/x...", NULL, NULL));
  ck_assert (!rejected ("data", NULL, NULL));
  ck_assert (!rejected ("./data/", NULL, NULL));
}
END_TEST

START_TEST (test_sensitive_state_dirs)
{
  static const char *const bad[] = {
    "/var/lib/containers",
    "/var/lib/containers/storage",
    "/var/lib/containers/storage/overlay-containers/OTHER/userdata",
    "/run/containers",
    "/run/containers/storage/overlay-containers/OTHER/userdata/resolv.conf",
    "/var/run/containers/storage",
    "/var/log",
    "/var/log/pods/default_web_uid/app/0.log",
    "/var/log/ocigate/audit.jsonl",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (rejected (bad[i], NULL, NULL), "%s", bad[i]);
  static const char *const good[] = {
    "/var/lib/containers/storage/volumes/v/_data",
    "/var/lib/containers/storage/volumes/v/_data/sub",
    "/var/logx",
    "/run/containersx",
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!rejected (good[i], NULL, NULL), "%s", good[i]);
  ck_assert (rejected ("/var/lib/containers/storage/volumes/v/other", NULL, NULL));
}
END_TEST

/* ---- engine-managed directories: this pod's only ---- */

#define UID "6f1c7a52-3d4e-4b8a-9c0d-1e2f3a4b5c6d"
#define SID "6a15f24b27207aaf60b3abb7eae3d4c9f7b8955cb75c34a8ca2454557c397428"
/* The keys containerd always writes (tests/unit/test-identity.c): the
 * identity, and with it the pod's directories, holds only with all. */
#define CONTAINERD_ANN                                                                             \
  "{\"io.kubernetes.cri.sandbox-uid\":\"" UID "\",\"io.kubernetes.cri.sandbox-id\":\"" SID "\","   \
  "\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-name\":\"web\"," \
  "\"io.kubernetes.cri.sandbox-namespace\":\"default\",\"io.kubernetes.cri.container-name\":"      \
  "\"app\","                                                                                       \
  "\"io.kubernetes.cri.image-name\":\"localhost/busybox:test\"}"

START_TEST (test_own_dirs_containerd)
{
  static const char *const own[] = {
    "/var/lib/kubelet/pods/" UID "/etc-hosts",
    "/var/lib/kubelet/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-x7k2p",
    "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" SID "/resolv.conf",
    "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/" SID "/shm",
  };
  static const char *const other[] = {
    "/var/lib/kubelet/pods/0000aaaa-3d4e-4b8a-9c0d-1e2f3a4b5c6d/volumes/kubernetes.io~projected/"
    "kube-api-access-x",
    "/var/lib/kubelet/pods",
    "/var/lib/kubelet/pods/" UID "x/etc-hosts",
    "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/0ther/resolv.conf",
    "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/0ther/shm",
  };
  for (size_t i = 0; i < ARRAY_SIZE (own); i++)
    {
      ck_assert_msg (!rejected (own[i], NULL, CONTAINERD_ANN), "%s", own[i]);
      /* without the engine's annotations nothing is this pod's */
      ck_assert_msg (rejected (own[i], NULL, NULL), "%s", own[i]);
      /* podman copies --annotation verbatim and writes io.container.manager:
       * the containerd keys count only without it */
      ck_assert_msg (rejected (own[i], NULL,
                               "{\"io.container.manager\":\"libpod\","
                               "\"io.kubernetes.cri.sandbox-uid\":\"" UID "\","
                               "\"io.kubernetes.cri.sandbox-id\":\"" SID "\"}"),
                     "%s", own[i]);
    }
  for (size_t i = 0; i < ARRAY_SIZE (other); i++)
    ck_assert_msg (rejected (other[i], NULL, CONTAINERD_ANN), "%s", other[i]);
  /* a uid that is not one directory name names nothing */
  ck_assert (
      rejected ("/var/lib/kubelet/pods/x", NULL, "{\"io.kubernetes.cri.sandbox-uid\":\"\"}"));
  ck_assert (rejected ("/var/lib/kubelet/x", NULL, "{\"io.kubernetes.cri.sandbox-uid\":\"..\"}"));

  /* the real capture: every bind is this pod's own */
  char *path = xasprintf ("%s/generated/cri-container.json", TEST_DATA);
  char *buf;
  size_t len;
  ocigate_error_t err = NULL;
  ck_assert_int_eq (ocigate_read_file (path, 1 << 20, &buf, &len, &err), 0);
  ocigate_doc_t *d = ocigate_config_parse (buf, len, tu_default_policy (), path, &err);
  ck_assert (d != NULL);
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "host-mounts");
  ocigate_result_free (&res);
  /* the same config claiming another pod's token */
  tu_set (d, "mounts/11/source",
          "\"/var/lib/kubelet/pods/9c4b2e81-7d3a-4c5f-b6e2-3f1a0d9c8b7e/volumes/"
          "kubernetes.io~projected/kube-api-access-x7k2p\"");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "host-mounts", REJ, "/mounts/11/source");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  free (buf);
  free (path);
}
END_TEST

/* A CRI-O container's keys (tests/unit/test-identity.c): the kubelet's
 * labels, as annotations and as CRI-O's Labels JSON. */
#define CRIO_ANN                                                                                   \
  "{\"io.container.manager\":\"cri-o\",\"io.kubernetes.cri-o.SandboxID\":\"" SID "\","             \
  "\"io.kubernetes.cri-o.ContainerID\":\"c0ffee\","                                                \
  "\"io.kubernetes.cri-o.ContainerType\":\"container\","                                           \
  "\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.pod.uid\\\":\\\"" UID "\\\","               \
  "\\\"io.kubernetes.pod.name\\\":\\\"web\\\",\\\"io.kubernetes.pod.namespace\\\":"                \
  "\\\"default\\\","                                                                               \
  "\\\"io.kubernetes.container.name\\\":\\\"app\\\"}\","                                           \
  "\"io.kubernetes.pod.uid\":\"" UID "\",\"io.kubernetes.pod.name\":\"web\","                      \
  "\"io.kubernetes.pod.namespace\":\"default\",\"io.kubernetes.container.name\":\"app\"}"

START_TEST (test_own_dirs_crio_podman_docker)
{
  /* CRI-O: the pod uid from its kubelet labels, the sandbox's userdata */
  ck_assert (!rejected ("/var/lib/kubelet/pods/" UID "/etc-hosts", NULL, CRIO_ANN));
  ck_assert (!rejected ("/run/containers/storage/overlay-containers/" SID "/userdata/resolv.conf",
                        NULL, CRIO_ANN));
  ck_assert (!rejected ("/var/run/containers/storage/overlay-containers/" SID "/userdata/shm", NULL,
                        CRIO_ANN));
  ck_assert (rejected ("/run/containers/storage/overlay-containers/0ther/userdata/resolv.conf",
                       NULL, CRIO_ANN));
  ck_assert (rejected ("/run/containers/storage/overlay-containers/" SID, NULL, CRIO_ANN));
  ck_assert (rejected ("/var/lib/kubelet/pods/0ther/etc-hosts", NULL, CRIO_ANN));
  /* CRI-O keys without CRI-O's manager key count for nothing */
  ck_assert (rejected ("/run/containers/storage/overlay-containers/" SID "/userdata/resolv.conf",
                       NULL, "{\"io.kubernetes.cri-o.SandboxID\":\"" SID "\"}"));
  /* podman keeps a user's io.container.manager: a podman user writing
   * cri-o there and another pod's uid in the Labels JSON got that pod's
   * kubelet directory (its service-account token) */
  ck_assert (rejected (
      "/var/lib/kubelet/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-x", NULL,
      "{\"io.container.manager\":\"cri-o\","
      "\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.pod.uid\\\":\\\"" UID "\\\"}\"}"));
  ocigate_eval_opts_t pc
      = { .name = "t",
          .bundle = "/var/lib/containers/storage/overlay-containers/ABC/userdata",
          .runtime_call = true,
          .container_id = "ABC" };
  ck_assert (rejected_ex (NULL, "bind", "/var/lib/kubelet/pods/" UID "/etc-hosts", NULL, &pc,
                          CRIO_ANN, "source"));

  /* podman: the container's own userdata, found from its bundle */
  ocigate_eval_opts_t o
      = { .name = "t", .bundle = "/var/lib/containers/storage/overlay-containers/ABC/userdata" };
  ck_assert (!rejected_ex (NULL, "bind",
                           "/run/containers/storage/overlay-containers/ABC/userdata/hosts",
                           "[\"bind\",\"rprivate\"]", &o, NULL, "source"));
  ck_assert (!rejected_ex (NULL, "bind",
                           "/var/lib/containers/storage/overlay-containers/ABC/userdata/shm",
                           "[\"bind\",\"rprivate\"]", &o, NULL, "source"));
  ck_assert (rejected_ex (NULL, "bind",
                          "/run/containers/storage/overlay-containers/DEF/userdata/hosts",
                          "[\"bind\",\"rprivate\"]", &o, NULL, "source"));
  /* Docker's shim bundle names the container */
  o.bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/ABC";
  ck_assert (!rejected_ex (NULL, "bind", "/var/lib/docker/containers/ABC/hostname", NULL, &o, NULL,
                           "source"));
  ck_assert (rejected_ex (NULL, "bind", "/var/lib/docker/containers/DEF/hostname", NULL, &o, NULL,
                          "source"));
  /* containerd's CRI: an image-declared volume of this container only */
  o.bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/ABC";
  ck_assert (!rejected_ex (
      NULL, "bind", "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/ABC/volumes/v1", NULL,
      &o, NULL, "source"));
  ck_assert (rejected_ex (NULL, "bind",
                          "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/DEF/volumes/v1",
                          NULL, &o, NULL, "source"));
}
END_TEST

/* ---- mounts.deny inside allowed prefixes ---- */

START_TEST (test_deny_inside_allow)
{
  ocigate_policy_t *pol = tu_policy ("{\"mounts\":{\"allow\":[\"/var/lib/kubelet/plugins\"],"
                                     "\"deny\":[\"/var/lib/kubelet/plugins/secrets\","
                                     "\"/var/lib/kubelet/pods/" UID "/volumes/secret\","
                                     "\"/usr/share/private\"]}}");
  ck_assert (rejected_ex (pol, "bind", "/var/lib/kubelet/plugins/secrets/key", NULL, &lexical, NULL,
                          "source"));
  ck_assert (rejected_ex (pol, "bind", "/var/lib/kubelet/pods/" UID "/volumes/secret/token", NULL,
                          &lexical, CONTAINERD_ANN, "source"));
  ck_assert (rejected_ex (pol, "bind", "/usr/share/private", "[\"bind\",\"ro\"]", &lexical, NULL,
                          "source"));
  /* near misses: the rest of the allowed prefix, the rest of the pod */
  ck_assert (!rejected_ex (pol, "bind", "/var/lib/kubelet/plugins/csi.sock", NULL, &lexical, NULL,
                           "source"));
  ck_assert (!rejected_ex (pol, "bind", "/var/lib/kubelet/pods/" UID "/volumes/data", NULL,
                           &lexical, CONTAINERD_ANN, "source"));
  ocigate_policy_free (pol);
}
END_TEST

/* ---- read-only binds of public host files ---- */

/* Binds as NVIDIA's CDI spec generator writes them for a GPU (driver
 * libraries, binaries, firmware read-only; the persistenced socket). */
static const char *const gpu_binds[] = {
  "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05",
  "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05",
  "/usr/lib/x86_64-linux-gnu/libnvidia-ptxjitcompiler.so.535.104.05",
  "/usr/bin/nvidia-smi",
  "/usr/bin/nvidia-debugdump",
  "/lib/firmware/nvidia/535.104.05/gsp_ga10x.bin",
  "/run/nvidia-persistenced/socket",
  "/opt/nvidia/lib64/libnvidia-encode.so.535.104.05",
};

START_TEST (test_public_readonly)
{
  /* podman --init */
  ck_assert (!rejected ("/usr/bin/catatonit", "[\"bind\",\"private\",\"ro\"]", NULL));
  ck_assert (!rejected ("/usr/libexec/podman/catatonit", "[\"bind\",\"ro\"]", NULL));
  for (size_t i = 0; i < ARRAY_SIZE (gpu_binds); i++)
    ck_assert_msg (!rejected (gpu_binds[i], "[\"ro\",\"nosuid\",\"nodev\",\"bind\"]", NULL), "%s",
                   gpu_binds[i]);
  ck_assert (!rejected ("/usr/lib/x86_64-linux-gnu", "[\"rbind\",\"rro\"]", NULL));
  ck_assert (!rejected ("/lib/modules/6.1.0/kernel", "[\"bind\",\"ro\"]", NULL));

  /* writable, or read-only only on top, or not public: refused */
  static const char *const bad[][2] = {
    { "/usr/bin/catatonit", "[\"bind\"]" },
    { "/usr/bin/catatonit", "[\"bind\",\"ro\",\"rw\"]" },
    { "/usr/bin/catatonit", "[\"bind\",\"ro\",\"rrw\"]" },
    { "/usr/lib/x86_64-linux-gnu", "[\"rbind\",\"ro\"]" },
    { "/usr", "[\"bind\",\"ro\"]" },
    { "/lib/modules", "[\"rbind\",\"ro\"]" },
    { "/etc/passwd", "[\"bind\",\"ro\"]" },
    { "/root/.ssh", "[\"bind\",\"ro\"]" },
    { "/var/lib/kubelet/pki", "[\"bind\",\"ro\"]" },
    { "/var/lib/containerd/io.containerd.content.v1.content", "[\"bind\",\"ro\"]" },
    { "/var/log", "[\"bind\",\"ro\"]" },
    { "/usr/../etc", "[\"bind\",\"ro\"]" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (rejected (bad[i][0], bad[i][1], NULL), "%s %s", bad[i][0], bad[i][1]);
}
END_TEST

/* ---- runtime mode: the physical walk, non-root directories, pinning ---- */

/* The appended mount's source, as JSON text. */
static char *
new_source (ocigate_doc_t *d)
{
  const ocigate_json_t *m = oj_at (oj_get (ocigate_doc_root (d), "mounts"), 7);
  return tu_json (oj_get (m, "source"));
}

START_TEST (test_paths_host)
{
  ocigate_eval_opts_t o = host_opts (NULL);
  /* /var/run is a symlink to /run here: the kernel reaches "/" */
  struct stat st;
  if (lstat ("/var/run", &st) == 0 && S_ISLNK (st.st_mode))
    ck_assert (rejected_ex (NULL, "bind", "/var/run/../var/run/..", NULL, &o, NULL, "source"));
  ck_assert (rejected_ex (NULL, "bind", "/proc/self/root", NULL, &o, NULL, "source"));
  ck_assert (rejected_ex (NULL, "bind", "/dev/fd/../../etc", NULL, &o, NULL, "source"));
  /* a relative source is joined to the bundle, ".." kept */
  ck_assert (rejected_ex (NULL, "bind", "../../../../../../../../etc", NULL, &o, NULL, "source"));

  if (geteuid () != 0)
    return; /* the rest needs root-owned directories */
  char dir[] = "/tmp/ocigate-mnt-XXXXXX";
  ck_assert (mkdtemp (dir) != NULL);
  ck_assert_int_eq (chmod (dir, 0755), 0);
  char *target = xasprintf ("%s/target", dir);
  char *link = xasprintf ("%s/link", dir);
  char *open_dir = xasprintf ("%s/open", dir);
  char *open_link = xasprintf ("%s/open/link", dir);
  char *open_target = xasprintf ("%s/open/target", dir);
  ck_assert_int_eq (mkdir (target, 0755), 0);
  ck_assert_int_eq (symlink ("target", link), 0);
  ck_assert_int_eq (mkdir (open_dir, 0777), 0);
  ck_assert_int_eq (chmod (open_dir, 0777), 0);
  ck_assert_int_eq (mkdir (open_target, 0755), 0);
  ck_assert_int_eq (symlink ("../target", open_link), 0);

  /* a link anyone can swap: refused, wherever it points now */
  ck_assert (rejected_ex (NULL, "bind", open_link, NULL, &o, NULL, "source"));
  ck_assert (rejected_ex (NULL, "bind", open_target, NULL, &o, NULL, "source"));
  char *missing = xasprintf ("%s/open/not-yet", dir);
  ck_assert (rejected_ex (NULL, "bind", missing, NULL, &o, NULL, "source"));
  /* lexically harmless: only the walk sees it */
  ck_assert (!rejected_ex (NULL, "bind", open_link, NULL, &lexical, NULL, "source"));
  /* owned by someone else */
  ck_assert_int_eq (chmod (open_dir, 0755), 0);
  ck_assert_int_eq (chown (open_dir, 65534, 65534), 0);
  ck_assert (rejected_ex (NULL, "bind", open_target, NULL, &o, NULL, "source"));
  /* near miss: sticky, like /tmp, with a root-owned entry */
  ck_assert_int_eq (chown (open_dir, 0, 0), 0);
  ck_assert_int_eq (chmod (open_dir, 01777), 0);
  ck_assert (!rejected_ex (NULL, "bind", open_target, NULL, &o, NULL, "source"));
  ck_assert_int_eq (lchown (open_link, 65534, 65534), 0);
  ck_assert (rejected_ex (NULL, "bind", open_link, NULL, &o, NULL, "source"));

  /* a link in root's directory: allowed, and pinned to where it leads */
  ocigate_doc_t *d = with_mount ("bind", link, NULL);
  ocigate_result_t res;
  tu_rewrite (NULL, d, &o, &res);
  ck_assert_finding (&res, "host-mounts", RW, "/mounts/" NEW_MOUNT "/source");
  ck_assert (!res.reject);
  ocigate_result_free (&res);
  char *want = xasprintf ("\"%s\"", target);
  char *got = new_source (d);
  ck_assert_str_eq (got, want);
  free (got);
  got = tu_json_at (d, "annotations/ocigate.rewrites");
  ck_assert_msg (strstr (got, "host-mounts") != NULL, "%s", got);
  free (got);
  /* idempotent: the pinned path needs nothing more */
  tu_eval (NULL, d, &o, &res);
  ck_assert_no_finding (&res, "host-mounts");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* a relative source is pinned to the bundle's physical place */
  ocigate_eval_opts_t ob = host_opts (link);
  d = with_mount ("bind", "sub/../x", NULL);
  tu_rewrite (NULL, d, &ob, &res);
  ck_assert (!res.reject);
  ocigate_result_free (&res);
  free (want);
  want = xasprintf ("\"%s/x\"", target);
  got = new_source (d);
  ck_assert_str_eq (got, want);
  free (got);
  ocigate_doc_free (d);
  /* validate --host only reports; a warn policy changes nothing */
  ocigate_policy_t *warn = tu_policy ("{\"mode\":\"warn\"}");
  d = with_mount ("bind", link, NULL);
  tu_rewrite (warn, d, &o, &res);
  ocigate_result_free (&res);
  got = new_source (d);
  free (want);
  want = xasprintf ("\"%s\"", link);
  ck_assert_str_eq (got, want);
  free (got);
  ocigate_doc_free (d);
  ocigate_policy_free (warn);

  unlink (open_link);
  rmdir (open_target);
  rmdir (open_dir);
  unlink (link);
  rmdir (target);
  rmdir (dir);
  free (want);
  free (missing);
  free (target);
  free (link);
  free (open_dir);
  free (open_link);
  free (open_target);
}
END_TEST

/* ---- kernel-mounts and privileged: options in order ---- */

static size_t
count_with (const char *path, const char *options, const char *rule)
{
  ocigate_doc_t *d = tu_base ();
  tu_set (d, path, options);
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  size_t n = tu_count (&res, rule);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return n;
}

START_TEST (test_kernel_mounts_order)
{
  ck_assert_uint_eq (count_with ("mounts/5/options", "[\"nosuid\",\"ro\",\"rw\"]", "kernel-mounts"),
                     1);
  ck_assert_uint_eq (count_with ("mounts/5/options", "[\"nosuid\",\"rw\",\"ro\"]", "kernel-mounts"),
                     0);
  /* runc ignores rro on sysfs */
  ck_assert_uint_eq (count_with ("mounts/5/options", "[\"nosuid\",\"rro\"]", "kernel-mounts"), 1);
  ck_assert_uint_eq (count_with ("mounts/5/options", "[\"RO\"]", "kernel-mounts"), 1);
  ck_assert_uint_eq (count_with ("mounts/6/options", "[\"ro\",\"rw\"]", "kernel-mounts"), 1);
  ck_assert_uint_eq (count_with ("mounts/6/options", "[\"rw\",\"ro\"]", "kernel-mounts"), 0);

  /* privileged's sysfs piece reads the same model: with no masked paths
   * it takes two pieces */
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "linux/maskedPaths", "[]");
  tu_set (d, "linux/readonlyPaths", "[]");
  tu_set (d, "mounts/5/options", "[\"ro\",\"rw\"]");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_uint_eq (tu_count (&res, "privileged"), 1);
  ocigate_result_free (&res);
  tu_set (d, "mounts/5/options", "[\"rw\",\"ro\"]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "privileged");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

static bool mount_finding (const char *rule, const char *mount, const ocigate_eval_opts_t *o,
                           const char *field);

/* A tmpfs at /data with these options (freed at the next call). */
static const char *
tmpfs_with (const char *options)
{
  static char *last;
  free (last);
  last = xasprintf ("{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                    "\"options\":%s}",
                    options);
  return last;
}

START_TEST (test_propagation_order)
{
  ocigate_doc_t *d = with_mount ("bind", "/tmp/data", "[\"rbind\",\"rshared\",\"private\"]");
  ocigate_result_t res;
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_finding (&res, "mount-propagation", REJ, "/mounts/" NEW_MOUNT "/options");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  d = with_mount ("bind", "/tmp/data", "[\"rbind\",\"rshared\",\"rprivate\"]");
  tu_eval (NULL, d, &lexical, &res);
  ck_assert_no_finding (&res, "mount-propagation");
  ocigate_result_free (&res);
  ocigate_doc_free (d);

  /* runc applies the words to every mount, not binds only */
  static const char *const shared[]
      = { "[\"rshared\"]", "[\"nosuid\",\"shared\"]", "[\"rprivate\",\"rshared\",\"private\"]" };
  for (size_t i = 0; i < ARRAY_SIZE (shared); i++)
    ck_assert_msg (
        mount_finding ("mount-propagation", tmpfs_with (shared[i]), &lexical, "/options"), "%s",
        shared[i]);
  /* near misses: the last word private */
  static const char *const private[]
      = { "[\"rshared\",\"rprivate\"]", "[\"shared\",\"private\"]", "[\"rslave\"]" };
  for (size_t i = 0; i < ARRAY_SIZE (private); i++)
    ck_assert_msg (
        !mount_finding ("mount-propagation", tmpfs_with (private[i]), &lexical, "/options"), "%s",
        private[i]);
}
END_TEST

/* ---- remount: runc remounts an existing mount, the host's included ---- */

/* The finding of rule for the mount appended (at /mounts/7/options). */
static bool
mount_finding (const char *rule, const char *mount, const ocigate_eval_opts_t *o, const char *field)
{
  ocigate_doc_t *d = tu_base ();
  tu_append (d, "mounts", mount);
  ocigate_result_t res;
  tu_eval (NULL, d, o, &res);
  cleanup_free char *p = xasprintf ("/mounts/" NEW_MOUNT "%s", field);
  bool r = tu_has (&res, rule, REJ, p);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_remount)
{
  static const char *const bad[] = {
    /* through an image symlink /s -> /sys: the existing sysfs made rw */
    "{\"destination\":\"/s\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"remount\"]}",
    /* the root's own filesystem (a host tmpfs) */
    "{\"destination\":\"/\",\"type\":\"devpts\",\"options\":[\"remount\",\"ro\"]}",
    "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"remount\",\"ro\",\"size=2m\"]}",
    /* a read-only public bind made writable again */
    "{\"destination\":\"/usr/local/x\",\"type\":\"bind\",\"source\":\"/tmp/data\","
    "\"options\":[\"bind\",\"remount\"]}",
    "{\"destination\":\"/cg\",\"type\":\"cgroup2\",\"source\":\"cgroup\","
    "\"options\":[\"remount\"]}",
    /* set-only: no later word clears it */
    "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"remount\",\"rw\",\"noremount\",\"defaults\"]}",
    "{\"destination\":\"/data\",\"type\":\"none\",\"source\":\"none\","
    "\"options\":[\"ro\",\"remount\"]}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ck_assert_msg (mount_finding ("host-mounts", bad[i], &lexical, "/options"), "%s", bad[i]);
  /* near misses: the same mounts without the word, or with it as data */
  static const char *const good[] = {
    "{\"destination\":\"/s\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"newinstance\"]}",
    "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"ro\",\"size=2m\"]}",
    "{\"destination\":\"/usr/local/x\",\"type\":\"bind\",\"source\":\"/tmp/data\","
    "\"options\":[\"bind\",\"ro\"]}",
    "{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"REMOUNT\",\"remount=1\"]}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ck_assert_msg (!mount_finding ("host-mounts", good[i], &lexical, "/options"), "%s", good[i]);
}
END_TEST

/* ---- kernel-mounts: cgroup elsewhere, /proc and /sys through the image ---- */

START_TEST (test_kernel_mount_places)
{
  /* cgroup or cgroup2 anywhere but /sys/fs/cgroup shows the host's
   * hierarchy (no cgroup namespace needed for that) */
  ck_assert (mount_finding ("kernel-mounts",
                            "{\"destination\":\"/cg\",\"type\":\"cgroup2\",\"source\":\"cgroup\","
                            "\"options\":[\"ro\",\"nosuid\"]}",
                            &lexical, ""));
  ck_assert (mount_finding ("kernel-mounts",
                            "{\"destination\":\"/data/cg\",\"type\":\"cgroup\",\"source\":"
                            "\"cgroup\",\"options\":[\"ro\"]}",
                            &lexical, ""));
  /* near miss: the standard place (a second one is as the first) */
  ck_assert (!mount_finding ("kernel-mounts",
                             "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup2\",\"source\":"
                             "\"cgroup\",\"options\":[\"ro\",\"nosuid\"]}",
                             &lexical, ""));

  /* runtime mode: the image's symlinks lead the destination */
  char dir[] = "/tmp/ocigate-kplace-XXXXXX";
  ck_assert (mkdtemp (dir) != NULL);
  cleanup_free char *rootfs = xasprintf ("%s/rootfs", dir);
  cleanup_free char *s = xasprintf ("%s/rootfs/s", dir);
  cleanup_free char *k = xasprintf ("%s/rootfs/k", dir);
  cleanup_free char *data = xasprintf ("%s/rootfs/data", dir);
  cleanup_free char *dl = xasprintf ("%s/rootfs/d", dir);
  ck_assert_int_eq (mkdir (rootfs, 0755), 0);
  ck_assert_int_eq (mkdir (data, 0755), 0);
  ck_assert_int_eq (symlink ("/sys", s), 0);
  ck_assert_int_eq (symlink ("../../proc/sys", k), 0);
  ck_assert_int_eq (symlink ("data", dl), 0);
  ocigate_eval_opts_t o = host_opts (dir);
  static const char *const bad[] = {
    "{\"destination\":\"/s\",\"type\":\"devpts\",\"options\":[\"newinstance\"]}",
    "{\"destination\":\"k/kernel\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[]}",
    "{\"destination\":\"/s/fs/cgroup/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      ck_assert_msg (mount_finding ("kernel-mounts", bad[i], &o, ""), "%s", bad[i]);
      /* lexically the same mounts are elsewhere */
      ck_assert_msg (!mount_finding ("kernel-mounts", bad[i], &lexical, ""), "%s", bad[i]);
    }
  /* near miss: a link to a plain directory */
  ck_assert (!mount_finding ("kernel-mounts",
                             "{\"destination\":\"/d/pts\",\"type\":\"devpts\",\"source\":"
                             "\"devpts\",\"options\":[\"newinstance\"]}",
                             &o, ""));
  unlink (s);
  unlink (k);
  unlink (dl);
  rmdir (data);
  rmdir (rootfs);
  rmdir (dir);
}
END_TEST

/* ---- host lookups per evaluation are bounded ---- */

/* n read-only binds of /usr/share (and, alternate, /usr/lib) reached
 * through 100 climbs of /usr/.. each: about 100 lookups per source. */
static ocigate_doc_t *
many_binds (int n, bool alternate)
{
  strbuf_t via = { 0 }, arr = { 0 };
  for (int k = 0; k < 100; k++)
    strbuf_puts (&via, "/usr/..");
  strbuf_puts (&arr, "[");
  for (int i = 0; i < n; i++)
    strbuf_printf (&arr,
                   "%s{\"destination\":\"/m%d\",\"type\":\"bind\",\"source\":\"%s/usr/%s\","
                   "\"options\":[\"bind\",\"ro\"]}",
                   i ? "," : "", i, via.s, alternate && i % 2 ? "lib" : "share");
  strbuf_puts (&arr, "]");
  ocigate_doc_t *d = tu_base ();
  tu_set (d, "mounts", arr.s);
  free (via.s);
  free (arr.s);
  return d;
}

START_TEST (test_host_budget)
{
  ocigate_eval_opts_t o = host_opts (NULL);
  ocigate_result_t res;
  /* 1,100 sources of ~100 lookups: past the budget, not judged */
  ocigate_doc_t *d = many_binds (1100, true);
  tu_eval (NULL, d, &o, &res);
  bool found = false;
  for (size_t i = 0; i < res.n; i++)
    found |= strstr (res.f[i].message, "takes more than 100000 lookups") != NULL
             && res.f[i].action == REJ;
  ck_assert_msg (found, "no budget finding among %zu", res.n);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  /* near miss: the same source each time is judged once */
  d = many_binds (1100, false);
  tu_eval (NULL, d, &o, &res);
  for (size_t i = 0; i < res.n; i++)
    ck_assert_msg (res.f[i].action != REJ, "%.300s", res.f[i].message);
  ocigate_result_free (&res);
  ocigate_doc_free (d);
}
END_TEST

/* ---- root-path ---- */

static bool
root_rejected (const char *path, const ocigate_eval_opts_t *o)
{
  ocigate_doc_t *d = tu_base ();
  char *v = xasprintf ("\"%s\"", path);
  tu_set (d, "root/path", v);
  free (v);
  ocigate_result_t res;
  tu_eval (NULL, d, o, &res);
  bool r = tu_has (&res, "root-path", REJ, "/root/path");
  ocigate_result_free (&res);
  ocigate_doc_free (d);
  return r;
}

START_TEST (test_root_path_walk)
{
  /* offline: ".." cannot be judged; plain paths can */
  ck_assert (root_rejected ("/var/run/..", &lexical));
  ck_assert (root_rejected ("/srv/x/../rootfs", &lexical));
  ck_assert (root_rejected ("rootfs/../rootfs", &lexical));
  ck_assert (!root_rejected ("rootfs", &lexical));
  ck_assert (!root_rejected ("/srv/c1/rootfs", &lexical));
  ck_assert (!root_rejected ("/var/lib/containers/storage/overlay/x/merged", &lexical));

  ocigate_eval_opts_t o = host_opts (NULL);
  struct stat st;
  if (lstat ("/var/run", &st) == 0 && S_ISLNK (st.st_mode))
    ck_assert (root_rejected ("/var/run/..", &o));

  /* runc joins a relative root.path to the bundle's physical path: a
   * bundle reached through a deep symlink climbs from where it really is */
  char dir[] = "/tmp/ocigate-root-XXXXXX";
  ck_assert (mkdtemp (dir) != NULL);
  char *b = xasprintf ("%s/b", dir);
  char *deep = xasprintf ("%s/d1/d2/d3", dir);
  char *d1 = xasprintf ("%s/d1", dir), *d2 = xasprintf ("%s/d1/d2", dir);
  char *link = xasprintf ("%s/d1/d2/d3/l", dir);
  ck_assert_int_eq (mkdir (b, 0755), 0);
  ck_assert_int_eq (mkdir (d1, 0755), 0);
  ck_assert_int_eq (mkdir (d2, 0755), 0);
  ck_assert_int_eq (mkdir (deep, 0755), 0);
  ck_assert_int_eq (symlink (b, link), 0);
  ocigate_eval_opts_t ol = host_opts (link);
  ck_assert (root_rejected ("../../../etc", &ol));
  ck_assert (!root_rejected ("rootfs", &ol));
  ck_assert (!root_rejected ("../b/rootfs", &ol));
  unlink (link);
  rmdir (deep);
  rmdir (d2);
  rmdir (d1);
  rmdir (b);
  rmdir (dir);
  free (b);
  free (deep);
  free (d1);
  free (d2);
  free (link);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("mounts");
  TCase *tc = tcase_create ("mounts");
  tcase_add_test (tc, test_model_order);
  tcase_add_test (tc, test_host_storage_types);
  tcase_add_test (tc, test_paths_offline);
  tcase_add_test (tc, test_sensitive_state_dirs);
  tcase_add_test (tc, test_own_dirs_containerd);
  tcase_add_test (tc, test_own_dirs_crio_podman_docker);
  tcase_add_test (tc, test_deny_inside_allow);
  tcase_add_test (tc, test_public_readonly);
  tcase_add_test (tc, test_paths_host);
  tcase_add_test (tc, test_kernel_mounts_order);
  tcase_add_test (tc, test_propagation_order);
  tcase_add_test (tc, test_root_path_walk);
  tcase_add_test (tc, test_remount);
  tcase_add_test (tc, test_kernel_mount_places);
  tcase_add_test (tc, test_host_budget);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (suite ());
}
