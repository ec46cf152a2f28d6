/*
 * judge.c - a session's judgement and its event, in two steps (see
 * session_internal.h).
 *
 * With worker threads every session is judged in one order, the order of
 * a single-threaded run (cli/parallel.c), because the baseline learns
 * from each one and the outputs are written in that order. The first step,
 * mw_judged_prepare, needs nothing shared: the chain from this worker's
 * certificate cache, the trust store's validation (mw_verdict_begin), and
 * the event's fields up to the verdict, all copied into the mw_judged. The
 * second, mw_judged_run, is the ordered part: the baseline's history, the
 * verdict (mw_verdict_finish), the summary, CSV, --certs and the event's
 * line. A worker hands the mw_judged to the turn order and goes on with its
 * packets; it runs the second step itself when the session's turn comes,
 * so no other thread ever touches its caches or counters. Single-threaded
 * (and live) the two run back to back.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/crypto.h"
#include "common/json.h"
#include "detect/baseline.h"
#include "detect/trust_cache.h"
#include "detect/verdict.h"
#include "dissectors/ndpi_glue.h"
#include "dissectors/x509.h"
#include "output/csv.h"
#include "output/flagged.h"
#include "output/summary.h"
#include "session/event_fields.h"
#include "session/session_internal.h"

struct mw_judged {
    mw_judged *next; /* the sessions' free list */
    /* A session judged at once (mw_judged_prepare's now): its flow and
     * facts, which the text line and --write-flagged need; else NULL. */
    const mw_flow *flow;
    sflow *sf;
    const mw_tls_facts *tf;
    const char *event;
    bool judged; /* rules loaded: in and v hold the first step */
    mw_verdict_input in;
    mw_verdict v;
    X509 *chain[MW_VERDICT_MAX_CHAIN]; /* references of our own */
    uint8_t digests[MW_VERDICT_MAX_CHAIN][32];
    size_t n; /* chain[] entries held (for --certs too) */
    /* Copies of what the second step reads after the flow moved on. */
    uint8_t *der; /* the n certificates, back to back */
    size_t der_cap, der_used;
    size_t der_len[MW_VERDICT_MAX_CHAIN];
    /* Each certificate's DER: in der, or (judged at once) where it was
     * sent, which lives until then. */
    const uint8_t *der_at[MW_VERDICT_MAX_CHAIN];
    char *sni;
    size_t sni_cap;
    char ja3[33], ja4[37], ja3s[33];
    char name[1100], server[MW_ADDR_STRLEN + 8];
    mw_leaf_names names; /* owned: a copy, or made for this session */
    const mw_leaf_names *names_at; /* &names, the cache slot's, or NULL */
    bool resumed;
    bool has_injection;
    char injection[MW_REASON_DETAIL_LEN];
    /* For the summary and CSV. */
    uint64_t ts_us;
    const char *capture, *vantage;
    uint8_t proto;
    mw_addr client_ip, server_ip;
    uint16_t client_port, server_port;
    /* The event: every field before "verdict", the object left open, and
     * its flow_notes as an object of one member. */
    mw_json rec, notes;
};

/* ---- the certificate cache (session_internal.h) ------------------------ */

/* The set a certificate belongs to: its length and last 16 bytes, which
 * are signature bytes. A crafted certificate that shares them with another
 * only shares its set: a hit is confirmed on the whole (cert_find). */
static cert_slot *cert_set(mw_sessions *s, const mw_tls_bytes *der)
{
    uint64_t h = (uint64_t)der->len * 0x9e3779b97f4a7c15ull;
    size_t take = der->len < 16 ? der->len : 16;
    for (size_t i = der->len - take; i < der->len; i++)
        h = (h ^ der->data[i]) * 0x100000001b3ull;
    return &s->certs[(size_t)((h >> 32) % (CERT_CACHE_SLOTS / 2)) * 2];
}

/* The slot holding this certificate, or NULL. */
static cert_slot *cert_find(mw_sessions *s, const mw_tls_bytes *der)
{
    cert_slot *set = cert_set(s, der);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    bool hashed = false;
    for (size_t way = 0; way < 2; way++) {
        cert_slot *slot = &set[way];
        if (!slot->json || slot->der_len != der->len)
            continue;
        if (slot->der) {
            if (memcmp(slot->der, der->data, der->len) == 0)
                return slot;
            continue;
        }
        if (!hashed) {
            (void)mw_sha256(der->data, der->len, digest);
            hashed = true;
        }
        if (memcmp(slot->digest, digest, sizeof digest) == 0)
            return slot;
    }
    return NULL;
}

const cert_slot *mw_session_cert(mw_sessions *s, const mw_tls_bytes *der)
{
    cert_slot *slot = cert_find(s, der);
    if (slot) {
        slot->used = ++s->cert_clock;
        return slot;
    }
    slot = cert_set(s, der);
    if (slot[1].used < slot[0].used)
        slot++;
    slot->used = ++s->cert_clock;
    uint8_t digest[SHA256_DIGEST_LENGTH];
    (void)mw_sha256(der->data, der->len, digest);
    free(slot->der);
    slot->der = der->len && der->len <= CERT_DER_KEPT ? malloc(der->len) : NULL;
    if (slot->der)
        memcpy(slot->der, der->data, der->len);
    slot->der_len = der->len;

    mw_x509_facts x;
    bool parsed = mw_x509_parse(&x, der->data, der->len);
    mw_json_reset(&s->scratch);
    mw_x509_write_json(&x, &s->scratch);
    X509_free(slot->x509);
    mw_leaf_names_free(&slot->names);
    slot->names_ok = false;
    slot->x509 = mw_x509_get0(&x);
    if (slot->x509 && X509_up_ref(slot->x509) != 1)
        slot->x509 = NULL;
    free(slot->issuer);
    slot->issuer = slot->x509 ? mw_rules_name_text(X509_get_issuer_name(slot->x509)) : NULL;
    mw_x509_facts_free(&x);
    free(slot->json);
    slot->json = s->scratch.failed ? NULL : strdup(mw_json_text(&s->scratch));
    slot->len = slot->json ? strlen(slot->json) : 0;
    slot->unparsable = !parsed;
    memcpy(slot->digest, digest, sizeof digest);
    return slot;
}

/*
 * The session's chain as X509s for the verdict, references of our own
 * (the cache may evict a slot while later certificates of the same chain
 * are parsed), with each certificate's SHA-256. Returns how many; release
 * with drop_chain().
 */
static size_t collect_chain(mw_sessions *s, const mw_tls_facts *f, X509 **out,
                            uint8_t (*digests)[32], const char **issuers, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_certs && n < max; i++) {
        const cert_slot *c = mw_session_cert(s, &f->certs[i]);
        out[n] = c->x509 && X509_up_ref(c->x509) == 1 ? c->x509 : NULL;
        memcpy(digests[n], c->digest, 32);
        n++;
    }
    /* The issuers' names from the slots still holding these certificates
     * (a later one of the chain may have taken a slot: NULL, printed by
     * the verdict). */
    for (size_t i = 0; i < n; i++) {
        const cert_slot *c = cert_find(s, &f->certs[i]);
        issuers[i] = out[i] && c && c->x509 == out[i] ? c->issuer : NULL;
    }
    return n;
}

static void drop_chain(X509 **chain, size_t n)
{
    for (size_t i = 0; i < n; i++)
        X509_free(chain[i]);
}

/* The leaf's names from its cache slot (collect_chain just filled it). A
 * later certificate of the same chain may have taken the slot: then they
 * are made into *tmp, which the caller frees. */
static const mw_leaf_names *leaf_names(mw_sessions *s, const mw_tls_bytes *der, X509 *leaf,
                                       mw_leaf_names *tmp)
{
    cert_slot *slot = cert_find(s, der);
    if (!slot || slot->x509 != leaf)
        return mw_leaf_names_of(leaf, tmp) ? tmp : NULL;
    if (!slot->names_ok)
        slot->names_ok = mw_leaf_names_of(leaf, &slot->names);
    return slot->names_ok ? &slot->names : NULL;
}

/* ---- the two steps ------------------------------------------------------ */

mw_judged *mw_judged_get(mw_sessions *s)
{
    mw_judged *jb = s->free_judged;
    if (jb) {
        s->free_judged = jb->next;
    } else {
        jb = calloc(1, sizeof(*jb));
        if (!jb)
            return NULL;
        mw_json_init(&jb->rec);
        mw_json_init(&jb->notes);
    }
    return jb;
}

static void judged_clear(mw_judged *jb)
{
    drop_chain(jb->chain, jb->n);
    jb->n = 0;
    mw_leaf_names_free(&jb->names);
    jb->names_at = NULL;
}

void mw_judged_put(mw_sessions *s, mw_judged *jb)
{
    judged_clear(jb);
    jb->next = s->free_judged;
    s->free_judged = jb;
}

void mw_judged_free_all(mw_sessions *s)
{
    while (s->free_judged) {
        mw_judged *jb = s->free_judged;
        s->free_judged = jb->next;
        mw_json_free(&jb->rec);
        mw_json_free(&jb->notes);
        free(jb->der);
        free(jb->sni);
        free(jb);
    }
}

/* Copies n bytes into *buf (grown as needed); false when out of memory. */
static bool keep_bytes(uint8_t **buf, size_t *cap, size_t used, const void *p, size_t n)
{
    if (used + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < used + n)
            c *= 2;
        uint8_t *nb = realloc(*buf, c);
        if (!nb)
            return false;
        *buf = nb;
        *cap = c;
    }
    if (n)
        memcpy(*buf + used, p, n);
    return true;
}

static bool copy_leaf_names(mw_leaf_names *to, const mw_leaf_names *from)
{
    memset(to, 0, sizeof(*to));
    memcpy(to->spki_sha256, from->spki_sha256, sizeof to->spki_sha256);
    memcpy(to->sha256, from->sha256, sizeof to->sha256);
    to->subject = from->subject ? strdup(from->subject) : NULL;
    to->issuer = from->issuer ? strdup(from->issuer) : NULL;
    to->san = from->san ? strdup(from->san) : NULL;
    if ((from->subject && !to->subject) || (from->issuer && !to->issuer) ||
        (from->san && !to->san)) {
        mw_leaf_names_free(to);
        return false;
    }
    return true;
}

/* The verdict's first step, and copies of all that its second reads. */
static void prepare_verdict(mw_sessions *s, const mw_flow *flow, const sflow *sf,
                            const mw_tls_facts *tf, mw_judged *jb, const char *extra,
                            bool now)
{
    const char *issuers[MW_VERDICT_MAX_CHAIN];
    mw_verdict_input *in = &jb->in;
    memset(in, 0, sizeof(*in));
    if (tf->cert_seen && tf->n_certs)
        in->state = MW_CHAIN_SEEN;
    else if (tf->state == MW_TLS_HS_INCOMPLETE)
        in->state = MW_CHAIN_NOT_SEEN;
    else
        in->state = MW_CHAIN_HIDDEN;
    /* Every certificate sent goes to --certs, judged or not. */
    jb->n = tf->cert_seen && (in->state == MW_CHAIN_SEEN || s->cfg.certs)
                ? collect_chain(s, tf, jb->chain, jb->digests, issuers, MW_VERDICT_MAX_CHAIN)
                : 0;
    /* Judged at once, the bytes as sent are still there: no copy. */
    size_t off[MW_VERDICT_MAX_CHAIN];
    jb->der_used = 0;
    for (size_t i = 0; i < jb->n; i++) {
        jb->der_len[i] = tf->certs[i].len;
        jb->der_at[i] = tf->certs[i].data;
        off[i] = jb->der_used;
        if (now)
            continue;
        if (!keep_bytes(&jb->der, &jb->der_cap, jb->der_used, tf->certs[i].data,
                        tf->certs[i].len))
            jb->der_len[i] = 0; /* out of memory: stored as empty */
        else
            jb->der_used += tf->certs[i].len;
    }
    for (size_t i = 0; i < jb->n && !now; i++)
        jb->der_at[i] = jb->der_len[i] ? jb->der + off[i] : (const uint8_t *)"";
    in->n_chain = in->state == MW_CHAIN_SEEN ? jb->n : 0;
    in->chain = jb->chain;
    in->chain_sha256 = (const uint8_t (*)[32])jb->digests;
    in->trust_cache = s->trust;
    in->issuer_text = issuers;
    if (tf->ch.has_sni) {
        uint8_t *buf = (uint8_t *)jb->sni;
        if (keep_bytes(&buf, &jb->sni_cap, 0, tf->ch.sni.data, tf->ch.sni.len)) {
            jb->sni = (char *)buf;
            in->sni = jb->sni;
            in->sni_len = tf->ch.sni.len;
        }
    }
    in->time = (int64_t)(sf->first_ts_us / 1000000u);
    if (tf->ch.seen) {
        memcpy(jb->ja3, tf->ch.ja3_md5, sizeof jb->ja3);
        memcpy(jb->ja4, tf->ch.ja4, sizeof jb->ja4);
        in->ja3 = jb->ja3;
        in->ja4 = jb->ja4;
    }
    if (tf->sh.seen) {
        memcpy(jb->ja3s, tf->sh.ja3s_md5, sizeof jb->ja3s);
        in->ja3s = jb->ja3s;
    }
    if (sf->kind == KIND_TLS) {
        int srv = !sf->tls_client_dir;
        in->ttl_first = sf->ttl_first[srv];
        in->ttl_flight = sf->ttl_other[srv];
    }
    in->version = tf->version;
    in->offered_tls13 = tf->ch.seen && mw_ev_offered_tls13(&tf->ch);
    jb->resumed = tf->state == MW_TLS_HS_RESUMED;

    bool swapped = sf->tls_client_dir != MW_DIR_TO_SERVER;
    mw_ev_name_key(tf, jb->name, sizeof jb->name);
    mw_ev_endpoint_text(swapped ? &flow->client_ip : &flow->server_ip,
                        swapped ? flow->client_port : flow->server_port, jb->server,
                        sizeof jb->server);
    if (s->cfg.baseline && in->n_chain && jb->chain[0]) {
        /* Made for this session: kept. The cache slot's: referred to when
         * judged at once (nothing uses the cache before), else copied. */
        const mw_leaf_names *ln = leaf_names(s, &tf->certs[0], jb->chain[0], &jb->names);
        if (ln == &jb->names || (ln && now))
            jb->names_at = ln;
        else if (ln && copy_leaf_names(&jb->names, ln))
            jb->names_at = &jb->names;
    }
    mw_verdict_begin(s->cfg.rules, in, &jb->v);
    /* Issue 18 hook: copies dropped as injected (flow/pipeline.c), and
     * two versions judged (versions.h). */
    jb->has_injection = mw_flow_injection_text(flow, jb->injection, sizeof jb->injection);
    if (extra) {
        size_t l = jb->has_injection ? strlen(jb->injection) : 0;
        (void)snprintf(jb->injection + l, sizeof jb->injection - l, "%s%s",
                       jb->has_injection ? "; " : "", extra);
        jb->has_injection = true;
    }
    in->issuer_text = NULL; /* issuers[] ends here */
    in->trust_cache = NULL;
    jb->judged = true;
}

/* The session's chain and verdict to whoever keeps more than the event:
 * the baseline learns it, the summary counts it, --certs stores it. */
static void share_result(mw_sessions *s, mw_judged *jb, const mw_verdict *v,
                         mw_sighting *sight)
{
    const uint8_t *der[MW_VERDICT_MAX_CHAIN];
    size_t n = jb->n;
    for (size_t i = 0; i < n; i++) {
        der[i] = jb->der_at[i];
        if (s->cfg.certs)
            mw_certdir_put(s->cfg.certs, jb->digests[i], der[i], jb->der_len[i],
                           s->cfg.output_stats);
    }
    if (s->cfg.baseline) {
        /* Only a chain that was judged has a leaf in the sighting. */
        char chain_hex[65];
        if (sight->leaf) {
            uint8_t all[32];
            (void)mw_sha256(&jb->digests[0][0], n * 32, all);
            mw_hex(all, 32, chain_hex);
            sight->leaf_der = der[0];
            sight->leaf_der_len = jb->der_len[0];
            sight->chain_sha256 = chain_hex;
        }
        sight->genuine = v->genuine;
        sight->verdict = mw_verdict_name(v->kind);
        sight->evidence = v->n_reasons > 0;
        mw_baseline_record(s->cfg.baseline, sight);
        sight->chain_sha256 = NULL; /* chain_hex ends here */
    }
    if (s->cfg.summary || s->cfg.csv) {
        mw_session_result r = {
            .ts_us = jb->ts_us,
            .event = jb->event,
            .capture = jb->capture,
            .vantage = jb->vantage,
            .proto = jb->proto,
            .client_ip = &jb->client_ip,
            .server_ip = &jb->server_ip,
            .client_port = jb->client_port,
            .server_port = jb->server_port,
            .sni = (const uint8_t *)jb->in.sni,
            .sni_len = jb->in.sni_len,
            .version = jb->in.version,
            .verdict = v,
            .n_chain = n,
            .chain = jb->chain,
            .chain_der = der,
            .chain_der_len = jb->der_len,
            .chain_sha256 = (const uint8_t (*)[32])jb->digests,
        };
        if (s->cfg.summary)
            mw_summary_add_session(s->cfg.summary, &r);
        if (s->cfg.csv && !mw_csv_add_session(s->cfg.csv, &r))
            s->ok = false;
    }
}

static void count_verdict(mw_sessions *s, const mw_verdict *v)
{
    switch (v->kind) {
    case MW_VERDICT_INTERCEPTED: s->st.verdict_intercepted++; break;
    case MW_VERDICT_SUSPICIOUS: s->st.verdict_suspicious++; break;
    case MW_VERDICT_CLEAN: s->st.verdict_clean++; break;
    case MW_VERDICT_OPAQUE: s->st.verdict_opaque++; break;
    case MW_VERDICT_INCOMPLETE: s->st.verdict_incomplete++; break;
    case MW_VERDICT_UNTRUSTED: s->st.verdict_untrusted++; break;
    }
    for (size_t i = 0; i < v->n_reasons; i++) {
        switch (v->reasons[i].code) {
        case MW_REASON_ROGUE_ANCHOR: s->st.reason_rogue_anchor++; break;
        case MW_REASON_ROGUE_NAME: s->st.reason_rogue_name++; break;
        case MW_REASON_PIN_MISMATCH: s->st.reason_pin_mismatch++; break;
        case MW_REASON_CLONED_CERT: s->st.reason_cloned_cert++; break;
        case MW_REASON_CHAIN_CHANGED: s->st.reason_chain_changed++; break;
        case MW_REASON_VERSION_DOWNGRADE: s->st.reason_version_downgrade++; break;
        case MW_REASON_UNTRUSTED_CHAIN: s->st.reason_untrusted_chain++; break;
        case MW_REASON_FORGERY_TRAITS: s->st.reason_forgery_traits++; break;
        case MW_REASON_NAME_MISMATCH: s->st.reason_name_mismatch++; break;
        case MW_REASON_TTL_ANOMALY: s->st.reason_ttl_anomaly++; break;
        case MW_REASON_INTERCEPTOR_FINGERPRINT:
            s->st.reason_interceptor_fingerprint++;
            break;
        case MW_REASON_SERVER_FINGERPRINT_CHANGED:
            s->st.reason_server_fingerprint_changed++;
            break;
        case MW_REASON_INJECTION: s->st.reason_injection++; break;
        case MW_REASON_COUNT: break;
        }
    }
    for (size_t i = 0; i < v->n_notes; i++)
        if (v->notes[i].code == MW_NOTE_REMOVED_ROOT)
            s->st.trusted_removed_root++;
}

/* The verdict's second step, in the session's turn. quiet: the verdict
 * only, nothing recorded or counted (a version that may not be reported). */
static void finish_verdict(mw_sessions *s, mw_judged *jb, mw_verdict *v, bool quiet)
{
    mw_sighting sight = {
        .name = jb->name,
        .server = jb->server,
        .time = jb->in.time,
        .leaf = jb->in.n_chain ? jb->chain[0] : NULL,
        .leaf_names = jb->names_at,
        .version = jb->in.version,
        .offered_tls13 = jb->in.offered_tls13,
        /* A resumed session's ServerHello differs from a full one's
         * (PSK, fewer extensions): neither compared nor learnt. */
        .ja3 = jb->in.ja3s && !jb->resumed ? jb->in.ja3 : NULL,
        .ja3s = jb->in.ja3 && !jb->resumed ? jb->in.ja3s : NULL,
    };
    mw_history hist;
    mw_baseline_lookup(s->cfg.baseline, &sight, &hist);
    jb->in.history = s->cfg.baseline ? &hist : NULL;
    *v = jb->v;
    mw_verdict_finish(s->cfg.rules, &jb->in, v);
    jb->in.history = NULL;
    if (!quiet && jb->has_injection && v->n_reasons < MW_REASON_COUNT) {
        mw_reason *r = &v->reasons[v->n_reasons++];
        r->code = MW_REASON_INJECTION;
        memcpy(r->detail, jb->injection, sizeof r->detail);
    }
    mw_history_free(&hist);
    if (quiet)
        return;
    share_result(s, jb, v, &sight);
    count_verdict(s, v);
}

/* One version's verdict alone, in the turn (two versions, versions.h). */
void mw_judged_verdict_quiet(mw_sessions *s, const mw_flow *flow, const sflow *sf,
                             const mw_tls_facts *tf, mw_verdict *v)
{
    mw_judged *jb = mw_judged_get(s);
    if (!jb) {
        memset(v, 0, sizeof(*v));
        v->kind = MW_VERDICT_INCOMPLETE;
        return;
    }
    prepare_verdict(s, flow, sf, tf, jb, NULL, true);
    finish_verdict(s, jb, v, true);
    mw_judged_put(s, jb);
}

static void write_chain(mw_sessions *s, mw_json *j, const mw_tls_facts *f)
{
    mw_json_key(j, "chain");
    if (!f->cert_seen) {
        mw_json_null(j);
        return;
    }
    mw_json_array_begin(j);
    for (size_t i = 0; i < f->n_certs; i++) {
        const cert_slot *c = mw_session_cert(s, &f->certs[i]);
        if (c->unparsable)
            s->st.certs_unparsable++;
        if (c->json)
            mw_json_raw(j, c->json, c->len);
        else
            mw_json_null(j); /* out of memory: the record says so */
        s->st.certificates++;
    }
    mw_json_array_end(j);
    s->st.certs_dropped += f->certs_dropped;
    /* A message past max_msg_bytes (a 16 MB "certificate") is skipped by
     * the parser; the event says chain_truncated, these say how much. */
    uint64_t over = f->msg_bytes_over_cap[0] + f->msg_bytes_over_cap[1];
    if (over) {
        s->st.hs_over_cap++;
        s->st.hs_bytes_over_cap += over;
    }
}

static void write_ndpi(mw_json *j, const sflow *sf)
{
    const char *risks[64];
    size_t n = 0;
    /* A session found only in the second version of a flow given up at
     * its first bytes: nDPI was stopped then. */
    mw_json_kv_string(j, "app", sf->ndpi || sf->adopted ? mw_ndpi_app_name(sf->ndpi) : NULL);
    if (sf->ndpi)
        n = mw_ndpi_risks(sf->ndpi, risks, sizeof risks / sizeof risks[0]);
    mw_json_key(j, "ndpi_risks");
    mw_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        mw_json_string(j, risks[i]);
    mw_json_array_end(j);
}

void mw_judged_prepare(mw_sessions *s, const mw_flow *flow, sflow *sf, const mw_tls_facts *tf,
                       const char *event, const char *extra, bool now, mw_judged *jb)
{
    bool swapped = sf->tls_client_dir != MW_DIR_TO_SERVER;
    jb->flow = now ? flow : NULL;
    jb->sf = now ? sf : NULL;
    jb->tf = now ? tf : NULL;
    jb->event = event;
    jb->judged = false;
    jb->n = 0;
    jb->ts_us = sf->first_ts_us;
    jb->capture = sf->capture;
    jb->vantage = mw_session_vantage(s, swapped ? &flow->server_ip : &flow->client_ip);
    jb->proto = flow->proto;
    jb->client_ip = swapped ? flow->server_ip : flow->client_ip;
    jb->server_ip = swapped ? flow->client_ip : flow->server_ip;
    jb->client_port = swapped ? flow->server_port : flow->client_port;
    jb->server_port = swapped ? flow->client_port : flow->server_port;
    memset(&jb->in, 0, sizeof jb->in);
    if (s->cfg.rules)
        prepare_verdict(s, flow, sf, tf, jb, extra, now);
    mw_json *j = &jb->rec;
    mw_json_reset(j);
    mw_json_reset(&jb->notes);
    if (!s->cfg.events)
        return;
    mw_json_object_begin(j);
    mw_json_key(j, "ts");
    mw_json_timestamp(j, sf->first_ts_us);
    mw_json_kv_string(j, "event", event);
    mw_json_kv_string(j, "capture", sf->capture);
    mw_json_kv_string(j, "vantage", jb->vantage);
    mw_ev_endpoints(j, flow, swapped, s->cfg.community_id_seed);
    mw_json_key(j, "sni");
    if (tf->ch.has_sni)
        mw_json_string_n(j, tf->ch.sni.data, tf->ch.sni.len);
    else
        mw_json_null(j);
    write_ndpi(j, sf);
    mw_json_key(j, "version");
    if (tf->version)
        mw_ev_version(j, tf->version);
    else
        mw_json_null(j);
    mw_ev_client_versions(j, &tf->ch);
    mw_json_key(j, "cipher");
    if (tf->sh.seen) {
        const char *name = mw_ndpi_cipher_name(tf->sh.cipher);
        char hex[7];
        if (!name)
            name = mw_ev_hex16(tf->sh.cipher, hex);
        mw_json_string(j, name);
    } else {
        mw_json_null(j);
    }
    mw_json_key(j, "alpn");
    if (tf->sh.seen && tf->sh.alpn.len)
        mw_json_string_n(j, tf->sh.alpn.data, tf->sh.alpn.len);
    else
        mw_json_null(j);
    mw_json_key(j, "client_alpn");
    mw_json_array_begin(j);
    for (size_t i = 0; i < tf->ch.n_alpn; i++)
        mw_json_string_n(j, tf->ch.alpn[i].data, tf->ch.alpn[i].len);
    mw_json_array_end(j);
    mw_json_kv_string(j, "ja3", tf->ch.seen ? tf->ch.ja3_md5 : NULL);
    mw_json_kv_string(j, "ja3s", tf->sh.seen ? tf->sh.ja3s_md5 : NULL);
    mw_json_kv_string(j, "ja4", tf->ch.seen ? tf->ch.ja4 : NULL);
    write_chain(s, j, tf);
    mw_json_kv_string(j, "handshake", mw_ev_handshake_name(tf));
    mw_json_kv_bool(j, "resumed", tf->state == MW_TLS_HS_RESUMED);
    uint32_t starttls[2] = {sf->start[sf->tls_client_dir], sf->start[!sf->tls_client_dir]};
    mw_json_object_begin(&jb->notes);
    mw_ev_notes(&jb->notes, flow, starttls, tf);
    mw_json_object_end(&jb->notes);
}

void mw_judged_run(mw_sessions *s, mw_judged *jb)
{
    mw_verdict verdict;
    const mw_verdict *v = NULL;
    if (jb->judged) {
        finish_verdict(s, jb, &verdict, false);
        v = &verdict;
        if (jb->sf) {
            jb->sf->flagged = verdict.kind == MW_VERDICT_INTERCEPTED ||
                              verdict.kind == MW_VERDICT_SUSPICIOUS;
            if (mw_flagged_is_live(s->cfg.flagged))
                mw_flagged_live_decide(s->cfg.flagged, &jb->sf->hold, jb->sf->flagged,
                                       s->cfg.output_stats);
        }
    }
    if (s->cfg.text && jb->flow && jb->sf) /* set together (now) */
        mw_ev_text_line(s->cfg.text, jb->flow, jb->sf->tls_client_dir != MW_DIR_TO_SERVER,
                        jb->sf->first_ts_us, jb->tf, jb->event, v);
    if (s->cfg.events) {
        mw_json *j = &jb->rec;
        mw_verdict_write_json(v, j);
        mw_json_members(j, &jb->notes);
        mw_json_object_end(j);
        mw_session_emit(s, j);
    }
    mw_judged_put(s, jb);
}
