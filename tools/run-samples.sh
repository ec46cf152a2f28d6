#!/bin/sh
# Quick start, part one: install, build, and analyze the bundled samples.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target mitmwatch
# The generated samples chain to the test PKI in samples/trust-store.pem;
# the real ones to public roots (the system's store). Their clients sit in
# one network per vantage point (docs/generator.md); the report goes to
# build/report/ (summary.json, report.html).
./build/mitmwatch --trust-extra samples/trust-store.pem --bucket 1d \
    --vantage-net kz-almaty=10.20.0.0/16 \
    --vantage-net kz-astana-v6=2001:db8:4b5a::/48 \
    --vantage-net kz-other-isp=172.20.0.0/16 \
    --vantage-net kz-server-side=100.70.0.0/16 \
    --vantage-net corporate-lan=192.168.50.0/24 \
    --report build/report samples/
