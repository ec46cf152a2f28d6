#!/bin/sh
# tools/fuzz.sh TARGET SECONDS - a libFuzzer run of one fuzz target
# (tests/fuzz/README.md). Builds build-fuzz (clang, -DMW_FUZZ=ON) when the
# target is missing; grows a working corpus in build-fuzz/corpus/TARGET,
# started from the committed seeds (tests/fuzz/corpus/TARGET, never written);
# a crash, leak, timeout or sanitizer report is written to
# tests/fuzz/regressions/TARGET/ (printed), and the exit status is non-zero.
# Environment: MW_FUZZ_BUILD (build-fuzz), MW_FUZZ_JOBS (2, for building).
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 TARGET SECONDS  (targets: tests/fuzz/fuzz_*.c)" >&2
    exit 2
fi
target=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MW_FUZZ_BUILD:-$root/build-fuzz}
src=$root/tests/fuzz
if [ ! -f "$src/fuzz_$target.c" ]; then
    echo "$0: no target $target ($src/fuzz_$target.c)" >&2
    exit 2
fi
if [ ! -x "$build/fuzz_$target" ]; then
    CC=${CC:-clang} cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DMW_FUZZ=ON >/dev/null
    cmake --build "$build" -j "${MW_FUZZ_JOBS:-2}" --target "fuzz_$target"
fi
work=$build/corpus/$target
crashes=$src/regressions/$target
mkdir -p "$work" "$crashes"
dict=
if [ -f "$src/$target.dict" ]; then
    dict=-dict=$src/$target.dict
fi
echo "==> fuzz_$target for ${seconds}s; corpus $work; crashes go to $crashes/"
# -timeout: one input taking 10 s is a finding (a hang); -rss_limit_mb: so
# is an input making the process grow past 2 GB (the documented bounds are
# far below). The seeds are read but new inputs are added to $work only.
set +e
# shellcheck disable=SC2086
"$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 $dict \
    -artifact_prefix="$crashes/" "$work" "$src/corpus/$target"
status=$?
set -e
if [ $status -ne 0 ]; then
    echo "==> fuzz_$target FAILED (status $status): reproducer(s) in $crashes/" >&2
    echo "    replay: $build/fuzz_$target $crashes/<file>" >&2
fi
exit $status
