#!/usr/bin/env bash
# Installs and starts Podman's Docker-API service and a local plain-HTTP registry on 127.0.0.1:5000.
# Idempotent: what is installed or running already is left alone. Settings: ../../shared/notes/container-engine.md
SCRIPT_NAME=container-engine
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PODMAN_SOCKET="${PODMAN_SOCKET:-/run/podman/podman.sock}"
REGISTRY_ADDR="${REGISTRY_ADDR:-127.0.0.1:5000}"

# catatonit: the pause process of the pods `podman kube play` makes (infra/test/kube-play.spec.ts).
apt_install podman runc catatonit docker-registry busybox-static apache2-utils

# runc + cgroupfs: crun fails here with "cgroups in hybrid mode"; ulimits at or below ours (no CAP_SYS_RESOURCE).
CONF=/etc/containers/containers.conf
if ! grep -q 'opcfleet' "$CONF" 2>/dev/null; then
  log "writing $CONF (runc, cgroupfs, ulimits)"
  as_root mkdir -p /etc/containers
  as_root tee "$CONF" >/dev/null <<CONF
# written by opcfleet infra/scripts/container-engine.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  RESTART_PODMAN=1
fi
REG=/etc/containers/registries.conf
if ! grep -q "location = \"$REGISTRY_ADDR\"" "$REG" 2>/dev/null; then
  log "marking $REGISTRY_ADDR insecure in $REG"
  as_root tee -a "$REG" >/dev/null <<CONF

[[registry]]
location = "$REGISTRY_ADDR"
insecure = true
CONF
  RESTART_PODMAN=1
fi

socket_alive() { curl -sf --unix-socket "$PODMAN_SOCKET" http://d/_ping >/dev/null 2>&1; }
if [ "${RESTART_PODMAN:-0}" = 1 ] && socket_alive; then
  log "restarting the Podman API service to read the new settings"
  pkill -f "podman system service" || true
  sleep 1
fi
if socket_alive; then
  log "Podman Docker API already answering at $PODMAN_SOCKET"
else
  as_root mkdir -p "$(dirname "$PODMAN_SOCKET")"
  log "starting Podman Docker API at $PODMAN_SOCKET"
  nohup podman system service --time=0 "unix://$PODMAN_SOCKET" >"$STATE_DIR/podman-service.log" 2>&1 &
  wait_for "the Podman API" 30 socket_alive
fi

REGISTRY_DIR="$STATE_DIR/registry"
if port_open "${REGISTRY_ADDR%:*}" "${REGISTRY_ADDR#*:}"; then
  log "registry already listening at $REGISTRY_ADDR"
else
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<CONF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $REGISTRY_DIR/data }
  delete: { enabled: true }
http: { addr: $REGISTRY_ADDR }
CONF
  log "starting registry at $REGISTRY_ADDR"
  nohup docker-registry serve "$REGISTRY_DIR/config.yml" >"$STATE_DIR/registry.log" 2>&1 &
  wait_for "the registry" 30 port_open "${REGISTRY_ADDR%:*}" "${REGISTRY_ADDR#*:}"
fi
log "ready: DOCKER_HOST=unix://$PODMAN_SOCKET REGISTRY=$REGISTRY_ADDR"
