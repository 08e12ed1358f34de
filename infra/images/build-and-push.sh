#!/usr/bin/env bash
# Builds the sample workload images (FROM scratch + busybox-static) and pushes them to the local
# registry as $REGISTRY/opcfleet/opc-core:<tag>. Idempotent: a tag already in the registry is
# skipped unless FORCE=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REGISTRY="${TEST_REGISTRY:-127.0.0.1:5000}"
REPO="$REGISTRY/opcfleet/opc-core"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

# tag:version:variant
IMAGES=(
  "1.0.0:1.0.0:good"
  "2.0.0:2.0.0:good"
  "crash-at-start:3.0.0:crash-at-start"
  "never-healthy:4.0.0:never-healthy"
  "rejects-config:5.0.0:rejects-config"
)

in_registry() {
  curl -sf -o /dev/null \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/opcfleet/opc-core/manifests/$1"
}

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$here/opc-core/entrypoint.sh" "$ctx/"
cp "$BUSYBOX" "$ctx/busybox"

for spec in "${IMAGES[@]}"; do
  IFS=: read -r tag version variant <<<"$spec"
  if [ "${FORCE:-0}" != 1 ] && in_registry "$tag"; then
    echo "[images] $REPO:$tag already in the registry"
    continue
  fi
  echo "[images] building $REPO:$tag (version $version, variant $variant)"
  # Values are written into the Containerfile (not build args) so every variant is its own image.
  sed -e "s/@VERSION@/$version/g" -e "s/@VARIANT@/$variant/g" "$here/opc-core/Containerfile" >"$ctx/Containerfile"
  podman build -q -t "$REPO:$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
  podman push -q --tls-verify=false "$REPO:$tag"
done
