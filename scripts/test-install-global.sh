#!/usr/bin/env bash
# Checks the README's one step for PATH for real: `npm run install-global` into a temporary
# prefix, then the installed `syfala`, by name, from another folder: --version, `devices` (the
# installed copy's own native addon), serve (with its status page and metrics) and connect on
# 127.0.0.1, its bash completion sourced
# and its man page rendered. The prefix is removed at the end. It runs after the tests in .ci/run,
# not in vitest: npm builds the native addon again in the installed copy, and the whole check
# took 2.5 to 3.5 minutes on this project's shared 2-core machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
server=
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "install-global: $*" >&2
  exit 1
}

npm run --silent --prefix "$root" install-global -- --prefix "$tmp/prefix" --offline --silent
export PATH="$tmp/prefix/bin:$PATH"
cd "$tmp"
[[ "$(command -v syfala)" == "$tmp/prefix/bin/syfala" ]] || fail "syfala is not the installed one"
version=$(node -p "require('$root/apps/syfala/package.json').version")
[[ "$(syfala --version)" == "$version" ]] || fail "syfala --version is not $version"
# JACK's entry comes from the native addon: "not built" (NOT_INSTALLED) if the copy has none.
syfala devices --json >devices.json
! grep -q 'not built' devices.json || fail "the installed copy has no native addon: $(cat devices.json)"
# JACK is asked from the engine process (@syfala/native-engine's host/, a file of the copy's own):
# it answers with the server's clock, or that no server runs.
grep -q '"backend":"jack","available":true\|JACK server' devices.json ||
  fail "the installed copy's engine process did not ask JACK: $(cat devices.json)"

syfala serve --bind 127.0.0.1 --no-mdns --udp-port 0 --control-port 0 --metrics 0 --log json \
  2>"$tmp/serve.log" &
server=$!
# logged EVENT FIELD: FIELD of serve's first EVENT log line, once it is there.
logged() {
  node -e '
    for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n"))
      if (line.includes(`"${process.argv[2]}"`)) { console.log(JSON.parse(line)[process.argv[3]]); break; }
  ' "$tmp/serve.log" "$1" "$2"
}
for _ in $(seq 100); do
  port=$(logged listening udpPort)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || fail "serve did not listen: $(cat "$tmp/serve.log")"
syfala connect "127.0.0.1:$port" --duration 1 --record take.wav --json >connect.json
grep -q '"type":"summary"' connect.json || fail "connect printed no summary"
[[ -s take.wav ]] || fail "connect recorded nothing"
# The status page is a file of the installed copy's own (src/observe), served beside /metrics.
url=$(logged metrics-listening url)
node -e '
  const [url] = process.argv.slice(1);
  Promise.all([fetch(url).then((r) => r.text()), fetch(url + "metrics").then((r) => r.text())]).then(
    ([page, metrics]) => process.exit(page.includes("<title>syfala") && metrics.includes("syfala_sessions") ? 0 : 1),
    () => process.exit(1),
  );
' "$url" || fail "the status page or /metrics did not answer at $url"
kill "$server"
wait "$server" || fail "serve did not exit 0 on SIGTERM"
server=

completions=$(bash -c 'source <(syfala completion bash) && COMP_WORDS=(syfala con) COMP_CWORD=1 &&
  _syfala && echo "${COMPREPLY[@]}"')
[[ "$completions" == connect ]] || fail "bash completion of 'syfala con' gave '$completions'"
syfala man | groff -man -Tutf8 -ww -z 2>&1 | (! grep .) || fail "the man page has groff warnings"
echo "install-global: syfala $version installed, served, connected, status page and metrics served, completed, man page rendered"
