/* versions.c - judging both versions of a TCP handshake (versions.h). */
#include "session/versions.h"

#include <inttypes.h>
#include <stdio.h>

#include "flow/reasm.h"

int mw_versions_hello_type(const mw_cursor *stream, uint32_t start)
{
    uint8_t first = 0, type = 0;
    (void)mw_cursor_peek_u8(stream, start, &first);
    if (first != 0x16)
        return 1;
    (void)mw_cursor_peek_u8(stream, start + 5, &type);
    return type;
}

/* Direction dir as this version has it, cut at cut bytes. */
static mw_cursor version_view(const mw_flow *flow, int dir, uint32_t cut)
{
    mw_cursor view;
    if (!mw_reasm_alt_view(&flow->stream[dir], &view))
        view = mw_reasm_view(&flow->stream[dir]);
    mw_cursor head;
    if (mw_cursor_len(&view) > cut && mw_cursor_get_bytes(&view, &head, cut))
        return head;
    return view;
}

/* The first handshake start in [0, scan_bytes) of a view: only offset 0
 * may hold an SSLv2 hello, later a record starts with 0x16. */
static bool find_start(const mw_cursor *view, size_t scan_bytes, uint32_t *out)
{
    size_t len = mw_cursor_len(view);
    size_t limit = len < scan_bytes ? len : scan_bytes;
    size_t at = 0;
    while (at < limit) {
        if (at > 0 && !mw_cursor_find_u8(view, at, limit, 0x16, &at))
            return false;
        mw_cursor probe = *view;
        (void)mw_cursor_skip(&probe, at);
        if (mw_cursor_len(&probe) >= 6 && mw_tls_looks_like_handshake(&probe)) {
            *out = (uint32_t)at;
            return true;
        }
        at++;
    }
    return false;
}

mw_tls_session *mw_versions_parse(const mw_flow *flow, mw_versions_start *at,
                                  const uint32_t cut[2], size_t scan_bytes,
                                  const mw_tls_limits *lim, bool *final)
{
    mw_cursor alt;
    *final = true;
    if (!mw_reasm_alt_view(&flow->stream[0], &alt) && !mw_reasm_alt_view(&flow->stream[1], &alt))
        return NULL;
    bool none_before = !at->found[0] && !at->found[1];
    for (int dir = 0; dir < 2; dir++) {
        if (at->found[dir])
            continue;
        mw_cursor view = version_view(flow, dir, cut[dir]);
        at->found[dir] = find_start(&view, scan_bytes, &at->start[dir]);
    }
    if (!at->found[0] && !at->found[1])
        return NULL;
    if (none_before) {
        /* As the first version does: the first hello says who the client
         * is; the flow's guess (to_server) is tried first. */
        int dir = at->found[0] ? 0 : 1;
        mw_cursor view = version_view(flow, dir, cut[dir]);
        at->client_dir = mw_versions_hello_type(&view, at->start[dir]) == 2 ? !dir : dir;
    }
    mw_tls_session *t = mw_tls_new(lim);
    if (!t)
        return NULL;
    /* Twice over both directions: a parse of one may wait for the other
     * (the dissector takes the whole view each time and resumes). */
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 2; k++) {
            int dir = k == 0 ? at->client_dir : !at->client_dir;
            if (!at->found[dir])
                continue;
            mw_cursor view = version_view(flow, dir, cut[dir]);
            if (!mw_cursor_skip(&view, at->start[dir]))
                continue;
            (void)mw_tls_feed(t, dir == at->client_dir ? 0 : 1, &view, 0);
        }
    }
    *final = mw_tls_status_of(t) != MW_TLS_NEED_MORE;
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

bool mw_versions_second_decides(const mw_verdict *a, const mw_verdict *b)
{
    if (a->kind != b->kind)
        return mw_versions_worse(a->kind, b->kind);
    return b->n_reasons > a->n_reasons;
}

void mw_versions_text(const mw_flow *flow, mw_verdict_kind first, mw_verdict_kind second,
                      bool second_reported, char *buf, size_t n)
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
                   second_reported ? "second" : "first");
}
