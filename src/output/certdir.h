/*
 * certdir.h - --certs DIR: every distinct certificate seen, as DIR/<sha256
 * of the DER, 64 lowercase hex>.pem.
 *
 * The PEM block ("CERTIFICATE", base64 lines of 64 characters) holds the
 * DER exactly as sent, not re-encoded from a parsed certificate, so
 * certificates OpenSSL cannot parse are written too. A file is written only
 * when its name does not exist yet, through a temporary name in DIR that is
 * synced and then renamed without replacing: concurrent runs and a crash
 * never leave a half-written certificate (a crash may leave a ".tmp-" file).
 * Hashes written or found this run are remembered (bounded set) so repeated
 * certificates cost no system call.
 */
#ifndef MW_CERTDIR_H
#define MW_CERTDIR_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats.h"

typedef struct mw_certdir mw_certdir;

/* Hashes remembered at most; beyond, existence is checked with a stat. */
#define MW_CERTDIR_MAX_KNOWN 65536u

/* Creates dir (mode 0755, not its parents) when missing. NULL with err
 * ("DIR: what") when it cannot be created, is not a directory or is not
 * writable. */
mw_certdir *mw_certdir_open(const char *dir, char *err, size_t errlen);

/* Writes the certificate unless DIR already holds it. Counts
 * st->output.certs_written when this call created the file and
 * certs_write_failed when it could not (st may be NULL). */
void mw_certdir_put(mw_certdir *d, const uint8_t sha256[32], const uint8_t *der,
                    size_t len, mw_stats *st);

void mw_certdir_close(mw_certdir *d);

#endif /* MW_CERTDIR_H */
