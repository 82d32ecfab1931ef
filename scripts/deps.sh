#!/bin/sh
# Installs what restock needs to build, run and test, when any of it is missing: Debian packages
# (chromium for the browser tests),
# node and npm (for the web push service stand-in), and the stand-in's npm packages (npm ci, from
# the committed package-lock.json; run again only when that lock file changes, so it works offline
# once done). Run by `make run`, `make test` and `.ci/run`; a no-op when everything is there.
set -e
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config clang clang-format
libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev libxml2-dev
tzdata sqlite3 python3-pytest python3-aiosmtpd python3-cryptography libjs-chart.js wrk nginx-light
chromium fonts-dejavu-core time"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# node and npm may come from another source than Debian's (whose npm conflicts with some of
# them): install Debian's only when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The web push service stand-in's packages (tests/e2e/pushsvc: http_ece), and the browser tests'
# driver (tests/browser: playwright-core, which drives Debian's /usr/bin/chromium; it downloads no
# browser of its own).
for dir in tests/e2e/pushsvc tests/browser; do
  if [ ! -f $dir/node_modules/.package-lock.json ] ||
     [ $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]; then
    echo "npm ci in $dir"
    npm ci --prefix $dir --no-audit --no-fund --loglevel=error
  fi
done
