/*
 * test_dtls.c - the DTLS dissector (and tls.c's DTLS mode) on hand-built
 * flights and on real captures.
 *
 * Expected values are worked out independently of the code:
 *  - JA3/JA3S strings are written out by hand from the fields built here;
 *    their MD5 and the JA4 hashes were computed once with coreutils:
 *      printf '%s' '65277,49195-47,0-10-11-16,23,0' | md5sum
 *        -> b5c761d2f3f3aef0197ba19c29b186c7
 *      printf '%s' '65277,49195,65281' | md5sum
 *        -> 475463012414e4f7120fa2ab37109e8f
 *      printf '%s' '002f,c02b' | sha256sum    -> a137a120d3d9...
 *      printf '%s' '000a,000b' | sha256sum    -> 33a13ba74d1c...
 *  - tests/data/dtls/{ca,leaf}.der: two small self-signed certificates made
 *    once with `openssl req -x509 -newkey ec ... -outform DER`; compared
 *    byte for byte.
 *  - tests/data/dtls/<name>.bin: the UDP payloads of one flow of an nDPI test
 *    capture (per datagram: direction byte, 0 = the side nDPI lists first,
 *    u16 length, bytes), checked against nDPI's result file for it:
 *      cert_fragments.bin   dtls_certificate_fragments.pcap (all 20)
 *      dtls10_rockstar.bin  dtls2.pcap (first 9 datagrams)
 *      hvr_cookie.bin       dtls_session_id_and_coockie_both.pcap
 */

#ifndef MW_TEST_DATA_DIR
#define MW_TEST_DATA_DIR "tests/data"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "dissectors/dtls.h"

/* ---- byte builders ---- */

#include "bytebuf.h"

static uint8_t *read_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/dtls/%s", MW_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        *len = 0;
        return NULL;
    }
    uint8_t *p = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *np = realloc(p, cap);
            if (!np)
                abort();
            p = np;
        }
        size_t r = fread(p + n, 1, cap - n, f);
        if (!r)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return p;
}

/* DTLS record header + payload. */
static void record(bb *dg, unsigned type, unsigned version, unsigned epoch, uint64_t seq,
                   const void *payload, size_t n)
{
    u8(dg, type);
    u16(dg, version);
    u16(dg, epoch);
    u16(dg, (unsigned)(seq >> 32));
    u16(dg, (unsigned)(seq >> 16) & 0xffff);
    u16(dg, (unsigned)seq & 0xffff);
    u16(dg, (unsigned)n);
    bb_put(dg, payload, n);
}

/* A handshake record carrying [off, off + flen) of message body. */
static void hs_frag(bb *dg, unsigned type, unsigned mseq, const bb *body, size_t off, size_t flen,
                    uint64_t rseq)
{
    bb f = {0};
    u8(&f, type);
    u24(&f, (unsigned)body->n);
    u16(&f, mseq);
    u24(&f, (unsigned)off);
    u24(&f, (unsigned)flen);
    if (flen)
        bb_put(&f, body->p + off, flen);
    record(dg, 22, 0xfefd, 0, rseq, f.p, f.n);
    bb_free(&f);
}

static void hs_whole(bb *dg, unsigned type, unsigned mseq, const bb *body, uint64_t rseq)
{
    hs_frag(dg, type, mseq, body, 0, body->n, rseq);
}

static mw_dtls_status feed(mw_dtls_session *s, int dir, const bb *dg)
{
    mw_cursor c;
    mw_cursor_init(&c, dg->p, dg->n);
    return mw_dtls_datagram(s, dir, &c);
}

/* ---- the hand-built DTLS 1.2 flight ---- */

static const uint8_t cookie8[8] = {0xc0, 0x01, 0xc0, 0x02, 0xc0, 0x03, 0xc0, 0x04};

/* ClientHello: DTLS 1.2, suites c02b 002f, extensions server_name
 * "example.org", supported_groups {23}, ec_point_formats {0}, ALPN
 * "webrtc". JA3 "65277,49195-47,0-10-11-16,23,0". */
static void client_hello(bb *m, const uint8_t *cookie, size_t cookie_len)
{
    bb e = {0};
    static const char host[] = "example.org";
    u16(m, 0xfefd);
    for (unsigned i = 0; i < 32; i++)
        u8(m, i);
    u8(m, 0); /* session id */
    u8(m, (unsigned)cookie_len);
    bb_put(m, cookie, cookie_len);
    u16(m, 4);
    u16(m, 0xc02b);
    u16(m, 0x002f);
    u8(m, 1);
    u8(m, 0);

    u16(&e, 0x0000);
    u16(&e, 2 + 1 + 2 + 11);
    u16(&e, 1 + 2 + 11);
    u8(&e, 0);
    u16(&e, 11);
    bb_put(&e, host, 11);
    u16(&e, 0x000a);
    u16(&e, 4);
    u16(&e, 2);
    u16(&e, 23);
    u16(&e, 0x000b);
    u16(&e, 2);
    u8(&e, 1);
    u8(&e, 0);
    u16(&e, 0x0010);
    u16(&e, 2 + 1 + 6);
    u16(&e, 1 + 6);
    u8(&e, 6);
    bb_put(&e, "webrtc", 6);

    u16(m, (unsigned)e.n);
    bb_put(m, e.p, e.n);
    bb_free(&e);
}

static void hello_verify(bb *m)
{
    u16(m, 0xfeff); /* RFC 6347 4.2.1: may be 1.0 whatever is negotiated */
    u8(m, sizeof(cookie8));
    bb_put(m, cookie8, sizeof(cookie8));
}

/* ServerHello: cipher c02b, renegotiation_info; JA3S "65277,49195,65281".
 * selected != 0 adds supported_versions(selected). */
static void server_hello(bb *m, unsigned selected)
{
    u16(m, 0xfefd);
    for (unsigned i = 0; i < 32; i++)
        u8(m, 0x80 + i);
    u8(m, 0);
    u16(m, 0xc02b);
    u8(m, 0);
    u16(m, selected ? 5 + 6 : 5);
    u16(m, 0xff01);
    u16(m, 1);
    u8(m, 0);
    if (selected) {
        u16(m, 0x002b);
        u16(m, 2);
        u16(m, selected);
    }
}

static void certificate(bb *m, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    u24(m, (unsigned)(3 + an + 3 + bn));
    u24(m, (unsigned)an);
    bb_put(m, a, an);
    u24(m, (unsigned)bn);
    bb_put(m, b, bn);
}

/* The whole exchange; dir_client is the caller direction of the client. */
static void run_flight(int dir_client)
{
    int dc = dir_client, ds = dir_client ^ 1;
    size_t leaf_n, ca_n;
    uint8_t *leaf = read_file("leaf.der", &leaf_n);
    uint8_t *ca = read_file("ca.der", &ca_n);
    CHECK(leaf && ca);
    if (!leaf || !ca) {
        free(leaf);
        free(ca);
        return;
    }

    bb ch1 = {0}, ch2 = {0}, hvr = {0}, sh = {0}, cert = {0}, shd = {0};
    client_hello(&ch1, NULL, 0);
    client_hello(&ch2, cookie8, sizeof(cookie8));
    hello_verify(&hvr);
    server_hello(&sh, 0);
    certificate(&cert, leaf, leaf_n, ca, ca_n);
    CHECK(ch2.n > 60);

    mw_dtls_session *s = mw_dtls_new();
    CHECK(s != NULL);
    if (!s)
        return;
    bb dg = {0};

    /* Flight 1: the first ClientHello, whole; then HelloVerifyRequest. */
    hs_whole(&dg, 1, 0, &ch1, 0);
    mw_cursor probe;
    mw_cursor_init(&probe, dg.p, dg.n);
    CHECK(mw_dtls_looks_like_handshake(&probe));
    CHECK_EQ_U(feed(s, dc, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(mw_dtls_client_dir(s), (unsigned)dc);
    CHECK_EQ_U(mw_dtls_tls_facts(s)->ch.cookie_len, 0);
    dg.n = 0;
    hs_whole(&dg, 3, 0, &hvr, 0);
    CHECK_EQ_U(feed(s, ds, &dg), MW_DTLS_NEED_MORE);

    /* Flight 3: the second ClientHello in 3 fragments over 2 datagrams,
     * last fragment first, then the middle one with a duplicate of the
     * first. */
    dg.n = 0;
    hs_frag(&dg, 1, 1, &ch2, 50, ch2.n - 50, 1);
    hs_frag(&dg, 1, 1, &ch2, 0, 20, 2);
    CHECK_EQ_U(feed(s, dc, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(mw_dtls_tls_facts(s)->ch.cookie_len, 0); /* not yet complete */
    dg.n = 0;
    hs_frag(&dg, 1, 1, &ch2, 0, 20, 2); /* retransmitted: nothing new */
    hs_frag(&dg, 1, 1, &ch2, 20, 30, 3);
    CHECK_EQ_U(feed(s, dc, &dg), MW_DTLS_NEED_MORE);
    /* And a late retransmission of the whole first ClientHello. */
    dg.n = 0;
    hs_whole(&dg, 1, 0, &ch1, 4);
    CHECK_EQ_U(feed(s, dc, &dg), MW_DTLS_NEED_MORE);

    const mw_tls_facts *f = mw_dtls_tls_facts(s);
    const mw_dtls_counters *k = mw_dtls_get_counters(s);
    CHECK(f->ch.seen);
    CHECK(f->hello_verify);
    CHECK_EQ_U(f->ch.cookie_len, 8);
    CHECK_EQ_U(f->ch.legacy_version, 0xfefd);
    CHECK(f->ch.has_sni);
    CHECK_EQ_U(f->ch.sni.len, 11);
    if (f->ch.sni.len == 11)
        CHECK_MEM(f->ch.sni.data, "example.org", 11);
    CHECK_EQ_U(f->ch.n_alpn, 1);
    CHECK_EQ_U(f->ch.ciphers.n, 2);
    CHECK_EQ_S(f->ch.ja3, "65277,49195-47,0-10-11-16,23,0");
    CHECK_EQ_S(f->ch.ja3_md5, "b5c761d2f3f3aef0197ba19c29b186c7");
    CHECK_EQ_S(f->ch.ja4, "dd2d0204wc_a137a120d3d9_33a13ba74d1c");
    CHECK_EQ_U(k->messages[dc], 2);
    CHECK_EQ_U(k->fragments[dc], 6);
    CHECK_EQ_U(k->dup_fragments[dc], 2); /* the repeated fragment, the late hello */

    /* Flight 4: ServerHello and the Certificate's tail; then the head of
     * the Certificate with ServerHelloDone; then a retransmission of it
     * all. */
    size_t cut = cert.n / 2;
    dg.n = 0;
    hs_whole(&dg, 2, 1, &sh, 1);
    hs_frag(&dg, 11, 2, &cert, cut, cert.n - cut, 2);
    CHECK_EQ_U(feed(s, ds, &dg), MW_DTLS_NEED_MORE);
    CHECK(f->sh.seen);
    CHECK(!f->cert_seen);
    dg.n = 0;
    hs_frag(&dg, 11, 2, &cert, 0, cut, 3);
    hs_whole(&dg, 14, 3, &shd, 4);
    CHECK_EQ_U(feed(s, ds, &dg), MW_DTLS_DONE);
    dg.n = 0;
    hs_whole(&dg, 2, 1, &sh, 5);
    hs_whole(&dg, 11, 2, &cert, 6);
    CHECK_EQ_U(feed(s, ds, &dg), MW_DTLS_DONE);

    CHECK_EQ_U(f->version, 0xfefd);
    CHECK_EQ_S(f->version_name, "DTLSv1.2");
    CHECK_EQ_U(f->sh.cipher, 0xc02b);
    CHECK_EQ_S(f->sh.ja3s, "65277,49195,65281");
    CHECK_EQ_S(f->sh.ja3s_md5, "475463012414e4f7120fa2ab37109e8f");
    CHECK_EQ_U(f->state, MW_TLS_HS_COMPLETE);
    CHECK_EQ_U(f->n_certs, 2);
    if (f->n_certs == 2) {
        CHECK_EQ_U(f->certs[0].len, leaf_n);
        CHECK_EQ_U(f->certs[1].len, ca_n);
        if (f->certs[0].len == leaf_n && f->certs[1].len == ca_n) {
            CHECK_MEM(f->certs[0].data, leaf, leaf_n);
            CHECK_MEM(f->certs[1].data, ca, ca_n);
        }
    }
    CHECK_EQ_U(k->messages[ds], 4); /* HVR, SH, Certificate, SHD */
    CHECK_EQ_U(k->dup_fragments[ds], 2);
    CHECK(!f->error_reason);

    mw_dtls_free(s);
    bb_free(&dg);
    bb_free(&ch1);
    bb_free(&ch2);
    bb_free(&hvr);
    bb_free(&sh);
    bb_free(&cert);
    bb_free(&shd);
    free(leaf);
    free(ca);
}

static void test_flight(void)
{
    run_flight(0);
}

/* The first datagram came from the server: roles still come out right. */
static void test_flight_swapped(void)
{
    run_flight(1);
}

static void test_dtls13_opaque(void)
{
    bb ch = {0}, sh = {0}, dg = {0};
    client_hello(&ch, NULL, 0);
    server_hello(&sh, 0xfefc);
    mw_dtls_session *s = mw_dtls_new();
    hs_whole(&dg, 1, 0, &ch, 0);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    dg.n = 0;
    hs_whole(&dg, 2, 0, &sh, 0);
    CHECK_EQ_U(feed(s, 1, &dg), MW_DTLS_DONE);
    const mw_tls_facts *f = mw_dtls_tls_facts(s);
    CHECK_EQ_U(f->version, 0xfefc);
    CHECK_EQ_S(f->version_name, "DTLSv1.3");
    CHECK_EQ_U(f->state, MW_TLS_HS_OPAQUE);
    /* A unified-header ciphertext record (RFC 9147 4: 001CSLEE). */
    static const uint8_t ct[] = {0x2c, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5};
    dg.n = 0;
    bb_put(&dg, ct, sizeof(ct));
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_DONE);
    CHECK_EQ_U(mw_dtls_get_counters(s)->encrypted_records[0], 1);
    mw_dtls_free(s);
    bb_free(&ch);
    bb_free(&sh);
    bb_free(&dg);
}

/* The capture missed message_seq 0 (the first ClientHello): a complete
 * hello starts the order; a lone non-hello message cannot. */
static void test_missing_first_hello(void)
{
    bb ch = {0}, cert = {0}, dg = {0};
    static const uint8_t der[3] = {0x30, 0x01, 0x00};
    client_hello(&ch, cookie8, sizeof(cookie8));
    certificate(&cert, der, sizeof(der), der, sizeof(der));
    mw_dtls_session *s = mw_dtls_new();
    hs_whole(&dg, 11, 2, &cert, 7);
    CHECK_EQ_U(feed(s, 1, &dg), MW_DTLS_NEED_MORE);
    CHECK(!mw_dtls_tls_facts(s)->cert_seen);
    dg.n = 0;
    hs_whole(&dg, 1, 1, &ch, 1);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK(mw_dtls_tls_facts(s)->ch.seen);
    CHECK_EQ_U(mw_dtls_tls_facts(s)->ch.cookie_len, 8);
    CHECK_EQ_U(mw_dtls_get_counters(s)->messages[0], 1);
    CHECK_EQ_U(mw_dtls_get_counters(s)->messages[1], 0);
    mw_dtls_free(s);
    bb_free(&ch);
    bb_free(&cert);
    bb_free(&dg);
}

/* ---- hostile input ---- */

static void test_not_dtls_and_foreign(void)
{
    /* STUN binding request first byte 0x00: skipped, counted. */
    static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    bb dg = {0};
    mw_dtls_session *s = mw_dtls_new();
    bb_put(&dg, stun, sizeof(stun));
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(mw_dtls_get_counters(s)->foreign[0], 1);
    /* A TLS record is in the DTLS byte range but is not DTLS. */
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0};
    dg.n = 0;
    bb_put(&dg, tls, sizeof(tls));
    mw_cursor c;
    mw_cursor_init(&c, dg.p, dg.n);
    CHECK(!mw_dtls_looks_like_handshake(&c));
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NOT_DTLS);
    CHECK_EQ_U(mw_dtls_status_of(s), MW_DTLS_NOT_DTLS);
    mw_dtls_free(s);

    /* Empty and 1-byte datagrams. */
    s = mw_dtls_new();
    dg.n = 0;
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    u8(&dg, 22);
    CHECK_EQ_U(feed(s, 1, &dg), MW_DTLS_NOT_DTLS);
    mw_dtls_free(s);
    bb_free(&dg);
}

static void test_malformed_records(void)
{
    bb ch = {0}, dg = {0};
    client_hello(&ch, NULL, 0);
    mw_dtls_session *s = mw_dtls_new();
    const mw_dtls_counters *k = mw_dtls_get_counters(s);

    /* A good first fragment, then a record whose length overruns. */
    hs_frag(&dg, 1, 0, &ch, 0, 10, 0);
    record(&dg, 22, 0xfefd, 0, 1, ch.p, 5);
    dg.n -= 2; /* truncate the last record */
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(k->records[0], 1);
    CHECK_EQ_U(k->bad_records[0], 1);

    /* Lying fragment: offset + length beyond the message length. */
    dg.n = 0;
    bb f = {0};
    u8(&f, 1);
    u24(&f, (unsigned)ch.n);
    u16(&f, 0);
    u24(&f, (unsigned)ch.n - 4);
    u24(&f, 8);
    bb_put(&f, ch.p, 8);
    record(&dg, 22, 0xfefd, 0, 2, f.p, f.n);
    /* Fragment length past the record's end. */
    f.n = 0;
    u8(&f, 1);
    u24(&f, (unsigned)ch.n);
    u16(&f, 0);
    u24(&f, 10);
    u24(&f, 100);
    bb_put(&f, ch.p, 8);
    record(&dg, 22, 0xfefd, 0, 3, f.p, f.n);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(k->bad_fragments[0], 2);

    /* Same message_seq, other length: disagrees with the first fragment. */
    dg.n = 0;
    f.n = 0;
    u8(&f, 1);
    u24(&f, (unsigned)ch.n + 1);
    u16(&f, 0);
    u24(&f, 10);
    u24(&f, 4);
    bb_put(&f, ch.p, 4);
    record(&dg, 22, 0xfefd, 0, 4, f.p, f.n);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(k->bad_fragments[0], 3);
    CHECK_EQ_U(k->messages[0], 0);
    CHECK(!mw_dtls_tls_facts(s)->ch.seen);

    /* The rest of the ClientHello completes it despite all that. */
    dg.n = 0;
    hs_frag(&dg, 1, 0, &ch, 10, ch.n - 10, 5);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK(mw_dtls_tls_facts(s)->ch.seen);
    CHECK_EQ_S(mw_dtls_tls_facts(s)->ch.ja3, "65277,49195-47,0-10-11-16,23,0");
    mw_dtls_free(s);
    bb_free(&f);
    bb_free(&ch);
    bb_free(&dg);
}

static void test_zero_and_huge_lengths(void)
{
    bb dg = {0}, empty = {0}, f = {0};
    mw_dtls_session *s = mw_dtls_new();

    /* Length 0xFFFFFF: over the reassembly cap; the direction stops. */
    u8(&f, 11);
    u24(&f, 0xffffff);
    u16(&f, 0);
    u24(&f, 0);
    u24(&f, 4);
    bb_put(&f, "\x30\x82\x01\x00", 4);
    record(&dg, 22, 0xfefd, 0, 0, f.p, f.n);
    CHECK_EQ_U(feed(s, 1, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(mw_dtls_get_counters(s)->msgs_over_cap[1], 1);
    CHECK(mw_dtls_tls_facts(s)->gap[1]);
    mw_dtls_free(s);

    /* A zero-length ClientHello is a malformed message: ERROR. */
    s = mw_dtls_new();
    dg.n = 0;
    hs_whole(&dg, 1, 0, &empty, 0);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_ERROR);
    CHECK(mw_dtls_tls_facts(s)->error_reason != NULL);
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_ERROR); /* sticky */
    mw_dtls_free(s);
    bb_free(&f);
    bb_free(&dg);
}

static void test_epoch1(void)
{
    static const uint8_t junk[32] = {0xde, 0xad};
    bb dg = {0};
    mw_dtls_session *s = mw_dtls_new();
    record(&dg, 22, 0xfefd, 1, 0, junk, sizeof(junk));
    mw_cursor c;
    mw_cursor_init(&c, dg.p, dg.n);
    CHECK(!mw_dtls_looks_like_handshake(&c));
    CHECK_EQ_U(feed(s, 0, &dg), MW_DTLS_NEED_MORE);
    CHECK_EQ_U(feed(s, 1, &dg), MW_DTLS_DONE);
    CHECK_EQ_U(mw_dtls_get_counters(s)->encrypted_records[0], 1);
    CHECK_EQ_U(mw_dtls_get_counters(s)->encrypted_records[1], 1);
    CHECK(!mw_dtls_tls_facts(s)->ch.seen);
    mw_dtls_free(s);
    bb_free(&dg);
}

static void test_datagram_cap(void)
{
    static const uint8_t stun[4] = {0x00, 0x01, 0x00, 0x00};
    bb dg = {0};
    bb_put(&dg, stun, sizeof(stun));
    mw_dtls_session *s = mw_dtls_new();
    for (int i = 0; i < MW_DTLS_MAX_DATAGRAMS + 5; i++) {
        (void)feed(s, 0, &dg);
        (void)feed(s, 1, &dg);
    }
    const mw_dtls_counters *k = mw_dtls_get_counters(s);
    CHECK_EQ_U(k->datagrams[0], MW_DTLS_MAX_DATAGRAMS);
    CHECK_EQ_U(k->datagrams_over_cap[1], 5);
    CHECK_EQ_U(mw_dtls_status_of(s), MW_DTLS_DONE);
    mw_dtls_free(s);
    bb_free(&dg);
}

/* ---- real captures ---- */

static mw_dtls_session *replay(const char *name)
{
    size_t n;
    uint8_t *p = read_file(name, &n);
    CHECK(p != NULL);
    if (!p)
        return NULL;
    mw_dtls_session *s = mw_dtls_new();
    mw_cursor c, dg;
    uint8_t dir;
    mw_cursor_init(&c, p, n);
    while (mw_cursor_get_u8(&c, &dir) && mw_cursor_get_u16_prefixed(&c, &dg))
        (void)mw_dtls_datagram(s, dir, &dg);
    CHECK_EQ_U(mw_cursor_len(&c), 0);
    free(p);
    return s;
}

static void sha1_hex(const mw_tls_bytes *b, char out[41])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    out[0] = '\0';
    if (!EVP_Digest(b->data, b->len, d, &dl, EVP_sha1(), NULL))
        return;
    for (unsigned i = 0; i < dl && i < 20; i++)
        snprintf(out + 2 * (size_t)i, 3, "%02X", d[i]);
}

static void test_real_certificate_fragments(void)
{
    mw_dtls_session *s = replay("cert_fragments.bin");
    if (!s)
        return;
    const mw_tls_facts *f = mw_dtls_tls_facts(s);
    char h[41];
    CHECK_EQ_U(mw_dtls_status_of(s), MW_DTLS_DONE);
    /* The client offers 1.2 (nDPI prints that), the ServerHello picks
     * 0xfeff: DTLS 1.0 is what was negotiated. */
    CHECK_EQ_U(f->ch.legacy_version, 0xfefd);
    CHECK_EQ_U(f->sh.legacy_version, 0xfeff);
    CHECK_EQ_S(f->version_name, "DTLSv1.0");
    CHECK(!f->ch.has_sni); /* nDPI: Missing SNI */
    CHECK_EQ_S(f->ch.ja3_md5, "3c3d129780d0066cd8936a6291a8d44f");
    /* nDPI prints dd2d800500_9cedc1f1428b_a1e935682795: same hashes, but
     * it writes 'd' for every DTLS hello; no server_name extension here,
     * so the JA4 spec says 'i'. */
    CHECK_EQ_S(f->ch.ja4, "dd2i800500_9cedc1f1428b_a1e935682795");
    CHECK_EQ_S(f->sh.ja3s_md5, "d45798bc098cd930de7eb2f5f866e994");
    CHECK_EQ_U(f->sh.cipher, 0x0035); /* TLS_RSA_WITH_AES_256_CBC_SHA */
    CHECK_EQ_U(f->state, MW_TLS_HS_COMPLETE);
    /* One certificate (1541 bytes, in 2 fragments over 2 datagrams); nDPI's
     * "Subject" concatenates its subject and issuer. */
    CHECK_EQ_U(f->n_certs, 1);
    CHECK_EQ_U(mw_dtls_get_counters(s)->fragments[1], 6);
    if (f->n_certs) {
        sha1_hex(&f->certs[0], h);
        CHECK_EQ_S(h, "2F5F3393DE4E8BEA8719431A7A28C233FB10B3A0");
    }
    CHECK_EQ_U(mw_dtls_client_dir(s), 0);
    mw_dtls_free(s);
}

static void test_real_dtls10(void)
{
    mw_dtls_session *s = replay("dtls10_rockstar.bin");
    if (!s)
        return;
    const mw_tls_facts *f = mw_dtls_tls_facts(s);
    char h[41];
    CHECK_EQ_S(f->version_name, "DTLSv1.0");
    CHECK_EQ_S(f->ch.ja3_md5, "1b45c913a0c0fde5f263502e65999485");
    CHECK_EQ_S(f->sh.ja3s_md5, "749bd1edea60396ffaa65213b7971718");
    CHECK_EQ_U(f->n_certs, 1);
    if (f->n_certs) {
        sha1_hex(&f->certs[0], h);
        CHECK_EQ_S(h, "AB590E11EC944DD5D3407E6E3B8B6A19CAB7852C");
    }
    mw_dtls_free(s);
}

static void test_real_hello_verify(void)
{
    mw_dtls_session *s = replay("hvr_cookie.bin");
    if (!s)
        return;
    const mw_tls_facts *f = mw_dtls_tls_facts(s);
    CHECK(f->hello_verify);
    CHECK(f->ch.cookie_len > 0);
    CHECK(f->ch.session_id_len > 0);
    CHECK_EQ_S(f->version_name, "DTLSv1.2");
    CHECK_EQ_S(f->ch.ja3_md5, "e15c510766789ed8f49de0e37951c1da");
    CHECK_EQ_S(f->sh.ja3s_md5, "a1d48eca741e476d8ee735578a26bdbd");
    CHECK_EQ_U(f->sh.cipher, 0xc02c); /* ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
    mw_dtls_free(s);
}

int main(void)
{
    RUN(test_flight);
    RUN(test_flight_swapped);
    RUN(test_dtls13_opaque);
    RUN(test_missing_first_hello);
    RUN(test_not_dtls_and_foreign);
    RUN(test_malformed_records);
    RUN(test_zero_and_huge_lengths);
    RUN(test_epoch1);
    RUN(test_datagram_cap);
    RUN(test_real_certificate_fragments);
    RUN(test_real_dtls10);
    RUN(test_real_hello_verify);
    return check_summary();
}
