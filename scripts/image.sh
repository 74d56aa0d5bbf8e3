#!/usr/bin/env bash
# make image: the container image of modelgate, built without a daemon —
# static binaries (modelgate and its KMS plugins) in one layer on an empty
# base, entrypoint /modelgate, user 65532 (non-root) — and pushed to IMAGE
# with crane (built from the Go module proxy by scripts/tools.sh). Usage: image.sh REGISTRY/REPO:TAG
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:?usage: scripts/image.sh REGISTRY/REPO:TAG}
export MODELGATE_TOOLS=${MODELGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgate-tools}
bash scripts/tools.sh crane
crane=$MODELGATE_TOOLS/crane
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/etc" "$tmp/root/tmp"
# modelgate and, beside it, the KMS plugins its cloud keys sign through.
CGO_ENABLED=0 go build -ldflags="-s -w" -o "$tmp/root/" ./cmd/...
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$tmp/root/etc/passwd"
chmod 1777 "$tmp/root/tmp"
tar --owner=65532 --group=65532 --numeric-owner --mtime=@0 --sort=name -C "$tmp/root" -cf "$tmp/layer.tar" .
insecure=()
case $ref in localhost*|127.*|\[::1\]*) insecure=(--insecure) ;; esac
"$crane" append "${insecure[@]}" -f "$tmp/layer.tar" -t "$ref" --platform linux/amd64 >/dev/null
digest=$("$crane" mutate "${insecure[@]}" "$ref" --entrypoint /modelgate --user 65532:65532 --workdir / -t "$ref")
echo "pushed $digest"
