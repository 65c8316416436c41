#!/usr/bin/env bash
# The README's first command: install, build, then run the demo (examples/demo.ts) — inside a
# private network namespace when this machine allows one (root), so discovery can use multicast
# and DNS-SD without a single packet reaching a real interface.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent
bash scripts/pnpm.sh exec tsc -b
bash scripts/in-netns.sh node examples/dist/demo.js
