#!/usr/bin/env bash
# Installs the Debian packages named as arguments when any is missing. As root it runs apt-get;
# otherwise it prints the exact command to run and exits 1. Also checks for the Swift toolchain.
set -euo pipefail
if ! command -v swift >/dev/null 2>&1; then
  echo "error: 'swift' is not on PATH. Install the Swift 6 toolchain (swift.org) and try again." >&2
  exit 1
fi
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "missing Debian packages. Run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
