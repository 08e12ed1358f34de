#!/usr/bin/env bash
# Shared helpers for the infra scripts: logging, apt installs done once, port probes.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
STATE_DIR="${OPCFLEET_STATE_DIR:-$REPO_DIR/.tmp/infra}"
mkdir -p "$STATE_DIR"

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

# started_with_config NAME CONFIG_FILE...: true when the server NAME this script started last is
# still running with these very config files. A server started by an older config (or by
# someone else) is not ours to keep: the caller starts its own after stop_started NAME.
started_with_config() {
  local name="$1"; shift
  local pid_file="$STATE_DIR/$name.pid" stamp_file="$STATE_DIR/$name.config-sha"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null || return 1
  [ "$(cat "$@" | sha256sum | cut -d' ' -f1)" = "$(cat "$stamp_file" 2>/dev/null)" ]
}

# stop_started NAME: stops the server this script started under NAME, if it runs.
stop_started() {
  local pid_file="$STATE_DIR/$1.pid" pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid): its configuration changed"
    kill "$pid"
    wait_for "$1 to stop" 20 bash -c "! kill -0 $pid 2>/dev/null"
  fi
  rm -f "$pid_file"
}

# remember_started NAME PID CONFIG_FILE...: what started_with_config checks next time.
remember_started() {
  local name="$1" pid="$2"; shift 2
  echo "$pid" >"$STATE_DIR/$name.pid"
  cat "$@" | sha256sum | cut -d' ' -f1 >"$STATE_DIR/$name.config-sha"
}
