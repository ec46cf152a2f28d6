/*
 * stats.c - printing and summing the counters of stats.h.
 */
#include "stats.h"

#include <inttypes.h>
#include <stdbool.h>


void mw_stats_add(mw_stats *dst, const mw_stats *src)
{
    /* Peak counters are maxima, not sums, when workers are combined. */
    uint64_t flow_peak = dst->flow.active_peak > src->flow.active_peak
                             ? dst->flow.active_peak : src->flow.active_peak;
    uint64_t buffer_peak = dst->reasm.buffer_peak_bytes > src->reasm.buffer_peak_bytes
                               ? dst->reasm.buffer_peak_bytes : src->reasm.buffer_peak_bytes;
#define X(name, desc) dst->GROUP_FIELD.name += src->GROUP_FIELD.name;
#define GROUP_FIELD capture
    MW_CAPTURE_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD link
    MW_LINK_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD decode
    MW_DECODE_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD frag
    MW_FRAG_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD flow
    MW_FLOW_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD reasm
    MW_REASM_COUNTERS(X)
#undef GROUP_FIELD
#define GROUP_FIELD session
    MW_SESSION_COUNTERS(X)
#undef GROUP_FIELD
#undef X
    dst->flow.active_peak = flow_peak;
    dst->reasm.buffer_peak_bytes = buffer_peak;
}

void mw_stats_write_json_members(const mw_stats *st, mw_json *j)
{
#define X(name, desc) mw_json_kv_uint(j, #name, g->name);
#define GROUP(label, type, field, list)                                      \
    {                                                                        \
        const type *g = &st->field;                                          \
        mw_json_key(j, label);                                               \
        mw_json_object_begin(j);                                             \
        list(X)                                                              \
        mw_json_object_end(j);                                               \
    }
    GROUP("capture", mw_capture_stats, capture, MW_CAPTURE_COUNTERS)
    GROUP("link", mw_link_stats, link, MW_LINK_COUNTERS)
    GROUP("decode", mw_decode_stats, decode, MW_DECODE_COUNTERS)
    GROUP("ip_fragments", mw_frag_stats, frag, MW_FRAG_COUNTERS)
    GROUP("flows", mw_flow_stats, flow, MW_FLOW_COUNTERS)
    GROUP("tcp_reassembly", mw_reasm_stats, reasm, MW_REASM_COUNTERS)
    GROUP("sessions", mw_session_stats, session, MW_SESSION_COUNTERS)
#undef GROUP
#undef NONZERO
#undef X
}

void mw_stats_write_text(const mw_stats *st, FILE *out)
{
    /* Only non-zero counters: a clean run stays short, and anything
     * skipped or dropped stands out. */
#define X(name, desc)                                                        \
    if (g->name)                                                             \
        fprintf(out, "  %-14" PRIu64 " %s\n", g->name, desc);
#define NONZERO(name, desc) any |= g->name != 0;
#define GROUP(label, type, field, list)                                      \
    {                                                                        \
        const type *g = &st->field;                                          \
        bool any = false;                                                    \
        list(NONZERO)                                                        \
        if (any)                                                             \
            fprintf(out, "%s:\n", label);                                    \
        list(X)                                                              \
    }
    GROUP("capture", mw_capture_stats, capture, MW_CAPTURE_COUNTERS)
    GROUP("link types", mw_link_stats, link, MW_LINK_COUNTERS)
    GROUP("decoding", mw_decode_stats, decode, MW_DECODE_COUNTERS)
    GROUP("IP fragments", mw_frag_stats, frag, MW_FRAG_COUNTERS)
    GROUP("flows", mw_flow_stats, flow, MW_FLOW_COUNTERS)
    GROUP("TCP reassembly", mw_reasm_stats, reasm, MW_REASM_COUNTERS)
    GROUP("sessions", mw_session_stats, session, MW_SESSION_COUNTERS)
#undef GROUP
#undef NONZERO
#undef X
}
