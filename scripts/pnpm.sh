#!/usr/bin/env bash
# Runs the pinned pnpm: the one on PATH if it is version 10, else through npx
# (corepack's own download is blocked on the machines this project is built on).
set -euo pipefail
if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version)" == 10.* ]]; then
  exec pnpm "$@"
fi
exec npx --yes pnpm@10 "$@"
