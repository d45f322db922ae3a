#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Minimal CRI (runtime.v1) client for ocigate's end-to-end tests.

crictl is not packaged in Debian, so this talks gRPC to containerd's CRI
plugin directly.  The runtime.v1 schema is not vendored: containerd's binary
embeds the gzipped FileDescriptorProto of k8s.io/cri-api's api.proto, which is
extracted at run time (the gogoproto option import is dropped).  Needs the
Debian python3-grpcio and python3-protobuf: run with /usr/bin/python3.

Usage:  cri.py [--socket SOCK] [--containerd BIN | --descriptor FILE]
               [--timeout SEC] COMMAND ...
  SOCK defaults to $CRI_SOCKET or /run/containerd/containerd.sock; BIN (whose
  embedded schema is used) to $CRI_CONTAINERD_BINARY or /usr/bin/containerd;
  FILE ($CRI_DESCRIPTOR) is a FileDescriptorProto saved by dump-descriptor
  (plain or gzipped).  SEC is the gRPC deadline per call (default 60).
  Every command prints one JSON document on stdout (fields as in the proto,
  snake_case).  Exit 0 on success; a gRPC error prints
  {"error": {"code": "UNKNOWN", "details": "..."}} on stdout and exits 1;
  bad usage or an unreadable/invalid config file exits 2.

Commands (POD = pod sandbox id, CID = container id; ids may be unique
prefixes, as with crictl):
  version                       -> VersionResponse
  info                          -> runtime Status (verbose: CRI config)
  images                        -> [{"id", "repo_tags", "repo_digests"}]
  image-id NAME                 -> {"id": "sha256:..."} (what kubelet passes)
  runp [POD.json] [opts]        RunPodSandbox          -> {"pod_id": ...}
        --handler H  --name N  --namespace NS  --uid U  --attempt N
        --host-network  --host-pid  --host-ipc  --hostname H  --log-dir D
        --cgroup-parent P  --label K=V  --annotation K=V  --sysctl K=V
        --privileged  --seccomp PROFILE  --user UID
  create POD [CTR.json] [opts] [-- COMMAND...]
                                CreateContainer        -> {"container_id": ...}
        --pod POD.json  (sandbox config to send; default: the one the pod
                        was created with, read from PodSandboxStatus verbose)
        --name N  --image REF  --attempt N  --workdir D  --env K=V
        --label K=V  --annotation K=V  --mount HOST:CTR[:ro]
        --log-path P  --tty  --stdin
        --user UID  --group GID  --privileged  --readonly-rootfs
        --no-new-privs  --cap-add CAP  --cap-drop CAP  (repeatable; ALL ok)
        --seccomp runtime-default|unconfined|localhost/PATH
        --ns-net / --ns-pid / --ns-ipc  pod|container|node|target
        --target-id CID
        Everything after "--" becomes ContainerConfig.command.
  start CID                     StartContainer         -> {}
  status CID [--verbose] [--wait STATE] [--wait-timeout SEC]
                                ContainerStatus        -> {"id", "name",
                                "state", "exit_code", "reason", "message",
                                "created_at", "started_at", "finished_at",
                                "image", "image_ref", "log_path"
                                [, "info": {...} with --verbose]}
                                --wait CONTAINER_EXITED polls until that
                                state (default timeout 30 s).
  exec CID [--timeout SEC] -- CMD...
                                ExecSync  -> {"exit_code", "stdout", "stderr"}
  stop CID [--timeout SEC]      StopContainer          -> {}
  rm CID                        RemoveContainer        -> {}
  ps [--pod POD]                ListContainers -> [{"id","pod_id","name","state"}]
  pods                          ListPodSandbox -> [{"id","name","namespace","state"}]
  inspectp POD [--verbose]      PodSandboxStatus       -> status (+ info)
  stopp POD                     StopPodSandbox         -> {}
  rmp POD                       RemovePodSandbox       -> {}
  cleanup                       stop and remove every container and pod
                                -> {"containers": [...], "pods": [...],
                                    "errors": [...]}
  call METHOD [REQUEST.json|-]  any RuntimeService/ImageService method with a
                                request in protobuf JSON -> response as JSON
  dump-descriptor OUT           write the extracted FileDescriptorProto

POD.json / CTR.json are runtime.v1 PodSandboxConfig / ContainerConfig in
protobuf JSON (snake_case or lowerCamelCase field names, enums by name or
number); options override or fill fields.  Defaults filled when absent,
as kubelet does: metadata (name, namespace "default", random uid),
linux.security_context.namespace_options.pid CONTAINER, and a container
inherits the pod's namespace options.  Example:

  cri.py --socket S runp --handler ocigate --name p1 --host-network
  cri.py --socket S create POD --name c1 --image localhost/busybox:test \
         --user 1000 --cap-drop ALL -- /bin/sleep 60
  cri.py --socket S start CID
  cri.py --socket S status CID --wait CONTAINER_EXITED
"""

import argparse
import gzip
import json
import os
import re
import sys
import time
import uuid
import zlib

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

PACKAGE = "runtime.v1"
GOGO = "github.com/gogo/protobuf/gogoproto/gogo.proto"
_GZ_MAGIC = re.compile(re.escape(b"\x1f\x8b\x08\x00\x00\x00\x00\x00"))


class UsageError(Exception):
    pass


# ---- schema ----------------------------------------------------------------

def extract_descriptor(binary):
    """Return the raw FileDescriptorProto bytes of runtime.v1 in BINARY."""
    with open(binary, "rb") as fh:
        data = fh.read()
    for m in _GZ_MAGIC.finditer(data):
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                data[m.start():m.start() + (4 << 20)])
        except zlib.error:
            continue
        try:
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        except Exception:  # noqa: BLE001 - not a descriptor
            continue
        if fd.package == PACKAGE and any(s.name == "RuntimeService"
                                         for s in fd.service):
            return raw
    raise RuntimeError("no %s API descriptor found in %s" % (PACKAGE, binary))


class Schema:
    def __init__(self, raw):
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        # gogoproto options are extensions we do not load: they parse as
        # unknown fields; drop them and the import (map_entry etc. stay).
        del fd.dependency[:]
        fd.DiscardUnknownFields()
        self.pool = descriptor_pool.DescriptorPool()
        self.pool.Add(fd)
        self.file = self.pool.FindFileByName(fd.name)
        self._factory = None
        self.methods = {}
        for svc in self.file.services_by_name.values():
            for m in svc.methods:
                self.methods[m.name] = (svc.full_name, m)

    def cls(self, name):
        desc = self.pool.FindMessageTypeByName(
            name if "." in name else PACKAGE + "." + name)
        get = getattr(message_factory, "GetMessageClass", None)
        if get is not None:
            return get(desc)
        if self._factory is None:
            self._factory = message_factory.MessageFactory(self.pool)
        return self._factory.GetPrototype(desc)

    def enum_name(self, enum, number):
        e = self.pool.FindEnumTypeByName(PACKAGE + "." + enum)
        v = e.values_by_number.get(number)
        return v.name if v else number


# ---- client ----------------------------------------------------------------

class Client:
    def __init__(self, socket, schema, timeout):
        target = socket if "://" in socket else "unix://" + os.path.abspath(socket)
        # An error's message travels in the trailers; grpc-go (kubelet)
        # accepts 16 MiB of them, grpc-python only 8 KiB by default and
        # then reports "Received RST_STREAM" instead of the message.
        self.channel = grpc.insecure_channel(
            target, options=[("grpc.max_metadata_size", 16 << 20)])
        self.schema = schema
        self.timeout = timeout

    def call(self, method, request=None, **fields):
        svc, m = self.schema.methods[method]
        req_cls = self.schema.cls(m.input_type.full_name)
        resp_cls = self.schema.cls(m.output_type.full_name)
        if request is None:
            request = req_cls()
            if fields:
                json_format.ParseDict(fields, request)
        fn = self.channel.unary_unary("/%s/%s" % (svc, method),
                                      request_serializer=req_cls.SerializeToString,
                                      response_deserializer=resp_cls.FromString)
        return fn(request, timeout=self.timeout)

    def new(self, name):
        return self.schema.cls(name)()


def to_dict(msg):
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def to_out(msg):
    """Message -> dict for printing: every field, defaults included."""
    try:
        return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                         including_default_value_fields=True)
    except TypeError:  # protobuf >= 5.26 renamed the option
        return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)


def emit(obj):
    json.dump(obj, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def _kv(items, what):
    out = {}
    for it in items or []:
        if "=" not in it:
            raise UsageError("%s wants KEY=VALUE, got %r" % (what, it))
        k, v = it.split("=", 1)
        out[k] = v
    return out


def _load_json(path):
    if path is None:
        return {}
    if path == "-":
        return json.load(sys.stdin)
    with open(path) as fh:
        return json.load(fh)


def _ns_mode(v):
    modes = {"pod": "POD", "container": "CONTAINER", "node": "NODE",
             "host": "NODE", "target": "TARGET"}
    if v.lower() not in modes:
        raise UsageError("namespace mode must be pod|container|node|target")
    return modes[v.lower()]


def _seccomp(v):
    """--seccomp value -> (SecurityProfile dict, legacy seccomp_profile_path)"""
    if v in ("runtime-default", "RuntimeDefault", "runtime/default"):
        return {"profile_type": "RuntimeDefault"}, "runtime/default"
    if v in ("unconfined", "Unconfined"):
        return {"profile_type": "Unconfined"}, "unconfined"
    if v.startswith("localhost/"):
        return ({"profile_type": "Localhost", "localhost_ref": v[len("localhost/"):]},
                v)
    raise UsageError("--seccomp runtime-default|unconfined|localhost/PATH")


def _set(d, path, value):
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def _get(d, path, default=None):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


# ---- resolving ids -----------------------------------------------------------

def resolve_pod(c, prefix):
    resp = c.call("ListPodSandbox")
    hits = [p.id for p in resp.items if p.id.startswith(prefix)]
    if len(hits) == 1:
        return hits[0]
    if prefix in hits:
        return prefix
    if not hits:
        # maybe already gone: let the runtime report it
        return prefix
    raise UsageError("pod id prefix %r is ambiguous" % prefix)


def resolve_ctr(c, prefix):
    resp = c.call("ListContainers")
    hits = [x.id for x in resp.containers if x.id.startswith(prefix)]
    if len(hits) == 1:
        return hits[0]
    if prefix in hits:
        return prefix
    if not hits:
        return prefix
    raise UsageError("container id prefix %r is ambiguous" % prefix)


# ---- commands ----------------------------------------------------------------

def build_pod_config(c, a):
    base = _load_json(a.config)
    cfg = c.new("PodSandboxConfig")
    json_format.ParseDict(base, cfg)
    d = to_dict(cfg)
    md = d.setdefault("metadata", {})
    if a.name:
        md["name"] = a.name
    if a.namespace:
        md["namespace"] = a.namespace
    if a.uid:
        md["uid"] = a.uid
    if a.attempt is not None:
        md["attempt"] = a.attempt
    md.setdefault("name", "pod-" + uuid.uuid4().hex[:8])
    md.setdefault("namespace", "default")
    md.setdefault("uid", str(uuid.uuid4()))
    if a.hostname:
        d["hostname"] = a.hostname
    if a.log_dir:
        d["log_directory"] = a.log_dir
    if a.cgroup_parent:
        _set(d, ["linux", "cgroup_parent"], a.cgroup_parent)
    d.setdefault("labels", {}).update(_kv(a.label, "--label"))
    d.setdefault("annotations", {}).update(_kv(a.annotation, "--annotation"))
    if a.sysctl:
        _set(d, ["linux", "sysctls"],
             dict(_get(d, ["linux", "sysctls"], {}), **_kv(a.sysctl, "--sysctl")))
    sc = ["linux", "security_context"]
    nso = sc + ["namespace_options"]
    if _get(d, nso + ["pid"]) is None:
        _set(d, nso + ["pid"], "CONTAINER")
    if a.host_network:
        _set(d, nso + ["network"], "NODE")
    if a.host_pid:
        _set(d, nso + ["pid"], "NODE")
    if a.host_ipc:
        _set(d, nso + ["ipc"], "NODE")
    if a.privileged:
        _set(d, sc + ["privileged"], True)
    if a.user is not None:
        _set(d, sc + ["run_as_user"], {"value": a.user})
    if a.seccomp:
        prof, path = _seccomp(a.seccomp)
        _set(d, sc + ["seccomp"], prof)
        _set(d, sc + ["seccomp_profile_path"], path)
    out = c.new("PodSandboxConfig")
    json_format.ParseDict(d, out)
    return out


def cmd_runp(c, a):
    cfg = build_pod_config(c, a)
    req = c.new("RunPodSandboxRequest")
    req.config.CopyFrom(cfg)
    if a.handler:
        req.runtime_handler = a.handler
    resp = c.call("RunPodSandbox", req)
    return {"pod_id": resp.pod_sandbox_id}


def pod_config_from_status(c, pod_id):
    st = c.call("PodSandboxStatus", pod_sandbox_id=pod_id, verbose=True)
    info = st.info.get("info")
    if not info:
        raise UsageError("pod %s: no verbose info; pass --pod POD.json" % pod_id)
    conf = json.loads(info).get("config")
    if conf is None:
        raise UsageError("pod %s: verbose info has no config; pass --pod" % pod_id)
    cfg = c.new("PodSandboxConfig")
    json_format.ParseDict(conf, cfg, ignore_unknown_fields=True)
    return cfg


def cmd_create(c, a):
    pod_id = resolve_pod(c, a.pod_id)
    if a.pod:
        pod_cfg = c.new("PodSandboxConfig")
        json_format.ParseDict(_load_json(a.pod), pod_cfg)
    else:
        pod_cfg = pod_config_from_status(c, pod_id)
    base = _load_json(a.config)
    cfg = c.new("ContainerConfig")
    json_format.ParseDict(base, cfg)
    d = to_dict(cfg)
    md = d.setdefault("metadata", {})
    if a.name:
        md["name"] = a.name
    if a.attempt is not None:
        md["attempt"] = a.attempt
    md.setdefault("name", "ctr-" + uuid.uuid4().hex[:8])
    if a.image:
        d["image"] = {"image": a.image}
    if not _get(d, ["image", "image"]):
        raise UsageError("create: no image (--image or image.image in CTR.json)")
    if a.command:
        d["command"] = a.command
    if a.workdir:
        d["working_dir"] = a.workdir
    if a.env:
        d.setdefault("envs", []).extend(
            {"key": k, "value": v} for k, v in _kv(a.env, "--env").items())
    d.setdefault("labels", {}).update(_kv(a.label, "--label"))
    d.setdefault("annotations", {}).update(_kv(a.annotation, "--annotation"))
    for m in a.mount or []:
        parts = m.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "ro"):
            raise UsageError("--mount HOST:CTR[:ro]")
        d.setdefault("mounts", []).append(
            {"host_path": parts[0], "container_path": parts[1],
             "readonly": len(parts) == 3})
    if a.log_path:
        d["log_path"] = a.log_path
    if a.tty:
        d["tty"] = True
    if a.stdin:
        d["stdin"] = True
    sc = ["linux", "security_context"]
    if a.user is not None:
        _set(d, sc + ["run_as_user"], {"value": a.user})
    if a.group is not None:
        _set(d, sc + ["run_as_group"], {"value": a.group})
    if a.privileged:
        _set(d, sc + ["privileged"], True)
    if a.readonly_rootfs:
        _set(d, sc + ["readonly_rootfs"], True)
    if a.no_new_privs:
        _set(d, sc + ["no_new_privs"], True)
    if a.cap_add:
        _set(d, sc + ["capabilities", "add_capabilities"], a.cap_add)
    if a.cap_drop:
        _set(d, sc + ["capabilities", "drop_capabilities"], a.cap_drop)
    if a.seccomp:
        prof, path = _seccomp(a.seccomp)
        _set(d, sc + ["seccomp"], prof)
        _set(d, sc + ["seccomp_profile_path"], path)
    # Namespace options: inherit the pod's (kubelet sends the same to both).
    nso = sc + ["namespace_options"]
    if _get(d, nso) is None:
        pod_nso = to_dict(pod_cfg).get("linux", {}).get(
            "security_context", {}).get("namespace_options", {})
        _set(d, nso, dict(pod_nso))
    for flag, key in ((a.ns_net, "network"), (a.ns_pid, "pid"), (a.ns_ipc, "ipc")):
        if flag:
            _set(d, nso + [key], _ns_mode(flag))
    if a.target_id:
        _set(d, nso + ["target_id"], resolve_ctr(c, a.target_id))
    cfg = c.new("ContainerConfig")
    json_format.ParseDict(d, cfg)
    req = c.new("CreateContainerRequest")
    req.pod_sandbox_id = pod_id
    req.config.CopyFrom(cfg)
    req.sandbox_config.CopyFrom(pod_cfg)
    resp = c.call("CreateContainer", req)
    return {"container_id": resp.container_id}


def _ts(ns):
    if not ns:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns / 1e9)) + \
        ".%09dZ" % (ns % 1000000000)


def container_status(c, cid, verbose=False):
    resp = c.call("ContainerStatus", container_id=cid, verbose=verbose)
    s = resp.status
    out = {
        "id": s.id,
        "name": s.metadata.name,
        "state": c.schema.enum_name("ContainerState", s.state),
        "exit_code": s.exit_code,
        "reason": s.reason,
        "message": s.message,
        "created_at": _ts(s.created_at),
        "started_at": _ts(s.started_at),
        "finished_at": _ts(s.finished_at),
        "image": s.image.image,
        "image_ref": s.image_ref,
        "log_path": s.log_path,
    }
    if verbose:
        info = {}
        for k, v in resp.info.items():
            try:
                info[k] = json.loads(v)
            except ValueError:
                info[k] = v
        out["info"] = info
    return out


def cmd_status(c, a):
    cid = resolve_ctr(c, a.cid)
    if not a.wait:
        return container_status(c, cid, a.verbose)
    deadline = time.monotonic() + a.wait_timeout
    while True:
        st = container_status(c, cid, a.verbose)
        if st["state"] == a.wait or time.monotonic() > deadline:
            if st["state"] != a.wait:
                st["wait_timed_out"] = True
            return st
        time.sleep(0.1)


def cmd_exec(c, a):
    if not a.cmd_argv:
        raise UsageError("exec CID -- CMD...")
    cid = resolve_ctr(c, a.cid)
    req = c.new("ExecSyncRequest")
    req.container_id = cid
    req.cmd.extend(a.cmd_argv)
    req.timeout = a.exec_timeout
    resp = c.call("ExecSync", req)
    return {"exit_code": resp.exit_code,
            "stdout": resp.stdout.decode("utf-8", "replace"),
            "stderr": resp.stderr.decode("utf-8", "replace")}


def cmd_cleanup(c, a):
    done = {"containers": [], "pods": [], "errors": []}
    for x in c.call("ListContainers").containers:
        for meth, kw in (("StopContainer", {"container_id": x.id, "timeout": "0"}),
                         ("RemoveContainer", {"container_id": x.id})):
            try:
                c.call(meth, **kw)
            except grpc.RpcError as e:
                done["errors"].append("%s %s: %s" % (meth, x.id, e.details()))
        done["containers"].append(x.id)
    for p in c.call("ListPodSandbox").items:
        for meth in ("StopPodSandbox", "RemovePodSandbox"):
            try:
                c.call(meth, pod_sandbox_id=p.id)
            except grpc.RpcError as e:
                done["errors"].append("%s %s: %s" % (meth, p.id, e.details()))
        done["pods"].append(p.id)
    return done


def cmd_call(c, a):
    if a.method not in c.schema.methods:
        raise UsageError("unknown method %s (have: %s)" % (
            a.method, ", ".join(sorted(c.schema.methods))))
    svc, m = c.schema.methods[a.method]
    req = c.schema.cls(m.input_type.full_name)()
    json_format.ParseDict(_load_json(a.request), req)
    return to_out(c.call(a.method, req))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="cri.py", description="minimal CRI runtime.v1 client",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--socket", default=os.environ.get(
        "CRI_SOCKET", "/run/containerd/containerd.sock"))
    ap.add_argument("--containerd", default=os.environ.get(
        "CRI_CONTAINERD_BINARY", "/usr/bin/containerd"))
    ap.add_argument("--descriptor", default=os.environ.get("CRI_DESCRIPTOR"),
                    help="serialized FileDescriptorProto instead of extracting")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="gRPC deadline per call, seconds")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True

    sub.add_parser("version")
    sub.add_parser("info")
    sub.add_parser("images")
    p = sub.add_parser("image-id")
    p.add_argument("image")

    p = sub.add_parser("runp")
    p.add_argument("config", nargs="?")
    p.add_argument("--handler")
    p.add_argument("--name")
    p.add_argument("--namespace")
    p.add_argument("--uid")
    p.add_argument("--attempt", type=int)
    p.add_argument("--hostname")
    p.add_argument("--log-dir")
    p.add_argument("--cgroup-parent")
    p.add_argument("--host-network", action="store_true")
    p.add_argument("--host-pid", action="store_true")
    p.add_argument("--host-ipc", action="store_true")
    p.add_argument("--privileged", action="store_true")
    p.add_argument("--user", type=int)
    p.add_argument("--seccomp")
    p.add_argument("--label", action="append")
    p.add_argument("--annotation", action="append")
    p.add_argument("--sysctl", action="append")

    p = sub.add_parser("create")
    p.add_argument("pod_id")
    p.add_argument("config", nargs="?")
    p.add_argument("--pod")
    p.add_argument("--name")
    p.add_argument("--image")
    p.add_argument("--attempt", type=int)
    p.add_argument("--workdir")
    p.add_argument("--env", action="append")
    p.add_argument("--label", action="append")
    p.add_argument("--annotation", action="append")
    p.add_argument("--mount", action="append")
    p.add_argument("--log-path")
    p.add_argument("--tty", action="store_true")
    p.add_argument("--stdin", action="store_true")
    p.add_argument("--user", type=int)
    p.add_argument("--group", type=int)
    p.add_argument("--privileged", action="store_true")
    p.add_argument("--readonly-rootfs", action="store_true")
    p.add_argument("--no-new-privs", action="store_true")
    p.add_argument("--cap-add", action="append")
    p.add_argument("--cap-drop", action="append")
    p.add_argument("--seccomp")
    p.add_argument("--ns-net")
    p.add_argument("--ns-pid")
    p.add_argument("--ns-ipc")
    p.add_argument("--target-id")

    for name in ("start", "stop", "rm"):
        p = sub.add_parser(name)
        p.add_argument("cid")
        if name == "stop":
            p.add_argument("--timeout", dest="stop_timeout", type=int, default=0)
    p = sub.add_parser("status")
    p.add_argument("cid")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--wait")
    p.add_argument("--wait-timeout", type=float, default=30.0)
    p = sub.add_parser("exec")
    p.add_argument("cid")
    p.add_argument("--timeout", dest="exec_timeout", type=int, default=10)
    p = sub.add_parser("ps")
    p.add_argument("--pod")
    sub.add_parser("pods")
    p = sub.add_parser("inspectp")
    p.add_argument("pod_id")
    p.add_argument("--verbose", action="store_true")
    for name in ("stopp", "rmp"):
        p = sub.add_parser(name)
        p.add_argument("pod_id")
    sub.add_parser("cleanup")
    p = sub.add_parser("call")
    p.add_argument("method")
    p.add_argument("request", nargs="?")
    p = sub.add_parser("dump-descriptor")
    p.add_argument("out")

    if argv is None:
        argv = sys.argv[1:]
    rest = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1:]
    a = ap.parse_args(argv)
    a.command = a.cmd_argv = rest
    if rest and a.cmd not in ("create", "exec"):
        ap.error("'--' is only for create and exec")

    try:
        if a.descriptor:
            with open(a.descriptor, "rb") as fh:
                raw = fh.read()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
        else:
            raw = extract_descriptor(a.containerd)
    except (OSError, RuntimeError) as e:
        print("cri.py: %s" % e, file=sys.stderr)
        return 2
    if a.cmd == "dump-descriptor":
        with open(a.out, "wb") as fh:
            fh.write(raw)
        emit({"written": a.out, "bytes": len(raw)})
        return 0

    c = Client(a.socket, Schema(raw), a.timeout)
    try:
        if a.cmd == "version":
            out = to_out(c.call("Version"))
        elif a.cmd == "info":
            resp = c.call("Status", verbose=True)
            out = to_out(resp.status)
            out["info"] = {}
            for k, v in resp.info.items():
                try:
                    out["info"][k] = json.loads(v)
                except ValueError:
                    out["info"][k] = v
        elif a.cmd == "images":
            out = [{"id": i.id, "repo_tags": list(i.repo_tags),
                    "repo_digests": list(i.repo_digests)}
                   for i in c.call("ListImages").images]
        elif a.cmd == "image-id":
            resp = c.call("ImageStatus", image={"image": a.image})
            if not resp.image.id:
                raise UsageError("image %s not found" % a.image)
            out = {"id": resp.image.id}
        elif a.cmd == "runp":
            out = cmd_runp(c, a)
        elif a.cmd == "create":
            out = cmd_create(c, a)
        elif a.cmd == "start":
            c.call("StartContainer", container_id=resolve_ctr(c, a.cid))
            out = {}
        elif a.cmd == "status":
            out = cmd_status(c, a)
        elif a.cmd == "exec":
            out = cmd_exec(c, a)
        elif a.cmd == "stop":
            c.call("StopContainer", container_id=resolve_ctr(c, a.cid),
                   timeout=str(a.stop_timeout))
            out = {}
        elif a.cmd == "rm":
            c.call("RemoveContainer", container_id=resolve_ctr(c, a.cid))
            out = {}
        elif a.cmd == "ps":
            flt = {}
            if a.pod:
                flt = {"filter": {"pod_sandbox_id": resolve_pod(c, a.pod)}}
            out = [{"id": x.id, "pod_id": x.pod_sandbox_id,
                    "name": x.metadata.name,
                    "state": c.schema.enum_name("ContainerState", x.state)}
                   for x in c.call("ListContainers", **flt).containers]
        elif a.cmd == "pods":
            out = [{"id": p.id, "name": p.metadata.name,
                    "namespace": p.metadata.namespace,
                    "state": c.schema.enum_name("PodSandboxState", p.state)}
                   for p in c.call("ListPodSandbox").items]
        elif a.cmd == "inspectp":
            resp = c.call("PodSandboxStatus",
                          pod_sandbox_id=resolve_pod(c, a.pod_id),
                          verbose=a.verbose)
            out = to_out(resp.status)
            if a.verbose:
                out["info"] = {k: json.loads(v) for k, v in resp.info.items()}
        elif a.cmd == "stopp":
            c.call("StopPodSandbox", pod_sandbox_id=resolve_pod(c, a.pod_id))
            out = {}
        elif a.cmd == "rmp":
            c.call("RemovePodSandbox", pod_sandbox_id=resolve_pod(c, a.pod_id))
            out = {}
        elif a.cmd == "cleanup":
            out = cmd_cleanup(c, a)
        elif a.cmd == "call":
            out = cmd_call(c, a)
        else:
            raise UsageError("unknown command %s" % a.cmd)
    except UsageError as e:
        print("cri.py: %s" % e, file=sys.stderr)
        return 2
    except json_format.ParseError as e:
        print("cri.py: bad config: %s" % e, file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print("cri.py: %s" % e, file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        emit({"error": {"code": e.code().name, "details": e.details()}})
        return 1
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
