#!/usr/bin/env python3
"""End-to-end checks of mitmwatch on captures made by mwgen (tools/gen).

usage: test_generator.py MWGEN MITMWATCH SAMPLES_DIR
       test_generator.py --regen-samples MWGEN SAMPLES_DIR

Every scenario is regenerated with a fixed seed; for every session of the
ground truth, mitmwatch must report one session with the same 5-tuple, SNI,
version, handshake state and chain hashes. The forged certificates are
checked against the genuine ones as mitmwatch parsed them (names, key,
validity shift, serial), and IP TTLs and the box's ClientHello are read
from the capture itself. Two runs with one seed must be byte-identical,
and samples/ must equal a fresh regeneration.
"""
import calendar
import filecmp
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

MWGEN = MITMWATCH = SAMPLES = None

# The committed samples: (base name, mwgen arguments). Real key sizes.
SAMPLE_RUNS = [
    ("gen-clean", ["--scenario", "clean", "--sessions", "12"]),
    ("gen-kz2019", ["--scenario", "kz2019", "--sessions", "30"]),
    ("gen-corporate", ["--scenario", "corporate", "--sessions", "8"]),
    ("gen-timeseries", ["--scenario", "timeseries", "--days", "26",
                        "--sessions", "1", "--vantages", "3"]),
]
SAMPLE_SEED = "2019"

# The test's own runs: small keys (--fast-pki) to stay quick under ASan.
TEST_RUNS = [
    ("clean", ["--scenario", "clean"]),
    ("kz2019", ["--scenario", "kz2019"]),
    ("kz2019-nosni", ["--scenario", "kz2019-nosni"]),
    ("corporate", ["--scenario", "corporate"]),
    ("timeseries", ["--scenario", "timeseries", "--days", "26",
                    "--sessions", "1", "--vantages", "4"]),
    ("scale", ["--scenario", "scale", "--sessions", "300", "--bulk", "20000"]),
]
SIX_HOURS = 6 * 3600


def gen(out, name, args, seed="7", fast=True):
    cmd = [MWGEN, "--seed", seed, "--out", out, "--name", name, *args]
    if fast:
        cmd.append("--fast-pki")
    p = subprocess.run(cmd, capture_output=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("mwgen failed: %s\n%s" % (cmd, p.stderr.decode()))


def truth(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def analyze(pcap):
    p = subprocess.run([MITMWATCH, "--json", "-q", pcap], capture_output=True,
                       timeout=600)
    if p.returncode not in (0, 1):
        raise AssertionError("mitmwatch failed: %s" % p.stderr.decode())
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def ts_seconds(iso):
    # "2019-04-25T01:18:34Z" without datetime's time zone handling.
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def pcap_packets(path):
    """(ttl, src, sport, dst, dport, flags, payload_len) of IPv4/TCP packets."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    assert magic == 0xa1b2c3d4
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if struct.unpack_from(">H", pkt, 12)[0] != 0x0800:
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        thl = (tcp[12] >> 4) * 4
        total, = struct.unpack_from(">H", ip, 2)
        out.append((ip[8], ".".join(map(str, ip[12:16])),
                    struct.unpack_from(">H", tcp, 0)[0],
                    ".".join(map(str, ip[16:20])),
                    struct.unpack_from(">H", tcp, 2)[0], tcp[13],
                    total - ihl - thl))
    return out


class Generator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.events = {}
        cls.truths = {}
        for name, args in TEST_RUNS:
            gen(cls.tmp, name, args)
            cls.truths[name] = truth(os.path.join(cls.tmp, name + ".truth.jsonl"))
            cls.events[name] = [e for e in analyze(os.path.join(cls.tmp, name + ".pcap"))
                                if e["event"] == "tls"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check_scenario(self, name):
        evs = {(e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"]): e
               for e in self.events[name]}
        tr = self.truths[name]
        self.assertGreater(len(tr), 0)
        self.assertEqual(len(self.events[name]), len(tr))
        for t in tr:
            key = (t["src_ip"], t["src_port"], t["dst_ip"], t["dst_port"])
            self.assertIn(key, evs, t)
            e = evs[key]
            chain = None if e["chain"] is None else [c["sha256"] for c in e["chain"]]
            self.assertEqual(e["sni"], t["sni"], key)
            self.assertEqual(chain, t["chain_sha256"], key)
            self.assertEqual(e["handshake"], t["handshake"], key)
            self.assertEqual(e["resumed"], t["resumed"], key)
            self.assertEqual(e["version"], t["version"], key)
            self.assertEqual(e["ts"], t["ts"], key)
        return evs

    def test_clean(self):
        self.check_scenario("clean")
        tr = self.truths["clean"]
        kinds = {(t["version"], t["handshake"], t["resumed"]) for t in tr}
        # Every kind the scenario promises is there.
        for k in [("TLSv1.2", "complete", False), ("TLSv1.2", "opaque", True),
                  ("TLSv1.3", "opaque", False), (None, "incomplete", False)]:
            self.assertIn(k, kinds)
        self.assertFalse(any(t["intercepted"] for t in tr))
        self.assertTrue(any(":" in t["src_ip"] for t in tr))   # IPv6 too

    def genuine_certs(self):
        certs = {}
        for evs in self.events.values():
            for e in evs:
                for c in e["chain"] or []:
                    certs[c["sha256"]] = c
        return certs

    def test_kz2019(self):
        evs = self.check_scenario("kz2019")
        genuine = self.genuine_certs()
        compared = 0
        box_ja3, client_ja3 = set(), set()
        for t in self.truths["kz2019"]:
            e = evs[(t["src_ip"], t["src_port"], t["dst_ip"], t["dst_port"])]
            (box_ja3 if t["client_hello_by"] == "kz-box" else client_ja3).add(e["ja3"])
            if not t["intercepted"] or t["vantage"] == "server-side":
                continue
            self.assertEqual(t["interceptor"], "kz-2019")
            leaf, inter = e["chain"]
            self.assertEqual(inter["subject"], "CN=Security Certificate,C=KZ")
            self.assertEqual(inter["issuer"], "CN=Qaznet Trust Network,C=KZ")
            self.assertEqual(leaf["issuer"], "CN=Security Certificate,C=KZ")
            self.assertEqual(leaf["key"], "RSA-1024")   # --fast-pki
            self.assertEqual(leaf["rsa_exponent"], 3)
            self.assertIsNone(leaf["authority_key_id"])
            self.assertIsNone(leaf["subject_key_id"])
            g = genuine.get(t["genuine_chain_sha256"][0])
            if g is None:
                continue
            compared += 1
            self.assertEqual(leaf["subject"], g["subject"])
            self.assertEqual(leaf["san"], g["san"])
            self.assertEqual(ts_seconds(g["not_before"]) - ts_seconds(leaf["not_before"]), SIX_HOURS)
            self.assertEqual(ts_seconds(g["not_after"]) - ts_seconds(leaf["not_after"]), SIX_HOURS)
            self.assertEqual(len(leaf["serial"]), len(g["serial"]))
            self.assertEqual(leaf["serial"][:-8], g["serial"][:-8])
            self.assertNotEqual(leaf["serial"], g["serial"])
        self.assertGreater(compared, 3)
        # The box's upstream hello is its own fingerprint (server-side view).
        self.assertTrue(box_ja3)
        self.assertFalse(box_ja3 & client_ja3)
        # SNI facebook.com to another server: the forgery names that server.
        odd = [t for t in self.truths["kz2019"] if t["server_host"] == "iqala.kz"]
        self.assertEqual(len(odd), 1)
        e = evs[(odd[0]["src_ip"], odd[0]["src_port"], odd[0]["dst_ip"], odd[0]["dst_port"])]
        self.assertEqual(e["chain"][0]["subject"], "CN=*.iqala.kz,O=iqala.kz,C=US")

    def test_kz2019_nosni(self):
        # No SNI: the box forges for the target servers anyway; the target
        # is known by the forged leaf's names (target_by "certificate").
        evs = self.check_scenario("kz2019-nosni")
        tr = self.truths["kz2019-nosni"]
        self.assertEqual(len(tr), 6)
        forged = 0
        for t in tr:
            e = evs[(t["src_ip"], t["src_port"], t["dst_ip"], t["dst_port"])]
            self.assertIsNone(e["sni"])
            if t["intercepted"]:
                forged += 1
                self.assertEqual(e["chain"][0]["issuer"], "CN=Security Certificate,C=KZ")
                self.assertEqual(e["verdict"], "intercepted")
                self.assertEqual(e["target_by"], "certificate")
                host = t["server_host"]
                self.assertTrue(host == e["target"].lstrip(".") or
                                host.endswith(e["target"]), (host, e["target"]))
            else:
                self.assertIsNone(e["target"])
                self.assertIsNone(e["target_by"])
                self.assertNotIn(e["verdict"], ("intercepted", "suspicious"))
        self.assertEqual(forged, 4)

    def test_kz2019_ttl(self):
        pk = pcap_packets(os.path.join(self.tmp, "kz2019.pcap"))
        t = next(t for t in self.truths["kz2019"]
                 if t["intercepted"] and t["vantage"] == "kz-almaty")
        back = [p for p in pk if p[1] == t["dst_ip"] and p[2] == t["dst_port"]
                and p[3] == t["src_ip"] and p[4] == t["src_port"]]
        synack = [p for p in back if p[5] & 0x02]
        data = [p for p in back if p[6] > 0]
        self.assertEqual([p[0] for p in synack], [52])
        self.assertTrue(data)
        self.assertEqual({p[0] for p in data}, {61})
        # Segments are at most one MSS.
        self.assertTrue(all(p[6] <= 1460 for p in pk))
        self.assertTrue(any(p[6] == 1460 for p in pk))

    def test_corporate(self):
        evs = self.check_scenario("corporate")
        tr = self.truths["corporate"]
        self.assertTrue(any(not t["intercepted"] for t in tr))
        seen = 0
        for t in tr:
            e = evs[(t["src_ip"], t["src_port"], t["dst_ip"], t["dst_port"])]
            if t["intercepted"] and e["chain"]:
                seen += 1
                self.assertEqual(e["chain"][0]["issuer"],
                                 "CN=Example Corp SSL Inspection CA,O=Example Corp,C=US")
        self.assertGreater(seen, 0)

    def test_timeseries(self):
        self.check_scenario("timeseries")
        days_on = {t["ts"][:10] for t in self.truths["timeseries"] if t["intercepted"]}
        for d in days_on:
            self.assertTrue("2019-07-17" <= d <= "2019-07-26" or "2019-07-30" <= d <= "2019-08-07", d)
        self.assertIn("2019-07-20", days_on)
        self.assertIn("2019-08-01", days_on)
        self.assertEqual({t["vantage"] for t in self.truths["timeseries"]},
                         {"kz-almaty", "kz-astana-v6", "kz-other-isp", "server-side"})
        self.assertFalse(any(t["intercepted"] for t in self.truths["timeseries"]
                             if t["vantage"] == "kz-other-isp"))

    def test_scale(self):
        self.check_scenario("scale")
        self.assertEqual(len(self.truths["scale"]), 300)

    def test_deterministic(self):
        again = os.path.join(self.tmp, "again")
        for name, args in TEST_RUNS:
            if name in ("clean", "kz2019", "scale"):
                gen(again, name, args)
                for suffix in (".pcap", ".truth.jsonl"):
                    self.assertTrue(filecmp.cmp(os.path.join(self.tmp, name + suffix),
                                                os.path.join(again, name + suffix),
                                                shallow=False), name + suffix)
        self.assertTrue(filecmp.cmp(os.path.join(self.tmp, "trust-store.pem"),
                                    os.path.join(again, "trust-store.pem"), shallow=False))

    def test_samples_current(self):
        fresh = os.path.join(self.tmp, "samples")
        regen(fresh)
        for f in sorted(os.listdir(fresh)):
            self.assertTrue(filecmp.cmp(os.path.join(fresh, f), os.path.join(SAMPLES, f),
                                        shallow=False),
                            "samples/%s differs from a fresh regeneration "
                            "(tests/e2e/test_generator.py --regen-samples)" % f)


def regen(out):
    os.makedirs(out, exist_ok=True)
    for name, args in SAMPLE_RUNS:
        gen(out, name, args, seed=SAMPLE_SEED, fast=False)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--regen-samples":
        MWGEN = sys.argv[2]
        regen(sys.argv[3])
        sys.exit(0)
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    MWGEN, MITMWATCH, SAMPLES = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1], verbosity=2)
