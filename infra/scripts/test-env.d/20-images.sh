#!/usr/bin/env bash
# The sample workload images the edge agent's real-engine tests pull from the local registry.
bash "$(dirname "${BASH_SOURCE[0]}")/../../images/build-and-push.sh"
