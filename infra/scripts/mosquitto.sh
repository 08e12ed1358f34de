#!/usr/bin/env bash
# Starts the project's own Mosquitto for the tests (infra/mosquitto/test.conf, port 1884), afresh
# on every run: it keeps nothing on disk, and what an earlier run left in it (the persistent
# sessions of test services, each queueing every status report published since, up to
# max_queued_messages) would slow every publish of this run. A test broker of any checkout of
# this project (its command line names infra/mosquitto/test.conf) is stopped first; another
# broker already on the port is left alone.
SCRIPT_NAME=mosquitto
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${MOSQUITTO_TEST_PORT:-1884}"
CONFIG="$INFRA_DIR/mosquitto/test.conf"
command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto mosquitto-clients
for pid in $(pgrep -f "mosquitto -c .*infra/mosquitto/test\.conf" || true); do
  log "stopping the test Mosquitto of an earlier run (pid $pid)"
  kill "$pid" 2>/dev/null || true
  wait_for "Mosquitto pid $pid to stop" 20 bash -c "! kill -0 $pid 2>/dev/null"
done
if port_open 127.0.0.1 "$PORT"; then
  log "another broker listens on 127.0.0.1:$PORT: using it as it is (its settings may differ from $CONFIG)"
  exit 0
fi
log "starting Mosquitto on 127.0.0.1:$PORT"
nohup mosquitto -c "$CONFIG" >"$STATE_DIR/mosquitto-test.log" 2>&1 &
wait_for "Mosquitto" 20 port_open 127.0.0.1 "$PORT"
log "Mosquitto listening on 127.0.0.1:$PORT"
