#!/usr/bin/env python3
"""Differential test: mitmwatch against tshark on every corpus capture.

usage: tshark_diff.py MITMWATCH CORPUS_DIR [--report]

For each capture, tshark (Wireshark's dissectors, an independent
implementation) lists every TLS/DTLS handshake message with its 5-tuple,
SNI and certificates; QUIC Initials are decrypted by tshark too. Per session
(5-tuple), the SNI of the ClientHello and the SHA-256 list of the server's
Certificate message must equal what mitmwatch reports in its events.

Sessions are compared where tshark saw the message: a ClientHello (SNI) or
a server Certificate (chain). Disagreements that are justified are listed in
EXCEPTIONS with their reason; any other disagreement fails the test. The
summary counts sessions, SNIs and chains that agree.
"""
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# (capture, key) -> reason. key is "sni" or "chain" and applies to every
# session of that capture, or "*" for the whole capture.
SECRETS = ("the capture embeds the TLS secrets (pcapng Decryption Secrets "
           "Block): tshark decrypts the QUIC Handshake packets and sees the "
           "certificate; a passive analyzer sees it encrypted (chain null)")
EXCEPTIONS = {
    ("quic-v2.pcapng", "chain"): SECRETS,
    ("quic-33.pcapng", "chain"): SECRETS,
    ("doq.pcapng", "chain"): SECRETS,
    ("openvpn.pcap", "chain"): "TLS inside OpenVPN's control channel: records "
        "are split across P_CONTROL packets with their own headers, so the byte "
        "stream is not TLS after the ClientHello",
    ("openvpn_nohmac_tcp.pcapng", "chain"): "as openvpn.pcap",
    ("riot.pcapng", "chain"): "the capture joins this flow after the hellos: "
        "only the server's Certificate record is seen, and mitmwatch anchors a "
        "session on a ClientHello or ServerHello",
    ("rdp2.pcap", "sni"): "RDP over UDP (MS-RDPEUDP) wraps TLS in its own "
        "datagram framing",
    ("capwap.pcap", "chain"): "DTLS inside the CAPWAP control channel, behind a "
        "4-byte CAPWAP preamble per datagram",
    ("capwap_data.pcapng", "sni"): "TLS inside 802.11 frames tunnelled by CAPWAP",
    ("tls_invalid_reads.pcap", "sni"): "the ClientHello (inside GTP-U) is "
        "malformed on purpose (ALPN vector length 47241; tshark too says "
        "Malformed Packet): tshark shows the SNI read before the fault, "
        "mitmwatch rejects the whole hello and says so in a malformed note",
}

FIELDS = ["frame.number", "frame.protocols", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "tls.handshake.type", "tls.handshake.extensions_server_name",
          "tls.handshake.certificate",
          "dtls.handshake.type", "dtls.handshake.extensions_server_name",
          "dtls.handshake.certificate"]


def last(v):
    # Tunnels give outer,inner addresses: the innermost is the last.
    return v.split(",")[-1] if v else ""


def tshark_sessions(path):
    """{(proto, cip, cport, sip, sport): {"sni": str|None, "chain": [...]}}"""
    cmd = ["tshark", "-n", "-r", path, "-o", "tls.desegment_ssl_records:TRUE",
           "-o", "tls.desegment_ssl_application_data:TRUE",
           "-Y", "tls.handshake.type==1 || tls.handshake.type==11 || "
                 "dtls.handshake.type==1 || dtls.handshake.type==11",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    sessions = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        # The innermost IP header is the last of ip/ipv6 in the layer list.
        layers = [p for p in v["frame.protocols"].split(":") if p in ("ip", "ipv6")]
        fam = layers[-1] if layers else "ip"
        src, dst = last(v[fam + ".src"]), last(v[fam + ".dst"])
        if v["tcp.srcport"]:
            proto, sp, dp = "tcp", last(v["tcp.srcport"]), last(v["tcp.dstport"])
            types, sni, certs = (v["tls.handshake.type"],
                                 v["tls.handshake.extensions_server_name"],
                                 v["tls.handshake.certificate"])
        else:
            proto, sp, dp = "udp", last(v["udp.srcport"]), last(v["udp.dstport"])
            types = v["tls.handshake.type"] or v["dtls.handshake.type"]
            sni = (v["tls.handshake.extensions_server_name"] or
                   v["dtls.handshake.extensions_server_name"])
            certs = v["tls.handshake.certificate"] or v["dtls.handshake.certificate"]
        types = types.split(",")
        if "1" in types:
            key = (proto, src, int(sp), dst, int(dp))
            s = sessions.setdefault(key, {"sni": None, "chain": None})
            if s["sni"] is None:
                s["sni"] = sni.split(",")[0] if sni else ""
        # A Certificate from the ClientHello's sender is a client
        # certificate (mutual TLS, WebRTC's DTLS): not the server chain.
        if "11" in types and certs and (proto, src, int(sp), dst, int(dp)) not in sessions:
            key = (proto, dst, int(dp), src, int(sp))
            s = sessions.setdefault(key, {"sni": None, "chain": None})
            if s["chain"] is None:
                s["chain"] = [hashlib.sha256(bytes.fromhex(c.replace(":", ""))).hexdigest()
                              for c in certs.split(",")]
    return sessions


def mitmwatch_sessions(binary, path):
    p = subprocess.run([binary, "--json", "-q", path], capture_output=True,
                       text=True, timeout=300)
    sessions = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        if r["event"] not in ("tls", "dtls", "quic"):
            continue
        key = (r["proto"], r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"])
        chain = [c["sha256"] for c in r["chain"]] if r["chain"] is not None else None
        sessions.setdefault(key, {"sni": r["sni"], "chain": chain})
    return p.returncode, sessions


def compare(binary, path):
    name = os.path.basename(path)
    theirs = tshark_sessions(path)
    rc, ours = mitmwatch_sessions(binary, path)
    result = {"name": name, "sessions": 0, "sni_ok": 0, "chain_ok": 0,
              "excused": [], "failures": []}
    if not theirs:
        return result
    if (name, "*") in EXCEPTIONS:
        result["excused"].append(f"{name}: {EXCEPTIONS[(name, '*')]}")
        return result
    for key, t in sorted(theirs.items()):
        result["sessions"] += 1
        o = ours.get(key)
        # A session tshark saw only from the server side may have been
        # oriented the other way by mitmwatch's client inference.
        if o is None:
            o = ours.get((key[0], key[3], key[4], key[1], key[2]))
        for what in ("sni", "chain"):
            if t[what] is None:
                continue
            want = t[what] if what == "chain" else (t[what] or None)
            got = None if o is None else o[what]
            if got == want:
                result[what + "_ok"] += 1
            elif (name, what) in EXCEPTIONS:
                result["excused"].append(f"{name} {key} {what}: {EXCEPTIONS[(name, what)]}")
            else:
                result["failures"].append(
                    f"{name} {key} {what}: tshark {want!r}, mitmwatch "
                    f"{'no session' if o is None else repr(got)}")
    return result


def main():
    binary, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus)
                   if not f.endswith(".txt"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda p: compare(binary, p), files))
    totals = {"files": 0, "sessions": 0, "sni": 0, "sni_ok": 0, "chain": 0, "chain_ok": 0}
    failures, excused = [], []
    for r in results:
        if r["sessions"] or r["excused"]:
            totals["files"] += 1
        totals["sessions"] += r["sessions"]
        totals["sni_ok"] += r["sni_ok"]
        totals["chain_ok"] += r["chain_ok"]
        failures += r["failures"]
        excused += r["excused"]
    for line in excused:
        print("excused:", line)
    for line in failures:
        print("FAIL:", line)
    print(f"tshark differential: {totals['files']} captures with handshakes, "
          f"{totals['sessions']} sessions; agree: {totals['sni_ok']} SNIs, "
          f"{totals['chain_ok']} chains; {len(excused)} excused, {len(failures)} disagree")
    print(f"{totals['sni_ok'] + totals['chain_ok']} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
