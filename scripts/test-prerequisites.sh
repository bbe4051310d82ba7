#!/usr/bin/env bash
# Run by `npm test` first: what the tests need that npm cannot install. Installs it with
# apt-get when run as root on Debian; otherwise fails at once with one line saying what to do.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
else
  echo "npm test: the tests need ${missing[*]}: install them (Debian: sudo apt-get install -y ${missing[*]}) and run npm test again" >&2
  exit 1
fi
