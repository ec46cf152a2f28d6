/*
 * trust.c - see trust.h.
 */
#include "detect/trust.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

#include "common/crypto.h"
#include "detect/rules.h"

#define TSV_LINE_MAX 4096

/* The anchors of the second pass for captures before `until`: the removed
 * roots shipped until then or later. Roots are sorted by until, latest
 * first, so each set is a prefix of the array; one stack per distinct
 * date, made once, shared read-only by every validation. */
typedef struct epoch {
    int64_t until;
    STACK_OF(X509) *anchors;
} epoch;

struct mw_removed_roots {
    mw_removed_root *roots;
    size_t n;
    epoch *epochs; /* until descending */
    size_t n_epochs;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

mw_removed_roots *mw_removed_roots_new(void)
{
    return calloc(1, sizeof(mw_removed_roots));
}

static void free_epochs(mw_removed_roots *r)
{
    for (size_t i = 0; i < r->n_epochs; i++)
        sk_X509_free(r->epochs[i].anchors); /* the roots own the X509s */
    free(r->epochs);
    r->epochs = NULL;
    r->n_epochs = 0;
}

void mw_removed_roots_free(mw_removed_roots *r)
{
    if (!r)
        return;
    free_epochs(r);
    for (size_t i = 0; i < r->n; i++) {
        X509_free(r->roots[i].x509);
        free(r->roots[i].subject);
    }
    free(r->roots);
    free(r);
}

size_t mw_removed_roots_count(const mw_removed_roots *r)
{
    return r ? r->n : 0;
}

const mw_removed_root *mw_removed_roots_get(const mw_removed_roots *r, size_t i)
{
    return r && i < r->n ? &r->roots[i] : NULL;
}

/* ---- loading ---------------------------------------------------------- */

/* One line of the .tsv, split. */
typedef struct tsv_row {
    char sha256[65];
    char first[11], last[11], removed[11];
    int64_t until;
    unsigned line;
    bool used;
} tsv_row;

/* "YYYY-MM-DD" to the end of that day (UTC), seconds; false if malformed. */
static bool parse_date(const char *s, size_t n, char out[11], int64_t *end_of_day)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    struct tm tm = {0};
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
        return false;
    memcpy(out, s, 10);
    out[10] = '\0';
    *end_of_day = (int64_t)timegm(&tm) + 86400;
    return true;
}

static bool parse_row(char *line, tsv_row *row)
{
    char *f[5];
    size_t n = 0;
    for (char *p = line; n < 5; n++) {
        f[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            n++;
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (n != 5 || strlen(f[0]) != 64 || f[4][0] == '\0')
        return false;
    for (size_t i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)f[0][i]))
            return false;
        row->sha256[i] = (char)tolower((unsigned char)f[0][i]);
    }
    row->sha256[64] = '\0';
    int64_t ignored;
    return parse_date(f[1], strlen(f[1]), row->first, &ignored) &&
           parse_date(f[3], strlen(f[3]), row->removed, &ignored) &&
           parse_date(f[2], strlen(f[2]), row->last, &row->until);
}

static bool read_tsv(const char *path, tsv_row **rows, size_t *n_rows, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char buf[TSV_LINE_MAX + 2];
    unsigned lineno = 0;
    bool ok = true;
    *rows = NULL;
    *n_rows = 0;
    while (ok && fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t l = strlen(buf);
        if (l > TSV_LINE_MAX) {
            set_err(err, errlen, "%s:%u: line too long", path, lineno);
            ok = false;
            break;
        }
        while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
            buf[--l] = '\0';
        if (lineno == 1 || l == 0)
            continue; /* the header; blank lines */
        tsv_row row = {.line = lineno};
        if (!parse_row(buf, &row)) {
            set_err(err, errlen,
                    "%s:%u: expected \"SHA256 FIRST LAST REMOVED SUBJECT\" (tabs, dates "
                    "YYYY-MM-DD)",
                    path, lineno);
            ok = false;
            break;
        }
        tsv_row *nr = realloc(*rows, (*n_rows + 1) * sizeof(*nr));
        if (!nr) {
            set_err(err, errlen, "%s: out of memory", path);
            ok = false;
            break;
        }
        *rows = nr;
        nr[(*n_rows)++] = row;
    }
    if (ok && ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
        ok = false;
    }
    fclose(f);
    if (!ok) {
        free(*rows);
        *rows = NULL;
        *n_rows = 0;
    }
    return ok;
}

typedef struct load_ctx {
    mw_removed_roots *r;
    tsv_row *rows;
    size_t n_rows;
    const char *tsv_path;
    char msg[MW_RULES_ERRLEN]; /* what went wrong in root_cb, if anything */
    bool reported;
} load_ctx;

static bool known(const mw_removed_roots *r, const char *sha)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->roots[i].sha256, sha) == 0)
            return true;
    return false;
}

static bool root_cb(void *arg, X509 *x, const char *path, unsigned line, size_t nth)
{
    load_ctx *c = arg;
    unsigned char d[32];
    unsigned int len = 0;
    char sha[65];
    (void)nth;
    if (X509_digest(x, mw_md_sha256(), d, &len) != 1) {
        X509_free(x);
        return false;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", d[i]);
    tsv_row *row = NULL;
    for (size_t i = 0; i < c->n_rows && !row; i++)
        if (strcmp(c->rows[i].sha256, sha) == 0)
            row = &c->rows[i];
    if (!row) {
        set_err(c->msg, sizeof c->msg, "%s:%u: certificate %.16s... has no line in %s",
                path, line, sha, c->tsv_path);
        c->reported = true;
        X509_free(x);
        return false;
    }
    row->used = true;
    if (known(c->r, sha)) {
        X509_free(x);
        return true;
    }
    mw_removed_root *nr = realloc(c->r->roots, (c->r->n + 1) * sizeof(*nr));
    if (!nr) {
        X509_free(x);
        return false;
    }
    c->r->roots = nr;
    mw_removed_root *root = &nr[c->r->n];
    memset(root, 0, sizeof(*root));
    root->subject = mw_rules_name_text(X509_get_subject_name(x));
    if (!root->subject) {
        X509_free(x);
        return false;
    }
    mw_x509_warm(x); /* shared by the workers */
    root->x509 = x;
    memcpy(root->sha256, sha, sizeof sha);
    memcpy(root->first_shipped, row->first, sizeof row->first);
    memcpy(root->last_shipped, row->last, sizeof row->last);
    memcpy(root->removed_in, row->removed, sizeof row->removed);
    root->until = row->until;
    c->r->n++;
    return true;
}

static int cmp_root(const void *a, const void *b)
{
    const mw_removed_root *x = a, *y = b;
    if (x->until != y->until)
        return x->until > y->until ? -1 : 1;
    return strcmp(x->sha256, y->sha256);
}

static bool make_epochs(mw_removed_roots *r)
{
    free_epochs(r);
    if (r->n == 0)
        return true;
    qsort(r->roots, r->n, sizeof(*r->roots), cmp_root);
    r->epochs = calloc(r->n, sizeof(*r->epochs));
    if (!r->epochs)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        /* A new epoch where the date changes: its anchors are every root
         * up to the last one of that date. */
        if (i + 1 < r->n && r->roots[i + 1].until == r->roots[i].until)
            continue;
        STACK_OF(X509) *sk = sk_X509_new_reserve(NULL, (int)(i + 1));
        if (!sk)
            return false;
        for (size_t k = 0; k <= i; k++)
            (void)sk_X509_push(sk, r->roots[k].x509); /* reserved: cannot fail */
        r->epochs[r->n_epochs].until = r->roots[i].until;
        r->epochs[r->n_epochs].anchors = sk;
        r->n_epochs++;
    }
    return true;
}

bool mw_removed_roots_load(mw_removed_roots *r, const char *pem_path, const char *tsv_path,
                           char *err, size_t errlen)
{
    load_ctx c = {.r = r, .tsv_path = tsv_path};
    if (!read_tsv(tsv_path, &c.rows, &c.n_rows, err, errlen))
        return false;
    bool ok = mw_rules_read_pem_certs(pem_path, root_cb, &c, err, errlen);
    if (!ok && c.reported) /* the callback's message beats "out of memory" */
        set_err(err, errlen, "%s", c.msg);
    for (size_t i = 0; ok && i < c.n_rows; i++) {
        if (!c.rows[i].used) {
            set_err(err, errlen, "%s:%u: no certificate with this SHA-256 in %s", tsv_path,
                    c.rows[i].line, pem_path);
            ok = false;
        }
    }
    free(c.rows);
    if (ok && !make_epochs(r)) {
        set_err(err, errlen, "%s: out of memory", pem_path);
        ok = false;
    }
    return ok;
}

/* The anchors for a capture at time t: removed roots shipped until after
 * t; NULL when none was. */
static STACK_OF(X509) *anchors_at(const mw_removed_roots *r, int64_t t)
{
    /* epochs[] is by until descending and each one holds the roots of the
     * ones before it: the last epoch with until > t has them all. */
    size_t lo = 0, hi = r->n_epochs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->epochs[mid].until > t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? r->epochs[lo - 1].anchors : NULL;
}

/* ---- validation ------------------------------------------------------- */

/* Errors that only say an issuer was not found: a pass that ends on one
 * got no further than the trust anchors it had. */
static bool issuer_missing(int e)
{
    return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
           e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

/* One pass. anchors NULL: the store's roots; else only these. */
static bool verify_pass(X509_STORE *store, STACK_OF(X509) *anchors, X509 *leaf,
                        STACK_OF(X509) *rest, int64_t t, mw_trust_result *out)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    bool ok = false;
    if (!ctx || X509_STORE_CTX_init(ctx, store, leaf, rest) != 1)
        goto done;
    unsigned long flags = X509_V_FLAG_TRUSTED_FIRST;
    if (anchors) {
        X509_STORE_CTX_set0_trusted_stack(ctx, anchors);
        flags |= X509_V_FLAG_PARTIAL_CHAIN;
    }
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), flags);
    /* Judged at capture time: a chain valid then was valid, however old
     * the capture is now. */
    if (t > 0)
        X509_STORE_CTX_set_time(ctx, 0, (time_t)t);
    if (X509_verify_cert(ctx) == 1) {
        out->path = X509_STORE_CTX_get1_chain(ctx);
        ok = out->path != NULL;
        goto done;
    }
    out->error = X509_STORE_CTX_get_error(ctx);
    out->depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
    X509_free(out->bad);
    out->bad = bad && X509_up_ref(bad) == 1 ? bad : NULL;
done:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    return ok;
}

void mw_x509_warm(X509 *x)
{
    /* id -1: only the extensions are read and cached. OpenSSL 3.0 caches
     * them on first use, and two threads that both find a certificate
     * uncached both write the cache while the other may read it (openssl
     * issue 32609): so every certificate that workers share is cached
     * here, before any thread starts. */
    (void)X509_check_purpose(x, -1, 0);
}

static const mw_removed_root *removed_anchor(const mw_removed_roots *r, STACK_OF(X509) *path)
{
    int n = sk_X509_num(path);
    X509 *top = n > 0 ? sk_X509_value(path, n - 1) : NULL;
    for (size_t i = 0; top && i < r->n; i++)
        if (X509_cmp(top, r->roots[i].x509) == 0)
            return &r->roots[i];
    return NULL;
}

bool mw_trust_verify(X509_STORE *store, const mw_removed_roots *removed, X509 *leaf,
                     STACK_OF(X509) *rest, int64_t time, mw_trust_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!store || !leaf)
        return false;
    if (verify_pass(store, NULL, leaf, rest, time, out)) {
        out->trusted = true;
        return true;
    }
    STACK_OF(X509) *anchors = removed && time > 0 ? anchors_at(removed, time) : NULL;
    if (!anchors)
        return false;
    mw_trust_result second = {0};
    if (verify_pass(store, anchors, leaf, rest, time, &second)) {
        X509_free(out->bad);
        *out = second;
        out->trusted = true;
        out->removed = removed_anchor(removed, out->path);
        return true;
    }
    /* Today's store found no issuer, the removed roots did and then
     * something else failed: that is what went wrong at capture time. */
    if (issuer_missing(out->error) && second.error && !issuer_missing(second.error)) {
        X509_free(out->bad);
        *out = second;
        out->via_removed = true;
        return false;
    }
    mw_trust_result_free(&second);
    return false;
}

void mw_trust_result_free(mw_trust_result *r)
{
    sk_X509_pop_free(r->path, X509_free);
    X509_free(r->bad);
    memset(r, 0, sizeof(*r));
}
