#!/usr/bin/env python3
"""Two plausible versions of handshake bytes: both judged, the worse decides
(issue 18, docs/evasion.md "Two plausible copies").

usage: test_two_versions.py MITMWATCH SAMPLES_DIR

From gen-clean (the generator's clean sessions), for every session with a
server name, the client's ClientHello segment is followed by a copy with a
right checksum and the same TTL in which the last letter of the name
differs. Two more captures serve as the oracle: the original, and one in
which the altered ClientHello replaced the real one. For each session
the capture with both versions must give the worse of the two verdicts
(ranked here independently: intercepted, suspicious, untrusted, clean,
opaque, incomplete), that version's SNI, and INJECTION saying which
version was reported; sessions.two_versions counts them.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evasion_gen  # noqa: E402  pylint: disable=wrong-import-position

RANK = {"incomplete": 0, "opaque": 1, "clean": 2, "untrusted": 3,
        "suspicious": 4, "intercepted": 5}


def run(mw, opts, path):
    out = subprocess.run([mw, *opts, path], check=True, capture_output=True,
                         text=True).stdout
    sess, st = {}, None
    for r in map(json.loads, out.splitlines()):
        if r.get("event") == "tls":
            sess[(r["src_ip"], r["src_port"])] = r
        elif r.get("event") == "stats":
            st = r
    return sess, st


def altered(payload, sni):
    name = sni.encode()
    at = payload.find(name)
    if at < 0:
        return None
    last = at + len(name) - 1
    repl = b"q" if payload[last:last + 1] != b"q" else b"z"
    return payload[:last] + repl + payload[last + 1:]


def main():
    mw, samples = sys.argv[1], sys.argv[2]
    src = os.path.join(samples, "gen-clean.pcap")
    with open(os.path.join(samples, "gen-clean.truth.jsonl")) as f:
        truth = {(t["src_ip"], t["src_port"]): t for t in map(json.loads, f)}
    ghdr, pkts = evasion_gen.read_pcap(src)
    both, alt_only, done, injected = [], [], set(), set()
    for p in pkts:
        frame = (p.ts, p.frame)
        ip = ".".join(str(b) for b in p.src) if p.v == 4 and p.tcp else None
        t = truth.get((ip, p.sport)) if ip else None
        key = (ip, p.sport)
        if t and t.get("sni") and evasion_gen.is_data(p) and key not in done:
            done.add(key)
            new = altered(p.payload, t["sni"])
            if new is not None:
                copy = (p.ts, evasion_gen.build_ip(p, evasion_gen.build_tcp(p, payload=new)))
                both += [frame, copy]
                alt_only.append(copy)
                injected.add(key)
                continue
        both.append(frame)
        alt_only.append(frame)
    assert injected, "no session to inject into"
    tmp = tempfile.mkdtemp(prefix="mw_twover_")
    pb, pa = os.path.join(tmp, "both.pcap"), os.path.join(tmp, "alt.pcap")
    evasion_gen.write_pcap(pb, ghdr, both)
    evasion_gen.write_pcap(pa, ghdr, alt_only)
    opts = ["--json", "-q", "--threads", "1", "--trust-store",
            os.path.join(samples, "trust-store.pem")]
    orig, _ = run(mw, opts, src)
    alt, _ = run(mw, opts, pa)
    got, st = run(mw, opts, pb)
    shutil.rmtree(tmp, ignore_errors=True)
    failures, second_worse = [], 0
    for k in sorted(injected):
        if k not in orig or k not in alt or k not in got:
            failures.append(f"{k}: session missing")
            continue
        a, b, g = orig[k]["verdict"], alt[k]["verdict"], got[k]["verdict"]
        worse_second = RANK[b] > RANK[a]
        second_worse += worse_second
        want = b if worse_second else a
        want_sni = (alt if worse_second else orig)[k].get("sni")
        inj = [r["detail"] for r in got[k].get("reasons") or [] if r["code"] == "INJECTION"]
        text = f"first {a}, second {b}; the {'second' if worse_second else 'first'} reported"
        print(f"{k}: first {a}, second {b}, reported {g}")
        if g != want:
            failures.append(f"{k}: verdict {g}, want {want} (first {a}, second {b})")
        if got[k].get("sni") != want_sni:
            failures.append(f"{k}: sni {got[k].get('sni')}, want {want_sni}")
        if len(inj) != 1 or not inj[0].endswith(text) or "to_server from stream offset" not in inj[0]:
            failures.append(f"{k}: INJECTION {inj}, want ...{text}")
    if st["sessions"]["two_versions"] != len(injected):
        failures.append(f"two_versions {st['sessions']['two_versions']} != {len(injected)}")
    if st["tcp_reassembly"]["alt_versions"] != len(injected):
        failures.append(f"alt_versions {st['tcp_reassembly']['alt_versions']} != {len(injected)}")
    print(f"{len(injected)} sessions with two ClientHello versions, "
          f"{second_worse} with the second worse")
    if not second_worse:
        failures.append("no session where the second version is worse: the test proves nothing")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
