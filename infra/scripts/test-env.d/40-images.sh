#!/usr/bin/env bash
# The images of infra/images (the service with the console, the agent, Mosquitto, PostgreSQL),
# which infra/test/kube-play.spec.ts plays with the manifests of infra/k8s. Built as `npm run
# images` builds them, kept here and not pushed (the test runs them from local storage; `npm run
# images` pushes). An image whose inputs did not change is not built again.
PUSH="${PUSH:-0}" bash "$(dirname "${BASH_SOURCE[0]}")/../../images/build-images.sh"
