#!/usr/bin/env bash
# Puts `syfala` on PATH: `npm install -g` of one self-contained tarball of the app (the README's
# one step, `npm run install-global`; arguments go to npm, e.g. --prefix DIR). The @syfala/*
# packages are workspace packages that no registry holds, so the tarball bundles every
# dependency: `pnpm deploy` copies the app and its production dependencies (the workspace ones
# as their `files`, the rest from the lockfile and pnpm's store) into a flat node_modules, which
# `npm pack` bundles. npm then builds the native addon in the installed copy (@syfala/native's
# install script), so the copy needs nothing from this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm() { bash scripts/pnpm.sh "$@"; }

[[ -d node_modules ]] || pnpm install --frozen-lockfile
pnpm exec tsc -b
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Copies, not hard links into the store: npm pack never finishes on hard-linked files.
pnpm --filter syfala deploy --prod --prefer-offline --reporter=silent \
  --config.inject-workspace-packages=true --config.node-linker=hoisted \
  --config.package-import-method=copy "$work/syfala"
# pnpm deploy writes the workspace dependencies as file: paths into this repository; the
# bundled copies' own versions keep the installed copy self-contained.
node -e '
  const fs = require("fs");
  const file = process.argv[1] + "/package.json";
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const name of Object.keys(pkg.dependencies)) {
    const dep = `${process.argv[1]}/node_modules/${name}/package.json`;
    pkg.dependencies[name] = JSON.parse(fs.readFileSync(dep, "utf8")).version;
  }
  delete pkg.devDependencies;
  pkg.bundleDependencies = true;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
' "$work/syfala"
tarball=$(cd "$work/syfala" && npm pack --silent --pack-destination "$work")
npm install --global --no-fund --no-audit "$@" "$work/$tarball"
