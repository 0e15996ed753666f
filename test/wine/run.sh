#!/usr/bin/env bash
# npm run test:wine: the Windows single-file executable under Wine, against the test Dovecot.
# Installs nothing. Needs (Debian): apt-get install -y wine64 osslsigncode dovecot-imapd
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wine >/dev/null 2>&1; then
  echo "test:wine needs Wine: sudo apt-get install -y wine64" >&2
  exit 1
fi

# A fresh executable from the current sources (the Windows target only, no zip).
node build/sea.mjs --target win-x64 --no-zip

# A throw-away Wine prefix: a fresh one is also what an admin's clean Windows looks like.
WINEPREFIX="$(mktemp -d "${TMPDIR:-/tmp}/ibt-wine-XXXXXX")"
export WINEPREFIX WINEDEBUG=-all
cleanup() {
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

npx vitest run --config test/wine/vitest.config.ts
