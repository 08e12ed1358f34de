#!/usr/bin/env bash
# Installs the opcfleet edge agent on a device from dist/agent (npm run build:agent: the one-file
# bundle, this script and the systemd unit; copy that directory to the device and run):
#
#   sudo ./install.sh --tenant acme --client press-07 --broker-url mqtts://broker:8883 \
#     --password-file ./credential --workload-container opc-core --config-dir /srv/opc/config \
#     [--health-probe-port 8080] [--ca-file ca.crt] [--docker-host unix:///run/podman/podman.sock]
#     [--username NAME]   (default tenants/<tenant>/clients/<client>, as the API's credential says)
#
# It writes $PREFIX/lib/opcfleet-agent/opcfleet-agent.cjs, the command $PREFIX/bin/opcfleet-agent,
# the settings $ETC_DIR/agent.json (0600: it holds the credential) and, with systemd, the unit
# opcfleet-agent.service, enabled and started. The credential is read from a file, never from the
# command line (where `ps` would show it). Needs Node.js 20.19+ on the device.
# --prefix DIR and --etc-dir DIR install elsewhere; --no-systemd leaves the unit out.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$here/opcfleet-agent.cjs"
prefix=/usr/local
etc_dir=/etc/opcfleet-agent
systemd=auto
tenant='' client='' broker_url='' username='' password_file='' container='' config_dir=''
probe_port='' ca_file='' docker_host=''

fail() { echo "install.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  option="$1"
  case "$option" in
    --no-systemd) systemd=no; shift; continue ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  esac
  [ $# -ge 2 ] && [ -n "$2" ] || fail "$option needs a value (see --help)"
  value="$2"
  shift 2
  case "$option" in
    --tenant) tenant="$value" ;;
    --client) client="$value" ;;
    --broker-url) broker_url="$value" ;;
    --username) username="$value" ;;
    --password-file) password_file="$value" ;;
    --workload-container) container="$value" ;;
    --config-dir) config_dir="$value" ;;
    --health-probe-port) probe_port="$value" ;;
    --ca-file) ca_file="$value" ;;
    --docker-host) docker_host="$value" ;;
    --prefix) prefix="$value" ;;
    --etc-dir) etc_dir="$value" ;;
    *) fail "unknown option $option (see --help)" ;;
  esac
done
for required in tenant client broker_url container config_dir; do
  [ -n "${!required}" ] || fail "--${required//_/-} is required"
done
[ -f "$bundle" ] || fail "no agent bundle at $bundle: run it from dist/agent (npm run build:agent)"
[ -z "$password_file" ] || [ -r "$password_file" ] || fail "cannot read $password_file"
command -v node >/dev/null || fail "Node.js 20.19+ is needed on the device"

install -d -m 0755 "$prefix/lib/opcfleet-agent" "$prefix/bin"
install -m 0644 "$bundle" "$prefix/lib/opcfleet-agent/opcfleet-agent.cjs"
# Node run as bench:agent measures the daemon (node-flags, beside this script; see the agent's
# README): without them it stays well over its memory budget.
node_flags="$(cat "$here/node-flags")" || fail "no node-flags beside $0"
cat >"$prefix/bin/opcfleet-agent" <<LAUNCHER
#!/bin/sh
exec node $node_flags "$prefix/lib/opcfleet-agent/opcfleet-agent.cjs" "\$@"
LAUNCHER
chmod 0755 "$prefix/bin/opcfleet-agent"

# The settings as JSON, built by node so every value is quoted right.
install -d -m 0700 "$etc_dir"
umask 077
# The embedded broker's device credentials name the client's topic root as the username.
TENANT="$tenant" CLIENT="$client" BROKER_URL="$broker_url" \
  USERNAME="${username:-tenants/$tenant/clients/$client}" \
  PASSWORD_FILE="$password_file" CONTAINER="$container" CONFIG_DIR="$config_dir" \
  PROBE_PORT="$probe_port" CA_FILE="$ca_file" DOCKER_HOST_URL="$docker_host" \
  node -e '
    const { readFileSync, writeFileSync } = require("node:fs");
    const e = process.env;
    const settings = {
      tenantId: e.TENANT,
      clientId: e.CLIENT,
      mqttUrl: e.BROKER_URL,
      workloadContainer: e.CONTAINER,
      configDir: e.CONFIG_DIR,
    };
    if (e.PASSWORD_FILE) {
      settings.mqttUsername = e.USERNAME;
      settings.mqttPassword = readFileSync(e.PASSWORD_FILE, "utf8").trim();
    }
    if (e.PROBE_PORT) settings.healthProbePort = Number(e.PROBE_PORT);
    if (e.CA_FILE) settings.mqttCaFile = e.CA_FILE;
    if (e.DOCKER_HOST_URL) settings.dockerHost = e.DOCKER_HOST_URL;
    writeFileSync(process.argv[1], JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
  ' "$etc_dir/agent.json"
umask 022

if [ "$systemd" = auto ] && [ -d /run/systemd/system ]; then
  sed -e "s#/usr/local/bin/opcfleet-agent#$prefix/bin/opcfleet-agent#" \
    -e "s#/etc/opcfleet-agent#$etc_dir#g" \
    -e "s#^ReadWritePaths=.*#& $config_dir#" \
    "$here/opcfleet-agent.service" >/etc/systemd/system/opcfleet-agent.service
  systemctl daemon-reload
  systemctl enable --now opcfleet-agent.service
  echo "opcfleet-agent installed and started: systemctl status opcfleet-agent; opcfleet-agent status"
else
  echo "opcfleet-agent installed in $prefix (no systemd): EDGE_AGENT_SETTINGS_FILE=$etc_dir/agent.json $prefix/bin/opcfleet-agent run"
fi
