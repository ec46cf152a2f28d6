#!/bin/sh
# Runs mitmwatch on every capture of a directory, one process per file, and
# fails on any crash, hang (120 s) or sanitizer report. Exit status 1 (an
# input the tool rejects or finds damaged, with its message) is accepted
# and listed; the file list is the record of which inputs are damaged.
#
# usage: corpus.sh MITMWATCH DIR
set -u
bin=$1
dir=$2
[ -d "$dir" ] || { echo "corpus.sh: no directory $dir"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Sanitizers exit with their own codes so a report is never mistaken for
# mitmwatch's exit status 1.
ASAN_OPTIONS="exitcode=86:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

passed=0
failed=0
rejected=0
for f in "$dir"/*; do
    case "$f" in *.txt) continue ;; esac
    [ -f "$f" ] || continue
    timeout 120 "$bin" --json --flows "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    name=$(basename "$f")
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "FAIL $name: exit status $rc"
        sed 's/^/    /' "$tmp/err" | head -40
        failed=$((failed + 1))
    elif grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/err"; then
        echo "FAIL $name: sanitizer report"
        sed 's/^/    /' "$tmp/err" | head -40
        failed=$((failed + 1))
    elif ! tail -n 1 "$tmp/out" | grep -q '^{"event":"stats",'; then
        echo "FAIL $name: no final stats record"
        failed=$((failed + 1))
    else
        if [ $rc -eq 1 ]; then
            echo "rejected $name: $(grep '^mitmwatch: ' "$tmp/err" | head -1)"
            rejected=$((rejected + 1))
        fi
        passed=$((passed + 1))
    fi
done
echo "corpus: $((passed + failed)) files, $rejected rejected or damaged (exit 1, listed above)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
