/*
 * community_id.c - see community_id.h.
 */
#include "flow/community_id.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/crypto.h"

void mw_community_id(uint16_t seed, uint8_t proto, const mw_addr *a, uint16_t ap,
                     const mw_addr *b, uint16_t bp, char out[MW_COMMUNITY_ID_LEN])
{
    size_t alen = a->family == 6 ? 16 : 4;
    int c = memcmp(a->bytes, b->bytes, alen);
    if (c > 0 || (c == 0 && ap > bp)) {
        const mw_addr *t = a;
        uint16_t tp = ap;
        a = b;
        ap = bp;
        b = t;
        bp = tp;
    }
    /* seed 2 + two addresses + proto + pad + two ports */
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, a->bytes, alen);
    n += alen;
    memcpy(buf + n, b->bytes, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    buf[n++] = (uint8_t)(ap >> 8);
    buf[n++] = (uint8_t)ap;
    buf[n++] = (uint8_t)(bp >> 8);
    buf[n++] = (uint8_t)bp;
    uint8_t digest[SHA_DIGEST_LENGTH];
    (void)mw_sha1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes: 28 characters and the NUL EVP_EncodeBlock adds. */
    (void)EVP_EncodeBlock((unsigned char *)out + 2, digest, (int)sizeof digest);
}
