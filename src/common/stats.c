/*
 * stats.c - printing and summing the counters of stats.h.
 */
#include "common/stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

void mw_stats_add(mw_stats *dst, const mw_stats *src)
{
    /* Peak counters are maxima, not sums, when workers are combined. */
    uint64_t flow_peak = dst->flow.active_peak > src->flow.active_peak
                             ? dst->flow.active_peak : src->flow.active_peak;
    uint64_t buffer_peak = dst->reasm.buffer_peak_bytes > src->reasm.buffer_peak_bytes
                               ? dst->reasm.buffer_peak_bytes : src->reasm.buffer_peak_bytes;
#define X(name, desc) d->name += s->name;
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        type *d = &dst->field;                                               \
        const type *s = &src->field;                                         \
        list(X)                                                              \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
    dst->flow.active_peak = flow_peak;
    dst->reasm.buffer_peak_bytes = buffer_peak;
}

void mw_stats_write_json_members(const mw_stats *st, mw_json *j)
{
#define X(name, desc) mw_json_kv_uint(j, #name, g->name);
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        const type *g = &st->field;                                          \
        mw_json_key(j, key);                                                 \
        mw_json_object_begin(j);                                             \
        list(X)                                                              \
        mw_json_object_end(j);                                               \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
}

/* One counter of a group read back from JSON; absent reads as zero. */
static bool counter_from_json(const mw_jv *group, const char *gkey, const char *name,
                              uint64_t *out, char *err, size_t errlen)
{
    const mw_jv *v = mw_jv_get(group, name);
    if (!v)
        return true;
    if (!mw_jv_u64(v, out)) {
        if (err && errlen)
            snprintf(err, errlen, "%s.%s: not a non-negative integer", gkey, name);
        return false;
    }
    return true;
}

bool mw_stats_add_json(mw_stats *dst, const mw_jv *obj, char *err, size_t errlen)
{
    /* Read everything into a zeroed mw_stats first, then let mw_stats_add
     * sum it: the peak rule stays in one place, and a bad counter leaves
     * dst untouched. */
    mw_stats src;
    memset(&src, 0, sizeof src);
    if (mw_jv_type_of(obj) != MW_JV_OBJECT) {
        if (err && errlen)
            snprintf(err, errlen, "statistics: not an object");
        return false;
    }
#define X(name, desc)                                                        \
    if (!counter_from_json(g, gkey, #name, &s->name, err, errlen))           \
        return false;
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        type *s = &src.field;                                                \
        const char *gkey = key;                                              \
        const mw_jv *g = mw_jv_get(obj, gkey);                               \
        if (g && mw_jv_type_of(g) != MW_JV_OBJECT) {                         \
            if (err && errlen)                                               \
                snprintf(err, errlen, "%s: not an object", gkey);            \
            return false;                                                    \
        }                                                                    \
        list(X)                                                              \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
    mw_stats_add(dst, &src);
    return true;
}

void mw_stats_write_text(const mw_stats *st, FILE *out)
{
    /* Only non-zero counters: a clean run stays short, and anything
     * skipped or dropped stands out. */
#define X(name, desc)                                                        \
    if (g->name)                                                             \
        fprintf(out, "  %-14" PRIu64 " %s\n", g->name, desc);
#define NONZERO(name, desc) any |= g->name != 0;
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        const type *g = &st->field;                                          \
        bool any = false;                                                    \
        list(NONZERO)                                                        \
        if (any)                                                             \
            fprintf(out, "%s:\n", heading);                                  \
        list(X)                                                              \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef NONZERO
#undef X
}
