#!/bin/sh
# Quick start, part one: install, build, and analyze the bundled samples.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target mitmwatch
# The generated samples chain to the test PKI in samples/trust-store.pem;
# the real ones to public roots (the system's store).
./build/mitmwatch --trust-extra samples/trust-store.pem samples/
