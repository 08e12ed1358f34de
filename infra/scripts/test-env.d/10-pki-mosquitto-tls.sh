#!/usr/bin/env bash
# The development PKI (infra/pki/make-dev-pki.sh) and a second Mosquitto with the production
# policy: TLS 1.3 with client certificates and tenant ACLs (infra/mosquitto/secure.conf), on
# 127.0.0.1:8883. Safe to run twice. A Mosquitto already on that port that runs anything else
# (an older secure.conf or ACL, another CA) is stopped and started again with these files.
SCRIPT_NAME=mosquitto-tls
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# secure.conf listens on 8883; MOSQUITTO_TLS_PORT moves it, to try this script beside the real one.
PORT="${MOSQUITTO_TLS_PORT:-8883}"
command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto mosquitto-clients
command -v ss >/dev/null 2>&1 || apt_install iproute2
bash "$INFRA_DIR/pki/make-dev-pki.sh"

# Mosquitto started as root drops to the `mosquitto` user, which cannot read infra/pki/out/
# (mode 700), so it runs from a directory of its own: copies of its configuration, ACL, CA,
# certificate and key, and their fingerprint. The fingerprint sits beside what the process
# read at start-up, so a later run (from this checkout or another) can tell whether it is
# current even after the checkout's files changed under it.
NEXT_DIR="$(mktemp -d "$STATE_DIR/mosquitto-secure-next.XXXXXX")"
trap 'rm -rf "$NEXT_DIR"' EXIT
mkdir -p "$NEXT_DIR/tls"
cp "$INFRA_DIR/pki/out/ca.crt" "$INFRA_DIR/pki/out/broker.crt" "$INFRA_DIR/pki/out/broker.key" "$NEXT_DIR/tls/"
cp "$INFRA_DIR/mosquitto/secure.acl" "$NEXT_DIR/secure.acl"
sed "s/^listener 8883 127\.0\.0\.1$/listener $PORT 127.0.0.1/" "$INFRA_DIR/mosquitto/secure.conf" >"$NEXT_DIR/secure.conf"
if ! grep -q "^listener $PORT 127.0.0.1$" "$NEXT_DIR/secure.conf"; then
  log "infra/mosquitto/secure.conf no longer has the line 'listener 8883 127.0.0.1'"
  exit 1
fi
FINGERPRINT="$(cd "$NEXT_DIR" && cat secure.conf secure.acl tls/ca.crt tls/broker.crt tls/broker.key | sha256sum | cut -d' ' -f1)"
echo "$FINGERPRINT" >"$NEXT_DIR/config.sha256"

# The pid of the Mosquitto listening on the port; fails when nothing or something else listens.
mosquitto_on_port() {
  local pid
  pid="$(as_root ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mosquitto ] && echo "$pid"
}
port_free() { ! port_open 127.0.0.1 "$PORT"; }

if port_open 127.0.0.1 "$PORT"; then
  if ! pid="$(mosquitto_on_port)"; then
    log "127.0.0.1:$PORT is taken by something that is not Mosquitto: left alone, the TLS broker tests will fail"
    exit 1
  fi
  running="$(as_root cat "/proc/$pid/cwd/config.sha256" 2>/dev/null || true)"
  if [ "$running" = "$FINGERPRINT" ]; then
    log "secure Mosquitto already listening on 127.0.0.1:$PORT (pid $pid, current configuration)"
    exit 0
  fi
  log "secure Mosquitto on 127.0.0.1:$PORT (pid $pid) runs another configuration: restarting it"
  as_root kill "$pid"
  if ! wait_for "Mosquitto (pid $pid) to stop" 10 port_free; then
    as_root kill -9 "$pid" 2>/dev/null || true
    wait_for "Mosquitto (pid $pid) to die" 5 port_free
  fi
fi

RUN_DIR="$STATE_DIR/mosquitto-secure-$PORT"
rm -rf "$RUN_DIR"
mv "$NEXT_DIR" "$RUN_DIR"
chmod 700 "$RUN_DIR"
chmod 600 "$RUN_DIR/tls/broker.key"
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$RUN_DIR"; fi

LOG_FILE="$STATE_DIR/mosquitto-secure-$PORT.log"
log "starting secure Mosquitto (TLS 1.3, client certificates, ACLs) on 127.0.0.1:$PORT"
(cd "$RUN_DIR" && nohup mosquitto -c "$RUN_DIR/secure.conf" >"$LOG_FILE" 2>&1 &)
wait_for "secure Mosquitto" 20 port_open 127.0.0.1 "$PORT" || { tail -5 "$LOG_FILE"; exit 1; }
log "secure Mosquitto listening on 127.0.0.1:$PORT (log: $LOG_FILE)"
