#!/usr/bin/env bash
# promtool (Prometheus' rule checker and rule unit-test runner) for infra/test/prometheus-rules.spec.ts,
# taken out of Debian's prometheus package without installing it (installing would also start a
# Prometheus server). Lands in $STATE_DIR/promtool/promtool. Safe to run twice.
SCRIPT_NAME=promtool
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
target="$STATE_DIR/promtool/promtool"
if [ -x "$target" ]; then
  log "promtool ready"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt-get download runs as the _apt user where it can: give it a folder it may write to.
chmod 777 "$work"
if ! (cd "$work" && apt-get download -qq prometheus 2>/dev/null); then
  as_root apt-get update -qq
  (cd "$work" && apt-get download -qq prometheus)
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
mkdir -p "$(dirname "$target")"
cp "$work/root/usr/bin/promtool" "$target"
log "promtool $("$target" --version 2>&1 | head -1 | awk '{print $3}') ready"
