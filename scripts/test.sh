#!/usr/bin/env bash
# The README's test command: install, type-check and build, lint, check formatting, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm() { bash scripts/pnpm.sh "$@"; }

pnpm install --frozen-lockfile --reporter=append-only
# The install builds the native addon but forgives a failure (so users without a compiler can
# install); the tests do not: build it again here, loudly, if it is missing.
[[ -f native/build/Release/syfala_native.node ]] || pnpm --filter @syfala/native build
echo "== build and type-check (tsc -b, tsc -p tsconfig.test.json)"
pnpm exec tsc -b
pnpm exec tsc -p tsconfig.test.json
echo "== lint (eslint)"
pnpm exec eslint .
echo "== format (prettier --check)"
pnpm exec prettier --check . --log-level warn
echo "== C++ core (make -C native test sanitize tsan portable: plain, ASan+UBSan, TSan, no mmsg)"
make -s -C native test sanitize tsan portable
echo "== tests (vitest, in a private network namespace: scripts/in-netns.sh)"
mkdir -p .tmp
status=0
bash scripts/in-netns.sh node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest.json "$@" || status=$?
# One plain closing line that any CI reader understands, from vitest's own JSON report.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
'
exit "$status"
