#!/usr/bin/env bash
# Builds a real kube-apiserver, kube-controller-manager and kubectl from the
# Go module proxy (k8s.io/kubernetes with its published staging modules)
# into $MODELGATE_KUBE/bin (default ~/.cache/modelgate-kube/bin), and
# installs Debian's etcd-server. Skips whatever is already there: a cold
# build takes about 5 minutes on 2 cores, a warm run a second.
# The admission tests run the webhook behind these (TestRealAPIServer).
set -euo pipefail
BASE=${MODELGATE_KUBE:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgate-kube}
K8S_VERSION=${K8S_VERSION:-1.34.4}
STAGING_VERSION=0.${K8S_VERSION#1.}
BIN=$BASE/bin
mkdir -p "$BIN"

if ! command -v etcd >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
    # The Debian package may start its own etcd where it can; the tests start theirs.
    systemctl stop etcd >/dev/null 2>&1 || true
  else
    echo "missing Debian package etcd-server: run 'apt-get install etcd-server' as root; the real API server test skips" >&2
  fi
fi

if [[ -x $BIN/kube-apiserver && -x $BIN/kube-controller-manager && -x $BIN/kubectl ]]; then
  exit 0
fi
# Another copy of the same build on this machine saves five minutes.
for other in "$HOME/.cache/kube-apiserver-local/bin"; do
  if [[ -x $other/kube-apiserver && -x $other/kube-controller-manager && -x $other/kubectl ]]; then
    cp "$other/kube-apiserver" "$other/kube-controller-manager" "$other/kubectl" "$BIN/"
    exit 0
  fi
done

echo "building kube-apiserver, kube-controller-manager and kubectl v$K8S_VERSION (once; ~5 min cold)" >&2
# The user's module and build caches: modules shared with modelgate download once.
export GOWORK=off GOFLAGS="-buildvcs=false -mod=mod"
SRC=$BASE/src
dir=$(cd "$BASE" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
rm -rf "$SRC"; cp -r "$dir" "$SRC"; chmod -R u+w "$SRC"; cd "$SRC"
# go.work and vendor/ point at ./staging, which the module zip lacks: use the published modules.
rm -rf go.work go.work.sum vendor
args=()
for m in $(sed -n '/^replace (/,/^)/p' go.mod | awk '/=>/{print $1}'); do
  args+=("-dropreplace=$m")
  if grep -qE "^[[:space:]]+$m v0\.0\.0$" go.mod; then args+=("-require=$m@v$STAGING_VERSION"); fi
done
go mod edit "${args[@]}"
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION")"
done
go build -ldflags="$LDF" -o "$BIN/" ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kubectl
rm -rf "$SRC"
