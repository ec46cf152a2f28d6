#!/usr/bin/env python3
"""Writes the adversarial captures of issue 13 (run.py runs mitmwatch on them).

usage: gen.py CASE OUT.pcap

Cases (each documented where it is built):
  synflood    1,000,000 SYNs, each from its own 5-tuple, never answered
  hellos      1,000,000 flows, each a SYN and the first 64 bytes of a
              ClientHello whose record says 512: never finished
  ooo         100,000 flows, 8 data segments each, sent last-first and
              interleaved across all flows: every flow holds 7 segments
              ahead of its hole until its first segment comes, at the end
  chain       one TLS 1.2 handshake whose Certificate message holds 10,000
              certificates (40-byte stand-ins), over 27 records
  bigcert     one TLS 1.2 handshake whose single certificate is 16 MB
              (16,000,000 bytes), over 977 records
  tunnels     10,000 frames each of VLAN x20, IP-in-IP x20, VXLAN x10 and
              GTP-U x10 nesting (2,500 of each), deeper than the decoder's
              limit of 8
  records     TLS flows: 1,000 zero-length handshake records before a
              ClientHello; a ClientHello in a record of the largest valid
              length (2^14 + 2048); one record a byte over it

Checksums are left zero (run.py passes --checksums off): computing them
in Python for millions of packets would dominate the test's time, and the
checksum code is not what is being tested. Written as raw pcap with
struct.pack in bulk.
"""
import struct
import sys

MAC = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02"
SERVER = bytes([192, 0, 2, 1])
SYN, ACK, PSH = 0x02, 0x10, 0x08


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        self.buf = []
        self.ts = 1_700_000_000_000_000  # microseconds, one more each frame

    def frame(self, data):
        self.ts += 1
        self.buf.append(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000,
                                    len(data), len(data)))
        self.buf.append(data)
        if len(self.buf) > 20000:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.buf))
        self.buf = []

    def close(self):
        self.flush()
        self.f.close()


def ipv4(src, dst, proto, payload):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                       src, dst) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def eth(l3, ethertype=0x0800):
    return MAC + struct.pack("!H", ethertype) + l3


def client_addr(i):
    return bytes([10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])


def client_port(i):
    return 1024 + (i * 7919) % 60000


def synflood(p):
    for i in range(1_000_000):
        p.frame(eth(ipv4(client_addr(i), SERVER, 6,
                         tcp(client_port(i), 443, 1000, 0, SYN))))


def client_hello(sni=b"adversarial.example", pad=0):
    """A complete TLS 1.2 ClientHello handshake message (not the record)."""
    host = struct.pack("!BH", 0, len(sni)) + sni
    ext_sni = struct.pack("!HH", 0, len(host) + 2) + struct.pack("!H", len(host)) + host
    ext_pad = struct.pack("!HH", 21, pad) + b"\0" * pad if pad else b""
    exts = ext_sni + ext_pad
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) +
            b"\xc0\x2f\x00\x9c" + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def hellos(p):
    # The record says 512 bytes, the handshake 508: only 64 come.
    partial = (b"\x16\x03\x01" + struct.pack("!H", 512) + b"\x01" +
               struct.pack("!I", 508)[1:] + b"\x03\x03" + bytes(range(32)) +
               b"\x00" * (64 - 5 - 4 - 34))
    assert len(partial) == 64
    for i in range(1_000_000):
        a, sp = client_addr(i), client_port(i)
        p.frame(eth(ipv4(a, SERVER, 6, tcp(sp, 443, 1000, 0, SYN))))
        p.frame(eth(ipv4(a, SERVER, 6, tcp(sp, 443, 1001, 1, ACK | PSH, partial))))


def ooo(p):
    nflows, nseg, seglen = 100_000, 8, 100
    data = bytes([0x41]) * seglen  # not TLS: reassembly is what is tested
    for i in range(nflows):
        p.frame(eth(ipv4(client_addr(i), SERVER, 6, tcp(client_port(i), 80, 1000, 0, SYN))))
    for k in range(nseg - 1, -1, -1):
        for i in range(nflows):
            p.frame(eth(ipv4(client_addr(i), SERVER, 6,
                             tcp(client_port(i), 80, 1001 + k * seglen, 1, ACK | PSH, data))))


def tls_flow(p, hs_to_server, hs_to_client, caddr=bytes([10, 9, 9, 9]), sport=40000):
    """A TCP handshake, then the given byte streams, 1460 bytes a segment."""
    def seg(src, dst, sp, dp, seq, ack, flags, pl=b""):
        p.frame(eth(ipv4(src, dst, 6, tcp(sp, dp, seq, ack, flags, pl))))
    cseq, sseq = 1000, 5000
    seg(caddr, SERVER, sport, 443, cseq, 0, SYN)
    seg(SERVER, caddr, 443, sport, sseq, cseq + 1, SYN | ACK)
    cseq += 1
    sseq += 1
    seg(caddr, SERVER, sport, 443, cseq, sseq, ACK)
    for off in range(0, len(hs_to_server), 1460):
        chunk = hs_to_server[off:off + 1460]
        seg(caddr, SERVER, sport, 443, cseq, sseq, ACK | PSH, chunk)
        cseq += len(chunk)
    for off in range(0, len(hs_to_client), 1460):
        chunk = hs_to_client[off:off + 1460]
        seg(SERVER, caddr, 443, sport, sseq, cseq, ACK | PSH, chunk)
        sseq += len(chunk)
    seg(caddr, SERVER, sport, 443, cseq, sseq, ACK)


def records(content_type, msg, size=16384):
    out = []
    for off in range(0, len(msg), size):
        frag = msg[off:off + size]
        out.append(struct.pack("!BHH", content_type, 0x0303, len(frag)) + frag)
    return b"".join(out)


def server_hello():
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x00"
    return b"\x02" + struct.pack("!I", len(body))[1:] + body


def certificate_msg(certs):
    lst = b"".join(struct.pack("!I", len(c))[1:] + c for c in certs)
    body = struct.pack("!I", len(lst))[1:] + lst
    return b"\x0b" + struct.pack("!I", len(body))[1:] + body


def chain(p):
    certs = [b"\x30\x26" + struct.pack("!I", i) + bytes(34) for i in range(10_000)]
    msg = server_hello() + certificate_msg(certs)
    tls_flow(p, records(22, client_hello()), records(22, msg))


def bigcert(p):
    cert = b"\x30\x84" + struct.pack("!I", 16_000_000 - 6) + bytes(16_000_000 - 6)
    msg = server_hello() + certificate_msg([cert])
    tls_flow(p, records(22, client_hello()), records(22, msg))


def tunnels(p):
    inner = ipv4(bytes([10, 1, 1, 1]), SERVER, 6, tcp(40000, 443, 1, 0, SYN))
    for i in range(2500):
        # VLAN x20
        p.frame(MAC + struct.pack("!H", 0x8100) +
                b"".join(struct.pack("!HH", (i + j) & 0x0fff, 0x8100 if j < 19 else 0x0800)
                         for j in range(20)) + inner)
        # IP-in-IP x20
        pkt = inner
        for _ in range(20):
            pkt = ipv4(bytes([10, 2, 2, 2]), bytes([10, 3, 3, 3]), 4, pkt)
        p.frame(eth(pkt))
        # VXLAN x10: UDP 4789, 8-byte header with the I flag, inner Ethernet
        pkt = eth(inner)
        for _ in range(10):
            vx = struct.pack("!BBHI", 0x08, 0, 0, 42 << 8) + pkt
            udp = struct.pack("!HHHH", 50000, 4789, 8 + len(vx), 0) + vx
            pkt = eth(ipv4(bytes([10, 4, 4, 4]), bytes([10, 5, 5, 5]), 17, udp))
        p.frame(pkt)
        # GTP-U x10: UDP 2152, 8-byte header, message type 255 (T-PDU)
        pkt = inner
        for _ in range(10):
            g = struct.pack("!BBHI", 0x30, 0xff, len(pkt), 7) + pkt
            udp = struct.pack("!HHHH", 2152, 2152, 8 + len(g), 0) + g
            pkt = ipv4(bytes([10, 6, 6, 6]), bytes([10, 7, 7, 7]), 17, udp)
        p.frame(eth(pkt))


def records_case(p):
    # 1) 1,000 empty handshake records, then a ClientHello.
    zero = struct.pack("!BHH", 22, 0x0301, 0) * 1000
    tls_flow(p, zero + records(22, client_hello()), b"", bytes([10, 8, 0, 1]), 40001)
    # 2) A ClientHello padded to fill a record of exactly 2^14 + 2048 bytes.
    base = len(client_hello())
    pad = 16384 + 2048 - base - 4
    ch = client_hello(pad=pad)
    assert len(ch) == 16384 + 2048
    tls_flow(p, struct.pack("!BHH", 22, 0x0301, len(ch)) + ch, b"", bytes([10, 8, 0, 2]), 40002)
    # 3) A byte over: invalid, the session is malformed.
    ch = client_hello(pad=pad + 1)
    tls_flow(p, struct.pack("!BHH", 22, 0x0301, len(ch)) + ch, b"", bytes([10, 8, 0, 3]), 40003)


CASES = {"synflood": synflood, "hellos": hellos, "ooo": ooo, "chain": chain,
         "bigcert": bigcert, "tunnels": tunnels, "records": records_case}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit(__doc__)
    p = Pcap(sys.argv[2])
    CASES[sys.argv[1]](p)
    p.close()


if __name__ == "__main__":
    main()
