#!/usr/bin/env bash
# The README's test command: install, type-check and build, lint, check formatting, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm() { bash scripts/pnpm.sh "$@"; }

pnpm install --frozen-lockfile --reporter=append-only
echo "== build (tsc -b, strict)"
pnpm exec tsc -b
echo "== lint (eslint)"
pnpm exec eslint .
echo "== format (prettier --check)"
pnpm exec prettier --check . --log-level warn
echo "== tests (vitest)"
pnpm exec vitest run "$@"
