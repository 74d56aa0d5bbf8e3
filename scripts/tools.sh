#!/usr/bin/env bash
# Installs what `make test` needs on a bare machine, and skips what is there:
# - Debian packages (docker-registry: a real OCI registry on loopback;
#   chromium: the HTML pages in a real browser; etcd-server: the real API
#   server's store; mariadb-server: the real MySQL behind a mysql:// ledger) with apt-get when root, else one line naming each missing
#   package (the tests that need it then skip, except under CI where they fail);
# - peer tools built from the Go module proxy into $MODELGATE_TOOLS
#   (default ~/.cache/modelgate-tools), outside the clone;
# - a real kube-apiserver, controller-manager and kubectl (scripts/kube-build.sh).
# Usage: tools.sh [TOOL ...]   (default: everything the tests use)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${MODELGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgate-tools}
mkdir -p "$TOOLS"

want=("$@"); [ ${#want[@]} -gt 0 ] || want=(debian cosign conftest crane alertmanager tessera-fsck slsa-verifier cyclonedx-gomod kube)

debian() {
  local need=()
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  # A real MySQL-compatible server for the ledger's mysql:// log.
  [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # The packages may start services of their own; the tests start theirs.
    for s in docker-registry etcd mariadb; do systemctl stop "$s" >/dev/null 2>&1 || service "$s" stop >/dev/null 2>&1 || true; done
  else
    for p in "${need[@]}"; do
      echo "missing Debian package $p: run 'apt-get install $p' as root; the tests that need it skip" >&2
    done
  fi
}

# gotool NAME: builds one peer tool from the Go module proxy, once.
gotool() {
  local t=$1
  [ -x "$TOOLS/$t" ] && return 0
  # How long each usually takes on 2 cores with an empty module cache.
  local took
  case $t in
    cosign) took="about 6 min" ;; opa|conftest) took="about 3 min" ;; slsa-verifier) took="about 2 min" ;;
    *) took="about 1 min" ;;
  esac
  echo "building $t into $TOOLS (once; $took cold; go's download and build lines follow)" >&2
  local d; d=$(mktemp -d)
  case $t in
    cosign) (cd "$d" && GOBIN=$TOOLS GOFLAGS=-mod=mod go install -v github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5) ;;
    opa) (cd "$d" && GOBIN=$TOOLS go install -v github.com/open-policy-agent/opa@v1.22.2) ;;
    conftest) (cd "$d" && GOBIN=$TOOLS go install -v github.com/open-policy-agent/conftest@v0.71.1) ;;
    kustomize) (cd "$d" && GOBIN=$TOOLS go install -v sigs.k8s.io/kustomize/kustomize/v5@v5.7.1) ;;
    crane) (cd "$d" && GOBIN=$TOOLS go install -v github.com/google/go-containerregistry/cmd/crane@v0.21.7) ;;
    # The release archives' SBOMs (make dist): CycloneDX's generator for Go.
    cyclonedx-gomod) (cd "$d" && GOBIN=$TOOLS go install -v github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0) ;;
    # v0.29 and later embed a web UI their module does not ship; v0.28.1 builds.
    alertmanager) (cd "$d" && GOBIN=$TOOLS go install -v github.com/prometheus/alertmanager/cmd/alertmanager@v0.28.1) ;;
    # Tessera's own fsck, a peer that checks the ledger's log.
    # Named apart from the system's fsck(8).
    tessera-fsck) (cd "$d" && GOBIN=$d/bin go install -v github.com/transparency-dev/tessera/cmd/fsck@v1.0.4 && mv "$d/bin/fsck" "$TOOLS/tessera-fsck") ;;
    # A plain `go install …@v2.7.1` is refused by the proxy; inside a scratch module it resolves.
    slsa-verifier)
      (cd "$d" && go mod init scratch >/dev/null 2>&1 &&
       go get github.com/slsa-framework/slsa-verifier/v2/cli/slsa-verifier@v2.7.1 >/dev/null 2>&1 &&
       GOBIN=$TOOLS go install -v github.com/slsa-framework/slsa-verifier/v2/cli/slsa-verifier) ;;
    *) echo "tools.sh: unknown tool $t" >&2; return 2 ;;
  esac
  rm -rf "$d"
}

for t in "${want[@]}"; do
  case $t in
    debian) debian ;;
    kube) bash scripts/kube-build.sh ;;
    *) gotool "$t" ;;
  esac
done
