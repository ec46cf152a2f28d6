/*
 * rules.c - see rules.h.
 */
#include "detect/rules.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/crypto.h"

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
/* A rules line longer than this is an error, not a silent cut. */
#define LINE_MAX_LEN 1024
#define PEM_MAX_BYTES ((size_t)256 * 1024)

typedef struct rogue_name {
    char *name;
    char *label;
} rogue_name;

typedef struct target {
    char *domain; /* lowercase, leading "." kept */
} target;

typedef struct pin {
    char *domain; /* lowercase, leading "." kept, as targets */
    uint8_t spki_sha256[32];
} pin;

typedef struct fingerprint {
    char kind[5];  /* "ja3", "ja4" or "ja3s" (a ServerHello's) */
    char *value;   /* lowercase */
    char *label;
} fingerprint;

struct mw_rules {
    mw_rogue_root *roots;
    size_t n_roots;
    rogue_name *names;
    size_t n_names;
    target *targets;
    size_t n_targets;
    fingerprint *fps;
    size_t n_fps;
    pin *pins;     /* sorted by domain: a domain's pins are adjacent */
    size_t n_pins;
    X509_STORE *store;
    /* A store that loads from directories as it is asked (by hash) adds
     * certificates during validation: those are validated one thread at a
     * time (mw_rules_trust_lock). */
    bool store_lazy;
    pthread_mutex_t store_mu;
    mw_removed_roots *removed; /* NULL until historic roots are loaded */
    mw_trust_at trust_at;
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

static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

mw_rules *mw_rules_new(void)
{
    mw_rules *r = calloc(1, sizeof(mw_rules));
    if (r && pthread_mutex_init(&r->store_mu, NULL) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

static void warm_store(X509_STORE *store)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (x)
            mw_x509_warm(x);
    }
}

pthread_mutex_t *mw_rules_trust_lock(const mw_rules *r)
{
    /* The lock is not the rules' content: taking it changes nothing
     * a reader of the rules sees. */
    return r->store_lazy ? (pthread_mutex_t *)&r->store_mu : NULL;
}

void mw_rules_clear_targets(mw_rules *r)
{
    for (size_t i = 0; i < r->n_targets; i++)
        free(r->targets[i].domain);
    free(r->targets);
    r->targets = NULL;
    r->n_targets = 0;
}

void mw_rules_free(mw_rules *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->store_mu);
    for (size_t i = 0; i < r->n_pins; i++)
        free(r->pins[i].domain);
    free(r->pins);
    for (size_t i = 0; i < r->n_roots; i++) {
        X509_free(r->roots[i].x509);
        free(r->roots[i].label);
        free(r->roots[i].subject);
    }
    free(r->roots);
    for (size_t i = 0; i < r->n_names; i++) {
        free(r->names[i].name);
        free(r->names[i].label);
    }
    free(r->names);
    mw_rules_clear_targets(r);
    for (size_t i = 0; i < r->n_fps; i++) {
        free(r->fps[i].value);
        free(r->fps[i].label);
    }
    free(r->fps);
    X509_STORE_free(r->store);
    mw_removed_roots_free(r->removed);
    free(r);
}

char *mw_rules_name_text(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL, *p;
    if (!b)
        return NULL;
    /* The flags of src/dissectors/x509.c, so the texts compare equal. */
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        long n = BIO_get_mem_data(b, &p);
        if (n >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
            memcpy(s, p, (size_t)n);
            s[n] = '\0';
        }
    }
    BIO_free(b);
    return s;
}

static bool add_name(mw_rules *r, const char *name, const char *label)
{
    rogue_name *n = realloc(r->names, (r->n_names + 1) * sizeof(*n));
    if (!n)
        return false;
    r->names = n;
    n[r->n_names].name = strdup(name);
    n[r->n_names].label = strdup(label);
    if (!n[r->n_names].name || !n[r->n_names].label) {
        free(n[r->n_names].name);
        free(n[r->n_names].label);
        return false;
    }
    r->n_names++;
    return true;
}

static bool add_root(mw_rules *r, X509 *x, const char *label)
{
    mw_rogue_root *n = realloc(r->roots, (r->n_roots + 1) * sizeof(*n));
    if (!n)
        return false;
    r->roots = n;
    mw_rogue_root *root = &n[r->n_roots];
    memset(root, 0, sizeof(*root));
    unsigned int len = 0;
    root->label = strdup(label);
    root->subject = mw_rules_name_text(X509_get_subject_name(x));
    if (!root->label || !root->subject ||
        X509_digest(x, mw_md_sha256(), root->der_sha256, &len) != 1 ||
        X509_pubkey_digest(x, mw_md_sha256(), root->spki_sha256, &len) != 1 ||
        !add_name(r, root->subject, label)) {
        free(root->label);
        free(root->subject);
        return false;
    }
    mw_x509_warm(x);
    root->x509 = x;
    r->n_roots++;
    return true;
}

/* The file name without directory and extension. */
static void file_label(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, n, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

/* Blocks of other types (TRUSTED CERTIFICATE, X509 CRL) are skipped. */
bool mw_rules_read_pem_certs(const char *path, mw_pem_cert_fn fn, void *arg, char *err,
                             size_t errlen)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char line[LINE_MAX_LEN + 2];
    char *block = NULL;
    size_t blen = 0, nth = 0;
    unsigned lineno = 0, start = 0;
    bool ok = true, in = false;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strlen(line);
        if (l > LINE_MAX_LEN) {
            set_err(err, errlen, "%s:%u: line too long", path, lineno);
            ok = false;
            break;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        if (!in) {
            if (strcmp(line, begin) == 0) {
                in = true;
                start = lineno;
                blen = 0;
            }
            continue;
        }
        if (blen + l + 2 > PEM_MAX_BYTES) {
            set_err(err, errlen, "%s:%u: certificate too large", path, start);
            ok = false;
            break;
        }
        char *nb = realloc(block, blen + l + 2);
        if (!nb) {
            set_err(err, errlen, "%s: out of memory", path);
            ok = false;
            break;
        }
        block = nb;
        memcpy(block + blen, line, l + 1);
        blen += l;
        block[blen++] = '\n';
        if (strcmp(line, end) != 0)
            continue;
        in = false;
        /* Re-wrap the block for PEM_read_bio_X509. */
        BIO *b = BIO_new(BIO_s_mem());
        X509 *x = NULL;
        if (b && BIO_puts(b, begin) > 0 && BIO_puts(b, "\n") > 0 &&
            BIO_write(b, block, (int)blen) == (int)blen) {
            ERR_clear_error();
            x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        }
        BIO_free(b);
        if (!x) {
            set_err(err, errlen, "%s:%u: bad certificate: %s", path, start, ossl_reason());
            ok = false;
        } else if (!fn(arg, x, path, start, nth++)) {
            set_err(err, errlen, "%s:%u: out of memory", path, start);
            ok = false;
        }
    }
    if (ok && ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
        ok = false;
    }
    if (ok && in) {
        set_err(err, errlen, "%s:%u: BEGIN CERTIFICATE without END", path, start);
        ok = false;
    }
    if (ok && nth == 0) {
        set_err(err, errlen, "%s: no certificate", path);
        ok = false;
    }
    free(block);
    fclose(f);
    return ok;
}

static bool root_cb(void *arg, X509 *x, const char *path, unsigned line, size_t nth)
{
    char label[256], full[300];
    (void)line;
    file_label(path, label, sizeof label);
    if (nth)
        snprintf(full, sizeof full, "%s#%zu", label, nth + 1);
    else
        snprintf(full, sizeof full, "%s", label);
    if (!add_root(arg, x, full)) {
        X509_free(x);
        return false;
    }
    return true;
}

bool mw_rules_load_roots_file(mw_rules *r, const char *path, char *err, size_t errlen)
{
    return mw_rules_read_pem_certs(path, root_cb, r, err, errlen);
}

/* One line of a list file, trimmed, comment cut; NULL at the end. */
static char *next_line(FILE *f, char *buf, size_t n, unsigned *lineno, bool *too_long)
{
    *too_long = false;
    if (!fgets(buf, (int)n, f))
        return NULL;
    (*lineno)++;
    size_t l = strlen(buf);
    if (l == n - 1 && buf[l - 1] != '\n' && !feof(f)) {
        *too_long = true;
        return buf;
    }
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    l = strlen(buf);
    while (l && isspace((unsigned char)buf[l - 1]))
        buf[--l] = '\0';
    char *p = buf;
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* What a list file's reader does with one non-empty line: false stops
 * the file, with err filled. */
typedef bool (*line_fn)(mw_rules *r, void *ctx, const char *path, unsigned lineno,
                        char *line, char *err, size_t errlen);

/* Every list file (targets, names, fingerprints) is read the same way: one
 * entry a line, '#' comments, blank lines skipped, errors naming the line. */
static bool read_list_file(mw_rules *r, const char *path, line_fn fn, void *ctx,
                           char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char buf[LINE_MAX_LEN + 2];
    unsigned lineno = 0;
    bool too_long, ok = true;
    char *p;
    while (ok && (p = next_line(f, buf, sizeof buf, &lineno, &too_long)) != NULL) {
        if (too_long) {
            set_err(err, errlen, "%s:%u: line too long", path, lineno);
            ok = false;
        } else if (*p != '\0') {
            ok = fn(r, ctx, path, lineno, p, err, errlen);
        }
    }
    fclose(f);
    return ok;
}

static bool valid_domain(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > 253 || (d[0] == '.' && n == 1) || d[n - 1] == '.')
        return false;
    for (const char *p = d; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_'))
            return false;
        if (c == '.' && p[1] == '.')
            return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_target(const void *a, const void *b)
{
    return strcmp(((const target *)a)->domain, ((const target *)b)->domain);
}

static bool target_line(mw_rules *r, void *ctx, const char *path, unsigned lineno,
                        char *p, char *err, size_t errlen)
{
    (void)ctx;
    if (!valid_domain(p)) {
        set_err(err, errlen, "%s:%u: not a domain name: \"%.80s\"", path, lineno, p);
        return false;
    }
    target *t = realloc(r->targets, (r->n_targets + 1) * sizeof(*t));
    if (t)
        r->targets = t;
    char *d = strdup(p);
    if (!t || !d) {
        free(d);
        set_err(err, errlen, "%s: out of memory", path);
        return false;
    }
    for (char *q = d; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    t[r->n_targets++].domain = d;
    return true;
}

bool mw_rules_load_targets_file(mw_rules *r, const char *path, char *err, size_t errlen)
{
    bool ok = read_list_file(r, path, target_line, NULL, err, errlen);
    /* Kept sorted for bsearch: a list may be large, sessions are many.
     * Lists overlap (kz-2019 and kz-2024-ooni share domains): one entry
     * each, so the report counts a domain once. */
    if (r->n_targets)
        qsort(r->targets, r->n_targets, sizeof(*r->targets), cmp_target);
    size_t kept = 0;
    for (size_t i = 0; i < r->n_targets; i++) {
        if (kept && strcmp(r->targets[kept - 1].domain, r->targets[i].domain) == 0)
            free(r->targets[i].domain);
        else
            r->targets[kept++] = r->targets[i];
    }
    r->n_targets = kept;
    return ok;
}

static bool name_line(mw_rules *r, void *ctx, const char *path, unsigned lineno,
                      char *p, char *err, size_t errlen)
{
    if (!strchr(p, '=')) {
        set_err(err, errlen, "%s:%u: not an RFC 2253 name: \"%.80s\"", path, lineno, p);
        return false;
    }
    if (!add_name(r, p, ctx)) {
        set_err(err, errlen, "%s: out of memory", path);
        return false;
    }
    return true;
}

bool mw_rules_load_names_file(mw_rules *r, const char *path, char *err, size_t errlen)
{
    char label[256];
    file_label(path, label, sizeof label);
    return read_list_file(r, path, name_line, label, err, errlen);
}

/* A JA3 or JA3S is an MD5 in hex; a JA4 is three '_'-separated parts of letters
 * and digits (t13d1516h2_8daaf6152771_b186095e22b6). */
static bool valid_fingerprint(const char *kind, const char *v)
{
    size_t n = strlen(v), parts = 1;
    if (strcmp(kind, "ja3") == 0 || strcmp(kind, "ja3s") == 0) {
        if (n != 32)
            return false;
        for (const char *p = v; *p; p++)
            if (!isxdigit((unsigned char)*p))
                return false;
        return true;
    }
    if (n < 5 || n > 64 || v[0] == '_' || v[n - 1] == '_')
        return false;
    for (const char *p = v; *p; p++) {
        if (*p == '_' && p[1] != '_')
            parts++;
        else if (!isalnum((unsigned char)*p))
            return false;
    }
    return parts == 3;
}

static bool fingerprint_line(mw_rules *r, void *ctx, const char *path, unsigned lineno,
                             char *p, char *err, size_t errlen)
{
    (void)ctx;
    /* "KIND VALUE LABEL...": the label is the rest of the line. */
    char *kind = p, *val, *label;
    size_t kl = strcspn(kind, " \t");
    val = kind + kl;
    val += strspn(val, " \t");
    size_t vl = strcspn(val, " \t");
    label = val + vl;
    label += strspn(label, " \t");
    bool known = (kl == 3 && (strncasecmp(kind, "ja3", 3) == 0 ||
                              strncasecmp(kind, "ja4", 3) == 0)) ||
                 (kl == 4 && strncasecmp(kind, "ja3s", 4) == 0);
    if (!known) {
        set_err(err, errlen, "%s:%u: expected \"ja3\", \"ja4\" or \"ja3s\": \"%.80s\"",
                path, lineno, p);
        return false;
    }
    kind[kl] = '\0';
    for (char *q = kind; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    if (vl == 0 || *label == '\0') {
        set_err(err, errlen, "%s:%u: expected \"%s FINGERPRINT LABEL\"", path, lineno,
                kind);
        return false;
    }
    val[vl] = '\0';
    for (char *q = val; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    if (!valid_fingerprint(kind, val)) {
        set_err(err, errlen, "%s:%u: not a %s fingerprint: \"%.80s\"", path, lineno,
                kind, val);
        return false;
    }
    fingerprint *v = realloc(r->fps, (r->n_fps + 1) * sizeof(*v));
    char *dv = strdup(val), *dl = strdup(label);
    if (v)
        r->fps = v;
    if (!v || !dv || !dl) {
        free(dv);
        free(dl);
        set_err(err, errlen, "%s: out of memory", path);
        return false;
    }
    fingerprint *fp = &r->fps[r->n_fps++];
    memcpy(fp->kind, kind, kl + 1);
    fp->value = dv;
    fp->label = dl;
    return true;
}

bool mw_rules_load_fingerprints_file(mw_rules *r, const char *path, char *err,
                                     size_t errlen)
{
    return read_list_file(r, path, fingerprint_line, NULL, err, errlen);
}

const char *mw_rules_match_fingerprint(const mw_rules *r, const char *kind,
                                       const char *value)
{
    if (!value || !*value)
        return NULL;
    /* A handful of entries: a scan is cheaper than keeping an index. */
    for (size_t i = 0; i < r->n_fps; i++)
        if (strcmp(r->fps[i].kind, kind) == 0 && strcasecmp(r->fps[i].value, value) == 0)
            return r->fps[i].label;
    return NULL;
}

size_t mw_rules_n_fingerprints(const mw_rules *r)
{
    return r->n_fps;
}

/* ---- pins ----------------------------------------------------------- */

static int cmp_pin(const void *a, const void *b)
{
    const pin *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : memcmp(x->spki_sha256, y->spki_sha256, sizeof x->spki_sha256);
}

/* "sha256/BASE64" (HPKP, Chromium) or 64 hex digits. */
static bool parse_pin_value(const char *v, uint8_t out[32])
{
    size_t n = strlen(v);
    if (n == 64) {
        long len = 0;
        unsigned char *bin = OPENSSL_hexstr2buf(v, &len);
        bool ok = bin && len == 32;
        if (ok)
            memcpy(out, bin, 32);
        OPENSSL_free(bin);
        ERR_clear_error();
        return ok;
    }
    if (n != 7 + 44 || strncmp(v, "sha256/", 7) != 0 || v[n - 1] != '=')
        return false;
    unsigned char buf[36];
    /* 44 base64 characters decode to 33 bytes, the last one padding. */
    if (EVP_DecodeBlock(buf, (const unsigned char *)v + 7, 44) != 33)
        return false;
    memcpy(out, buf, 32);
    return true;
}

static bool pin_line(mw_rules *r, void *ctx, const char *path, unsigned lineno,
                     char *p, char *err, size_t errlen)
{
    (void)ctx;
    size_t dl = strcspn(p, " \t");
    char *val = p + dl;
    val += strspn(val, " \t");
    size_t vl = strcspn(val, " \t");
    if (dl == 0 || vl == 0 || val[vl + strspn(val + vl, " \t")] != '\0') {
        set_err(err, errlen, "%s:%u: expected \"DOMAIN PIN\": \"%.80s\"", path, lineno, p);
        return false;
    }
    p[dl] = '\0';
    val[vl] = '\0';
    uint8_t h[32];
    if (!valid_domain(p)) {
        set_err(err, errlen, "%s:%u: not a domain name: \"%.80s\"", path, lineno, p);
        return false;
    }
    if (!parse_pin_value(val, h)) {
        set_err(err, errlen, "%s:%u: not a pin (sha256/BASE64= or 64 hex digits): \"%.80s\"",
                path, lineno, val);
        return false;
    }
    pin *v = realloc(r->pins, (r->n_pins + 1) * sizeof(*v));
    char *d = strdup(p);
    if (v)
        r->pins = v;
    if (!v || !d) {
        free(d);
        set_err(err, errlen, "%s: out of memory", path);
        return false;
    }
    for (char *q = d; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    r->pins[r->n_pins].domain = d;
    memcpy(r->pins[r->n_pins].spki_sha256, h, sizeof h);
    r->n_pins++;
    return true;
}

bool mw_rules_load_pins_file(mw_rules *r, const char *path, char *err, size_t errlen)
{
    bool ok = read_list_file(r, path, pin_line, NULL, err, errlen);
    if (r->n_pins)
        qsort(r->pins, r->n_pins, sizeof(*r->pins), cmp_pin);
    return ok;
}

size_t mw_rules_n_pins(const mw_rules *r)
{
    return r->n_pins;
}

/* The first pin of domain `key` exactly, or NULL. */
static const void *find_pins(const mw_rules *r, const char *key)
{
    size_t lo = 0, hi = r->n_pins;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->pins[mid].domain, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_pins && strcmp(r->pins[lo].domain, key) == 0 ? &r->pins[lo] : NULL;
}

static const void *match_domain(const mw_rules *r, const char *name, size_t len,
                                const void *(*find)(const mw_rules *, const char *));

const char *mw_rules_match_pins(const mw_rules *r, const char *name, size_t len,
                                mw_pin_set *out)
{
    memset(out, 0, sizeof(*out));
    const pin *p = r->n_pins ? match_domain(r, name, len, find_pins) : NULL;
    if (!p)
        return NULL;
    /* A domain's pins are adjacent in the sorted list. */
    const pin *end = r->pins + r->n_pins;
    for (const pin *q = p; q < end && strcmp(q->domain, p->domain) == 0 && out->n < MW_MAX_PINS;
         q++)
        out->spki_sha256[out->n++] = q->spki_sha256;
    out->domain = p->domain;
    return p->domain;
}

/* Files of dir ending in ext, sorted, so loading order (and labels) do not
 * depend on readdir. */
static int list_dir(const char *dir, const char *ext, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **v = NULL;
    int n = 0;
    size_t el = strlen(ext);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= el || strcmp(e->d_name + l - el, ext) != 0)
            continue;
        char **nv = realloc(v, (size_t)(n + 1) * sizeof(*v));
        size_t need = strlen(dir) + l + 2;
        char *p = malloc(need);
        if (!nv || !p) {
            free(p);
            if (nv)
                v = nv;
            for (int i = 0; i < n; i++)
                free(v[i]);
            free(v);
            closedir(d);
            return -1;
        }
        v = nv;
        snprintf(p, need, "%s/%s", dir, e->d_name);
        v[n++] = p;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof(*v), cmp_str);
    *out = v;
    return n;
}

static bool load_each(mw_rules *r, const char *dir, const char *ext,
                      bool (*load)(mw_rules *, const char *, char *, size_t), char *err,
                      size_t errlen)
{
    char **files = NULL;
    int n = list_dir(dir, ext, &files);
    bool ok = true;
    if (n < 0) {
        /* An absent part of the layout is fine. */
        if (errno == ENOENT)
            return true;
        set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (ok && !load(r, files[i], err, errlen))
            ok = false;
        free(files[i]);
    }
    free(files);
    return ok;
}

bool mw_rules_load_removed_roots(mw_rules *r, const char *pem_path, const char *tsv_path,
                                 char *err, size_t errlen)
{
    if (!r->removed && !(r->removed = mw_removed_roots_new())) {
        set_err(err, errlen, "%s: out of memory", pem_path);
        return false;
    }
    return mw_removed_roots_load(r->removed, pem_path, tsv_path, err, errlen);
}

/* historic-roots/NAME.pem with NAME.tsv beside it. */
static bool load_historic(mw_rules *r, const char *dir, char *err, size_t errlen)
{
    char **files = NULL;
    int n = list_dir(dir, ".pem", &files);
    bool ok = true;
    if (n < 0) {
        if (errno == ENOENT)
            return true;
        set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    for (int i = 0; i < n; i++) {
        size_t l = strlen(files[i]);
        char *tsv = malloc(l + 1);
        if (!tsv) {
            set_err(err, errlen, "%s: out of memory", files[i]);
            ok = false;
        } else if (ok) {
            memcpy(tsv, files[i], l - 4);
            memcpy(tsv + l - 4, ".tsv", 5);
            ok = mw_rules_load_removed_roots(r, files[i], tsv, err, errlen);
        }
        free(tsv);
        free(files[i]);
    }
    free(files);
    return ok;
}

void mw_rules_set_trust_at(mw_rules *r, mw_trust_at at)
{
    r->trust_at = at;
}

mw_trust_at mw_rules_trust_at(const mw_rules *r)
{
    return r->trust_at;
}

const mw_removed_roots *mw_rules_removed_roots(const mw_rules *r)
{
    return r->trust_at == MW_TRUST_AT_CAPTURE && mw_removed_roots_count(r->removed)
               ? r->removed
               : NULL;
}

bool mw_rules_load_dir(mw_rules *r, const char *dir, bool with_targets, char *err,
                       size_t errlen)
{
    struct stat sb;
    char path[4096];
    if (stat(dir, &sb) != 0) {
        set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    if (!S_ISDIR(sb.st_mode)) {
        set_err(err, errlen, "%s: not a directory", dir);
        return false;
    }
    snprintf(path, sizeof path, "%s/rogue-roots", dir);
    if (!load_each(r, path, ".pem", mw_rules_load_roots_file, err, errlen))
        return false;
    snprintf(path, sizeof path, "%s/rogue-names.txt", dir);
    if (stat(path, &sb) == 0 && !mw_rules_load_names_file(r, path, err, errlen))
        return false;
    snprintf(path, sizeof path, "%s/fingerprints", dir);
    if (!load_each(r, path, ".txt", mw_rules_load_fingerprints_file, err, errlen))
        return false;
    snprintf(path, sizeof path, "%s/pins", dir);
    if (!load_each(r, path, ".txt", mw_rules_load_pins_file, err, errlen))
        return false;
    snprintf(path, sizeof path, "%s/historic-roots", dir);
    if (!load_historic(r, path, err, errlen))
        return false;
    if (with_targets) {
        snprintf(path, sizeof path, "%s/targets", dir);
        if (!load_each(r, path, ".txt", mw_rules_load_targets_file, err, errlen))
            return false;
    }
    return true;
}

static bool store_cb(void *arg, X509 *x, const char *path, unsigned line, size_t nth)
{
    (void)path;
    (void)line;
    (void)nth;
    int ok = X509_STORE_add_cert(arg, x);
    X509_free(x);
    /* The same root twice in a bundle is not an error. */
    if (!ok && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_CERT_ALREADY_IN_HASH_TABLE)
        ok = 1;
    ERR_clear_error();
    return ok == 1;
}

bool mw_rules_set_trust_store(mw_rules *r, const char *path, char *err, size_t errlen)
{
    X509_STORE *store = X509_STORE_new();
    struct stat sb;
    bool ok, lazy = false;
    if (!store) {
        set_err(err, errlen, "trust store: out of memory");
        return false;
    }
    if (!path) {
        if (stat(SYSTEM_BUNDLE, &sb) == 0) {
            ok = mw_rules_read_pem_certs(SYSTEM_BUNDLE, store_cb, store, err, errlen);
        } else {
            ok = X509_STORE_set_default_paths(store) == 1;
            lazy = true;
            if (!ok)
                set_err(err, errlen, "system trust store: %s", ossl_reason());
        }
    } else if (stat(path, &sb) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        ok = false;
    } else if (S_ISDIR(sb.st_mode)) {
        ok = X509_STORE_load_path(store, path) == 1;
        lazy = true;
        if (!ok)
            set_err(err, errlen, "%s: %s", path, ossl_reason());
    } else {
        ok = mw_rules_read_pem_certs(path, store_cb, store, err, errlen);
    }
    if (!ok) {
        X509_STORE_free(store);
        return false;
    }
    X509_STORE_free(r->store);
    warm_store(store);
    r->store = store;
    r->store_lazy = lazy;
    return true;
}

bool mw_rules_add_trusted(mw_rules *r, const char *path, char *err, size_t errlen)
{
    if (!r->store) {
        set_err(err, errlen, "%s: no trust store to add to", path);
        return false;
    }
    bool ok = mw_rules_read_pem_certs(path, store_cb, r->store, err, errlen);
    warm_store(r->store);
    return ok;
}

static int cmp_key_target(const void *key, const void *t)
{
    return strcmp(key, ((const target *)t)->domain);
}

static const void *find_target(const mw_rules *r, const char *key)
{
    const target *t = bsearch(key, r->targets, r->n_targets, sizeof(*t), cmp_key_target);
    return t ? t->domain : NULL;
}

/* Lists keyed by domain (targets, pins) match a name the same way: case
 * aside, an exact entry first, else the nearest ".parent" entry. */
static const void *match_domain(const mw_rules *r, const char *name, size_t len,
                                const void *(*find)(const mw_rules *, const char *))
{
    char buf[256];
    if (len == 0 || len > 253)
        return NULL;
    buf[0] = '.';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '\0')
            return NULL; /* an embedded NUL names nothing on a list */
        buf[i + 1] = (char)tolower(c);
    }
    buf[len + 1] = '\0';
    const void *hit = find(r, buf + 1);
    /* ".example.com" covers example.com and every name below it. */
    for (size_t i = 0; !hit && i <= len; i++)
        if (buf[i] == '.')
            hit = find(r, buf + i);
    /* find() returns the rules' own entry, never its key. */
    // cppcheck-suppress returnDanglingLifetime
    return hit;
}

const char *mw_rules_match_target(const mw_rules *r, const char *name, size_t len)
{
    return r->n_targets ? match_domain(r, name, len, find_target) : NULL;
}

size_t mw_rules_n_roots(const mw_rules *r)
{
    return r->n_roots;
}

const mw_rogue_root *mw_rules_root(const mw_rules *r, size_t i)
{
    return i < r->n_roots ? &r->roots[i] : NULL;
}

const char *mw_rules_rogue_name(const mw_rules *r, const char *name)
{
    const char *entry = mw_rules_rogue_name_entry(r, name);
    for (size_t i = 0; entry && i < r->n_names; i++)
        if (r->names[i].name == entry)
            return r->names[i].label;
    return NULL;
}

const char *mw_rules_rogue_name_entry(const mw_rules *r, const char *name)
{
    for (size_t i = 0; i < r->n_names; i++)
        if (strcmp(r->names[i].name, name) == 0)
            return r->names[i].name;
    return NULL;
}

X509_STORE *mw_rules_trust_store(const mw_rules *r)
{
    return r->store;
}

size_t mw_rules_n_targets(const mw_rules *r)
{
    return r->n_targets;
}

const char *mw_rules_target(const mw_rules *r, size_t i)
{
    return i < r->n_targets ? r->targets[i].domain : NULL;
}
