#!/usr/bin/env bash
# Runs `npm ci` when node_modules is missing or older than package-lock.json, so that the
# README's two commands work on a fresh clone.
SCRIPT_NAME=node-modules
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_DIR"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  log "npm dependencies up to date"
fi
