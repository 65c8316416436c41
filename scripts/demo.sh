#!/usr/bin/env bash
# The README's first command: install, build, and run the loopback demo (examples/loopback-stream.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent
bash scripts/pnpm.sh exec tsc -b
node examples/dist/loopback-stream.js
