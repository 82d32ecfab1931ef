#!/bin/sh
# Installs the Debian packages restock needs to build, run and test, when any is missing.
# Run by `make run`, `make test` and `.ci/run`; a no-op when everything is there.
set -e
PKGS="build-essential pkg-config clang clang-format
libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev libxml2-dev
tzdata sqlite3 python3-pytest python3-aiosmtpd python3-cryptography libjs-chart.js wrk nginx-light"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
