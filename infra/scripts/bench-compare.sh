#!/usr/bin/env bash
# npm run bench:compare -- <git-ref> <bench script under dist/, e.g.
#   services/device-management/bench/dispatch-latency.bench.js> [rounds]
# Runs a benchmark of this checkout and of <git-ref> (built in a worktree under $TMPDIR) in
# turns, `rounds` times each (default 2), so that both see the same machine in the same run.
# Environment variables (BENCH_*) go to both.
set -euo pipefail
SCRIPT_NAME=bench-compare
source "$(dirname "$0")/lib.sh"

ref="${1:?usage: npm run bench:compare -- <git-ref> <dist path of the bench script> [rounds]}"
script="${2:?usage: npm run bench:compare -- <git-ref> <dist path of the bench script> [rounds]}"
rounds="${3:-2}"
sha="$(git -C "$REPO_DIR" rev-parse --short "$ref^{commit}")"
# Outside the checkout: lint, tsc and jest must not see a second tree.
baseline="${TMPDIR:-/tmp}/opcfleet-bench-baseline/$sha"

if [ ! -d "$baseline" ]; then
  log "building $ref ($sha) in $baseline"
  git -C "$REPO_DIR" worktree add --detach "$baseline" "$sha" >/dev/null
  ln -s "$REPO_DIR/node_modules" "$baseline/node_modules"
  mkdir -p "$baseline/infra/pki" && ln -sfn "$REPO_DIR/infra/pki/out" "$baseline/infra/pki/out"
fi
# The baseline builds with its own scripts (older ones had no build:server).
(cd "$baseline" && if npm run | grep -q '^  build:server'; then npm run -s build:server; else npm run -s build; fi)
(cd "$REPO_DIR" && npm run -s build:server)

for round in $(seq 1 "$rounds"); do
  for side in "this checkout:$REPO_DIR" "$ref ($sha):$baseline"; do
    log "round $round/$rounds: $script of ${side%%:*}"
    (cd "${side#*:}" && node "dist/$script")
  done
done
