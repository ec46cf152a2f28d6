#!/usr/bin/env python3
"""Builds a large benchmark capture from the real corpus captures.

usage: make_input.py CORPUS_DIR OUT.pcap [TARGET_MB]
       make_input.py --readdress CORPUS_DIR OUT.pcap [COPIES]

Takes every classic (non-pcapng) Ethernet capture of the corpus and writes
its records again and again into one microsecond pcap until TARGET_MB
(default 256) is reached. Each round is shifted at least one day later so the flows
of a round have expired before the same 5-tuples come back, as in a long
capture. Record bytes are copied unchanged.

--readdress (bench/readdressed.pcap, the issue 11 benchmark; made by
bench/bench.sh when absent, never committed): COPIES (default 15: 533 MB, above the 512 MB issue 11 asks for) copies of
the whole corpus (every pcap and pcapng Ethernet capture under CORPUS_DIR,
walked recursively), each re-timed to follow the one before by a day, and each
re-addressed so no two copies share a host: in copy k every IPv4 address
gets k added to its second byte and every IPv6 address k added to its
fourth byte. The IPv4 header checksum and the TCP/UDP checksums (their
pseudo-header holds the addresses) are adjusted incrementally (RFC 1624),
so a checksum right before is right after, also for truncated frames and
first fragments; a UDP checksum of 0 (none) stays 0. Frames in a VLAN tag
are handled; addresses inside tunnels and IPv6 extension headers other
than none are left as they are (counted in the closing line).
"""
import glob
import os
import struct
import sys

DAY_US = 86400 * 1000000
PCAPNG = False  # --readdress reads pcapng captures too


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        bo, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        bo, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        bo, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        bo, nano = ">", True
    elif magic == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data) if PCAPNG else None
    else:
        return None
    if struct.unpack(bo + "I", data[20:24])[0] != 1:  # Ethernet only
        return None
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(bo + "IIII", data[off:off + 16])
        if caplen > 262144 or off + 16 + caplen > len(data):
            break
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        recs.append((us, wirelen, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return recs


def read_pcapng(data):
    """Ethernet records of a pcapng (enhanced packet blocks), or None."""
    recs, off, bo, ifaces = [], 0, "<", []
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bo = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack(bo + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            link = struct.unpack(bo + "H", body[:2])[0]
            res, o = 1000000, 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(bo + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    r = body[o + 4]
                    res = 2 ** (r & 0x7f) if r & 0x80 else 10 ** r
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((link, res))
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, caplen, wirelen = struct.unpack(bo + "IIIII", body[:20])
            if iface < len(ifaces) and ifaces[iface][0] == 1 and 20 + caplen <= len(body):
                us = ((hi << 32) | lo) * 1000000 // ifaces[iface][1]
                recs.append((us, wirelen, body[20:20 + caplen]))
        off += blen
    return recs or None


def csum_adjust(csum, old, new):
    """RFC 1624 eq. 3: the checksum after the 16-bit words old became new."""
    c = (~csum) & 0xffff
    for i in range(0, len(old), 2):
        c += (~((old[i] << 8) | old[i + 1])) & 0xffff
        c += (new[i] << 8) | new[i + 1]
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    return (~c) & 0xffff


def fix_l4(frame, l4, proto, old, new, avail):
    """Adjusts a TCP (6) or UDP (17) checksum at frame[l4:] if captured."""
    at = l4 + (16 if proto == 6 else 6)
    if proto not in (6, 17) or at + 2 > avail:
        return
    c = (frame[at] << 8) | frame[at + 1]
    if proto == 17 and c == 0:
        return
    c = csum_adjust(c, old, new)
    if proto == 17 and c == 0:
        c = 0xffff
    frame[at], frame[at + 1] = c >> 8, c & 0xff


def readdress(payload, k, counts):
    """The frame with copy k's addresses, and its checksums adjusted."""
    f = bytearray(payload)
    off = 12
    while off + 2 <= len(f) and f[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    if off + 2 > len(f):
        return bytes(f)
    etype, ip = (f[off] << 8) | f[off + 1], off + 2
    if etype == 0x0800 and ip + 20 <= len(f):
        old = bytes(f[ip + 12:ip + 20])
        f[ip + 13] = (f[ip + 13] + k) & 0xff
        f[ip + 17] = (f[ip + 17] + k) & 0xff
        new = bytes(f[ip + 12:ip + 20])
        c = csum_adjust((f[ip + 10] << 8) | f[ip + 11], old, new)
        f[ip + 10], f[ip + 11] = c >> 8, c & 0xff
        ihl = (f[ip] & 0x0f) * 4
        first_fragment = ((f[ip + 6] & 0x1f) << 8 | f[ip + 7]) == 0
        if first_fragment:
            fix_l4(f, ip + ihl, f[ip + 9], old, new, len(f))
        counts["ipv4"] += 1
    elif etype == 0x86dd and ip + 40 <= len(f):
        old = bytes(f[ip + 8:ip + 40])
        f[ip + 11] = (f[ip + 11] + k) & 0xff
        f[ip + 27] = (f[ip + 27] + k) & 0xff
        new = bytes(f[ip + 8:ip + 40])
        if f[ip + 6] in (6, 17):
            fix_l4(f, ip + 40, f[ip + 6], old, new, len(f))
        else:
            counts["ipv6_other_next"] += 1
        counts["ipv6"] += 1
    else:
        counts["other"] += 1
    return bytes(f)


def corpus_files(corpus):
    files = []
    for root, _dirs, names in sorted(os.walk(corpus)):
        for name in sorted(names):
            recs = read_records(os.path.join(root, name))
            if recs:
                files.append(recs)
    return files


def main_readdress(corpus, out, copies):
    global PCAPNG
    PCAPNG = True
    files = corpus_files(corpus)
    base = 1577836800 * 1000000
    counts = {"ipv4": 0, "ipv6": 0, "ipv6_other_next": 0, "other": 0}
    written, packets, t = 0, 0, base
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for k in range(copies):
            for recs in files:
                first = recs[0][0]
                ts = t
                for us, wirelen, payload in recs:
                    ts = t + min(max(0, us - first), 3600 * 1000000)
                    data = readdress(payload, k, counts) if k else payload
                    f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000,
                                        len(data), wirelen))
                    f.write(data)
                    written += 16 + len(data)
                    packets += 1
                t = ts + 1000000
            t += DAY_US  # the next copy starts once this one's flows expired
    print(f"{out}: {written // (1024 * 1024)} MiB, {packets} packets, {copies} copies "
          f"of {len(files)} captures; re-addressed frames {counts}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--readdress":
        main_readdress(sys.argv[2], sys.argv[3],
                       int(sys.argv[4]) if len(sys.argv) > 4 else 15)
        return
    corpus, out = sys.argv[1], sys.argv[2]
    target = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    files = []
    for path in sorted(glob.glob(os.path.join(corpus, "*"))):
        recs = read_records(path)
        if recs:
            files.append(recs)
    base = 1577836800 * 1000000  # 2020-01-01: some corpus files carry odd clocks
    written, rnd, t = 0, 0, 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        while written < target * 1024 * 1024:
            t = max(base + rnd * DAY_US, t + DAY_US) if rnd else base
            for recs in files:
                first = recs[0][0]
                for us, wirelen, payload in recs:
                    # Keep each file's own pacing (gaps capped at an hour),
                    # laid end to end.
                    ts = t + min(max(0, us - first), 3600 * 1000000)
                    f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000,
                                        len(payload), wirelen))
                    f.write(payload)
                    written += 16 + len(payload)
                t = ts + 1000000
            rnd += 1
    print(f"{out}: {written // (1024 * 1024)} MiB, {rnd} rounds of {len(files)} captures")


if __name__ == "__main__":
    main()
