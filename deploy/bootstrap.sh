#!/usr/bin/env bash
# Installs every Debian package listed in deploy/packages.txt that is not installed yet.
# Idempotent and quiet: with everything present it only checks and returns. On failure it
# prints apt's log and exits non-zero. Needs root (or sudo) only when something is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt")

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

log=$(mktemp -t hbprep-bootstrap.XXXXXX)
echo "bootstrap: installing ${missing[*]}" >&2
if ! { $sudo apt-get update -qq && \
       DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
     >"$log" 2>&1; then
  cat "$log" >&2
  echo "bootstrap: apt-get failed (log above)" >&2
  exit 1
fi
rm -f "$log"
