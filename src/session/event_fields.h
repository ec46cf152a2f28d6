/*
 * event_fields.h - the small field writers of session and flow events.
 *
 * Pure functions of a flow and the TLS facts, kept apart from session.c
 * (which owns the per-flow state) so that the event's fields can be read
 * in one place; docs/output.md is their contract.
 */
#ifndef MW_EVENT_FIELDS_H
#define MW_EVENT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"
#include "detect/verdict.h"
#include "dissectors/tls.h"
#include "flow/flow.h"

/* "complete", "opaque" or "incomplete". */
const char *mw_ev_handshake_name(const mw_tls_facts *f);
/* "0x" and four lowercase hex digits of v into out; returns out. */
const char *mw_ev_hex16(uint16_t v, char out[7]);
/* A version by name, else "0x%04x". */
void mw_ev_version(mw_json *j, uint16_t v);
/* "client_versions": the offered versions without GREASE, or null. */
void mw_ev_client_versions(mw_json *j, const mw_tls_client_hello *ch);
/* "192.0.2.1:443" or "[2001:db8::1]:443" into buf. */
const char *mw_ev_endpoint_text(const mw_addr *a, uint16_t port, char *buf, size_t len);
/* The SNI as the baseline keys it (lowercase, \xNN for other bytes). */
void mw_ev_name_key(const mw_tls_facts *tf, char *out, size_t n);
bool mw_ev_offered_tls13(const mw_tls_client_hello *ch);
/* The readable line for people, one per session (the text output):
 * time, kind, endpoints (client first: swapped when the flow's client is
 * the TLS server), SNI JSON-escaped, version, handshake, chain length and,
 * with v, the verdict and its reasons. */
void mw_ev_text_line(FILE *out, const mw_flow *flow, bool swapped, uint64_t first_ts_us,
                     const mw_tls_facts *tf, const char *event, const mw_verdict *v);
/* "flow_notes": reassembly anomalies per direction, and with tf the
 * STARTTLS offsets (starttls[0] client, [1] server; may be NULL), a
 * truncated chain and a malformed handshake. */
void mw_ev_notes(mw_json *j, const mw_flow *flow, const uint32_t *starttls,
                 const mw_tls_facts *tf);
void mw_ev_flow_ids(mw_json *j, const mw_flow *f, uint16_t seed);
/* proto, src/dst ip and port (client first unless swapped), community_id. */
void mw_ev_endpoints(mw_json *j, const mw_flow *flow, bool swapped, uint16_t seed);
/* The "flow" record of one flow (--flows), without the line's end. */
void mw_ev_flow_record(mw_json *j, const mw_flow *f, mw_flow_end reason, const char *vantage,
                       uint16_t seed);

#endif
