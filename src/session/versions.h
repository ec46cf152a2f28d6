/*
 * versions.h - judging both versions of a TCP handshake (issue 18).
 *
 * When a direction's stream bytes came in two copies that differ and
 * neither looked injected (right checksums, the direction's TTL: see
 * flow/pipeline.c for those), reassembly keeps a second version
 * (reasm.h, mw_tcp_stream.alt) and a monitor cannot know which one the
 * receiver took. The handshake is parsed again from the second versions,
 * both are judged, and the worse verdict decides (docs/evasion.md).
 */
#ifndef MW_SESSION_VERSIONS_H
#define MW_SESSION_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/verdict.h"
#include "dissectors/tls.h"
#include "flow/flow.h"

/* Where the handshake begins in each flow direction (found[dir]: it
 * does, at stream offset start[dir]) and which direction is the TLS
 * client. */
typedef struct mw_versions_start {
    bool found[2];
    uint32_t start[2];
    int client_dir;
} mw_versions_start;

/* The handshake type at stream offset start of a view: 1 ClientHello,
 * 2 ServerHello (SSLv2 hellos are client hellos). */
int mw_versions_hello_type(const mw_cursor *stream, uint32_t start);

/*
 * The handshake parsed with, for each flow direction that has one, its
 * second version (the first version for the other direction), each cut
 * at cut[dir] bytes (UINT32_MAX: all held). *at comes in as what the
 * first version found; a direction it found no handshake in (the garbage
 * came first) is looked for in this version's first scan_bytes bytes, and
 * when the first version found none at all, the first hello found says
 * who the client is. *final is true when the parse reached its end
 * (mw_tls_status other than NEED_MORE) or no handshake was found: more
 * bytes would not change it. NULL when no direction has a second version
 * or none holds a handshake start (or out of memory).
 */
mw_tls_session *mw_versions_parse(const mw_flow *flow, mw_versions_start *at,
                                  const uint32_t cut[2], size_t scan_bytes,
                                  const mw_tls_limits *lim, bool *final);

/* Which of two verdicts is worse: a sign of interception over none, and
 * any judgment over none (opaque, incomplete): garbage in one version
 * is not evidence. True when b is strictly worse than a. */
bool mw_versions_worse(mw_verdict_kind a, mw_verdict_kind b);

/* Whether the second version's verdict b is the one reported over the
 * first's a: it is worse, or as bad with more reasons (a decoy without a
 * chain is as suspicious by TTL alone as the real one with its chain). */
bool mw_versions_second_decides(const mw_verdict *a, const mw_verdict *b);

/* The INJECTION detail for the ambiguity: the directions with two
 * versions and the offset where they begin to differ, both verdicts and
 * which one is reported (second: the second). */
void mw_versions_text(const mw_flow *flow, mw_verdict_kind first, mw_verdict_kind second,
                      bool second_reported, char *buf, size_t n);

#endif /* MW_SESSION_VERSIONS_H */
