/*
 * decimal.h - an unsigned integer in decimal, without printf.
 *
 * The event writer and the TLS fingerprints format numbers for every
 * session; snprintf's format parsing cost more than the digits.
 */
#ifndef MW_COMMON_DECIMAL_H
#define MW_COMMON_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* v in decimal into out (at most 20 bytes, no terminator); returns how
 * many were written. */
static inline size_t mw_decimal(uint64_t v, char *out)
{
    char rev[20];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof rev);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    return n;
}

#endif /* MW_COMMON_DECIMAL_H */
