#!/usr/bin/env python3
"""--threads N changes nothing but speed.

usage: test_threads.py MITMWATCH INPUT...

Runs mitmwatch on the inputs with --threads 1, 2 and 4, every sink on
(--report, -o with --flows, --certs, --state, --write-flagged), and checks
against the --threads 1 run:
  - summary.json and report.html byte for byte, but for the two peak
    counters (flows.active_peak, tcp_reassembly.buffer_peak_bytes) and the
    trust cache's (sessions.trust_cache_*: each worker has its own cache),
    which depend on the threads (docs/output.md says so), and the store
    identity in "baselines" (each run has its own --state file): their
    values are blanked in both before the comparison, and nothing else may
    differ;
  - the JSON Lines file line for line (the same order: docs/output.md),
    the stats record compared with the same counters blanked;
  - the readable summary on standard output, the flagged packets and the
    certificate directory, byte for byte;
  - the exit status.
It also checks that the peaks are there (a number in every run).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

PEAKS = ("active_peak", "buffer_peak_bytes", "trust_cache_hits", "trust_cache_misses",
         "trust_cache_time_misses", "trust_cache_uncacheable", "trust_cache_evictions")
PEAK_JSON = re.compile(r'"(%s)":\d+' % "|".join(PEAKS))
PEAK_HTML = re.compile(
    r'(data-counter="(?:%s)"><td>[^<]*</td><td>[^<]*</td><td class="n" '
    r'data-k="value" data-v=")\d+(">)\d+' % "|".join(PEAKS))


# Each run has its own --state file, so its own store identity
# (summary.json "baselines"; docs/summary.md): blanked too.
STORE_ID = re.compile(r'("baselines":\[\{"kind":"[a-z]+","id":)"[0-9a-f]{32}"')


def blank_json(text):
    found = len(PEAK_JSON.findall(text))
    text = STORE_ID.sub(r'\1"-"', text)
    return PEAK_JSON.sub(lambda m: '"%s":0' % m.group(1), text), found


# report.html lists only counters that are not zero: the trust cache's
# rows may come and go with the threads, so they are dropped whole.
CACHE_ROW = re.compile(r'<tr data-group="sessions" data-counter="trust_cache_[a-z_]*">.*?</tr>\n')


def blank_html(text):
    text = CACHE_ROW.sub("", text)
    found = len(PEAK_HTML.findall(text))
    return PEAK_HTML.sub(lambda m: m.group(1) + "0" + m.group(2) + "0", text), found


def run(binary, threads, inputs, out):
    os.makedirs(out)
    cmd = [binary, "--threads", str(threads), "--flows", "-o", f"{out}/events.jsonl",
           "--report", f"{out}/report", "--certs", f"{out}/certs",
           "--state", f"{out}/state.db", "--write-flagged", f"{out}/flagged.pcap",
           "--color", "never", *inputs]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode not in (0, 1):
        sys.exit(f"--threads {threads}: exit {r.returncode}: {r.stderr.decode()[-2000:]}")
    return r


def read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, inputs = sys.argv[1], sys.argv[2:]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        runs = {t: run(binary, t, inputs, f"{tmp}/t{t}") for t in (1, 2, 4)}
        base = f"{tmp}/t1"
        summary1, n = blank_json(read(f"{base}/report/summary.json"))
        html1, nh = blank_html(read(f"{base}/report/report.html"))
        events1 = read(f"{base}/events.jsonl").splitlines()
        if n != len(PEAKS) or nh != 2:
            sys.exit(f"peak counters not found as expected (json {n}, html {nh})")
        sessions = sum(1 for line in events1 if json.loads(line)["event"] in ("tls", "dtls", "quic"))
        if sessions < 50:
            sys.exit(f"only {sessions} sessions: the inputs do not exercise anything")
        for t in (2, 4):
            d = f"{tmp}/t{t}"
            checks = []
            s, _ = blank_json(read(f"{d}/report/summary.json"))
            checks.append(("summary.json", s == summary1))
            h, _ = blank_html(read(f"{d}/report/report.html"))
            checks.append(("report.html", h == html1))
            ev = read(f"{d}/events.jsonl").splitlines()
            same = len(ev) == len(events1) and all(
                a == b or (blank_json(a)[0] == blank_json(b)[0] and '"event":"stats"' in a)
                for a, b in zip(ev, events1))
            checks.append(("events.jsonl, in order", same))
            checks.append(("stdout", runs[t].stdout == runs[1].stdout))
            checks.append(("exit status", runs[t].returncode == runs[1].returncode))
            with open(f"{d}/flagged.pcap", "rb") as a, open(f"{base}/flagged.pcap", "rb") as b:
                checks.append(("flagged.pcap", a.read() == b.read()))
            certs = sorted(os.listdir(f"{d}/certs"))
            checks.append(("certs", certs == sorted(os.listdir(f"{base}/certs")) and all(
                read(f"{d}/certs/{c}") == read(f"{base}/certs/{c}") for c in certs)))
            for name, ok in checks:
                print(f"{'ok' if ok else 'FAIL'}: --threads {t}: {name}")
                failed += not ok
        print(f"{sessions} sessions, {len(events1)} records")
    print(f"{14 - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
