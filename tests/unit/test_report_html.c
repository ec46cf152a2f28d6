/*
 * test_report_html.c - report.html from summaries: the fixture, hostile
 * strings, empty and malformed summaries.
 *
 *   test_report_html                          the unit tests
 *   test_report_html --render SUMMARY OUT     writes OUT from SUMMARY (for the
 *                                             browser test, tests/e2e)
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "common/jsonparse.h"
#include "output/report_html.h"

#define FIXTURE MW_TEST_DATA_DIR "/summary/report-fixture.json"

/* The page for a summary given as text; NULL if it does not parse or the
 * writer fails. The caller frees. */
static char *render_text(const char *json)
{
    char err[256];
    mw_jdoc *doc = mw_jdoc_parse((const uint8_t *)json, strlen(json), err, sizeof err);
    if (!doc) {
        fprintf(stderr, "parse: %s\n", err);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bool ok = f && mw_report_html_write(mw_jdoc_root(doc), f, err, sizeof err);
    if (f)
        fclose(f);
    mw_jdoc_free(doc);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *render_file(const char *path)
{
    char err[512];
    mw_jdoc *doc = mw_jdoc_load_file(path, (size_t)64 << 20, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bool ok = f && mw_report_html_write(mw_jdoc_root(doc), f, err, sizeof err);
    if (f)
        fclose(f);
    mw_jdoc_free(doc);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Case-insensitive search: "<SCRIPT" is as bad as "<script". */
static bool has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

/* An event handler attribute: " on" + letters + "=". */
static bool has_handler(const char *html)
{
    for (const char *p = html; (p = strstr(p, " on")) != NULL; p++) {
        const char *q = p + 3;
        while (isalpha((unsigned char)*q))
            q++;
        if (q > p + 3 && *q == '=')
            return true;
    }
    return false;
}

/* What every page must be: whole, self-contained, script-free. */
static void check_page(const char *html)
{
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "<meta charset=\"utf-8\">") != NULL);
    CHECK(strstr(html, "default-src 'none'") != NULL);
    CHECK(strstr(html, "</html>\n") != NULL);
    CHECK(!has_ci(html, "<script"));
    CHECK(!has_ci(html, "http://"));
    CHECK(!has_ci(html, "https://"));
    CHECK(!has_ci(html, "//fonts"));
    CHECK(!has_ci(html, "@import"));
    CHECK(!has_ci(html, "url("));
    CHECK(!has_ci(html, "javascript:"));
    CHECK(!has_handler(html)); /* no event handler attribute... */
    for (const char *s = html; *s; s++) /* ...and no raw control byte */
        CHECK((unsigned char)*s >= 0x20 || *s == '\n');
    static const char *const sections[] = {"id=\"headline\"", "id=\"timeline\"", "id=\"targets\"",
                                           "id=\"vantages\"", "id=\"forged\"", "id=\"coverage\"",
                                           "id=\"counters\""};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        CHECK_EQ_U(count(html, sections[i]), 1);
    CHECK_EQ_U(count(html, "<details"), count(html, "</details>"));
    CHECK_EQ_U(count(html, "<svg"), count(html, "</svg>"));
    CHECK_EQ_U(count(html, "<table"), count(html, "</table>"));
    CHECK_EQ_U(count(html, "<tr"), count(html, "</tr>"));
}

static void test_fixture(void)
{
    char *html = render_file(FIXTURE);
    CHECK(html != NULL);
    if (!html)
        return;
    check_page(html);
    CHECK(strstr(html, "<tr data-target=\"facebook.com\" class=\"hit\">") != NULL);
    CHECK(strstr(html, "<tr data-target=\"vk.com\" class=\"unseen\">") != NULL);
    CHECK(strstr(html, "data-k=\"intercepted\" data-v=\"15\">15</td>") != NULL);
    CHECK(strstr(html, "Interception found on 2 of 6 target domains") != NULL);
    CHECK_EQ_U(count(html, "<details class=\"forged\""), 3);
    CHECK_EQ_U(count(html, "<table class=\"chain\">"), 3);
    CHECK_EQ_U(count(html, "<table class=\"kv clone\">"), 1);
    CHECK_EQ_U(count(html, "<g class=\"transition\""), 5);
    CHECK(strstr(html, "<tr data-vantage=\"kz-inside\">") != NULL);
    CHECK(strstr(html, "id=\"timeline-chart\"") != NULL);
    CHECK(strstr(html, "id=\"targets-chart\"") != NULL);
    CHECK(strstr(html, "id=\"vantages-chart\"") != NULL);
    CHECK(strstr(html, "id=\"vantages-time-chart\"") != NULL);
    CHECK(strstr(html, "data-group=\"capture\" data-counter=\"packets\"") != NULL);
    /* Zero counters are left out. */
    CHECK(strstr(html, "data-counter=\"inputs_failed\"") == NULL);
    /* Dates on the time axis. */
    CHECK(strstr(html, "2019-07-18</text>") != NULL);
    free(html);
}

/* Wire data in every string slot the page shows. */
static void test_hostile(void)
{
    const char *evil = "\"<script>alert(1)</script>\\u0001'&\\u202e\\u0085x\"";
    /* Every @ of the template becomes the evil string. */
    static const char tmpl[] =
        "{\"summary_version\":1,\"generator\":@,\"bucket_seconds\":3600,\"inputs\":[@],"
        "\"first_ts\":\"2019-07-20T09:00:05.000000Z\",\"last_ts\":@,"
        "\"sessions\":{\"intercepted\":1,\"total\":1},\"reasons\":{@:3},"
        "\"targets\":[{\"target\":@,\"sessions\":{\"intercepted\":1},\"servers\":[@],"
        "\"servers_intercepted\":[@],\"first_intercepted\":@,\"last_intercepted\":null,"
        "\"vantages\":[@,null],\"rogue_issuers\":[@]}],"
        "\"vantages\":[{\"vantage\":@,\"sessions\":{\"intercepted\":1},\"servers\":[@],"
        "\"servers_intercepted\":[@],\"timeline\":[{\"t\":@,\"servers\":[@],"
        "\"servers_intercepted\":[]}]}],"
        "\"timeline\":[{\"t\":\"2019-07-20T09:00:00.000000Z\",\"intercepted\":1},{\"t\":@}],"
        "\"transitions\":[{\"t\":@,\"state\":@}],"
        "\"forged_certificates\":[{\"sha256\":@,\"subject\":@,\"issuer\":@,\"serial\":@,"
        "\"not_before\":@,\"san\":[@],\"key\":@,\"verdict\":@,\"sessions\":1,"
        "\"names\":[@],\"servers\":[@],\"vantages\":[@],\"first_seen\":@,"
        "\"reasons\":[@],\"traits\":[@],\"chain\":[{\"sha256\":@,\"subject\":@,"
        "\"issuer\":@}],\"clones\":{\"sha256\":@,\"subject\":@,\"issuer\":@}}],"
        "\"coverage\":{},\"limits\":{},\"counters\":{@:{@:7}}}";
    char json[16384];
    size_t o = 0;
    for (const char *p = tmpl; *p && o + strlen(evil) + 1 < sizeof json; p++) {
        if (*p == '@') {
            memcpy(json + o, evil, strlen(evil));
            o += strlen(evil);
        } else {
            json[o++] = *p;
        }
    }
    json[o] = '\0';
    char *html = render_text(json);
    CHECK(html != NULL);
    if (!html)
        return;
    check_page(html);
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;\\x01&#39;&amp;\\u{202e}\\u{0085}x") !=
          NULL);
    CHECK(strstr(html, "\xe2\x80\xae") == NULL); /* no raw RIGHT-TO-LEFT OVERRIDE */
    free(html);
}

/* Bytes that are not UTF-8 (a raw byte in the JSON text, if the parser
 * keeps it) must not reach the page as such. */
static void test_bad_utf8(void)
{
    char *html = render_text("{\"targets\":[{\"target\":\"a\\u00e9\xff\xc3\",\"sessions\":"
                             "{\"clean\":1}}]}");
    if (!html) /* a parser that refuses them is fine too */
        return;
    check_page(html);
    CHECK(strstr(html, "a\xc3\xa9\\xff\\xc3") != NULL);
    free(html);
}

static void test_empty(void)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "null",
        "\"summary\"",
        "{\"summary_version\":1,\"generator\":\"mitmwatch 0.1.0\",\"bucket_seconds\":3600,"
        "\"inputs\":[],\"first_ts\":null,\"last_ts\":null,\"sessions\":{\"intercepted\":0,"
        "\"suspicious\":0,\"clean\":0,\"opaque\":0,\"incomplete\":0,\"total\":0},\"reasons\":{},"
        "\"targets\":[{\"target\":\"facebook.com\",\"sessions\":{\"intercepted\":0,\"suspicious\":0,"
        "\"clean\":0,\"opaque\":0,\"incomplete\":0},\"servers\":[],\"servers_intercepted\":[],"
        "\"first_intercepted\":null,\"last_intercepted\":null,\"vantages\":[],\"rogue_issuers\":[]}],"
        "\"vantages\":[],\"timeline\":[],\"transitions\":[],\"forged_certificates\":[],"
        "\"coverage\":{\"sessions\":0},\"limits\":{\"set_overflow\":0,\"forged_overflow\":0,"
        "\"buckets_overflow\":0},\"counters\":{}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char *html = render_text(docs[i]);
        CHECK(html != NULL);
        if (!html)
            continue;
        check_page(html);
        CHECK(strstr(html, "No target domain was intercepted") != NULL);
        CHECK(strstr(html, "No target session: nothing to draw.") != NULL);
        free(html);
    }
}

/* Members of the wrong type, absurd numbers and times: a page, no crash. */
static void test_malformed(void)
{
    static const char *const docs[] = {
        "{\"targets\":7,\"vantages\":{\"a\":1},\"timeline\":\"x\",\"transitions\":[1,[],{}],"
        "\"forged_certificates\":[1,null,{\"chain\":{},\"clones\":[]}],\"counters\":[1],"
        "\"coverage\":[],\"reasons\":[1],\"sessions\":\"lots\",\"inputs\":{\"a\":[1]}}",
        "{\"bucket_seconds\":0,\"timeline\":[{\"t\":\"0000-01-01T00:00:00Z\",\"intercepted\":1},"
        "{\"t\":\"9999-12-31T23:59:60.999999Z\",\"clean\":18446744073709551615},"
        "{\"t\":\"2019-13-01T00:00:00Z\",\"opaque\":-5},{\"t\":12,\"clean\":1.5}],"
        "\"transitions\":[{\"t\":\"0000-01-01T00:00:00Z\",\"state\":\"on\"},"
        "{\"t\":\"5000-01-01T00:00:00Z\",\"state\":\"sideways\"}],"
        "\"vantages\":[{\"vantage\":null,\"timeline\":[{\"t\":\"2019-07-20T09:00:00Z\","
        "\"servers\":[1,2,3],\"servers_intercepted\":[1,2,3,4,5]}]}]}",
        "{\"bucket_seconds\":18446744073709551615,\"timeline\":[{\"t\":\"2019-07-20T09:00:00Z\","
        "\"intercepted\":18446744073709551615,\"clean\":18446744073709551615}],"
        "\"targets\":[{\"target\":null,\"sessions\":{\"intercepted\":18446744073709551615,"
        "\"clean\":18446744073709551615}}]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char *html = render_text(docs[i]);
        CHECK(html != NULL);
        if (html)
            check_page(html);
        free(html);
    }
}

/* A write error is reported, not ignored. */
static void test_write_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        return;
    char err[128] = "";
    mw_jdoc *doc = mw_jdoc_parse((const uint8_t *)"{}", 2, err, sizeof err);
    CHECK(doc != NULL);
    CHECK(!mw_report_html_write(mw_jdoc_root(doc), f, err, sizeof err));
    CHECK(strstr(err, "failed") != NULL);
    fclose(f);
    mw_jdoc_free(doc);
}

static int render(const char *in, const char *out_path)
{
    char *html = render_file(in);
    if (!html)
        return 1;
    FILE *f = fopen(out_path, "w");
    bool ok = f && fputs(html, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    free(html);
    if (!ok) {
        fprintf(stderr, "%s: cannot write\n", out_path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--render") == 0)
        return render(argv[2], argv[3]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--render SUMMARY.json OUT.html]\n", argv[0]);
        return 2;
    }
    RUN(test_fixture);
    RUN(test_hostile);
    RUN(test_bad_utf8);
    RUN(test_empty);
    RUN(test_malformed);
    RUN(test_write_error);
    return check_summary();
}
