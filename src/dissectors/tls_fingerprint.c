/*
 * tls_fingerprint.c - JA3, JA3S and JA4 of parsed hellos; see
 * tls_fingerprint.h.
 */
#include "dissectors/tls_fingerprint.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/decimal.h"

#include <openssl/evp.h>

enum { EXT_SERVER_NAME = 0x0000, EXT_ALPN = 0x0010 };

bool mw_tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void hex_digest(const EVP_MD *md, const void *data, size_t len, char *out,
                       size_t hexchars)
{
    static const char hx[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    if (!EVP_Digest(data, len, d, &dlen, md, NULL))
        dlen = 0;
    size_t i;
    for (i = 0; i < hexchars && i / 2 < dlen; i++)
        out[i] = hx[(i & 1) ? d[i / 2] & 0xf : d[i / 2] >> 4];
    for (; i < hexchars; i++)
        out[i] = '0';
    out[hexchars] = '\0';
}

/* Hand-written appenders instead of snprintf: the fingerprints are made
 * for every hello, and printf's format parsing was most of their cost.
 * Numbers go through mw_decimal (common/decimal.h): at most 5 digits
 * here, the values being 16 bits or less. */

/* Two decimal digits, zero-padded: v <= 99. */
static void put_2dec(char *buf, size_t v)
{
    buf[0] = (char)('0' + v / 10);
    buf[1] = (char)('0' + v % 10);
}

static void put_hex4(char *buf, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    buf[0] = hx[(v >> 12) & 0xf];
    buf[1] = hx[(v >> 8) & 0xf];
    buf[2] = hx[(v >> 4) & 0xf];
    buf[3] = hx[v & 0xf];
}

/* Appends values as decimal joined by '-'; the caller sized buf for 6
 * chars per value (a value that would not fit is left out, as snprintf's
 * truncation did). */
static void put_dec_list(char *buf, size_t cap, size_t *p, const uint16_t *v, size_t n,
                         bool skip_grease)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (skip_grease && mw_tls_is_grease(v[i]))
            continue;
        if (cap - *p < 7)
            break;
        if (!first)
            buf[(*p)++] = '-';
        *p += mw_decimal(v[i], buf + *p);
        first = false;
    }
}

size_t mw_tls_ja3_cap(const mw_tls_client_hello *ch)
{
    return 16 + 6 * (ch->ciphers.n + ch->extensions.n + ch->supported_groups.n) +
           4 * ch->ec_point_formats.len;
}

void mw_tls_ja3(const mw_tls_client_hello *ch, char *buf, size_t cap, char md5[33])
{
    size_t npf = ch->ec_point_formats.len;
    size_t p = mw_decimal(ch->legacy_version, buf);
    buf[p++] = ',';
    put_dec_list(buf, cap, &p, ch->ciphers.v, ch->ciphers.n, true);
    buf[p++] = ',';
    put_dec_list(buf, cap, &p, ch->extensions.v, ch->extensions.n, true);
    buf[p++] = ',';
    put_dec_list(buf, cap, &p, ch->supported_groups.v, ch->supported_groups.n, true);
    buf[p++] = ',';
    mw_cursor pf;
    mw_cursor_init(&pf, ch->ec_point_formats.data, npf);
    uint8_t b;
    for (bool first = true; cap - p >= 5 && mw_cursor_get_u8(&pf, &b); first = false) {
        if (!first)
            buf[p++] = '-';
        p += mw_decimal(b, buf + p);
    }
    buf[p] = '\0';
    hex_digest(mw_md_md5(), buf, p, md5, 32);
}

size_t mw_tls_ja3s_cap(const mw_tls_server_hello *sh)
{
    return 16 + 6 * sh->extensions.n;
}

void mw_tls_ja3s(const mw_tls_server_hello *sh, char *buf, size_t cap, char md5[33])
{
    size_t p = mw_decimal(sh->legacy_version, buf);
    buf[p++] = ',';
    p += mw_decimal(sh->cipher, buf + p);
    buf[p++] = ',';
    put_dec_list(buf, cap, &p, sh->extensions.v, sh->extensions.n, true);
    buf[p] = '\0';
    hex_digest(mw_md_md5(), buf, p, md5, 32);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* DTLS versions count down, so "highest" means numerically lowest. */
static unsigned version_rank(uint16_t v)
{
    return v >= 0xfe00 ? 0x10000u - v : v;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Writes "xxxx,xxxx,..." of the n values; buf holds 5 * n + 1. */
static size_t put_hex_list(char *buf, const uint16_t *v, size_t n)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf[p++] = ',';
        put_hex4(buf + p, v[i]);
        p += 4;
    }
    buf[p] = '\0';
    return p;
}

/* Copies the non-GREASE values of l into out, minus SNI/ALPN if asked. */
static size_t filter_u16(const mw_tls_u16_list *l, uint16_t *out, bool drop_sni_alpn)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        uint16_t v = l->v[i];
        if (mw_tls_is_grease(v))
            continue;
        if (drop_sni_alpn && (v == EXT_SERVER_NAME || v == EXT_ALPN))
            continue;
        out[n++] = v;
    }
    return n;
}

bool mw_tls_ja4(const mw_tls_client_hello *ch, char transport, char out[37])
{
    static const char hx[] = "0123456789abcdef";
    uint16_t ver = ch->legacy_version;
    bool have = false;
    for (size_t i = 0; i < ch->supported_versions.n; i++) {
        uint16_t v = ch->supported_versions.v[i];
        if (mw_tls_is_grease(v))
            continue;
        if (!have || version_rank(v) > version_rank(ver))
            ver = v;
        have = true;
    }

    bool sni = false;
    for (size_t i = 0; i < ch->extensions.n; i++)
        sni |= ch->extensions.v[i] == EXT_SERVER_NAME;

    char alpn[3] = "00";
    if (ch->n_alpn && ch->alpn[0].len) {
        mw_cursor a;
        uint8_t first = 0, last = 0;
        mw_cursor_init(&a, ch->alpn[0].data, ch->alpn[0].len);
        (void)mw_cursor_peek_u8(&a, 0, &first);
        (void)mw_cursor_peek_u8(&a, ch->alpn[0].len - 1, &last);
        if (is_alnum(first) && is_alnum(last)) {
            alpn[0] = (char)first;
            alpn[1] = (char)last;
        } else {
            alpn[0] = hx[first >> 4];
            alpn[1] = hx[last & 0xf];
        }
    }

    /* The sorted lists and their text live on the stack for any usual
     * hello; only a hostile one (over JA4_STACK_VALUES values) costs an
     * allocation. */
    enum { JA4_STACK_VALUES = 256 };
    uint16_t tmp_stack[JA4_STACK_VALUES + 1];
    char str_stack[5 * JA4_STACK_VALUES + 2];
    size_t nmax = ch->ciphers.n > ch->extensions.n ? ch->ciphers.n : ch->extensions.n;
    size_t nval = nmax + ch->signature_algorithms.n;
    uint16_t *tmp = tmp_stack;
    char *str = str_stack;
    if (nval > JA4_STACK_VALUES) {
        tmp = malloc((nval + 1) * sizeof(uint16_t));
        str = malloc(5 * nval + 2);
        if (!tmp || !str) {
            free(tmp);
            free(str);
            return false;
        }
    }

    char hb[13], hc[13];
    size_t nc = filter_u16(&ch->ciphers, tmp, false);
    size_t ncount = nc;
    if (nc) {
        qsort(tmp, nc, sizeof(uint16_t), cmp_u16);
        size_t len = put_hex_list(str, tmp, nc);
        hex_digest(mw_md_sha256(), str, len, hb, 12);
    } else {
        memcpy(hb, "000000000000", 13);
    }

    size_t next = filter_u16(&ch->extensions, tmp, false);
    size_t ne = filter_u16(&ch->extensions, tmp, true);
    if (ne) {
        qsort(tmp, ne, sizeof(uint16_t), cmp_u16);
        size_t len = put_hex_list(str, tmp, ne);
        size_t ns = filter_u16(&ch->signature_algorithms, tmp, false);
        if (ns) {
            str[len++] = '_';
            len += put_hex_list(str + len, tmp, ns);
        }
        hex_digest(mw_md_sha256(), str, len, hc, 12);
    } else {
        memcpy(hc, "000000000000", 13);
    }
    if (tmp != tmp_stack) {
        free(tmp);
        free(str);
    }

    size_t o = 0;
    out[o++] = transport;
    memcpy(out + o, ja4_version(ver), 2);
    o += 2;
    out[o++] = sni ? 'd' : 'i';
    put_2dec(out + o, ncount > 99 ? 99 : ncount);
    o += 2;
    put_2dec(out + o, next > 99 ? 99 : next);
    o += 2;
    memcpy(out + o, alpn, 2);
    o += 2;
    out[o++] = '_';
    memcpy(out + o, hb, 12);
    o += 12;
    out[o++] = '_';
    memcpy(out + o, hc, 12);
    o += 12;
    out[o] = '\0';
    return true;
}
