/*
 * session.c - see session.h.
 */
#include "session/session.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/crypto.h"
#include "dissectors/dtls.h"
#include "common/json.h"
#include "dissectors/ndpi_glue.h"
#include "dissectors/quic.h"
#include "dissectors/tls.h"
#include "detect/verdict.h"
#include "detect/trust_cache.h"
#include "dissectors/x509.h"
#include "flow/community_id.h"
#include "output/csv.h"
#include "session/event_fields.h"
#include "session/prefilter.h"
#include "session/session_internal.h"
#include "session/versions.h"

mw_sessions *mw_sessions_new(const mw_session_config *cfg)
{
    mw_sessions *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->ok = true;
    mw_tls_limits_default(&s->tls_limits);
    mw_json_init(&s->rec);
    mw_json_init(&s->scratch);
    s->certs = calloc(CERT_CACHE_SLOTS, sizeof(*s->certs));
    s->ndpi = mw_ndpi_new();
    s->trust = mw_trust_cache_new();
    if (!s->ndpi || !s->certs || !s->trust) {
        mw_sessions_free(s);
        return NULL;
    }
    return s;
}

void mw_sessions_free(mw_sessions *s)
{
    if (!s)
        return;
    if (s->ndpi)
        mw_ndpi_free(s->ndpi);
    mw_trust_cache_free(s->trust);
    if (s->certs) {
        for (size_t i = 0; i < CERT_CACHE_SLOTS; i++) {
            free(s->certs[i].json);
            free(s->certs[i].der);
            X509_free(s->certs[i].x509);
            free(s->certs[i].issuer);
            mw_leaf_names_free(&s->certs[i].names);
        }
        free(s->certs);
    }
    mw_json_free(&s->rec);
    mw_json_free(&s->scratch);
    free(s);
}

const mw_session_stats *mw_sessions_stats(mw_sessions *s)
{
    s->st.ndpi_packet_cap = mw_ndpi_get_stats(s->ndpi)->flows_cap_hit;
    const mw_trust_cache_stats *tc = mw_trust_cache_get_stats(s->trust);
    s->st.trust_cache_hits = tc->hits;
    s->st.trust_cache_misses = tc->misses;
    s->st.trust_cache_time_misses = tc->time_misses;
    s->st.trust_cache_uncacheable = tc->uncacheable;
    s->st.trust_cache_evictions = tc->evictions;
    return &s->st;
}

/* The session's vantage: its client's network, else the input's label. */
static const char *vantage_of(const mw_sessions *s, const mw_addr *client)
{
    for (size_t i = 0; i < s->cfg.n_vantage_nets; i++)
        if (mw_vantage_net_contains(&s->cfg.vantage_nets[i], client))
            return s->cfg.vantage_nets[i].name;
    return s->cfg.vantage;
}

void mw_sessions_set_vantage(mw_sessions *s, const char *vantage)
{
    s->cfg.vantage = vantage;
}

bool mw_sessions_ok(const mw_sessions *s)
{
    return s->ok;
}

static void sink_enter(mw_sessions *s, const mw_flow *flow)
{
    if (s->cfg.sink_enter)
        s->cfg.sink_enter(s->cfg.sink_arg, flow);
}

static void sink_leave(mw_sessions *s)
{
    if (s->cfg.sink_leave)
        s->cfg.sink_leave(s->cfg.sink_arg);
}

static void emit(mw_sessions *s)
{
    if (!mw_json_write_line(&s->rec, s->cfg.events))
        s->ok = false;
    else
        s->st.events++;
}

/* ---- event writing ---------------------------------------------------- */

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

/* The JSON object of one certificate, from the cache or parsed now. */
static const cert_slot *cert_json(mw_sessions *s, const mw_tls_bytes *der)
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
        const cert_slot *c = cert_json(s, &f->certs[i]);
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

/* The session's chain and verdict to whoever keeps more than the event:
 * the baseline learns it, the summary counts it, --certs stores it. */
static void share_result(mw_sessions *s, const mw_flow *flow, const sflow *sf,
                         const mw_tls_facts *tf, const mw_verdict *v, X509 **chain,
                         uint8_t (*digests)[32], size_t n, mw_sighting *sight)
{
    const uint8_t *der[MW_VERDICT_MAX_CHAIN];
    size_t der_len[MW_VERDICT_MAX_CHAIN];
    for (size_t i = 0; i < n; i++) {
        der[i] = tf->certs[i].data;
        der_len[i] = tf->certs[i].len;
        if (s->cfg.certs)
            mw_certdir_put(s->cfg.certs, digests[i], der[i], der_len[i], s->cfg.output_stats);
    }
    if (s->cfg.baseline) {
        /* judge() set the leaf only for a chain that was judged. */
        char chain_hex[65];
        if (sight->leaf) {
            uint8_t all[32];
            (void)mw_sha256(&digests[0][0], n * 32, all);
            mw_hex(all, 32, chain_hex);
            sight->leaf_der = der[0];
            sight->leaf_der_len = der_len[0];
            sight->chain_sha256 = chain_hex;
        }
        sight->genuine = v->genuine;
        sight->verdict = mw_verdict_name(v->kind);
        sight->evidence = v->n_reasons > 0;
        mw_baseline_record(s->cfg.baseline, sight);
        sight->chain_sha256 = NULL; /* chain_hex ends here */
    }
    if (s->cfg.summary || s->cfg.csv) {
        bool swapped = sf->tls_client_dir != MW_DIR_TO_SERVER;
        mw_session_result r = {
            .ts_us = sf->first_ts_us,
            .event = sf->kind == KIND_QUIC ? "quic" : sf->kind == KIND_DTLS ? "dtls" : "tls",
            .capture = sf->capture,
            .vantage = vantage_of(s, swapped ? &flow->server_ip : &flow->client_ip),
            .proto = flow->proto,
            .client_ip = swapped ? &flow->server_ip : &flow->client_ip,
            .server_ip = swapped ? &flow->client_ip : &flow->server_ip,
            .client_port = swapped ? flow->server_port : flow->client_port,
            .server_port = swapped ? flow->client_port : flow->server_port,
            .sni = tf->ch.has_sni ? tf->ch.sni.data : NULL,
            .sni_len = tf->ch.has_sni ? tf->ch.sni.len : 0,
            .version = tf->version,
            .verdict = v,
            .n_chain = n,
            .chain = chain,
            .chain_der = der,
            .chain_der_len = der_len,
            .chain_sha256 = (const uint8_t (*)[32])digests,
        };
        if (s->cfg.summary)
            mw_summary_add_session(s->cfg.summary, &r);
        if (s->cfg.csv && !mw_csv_add_session(s->cfg.csv, &r))
            s->ok = false;
    }
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

/* quiet: the verdict only, nothing recorded or counted (a version that
 * may not be reported); extra: more INJECTION detail, or NULL. */
static void judge(mw_sessions *s, const mw_flow *flow, const sflow *sf,
                  const mw_tls_facts *tf, mw_verdict *v, bool quiet, const char *extra)
{
    X509 *chain[MW_VERDICT_MAX_CHAIN];
    uint8_t digests[MW_VERDICT_MAX_CHAIN][32];
    const char *issuers[MW_VERDICT_MAX_CHAIN];
    mw_verdict_input in = {0};
    if (tf->cert_seen && tf->n_certs)
        in.state = MW_CHAIN_SEEN;
    else if (tf->state == MW_TLS_HS_INCOMPLETE)
        in.state = MW_CHAIN_NOT_SEEN;
    else
        in.state = MW_CHAIN_HIDDEN;
    /* Every certificate sent goes to --certs, judged or not. */
    size_t n = tf->cert_seen && (in.state == MW_CHAIN_SEEN || s->cfg.certs)
                   ? collect_chain(s, tf, chain, digests, issuers, MW_VERDICT_MAX_CHAIN) : 0;
    in.n_chain = in.state == MW_CHAIN_SEEN ? n : 0;
    in.chain = chain;
    in.chain_sha256 = (const uint8_t (*)[32])digests;
    in.trust_cache = s->trust;
    in.issuer_text = issuers;
    if (tf->ch.has_sni) {
        in.sni = (const char *)tf->ch.sni.data;
        in.sni_len = tf->ch.sni.len;
    }
    in.time = (int64_t)(sf->first_ts_us / 1000000u);
    if (tf->ch.seen) {
        in.ja3 = tf->ch.ja3_md5;
        in.ja4 = tf->ch.ja4;
    }
    if (tf->sh.seen)
        in.ja3s = tf->sh.ja3s_md5;
    if (sf->kind == KIND_TLS) {
        int srv = !sf->tls_client_dir;
        in.ttl_first = sf->ttl_first[srv];
        in.ttl_flight = sf->ttl_other[srv];
    }
    in.version = tf->version;
    in.offered_tls13 = tf->ch.seen && mw_ev_offered_tls13(&tf->ch);

    char name[1100], server[MW_ADDR_STRLEN + 8];
    bool swapped = sf->tls_client_dir != MW_DIR_TO_SERVER;
    mw_ev_name_key(tf, name, sizeof name);
    mw_ev_endpoint_text(swapped ? &flow->client_ip : &flow->server_ip,
                  swapped ? flow->client_port : flow->server_port, server, sizeof server);
    mw_sighting sight = {
        .name = name,
        .server = server,
        .time = in.time,
        .leaf = in.n_chain ? chain[0] : NULL,
        .version = tf->version,
        .offered_tls13 = in.offered_tls13,
        /* A resumed session's ServerHello differs from a full one's
         * (PSK, fewer extensions): neither compared nor learnt. */
        .ja3 = in.ja3s && tf->state != MW_TLS_HS_RESUMED ? in.ja3 : NULL,
        .ja3s = in.ja3 && tf->state != MW_TLS_HS_RESUMED ? in.ja3s : NULL,
    };
    mw_leaf_names tmp = {0};
    if (s->cfg.baseline && sight.leaf)
        sight.leaf_names = leaf_names(s, &tf->certs[0], sight.leaf, &tmp);
    mw_history hist;
    mw_baseline_lookup(s->cfg.baseline, &sight, &hist);
    in.history = s->cfg.baseline ? &hist : NULL;
    mw_verdict_evaluate(s->cfg.rules, &in, v);
    /* Issue 18 hook: copies dropped as injected (flow/pipeline.c), and
     * two versions judged (versions.h). */
    char *detail = v->reasons[v->n_reasons].detail;
    if (!quiet && v->n_reasons < MW_REASON_COUNT) {
        bool inj = mw_flow_injection_text(flow, detail, MW_REASON_DETAIL_LEN);
        if (extra) {
            size_t l = inj ? strlen(detail) : 0;
            (void)snprintf(detail + l, MW_REASON_DETAIL_LEN - l, "%s%s", inj ? "; " : "", extra);
            inj = true;
        }
        if (inj)
            v->reasons[v->n_reasons++].code = MW_REASON_INJECTION;
    }
    mw_history_free(&hist);
    if (quiet) {
        mw_leaf_names_free(&tmp);
        drop_chain(chain, n);
        return;
    }
    share_result(s, flow, sf, tf, v, chain, digests, n, &sight);
    mw_leaf_names_free(&tmp);
    drop_chain(chain, n);
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

static void write_chain(mw_sessions *s, mw_json *j, const mw_tls_facts *f)
{
    mw_json_key(j, "chain");
    if (!f->cert_seen) {
        mw_json_null(j);
        return;
    }
    mw_json_array_begin(j);
    for (size_t i = 0; i < f->n_certs; i++) {
        const cert_slot *c = cert_json(s, &f->certs[i]);
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

/* nDPI is made to decide (giving up with a guess if need be) once: when
 * it has seen enough packets, or when the session's event is written. */
void mw_session_ndpi_settle(mw_sessions *s, sflow *sf)
{
    if (sf->ndpi && !sf->ndpi_done) {
        mw_ndpi_finish(s->ndpi, sf->ndpi);
        sf->ndpi_done = true;
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

/*
 * With worker threads, everything between sink_enter and sink_leave runs
 * while the other workers wait for their turn (cli/parallel.c). Parsing a
 * certificate is the slowest step of a judgement and needs nothing shared,
 * so the chains are parsed into this worker's cache before the turn; the
 * judgement then finds them there. Single-threaded there is no turn to
 * shorten, and hashing each certificate once more would only cost.
 */
static void warm_certs(mw_sessions *s, const sflow *sf, const mw_tls_facts *tf)
{
    if (!s->cfg.sink_enter || !s->cfg.rules)
        return;
    for (int v = 0; v < 2; v++) {
        const mw_tls_facts *f = v == 0 ? tf : sf->tls_alt ? mw_tls_get_facts(sf->tls_alt) : NULL;
        for (size_t i = 0; f && f->cert_seen && i < f->n_certs && i < MW_VERDICT_MAX_CHAIN; i++)
            (void)cert_json(s, &f->certs[i]);
    }
}

static void count_session(mw_sessions *s, const mw_tls_facts *tf)
{
    const char *hs = mw_ev_handshake_name(tf);
    if (tf->error_reason)
        s->st.malformed++;
    if (strcmp(hs, "complete") == 0)
        s->st.complete++;
    else if (strcmp(hs, "opaque") == 0)
        s->st.opaque++;
    else
        s->st.incomplete++;
}

static void write_tls_event(mw_sessions *s, const mw_flow *flow, sflow *sf,
                            const mw_tls_facts *tf, const char *event)
{
    mw_json *j = &s->rec;
    bool swapped = sf->tls_client_dir != MW_DIR_TO_SERVER;

    mw_verdict verdict;
    const mw_verdict *v = NULL;
    mw_session_ndpi_settle(s, sf);
    /* The first version held nothing: the second's handshake is counted,
     * and without rules it is the event's. */
    if (sf->adopted && sf->tls_alt && !s->cfg.rules)
        tf = mw_tls_get_facts(sf->tls_alt);
    count_session(s, sf->adopted && sf->tls_alt ? mw_tls_get_facts(sf->tls_alt) : tf);
    warm_certs(s, sf, tf);
    sink_enter(s, flow);
    if (s->cfg.rules) {
        /* Two versions of the handshake bytes: the worse verdict decides,
         * and its facts are the event's. */
        char both[MW_REASON_DETAIL_LEN];
        const char *extra = NULL;
        if (sf->tls_alt) {
            const mw_tls_facts *af = mw_tls_get_facts(sf->tls_alt);
            mw_verdict a, b;
            judge(s, flow, sf, tf, &a, true, NULL);
            judge(s, flow, sf, af, &b, true, NULL);
            bool second = mw_versions_second_decides(&a, &b);
            mw_versions_text(flow, a.kind, b.kind, second, both, sizeof both);
            extra = both;
            if (second)
                tf = af;
            s->st.two_versions++;
        }
        judge(s, flow, sf, tf, &verdict, false, extra);
        v = &verdict;
        sf->flagged = verdict.kind == MW_VERDICT_INTERCEPTED ||
                      verdict.kind == MW_VERDICT_SUSPICIOUS;
        if (mw_flagged_is_live(s->cfg.flagged))
            mw_flagged_live_decide(s->cfg.flagged, &sf->hold, sf->flagged,
                                   s->cfg.output_stats);
    }
    if (s->cfg.text)
        mw_ev_text_line(s->cfg.text, flow, sf->tls_client_dir != MW_DIR_TO_SERVER,
                        sf->first_ts_us, tf, event, v);
    if (!s->cfg.events) {
        sink_leave(s);
        return;
    }
    mw_json_object_begin(j);
    mw_json_key(j, "ts");
    mw_json_timestamp(j, sf->first_ts_us);
    mw_json_kv_string(j, "event", event);
    mw_json_kv_string(j, "capture", sf->capture);
    mw_json_kv_string(j, "vantage",
                      vantage_of(s, swapped ? &flow->server_ip : &flow->client_ip));
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
    mw_verdict_write_json(v, j);
    uint32_t starttls[2] = {sf->start[sf->tls_client_dir], sf->start[!sf->tls_client_dir]};
    mw_ev_notes(j, flow, starttls, tf);
    mw_json_object_end(j);
    emit(s);
    sink_leave(s);
}

mw_consumer_verdict mw_session_flow_verdict(const sflow *sf)
{
    return (sf->tls_done || sf->kind == KIND_NONE) && sf->ndpi_done && !sf->settle.waiting
               ? MW_CONSUMER_DONE : MW_CONSUMER_CONTINUE;
}

static const mw_tls_facts *session_facts(const sflow *sf)
{
    switch (sf->kind) {
    case KIND_TLS:
        return sf->tls ? mw_tls_get_facts(sf->tls) : NULL;
    case KIND_DTLS:
        return sf->dtls ? mw_dtls_tls_facts(sf->dtls) : NULL;
    case KIND_QUIC:
        return sf->quic ? mw_quic_tls_facts(sf->quic) : NULL;
    case KIND_UNKNOWN:
    case KIND_NONE:
        break;
    }
    return NULL;
}

/* Writes the session's event once: when its handshake is analyzed, or when
 * the flow ends first (an incomplete handshake is still a session). A UDP
 * flow that only looked like DTLS or QUIC but held no hello is none. */
void mw_session_finish(mw_sessions *s, const mw_flow *flow, sflow *sf)
{
    const mw_tls_facts *tf = session_facts(sf);
    if (sf->tls_done || !tf)
        return;
    sf->tls_done = true;
    if (sf->kind != KIND_TLS && !tf->ch.seen && !tf->sh.seen && !tf->cert_seen)
        return;
    switch (sf->kind) {
    case KIND_TLS:
        s->st.tls++;
        if (sf->start[0] || sf->start[1])
            s->st.starttls++;
        write_tls_event(s, flow, sf, tf, "tls");
        break;
    case KIND_DTLS:
        s->st.dtls++;
        write_tls_event(s, flow, sf, tf, "dtls");
        break;
    case KIND_QUIC:
        s->st.quic++;
        write_tls_event(s, flow, sf, tf, "quic");
        break;
    case KIND_UNKNOWN:
    case KIND_NONE:
        break;
    }
}

/* nDPI's answer is reported only in session events: a flow known to have
 * none is classified no further (counted in *counter if still running). */
void mw_session_ndpi_drop(mw_ndpi *n, sflow *sf, uint64_t *counter)
{
    if (sf->ndpi) {
        if (!sf->ndpi_done && counter)
            (*counter)++;
        mw_ndpi_flow_free(n, sf->ndpi);
        sf->ndpi = NULL;
    }
    sf->ndpi_done = true;
}

/* ---- flow lifetime ---------------------------------------------------- */

static void *on_flow_start(void *arg, const mw_flow *flow, const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = calloc(1, sizeof(*sf));
    if (!sf)
        return NULL;
    sf->first_ts_us = pkt->ts_us;
    sf->capture = pkt->capture;
    sf->flow = flow;
    sf->tls_client_dir = MW_DIR_TO_SERVER;
    sf->ndpi = mw_ndpi_flow_new(s->ndpi);
    sf->ndpi_done = sf->ndpi == NULL;
    if (sf->ndpi)
        s->st.ndpi_flows++;
    /* UDP flows are counted and classified; DTLS and QUIC sessions are
     * recognised by their datagrams. */
    return sf;
}

static mw_consumer_verdict on_packet(void *arg, void *state, const mw_flow *flow,
                                     int dir, const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    if (pkt->l4_proto == 6 && !sf->tls_done)
        mw_session_tcp_packet(s, flow, sf, dir, pkt);
    if (pkt->l4_proto == 6 && (dir == 0 || dir == 1) && pkt->ttl) {
        if (!sf->ttl_seen[dir]) {
            /* Joined mid-flow, the first packet says nothing of the path
             * the connection was set up on. */
            sf->ttl_seen[dir] = true;
            sf->ttl_first[dir] = (pkt->tcp_flags & MW_TCP_SYN) ? pkt->ttl : 0;
        } else if (sf->ttl_first[dir] && !sf->tls_done &&
                   !(sf->settle.waiting && sf->kind == KIND_TLS) && pkt->payload_wire_len > 0 &&
                 abs(pkt->ttl - sf->ttl_first[dir]) >
                     abs(sf->ttl_other[dir] ? sf->ttl_other[dir] - sf->ttl_first[dir] : 0)) {
            sf->ttl_other[dir] = pkt->ttl;
        }
    }
    /* UDP: nDPI only for flows whose first datagram can start a session. */
    const mw_cursor *p = &pkt->payload;
    if (pkt->l4_proto == 17 && sf->kind == KIND_UNKNOWN && !sf->datagrams &&
        mw_cursor_len(p) && !mw_prefilter_udp_ndpi(p) && !mw_dtls_looks_like_handshake(p) &&
        !mw_quic_looks_like_initial(p, true))
        mw_session_ndpi_drop(s->ndpi, sf, &s->st.ndpi_udp_skipped);
    if (sf->ndpi && !sf->ndpi_done && !mw_ndpi_packet(s->ndpi, sf->ndpi, pkt))
        mw_session_ndpi_settle(s, sf);
    return mw_session_flow_verdict(sf);
}

/* Which of DTLS or QUIC a UDP flow carries, from its first datagrams on
 * any port (WebRTC sends STUN before DTLS). */
static void recognise_udp(mw_sessions *s, sflow *sf, int dir, const mw_cursor *payload)
{
    if (mw_quic_looks_like_initial(payload, true)) {
        sf->kind = KIND_QUIC;
        sf->quic = mw_quic_new();
        /* The first client Initial's sender is the client, whatever the
         * port heuristics guessed. */
        sf->tls_client_dir = dir;
    } else if (mw_dtls_looks_like_handshake(payload)) {
        sf->kind = KIND_DTLS;
        sf->dtls = mw_dtls_new();
    } else if (++sf->datagrams >= MW_SESSION_SCAN_DATAGRAMS) {
        sf->kind = KIND_NONE;
        mw_session_ndpi_drop(s->ndpi, sf, &s->st.ndpi_stopped);
    }
    if ((sf->kind == KIND_QUIC && !sf->quic) || (sf->kind == KIND_DTLS && !sf->dtls))
        sf->kind = KIND_NONE;
}

static mw_consumer_verdict on_datagram(void *arg, void *state, const mw_flow *flow,
                                       int dir, const mw_cursor *payload,
                                       const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    bool finished = false;
    (void)pkt;

    if (sf->tls_done || sf->kind == KIND_NONE)
        return mw_session_flow_verdict(sf);
    if (sf->kind == KIND_UNKNOWN)
        recognise_udp(s, sf, dir, payload);
    if (sf->kind == KIND_QUIC) {
        int qdir = dir == sf->tls_client_dir ? 0 : 1;
        mw_quic_status st = mw_quic_datagram(sf->quic, qdir, payload);
        finished = st != MW_QUIC_NEED_MORE;
    } else if (sf->kind == KIND_DTLS) {
        mw_dtls_status st = mw_dtls_datagram(sf->dtls, dir, payload);
        sf->tls_client_dir = mw_dtls_client_dir(sf->dtls);
        finished = st != MW_DTLS_NEED_MORE;
    }
    if (finished)
        mw_session_finish(s, flow, sf);
    return mw_session_flow_verdict(sf);
}

static void write_flow_record(mw_sessions *s, const mw_flow *f, mw_flow_end reason)
{
    mw_ev_flow_record(&s->rec, f, reason, vantage_of(s, &f->client_ip),
                      s->cfg.community_id_seed);
    emit(s);
}

static void on_flow_end(void *arg, void *state, const mw_flow *flow, mw_flow_end reason)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    /* An incomplete handshake is still a session to report. */
    if (!sf->tls_done && flow->proto == 6)
        mw_session_tcp_judge_now(s, flow, sf);
    else if (!sf->tls_done)
        mw_session_finish(s, flow, sf);
    mw_session_wait_unlink(s, sf);
    bool records = s->cfg.flow_records && s->cfg.events;
    bool shared = records || (sf->flagged && s->cfg.flagged) ||
                  mw_flagged_is_live(s->cfg.flagged);
    if (shared)
        sink_enter(s, flow);
    if (records)
        write_flow_record(s, flow, reason);
    if (sf->flagged && s->cfg.flagged)
        mw_flagged_add_flow(s->cfg.flagged, flow);
    if (mw_flagged_is_live(s->cfg.flagged))
        mw_flagged_live_decide(s->cfg.flagged, &sf->hold, sf->flagged, s->cfg.output_stats);
    if (shared)
        sink_leave(s);
    if (sf->ndpi)
        mw_ndpi_flow_free(s->ndpi, sf->ndpi);
    mw_tls_free(sf->tls);
    mw_tls_free(sf->tls_alt);
    mw_dtls_free(sf->dtls);
    mw_quic_free(sf->quic);
    free(sf);
}

/* Live --write-flagged: frames of flows not yet judged are held. */
static void on_frame(void *arg, void *state, const mw_flow *flow, int linktype,
                     const mw_source_packet *raw)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    /* A given-up flow waiting for its ACKs may still turn out TLS. */
    bool judged = (sf->tls_done || sf->kind == KIND_NONE) && !sf->settle.waiting;
    if (judged && !sf->flagged && !sf->hold.head)
        return;
    /* Live capture workers share the held frames' budget (cli/live.c). */
    sink_enter(s, flow);
    if (judged && !sf->flagged) /* no session after all: let the frames go */
        mw_flagged_live_decide(s->cfg.flagged, &sf->hold, false, s->cfg.output_stats);
    else
        mw_flagged_live_frame(s->cfg.flagged, &sf->hold, sf->flagged, linktype, raw,
                              s->cfg.output_stats);
    sink_leave(s);
}

static const mw_consumer consumer = {
    .flow_start = on_flow_start,
    .packet = on_packet,
    .stream_data = mw_session_on_stream,
    .stream_gap = mw_session_on_gap,
    .datagram = on_datagram,
    .flow_end = on_flow_end,
    .tick = mw_session_on_tick,
};

/* The same, seeing every frame: only for a live --write-flagged, so no
 * other run pays a call per packet. */
static const mw_consumer consumer_holding_frames = {
    .flow_start = on_flow_start,
    .packet = on_packet,
    .stream_data = mw_session_on_stream,
    .stream_gap = mw_session_on_gap,
    .datagram = on_datagram,
    .flow_end = on_flow_end,
    .frame = on_frame,
    .tick = mw_session_on_tick,
};

const mw_consumer *mw_sessions_consumer(const mw_sessions *s)
{
    return mw_flagged_is_live(s->cfg.flagged) ? &consumer_holding_frames : &consumer;
}
