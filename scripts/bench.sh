#!/usr/bin/env bash
# Builds the packages, then runs every benchmark (bench/run.ts). Results: bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent
bash scripts/pnpm.sh exec tsc -b
cd bench && bash ../scripts/pnpm.sh exec tsx run.ts
