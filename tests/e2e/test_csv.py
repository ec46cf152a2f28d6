#!/usr/bin/env python3
"""--csv and merge --csv: a row per session, equal to the JSON events.

usage: test_csv.py MITMWATCH SAMPLES_DIR CORPUS_DIR

The expected rows are computed here from the JSON Lines events of the same
run with Python's csv module (an independent writer and reader), so a
column that drifts from its event field fails.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

BIN, SAMPLES, CORPUS = (os.path.abspath(a) for a in sys.argv[1:4])
COLS = ["ts", "capture", "vantage", "event", "proto", "src_ip", "src_port", "dst_ip",
        "dst_port", "sni", "version", "verdict", "reasons", "target", "leaf_sha256",
        "leaf_subject", "leaf_issuer", "chain_sha256"]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def defuse(s, wire=False):
    # Control bytes as \xNN; for the SNI (wire bytes) also \ and non-ASCII.
    keep = (lambda c: 0x20 <= ord(c) < 0x7f and c != "\\") if wire else \
           (lambda c: ord(c) >= 0x20 and ord(c) != 0x7f)
    s = "".join(c if keep(c) else "".join("\\x%02x" % b for b in c.encode()) for c in s)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def expected_row(e):
    chain = e.get("chain") or []
    leaf = chain[0] if chain else {}
    val = lambda v: "" if v is None else defuse(str(v))
    return [val(e["ts"]), val(e["capture"]), val(e["vantage"]), e["event"], e["proto"],
            e["src_ip"], str(e["src_port"]), e["dst_ip"], str(e["dst_port"]),
            "" if e["sni"] is None else defuse(e["sni"], True),
            val(e["version"]), val(e["verdict"]),
            ";".join(r["code"] for r in e.get("reasons") or []), val(e["target"]),
            val(leaf.get("sha256")), val(leaf.get("subject")), val(leaf.get("issuer")),
            ";".join(c["sha256"] for c in chain)]


with tempfile.TemporaryDirectory() as tmp:
    for name, args in (("samples", ["--trust-extra", os.path.join(SAMPLES, "trust-store.pem"),
                                    "--vantage", "lab", SAMPLES]),
                       ("corpus", [CORPUS])):
        ev, out = os.path.join(tmp, name + ".json"), os.path.join(tmp, name + ".csv")
        p = subprocess.run([BIN, "-q", "-o", ev, "--csv", out, *args], capture_output=True)
        if p.returncode not in (0, 1):
            fail("%s: exit %d %s" % (name, p.returncode, p.stderr[-300:]))
            continue
        with open(ev) as f:
            events = [json.loads(l) for l in f]
        sessions = [e for e in events if e["event"] in ("tls", "dtls", "quic")]
        with open(out, newline="") as f:
            raw = f.read()
        rows = list(csv.reader(io.StringIO(raw)))
        if rows[0] != COLS:
            fail("%s: header %s" % (name, rows[0]))
        if not raw.endswith("\r\n") or "\n" in raw.replace("\r\n", ""):
            fail("%s: lines must end in CRLF, no bare LF" % name)
        # Rows in the order the events were written.
        if len(rows) - 1 != len(sessions):
            fail("%s: %d rows for %d sessions" % (name, len(rows) - 1, len(sessions)))
        for i, (row, e) in enumerate(zip(rows[1:], sessions), 1):
            want = expected_row(e)
            if row != want:
                diff = [(c, a, b) for c, a, b in zip(COLS, row, want) if a != b]
                fail("%s row %d: %s" % (name, i, diff[:3]))
                break
        # merge --csv of the event file writes the same bytes.
        merged = os.path.join(tmp, name + "-merged.csv")
        p = subprocess.run([BIN, "merge", "-q", "--csv", merged, ev], capture_output=True)
        with open(merged, newline="") as f:
            if p.returncode != 0 or f.read() != raw:
                fail("%s: merge --csv differs from the run's --csv (exit %d)" % (name, p.returncode))
        print("%s: %d rows checked" % (name, len(rows) - 1))

    # An event file without --csv is a usage error; a CSV that cannot be
    # written is an output failure (exit 1), never silent.
    p = subprocess.run([BIN, "merge", os.path.join(tmp, "samples.json")], capture_output=True)
    if p.returncode != 2 or b"--csv" not in p.stderr:
        fail("merge of an event file without --csv: exit %d" % p.returncode)
    p = subprocess.run([BIN, "-q", "--csv", "/dev/full", os.path.join(SAMPLES, "443-curl.pcap")],
                       capture_output=True)
    if p.returncode != 1 or b"--csv" not in p.stderr:
        fail("--csv /dev/full: exit %d" % p.returncode)
    # A hostile SNI: quoted, defused, still one line.
    rec = {"ts": "2019-07-20T08:00:00.000000Z", "event": "tls", "capture": "x,y.pcap",
           "vantage": None, "proto": "tcp", "src_ip": "10.0.0.1", "src_port": 1,
           "dst_ip": "10.0.0.2", "dst_port": 443, "sni": "=HYPERLINK(\"http://e\")\nx",
           "version": "TLSv1.2", "verdict": "clean", "reasons": [], "target": None,
           "chain": None}
    ev = os.path.join(tmp, "hostile.json")
    with open(ev, "w") as f:
        f.write(json.dumps(rec) + "\n")
    out = os.path.join(tmp, "hostile.csv")
    subprocess.run([BIN, "merge", "-q", "--csv", out, ev], check=True)
    with open(out, newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) != 2 or rows[1][9] != "'=HYPERLINK(\"http://e\")\\x0ax" or rows[1][1] != "x,y.pcap":
        fail("hostile row: %r" % text)

print("%d passed, %d failed" % (int(failures == 0), int(failures > 0)))
sys.exit(1 if failures else 0)
