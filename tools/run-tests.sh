#!/bin/sh
# Quick start, part two: install, build and run every test, twice: a
# release build (-O2) and an AddressSanitizer + UndefinedBehaviorSanitizer
# build; then the threaded tests (ctest label "threads": --threads 1, 2, 4
# compared) under ThreadSanitizer, and once more with one judgement held
# per worker (build-pend1). Then the static checks (clang build,
# clang-tidy, cppcheck), and the Debian package built, installed, tried
# and removed (test-package.sh). Last, every fuzz target runs for 30 s
# under libFuzzer (build-fuzz, clang, -DMW_FUZZ=ON), two at a time.
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
echo "==> build-tsan: configure and build (-DMW_TSAN=ON), threaded tests"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DMW_TSAN=ON >/dev/null
cmake --build build-tsan -j "$jobs" --target mitmwatch
# halt_on_error: a race fails the test (exit 66), it is not just printed.
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
    ctest -L threads --output-on-failure -j "$jobs") || status=1
# Each worker holds up to 64 judgements for their turns (cli/parallel.c):
# with one, the path of a full queue is taken at almost every session, and
# the outputs of 1, 2 and 4 workers must still be those of one thread.
echo "==> build-pend1: one judgement held per worker (-DMW_PAR_PEND_MAX=1), threaded outputs"
cmake -S . -B build-pend1 -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-DMW_PAR_PEND_MAX=1 >/dev/null
cmake --build build-pend1 -j "$jobs" --target mitmwatch
(cd build-pend1 && ctest -R 'e2e_threads|e2e_golden_.*_t[124]' --output-on-failure -j "$jobs") || status=1
echo "==> static checks"
tools/lint.sh || status=1
echo "==> Debian package: build, lintian, install, run, remove"
tools/test-package.sh || status=1
echo "==> build-fuzz: libFuzzer targets, 30 s each (tests/fuzz/README.md)"
fuzz_targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMW_FUZZ=ON >/dev/null
# shellcheck disable=SC2046
cmake --build build-fuzz -j "$jobs" --target $(for t in $fuzz_targets; do echo "fuzz_$t"; done)
mkdir -p build-fuzz/logs
# Two at a time (CI has 2 cores); each run's output goes to its log, shown
# when the run fails (a crash: the reproducer is in tests/fuzz/regressions/).
if ! echo "$fuzz_targets" | xargs -P 2 -I{} sh -c \
        'tools/fuzz.sh {} 30 >build-fuzz/logs/{}.log 2>&1 || { tail -n 60 build-fuzz/logs/{}.log; exit 1; }'; then
    echo "==> fuzzing found a crash (see above)"
    status=1
fi
if [ $status -ne 0 ]; then
    echo "run-tests: FAILED"
else
    echo "run-tests: all passed"
fi
exit $status
