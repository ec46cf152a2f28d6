#!/bin/sh
# The golden check on the benchmark capture: make bench/make_input.py's
# default input (128 MiB from ../shared/corpus) in a temporary directory
# and compare its sessions with the list on record.
# usage: golden_bench.sh MITMWATCH CORPUS_DIR [--threads N]
set -eu
bin=$1
corpus=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 "$here/../../bench/make_input.py" "$corpus" "$tmp/input.pcap" 128
python3 "$here/test_golden.py" "$bin" "$here/../data/golden/bench128.tsv.gz" "$@" \
    -- "$tmp/input.pcap"
