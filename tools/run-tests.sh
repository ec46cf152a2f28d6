#!/bin/sh
# Quick start, part two: install, build and run every test, twice: a
# release build (-O2) and an AddressSanitizer + UndefinedBehaviorSanitizer
# build. Then the static checks (clang build, clang-tidy, cppcheck), and
# the Debian package built, installed, tried and removed (test-package.sh).
# Exits non-zero if anything fails. CI runs exactly this (.ci/run).
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
jobs=$(nproc)
status=0

build_and_test() {
    dir=$1
    shift
    echo "==> $dir: configure and build ($*)"
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    echo "==> $dir: ctest"
    (cd "$dir" && ctest --output-on-failure -j "$jobs") || status=1
}

build_and_test build -DCMAKE_BUILD_TYPE=Release
build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DMW_SANITIZE=ON
echo "==> static checks"
tools/lint.sh || status=1
echo "==> Debian package: build, lintian, install, run, remove"
tools/test-package.sh || status=1
if [ $status -ne 0 ]; then
    echo "run-tests: FAILED"
else
    echo "run-tests: all passed"
fi
exit $status
