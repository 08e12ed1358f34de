#!/usr/bin/env bash
# Drops the image names earlier test runs left in the engine: each test pulls the sample images
# under a name of its own (127.0.0.1:<port>/opcfleet/t-<id>/... and an authenticating registry's
# 127.0.0.1:<port>/opcfleet/opc-core), and does not untag them itself, because Podman before 4.8
# rewrites an image's whole list of names on each untag and could drop a name another test had
# just pulled (edge-agent/test/engine/workload-fixture.ts). Here no test runs yet.
SCRIPT_NAME=test-image-names
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
REGISTRY_ADDR="${TEST_REGISTRY:-127.0.0.1:5000}"
fixture_name='^127\.0\.0\.1:[0-9]+/opcfleet/t-[0-9a-f]+/opc-core:'
auth_registry_name='^127\.0\.0\.1:[0-9]+/opcfleet/opc-core:'
mapfile -t names < <(podman images --format '{{.Repository}}:{{.Tag}}' | grep -v ':<none>$' |
  grep -E "$fixture_name|$auth_registry_name" | grep -v "^$REGISTRY_ADDR/opcfleet/opc-core:" | sort -u)
if [ "${#names[@]}" -gt 0 ]; then
  log "untagging ${#names[@]} image names of earlier test runs"
  # Only names go: the images stay under the sample names build-and-push.sh gave them.
  for name in "${names[@]}"; do podman untag "$name" "$name" 2>/dev/null || true; done
fi
