#!/bin/sh
# Times mitmwatch against the floor (a bare libpcap read loop, bench/
# pcap_floor.c) over the same file, alternating runs, and prints the ratio
# of the medians. Ratios, not seconds: the machines are noisy.
#
# usage: bench/bench.sh [BUILD_DIR] [CAPTURE]
#   BUILD_DIR defaults to build/; CAPTURE defaults to bench/input.pcap,
#   made from ../shared/corpus by bench/make_input.py when missing.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
input=${2:-bench/input.pcap}
runs=${RUNS:-5}
if [ ! -f "$input" ]; then
    python3 bench/make_input.py ../shared/corpus/ndpi/pcap "$input" "${BENCH_MB:-256}"
fi
cmake --build "$build" --target mitmwatch pcap-floor >/dev/null
python3 - "$build" "$input" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
build, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmds = {
    "floor (libpcap read loop)": [f"{build}/pcap-floor", path],
    "mitmwatch": [f"{build}/mitmwatch", "-q", "--json", path],
}
times = {k: [] for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():   # alternate, so drift hits both
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
        times[name].append(time.perf_counter() - t)
size = os.path.getsize(path)
floor = statistics.median(times["floor (libpcap read loop)"])
print(f"input: {path} ({size / 2**20:.0f} MiB), {runs} runs each, medians")
for name, ts in times.items():
    m = statistics.median(ts)
    print(f"  {name:28s} {m:8.3f} s  {size / m / 2**20:8.0f} MiB/s  ratio {m / floor:6.2f}")
PY
