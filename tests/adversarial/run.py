#!/usr/bin/env python3
"""One adversarial case of issue 13: generate, run, measure, check.

usage: run.py MITMWATCH WORKDIR CASE [--sanitized]

Writes the case's capture (gen.py) into WORKDIR, runs mitmwatch on it with
--threads 1 (so the flow limit is one table's and the counters are exact)
and --checksums off (gen.py leaves checksums zero), measures the child's
peak RSS with wait4() (ru_maxrss), and checks:
  - exit 0 and no signal (no crash),
  - peak RSS under the case's bound (docs/security.md, "What is bounded,
    and how"); not checked under ASan (--sanitized), whose shadow memory
    and quarantine are no measure of the program's,
  - the counters of the final stats record that say what was dropped or
    evicted, with values computed from how the capture was built.
The capture is removed afterwards (the large ones are 70-200 MB).
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


def c(st, path):
    sec, key = path.split(".")
    return st[sec][key]


def check_synflood(st, ev, flows):
    n = 1_000_000
    assert c(st, "capture.packets") == n
    assert c(st, "flows.created") == n
    assert c(st, "flows.active_peak") == flows
    # Unanswered SYNs never time out within the capture's 1 s: every flow
    # beyond the table's size evicts the least recently used one.
    assert c(st, "flows.evicted") == n - flows
    assert c(st, "flows.ended_at_eof") == flows


def check_hellos(st, ev, flows):
    n = 1_000_000
    check_synflood_like = c(st, "flows.created") == n and c(st, "flows.evicted") == n - flows
    assert check_synflood_like, (c(st, "flows.created"), c(st, "flows.evicted"))
    assert c(st, "flows.active_peak") == flows
    # Every unfinished ClientHello is a session reported as incomplete,
    # evicted or not: none lost.
    assert c(st, "sessions.tls") == n
    assert c(st, "sessions.incomplete") == n
    assert c(st, "sessions.verdict_incomplete") == n
    assert c(st, "sessions.events") == n
    assert len(ev) == n
    assert c(st, "tcp_reassembly.bytes_delivered") == 64 * n


def check_ooo(st, ev, flows):
    nflows, nseg = 100_000, 8
    if flows < nflows:
        # Interleaved across 100,000 flows, every flow is evicted before its
        # next segment comes: each data segment starts a flow mid-stream
        # (nothing ahead of a hole is ever held), and all but the table's
        # last `flows` are evicted.
        assert c(st, "flows.created") == nflows + nflows * nseg
        assert c(st, "flows.evicted") == nflows + nflows * nseg - flows
        assert c(st, "tcp_reassembly.out_of_order") == 0
    else:
        # All flows fit: 7 segments of each are held ahead of the hole,
        # until the 64 MiB --reasm-memcap refuses the rest. A buffer is
        # 4 KiB, so 64 MiB / 4 KiB flows hold their 7; every other segment
        # refused is counted with its 100 bytes.
        held_flows = 64 * MIB // 4096
        assert c(st, "flows.created") == nflows
        assert c(st, "flows.evicted") == 0
        assert c(st, "tcp_reassembly.out_of_order") == 7 * held_flows
        assert c(st, "tcp_reassembly.buffer_peak_bytes") <= 64 * MIB
        hits = c(st, "tcp_reassembly.memcap_hits")
        assert hits > 0
        assert c(st, "tcp_reassembly.bytes_dropped_memcap") == 100 * hits


def check_chain(st, ev, flows):
    # 64 certificates kept (the chain cap), the other 9,936 counted.
    assert c(st, "sessions.tls") == 1
    assert c(st, "sessions.certificates") == 64
    assert c(st, "sessions.certs_dropped") == 10_000 - 64
    assert len(ev) == 1 and {"note": "chain_truncated", "certs_dropped": 9936} in ev[0]["flow_notes"]


def check_bigcert(st, ev, flows):
    # The Certificate message (16 MB) is over the 1 MiB message cap:
    # skipped, the chain reported empty and truncated, the rest of the
    # stream passed by without being kept.
    assert c(st, "sessions.tls") == 1
    assert c(st, "sessions.certificates") == 0
    assert len(ev) == 1
    assert any(n.get("note") == "chain_truncated" for n in ev[0]["flow_notes"])
    assert ev[0]["chain"] == []
    print("hs_bytes_over_cap", c(st, "sessions.hs_bytes_over_cap"))
    assert c(st, "sessions.hs_over_cap") == 1
    assert c(st, "sessions.hs_bytes_over_cap") > 0
    assert c(st, "flows.bytes_bypassed") > 15_000_000
    assert c(st, "tcp_reassembly.buffer_peak_bytes") <= 1 * MIB


def check_tunnels(st, ev, flows):
    # 2,500 frames of each kind, 20 or 10 levels deep: each crosses the
    # decoder's 8 levels, then stops, counted as too deep.
    assert c(st, "capture.packets") == 10_000
    assert c(st, "decode.err_too_deep") == 10_000
    for key in ("vlan_tags", "ip_tunnels", "vxlan", "gtp"):
        assert c(st, "decode." + key) == 2500 * 8, key
    assert c(st, "flows.created") == 0


def check_records(st, ev, flows):
    by_ip = {e["src_ip"]: e for e in ev}
    # 1,000 empty records: passed over as a preamble (5,000 bytes), then
    # the ClientHello is read.
    first = by_ip["10.8.0.1"]
    assert first["sni"] == "adversarial.example"
    assert any(n.get("note") == "starttls" and n.get("client_offset") == 5000
               for n in first["flow_notes"]), first["flow_notes"]
    # A record of the largest valid length is read whole.
    assert by_ip["10.8.0.2"]["sni"] == "adversarial.example"
    # One byte over: not TLS, counted.
    assert "10.8.0.3" not in by_ip
    assert c(st, "sessions.tls") == 2
    assert c(st, "sessions.not_tls") == 1
    assert c(st, "sessions.starttls") == 1


# case: (gen.py case, extra options, flow limit, RSS bound in MiB)
CASES = {
    "synflood": ("synflood", ["--max-flows", "10000"], 10000, 64, check_synflood),
    "synflood_default": ("synflood", [], 262144, 640, check_synflood),
    "hellos": ("hellos", ["--max-flows", "10000"], 10000, 160, check_hellos),
    "ooo": ("ooo", ["--max-flows", "10000"], 10000, 160, check_ooo),
    "ooo_memcap": ("ooo", ["--reasm-memcap", "64M"], 262144, 640, check_ooo),
    "chain": ("chain", [], 262144, 64, check_chain),
    "bigcert": ("bigcert", [], 262144, 64, check_bigcert),
    "tunnels": ("tunnels", [], 262144, 64, check_tunnels),
    "records": ("records", [], 262144, 64, check_records),
}


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in CASES:
        sys.exit(__doc__)
    binary, workdir, case = sys.argv[1:4]
    sanitized = "--sanitized" in sys.argv[4:]
    gen_case, opts, flows, bound_mib, check = CASES[case]
    os.makedirs(workdir, exist_ok=True)
    pcap = os.path.join(workdir, case + ".pcap")
    out = os.path.join(workdir, case + ".jsonl")
    t0 = time.monotonic()
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), gen_case, pcap], check=True)
    t1 = time.monotonic()
    cmd = [binary, "--threads", "1", "--checksums", "off", *opts, "--json", pcap]
    with open(out, "wb") as fo:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, ru = os.wait4(proc.pid, 0)
    t2 = time.monotonic()
    os.unlink(pcap)
    if os.WIFSIGNALED(status):
        sys.exit(f"{case}: killed by signal {os.WTERMSIG(status)}\n{err.decode()[-2000:]}")
    rc = os.WEXITSTATUS(status)
    if rc != 0:
        sys.exit(f"{case}: exit {rc}\n{err.decode()[-2000:]}")
    rss_mib = ru.ru_maxrss / 1024.0  # Linux: kilobytes
    ev, st = [], None
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            if r.get("event") == "stats":
                st = r
            elif r.get("event") in ("tls", "dtls", "quic"):
                ev.append(r)
    os.unlink(out)
    if st is None:
        sys.exit(f"{case}: no stats record")
    try:
        check(st, ev, flows)
    except AssertionError as e:
        sys.exit(f"{case}: counter check failed: {e!r}\n" + json.dumps(
            {k: {a: b for a, b in v.items() if b} for k, v in st.items() if isinstance(v, dict)}))
    print(f"{case}: options {' '.join(opts) or '(defaults)'}: peak RSS {rss_mib:.1f} MiB "
          f"(bound {bound_mib}), generate {t1 - t0:.1f} s, run {t2 - t1:.1f} s")
    if not sanitized and rss_mib > bound_mib:
        sys.exit(f"{case}: peak RSS {rss_mib:.1f} MiB over the bound of {bound_mib} MiB")


if __name__ == "__main__":
    main()
