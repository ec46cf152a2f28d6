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

/* The handshake parsed with, for each flow direction that has one, its
 * second version from start[dir] (the handshake's first byte; found[dir]
 * says there is one), client_dir being the TLS client's flow direction.
 * NULL when no direction has a second version, or out of memory. */
mw_tls_session *mw_versions_parse(const mw_flow *flow, const uint32_t start[2],
                                  const bool found[2], int client_dir,
                                  const mw_tls_limits *lim);

/* Which of two verdicts is worse: a sign of interception over none, and
 * any judgment over none (opaque, incomplete): garbage in one version
 * is not evidence. True when b is strictly worse than a. */
bool mw_versions_worse(mw_verdict_kind a, mw_verdict_kind b);

/* The INJECTION detail for the ambiguity: the directions with two
 * versions and the offset where they begin to differ, both verdicts and
 * which one is reported. */
void mw_versions_text(const mw_flow *flow, mw_verdict_kind first, mw_verdict_kind second,
                      char *buf, size_t n);

#endif /* MW_SESSION_VERSIONS_H */
