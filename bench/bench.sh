#!/bin/sh
# Times mitmwatch against the floor (a bare libpcap read loop, bench/
# pcap_floor.c) and against its peers over the same file, alternating runs,
# and prints each median as a ratio to the floor. Ratios, not seconds: the
# machines are noisy. Peers, when installed (tools/install-deps.sh --bench):
#   ndpiReader  nDPI's own reader: the same classification, no TLS chains
#   tshark      Wireshark, asked for the same facts (SNI and certificates)
#
# usage: bench/bench.sh [BUILD_DIR] [CAPTURE]
#   BUILD_DIR defaults to build/; CAPTURE defaults to bench/input.pcap,
#   made from ../shared/corpus by bench/make_input.py when missing.
#   RUNS=N (3), BENCH_TSHARK=0 (skip tshark), BENCH_THREADS="1 2 4".
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
input=${2:-bench/input.pcap}
runs=${RUNS:-3}
if [ ! -f "$input" ]; then
    python3 bench/make_input.py ../shared/corpus/ndpi/pcap "$input" "${BENCH_MB:-128}"
fi
cmake --build "$build" --target mitmwatch pcap-floor >/dev/null
python3 - "$build" "$input" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
build, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
import shutil
cmds = {
    "floor (libpcap read loop)": [f"{build}/pcap-floor", path],
    "mitmwatch": [f"{build}/mitmwatch", "-q", "--json", path],
    # The same with the summary and both report files written at the end.
    "mitmwatch --report": [f"{build}/mitmwatch", "-q", "--json", "--report",
                           f"{build}/bench-report", path],
}
# BENCH_THREADS="1 2 4": also mitmwatch with each --threads N (the plain
# row uses the default, one worker per online core).
for n in os.environ.get("BENCH_THREADS", "").split():
    cmds[f"mitmwatch --threads {n}"] = [f"{build}/mitmwatch", "-q", "--json",
                                        "--threads", n, path]
if shutil.which("ndpiReader"):
    cmds["ndpiReader (nDPI 4.2)"] = ["ndpiReader", "-q", "-i", path]
if shutil.which("tshark") and os.environ.get("BENCH_TSHARK", "1") == "1":
    cmds["tshark (SNI + certificates)"] = [
        "tshark", "-n", "-r", path, "-Y", "tls.handshake.type == 1 || tls.handshake.type == 11",
        "-T", "fields", "-e", "tls.handshake.extensions_server_name",
        "-e", "tls.handshake.certificate"]
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
