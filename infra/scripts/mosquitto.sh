#!/usr/bin/env bash
# Starts the project's own Mosquitto (infra/mosquitto/test.conf, port 1884) unless one listens there.
SCRIPT_NAME=mosquitto
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${MOSQUITTO_TEST_PORT:-1884}"
command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto mosquitto-clients
if port_open 127.0.0.1 "$PORT"; then log "Mosquitto already listening on 127.0.0.1:$PORT"; exit 0; fi
log "starting Mosquitto on 127.0.0.1:$PORT"
nohup mosquitto -c "$INFRA_DIR/mosquitto/test.conf" >"$STATE_DIR/mosquitto-test.log" 2>&1 &
wait_for "Mosquitto" 20 port_open 127.0.0.1 "$PORT"
log "Mosquitto listening on 127.0.0.1:$PORT"
