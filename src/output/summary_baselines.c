/*
 * summary_baselines.c - which baseline store(s) a summary's sessions were
 * judged against (docs/summary.md, "baselines"), and so which cross-run
 * evidence a merged summary cannot have.
 *
 * The evidence that needs history (CLONED_CERT, CHAIN_CHANGED,
 * VERSION_DOWNGRADE, SERVER_FINGERPRINT_CHANGED) compares a session with
 * what the baseline recorded before. Runs sharing one store see each
 * other's sessions; runs with separate stores (or none: the in-memory
 * baseline is new every run) never compare a session of one with what the
 * other saw, and merging their summaries afterwards cannot add it back: the
 * sessions were judged already. So the merged summary says so, instead of
 * looking like one run over everything.
 */
#include "output/summary_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* Distinct stores kept; more are counted (set_overflow) and, being more
 * than one, already make the evidence incomplete. */
#define MAX_BASELINES 1024

static const struct {
    const char *code, *what;
} missing[] = {
    {"CLONED_CERT", "a certificate copying one that only an input of another baseline saw"},
    {"CHAIN_CHANGED", "a chain that differs from the one an input of another baseline saw "
                      "first for the same name and server"},
    {"VERSION_DOWNGRADE", "a server negotiating less than the TLS 1.3 it negotiated in an "
                          "input of another baseline"},
    {"SERVER_FINGERPRINT_CHANGED", "a server answering with another JA3S than in an input "
                                   "of another baseline (across vantage points and runs)"},
};

static bool valid_kind(const char *k)
{
    return k && k[0] && strlen(k) < sizeof(((mws_baseline *)NULL)->kind);
}

static bool valid_id(const char *id)
{
    if (!id || !id[0] || strlen(id) >= sizeof(((mws_baseline *)NULL)->id))
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

/* kind and id checked; id "" is an unknown identity. */
static void add(mw_summary *s, const char *kind, const char *id)
{
    for (size_t i = 0; i < s->n_bls; i++)
        if (strcmp(s->bls[i].kind, kind) == 0 && strcmp(s->bls[i].id, id) == 0)
            return;
    if (s->n_bls >= MAX_BASELINES ||
        !mws_grow((void **)&s->bls, &s->cap_bls, s->n_bls + 1, sizeof *s->bls)) {
        s->lim_set++;
        s->stats.output.summary_set_overflow++;
        s->bls_overflow = true;
        return;
    }
    mws_baseline *b = &s->bls[s->n_bls++];
    (void)snprintf(b->kind, sizeof b->kind, "%s", kind);
    (void)snprintf(b->id, sizeof b->id, "%s", id);
}

void mw_summary_set_baseline(mw_summary *s, const char *kind, const char *id)
{
    if (!s)
        return;
    add(s, valid_kind(kind) ? kind : "unknown", valid_id(id) ? id : "");
}

void mws_baselines_free(mw_summary *s)
{
    free(s->bls);
    s->bls = NULL;
    s->n_bls = s->cap_bls = 0;
}

void mws_baselines_merge(mw_summary *s, const mw_summary *t)
{
    for (size_t i = 0; i < t->n_bls; i++)
        add(s, t->bls[i].kind, t->bls[i].id);
    if (t->bls_overflow)
        s->bls_overflow = true;
}

const char *mws_baselines_gap(const mw_summary *s)
{
    if (s->n_bls > 1 || s->bls_overflow)
        return "separate";
    for (size_t i = 0; i < s->n_bls; i++)
        if (!s->bls[i].id[0])
            return "unknown";
    return NULL;
}

size_t mws_baselines_missing(size_t i, const char **code, const char **what)
{
    size_t n = sizeof missing / sizeof missing[0];
    if (i < n) {
        *code = missing[i].code;
        *what = missing[i].what;
    }
    return n;
}

static int cmp_bl(const void *pa, const void *pb)
{
    const mws_baseline *a = pa, *b = pb;
    int c = strcmp(a->kind, b->kind);
    return c ? c : strcmp(a->id, b->id);
}

void mws_baselines_write(mw_json *j, const mw_summary *s)
{
    /* Sorted in place of a copy: the order is not state (a set). */
    mws_baseline *v = s->n_bls ? malloc(s->n_bls * sizeof *v) : NULL;
    if (v) {
        memcpy(v, s->bls, s->n_bls * sizeof *v);
        qsort(v, s->n_bls, sizeof *v, cmp_bl);
    }
    mw_json_key(j, "baselines");
    mw_json_array_begin(j);
    for (size_t i = 0; v && i < s->n_bls; i++) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "kind", v[i].kind);
        mw_json_kv_string(j, "id", v[i].id[0] ? v[i].id : NULL);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);
    free(v);
    const char *gap = mws_baselines_gap(s);
    mw_json_key(j, "cross_run_evidence");
    mw_json_object_begin(j);
    mw_json_kv_bool(j, "complete", gap == NULL);
    mw_json_kv_string(j, "why", !gap ? NULL
                                : strcmp(gap, "separate") == 0
                                    ? "inputs judged against separate baselines"
                                    : "the baseline of some inputs is unknown");
    mw_json_key(j, "missing");
    mw_json_array_begin(j);
    const char *code, *what;
    for (size_t i = 0; gap && i < mws_baselines_missing(i, &code, &what); i++) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "code", code);
        mw_json_kv_string(j, "what", what);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);
    mw_json_object_end(j);
}

bool mws_baselines_read(mw_summary *t, const mw_jv *root, char *err, size_t errlen)
{
    const mw_jv *arr = mw_jv_get(root, "baselines");
    if (!arr) {
        /* Written before summaries recorded it: what it was judged
         * against is not known, so neither is what it shares. */
        add(t, "unknown", "");
        return true;
    }
    if (mw_jv_type_of(arr) != MW_JV_ARRAY) {
        (void)snprintf(err, errlen, "baselines: expected an array");
        return false;
    }
    for (size_t i = 0; i < mw_jv_len(arr); i++) {
        const mw_jv *o = mw_jv_at(arr, i);
        const char *kind = mw_jv_str(mw_jv_get(o, "kind"), NULL);
        const mw_jv *idv = mw_jv_get(o, "id");
        const char *id = mw_jv_type_of(idv) == MW_JV_NULL ? "" : mw_jv_str(idv, NULL);
        if (mw_jv_type_of(o) != MW_JV_OBJECT || !valid_kind(kind) || !id ||
            (id[0] && !valid_id(id))) {
            (void)snprintf(err, errlen,
                           "baselines[%zu]: expected kind (a short string) and id (hex "
                           "digits, or null)",
                           i);
            return false;
        }
        add(t, kind, id);
    }
    return true;
}
