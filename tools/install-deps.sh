#!/bin/sh
# Installs what mitmwatch needs to build and test on Debian 12, with apt-get
# only (see docs/dependencies.md for why each package is there).
set -eu
pkgs="build-essential cmake pkg-config libpcap-dev libndpi-dev libssl-dev
      zlib1g-dev python3 clang clang-tidy cppcheck gzip"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
          awk '$4 != "installed" {print $1}')
# dpkg-query says nothing at all about packages it has never heard of.
for p in $pkgs; do
    dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$(echo $missing)" ]; then
    echo "install-deps: installing$(echo " $missing" | tr -s ' \n' ' ')"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
