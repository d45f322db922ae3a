# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
# Go in GOPATH mode from Debian's packages only: no module download, no
# network, a private build cache.
specs=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/specs-go
go_ready() {
  if ! command -v go >/dev/null 2>&1 || [ ! -f "$specs/config.go" ]; then
    echo "skip: needs golang-go and golang-github-opencontainers-specs-dev (scripts/deps.sh test)"
    return 1
  fi
  return 0
}
go_build() { # OUT SOURCE; $work: the caller's scratch directory
  # shellcheck disable=SC2154
  GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS='' GOPROXY=off GOCACHE="$work/gocache" \
    go build -o "$1" "$2"
}
