# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Build importable container images by hand (no registry, no network).
# Needs: tar, sha256sum, jq; sources common.sh for make_busybox_rootfs.
#
#   image_build_busybox OUT.tar NAME   busybox-static rootfs, Cmd ["/bin/sh"]
#   image_build_pause   OUT.tar NAME   /catatonit (static), Entrypoint
#                                      ["/catatonit","-P"] (pause mode, as
#                                      a Kubernetes sandbox image)
#   image_build_rootfs  OUT.tar NAME ROOTFS-DIR CONFIG-JSON
#                                      generic: CONFIG-JSON is the image
#                                      config's "config" object
#                                      (Entrypoint/Cmd/Env/User/WorkingDir)
#
# NAME is a full reference such as localhost/busybox:test.  The result is an
# OCI image layout in a tar (oci-layout, index.json, blobs/sha256/...), one
# uncompressed layer, the index entry annotated with both
# io.containerd.image.name=NAME (ctr/containerd name it so) and
# org.opencontainers.image.ref.name=TAG (skopeo/podman oci-archive:).  The
# output is reproducible: same inputs, same digests.

_E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_E2E_LIB_DIR/common.sh"

: "${CATATONIT:=/usr/bin/catatonit}"

_image_goarch() {
	case "$(uname -m)" in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l | armv6l) echo arm ;;
	i?86) echo 386 ;;
	ppc64le) echo ppc64le ;;
	s390x) echo s390x ;;
	riscv64) echo riscv64 ;;
	*) uname -m ;;
	esac
}

# _image_blob LAYOUT FILE -> moves FILE into blobs, prints "sha256:<hex> <size>"
_image_blob() {
	local layout=$1 f=$2 h s
	h=$(sha256sum <"$f" | cut -d' ' -f1)
	s=$(stat -c %s "$f")
	mv -f "$f" "$layout/blobs/sha256/$h"
	printf 'sha256:%s %s\n' "$h" "$s"
}

image_build_rootfs() {
	local out=${1:-} name=${2:-} rootfs=${3:-} cfg=${4:-}
	local work layout arch tag ldig lsize cdig csize mdig msize
	[ -n "$out" ] && [ -n "$name" ] && [ -d "$rootfs" ] && [ -n "$cfg" ] ||
		e2e_die "image_build_rootfs OUT.tar NAME ROOTFS CONFIG-JSON"
	work=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-img.XXXXXX") || return 1
	layout=$work/layout
	mkdir -p "$layout/blobs/sha256"
	arch=$(_image_goarch)
	tag=${name##*/}
	case "$tag" in *:*) tag=${tag#*:} ;; *) tag=latest ;; esac

	# IMAGE_KEEP_OWNERS=1: the layer keeps the rootfs's file owners.
	local owners="--owner=0 --group=0"
	[ -z "${IMAGE_KEEP_OWNERS:-}" ] || owners=
	# shellcheck disable=SC2086
	tar --sort=name $owners --numeric-owner --mtime=@0 \
		--format=gnu -C "$rootfs" -cf "$work/layer.tar" . || { rm -rf "$work"; return 1; }
	read -r ldig lsize < <(_image_blob "$layout" "$work/layer.tar")

	jq -cn --arg arch "$arch" --arg diff "$ldig" --argjson c "$cfg" '{
		created: "1970-01-01T00:00:00Z",
		architecture: $arch,
		os: "linux",
		config: $c,
		rootfs: { type: "layers", diff_ids: [ $diff ] },
		history: [ { created: "1970-01-01T00:00:00Z",
			     created_by: "ocigate tests/e2e/lib/images.sh" } ]
	}' >"$work/config.json"
	read -r cdig csize < <(_image_blob "$layout" "$work/config.json")

	jq -cn --arg cd "$cdig" --argjson cs "$csize" --arg ld "$ldig" --argjson ls "$lsize" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
		layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls } ]
	}' >"$work/manifest.json"
	read -r mdig msize < <(_image_blob "$layout" "$work/manifest.json")

	printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	jq -cn --arg md "$mdig" --argjson ms "$msize" --arg arch "$arch" \
		--arg name "$name" --arg tag "$tag" '{
		schemaVersion: 2,
		manifests: [ {
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $md, size: $ms,
			platform: { architecture: $arch, os: "linux" },
			annotations: {
				"io.containerd.image.name": $name,
				"org.opencontainers.image.ref.name": $tag
			}
		} ]
	}' >"$layout/index.json"

	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-C "$layout" -cf "$out" oci-layout index.json blobs
	local rc=$?
	rm -rf "$work"
	return $rc
}

image_build_busybox() {
	local out=${1:-} name=${2:-localhost/busybox:test} work rc
	work=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-bb.XXXXXX") || return 1
	make_busybox_rootfs "$work/rootfs"
	image_build_rootfs "$out" "$name" "$work/rootfs" \
		'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"}'
	rc=$?
	rm -rf "$work"
	return $rc
}

image_build_pause() {
	local out=${1:-} name=${2:-localhost/pause:test} work rc
	[ -x "$CATATONIT" ] || e2e_die "no catatonit at $CATATONIT"
	work=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-pause.XXXXXX") || return 1
	mkdir -p "$work/rootfs/dev" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/etc"
	cp -- "$CATATONIT" "$work/rootfs/catatonit"
	chmod 0755 "$work/rootfs/catatonit"
	image_build_rootfs "$out" "$name" "$work/rootfs" \
		'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":["/catatonit","-P"],"User":"65535:65535","WorkingDir":"/"}'
	rc=$?
	rm -rf "$work"
	return $rc
}
