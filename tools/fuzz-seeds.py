#!/usr/bin/env python3
"""Makes the fuzz seed corpora (tests/fuzz/corpus/TARGET/) from the bundled
samples, tests/data and ../shared/corpus (nDPI's captures).

  tools/fuzz-seeds.py [--shared DIR] [--out DIR]

Deterministic: the same inputs give the same files, so the committed seeds
can be regenerated and compared. Every seed is written in the input format
its target reads (tests/fuzz/fuzz_TARGET.c): most targets take records of
a small header and a 16-bit length. Seeds are kept small (a cap per file
and per target) so that the replay in ctest stays fast and the total under
2 MB.
"""
import argparse
import base64
import bz2
import gzip
import hashlib
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SEED = 24 * 1024        # bytes per seed (the record formats cut cleanly)
MAX_PER_TARGET = 40         # seeds per target


# ---- capture reading (pcap and pcapng, enough for the samples) ----------

def read_capture(path):
    """(linktype, [frame bytes]) of a pcap or pcapng file."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    magic = data[:4]
    frames = []
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
            frames.append(data[off + 16:off + 16 + incl])
            off += 16 + incl
        return linktype, frames
    if magic == b'\x0a\x0d\x0d\x0a':
        e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        off, linktypes = 0, []
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 0x0a0d0d0a:
                linktypes = []
            elif btype == 1:
                linktypes.append(struct.unpack(e + 'H', body[:2])[0])
            elif btype == 6:
                iface, _, _, cap = struct.unpack(e + 'IIII', body[:16])[:4]
                if iface < len(linktypes) and linktypes[iface] == (linktypes[0] if linktypes else 1):
                    frames.append(body[20:20 + cap])
            elif btype == 3:
                frames.append(body[4:])
            off += blen
        return (linktypes[0] if linktypes else 1), frames
    return None, []


def l3_of(linktype, frame):
    """(ethertype-ish 4 or 6, IP bytes) or None; Ethernet (VLAN), SLL, raw."""
    if linktype == 1:
        off, et = 14, int.from_bytes(frame[12:14], 'big') if len(frame) >= 14 else 0
        while et in (0x8100, 0x88a8) and len(frame) >= off + 4:
            et = int.from_bytes(frame[off + 2:off + 4], 'big')
            off += 4
    elif linktype == 113:
        off, et = 16, int.from_bytes(frame[14:16], 'big') if len(frame) >= 16 else 0
    elif linktype in (101, 228, 229, 12, 14):
        off = 0
        et = 0x0800 if frame[:1] and frame[0] >> 4 == 4 else 0x86dd
    elif linktype == 0:
        off = 4
        et = 0x0800 if len(frame) > 4 and frame[4] >> 4 == 4 else 0x86dd
    else:
        return None
    if et == 0x0800:
        return 4, frame[off:]
    if et == 0x86dd:
        return 6, frame[off:]
    return None


def l4_of(linktype, frame):
    """(proto, src, dst, sport, dport, seq, flags, payload, ip_bytes, v)."""
    r = l3_of(linktype, frame)
    if not r:
        return None
    v, ip = r
    if v == 4:
        if len(ip) < 20:
            return None
        ihl = (ip[0] & 15) * 4
        proto = ip[9]
        if int.from_bytes(ip[6:8], 'big') & 0x3fff:
            return ('frag', ip)
        src, dst = ip[12:16], ip[16:20]
        tot = int.from_bytes(ip[2:4], 'big')
        l4 = ip[ihl:tot] if tot >= ihl else ip[ihl:]
    else:
        if len(ip) < 40:
            return None
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        l4 = ip[40:40 + int.from_bytes(ip[4:6], 'big')]
    if proto == 6 and len(l4) >= 20:
        doff = (l4[12] >> 4) * 4
        return (6, src, dst, int.from_bytes(l4[0:2], 'big'), int.from_bytes(l4[2:4], 'big'),
                int.from_bytes(l4[4:8], 'big'), l4[13], l4[doff:], ip, v)
    if proto == 17 and len(l4) >= 8:
        return (17, src, dst, int.from_bytes(l4[0:2], 'big'), int.from_bytes(l4[2:4], 'big'),
                0, 0, l4[8:], ip, v)
    return None


def flows(path, proto):
    """{key: [(dir, seq, flags, payload)]}, dir 0 for the flow's first sender."""
    lt, frames = read_capture(path)
    out = {}
    first = {}
    for fr in frames:
        p = l4_of(lt, fr)
        if not p or p[0] != proto:
            continue
        _, src, dst, sp, dp, seq, fl, pay, _, _ = p
        a, b = (src, sp), (dst, dp)
        key = (min(a, b), max(a, b))
        if key not in first:
            first[key] = a
        d = 0 if first[key] == a else 1
        out.setdefault(key, []).append((d, seq, fl, bytes(pay)))
    return out


def records(segs, with_hdr=lambda d, s: bytes([d])):
    buf = bytearray()
    for d, seq, fl, pay in segs:
        rec = with_hdr(d, (seq, fl)) + struct.pack('>H', min(len(pay), 0xffff)) + pay[:0xffff]
        if len(buf) + len(rec) > MAX_SEED and buf:
            break
        buf += rec
    return bytes(buf)


# ---- writing --------------------------------------------------------------

class Corpus:
    def __init__(self, out):
        self.out = out
        self.seen = {}

    def add(self, target, name, data):
        if not data:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        n = self.seen.setdefault(target, set())
        h = hashlib.sha1(data).hexdigest()
        if len(n) >= MAX_PER_TARGET or h in n:
            return
        n.add(h)
        safe = re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:60]
        with open(os.path.join(d, safe), 'wb') as f:
            f.write(data)


def existing(paths):
    return [p for p in paths if os.path.isfile(p)]


def pem_ders(path):
    text = open(path, encoding='ascii', errors='replace').read()
    return [base64.b64decode(''.join(m.split()))
            for m in re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----',
                                text, re.S)]


def certs_in_tls(stream):
    """DER certificates of TLS Certificate messages in one direction."""
    hs = bytearray()
    off = 0
    while off + 5 <= len(stream):
        ln = int.from_bytes(stream[off + 3:off + 5], 'big')
        if stream[off] == 22:
            hs += stream[off + 5:off + 5 + ln]
        off += 5 + ln
    out, off = [], 0
    while off + 4 <= len(hs):
        t, ln = hs[off], int.from_bytes(hs[off + 1:off + 4], 'big')
        body = hs[off + 4:off + 4 + ln]
        if t == 11 and len(body) >= 3:
            p = 3
            while p + 3 <= len(body):
                cl = int.from_bytes(body[p:p + 3], 'big')
                out.append(bytes(body[p + 3:p + 3 + cl]))
                p += 3 + cl
        off += 4 + ln
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shared', default=os.path.join(ROOT, '..', 'shared', 'corpus'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'tests', 'fuzz', 'corpus'))
    a = ap.parse_args()
    if os.path.isdir(a.out):
        for t in os.listdir(a.out):
            shutil.rmtree(os.path.join(a.out, t))
    c = Corpus(a.out)
    S = os.path.join(ROOT, 'samples')
    N = os.path.join(a.shared, 'ndpi', 'pcap')
    T = os.path.join(ROOT, 'tests', 'data')

    # TLS and TCP reassembly and STARTTLS: TCP flows.
    tls_caps = existing([os.path.join(S, x) for x in
                         ('443-curl.pcap', 'gen-corporate.pcap', 'gen-kz2019.pcap',
                          'tls-rdn-extract.pcap', 'tls_1.3_unidirectional_server.pcapng')] +
                        [os.path.join(N, x) for x in
                         ('443-chrome.pcap', '443-firefox.pcap', 'tls_ech.pcapng',
                          'tls_with_huge_ch.pcapng', 'tls_2_reasms.pcapng',
                          'tls_missing_ch_frag.pcap', 'tls_malicious_sha1.pcapng',
                          'tls_1.2_unidirectional_client.pcapng')])
    for cap in tls_caps:
        base = os.path.basename(cap).split('.')[0]
        for i, (key, segs) in enumerate(sorted(flows(cap, 6).items())[:3]):
            data_segs = [s for s in segs if s[3]]
            if not data_segs or data_segs[0][3][:1] not in (b'\x16', b'\x80'):
                continue
            c.add('tls', f'{base}-{i}', records(data_segs))
            c.add('reasm', f'{base}-{i}',
                  records(segs, lambda d, sf: bytes([d | ((sf[1] & 0x1f) << 1)]) +
                          struct.pack('>I', sf[0])))
            for d in (0, 1):
                stream = b''.join(s[3] for s in data_segs if s[0] == d)
                for k, der in enumerate(certs_in_tls(stream)[:3]):
                    c.add('x509', f'{base}-{i}-{d}-{k}.der', der)
    for x in ('badssl_mismatch_c2s.bin', 'badssl_mismatch_s2c.bin'):
        p = os.path.join(T, 'tls', x)
        if os.path.isfile(p):
            blob = open(p, 'rb').read()[:0xffff]
            c.add('tls', x, bytes([0 if 'c2s' in x else 1]) + struct.pack('>H', len(blob)) + blob)

    ports = {25: 0, 587: 1, 143: 2, 110: 3, 21: 4, 5222: 5, 389: 6, 5432: 7, 3306: 8, 3389: 9}
    for cap in existing([os.path.join(S, 'smtp-starttls.pcap')] +
                        [os.path.join(N, x) for x in
                         ('smtp-starttls.pcap', 'imap-starttls.pcap', 'pop3_stls.pcap',
                          'ftp-start-tls.pcap', 'pgsql2.pcapng', 'mysql.pcapng')]):
        base = os.path.basename(cap).split('.')[0]
        for i, (key, segs) in enumerate(sorted(flows(cap, 6).items())[:2]):
            sel = next((ports[p[1]] for p in key if p[1] in ports), 0)
            c.add('starttls', f'{base}-{i}', bytes([sel]) + records([s for s in segs if s[3]]))

    # QUIC and DTLS: UDP datagrams.
    for cap in existing([os.path.join(S, 'quic-29.pcap')] +
                        [os.path.join(N, x) for x in
                         ('quic-v2.pcapng', 'quic-27.pcap', 'quic_0RTT.pcap',
                          'quic_frags_ch_in_multiple_packets.pcapng', 'quic-mvfst-27.pcapng',
                          'quic-fuzz-overflow.pcapng', 'quic_crypto_aes_auth_size.pcap',
                          'doq.pcapng', 'quic_t51.pcap')]):
        base = os.path.basename(cap).split('.')[0]
        for i, (key, segs) in enumerate(sorted(flows(cap, 17).items())[:2]):
            c.add('quic', f'{base}-{i}', records(segs[:12]))
    for x in sorted(os.listdir(os.path.join(T, 'quic'))) if os.path.isdir(os.path.join(T, 'quic')) else []:
        if x.endswith('.bin'):
            blob = open(os.path.join(T, 'quic', x), 'rb').read()[:0xffff]
            c.add('quic', x, b'\x00' + struct.pack('>H', len(blob)) + blob)
    for cap in existing([os.path.join(S, 'dtls_certificate_fragments.pcap')] +
                        [os.path.join(N, x) for x in
                         ('dtls.pcap', 'dtls2.pcap', 'dtls_certificate.pcapng',
                          'dtls_old_version.pcapng', 'dtls_session_id_and_coockie_both.pcap',
                          'stun_dtls_rtp.pcapng')]):
        base = os.path.basename(cap).split('.')[0]
        for i, (key, segs) in enumerate(sorted(flows(cap, 17).items())[:2]):
            c.add('dtls', f'{base}-{i}', records(segs[:16]))

    # X.509: the bundled PEMs and the test DERs.
    for pem in existing([os.path.join(S, x) for x in
                         ('corporate-ca.pem', 'kz-2019-root.pem', 'kz-2019-intermediate.pem')] +
                        [os.path.join(T, 'trust', 'wechat-2017-chain.pem'),
                         os.path.join(ROOT, 'rules', 'rogue-roots', 'superfish-2014.pem')]):
        for k, der in enumerate(pem_ders(pem)[:3]):
            c.add('x509', f'{os.path.basename(pem)}-{k}.der', der)
    for d in ('x509', 'dtls'):
        for x in sorted(os.listdir(os.path.join(T, d))):
            if x.endswith('.der'):
                c.add('x509', f'{d}-{x}', open(os.path.join(T, d, x), 'rb').read())

    # Decoding: frames of the tunnel and link-layer captures, 8 a seed.
    lt_sel = {0: 0, 1: 1, 9: 2, 12: 3, 14: 4, 101: 5, 104: 6, 108: 7, 113: 8, 228: 9, 229: 10, 276: 11}
    for cap in existing([os.path.join(S, 'gen-clean.pcap'), os.path.join(S, '443-curl.pcap')] +
                        [os.path.join(N, x) for x in
                         ('4in4tunnel.pcap', '4in6tunnel.pcap', '6in4tunnel.pcap', '6in6tunnel.pcap',
                          'gre.pcapng', 'vxlan.pcap', 'teredo.pcap', 'ipv6_in_gtp.pcap',
                          'gtp_c.pcap', 'capwap_data.pcapng', 'BGP_Cisco_hdlc_slarp.pcap',
                          'ip_fragmented_garbage.pcap', 'smb_frags.pcap', 'dns_fragmented.pcap',
                          'icmp-tunnel.pcap', 'esp.pcapng', 'ah.pcapng')]):
        lt, frames = read_capture(cap)
        if lt not in lt_sel:
            continue
        base = os.path.basename(cap).split('.')[0]
        for i in range(0, min(len(frames), 16), 8):
            body = b''.join(struct.pack('>H', len(f[:0xffff])) + f[:0xffff] for f in frames[i:i + 8])
            c.add('decode', f'{base}-{i}', bytes([lt_sel[lt]]) + body[:MAX_SEED])
        # IP fragments: the IPv4 fragments of this capture, as ipfrag records.
        recs = bytearray()
        ids = {}
        for f in frames:
            p = l4_of(lt, f)
            if not p or p[0] != 'frag':
                continue
            ip = p[1]
            ihl = (ip[0] & 15) * 4
            fo = int.from_bytes(ip[6:8], 'big')
            slot = ids.setdefault(ip[4:6], len(ids) & 3)
            tot = int.from_bytes(ip[2:4], 'big')
            pay = ip[ihl:tot]
            recs += bytes([slot | (8 if fo & 0x2000 else 0)]) + struct.pack('>HH', fo & 0x1fff, len(pay)) + pay
            if len(recs) > MAX_SEED:
                break
        c.add('ipfrag', base, bytes(recs))
    # Synthetic fragment orders: in order, reversed, overlapping, a hole.
    blob = bytes(range(256)) * 4
    def frag(slot, off8, more, data):
        return bytes([slot | (8 if more else 0)]) + struct.pack('>HH', off8, len(data)) + data
    c.add('ipfrag', 'synthetic-in-order',
          frag(0, 0, True, blob[:256]) + frag(0, 32, True, blob[256:512]) + frag(0, 64, False, blob[512:]))
    c.add('ipfrag', 'synthetic-reversed',
          frag(1, 64, False, blob[512:]) + frag(1, 32, True, blob[256:512]) + frag(1, 0, True, blob[:256]))
    c.add('ipfrag', 'synthetic-overlap-v6',
          frag(4, 0, True, blob[:300]) + frag(4, 32, True, blob[200:512]) + frag(4, 64, False, blob[512:]))
    c.add('ipfrag', 'synthetic-hole-expire',
          frag(2, 0, True, blob[:64]) + frag(2 | 16 | 32, 16, False, blob[128:256]))

    # Capture files: small captures whole, the first packets of others, and
    # the compressed forms.
    small = []
    for cap in existing([os.path.join(S, x) for x in
                         ('smtp-starttls.pcap', 'tls_1.3_unidirectional_server.pcapng',
                          'dtls_certificate_fragments.pcap', 'quic-29.pcap')] +
                        [os.path.join(N, x) for x in
                         ('ah.pcapng', 'esp.pcapng', 'BGP_Cisco_hdlc_slarp.pcap', 'tftp.pcap',
                          'ossfuzz_seed_fake_traces_1.pcapng')]):
        data = open(cap, 'rb').read()[:8192]
        small.append(data)
        c.add('capture', os.path.basename(cap), data)
    if small:
        raw = small[0]
        c.add('capture', 'gz.pcap.gz', gzip.compress(raw, mtime=0))
        c.add('capture', 'xz.pcap.xz', lzma.compress(raw))
        c.add('capture', 'bz2.pcap.bz2', bz2.compress(raw))
        if shutil.which('zstd'):
            z = subprocess.run(['zstd', '-q', '-c'], input=raw, capture_output=True, check=False)
            if z.returncode == 0:
                c.add('capture', 'zstd.pcap.zst', z.stdout)
        c.add('capture', 'gz-pcapng.gz', gzip.compress(small[1], mtime=0))

    # summary.json for merge.
    for x in sorted(os.listdir(os.path.join(T, 'summary'))):
        if x.endswith('.json'):
            c.add('summary', x, open(os.path.join(T, 'summary', x), 'rb').read())

    # Rules files as shipped (one file each; the big PEM is cut to its first
    # certificates).
    R = os.path.join(ROOT, 'rules')
    for rel in ('rogue-names.txt', 'targets/kz-2019.txt', 'targets/kz-2024-ooni.txt',
                'rogue-roots/superfish-2014.pem', 'rogue-roots/isca-kz-2020.pem',
                'historic-roots/removed-roots.tsv'):
        p = os.path.join(R, rel)
        if os.path.isfile(p):
            c.add('rules', rel.replace('/', '-'), open(p, 'rb').read()[:MAX_SEED])
    c.add('rules', 'fingerprints.txt',
          b'# sample\nja3 e7d705a3286e19ea42f587b344ee6865 Example proxy\n'
          b'ja4 t13d1516h2_8daaf6152771_02713d6af862 Example proxy\n')
    c.add('rules', 'pins.txt',
          b'# name pins\nexample.com sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'
          b'.google.com sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n')

    total = 0
    for t in sorted(os.listdir(a.out)):
        files = os.listdir(os.path.join(a.out, t))
        size = sum(os.path.getsize(os.path.join(a.out, t, f)) for f in files)
        total += size
        print(f'{t:10} {len(files):3} files {size:8} bytes')
    print(f'total {total} bytes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
