#!/usr/bin/env python3
"""Throughput of one mitmwatch process with each baseline store, alone and
four at once (docs/scale.md has the figures and how to read them).

usage: state_bench.py MITMWATCH CAPTURE [RUNS [PART1 PART2 PART3 PART4]]

Stores: none (the in-memory baseline of one run), a SQLite file, and a
PostgreSQL 15 database on a throwaway local server this script starts
(tests/e2e/test_pg.PgServer: initdb, pg_ctl on 127.0.0.1, stopped at the
end). For each store: RUNS (default 3) single runs into a new store
("cold"; the median is printed) and one more into the store the last one
filled ("warm": lookups find history), then four processes at once, each
reading the whole CAPTURE into one new shared store (the worst case for
the upserts: the same rows), and, when four PARTs are given (CAPTURE cut
in four, e.g. `editcap -c`), four processes at once a part each: the
usual case of distinct captures. Every run is `--threads 1 --json -q` with the
events in a temporary file; sessions are the stats record's
sessions.events, MB are the capture's bytes (10^6).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from test_pg import PgServer  # noqa: E402


def start(mw, cap, state):
    args = [mw, "--threads", "1", "--json", "-q", "--no-progress"]
    if state:
        args += ["--state", state]
    out = tempfile.TemporaryFile()
    return subprocess.Popen(args + [cap], stdout=out, stderr=subprocess.PIPE), out, time.time()


def finish(p, out, t0):
    err = p.communicate(timeout=3600)[1]
    dt = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError(err.decode())
    out.seek(0)
    stats = None
    for line in out:
        if line.startswith(b'{"event":"stats"'):
            stats = json.loads(line)
    out.close()
    return dt, stats["sessions"]["events"], stats["output"]


def main():
    mw, cap = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    parts = sys.argv[4:8]
    mb = os.path.getsize(cap) / 1e6
    tmp = tempfile.mkdtemp(prefix="mw_sbench_")
    pg = PgServer()
    pg.start()
    n = [0]

    def new_store(kind):
        n[0] += 1
        if kind == "none":
            return None
        if kind == "sqlite":
            return os.path.join(tmp, "s%d.db" % n[0])
        return pg.createdb("b%d" % n[0])

    try:
        print("capture %s: %.1f MB; %d cores online, load %.2f" %
              (cap, mb, os.cpu_count(), os.getloadavg()[0]))
        print("| store | run | s | sessions | sessions/s | MB/s |")
        print("|---|---|---|---|---|---|")
        for kind in ("none", "sqlite", "postgresql"):
            cold = []
            for _ in range(runs):
                state = new_store(kind)
                cold.append(finish(*start(mw, cap, state)))
            dt, sess, _ = sorted(cold)[len(cold) // 2]
            print("| %s | 1 process, cold (median of %d) | %.2f | %d | %.0f | %.1f |" %
                  (kind, runs, dt, sess, sess / dt, mb / dt))
            if state:
                dt, sess, _ = finish(*start(mw, cap, state))
                print("| %s | 1 process, warm | %.2f | %d | %.0f | %.1f |" %
                      (kind, dt, sess, sess / dt, mb / dt))
            state = new_store(kind)
            t0 = time.time()
            procs = [start(mw, cap, state if kind != "none" else None) for _ in range(4)]
            res = [finish(*p) for p in procs]
            wall = time.time() - t0
            per = statistics.median(r[0] for r in res)
            sess = res[0][1]
            unstored = sum(r[2]["baseline_unstored"] + r[2]["baseline_errors"] for r in res)
            print("| %s | 4 at once, each (median) | %.2f | %d | %.0f | %.1f |" %
                  (kind, per, sess, sess / per, mb / per))
            print("| %s | 4 at once, together | %.2f | %d | %.0f | %.1f |%s" %
                  (kind, wall, 4 * sess, 4 * sess / wall, 4 * mb / wall,
                   " (%d unstored/errors)" % unstored if unstored else ""))
            if len(parts) == 4:
                state = new_store(kind)
                t0 = time.time()
                procs = [start(mw, part, state) for part in parts]
                res = [finish(*p) for p in procs]
                wall = time.time() - t0
                sess = sum(r[1] for r in res)
                pmb = sum(os.path.getsize(part) for part in parts) / 1e6
                print("| %s | 4 at once, a part each, together | %.2f | %d | %.0f | %.1f |" %
                      (kind, wall, sess, sess / wall, pmb / wall))
    finally:
        pg.cleanup()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
