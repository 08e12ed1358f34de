#!/usr/bin/env bash
# The development PKI (infra/pki/make-dev-pki.sh) and a second Mosquitto with the production
# policy: TLS with client certificates and tenant ACLs (infra/mosquitto/secure.conf), on
# 127.0.0.1:8883. Safe to run twice.
SCRIPT_NAME=mosquitto-tls
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PORT=8883 # fixed in secure.conf
command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto mosquitto-clients
bash "$INFRA_DIR/pki/make-dev-pki.sh"
if port_open 127.0.0.1 "$PORT"; then log "secure Mosquitto already listening on 127.0.0.1:$PORT"; exit 0; fi

# Mosquitto started as root drops to the `mosquitto` user, which cannot read infra/pki/out/
# (mode 700): it runs from a directory holding its own copies of the CA, its certificate and key.
RUN_DIR="$STATE_DIR/mosquitto-secure"
mkdir -p "$RUN_DIR/tls"
cp "$INFRA_DIR/pki/out/ca.crt" "$INFRA_DIR/pki/out/broker.crt" "$INFRA_DIR/pki/out/broker.key" "$RUN_DIR/tls/"
cp "$INFRA_DIR/mosquitto/secure.acl" "$RUN_DIR/secure.acl"
chmod 600 "$RUN_DIR/tls/broker.key"
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$RUN_DIR"; fi

log "starting secure Mosquitto (TLS, client certificates, ACLs) on 127.0.0.1:$PORT"
(cd "$RUN_DIR" && nohup mosquitto -c "$INFRA_DIR/mosquitto/secure.conf" >"$STATE_DIR/mosquitto-secure.log" 2>&1 &)
wait_for "secure Mosquitto" 20 port_open 127.0.0.1 "$PORT" || { tail -5 "$STATE_DIR/mosquitto-secure.log"; exit 1; }
log "secure Mosquitto listening on 127.0.0.1:$PORT (log: $STATE_DIR/mosquitto-secure.log)"
