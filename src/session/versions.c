/* versions.c - judging both versions of a TCP handshake (versions.h). */
#include "session/versions.h"

#include <inttypes.h>
#include <stdio.h>

#include "flow/reasm.h"

mw_tls_session *mw_versions_parse(const mw_flow *flow, const uint32_t start[2],
                                  const bool found[2], int client_dir,
                                  const mw_tls_limits *lim)
{
    mw_cursor alt;
    if (!mw_reasm_alt_view(&flow->stream[0], &alt) && !mw_reasm_alt_view(&flow->stream[1], &alt))
        return NULL;
    mw_tls_session *t = mw_tls_new(lim);
    if (!t)
        return NULL;
    /* Twice over both directions: a parse of one may wait for the other
     * (the dissector takes the whole view each time and resumes). */
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 2; k++) {
            int dir = k == 0 ? client_dir : !client_dir;
            if (!found[dir])
                continue;
            mw_cursor view;
            if (!mw_reasm_alt_view(&flow->stream[dir], &view))
                view = mw_reasm_view(&flow->stream[dir]);
            if (!mw_cursor_skip(&view, start[dir]))
                continue;
            (void)mw_tls_feed(t, dir == client_dir ? 0 : 1, &view, 0);
        }
    }
    return t;
}

static int rank(mw_verdict_kind k)
{
    switch (k) {
    case MW_VERDICT_INTERCEPTED: return 5;
    case MW_VERDICT_SUSPICIOUS: return 4;
    case MW_VERDICT_UNTRUSTED: return 3;
    case MW_VERDICT_CLEAN: return 2;
    case MW_VERDICT_OPAQUE: return 1;
    case MW_VERDICT_INCOMPLETE: return 0;
    }
    return 0;
}

bool mw_versions_worse(mw_verdict_kind a, mw_verdict_kind b)
{
    return rank(b) > rank(a);
}

void mw_versions_text(const mw_flow *flow, mw_verdict_kind first, mw_verdict_kind second,
                      char *buf, size_t n)
{
    static const char *const names[2] = {"to_server", "to_client"};
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < 2 && used < n; d++) {
        if (!flow->stream[d].alt)
            continue;
        int k = snprintf(buf + used, n - used, "%s%s", used ? " and " : "", names[d]);
        if (k < 0)
            return;
        used += (size_t)k;
        if (used >= n)
            return;
        k = snprintf(buf + used, n - used, " from stream offset %" PRIu32,
                     flow->stream[d].alt_from);
        if (k < 0)
            return;
        used += (size_t)k;
    }
    if (used >= n)
        return;
    (void)snprintf(buf + used, n - used,
                   ": two versions (a differing copy with a right checksum and the "
                   "direction's TTL), both judged: first %s, second %s; the %s reported",
                   mw_verdict_name(first), mw_verdict_name(second),
                   mw_versions_worse(first, second) ? "second" : "first");
}
