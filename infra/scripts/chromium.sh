#!/usr/bin/env bash
# Debian's Chromium for the console's browser stories: playwright-core drives it through
# executablePath (/usr/bin/chromium), so no browser is ever downloaded. Safe to run twice.
SCRIPT_NAME=chromium
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if command -v chromium >/dev/null 2>&1; then
  log "Chromium present: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
apt_install chromium fonts-liberation
log "Chromium installed: $(chromium --version 2>/dev/null | head -1)"
