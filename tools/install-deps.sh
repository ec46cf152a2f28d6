#!/bin/sh
# Installs what mitmwatch needs on Debian 12, with apt-get only (see
# docs/dependencies.md for why each package is there).
#   tools/install-deps.sh          build and test dependencies
#   tools/install-deps.sh --bench  also the benchmark's peers (ndpiReader)
set -eu
pkgs="build-essential cmake pkg-config libpcap-dev libndpi-dev libssl-dev
      zlib1g-dev liblzma-dev libzstd-dev libbz2-dev libjansson-dev libsqlite3-dev libcap-ng-dev libsystemd-dev python3
      xz-utils zstd bzip2 python3-jsonschema gzip tshark clang clang-tidy cppcheck
      libclang-rt-14-dev libpq-dev postgresql-15 slurm-wlm munge
      ca-certificates chromium chromium-driver python3-selenium
      dpkg-dev debhelper fakeroot lintian man-db adduser tcpreplay systemd iproute2"
if [ "${1:-}" = "--bench" ]; then
    pkgs="$pkgs libndpi-bin"
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
missing=
for p in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing"
    # tshark asks whether non-root users may capture; the answer does not
    # matter here (it only reads files), so keep Debian's default: no.
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends $missing >/dev/null
fi
