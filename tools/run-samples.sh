#!/bin/sh
# Quick start, part one: install, build, and analyze the bundled samples.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target mitmwatch
./build/mitmwatch samples/ || test $? -eq 1
