#!/bin/sh
# Times mitmwatch against the floor (a bare libpcap read loop, bench/
# pcap_floor.c) and against its peers over the same file, alternating runs,
# and prints each median as a ratio to the floor. Ratios, not seconds: the
# machines are noisy. Peers, when installed (tools/install-deps.sh --bench):
#   ndpiReader  nDPI's own reader: the same classification, no TLS chains
#   tshark      Wireshark, asked for the same facts (SNI and certificates)
#
# usage: bench/bench.sh [BUILD_DIR] [CAPTURE]
#   BUILD_DIR defaults to build/; CAPTURE defaults to bench/readdressed.pcap
#   (~533 MB, 1.5 M packets: 15 re-addressed, re-timed copies of
#   ../shared/corpus), made by `bench/make_input.py --readdress` when
#   missing and never committed. bench/input.pcap (the older 128 MB input
#   of unchanged copies) is still made by `bench/make_input.py DIR OUT MB`.
#   RUNS=N (5), MW_ARGS="--threads 2" (added to the mitmwatch rows),
#   BENCH_TSHARK=0 (skip tshark), BENCH_REPORT=1 (also a --report row),
#   BENCH_THREADS="1 2 4" (also a row per --threads N).
# Prints per row the median wall time, MiB/s, the ratio to the floor and
# the peak RSS (the largest of the runs, from wait4's rusage).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
input=${2:-bench/readdressed.pcap}
runs=${RUNS:-5}
if [ ! -f "$input" ]; then
    case "$input" in
    bench/readdressed.pcap) python3 bench/make_input.py --readdress ../shared/corpus "$input" ;;
    *) python3 bench/make_input.py ../shared/corpus/ndpi/pcap "$input" "${BENCH_MB:-128}" ;;
    esac
fi
cmake --build "$build" --target mitmwatch pcap-floor >/dev/null
python3 - "$build" "$input" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
build, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
import shutil
extra = os.environ.get("MW_ARGS", "").split()
cmds = {
    "floor (libpcap read loop)": [f"{build}/pcap-floor", path],
    "mitmwatch " + " ".join(["-q", "--json"] + extra):
        [f"{build}/mitmwatch", "-q", "--json"] + extra + [path],
}
if os.environ.get("BENCH_REPORT") == "1":
    # The same with the summary and both report files written at the end.
    cmds["mitmwatch --report"] = [f"{build}/mitmwatch", "-q", "--json"] + extra + [
        "--report", f"{build}/bench-report", path]
for n in os.environ.get("BENCH_THREADS", "").split():
    cmds[f"mitmwatch --threads {n}"] = [f"{build}/mitmwatch", "-q", "--json",
                                        "--threads", n, path]
ndpi = None
if shutil.which("ndpiReader"):
    ndpi = "ndpiReader -q"
    cmds[ndpi] = ["ndpiReader", "-q", "-i", path]
if shutil.which("tshark") and os.environ.get("BENCH_TSHARK", "1") == "1":
    cmds["tshark (SNI + certificates)"] = [
        "tshark", "-n", "-r", path, "-Y", "tls.handshake.type == 1 || tls.handshake.type == 11",
        "-T", "fields", "-e", "tls.handshake.extensions_server_name",
        "-e", "tls.handshake.certificate"]
times = {k: [] for k in cmds}
rss = {k: 0 for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():   # alternate, so drift hits both
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        times[name].append(time.perf_counter() - t)
        rss[name] = max(rss[name], ru.ru_maxrss)  # KiB on Linux
size = os.path.getsize(path)
floor = statistics.median(times["floor (libpcap read loop)"])
print(f"input: {path} ({size / 2**20:.0f} MiB), {runs} runs each, alternating, medians")
for name, ts in times.items():
    m = statistics.median(ts)
    vs = ""
    if ndpi and name.startswith("mitmwatch"):
        vs = f"  {statistics.median(times[ndpi]) / m:5.2f}x faster than ndpiReader"
    print(f"  {name:36s} {m:8.3f} s  {size / m / 2**20:6.0f} MiB/s  floor x{m / floor:6.2f}"
          f"  peak RSS {rss[name] / 1024:6.0f} MiB{vs}")
PY
