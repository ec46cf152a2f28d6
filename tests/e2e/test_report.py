#!/usr/bin/env python3
"""End-to-end checks of the summary, `mitmwatch merge` and the forensic
outputs, each against values worked out here from an independent source:

  - summary.json against the run's own JSON events (per target, per
    vantage, timeline and transitions recomputed in Python);
  - merge: the merged summary of two runs equals the summary of one run
    over both inputs, byte for byte but for the one counter that is a
    snapshot of the state file (output.baseline_chains_known);
  - --write-flagged: the pcap holds exactly the packets of the flagged
    flows, counted by parsing the input capture here;
  - --certs: one PEM per certificate of every chain in the events, named
    by the SHA-256 of its DER, computed here with hashlib;
  - --vantage NAME=PATH and --vantage-net label the sessions.

usage: test_report.py MITMWATCH SAMPLES_DIR
"""
import base64
import collections
import datetime
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

MITMWATCH = SAMPLES = None
VERDICTS = ("intercepted", "suspicious", "clean", "opaque", "incomplete")
NETS = ("--vantage-net", "kz-almaty=10.20.0.0/16", "--vantage-net",
        "kz-astana-v6=2001:db8:4b5a::/48", "--vantage-net", "kz-other-isp=172.20.0.0/16")


def run(*args, check=True):
    p = subprocess.run([MITMWATCH, *args], capture_output=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError("exit %d: %s" % (p.returncode, p.stderr.decode()))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sample(name):
    return os.path.join(SAMPLES, name + ".pcap")


def read_events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def sessions(events):
    return [r for r in events if r.get("event") in ("tls", "dtls", "quic")]


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def bucket_text(t, width):
    epoch = int(ts(t).timestamp())
    start = epoch - epoch % width
    return datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000000Z")


def expected_summary(evs, width):
    """The summary's members recomputed from the events (docs/summary.md)."""
    targets = collections.defaultdict(lambda: {
        "sessions": dict.fromkeys(VERDICTS, 0), "servers": set(),
        "servers_intercepted": set(), "times": [], "vantages": set()})
    vantages = collections.defaultdict(lambda: {
        "sessions": dict.fromkeys(VERDICTS, 0), "servers": set(),
        "servers_intercepted": set()})
    timeline = collections.defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    # The run's counts also have untrusted sessions (never target sessions).
    total = dict.fromkeys(VERDICTS[:2] + ("untrusted",) + VERDICTS[2:], 0)
    reasons = collections.Counter()
    for r in evs:
        total[r["verdict"]] += 1
        reasons.update(x["code"] for x in r["reasons"])
        if not r["target"]:
            continue
        t, v = targets[r["target"]], vantages[r["vantage"]]
        for d in (t, v):
            d["sessions"][r["verdict"]] += 1
            d["servers"].add(r["dst_ip"])
        timeline[bucket_text(r["ts"], width)][r["verdict"]] += 1
        if r["verdict"] == "intercepted":
            t["servers_intercepted"].add(r["dst_ip"])
            v["servers_intercepted"].add(r["dst_ip"])
            t["times"].append(r["ts"])
            t["vantages"].add(r["vantage"])
    return targets, vantages, timeline, total, reasons


def transitions(timeline):
    out, state = [], None
    for b in sorted(timeline):
        c = timeline[b]
        now = "on" if c["intercepted"] else "off" if c["clean"] or c["suspicious"] else state
        if now != state:
            out.append({"t": b, "state": now})
            state = now
    return out


def sset(values):
    """A summary set: sorted, null first."""
    return sorted(values, key=lambda x: (x is not None, x or ""))


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mw_report_")
        cls.trust = ("--trust-extra", os.path.join(SAMPLES, "trust-store.pem"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def test_summary_matches_events(self):
        ev, rep = self.path("all.json"), self.path("all")
        run("-q", "-o", ev, "--report", rep, "--bucket", "1d", *self.trust, *NETS,
            *[sample(n) for n in ("gen-timeseries", "gen-kz2019", "gen-corporate", "gen-clean")])
        with open(os.path.join(rep, "summary.json")) as f:
            s = json.load(f)
        evs = sessions(read_events(ev))
        targets, vantages, timeline, total, reasons = expected_summary(evs, 86400)
        self.assertEqual(s["bucket_seconds"], 86400)
        self.assertEqual(s["sessions"], dict(total, total=len(evs)))
        self.assertEqual({k: v for k, v in s["reasons"].items() if v}, dict(reasons))
        self.assertEqual(s["inputs"], sorted(["gen-clean.pcap", "gen-corporate.pcap",
                                              "gen-kz2019.pcap", "gen-timeseries.pcap"]))
        seen = {t["target"]: t for t in s["targets"]}
        # Every entry of the built-in lists is listed, seen or not.
        self.assertGreaterEqual(len(seen), 37)
        self.assertIn("vk.com", seen)
        for name, want in targets.items():
            got = seen[name]
            self.assertEqual(got["sessions"], want["sessions"], name)
            self.assertEqual(got["servers"], sorted(want["servers"]), name)
            self.assertEqual(got["servers_intercepted"], sorted(want["servers_intercepted"]),
                             name)
            self.assertEqual(got["first_intercepted"], min(want["times"], default=None))
            self.assertEqual(got["last_intercepted"], max(want["times"], default=None))
            self.assertEqual(got["vantages"], sset(want["vantages"]), name)
        for name, got in seen.items():
            if name not in targets:
                self.assertEqual(sum(got["sessions"].values()), 0, name)
        # The vantage x target matrix, recomputed from the events: counts,
        # and the first/last session times per (target, vantage).
        cells = collections.defaultdict(lambda: {"sessions": dict.fromkeys(VERDICTS, 0),
                                                 "ts": [], "int": []})
        for r in evs:
            if r["target"]:
                c = cells[(r["target"], r["vantage"])]
                c["sessions"][r["verdict"]] += 1
                c["ts"].append(r["ts"])
                if r["verdict"] == "intercepted":
                    c["int"].append(r["ts"])
        got_cells = {(t["target"], c["vantage"]): c for t in s["targets"] for c in t["by_vantage"]}
        self.assertEqual(set(got_cells), set(cells))
        self.assertGreater(len(cells), len(targets))  # some target seen from several vantages
        order = [v["vantage"] for v in s["vantages"]]
        for t in s["targets"]:
            self.assertEqual([c["vantage"] for c in t["by_vantage"]],
                             sorted((c["vantage"] for c in t["by_vantage"]), key=order.index))
        for key, want in cells.items():
            got = got_cells[key]
            self.assertEqual(got["sessions"], want["sessions"], key)
            self.assertEqual((got["first_seen"], got["last_seen"]),
                             (min(want["ts"]), max(want["ts"])), key)
            self.assertEqual((got["first_intercepted"], got["last_intercepted"]),
                             (min(want["int"], default=None), max(want["int"], default=None)), key)
        got_v = {v["vantage"]: v for v in s["vantages"]}
        self.assertEqual(set(got_v), set(vantages))
        for name, want in vantages.items():
            self.assertEqual(got_v[name]["sessions"], want["sessions"], name)
            self.assertEqual(got_v[name]["servers"], sorted(want["servers"]), name)
            self.assertEqual(got_v[name]["servers_intercepted"],
                             sorted(want["servers_intercepted"]), name)
        # The 2019 study's measure: the vantages on the system's path see
        # interception, the other ISP does not.
        self.assertGreater(len(got_v["kz-almaty"]["servers_intercepted"]), 0)
        self.assertEqual(got_v["kz-other-isp"]["servers_intercepted"], [])
        self.assertEqual([dict(b) for b in s["timeline"]],
                         [dict(timeline[k], t=k) for k in sorted(timeline)])
        self.assertEqual(s["transitions"], transitions(timeline))
        # On 17-26 July and 30 July - 7 August 2019 (rules-data/README.md).
        on = [t["t"][:10] for t in s["transitions"] if t["state"] == "on"]
        off = [t["t"][:10] for t in s["transitions"] if t["state"] == "off"]
        self.assertEqual(on, ["2019-07-17", "2019-07-30"])
        # Off at the start and in the pause (its first day with a visible
        # chain: days with only TLS 1.3 sessions leave the state as it was).
        self.assertEqual(off[0], "2019-07-14")
        self.assertTrue("2019-07-27" <= off[1] <= "2019-07-29", off)
        # Forged leaves: those of the intercepted sessions and of the
        # suspicious ones whose chain is untrusted.
        forged = collections.Counter()
        for r in evs:
            codes = [x["code"] for x in r["reasons"]]
            if r["verdict"] == "intercepted" or (r["verdict"] == "suspicious" and
                                                 "UNTRUSTED_CHAIN" in codes):
                forged[r["chain"][0]["sha256"]] += 1
        self.assertEqual({f["sha256"]: f["sessions"] for f in s["forged_certificates"]},
                         dict(forged))
        self.assertEqual(s["counters"]["sessions"]["tls"], len(evs))
        self.assertTrue(os.path.getsize(os.path.join(rep, "report.html")) > 1000)

    def test_text_summary(self):
        rc, out, err = run(*self.trust, *NETS, sample("gen-kz2019"))
        self.assertNotIn("\x1b[", out)  # not a terminal: no colour
        tail = out[out.index("\n\n") if "\n\n" in out else 0:]
        self.assertIn("facebook.com", tail)
        self.assertIn("kz-almaty", tail)
        self.assertIn("never seen", tail)
        _, colored, _ = run("--color", "always", *self.trust, sample("gen-kz2019"))
        self.assertIn("\x1b[", colored)
        # --json: standard output is the event stream, nothing else.
        _, js, _ = run("--json", *self.trust, sample("gen-kz2019"))
        for line in js.splitlines():
            json.loads(line)
        # -q: events only.
        _, quiet, qerr = run("-q", *self.trust, sample("gen-kz2019"))
        self.assertEqual(len(quiet.splitlines()), 30)
        self.assertEqual(qerr, "")

    def test_merge_separate_baselines(self):
        """Runs with separate baselines, merged: the report says which
        cross-run evidence it cannot have, and it is indeed missing (the
        same two runs sharing one baseline find it)."""
        res = {}
        for mode, states in (("shared", ("s.db", "s.db")), ("separate", ("s1.db", "s2.db"))):
            dirs = []
            for name, st in zip(("gen-kz2019", "gen-timeseries"), states):
                d = self.path("%s-%s" % (mode, name))
                run("-q", "-o", os.devnull, "--state", self.path(mode + st), "--report", d,
                    *self.trust, sample(name))
                dirs.append(os.path.join(d, "summary.json"))
            out = self.path("merged-" + mode)
            _, text, _ = run("merge", "--report", out, *dirs)
            with open(os.path.join(out, "summary.json")) as f:
                res[mode] = json.load(f)
            with open(os.path.join(out, "report.html")) as f:
                res[mode + "_html"] = f.read()
            res[mode + "_text"] = text
        shared, sep = res["shared"], res["separate"]
        self.assertEqual(len(shared["baselines"]), 1)
        self.assertTrue(shared["cross_run_evidence"]["complete"])
        self.assertNotIn('id="cross-run"', res["shared_html"])
        self.assertNotIn("Cross-run evidence", res["shared_text"])
        self.assertEqual([b["kind"] for b in sep["baselines"]], ["sqlite", "sqlite"])
        self.assertNotEqual(sep["baselines"][0]["id"], sep["baselines"][1]["id"])
        x = sep["cross_run_evidence"]
        self.assertFalse(x["complete"])
        self.assertEqual(x["why"], "inputs judged against separate baselines")
        codes = [m["code"] for m in x["missing"]]
        self.assertEqual(codes, ["CLONED_CERT", "CHAIN_CHANGED", "VERSION_DOWNGRADE",
                                 "SERVER_FINGERPRINT_CHANGED"])
        self.assertIn('id="cross-run"', res["separate_html"])
        for c in codes:
            self.assertIn("<code>%s</code>" % c, res["separate_html"])
            self.assertIn("  %s: " % c, res["separate_text"])
        self.assertIn("Cross-run evidence: incomplete, inputs judged against separate "
                      "baselines (2)", res["separate_text"])
        # What the separate runs could not see: gen-timeseries' chain change
        # and clone of what gen-kz2019 recorded (docs/detection.md).
        for c in ("CHAIN_CHANGED", "CLONED_CERT"):
            self.assertGreater(shared["reasons"][c], sep["reasons"][c], c)
        self.assertEqual(shared["sessions"]["total"], sep["sessions"]["total"])

    def test_merge_equals_one_run(self):
        state = self.path("merge.db")
        a, b, one, merged = (self.path(x) for x in ("ra", "rb", "rone", "rmerged"))
        run("-q", "--state", state, "--report", a, *self.trust, *NETS, sample("gen-timeseries"))
        run("-q", "--state", state, "--report", b, *self.trust, *NETS, sample("gen-kz2019"))
        run("-q", "--report", one, *self.trust, *NETS, sample("gen-timeseries"),
            sample("gen-kz2019"))
        _, out, _ = run("merge", "--report", merged, os.path.join(b, "summary.json"),
                        os.path.join(a, "summary.json"))
        self.assertIn("facebook.com", out)

        def load(d):
            with open(os.path.join(d, "summary.json")) as f:
                s = json.load(f)
            # What each run found in its state file at start: a snapshot,
            # not a sum (docs/summary.md).
            s["counters"]["output"].pop("baseline_chains_known")
            # Each run has its own trust cache: how often it hit is no
            # sum of two runs' (docs/output.md).
            for k in list(s["counters"]["sessions"]):
                if k.startswith("trust_cache_"):
                    s["counters"]["sessions"].pop(k)
            # Peaks are the largest worker's, and which worker a flow goes
            # to follows a hash keyed per run (docs/security.md): they
            # move from run to run with --threads > 1 (docs/output.md).
            s["counters"]["flows"].pop("active_peak")
            s["counters"]["tcp_reassembly"].pop("buffer_peak_bytes")
            # Which store: merge.db for the two runs, memory for the one.
            s.pop("baselines")
            return s
        self.assertEqual(load(merged), load(one))
        with open(os.path.join(merged, "summary.json")) as f:
            m = json.load(f)
        with open(os.path.join(a, "summary.json")) as f:
            self.assertEqual(m["baselines"], json.load(f)["baselines"])
        self.assertEqual(m["baselines"][0]["kind"], "sqlite")
        self.assertEqual(m["cross_run_evidence"], {"complete": True, "why": None, "missing": []})
        with open(os.path.join(merged, "summary.json"), "rb") as f:
            first = f.read()
        run("merge", "-q", "--report", merged, os.path.join(a, "summary.json"),
            os.path.join(b, "summary.json"))
        with open(os.path.join(merged, "summary.json"), "rb") as f:
            self.assertEqual(f.read(), first)  # order of the files does not matter
        self.assertTrue(os.path.exists(os.path.join(merged, "report.html")))
        # Errors name the file.
        bad = self.path("bad.json")
        with open(bad, "w") as f:
            f.write('{"summary_version": 1,\n "bucket_seconds": }\n')
        rc, _, err = run("merge", "-q", bad, check=False)
        self.assertEqual(rc, 1)
        self.assertIn(bad + ": line 2, column", err)
        other = self.path("rday")
        run("-q", "--report", other, "--bucket", "1d", *self.trust, sample("gen-clean"))
        rc, _, err = run("merge", "-q", os.path.join(a, "summary.json"),
                         os.path.join(other, "summary.json"), check=False)
        self.assertEqual(rc, 1)
        self.assertIn("bucket", err)

    def test_merge_counts_inputs_once(self):
        """Inputs are keyed by size and content hash, not base name."""
        da, db = self.path("va"), self.path("vb")
        os.makedirs(da, exist_ok=True)
        os.makedirs(db, exist_ok=True)
        pa, pb = os.path.join(da, "day.pcap"), os.path.join(db, "day.pcap")
        shutil.copy(sample("gen-clean"), pa)
        shutil.copy(sample("gen-corporate"), pb)
        ra, rb, rm, rd = (self.path(x) for x in ("sa", "sb", "smerged", "sdup"))
        run("-q", "--vantage", "A", "--report", ra, *self.trust, pa)
        run("-q", "--vantage", "B", "--report", rb, *self.trust, pb)

        def load(d):
            with open(os.path.join(d, "summary.json")) as f:
                return json.load(f)
        sa = load(ra)
        with open(pa, "rb") as f:
            data = f.read()
        self.assertEqual(sa["sources"], [{
            "path": pa, "name": "day.pcap", "vantage": "A", "size": len(data),
            "sha256_ends": hashlib.sha256(data).hexdigest(), "run": None}])
        _, out, _ = run("merge", "--report", rm, os.path.join(ra, "summary.json"),
                        os.path.join(rb, "summary.json"))
        m = load(rm)
        self.assertEqual([x["vantage"] for x in m["sources"]], ["A", "B"])
        self.assertIn("2 inputs", out)
        self.assertIn(pa + " (A), " + pb + " (B)", out)
        total = sa["sessions"]["total"] + load(rb)["sessions"]["total"]
        self.assertEqual(m["sessions"]["total"], total)
        # The same summary twice: an error (issue 14), or with
        # --allow-duplicates counted once, with a warning and a counter.
        rc, _, err = run("merge", "-q", "--report", rd, os.path.join(ra, "summary.json"),
                         os.path.join(rb, "summary.json"), os.path.join(ra, "summary.json"),
                         check=False)
        self.assertEqual(rc, 1)
        self.assertIn("the same input twice (--allow-duplicates counts it once)", err)
        self.assertEqual(load(rd)["sessions"]["total"], total)
        rc, _, err = run("merge", "-q", "--allow-duplicates", "--report", rd,
                         os.path.join(ra, "summary.json"), os.path.join(rb, "summary.json"),
                         os.path.join(ra, "summary.json"), check=False)
        self.assertEqual(rc, 0)
        self.assertIn("already merged, skipped", err)
        d = load(rd)
        self.assertEqual(d["sessions"]["total"], total)
        self.assertEqual(d["counters"]["output"]["merge_duplicates"], 1)
        rc, _, err = run("merge", "-q", "--allow-duplicates", "--report", rd,
                         os.path.join(rm, "summary.json"), os.path.join(ra, "summary.json"),
                         check=False)
        self.assertEqual(rc, 0)
        self.assertEqual(load(rd)["sessions"]["total"], total)
        # A part overlap cannot be split: refused, naming the file.
        rc, _, err = run("merge", "-q", os.path.join(ra, "summary.json"),
                         os.path.join(rm, "summary.json"), check=False)
        self.assertEqual(rc, 1)
        self.assertIn("1 of its 2 inputs", err)
        # Over 2 MiB: the first and the last MiB are hashed.
        big = self.path("big.pcap")
        pkt = bytes(range(256)) * 4
        with open(big, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i in range(3000):
                f.write(struct.pack("<IIII", 1563526800 + i, 0, 14 + len(pkt), 14 + len(pkt)))
                f.write(b"\xff" * 12 + b"\x88\xb5" + pkt)
        with open(big, "rb") as f:
            data = f.read()
        self.assertGreater(len(data), 2 << 20)
        rbig = self.path("sbig")
        run("-q", "--report", rbig, big)
        mib = 1 << 20
        self.assertEqual(load(rbig)["sources"][0]["sha256_ends"],
                         hashlib.sha256(data[:mib] + data[-mib:]).hexdigest())
        # Stdin: known by the run, so the same summary twice is still once.
        rs = self.path("sstdin")
        with open(pa, "rb") as f:
            subprocess.run([MITMWATCH, "-q", "--report", rs, *self.trust, "-r", "-"],
                           stdin=f, stdout=subprocess.DEVNULL, check=True)
        src = load(rs)["sources"][0]
        self.assertIsNone(src["size"])
        self.assertRegex(src["run"], "^[0-9a-f]{32}$")
        rc, _, err = run("merge", "-q", "--allow-duplicates", "--report", rd,
                         os.path.join(rs, "summary.json"), os.path.join(rs, "summary.json"),
                         check=False)
        self.assertIn("already merged, skipped", err)
        self.assertEqual(load(rd)["sessions"]["total"], sa["sessions"]["total"])

    def test_write_flagged(self):
        out, ev = self.path("flagged.pcap"), self.path("flagged.json")
        inputs = [sample("gen-corporate"), sample("gen-clean")]
        run("-q", "-o", ev, "--write-flagged", out, *self.trust, *inputs)
        evs = read_events(ev)
        flagged = {flow_key(r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"])
                   for r in sessions(evs) if r["verdict"] in ("intercepted", "suspicious")}
        self.assertGreater(len(flagged), 0)
        want = collections.Counter()
        for path in inputs:
            for _, _, key in read_pcap(path):
                if key in flagged:
                    want[key] += 1
        got = collections.Counter(key for _, _, key in read_pcap(out))
        self.assertEqual(got, want)
        stats = evs[-1]["output"]
        self.assertEqual(stats["flagged_flows"], len(flagged))
        self.assertEqual(stats["flagged_packets"], sum(want.values()))
        # Standard input cannot be read twice: frames are held until their
        # flow is judged (live mode). Same packets as from the file.
        live = self.path("flagged-live.pcap")
        with open(inputs[0], "rb") as f:
            p = subprocess.run([MITMWATCH, "--json", *self.trust, "--write-flagged", live, "-"],
                               stdin=f, capture_output=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        last = json.loads(p.stdout.decode().splitlines()[-1])["output"]
        from_file = collections.Counter()
        for _, _, key in read_pcap(inputs[0]):
            if key in flagged:
                from_file[key] += 1
        got_live = collections.Counter(key for _, _, key in read_pcap(live))
        self.assertEqual(got_live, from_file)
        self.assertEqual(last["flagged_packets"], sum(from_file.values()))
        self.assertEqual(last["flagged_flows"], len({k for k in flagged if from_file[k]}))
        self.assertEqual(last["flagged_flows_unwritable"], 0)
        self.assertEqual(last["flagged_packets_dropped"], 0)
        with open(live, "rb") as a, open(inputs[0], "rb") as b:
            # Frames are written as captured: each one is in the input.
            self.assertTrue(set(frames(a.read())) <= set(frames(b.read())))

    def test_certs_dir(self):
        d, ev = self.path("certs"), self.path("certs.json")
        run("-q", "-o", ev, "--certs", d, *self.trust, sample("gen-kz2019"),
            os.path.join(SAMPLES, "443-curl.pcap"))
        want = {c["sha256"] for r in sessions(read_events(ev)) for c in r["chain"] or []}
        got = set()
        for name in os.listdir(d):
            self.assertTrue(name.endswith(".pem"), name)
            with open(os.path.join(d, name)) as f:
                text = f.read()
            b64 = "".join(text.split("-----")[2].split())
            der = base64.b64decode(b64)
            self.assertEqual(hashlib.sha256(der).hexdigest() + ".pem", name)
            got.add(name[:-4])
        self.assertEqual(got, want)
        self.assertEqual(read_events(ev)[-1]["output"]["certs_written"], len(want))

    def test_vantage_labels(self):
        ev = self.path("v.json")
        run("-q", "-o", ev, "--vantage", "lab", "--vantage",
            "almaty=" + sample("gen-kz2019"), *self.trust, sample("gen-clean"))
        by_capture = collections.defaultdict(set)
        for r in sessions(read_events(ev)):
            by_capture[r["capture"]].add(r["vantage"])
        # capture is the path as given, here what sample() returned.
        self.assertEqual(dict(by_capture), {sample("gen-clean"): {"lab"},
                                            sample("gen-kz2019"): {"almaty"}})
        os.unlink(ev)  # -o appends (a restarted sensor adds to its file)
        run("-q", "-o", ev, *NETS, *self.trust, sample("gen-kz2019"))
        labels = collections.Counter(r["vantage"] for r in sessions(read_events(ev)))
        # kz2019's clients: 10.20/16 (almaty), 2001:db8:4b5a::/48 (astana),
        # 100.70/16 (the server-side vantage: no network given, no label).
        self.assertEqual(set(labels), {"kz-almaty", "kz-astana-v6", None})
        rc, _, err = run("--vantage-net", "x=10.0.0.0/33", sample("gen-clean"), check=False)
        self.assertEqual(rc, 2)
        self.assertIn("--vantage-net", err)


def frames(data):
    """(header, bytes) of every record of a little-endian microsecond pcap."""
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        yield data[off:off + 16], data[off + 16:off + 16 + incl]
        off += 16 + incl


def flow_key(a, ap, b, bp):
    return tuple(sorted([(a, ap), (b, bp)]))


def read_pcap(path):
    """(ts, length, 5-tuple key) of each IPv4/IPv6 TCP or UDP frame of an
    Ethernet pcap, parsed here without mitmwatch's code."""
    import ipaddress
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        et, p = struct.unpack("!H", frame[12:14])[0], 14
        while et in (0x8100, 0x88a8):
            et, p = struct.unpack("!H", frame[p + 2:p + 4])[0], p + 4
        if et == 0x0800:
            ihl = (frame[p] & 15) * 4
            proto, src, dst = frame[p + 9], frame[p + 12:p + 16], frame[p + 16:p + 20]
            l4 = p + ihl
        elif et == 0x86dd:
            proto, src, dst = frame[p + 6], frame[p + 8:p + 24], frame[p + 24:p + 40]
            l4 = p + 40
        else:
            continue
        if proto not in (6, 17):
            continue
        sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
        yield sec + frac / 1e6, orig, flow_key(str(ipaddress.ip_address(src)), sp,
                                               str(ipaddress.ip_address(dst)), dp)


if __name__ == "__main__":
    MITMWATCH, SAMPLES = (os.path.abspath(a) for a in sys.argv[1:3])
    unittest.main(argv=sys.argv[:1], verbosity=2)
