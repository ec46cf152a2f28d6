/*
 * stats.c - printing and summing the counters of stats.h.
 */
#include "stats.h"

#include <inttypes.h>
#include <stdbool.h>


void mw_stats_add(mw_stats *dst, const mw_stats *src)
{
    {
        mw_capture_stats *d = &dst->capture;
        const mw_capture_stats *s = &src->capture;
#define X(name, desc) d->name += s->name;
        MW_CAPTURE_COUNTERS(X)
#undef X
    }
    {
        mw_link_stats *d = &dst->link;
        const mw_link_stats *s = &src->link;
#define X(name, desc) d->name += s->name;
        MW_LINK_COUNTERS(X)
#undef X
    }
    {
        mw_decode_stats *d = &dst->decode;
        const mw_decode_stats *s = &src->decode;
#define X(name, desc) d->name += s->name;
        MW_DECODE_COUNTERS(X)
#undef X
    }
    {
        mw_frag_stats *d = &dst->frag;
        const mw_frag_stats *s = &src->frag;
#define X(name, desc) d->name += s->name;
        MW_FRAG_COUNTERS(X)
#undef X
    }
    {
        uint64_t peak = dst->flow.active_peak > src->flow.active_peak
                            ? dst->flow.active_peak : src->flow.active_peak;
        mw_flow_stats *d = &dst->flow;
        const mw_flow_stats *s = &src->flow;
#define X(name, desc) d->name += s->name;
        MW_FLOW_COUNTERS(X)
#undef X
        d->active_peak = peak;
    }
    {
        uint64_t peak = dst->reasm.buffer_peak_bytes > src->reasm.buffer_peak_bytes
                            ? dst->reasm.buffer_peak_bytes : src->reasm.buffer_peak_bytes;
        mw_reasm_stats *d = &dst->reasm;
        const mw_reasm_stats *s = &src->reasm;
#define X(name, desc) d->name += s->name;
        MW_REASM_COUNTERS(X)
#undef X
        d->buffer_peak_bytes = peak;
    }
    {
        mw_session_stats *d = &dst->session;
        const mw_session_stats *s = &src->session;
#define X(name, desc) d->name += s->name;
        MW_SESSION_COUNTERS(X)
#undef X
    }
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
