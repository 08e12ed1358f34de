#!/usr/bin/env bash
# infra/scripts/test.sh [JEST ARGS...]: what `npm test` runs. Sets up the test environment,
# checks (lint, import graph, types), builds, then runs every jest project, and the unit and
# embedded suites again on the Node.js LTS the images run. Arguments go to the first jest pass
# only (`.ci/run` passes `--json --outputFile=...` for its summary line); before, npm appended
# them to the last command of the script, whose `npm run` took them as its own options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/scripts/test-env.sh
npm run lint
npm run deps:check
npm run typecheck
npm run build --silent
jest "$@"
npm run -s test:node-lts
