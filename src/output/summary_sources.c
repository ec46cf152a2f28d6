/*
 * summary_sources.c - the identity of every input a summary counts, so
 * `merge` can tell the same capture given twice from two captures that
 * share a base name (docs/summary.md, "sources").
 *
 * A file is known by its size and a SHA-256 over its whole bytes when it is
 * at most 2 MiB, else over its first MiB followed by its last MiB: reading
 * two MiB a file costs nothing next to the run, also on 10 TB of archives,
 * and two captures that agree in size, first and last MiB (their first and
 * last packets' times) are the same capture in practice. Stdin and live
 * interfaces cannot be read again: they are known by a random run id and
 * their name, so only the same summary given twice matches them.
 */
#include "output/summary_internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "common/crypto.h"

#define ENDS ((uint64_t)1 << 20)

static bool hash_ends(const char *path, uint64_t *size, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    struct stat sb;
    unsigned char *buf = malloc(ENDS);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = buf && ctx && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
              EVP_DigestInit_ex(ctx, mw_md_sha256(), NULL) == 1;
    uint64_t n = ok ? (uint64_t)sb.st_size : 0;
    /* Whole file up to 2 MiB, else the first and the last MiB. */
    uint64_t first = n <= 2 * ENDS ? n : ENDS;
    uint64_t left = first;
    while (ok && left > 0) {
        size_t want = left > ENDS ? ENDS : (size_t)left;
        size_t got = fread(buf, 1, want, f);
        ok = got == want && EVP_DigestUpdate(ctx, buf, got) == 1;
        left -= got;
    }
    if (ok && n > 2 * ENDS) {
        ok = fseeko(f, (off_t)(n - ENDS), SEEK_SET) == 0 && fread(buf, 1, ENDS, f) == ENDS &&
             EVP_DigestUpdate(ctx, buf, ENDS) == 1;
    }
    unsigned char md[32];
    unsigned mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    for (unsigned i = 0; ok && i < 32; i++)
        (void)snprintf(hex + (size_t)2 * i, 3, "%02x", md[i]);
    *size = n;
    EVP_MD_CTX_free(ctx);
    free(buf);
    (void)fclose(f);
    return ok;
}

static const char *run_id(mw_summary *s)
{
    if (!s->run_id[0]) {
        unsigned char r[16] = {0};
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            /* Still distinct per summary and moment, if weaker. */
            uint64_t a = (uint64_t)(uintptr_t)s ^ s->seed;
            memcpy(r, &a, sizeof a);
        }
        for (unsigned i = 0; i < sizeof r; i++)
            (void)snprintf(s->run_id + (size_t)2 * i, 3, "%02x", r[i]);
    }
    return s->run_id;
}

static char *dup_or_null(const char *v)
{
    return v ? strdup(v) : NULL;
}

static void source_clear(mws_source *x)
{
    free(x->path);
    free(x->name);
    free(x->vantage);
    free(x->run);
    memset(x, 0, sizeof *x);
}

void mws_sources_free(mw_summary *s)
{
    for (size_t i = 0; i < s->n_srcs; i++)
        source_clear(&s->srcs[i]);
    free(s->srcs);
    s->srcs = NULL;
    s->n_srcs = s->cap_srcs = 0;
}

/* Takes ownership of x's strings (cleared on failure). */
static bool source_push(mw_summary *s, mws_source *x)
{
    if (!mws_grow((void **)&s->srcs, &s->cap_srcs, s->n_srcs + 1, sizeof *x)) {
        source_clear(x);
        return false;
    }
    s->srcs[s->n_srcs++] = *x;
    return true;
}

void mw_summary_add_source(mw_summary *s, const char *name, const char *path,
                           const char *vantage, bool is_file)
{
    if (!s || !name)
        return;
    mw_summary_add_input(s, name);
    mws_source x = {0};
    const char *p = path ? path : name;
    x.path = mws_norm_dup(p);
    x.name = mws_norm_dup(name);
    x.vantage = vantage ? mws_norm_dup(vantage) : NULL;
    x.has_file = is_file && hash_ends(p, &x.size, x.sha);
    if (!x.has_file)
        x.run = strdup(run_id(s));
    if (!x.path || !x.name || (vantage && !x.vantage) || (!x.has_file && !x.run)) {
        source_clear(&x);
        return;
    }
    (void)source_push(s, &x);
}

static bool same_identity(const mws_source *a, const mws_source *b)
{
    if (a->has_file != b->has_file)
        return false;
    if (a->has_file)
        return a->size == b->size && strcmp(a->sha, b->sha) == 0;
    return strcmp(a->run, b->run) == 0 && strcmp(a->name, b->name) == 0;
}

static bool known(const mw_summary *s, const mws_source *x)
{
    for (size_t i = 0; i < s->n_srcs; i++)
        if (same_identity(&s->srcs[i], x))
            return true;
    return false;
}

size_t mws_sources_known(const mw_summary *s, const mw_summary *t, const char **first)
{
    size_t n = 0;
    *first = NULL;
    for (size_t i = 0; i < t->n_srcs; i++)
        if (known(s, &t->srcs[i])) {
            if (!n)
                *first = t->srcs[i].path;
            n++;
        }
    return n;
}

bool mws_sources_merge(mw_summary *s, const mw_summary *t)
{
    for (size_t i = 0; i < t->n_srcs; i++) {
        const mws_source *o = &t->srcs[i];
        mws_source x = {0};
        x.path = strdup(o->path);
        x.name = strdup(o->name);
        x.vantage = dup_or_null(o->vantage);
        x.run = dup_or_null(o->run);
        x.has_file = o->has_file;
        x.size = o->size;
        memcpy(x.sha, o->sha, sizeof x.sha);
        if (!x.path || !x.name || (o->vantage && !x.vantage) || (o->run && !x.run) ||
            !source_push(s, &x)) {
            source_clear(&x);
            return false;
        }
    }
    return true;
}

static int cmp_str0(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

static int cmp_source(const void *pa, const void *pb)
{
    const mws_source *a = *(const mws_source *const *)pa, *b = *(const mws_source *const *)pb;
    int c = strcmp(a->path, b->path);
    if (!c)
        c = cmp_str0(a->vantage, b->vantage);
    if (!c)
        c = strcmp(a->has_file ? a->sha : "", b->has_file ? b->sha : "");
    if (!c)
        c = a->size < b->size ? -1 : a->size > b->size ? 1 : 0;
    if (!c)
        c = cmp_str0(a->run, b->run);
    return c;
}

const mws_source **mws_sources_sorted(const mw_summary *s)
{
    const mws_source **v = calloc(s->n_srcs ? s->n_srcs : 1, sizeof(const mws_source *));
    if (!v)
        return NULL;
    for (size_t i = 0; i < s->n_srcs; i++)
        v[i] = &s->srcs[i];
    qsort(v, s->n_srcs, sizeof(const mws_source *), cmp_source);
    return v;
}

bool mws_sources_write(mw_json *j, const mw_summary *s)
{
    const mws_source **v = mws_sources_sorted(s);
    if (!v)
        return false;
    mw_json_key(j, "sources");
    mw_json_array_begin(j);
    for (size_t i = 0; i < s->n_srcs; i++) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "path", v[i]->path);
        mw_json_kv_string(j, "name", v[i]->name);
        mw_json_kv_string(j, "vantage", v[i]->vantage);
        if (v[i]->has_file) {
            mw_json_kv_uint(j, "size", v[i]->size);
            mw_json_kv_string(j, "sha256_ends", v[i]->sha);
        } else {
            mw_json_kv_null(j, "size");
            mw_json_kv_null(j, "sha256_ends");
        }
        mw_json_kv_string(j, "run", v[i]->run);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);
    free(v);
    return true;
}

static const char *opt_str(const mw_jv *o, const char *key, bool *ok)
{
    const mw_jv *v = mw_jv_get(o, key);
    if (mw_jv_type_of(v) == MW_JV_NULL)
        return NULL;
    const char *str = mw_jv_str(v, NULL);
    if (!str)
        *ok = false;
    return str;
}

static bool is_hex64(const char *h)
{
    if (!h || strlen(h) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

bool mws_sources_read(mw_summary *t, const mw_jv *root, char *err, size_t errlen)
{
    const mw_jv *arr = mw_jv_get(root, "sources");
    if (!arr)
        return true; /* written before sources existed: t->srcs stays empty */
    if (mw_jv_type_of(arr) != MW_JV_ARRAY) {
        (void)snprintf(err, errlen, "sources: expected an array");
        return false;
    }
    t->has_sources = true;
    for (size_t i = 0; i < mw_jv_len(arr); i++) {
        const mw_jv *o = mw_jv_at(arr, i);
        bool ok = mw_jv_type_of(o) == MW_JV_OBJECT;
        const char *path = ok ? opt_str(o, "path", &ok) : NULL;
        const char *name = ok ? opt_str(o, "name", &ok) : NULL;
        const char *vlabel = ok ? opt_str(o, "vantage", &ok) : NULL;
        const char *sha = ok ? opt_str(o, "sha256_ends", &ok) : NULL;
        const char *run = ok ? opt_str(o, "run", &ok) : NULL;
        uint64_t size = 0;
        bool has_size = mw_jv_u64(mw_jv_get(o, "size"), &size);
        ok = ok && path && name && (sha ? is_hex64(sha) && has_size : run != NULL);
        if (!ok) {
            (void)snprintf(err, errlen,
                           "sources[%zu]: expected path, name, vantage, and size with "
                           "sha256_ends (64 hex digits) or a run id",
                           i);
            return false;
        }
        mws_source x = {0};
        x.path = strdup(path);
        x.name = strdup(name);
        x.vantage = dup_or_null(vlabel);
        x.run = dup_or_null(run);
        x.has_file = sha != NULL;
        x.size = size;
        if (sha)
            memcpy(x.sha, sha, 65);
        if (!x.path || !x.name || (vlabel && !x.vantage) || (run && !x.run) ||
            !source_push(t, &x)) {
            source_clear(&x);
            (void)snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    return true;
}
