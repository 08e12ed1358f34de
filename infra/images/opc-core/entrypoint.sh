#!/bin/busybox sh
# A stand-in for the OPC Core Client: serves /health on $OPC_HTTP_PORT, reads its mounted config
# file and reloads it on SIGHUP. OPC_VARIANT picks a misbehaviour so tests can drive every path:
#   good            healthy, accepts any non-empty JSON object config
#   crash-at-start  exits 1 at once
#   never-healthy   runs, but /health answers 404
#   rejects-config  healthy, but rejects every config it is asked to load (keeps the previous one)
B=/bin/busybox
PORT="${OPC_HTTP_PORT:-8080}"
CONFIG="${OPC_CONFIG_FILE:-/config/opc-client.json}"
WWW=/tmp/www

log() { echo "opc-core ${OPC_VERSION} [${OPC_VARIANT}]: $*"; }

if [ "$OPC_VARIANT" = crash-at-start ]; then
  log "crashing at start on purpose"
  exit 1
fi

$B mkdir -p "$WWW"
echo "$OPC_VERSION" >"$WWW/version"

load_config() {
  if [ ! -f "$CONFIG" ]; then
    echo "none" >"$WWW/config-status"
    log "no config at $CONFIG"
    return
  fi
  if [ "$OPC_VARIANT" = rejects-config ]; then
    echo "rejected" >"$WWW/config-status"
    log "config rejected (variant rejects-config)"
    return
  fi
  case "$($B head -c 1 "$CONFIG")" in
    "{")
      $B cp "$CONFIG" "$WWW/config"
      echo "applied" >"$WWW/config-status"
      log "config loaded from $CONFIG"
      ;;
    *)
      echo "rejected" >"$WWW/config-status"
      log "config rejected: not a JSON object"
      ;;
  esac
}

load_config
if [ "$OPC_VARIANT" != never-healthy ]; then echo "ok $OPC_VERSION" >"$WWW/health"; fi

$B httpd -f -p "$PORT" -h "$WWW" &
HTTPD=$!
log "serving on :$PORT"

# PID 1 gets no default signal handling: without these traps `stop` would wait its whole timeout.
trap 'log "reloading"; load_config' HUP
trap 'log "stopping"; $B kill $HTTPD 2>/dev/null; exit 0' TERM INT

while :; do
  # `wait` returns when a trapped signal arrives, so HUP and TERM are handled at once.
  $B sleep 3600 &
  wait $!
  if ! $B kill -0 $HTTPD 2>/dev/null; then log "httpd died"; exit 2; fi
done
