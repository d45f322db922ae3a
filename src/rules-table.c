/* SPDX-License-Identifier: Apache-2.0 */
/* The rule catalogue (spec section 4): names, descriptions, preset
 * defaults and fix hints, as data.  The policy loader and the engine
 * both read it; what each rule runs is in engine.c. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "ocigate/engine.h"
#include "ocigate/policy.h"

#define A_OFF OCIGATE_ACTION_OFF
#define A_WARN OCIGATE_ACTION_WARN
#define A_RW OCIGATE_ACTION_REWRITE
#define A_REJ OCIGATE_ACTION_REJECT

/* rewrites: the rule has a rewrite a policy may ask for.  host-mounts
 * rewrites only to pin a source it judged safe; a mount of a sensitive
 * path has no rewrite. */
#define RULE(id_, name_, desc_, r_, b_, fix_, rewrites_)                                           \
  [id_] = { { name_, desc_, { r_, b_, A_WARN }, fix_ }, rewrites_ }

/* Columns: restricted, baseline; the privileged preset warns on
 * everything. */
static const struct
{
  ocigate_rule_info_t info;
  bool rewrites;
} catalogue[OCIGATE_RULE_COUNT] = {
  RULE (R_ROOT_USER, "root-user", "process runs as host root", A_REJ, A_OFF,
        "set securityContext.runAsNonRoot/runAsUser or USER in the image", true),
  RULE (R_ROOT_GROUP, "root-group", "process has host group root", A_WARN, A_OFF,
        "set securityContext.runAsGroup to a non-zero gid (podman --group-add / --user)", true),
  RULE (R_PRIVILEGED, "privileged", "container is privileged", A_REJ, A_REJ,
        "remove securityContext.privileged (podman: drop --privileged)", false),
  RULE (R_HOST_NAMESPACES, "host-namespaces", "container shares a host namespace", A_REJ, A_REJ,
        "remove hostPID/hostIPC/hostNetwork/hostUsers from the pod (podman: no --pid/--ipc/"
        "--uts/--network host)",
        false),
  RULE (R_HOST_MOUNTS, "host-mounts", "bind mount of a sensitive host path", A_REJ, A_REJ,
        "replace the hostPath volume with a volume that does not expose host system paths "
        "(podman: -v)",
        false),
  RULE (R_KERNEL_MOUNTS, "kernel-mounts", "unsafe /proc or /sys mount", A_REJ, A_REJ,
        "do not mount over /proc or /sys; remove procMount: Unmasked", false),
  RULE (R_DEVICES, "devices", "host device access", A_REJ, A_REJ,
        "remove the host device (podman --device) or use a device plugin", false),
  RULE (R_HOOKS, "hooks", "OCI hook not allowed", A_REJ, A_REJ,
        "remove the hook, or add its path to hooks.allowed in the policy", true),
  RULE (R_SYSCTLS, "sysctls", "unsafe sysctl", A_REJ, A_REJ,
        "use only namespaced safe sysctls (securityContext.sysctls), or add it to "
        "sysctls.allowed",
        true),
  RULE (R_CAPABILITIES, "capabilities", "capability not allowed", A_RW, A_RW,
        "drop capabilities: securityContext.capabilities.drop: [ALL] (podman --cap-drop=all)",
        true),
  RULE (R_NO_NEW_PRIVILEGES, "no-new-privileges", "privilege escalation allowed", A_RW, A_OFF,
        "set securityContext.allowPrivilegeEscalation: false (podman --security-opt "
        "no-new-privileges)",
        true),
  RULE (R_READONLY_ROOTFS, "readonly-rootfs", "root filesystem is writable", A_RW, A_OFF,
        "set securityContext.readOnlyRootFilesystem: true (podman --read-only)", true),
  RULE (R_SECCOMP, "seccomp", "seccomp missing or weak", A_RW, A_RW,
        "set securityContext.seccompProfile.type: RuntimeDefault (podman: no --security-opt "
        "seccomp=unconfined)",
        true),
  RULE (R_APPARMOR, "apparmor", "AppArmor confinement missing or disabled", A_RW, A_RW,
        "set securityContext.appArmorProfile.type: RuntimeDefault (podman: no --security-opt "
        "apparmor=unconfined)",
        true),
  RULE (R_SELINUX, "selinux", "SELinux confinement missing or disabled", A_RW, A_RW,
        "remove the privileged type from securityContext.seLinuxOptions (podman: no "
        "--security-opt label=disable)",
        true),
  RULE (R_MASKED_PATHS, "masked-paths", "default masked or read-only paths missing", A_RW, A_RW,
        "remove procMount: Unmasked (podman: no --security-opt unmask)", true),
  RULE (R_USERNS_HOST_ROOT, "userns-host-root", "user namespace maps host root", A_REJ, A_REJ,
        "map container ids to a host range that does not include 0", false),
  RULE (R_PROC_FD_CWD, "proc-fd-cwd", "working directory is a leaked file descriptor", A_REJ, A_REJ,
        "set workingDir to a directory inside the container", false),
  RULE (R_IMAGE_REGISTRY, "image-registry", "image not from an allowed registry", A_REJ, A_REJ,
        "use an image from a registry listed in images.allowed", false),
  RULE (R_ROOT_PATH, "root-path", "root filesystem is a host system path", A_REJ, A_REJ,
        "point root.path at the container's own root filesystem", false),
  RULE (R_NET_DEVICES, "net-devices", "host network interface moved into the container", A_REJ,
        A_REJ, "remove linux.netDevices; use a CNI network instead", false),
  RULE (R_MOUNT_PROPAGATION, "mount-propagation", "mount propagation shared with the host", A_REJ,
        A_REJ, "use mountPropagation: None or HostToContainer", false),
  RULE (R_RUNTIME_ANNOTATIONS, "runtime-annotations", "annotation the runtime acts on", A_RW, A_RW,
        "remove run.oci.*, org.systemd.property.*, org.criu.config and bundle annotations", true),
  RULE (R_PROCESS_LIMITS, "process-limits", "process asks for elevated scheduling", A_WARN, A_OFF,
        "remove the negative oomScoreAdj or real-time scheduling / I/O priority", false),
  RULE (R_CGROUPS_PATH, "cgroups-path", "container cgroup outside the engines' parents", A_REJ,
        A_REJ,
        "leave linux.cgroupsPath to the engine (kubelet's pod cgroup, podman's libpod_parent or "
        "machine.slice)",
        false),
  RULE (R_RESOURCE_LIMITS, "resource-limits", "no pids or memory limit", A_RW, A_OFF,
        "set resources.limits.memory in the pod spec; the pids limit is limits.pids in the "
        "policy (the kubelet's podPidsLimit for the pod)",
        true),
};

const ocigate_rule_info_t *
ocigate_rule_info (ocigate_rule_id_t id)
{
  return &catalogue[id].info;
}

int
ocigate_rule_lookup (const char *id)
{
  for (int i = 0; i < OCIGATE_RULE_COUNT; i++)
    if (strcmp (catalogue[i].info.id, id) == 0)
      return i;
  return -1;
}

bool
ocigate_rule_can_rewrite (ocigate_rule_id_t id)
{
  return catalogue[id].rewrites;
}
