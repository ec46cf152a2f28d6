/*
 * session_internal.h - what session.c, session_tcp.c and judge.c share:
 * the per-flow state and the consumer's, and the calls between them.
 * Not an API: only these files include it.
 */
#ifndef MW_SESSION_INTERNAL_H
#define MW_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/sha.h>

#include "detect/trust_cache.h"
#include "detect/verdict.h"
#include "dissectors/dtls.h"
#include "dissectors/ndpi_glue.h"
#include "dissectors/quic.h"
#include "dissectors/tls.h"
#include "dissectors/x509.h"
#include "common/json.h"
#include "session/session.h"
#include "session/settle.h"

typedef enum flow_kind {
    KIND_UNKNOWN, /* still looking */
    KIND_TLS,
    KIND_DTLS,
    KIND_QUIC,
    KIND_NONE,    /* no handshake within the scan window */
} flow_kind;

typedef struct sflow {
    flow_kind kind;
    mw_tls_session *tls;
    mw_tls_session *tls_alt; /* from the streams' second versions (versions.h) */
    mw_dtls_session *dtls;
    mw_quic_session *quic;
    uint32_t datagrams; /* UDP datagrams examined while looking */
    /* Which flow direction is the TLS client: normally MW_DIR_TO_SERVER,
     * but a flow joined mid-stream may have guessed the client wrong, and
     * the ClientHello settles it. */
    int tls_client_dir;
    bool found[2];      /* handshake start found in this flow direction */
    uint32_t start[2];  /* its stream offset (> 0: cleartext came first) */
    uint32_t scanned[2]; /* stream offset up to which the scan has looked */
    bool kept[2];       /* the prefilter kept this direction's first bytes */
    bool tls_done;      /* handshake analyzed: the event is written */
    mw_ndpi_flow *ndpi;
    bool ndpi_done;
    uint64_t first_ts_us;
    const char *capture; /* the input's name, stable while it is read */
    /* TCP, per flow direction: the TTL of its first packet, and the TTL
     * furthest from it on a payload packet before the handshake was done
     * (an interception box answers with its own hop count: TTL_ANOMALY). */
    bool ttl_seen[2];
    uint8_t ttl_first[2]; /* 0: the first packet was no SYN(-ACK) */
    uint8_t ttl_other[2];
    bool flagged; /* judged intercepted or suspicious: --write-flagged */
    mw_flagged_hold hold; /* live --write-flagged: frames until judged */
    /* TCP: the judgement waits for the peers' ACKs (settle.h), on the
     * sessions' waiting list meanwhile (for the idle tick). */
    mw_settle settle;
    const mw_flow *flow;
    struct sflow *wprev, *wnext;
    bool prefiltered; /* counted so before a second version showed TLS */
    bool adopted;     /* only the second version holds the handshake */
} sflow;

/*
 * Certificates repeat: every session to a popular server sends the same
 * chain, and parsing one with OpenSSL costs far more than everything else a
 * session needs. So each certificate's JSON form and its parsed X509 (for
 * the verdict) are kept in a two-way set-associative cache of
 * CERT_CACHE_SLOTS entries (a new certificate replaces the less recently
 * used of its set). Two ways, not one: with one, two certificates of a few
 * hundred that share a slot (the birthday bound makes that likely) evicted
 * each other at every session and were parsed again each time.
 *
 * The set is chosen by the certificate's length and last bytes (its
 * signature, as good as a hash and free), and a hit is confirmed against a
 * copy of the whole DER, kept for certificates of up to CERT_DER_KEPT
 * bytes; larger ones are confirmed by SHA-256. So a session's certificates
 * are not hashed again at every lookup. Bounded: slots x (one
 * certificate's JSON + one X509 + at most CERT_DER_KEPT bytes).
 */
#define CERT_DER_KEPT 8192u
#define CERT_CACHE_SLOTS 4096u

typedef struct cert_slot {
    uint8_t digest[SHA256_DIGEST_LENGTH]; /* of the DER */
    uint8_t *der;   /* a copy of the DER, or NULL (too large, or no memory) */
    size_t der_len;
    char *json; /* NULL: empty slot */
    size_t len;
    bool unparsable;
    X509 *x509; /* a reference of our own; NULL when unparsable */
    /* The baseline's view of it as a leaf, made once (names printed by
     * OpenSSL cost more than the lookups): valid when names_ok. */
    mw_leaf_names names;
    bool names_ok;
    char *issuer; /* its issuer as the verdict prints it, or NULL */
    uint64_t used; /* mw_sessions.cert_clock at its last use */
} cert_slot;

struct mw_sessions {
    cert_slot *certs; /* CERT_CACHE_SLOTS, set i in slots 2i and 2i+1 */
    uint64_t cert_clock;
    mw_trust_cache *trust; /* this worker's own: no lock (trust_cache.h) */
    mw_json scratch;
    mw_session_config cfg;
    mw_session_stats st;
    mw_ndpi *ndpi;
    mw_tls_limits tls_limits;
    mw_json rec;
    sflow *waiting; /* TCP sessions waiting for ACKs (settle.h) */
    mw_judged *free_judged; /* judge.c: made once, used again */
    bool ok;
};

/* session.c */
/* The session's vantage: its client's network, else the input's label. */
const char *mw_session_vantage(const mw_sessions *s, const mw_addr *client);
/* Writes the record in j to the events (counted; a failure makes ok false). */
void mw_session_emit(mw_sessions *s, mw_json *j);
/* Writes the session's event once (its handshake analyzed, or the flow
 * ended first). */
void mw_session_finish(mw_sessions *s, const mw_flow *flow, sflow *sf);
/* nDPI decides now (once). */
void mw_session_ndpi_settle(mw_sessions *s, sflow *sf);
/* nDPI stops for the flow (counted in *counter if it was still going). */
void mw_session_ndpi_drop(mw_ndpi *n, sflow *sf, uint64_t *counter);
/* Whether the flow can be bypassed. */
mw_consumer_verdict mw_session_flow_verdict(const sflow *sf);

/* judge.c: the certificate cache, and a session's judgement and event in
 * two steps (see judge.c). */
/* The certificate's slot, from the cache or parsed now. */
const cert_slot *mw_session_cert(mw_sessions *s, const mw_tls_bytes *der);
/* A judgement from the sessions' free list, or made; NULL: out of memory. */
mw_judged *mw_judged_get(mw_sessions *s);
/* Back to the free list (mw_judged_run does it). */
void mw_judged_put(mw_sessions *s, mw_judged *jb);
void mw_judged_free_all(mw_sessions *s);
/* The first step: the verdict's part that needs nothing shared and the
 * event up to its verdict, with copies of all the second step reads.
 * extra: more INJECTION detail, or NULL. now: the second step runs before
 * the flow moves on (it may then use flow, sf and tf: the text line,
 * --write-flagged). */
void mw_judged_prepare(mw_sessions *s, const mw_flow *flow, sflow *sf, const mw_tls_facts *tf,
                       const char *event, const char *extra, bool now, mw_judged *jb);
/* One version's verdict, nothing recorded or counted, in the turn. */
void mw_judged_verdict_quiet(mw_sessions *s, const mw_flow *flow, const sflow *sf,
                             const mw_tls_facts *tf, mw_verdict *v);

/* session_tcp.c: finding and following the handshake, and waiting for
 * the peers' ACKs (settle.h). */
mw_consumer_verdict mw_session_on_stream(void *arg, void *state, const mw_flow *flow, int dir,
                                         const mw_cursor *stream, uint32_t from,
                                         const mw_packet *pkt);
mw_consumer_verdict mw_session_on_gap(void *arg, void *state, const mw_flow *flow, int dir,
                                      uint32_t offset, uint64_t len, mw_gap_kind kind);
/* Every TCP packet of a session not yet judged, before reassembly. */
void mw_session_tcp_packet(mw_sessions *s, const mw_flow *flow, sflow *sf, int dir,
                           const mw_packet *pkt);
/* The session's judgement at the flow's end (or the bound): both
 * versions parsed from all the bytes held. */
void mw_session_tcp_judge_now(mw_sessions *s, const mw_flow *flow, sflow *sf);
/* Off the waiting list (the flow ends). */
void mw_session_wait_unlink(mw_sessions *s, sflow *sf);
/* Live, idle: sessions waiting past the bound are judged. */
void mw_session_on_tick(void *arg, uint64_t now_us);

#endif /* MW_SESSION_INTERNAL_H */
