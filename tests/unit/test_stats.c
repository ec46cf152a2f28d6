/* Unit tests for the JSON writer (analyzer/json.h) and the counters'
 * output (analyzer/stats.h). */
#include <stdlib.h>

#include "check.h"
#include "json.h"
#include "stats.h"

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

int main(void)
{
    RUN(test_nesting_and_commas);
    RUN(test_escaping);
    RUN(test_timestamp);
    RUN(test_write_line);
    RUN(test_stats_json_and_add);
    return check_summary();
}
