#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages a job needs: deps.sh build|demo|test
set -euo pipefail

build=(autoconf automake libtool pkg-config make gcc libyajl-dev libcap-dev zlib1g-dev libseccomp-dev
       libapparmor-dev libselinux1-dev check libyaml-dev)
demo=(runc busybox-static jq)
test=(clang libclang-rt-14-dev clang-format runc crun busybox-static jq containerd
      containernetworking-plugins podman conmon catatonit umoci skopeo apparmor
      python3-grpcio python3-protobuf python3-yaml debhelper dh-apparmor dpkg-dev fakeroot
      rpm groff-base iproute2 procps golang-go golang-github-opencontainers-specs-dev
      golang-github-urfave-cli-dev)

case "${1:-build}" in
  build) want=("${build[@]}") ;;
  demo) want=("${build[@]}" "${demo[@]}") ;;
  test) want=("${build[@]}" "${test[@]}") ;;
  *) echo "usage: $0 build|demo|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
