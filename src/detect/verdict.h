/*
 * verdict.h - one session's verdict from its chain, SNI and the rules.
 *
 * Evidence is a list of reasons (code + readable detail); the verdict
 * combines them as docs/detection.md explains:
 *   intercepted  ROGUE_ANCHOR, PIN_MISMATCH or CLONED_CERT; or
 *                UNTRUSTED_CHAIN with two of ROGUE_NAME, FORGERY_TRAITS,
 *                CHAIN_CHANGED, VERSION_DOWNGRADE, or with one of them on
 *                a target SNI; or INTERCEPTOR_FINGERPRINT on a target SNI
 *   suspicious   any other evidence: a sign of interception
 *   untrusted    UNTRUSTED_CHAIN (and at most NAME_MISMATCH) on no target:
 *                self-signed devices, applications' own PKIs
 *   clean        the chain validates and nothing fired
 *   opaque       no chain to judge (TLS 1.3, QUIC, resumed, no certificate)
 *   incomplete   the handshake was not seen far enough to get the chain
 * Pure: no I/O, no state beyond its arguments; the rules are read only.
 * History (what the baseline store knows) comes in as an argument too.
 */
#ifndef MW_VERDICT_H
#define MW_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "common/json.h"
#include "detect/rules.h"

typedef enum mw_verdict_kind {
    MW_VERDICT_CLEAN,
    MW_VERDICT_SUSPICIOUS,
    MW_VERDICT_INTERCEPTED,
    MW_VERDICT_OPAQUE,
    MW_VERDICT_INCOMPLETE,
    /* The chain is untrusted at capture time and nothing else points at
     * interception (no target, no other evidence but NAME_MISMATCH). */
    MW_VERDICT_UNTRUSTED,
} mw_verdict_kind;

typedef enum mw_reason_code {
    MW_REASON_ROGUE_ANCHOR,
    MW_REASON_ROGUE_NAME,
    MW_REASON_PIN_MISMATCH,
    MW_REASON_CLONED_CERT,
    MW_REASON_UNTRUSTED_CHAIN,
    MW_REASON_FORGERY_TRAITS,
    MW_REASON_NAME_MISMATCH,
    MW_REASON_CHAIN_CHANGED,
    MW_REASON_VERSION_DOWNGRADE,
    MW_REASON_TTL_ANOMALY,
    MW_REASON_INTERCEPTOR_FINGERPRINT,
    MW_REASON_SERVER_FINGERPRINT_CHANGED,
    /* Two copies of the handshake's bytes differed; the one the receiver
     * is less likely to have taken was dropped (flow/pipeline.c). No
     * evidence of interception by itself: it never changes the verdict.
     * Added by the session layer after mw_verdict_evaluate(). */
    MW_REASON_INJECTION,
    MW_REASON_COUNT
} mw_reason_code;

#define MW_REASON_DETAIL_LEN 640
/* TTL differences up to this many hops are not TTL_ANOMALY. */
#define MW_TTL_SLACK 2
/* Certificates of a chain looked at (the TLS dissector keeps 64). */
#define MW_VERDICT_MAX_CHAIN 64

typedef struct mw_reason {
    mw_reason_code code;
    char detail[MW_REASON_DETAIL_LEN];
} mw_reason;

/* Facts about the verdict that are no evidence of interception. */
typedef enum mw_note_code {
    /* The chain was trusted at capture time through a root today's store
     * no longer holds (trust.h). */
    MW_NOTE_REMOVED_ROOT,
    MW_NOTE_COUNT
} mw_note_code;

typedef struct mw_note {
    mw_note_code code;
    char detail[MW_REASON_DETAIL_LEN];
} mw_note;

/* The genuine certificate a CLONED_CERT leaf copies (from the baseline). */
typedef struct mw_clone_of {
    bool found;
    char sha256[65];   /* lowercase hex of its DER */
    char subject[256]; /* RFC 2253 */
    char issuer[256];
    char serial[100];  /* lowercase hex */
    int64_t not_before, not_after; /* seconds since the epoch */
} mw_clone_of;

#define MW_VERDICT_MAX_TRAITS 8
#define MW_TRAIT_LEN 120

typedef struct mw_verdict {
    mw_verdict_kind kind;
    mw_reason reasons[MW_REASON_COUNT]; /* at most one per code, in code order */
    size_t n_reasons;
    mw_note notes[MW_NOTE_COUNT];       /* at most one per code */
    size_t n_notes;
    const char *target; /* the rules' matching target entry, or NULL */
    /* The target was found in the leaf's names (subjectAltName DNS names,
     * else the subject CN), not in the SNI: "target_by":"certificate". */
    bool target_by_cert;
    /* The interception authority named by ROGUE_ANCHOR or ROGUE_NAME (its
     * subject, RFC 2253; owned by the rules), or NULL. */
    const char *rogue_issuer;
    /* Short phrases, one per trait of forging found in the leaf
     * (FORGERY_TRAITS, CLONED_CERT): "RSA public exponent 3", ... */
    char traits[MW_VERDICT_MAX_TRAITS][MW_TRAIT_LEN];
    size_t n_traits;
    mw_clone_of clone_of;
    /* The chain validated at capture time and nothing says a rogue key or
     * a forger made it (no ROGUE_*, PIN_MISMATCH, CLONED_CERT): what the
     * baseline may learn from as the server's real chain. */
    bool genuine;
    /* What mw_verdict_begin found, for mw_verdict_finish. */
    struct {
        bool hidden; /* no chain to judge: OPAQUE or INCOMPLETE */
        bool anchor, name, bad_chain, pin;
    } pre;
} mw_verdict;

typedef enum mw_chain_state {
    MW_CHAIN_SEEN,       /* the server's certificates are in chain[] */
    MW_CHAIN_HIDDEN,     /* encrypted or resumed or no certificate sent */
    MW_CHAIN_NOT_SEEN,   /* the handshake was not seen far enough */
} mw_chain_state;

typedef struct mw_verdict_input {
    mw_chain_state state;
    X509 *const *chain;  /* as sent, leaf first; entries may be NULL (unparsable) */
    size_t n_chain;
    const char *sni;     /* NULL when the client sent none */
    size_t sni_len;
    int64_t time;        /* the session's first packet, seconds since the epoch */
    const char *ja3;     /* the ClientHello's JA3 (MD5 hex) and JA4, or NULL */
    const char *ja4;
    const char *ja3s;    /* the ServerHello's JA3S (MD5 hex), or NULL */
    /* TCP: the IP TTL of the server's first packet and of the first
     * server packet carrying handshake payload with another TTL (0: none
     * did); TTL_ANOMALY when they differ by more than MW_TTL_SLACK. */
    uint8_t ttl_first;
    uint8_t ttl_flight;
    uint16_t version;     /* negotiated; 0 without a ServerHello */
    bool offered_tls13;   /* the ClientHello offered TLS 1.3 */
    /* What earlier sessions showed (baseline.h), or NULL. */
    const struct mw_history *history;
    /* Validations done once per distinct chain (trust_cache.h): the cache
     * and the SHA-256 of each chain[] entry's DER, as sent; either NULL:
     * the chain is validated now. The verdict is the same either way. */
    struct mw_trust_cache *trust_cache;
    const uint8_t (*chain_sha256)[32];
    /* chain[i]'s issuer as mw_rules_name_text() prints it, kept by the
     * caller with the certificate (printing names costs); NULL, or a NULL
     * entry: printed here. */
    const char *const *issuer_text;
} mw_verdict_input;

void mw_verdict_evaluate(const mw_rules *rules, const mw_verdict_input *in,
                         mw_verdict *out);

/* The same in two steps (evaluate is begin then finish). begin reads
 * neither in->history nor anything a later session changes (the rules,
 * the trust store, in->trust_cache: the caller's), so it may run before the
 * session's turn; finish reads in->history and decides. Between them *out
 * may be copied, and in->issuer_text and in->trust_cache need not live on
 * (only begin reads them). */
void mw_verdict_begin(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *out);
void mw_verdict_finish(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *out);

const char *mw_verdict_name(mw_verdict_kind k);  /* "intercepted", ... */
const char *mw_reason_name(mw_reason_code c);    /* "ROGUE_ANCHOR", ... */
const char *mw_note_name(mw_note_code c);        /* "REMOVED_ROOT" */

/* The event's verdict members (docs/output.md): "verdict", "reasons",
 * "notes", "target"; all null when v is NULL (run without rules). */
void mw_verdict_write_json(const mw_verdict *v, mw_json *j);

/* The reason with this code, or NULL. */
const mw_reason *mw_verdict_reason(const mw_verdict *v, mw_reason_code c);

#endif /* MW_VERDICT_H */
