#!/usr/bin/env bash
# make dist: modelgate's release, from this clone, into $DIST (default dist/):
# - an archive per platform (PLATFORMS, default linux and darwin on amd64
#   and arm64): modelgate_VERSION_OS_ARCH.tar.gz holding the static binary,
#   LICENSE and README.md; reproducible (-trimpath, files owned by 0, the
#   commit's time on every file, gzip without a name or time);
# - an SBOM per archive (CycloneDX JSON, cyclonedx-gomod, the modules the
#   binary was built from) and checksums.txt (sha256sum's format);
# - a signed SLSA provenance v1 per archive, ARCHIVE.intoto.json: a DSSE
#   envelope modelgate's own 'attest' signs with DIST_KEY (a PEM file or
#   KMS URI; without one, a key pair is made in $DIST and said so).
#   'cosign verify-blob-attestation --key dist.pub --type slsaprovenance1'
#   and 'modelgate verify' with the release policy (release/policy) check it;
# - with IMAGE=REGISTRY/REPO:TAG, the container image (scripts/image.sh),
#   its digest in image.txt.
# Usage: [VERSION=v1.2.3] [PLATFORMS="linux/amd64 …"] [DIST_KEY=KEY] [IMAGE=…] scripts/dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DIST:-dist}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
builder=${BUILDER_ID:-https://modelgate.dev/dist/make}
export MODELGATE_TOOLS=${MODELGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgate-tools}
bash scripts/tools.sh cyclonedx-gomod
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -rf "$out"
mkdir -p "$out"
commit=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct)
remote=$(git config --get remote.origin.url 2>/dev/null || echo "file://$PWD")
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# The modelgate that signs the provenance is this clone's, for this machine.
CGO_ENABLED=0 go build -o "$tmp/host/modelgate" ./cmd/modelgate
key=${DIST_KEY:-}
if [ -z "$key" ]; then
  "$tmp/host/modelgate" keygen --out "$out/dist" >/dev/null
  key=$out/dist.key
  echo "no DIST_KEY: signed with a new key, $out/dist.key (verify with $out/dist.pub); give your release key as DIST_KEY" >&2
fi

archives=()
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  name=modelgate_${version}_${os}_${arch}
  echo "building $name" >&2
  mkdir -p "$tmp/$name"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.Version=$version" -o "$tmp/$name/modelgate" ./cmd/modelgate
  cp LICENSE README.md "$tmp/$name/"
  tar --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --sort=name -C "$tmp" -cf - "$name" | gzip -n -9 > "$out/$name.tar.gz"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$MODELGATE_TOOLS/cyclonedx-gomod" app -json -licenses=false -noserial -notimestamp -main cmd/modelgate \
    -output "$out/$name.cdx.json" . 2>/dev/null
  archives+=("$name")
done
(cd "$out" && sha256sum ./*.tar.gz ./*.cdx.json | sed 's| \./| |' > checksums.txt)

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
goversion=$(go env GOVERSION)
for name in "${archives[@]}"; do
  os=${name%_*}; os=${os##*_}; arch=${name##*_}
  cat > "$tmp/$name.provenance.json" <<JSON
{
  "buildDefinition": {
    "buildType": "https://modelgate.dev/dist/v1",
    "externalParameters": {"version": "$version", "platform": "$os/$arch", "source": "$remote"},
    "internalParameters": {"go": "$goversion", "flags": "-trimpath -ldflags=-s -w -X main.Version=$version", "cgo": false},
    "resolvedDependencies": [{"uri": "git+$remote", "digest": {"gitCommit": "$commit"}}]
  },
  "runDetails": {
    "builder": {"id": "$builder"},
    "metadata": {"startedOn": "$started", "finishedOn": "$finished"},
    "byproducts": [{"name": "$name.cdx.json", "digest": {"sha256": "$(sha256sum "$out/$name.cdx.json" | cut -d' ' -f1)"}}]
  }
}
JSON
  "$tmp/host/modelgate" attest --type https://slsa.dev/provenance/v1 --subject "$out/$name.tar.gz" --name "$name.tar.gz" \
    --predicate "$tmp/$name.provenance.json" --key "$key" --out "$out/$name.tar.gz.intoto.json" >/dev/null
done

if [ -n "${IMAGE:-}" ]; then
  bash scripts/image.sh "$IMAGE" | tee "$out/image.txt"
fi
echo "dist: ${#archives[@]} archive(s), their SBOMs and signed provenance, checksums.txt in $out/" >&2
