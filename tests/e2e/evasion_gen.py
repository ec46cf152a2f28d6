#!/usr/bin/env python3
"""Applies one injection class of issue 18 to a capture (docs/evasion.md).

usage: evasion_gen.py CLASS IN.pcap OUT.pcap
       evasion_gen.py --list

Standard library only. Reads a classic pcap with Ethernet frames (IPv4 or
IPv6, no extension headers, as the bundled samples are), writes a pcap of
the same link type in which every original packet is still present,
unchanged (except where the class splits it into fragments or segments),
and the injected packets are added around it. Injected packets carry
right checksums unless the class says otherwise, so only the property the
class is about tells them apart from the real ones.

Classes:
  synack_decoy      a SYN-ACK with another ISN (+0x40000000) just before
                    each real SYN-ACK
  badsum_garbage    before every TCP segment with data, a copy with the same
                    sequence numbers, garbage payload and a wrong TCP checksum
  ttl1_garbage      before every server segment with data, a garbage copy
                    with TTL (hop limit) 1
  rst_outwin        after every segment with data, a RST from each side whose
                    sequence number lies 2^30 beyond the receive window
  retrans_differ    after every segment with data, a copy with the same
                    sequence numbers and garbage payload (right checksum)
  garbage_first_samettl  before every segment with data, a copy with the
                    same sequence numbers, garbage payload, a right checksum
                    and the packet's own TTL
  garbage_first_server  the same before every server segment only: the
                    ClientHello is intact, so the first version's parse waits
                    on garbage in the server direction
  decoy_first       before every segment with data, a copy (right checksum,
                    the packet's own TTL) of a decoy handshake of the same
                    lengths that parses to its end and shows no chain: the
                    hello randoms differ and each Certificate message's type
                    is 23 (an unknown one, skipped), so a monitor that keeps
                    the first copy sees a handshake without certificates
  frag8_reverse     every IP packet with TCP data cut into 8-byte fragments,
                    written last to first
  fragovl_garbage_first  each such packet in two fragments, preceded by a
                    fragment overlapping the second one with garbage:
                    order garbage, second, first
  fragovl_garbage_last   the same, order second, garbage, first
  seg5              every TCP segment with data cut into 5-byte segments
"""
import struct
import sys

CLASSES = ("synack_decoy", "badsum_garbage", "ttl1_garbage", "rst_outwin",
           "retrans_differ", "garbage_first_samettl", "garbage_first_server",
           "decoy_first",
           "frag8_reverse", "fragovl_garbage_first",
           "fragovl_garbage_last", "seg5")

ETH_LEN = 14


def csum(data):
    """RFC 1071 Internet checksum of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def garbage(n, salt):
    """Deterministic bytes that differ from any TLS record header."""
    out = bytearray()
    x = (salt * 2654435761 + 12345) & 0xFFFFFFFF
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append(0x80 | ((x >> 16) & 0x7F))
    return bytes(out)


class Pkt:
    """One Ethernet/IP/TCP-or-other packet, decoded enough to rebuild it."""

    def __init__(self, ts, frame):
        self.ts = ts
        self.frame = frame
        self.eth = frame[:ETH_LEN]
        self.tcp = None
        et = struct.unpack("!H", frame[12:14])[0] if len(frame) >= ETH_LEN else 0
        ip = frame[ETH_LEN:]
        self.v = 0
        if et == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
            ihl = (ip[0] & 15) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            frag = struct.unpack("!H", ip[6:8])[0]
            if ihl != 20 or frag & 0x3FFF or total > len(ip):
                return
            self.v, self.ttl, self.proto = 4, ip[8], ip[9]
            self.ident = struct.unpack("!H", ip[4:6])[0]
            self.src, self.dst = ip[12:16], ip[16:20]
            l4 = ip[20:total]
        elif et == 0x86DD and len(ip) >= 40 and ip[0] >> 4 == 6:
            plen = struct.unpack("!H", ip[4:6])[0]
            if 40 + plen > len(ip):
                return
            self.v, self.proto, self.ttl = 6, ip[6], ip[7]
            self.flow = ip[0:4]
            self.src, self.dst = ip[8:24], ip[24:40]
            self.ident = 0
            l4 = ip[40:40 + plen]
        else:
            return
        if self.proto != 6 or len(l4) < 20:
            self.l4 = l4
            return
        off = (l4[12] >> 4) * 4
        if off < 20 or off > len(l4):
            return
        self.sport, self.dport, self.seq, self.ack = struct.unpack("!HHII", l4[:12])
        self.flags = l4[13]
        self.win = struct.unpack("!H", l4[14:16])[0]
        self.opts = l4[20:off]
        self.payload = l4[off:]
        self.tcp = True

    def key(self):
        return (self.src, self.sport, self.dst, self.dport)


def pseudo(p, length, proto=6):
    if p.v == 4:
        return p.src + p.dst + struct.pack("!BBH", 0, proto, length)
    return p.src + p.dst + struct.pack("!IxxxB", length, proto)


def build_tcp(p, seq=None, ack=None, flags=None, payload=None, bad_sum=False,
              opts=None):
    seq = p.seq if seq is None else seq
    ack = p.ack if ack is None else ack
    flags = p.flags if flags is None else flags
    payload = p.payload if payload is None else payload
    opts = p.opts if opts is None else opts
    off = 20 + len(opts)
    hdr = struct.pack("!HHIIBBHHH", p.sport, p.dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (off // 4) << 4, flags, p.win, 0, 0)
    seg = hdr + opts + payload
    c = csum(pseudo(p, len(seg)) + seg)
    if bad_sum:
        c ^= 0x5A5A
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def build_ip(p, l4, ttl=None, proto=6, ident=None, frag=None):
    """IP header + l4. frag = (offset_bytes, more) makes a fragment."""
    ttl = p.ttl if ttl is None else ttl
    ident = p.ident if ident is None else ident
    if p.v == 4:
        ff = 0x4000 if frag is None else ((frag[0] // 8) | (0x2000 if frag[1] else 0))
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, ff,
                        ttl, proto, 0, p.src, p.dst)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return p.eth + h + l4
    if frag is None:
        h = p.flow + struct.pack("!HBB", len(l4), proto, ttl) + p.src + p.dst
        return p.eth + h + l4
    fh = struct.pack("!BBHI", proto, 0, frag[0] | (1 if frag[1] else 0), ident)
    h = p.flow + struct.pack("!HBB", len(l4) + 8, 44, ttl) + p.src + p.dst
    return p.eth + h + fh + l4


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit(f"{path}: only little-endian classic pcap is supported")
    ghdr = data[:24]
    if struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit(f"{path}: only Ethernet captures are supported")
    pkts, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack("<IIII", data[pos:pos + 16])
        pkts.append(Pkt((sec, frac), data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return ghdr, pkts


def write_pcap(path, ghdr, frames):
    with open(path, "wb") as f:
        f.write(ghdr[:16] + struct.pack("<I", 262144) + ghdr[20:24])
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts[0], ts[1], len(fr), len(fr)))
            f.write(fr)


def servers(pkts):
    """Endpoints (addr, port) that answered a SYN with a SYN-ACK."""
    s = set()
    for p in pkts:
        if p.tcp and p.flags & 0x12 == 0x12:
            s.add((p.src, p.sport))
    return s


def is_data(p):
    return p.tcp and len(p.payload) > 0


def decoy_edits(pkts):
    """Per direction (src, sport, dst, dport): {stream offset: byte} that
    turn its TLS handshake into the decoy of decoy_first. Offsets count
    from the first payload byte's sequence number (the SYN's + 1)."""
    base, data = {}, {}
    for p in pkts:
        if not p.tcp:
            continue
        k = (p.src, p.sport, p.dst, p.dport)
        if p.flags & 0x02:
            base.setdefault(k, (p.seq + 1) & 0xFFFFFFFF)
        if p.payload:
            b = base.setdefault(k, p.seq)
            off = (p.seq - b) & 0xFFFFFFFF
            if off < (1 << 20):
                buf = data.setdefault(k, bytearray())
                if len(buf) < off + len(p.payload):
                    buf.extend(b"\0" * (off + len(p.payload) - len(buf)))
                buf[off:off + len(p.payload)] = p.payload
    edits = {}
    for k, buf in data.items():
        # Handshake bytes of the records from offset 0, with each one's
        # stream offset, up to the first record of another type.
        hs, where, off = bytearray(), [], 0
        while off + 5 <= len(buf) and buf[off] == 0x16 and buf[off + 1] == 3:
            n = struct.unpack("!H", buf[off + 3:off + 5])[0]
            body = buf[off + 5:off + 5 + n]
            hs.extend(body)
            where.extend(range(off + 5, off + 5 + len(body)))
            off += 5 + n
        e, at = {}, 0
        while at + 4 <= len(hs):
            t = hs[at]
            n = int.from_bytes(hs[at + 1:at + 4], "big")
            if t in (1, 2) and at + 6 < len(hs):
                r = where[at + 6]  # the random's first byte
                e[r] = buf[r] ^ 0x5A
            elif t == 11:
                e[where[at]] = 23
            elif t not in (12, 13, 14, 16, 20, 4, 22, 15):
                break  # encrypted (a Finished after ChangeCipherSpec)
            at += 4 + n
        if e:
            edits[k] = (base[k], e)
    return edits


def decoy_payload(p, edits):
    k = (p.src, p.sport, p.dst, p.dport)
    if k not in edits:
        return p.payload
    b, e = edits[k]
    off = (p.seq - b) & 0xFFFFFFFF
    out = bytearray(p.payload)
    for i in range(len(out)):
        if off + i in e:
            out[i] = e[off + i]
    return bytes(out)


def inject(cls, pkts):
    srv = servers(pkts)
    edits = decoy_edits(pkts) if cls == "decoy_first" else {}
    out = []
    ident = 0x7000
    for n, p in enumerate(pkts):
        ts = p.ts
        if not p.tcp:
            out.append((ts, p.frame))
            continue
        if cls == "synack_decoy" and p.flags & 0x12 == 0x12:
            out.append((ts, build_ip(p, build_tcp(p, seq=p.seq + 0x40000000))))
        elif cls == "badsum_garbage" and is_data(p):
            g = garbage(len(p.payload), n)
            out.append((ts, build_ip(p, build_tcp(p, payload=g, bad_sum=True))))
        elif (cls == "garbage_first_samettl" and is_data(p)) or (
                cls == "garbage_first_server" and is_data(p) and (p.src, p.sport) in srv):
            g = garbage(len(p.payload), n)
            out.append((ts, build_ip(p, build_tcp(p, payload=g))))
        elif cls == "decoy_first" and is_data(p):
            out.append((ts, build_ip(p, build_tcp(p, payload=decoy_payload(p, edits)))))
        elif cls == "ttl1_garbage" and is_data(p) and (p.src, p.sport) in srv:
            g = garbage(len(p.payload), n)
            out.append((ts, build_ip(p, build_tcp(p, payload=g), ttl=1)))
        if cls in ("frag8_reverse", "fragovl_garbage_first",
                   "fragovl_garbage_last") and is_data(p):
            l4 = build_tcp(p)
            ident = (ident + 1) & 0xFFFF
            if cls == "frag8_reverse":
                pieces = [(o, l4[o:o + 8], o + 8 < len(l4))
                          for o in range(0, len(l4), 8)]
                order = list(reversed(pieces))
            else:
                cut = max(8, (len(l4) // 2) // 8 * 8)
                if cut >= len(l4):
                    cut = 8 if len(l4) > 8 else 0
                if cut == 0:
                    out.append((ts, p.frame))
                    continue
                first = (0, l4[:cut], True)
                second = (cut, l4[cut:], False)
                # The garbage overlaps the second fragment's range, not
                # its end, so that it cannot settle the datagram's length.
                glen = max(8, (len(l4) - cut) // 2 // 8 * 8)
                glen = min(glen, len(l4) - cut)
                bad = (cut, garbage(glen, n), True)
                if glen == len(l4) - cut:
                    bad = (cut, garbage(glen, n), False)
                order = ([bad, second, first] if cls == "fragovl_garbage_first"
                         else [second, bad, first])
            for off, chunk, more in order:
                out.append((ts, build_ip(p, chunk, ident=ident, frag=(off, more))))
            continue
        if cls == "seg5" and is_data(p):
            for o in range(0, len(p.payload), 5):
                flags = p.flags
                if o + 5 < len(p.payload):
                    flags &= ~0x09  # FIN and PSH only on the last piece
                seg = build_tcp(p, seq=p.seq + o, flags=flags,
                                payload=p.payload[o:o + 5])
                out.append((ts, build_ip(p, seg)))
            continue
        out.append((ts, p.frame))
        if cls == "retrans_differ" and is_data(p):
            g = garbage(len(p.payload), n)
            out.append((ts, build_ip(p, build_tcp(p, payload=g))))
        elif cls == "rst_outwin" and is_data(p):
            far = 1 << 30
            out.append((ts, build_ip(p, build_tcp(
                p, seq=p.seq + len(p.payload) + far, flags=0x04, payload=b"",
                opts=b""))))
            # The same from the other side: addresses and ports swapped.
            q = Pkt.__new__(Pkt)
            q.__dict__.update(p.__dict__)
            q.src, q.dst, q.sport, q.dport = p.dst, p.src, p.dport, p.sport
            q.eth = p.eth[6:12] + p.eth[0:6] + p.eth[12:14]
            out.append((ts, build_ip(q, build_tcp(
                q, seq=p.ack + far, ack=p.seq + len(p.payload), flags=0x14,
                payload=b"", opts=b""))))
    return out


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CLASSES))
        return
    if len(sys.argv) != 4 or sys.argv[1] not in CLASSES:
        sys.exit(__doc__)
    ghdr, pkts = read_pcap(sys.argv[2])
    write_pcap(sys.argv[3], ghdr, inject(sys.argv[1], pkts))


if __name__ == "__main__":
    main()
