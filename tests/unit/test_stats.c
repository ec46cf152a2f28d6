/* Unit tests for the JSON writer (src/common/json.h) and the counters'
 * output (src/common/stats.h). */
#include <stdlib.h>

#include "check.h"
#include "common/json.h"
#include "common/jsonparse.h"
#include "common/stats.h"

static void test_nesting_and_commas(void)
{
    mw_json j;
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_json_kv_string(&j, "a", "x");
    mw_json_key(&j, "b");
    mw_json_array_begin(&j);
    mw_json_uint(&j, 1);
    mw_json_int(&j, -2);
    mw_json_bool(&j, true);
    mw_json_null(&j);
    mw_json_object_begin(&j);
    mw_json_object_end(&j);
    mw_json_array_end(&j);
    mw_json_kv_null(&j, "c");
    mw_json_kv_string(&j, "d", NULL);
    mw_json_object_end(&j);
    CHECK_EQ_S(mw_json_text(&j),
               "{\"a\":\"x\",\"b\":[1,-2,true,null,{}],\"c\":null,\"d\":null}");
    mw_json_free(&j);
}

static void test_escaping(void)
{
    mw_json j;
    mw_json_init(&j);
    /* quote, backslash, newline, NUL, DEL, valid 2- and 3-byte UTF-8
     * (é, €), an invalid byte 0xff, a truncated sequence 0xe2 0x82, an
     * overlong '/' (0xc0 0xaf), and a UTF-16 surrogate (0xed 0xa0 0x80). */
    static const char in[] = "q\"b\\n\n\0\x7f" "\xc3\xa9" "\xe2\x82\xac"
                             "\xff" "\xe2\x82" "\xc0\xaf" "\xed\xa0\x80";
    mw_json_string_n(&j, in, sizeof in - 1);
    CHECK_EQ_S(mw_json_text(&j),
               "\"q\\\"b\\\\n\\u000a\\u0000\\u007f\xc3\xa9\xe2\x82\xac"
               "\\\\xff\\\\xe2\\\\x82\\\\xc0\\\\xaf\\\\xed\\\\xa0\\\\x80\"");
    mw_json_free(&j);
}

static void test_timestamp(void)
{
    char b[MW_TIMESTAMP_LEN];
    /* 2019-07-21 09:30:00 UTC is 1563701400 (date -u -d @1563701400). */
    CHECK_EQ_S(mw_format_timestamp(1563701400ull * 1000000u + 123456u, b, sizeof b),
               "2019-07-21T09:30:00.123456Z");
    CHECK_EQ_S(mw_format_timestamp(0, b, sizeof b), "1970-01-01T00:00:00.000000Z");
}

static void test_write_line(void)
{
    mw_json j;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_json_kv_uint(&j, "n", 7);
    mw_json_object_end(&j);
    CHECK(mw_json_write_line(&j, f));
    /* An unbalanced record is refused, not written half-way. */
    mw_json_object_begin(&j);
    CHECK(!mw_json_write_line(&j, f));
    fclose(f);
    CHECK_EQ_S(text, "{\"n\":7}\n");
    free(text);
    mw_json_free(&j);
}

static void test_stats_json_and_add(void)
{
    mw_stats a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.capture.packets = 10;
    b.capture.packets = 5;
    a.flow.active_peak = 7;
    b.flow.active_peak = 3;
    a.reasm.buffer_peak_bytes = 100;
    b.reasm.buffer_peak_bytes = 400;
    b.reasm.overlaps_inconsistent = 2;
    mw_stats_add(&a, &b);
    CHECK_EQ_U(a.capture.packets, 15);
    CHECK_EQ_U(a.flow.active_peak, 7);        /* max, not sum */
    CHECK_EQ_U(a.reasm.buffer_peak_bytes, 400);
    CHECK_EQ_U(a.reasm.overlaps_inconsistent, 2);

    mw_json j;
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_stats_write_json_members(&a, &j);
    mw_json_object_end(&j);
    const char *t = mw_json_text(&j);
    CHECK(strncmp(t, "{\"capture\":{\"inputs_opened\":0,", 30) == 0);
    CHECK(strstr(t, "\"packets\":15,") != NULL);
    CHECK(strstr(t, "\"tcp_reassembly\":{") != NULL);
    CHECK(strstr(t, "\"overlaps_inconsistent\":2,") != NULL);
    CHECK(strstr(t, "\"active_peak\":7,") != NULL);
    mw_json_free(&j);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mw_stats_write_text(&a, f);
    fclose(f);
    CHECK(strstr(text, "  15             packets read\n") != NULL);
    /* Zero counters are left out of the text report. */
    CHECK(strstr(text, "gaps skipped") == NULL);
    free(text);
}

/* Gives every counter of st a distinct value from seed on. */
static void fill_distinct(mw_stats *st, uint64_t seed)
{
    uint64_t v = seed;
#define X(name, desc) g->name = v++;
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        type *g = &st->field;                                                \
        list(X)                                                              \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
}

/* Compares every counter, naming the first that differs. */
static int stats_equal(const mw_stats *a, const mw_stats *b)
{
    int same = 1;
#define X(name, desc)                                                        \
    if (same && ga->name != gb->name) {                                      \
        fprintf(stderr, "%s.%s: %" PRIu64 " != %" PRIu64 "\n", key_, #name,   \
                ga->name, gb->name);                                         \
        same = 0;                                                            \
    }
#define GROUP(field, type, key, heading, list)                               \
    {                                                                        \
        const char *key_ = key;                                              \
        const type *ga = &a->field;                                          \
        const type *gb = &b->field;                                          \
        list(X)                                                              \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
    return same;
}

/* The stats of st as a parsed JSON object, as the final stats line has. */
static mw_jdoc *stats_doc(const mw_stats *st)
{
    mw_json j;
    char err[256] = "";
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_stats_write_json_members(st, &j);
    mw_json_object_end(&j);
    const char *t = mw_json_text(&j);
    mw_jdoc *d = mw_jdoc_parse((const uint8_t *)t, strlen(t), err, sizeof err);
    CHECK_EQ_S(err, "");
    mw_json_free(&j);
    return d;
}

static mw_jdoc *parse_s(const char *s)
{
    char err[256] = "";
    mw_jdoc *d = mw_jdoc_parse((const uint8_t *)s, strlen(s), err, sizeof err);
    CHECK_EQ_S(err, "");
    return d;
}

static void test_stats_add_json(void)
{
    mw_stats a, b, want;
    char err[256] = "";
    fill_distinct(&a, 1000);
    fill_distinct(&b, 5);
    a.capture.packets = UINT64_MAX - 5; /* a 64-bit counter reads back exactly */
    b.capture.packets = 5;
    /* Peaks: one larger on each side. */
    a.flow.active_peak = 100;
    b.flow.active_peak = 7;
    a.reasm.buffer_peak_bytes = 3;
    b.reasm.buffer_peak_bytes = 4096;

    want = b;
    mw_stats_add(&want, &a);
    mw_jdoc *d = stats_doc(&a);
    CHECK(mw_stats_add_json(&b, mw_jdoc_root(d), err, sizeof err));
    CHECK_EQ_S(err, "");
    CHECK(stats_equal(&b, &want));
    CHECK_EQ_U(b.capture.packets, UINT64_MAX);
    CHECK_EQ_U(b.flow.active_peak, 100);        /* max, not sum */
    CHECK_EQ_U(b.reasm.buffer_peak_bytes, 4096);
    CHECK_EQ_U(b.capture.inputs_opened, 1005); /* the first counters: 1000 + 5 */

    /* Into zeroed stats: an exact copy. */
    mw_stats z;
    memset(&z, 0, sizeof z);
    CHECK(mw_stats_add_json(&z, mw_jdoc_root(d), err, sizeof err));
    CHECK(stats_equal(&z, &a));
    mw_jdoc_free(d);
}

static void test_stats_add_json_tolerant(void)
{
    /* Unknown groups and counters are a newer version's: ignored. Absent
     * ones are zero. Peaks in a lone JSON object still take the max. */
    mw_stats st, want;
    char err[256] = "";
    memset(&st, 0, sizeof st);
    st.capture.packets = 1;
    st.flow.active_peak = 50;
    want = st;
    want.capture.packets = 11;
    want.flow.created = 3;
    want.reasm.buffer_peak_bytes = 9;
    mw_jdoc *d = parse_s("{\"capture\":{\"packets\":10,\"future\":\"x\"},"
                         "\"flows\":{\"created\":3,\"active_peak\":20},"
                         "\"tcp_reassembly\":{\"buffer_peak_bytes\":9},"
                         "\"quantum\":{\"qubits\":-1},\"version\":2}");
    CHECK(mw_stats_add_json(&st, mw_jdoc_root(d), err, sizeof err));
    CHECK(stats_equal(&st, &want));
    mw_jdoc_free(d);
    /* An empty object adds nothing. */
    d = parse_s("{}");
    CHECK(mw_stats_add_json(&st, mw_jdoc_root(d), err, sizeof err));
    CHECK(stats_equal(&st, &want));
    mw_jdoc_free(d);
}

static void test_stats_add_json_errors(void)
{
    /* A bad counter is named, and nothing at all is added. */
    static const char *bad[] = {
        "{\"capture\":{\"packets\":1},\"flows\":{\"created\":-1}}",
        "{\"capture\":{\"packets\":1},\"flows\":{\"created\":1.5}}",
        "{\"capture\":{\"packets\":1},\"flows\":{\"created\":1e2}}",
        "{\"capture\":{\"packets\":1},\"flows\":{\"created\":\"3\"}}",
        "{\"capture\":{\"packets\":1},\"flows\":{\"created\":null}}",
    };
    mw_stats st, before;
    char err[256];
    fill_distinct(&st, 1);
    before = st;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mw_jdoc *d = parse_s(bad[k]);
        err[0] = '\0';
        CHECK(!mw_stats_add_json(&st, mw_jdoc_root(d), err, sizeof err));
        CHECK_EQ_S(err, "flows.created: not a non-negative integer");
        CHECK(stats_equal(&st, &before));
        mw_jdoc_free(d);
    }
    mw_jdoc *d = parse_s("{\"tcp_reassembly\":[1]}");
    CHECK(!mw_stats_add_json(&st, mw_jdoc_root(d), err, sizeof err));
    CHECK_EQ_S(err, "tcp_reassembly: not an object");
    mw_jdoc_free(d);
    d = parse_s("[]");
    CHECK(!mw_stats_add_json(&st, mw_jdoc_root(d), err, sizeof err));
    CHECK_EQ_S(err, "statistics: not an object");
    mw_jdoc_free(d);
    CHECK(!mw_stats_add_json(&st, NULL, NULL, 0));
    CHECK(stats_equal(&st, &before));
}

int main(void)
{
    RUN(test_nesting_and_commas);
    RUN(test_escaping);
    RUN(test_timestamp);
    RUN(test_write_line);
    RUN(test_stats_json_and_add);
    RUN(test_stats_add_json);
    RUN(test_stats_add_json_tolerant);
    RUN(test_stats_add_json_errors);
    return check_summary();
}
