#!/usr/bin/env bash
# Starts the project's own Mosquitto (infra/mosquitto/test.conf, port 1884); restarts the one it
# started before when test.conf changed since. Another broker already on the port is left alone.
SCRIPT_NAME=mosquitto
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${MOSQUITTO_TEST_PORT:-1884}"
CONFIG="$INFRA_DIR/mosquitto/test.conf"
command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto mosquitto-clients
if started_with_config mosquitto-test "$CONFIG"; then
  log "Mosquitto already listening on 127.0.0.1:$PORT"
  exit 0
fi
stop_started mosquitto-test
if port_open 127.0.0.1 "$PORT"; then
  log "another broker listens on 127.0.0.1:$PORT: using it as it is (its settings may differ from $CONFIG)"
  exit 0
fi
log "starting Mosquitto on 127.0.0.1:$PORT"
nohup mosquitto -c "$CONFIG" >"$STATE_DIR/mosquitto-test.log" 2>&1 &
remember_started mosquitto-test $! "$CONFIG"
wait_for "Mosquitto" 20 port_open 127.0.0.1 "$PORT"
log "Mosquitto listening on 127.0.0.1:$PORT"
