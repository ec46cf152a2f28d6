#!/bin/sh
# Static checks: the code must build warning-free with clang too, and pass
# clang-tidy (.clang-tidy) and cppcheck.
set -eu
cd "$(dirname "$0")/.."
status=0
echo "--> clang build"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-clang -j "$(nproc)" >/dev/null || status=1
srcs=$(ls src/*/*.c tools/gen/*.c tests/fuzz/*.c 2>/dev/null)
echo "--> clang-tidy"
clang-tidy -p build-clang --quiet $srcs 2>/dev/null | grep -E 'warning:|error:' && status=1
echo "--> cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
    --std=c11 --inline-suppr -D_GNU_SOURCE -Isrc -Itools/gen \
    --suppress=missingIncludeSystem $srcs || status=1
[ $status -eq 0 ] && echo "lint: clean"
exit $status
