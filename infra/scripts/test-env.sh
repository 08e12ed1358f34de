#!/usr/bin/env bash
# Everything the test suite needs, installed and started when missing. Safe to run twice.
SCRIPT_NAME=test-env
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/ensure-node-modules.sh"
bash "$here/postgres.sh"
bash "$here/mosquitto.sh"
bash "$here/container-engine.sh"
bash "$here/chromium.sh"
for extra in "$here"/test-env.d/*.sh; do [ -e "$extra" ] && bash "$extra"; done
log "test environment ready"
