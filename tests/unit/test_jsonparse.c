/* Unit tests for the JSON reader (src/common/jsonparse.h), and json.h's UTF-8
 * validator and timestamps, which the reader's callers share. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "common/json.h"
#include "common/jsonparse.h"

static mw_jdoc *parse_s(const char *s, char *err, size_t errlen)
{
    return mw_jdoc_parse((const uint8_t *)s, strlen(s), err, errlen);
}

/* True when s is refused; the message must carry a position. */
static int refused(const char *s)
{
    char err[256] = "";
    mw_jdoc *d = parse_s(s, err, sizeof err);
    if (d) {
        mw_jdoc_free(d);
        return 0;
    }
    if (strncmp(err, "line ", 5) != 0) {
        fprintf(stderr, "error without a position for %s: %s\n", s, err);
        return 0;
    }
    return 1;
}

/* The error for s ("" if it parsed). */
static const char *error_of(const char *s, char *err, size_t errlen)
{
    mw_jdoc *d = parse_s(s, err, errlen);
    if (d) {
        mw_jdoc_free(d);
        err[0] = '\0';
    }
    return err;
}

static void test_nested(void)
{
    char err[256] = "";
    const char *text =
        " {\"name\": \"a\", \"list\": [1, -2.5, true, false, null, [], {}],\n"
        "  \"obj\": {\"x\": {\"y\": [\"deep\"]}}, \"last\": \"second\"}\r\n\t";
    mw_jdoc *d = parse_s(text, err, sizeof err);
    CHECK(d != NULL);
    CHECK_EQ_S(err, "");
    const mw_jv *r = mw_jdoc_root(d);
    CHECK_EQ_U(mw_jv_type_of(r), MW_JV_OBJECT);
    CHECK_EQ_U(mw_jv_len(r), 4);
    CHECK_EQ_S(mw_jv_key_at(r, 0), "name");
    CHECK_EQ_S(mw_jv_key_at(r, 3), "last");
    CHECK(mw_jv_key_at(r, 4) == NULL);
    /* Members keep the document's order. */
    CHECK_EQ_S(mw_jv_str(mw_jv_get(r, "name"), NULL), "a");
    CHECK_EQ_S(mw_jv_str(mw_jv_at(r, 3), NULL), "second");

    const mw_jv *list = mw_jv_get(r, "list");
    CHECK_EQ_U(mw_jv_type_of(list), MW_JV_ARRAY);
    CHECK_EQ_U(mw_jv_len(list), 7);
    uint64_t u = 0;
    double dv = 0;
    bool b = false;
    CHECK(mw_jv_u64(mw_jv_at(list, 0), &u));
    CHECK_EQ_U(u, 1);
    CHECK(mw_jv_double(mw_jv_at(list, 1), &dv));
    CHECK(dv == -2.5);
    CHECK(mw_jv_bool(mw_jv_at(list, 2), &b) && b);
    CHECK(mw_jv_bool(mw_jv_at(list, 3), &b) && !b);
    CHECK_EQ_U(mw_jv_type_of(mw_jv_at(list, 4)), MW_JV_NULL);
    CHECK_EQ_U(mw_jv_type_of(mw_jv_at(list, 5)), MW_JV_ARRAY);
    CHECK_EQ_U(mw_jv_len(mw_jv_at(list, 5)), 0);
    CHECK_EQ_U(mw_jv_type_of(mw_jv_at(list, 6)), MW_JV_OBJECT);
    CHECK_EQ_U(mw_jv_len(mw_jv_at(list, 6)), 0);
    CHECK(mw_jv_at(list, 7) == NULL);
    /* Arrays have no names. */
    CHECK(mw_jv_key_at(list, 0) == NULL);
    CHECK(mw_jv_get(list, "0") == NULL);

    const mw_jv *deep = mw_jv_get(mw_jv_get(mw_jv_get(r, "obj"), "x"), "y");
    CHECK_EQ_S(mw_jv_str(mw_jv_at(deep, 0), NULL), "deep");
    mw_jdoc_free(d);

    /* A duplicate name is refused, at any depth: readers that keep the
     * first and readers that keep the last would see different files.
     * The position is the end of the second "k" (columns 16-18). */
    CHECK_EQ_S(error_of("{\"name\": \"a\",\n \"o\": {\"k\": 1, \"k\": 2}}", err, sizeof err),
               "line 2, column 18: duplicate object key near '\"k\"'");
    CHECK(refused("[{\"a\":1,\"b\":2,\"a\":1}]"));
}

static void test_null_accessors(void)
{
    /* A chain of lookups needs one check at the end. */
    uint64_t u = 7;
    int64_t i = 7;
    double dv = 7;
    bool b = true;
    size_t len = 7;
    CHECK(mw_jdoc_root(NULL) == NULL);
    CHECK_EQ_U(mw_jv_type_of(NULL), MW_JV_NULL);
    CHECK(mw_jv_get(mw_jv_get(NULL, "a"), "b") == NULL);
    CHECK_EQ_U(mw_jv_len(NULL), 0);
    CHECK(mw_jv_at(NULL, 0) == NULL);
    CHECK(mw_jv_key_at(NULL, 0) == NULL);
    CHECK(mw_jv_str(NULL, &len) == NULL);
    CHECK_EQ_U(len, 0);
    CHECK(!mw_jv_bool(NULL, &b));
    CHECK(!mw_jv_u64(NULL, &u));
    CHECK(!mw_jv_i64(NULL, &i));
    CHECK(!mw_jv_double(NULL, &dv));
    CHECK_EQ_U(u, 7);
    mw_jdoc_free(NULL);

    /* Wrong types answer "absent" too. */
    char err[128];
    mw_jdoc *d = parse_s("[\"1\", 1, true]", err, sizeof err);
    const mw_jv *r = mw_jdoc_root(d);
    CHECK(!mw_jv_u64(mw_jv_at(r, 0), &u));
    CHECK(mw_jv_str(mw_jv_at(r, 1), NULL) == NULL);
    CHECK(!mw_jv_bool(mw_jv_at(r, 1), &b));
    CHECK(!mw_jv_double(mw_jv_at(r, 2), &dv));
    CHECK_EQ_U(mw_jv_len(mw_jv_at(r, 0)), 0);
    mw_jdoc_free(d);
}

static void test_escapes(void)
{
    char err[256] = "";
    mw_jdoc *d = parse_s("\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\tu\\u0041\\u00e9\\u20ac\"",
                         err, sizeof err);
    CHECK(d != NULL);
    size_t len = 0;
    const char *s = mw_jv_str(mw_jdoc_root(d), &len);
    static const char want[] = "q\"b\\s/b\bf\fn\nr\rt\tuA\xc3\xa9\xe2\x82\xac";
    CHECK_EQ_U(len, sizeof want - 1);
    CHECK(s && memcmp(s, want, sizeof want) == 0); /* NUL terminator included */
    mw_jdoc_free(d);

    /* Surrogate pairs to exact UTF-8: U+1F600 and U+10FFFF (the highest),
     * U+10000 (the lowest); hex digits of either case. */
    d = parse_s("\"\\ud83d\\uDE00|\\uDBFF\\uDFFF|\\uD800\\uDC00\"", err, sizeof err);
    CHECK(d != NULL);
    s = mw_jv_str(mw_jdoc_root(d), &len);
    static const char pairs[] = "\xf0\x9f\x98\x80|\xf4\x8f\xbf\xbf|\xf0\x90\x80\x80";
    CHECK_EQ_U(len, sizeof pairs - 1);
    CHECK(s && memcmp(s, pairs, sizeof pairs) == 0);
    mw_jdoc_free(d);

    /* Raw UTF-8 (2, 3 and 4 bytes) passes through unchanged. */
    d = parse_s("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", err, sizeof err);
    CHECK(d != NULL);
    CHECK_EQ_S(mw_jv_str(mw_jdoc_root(d), NULL), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    mw_jdoc_free(d);

    CHECK(refused("\"\\u0000\""));
    CHECK(refused("\"\\ud83d\""));        /* lone high surrogate */
    CHECK(refused("\"\\ud83dx\""));
    CHECK(refused("\"\\ud83d\\u0041\"")); /* high followed by a non-low */
    CHECK(refused("\"\\ud83d\\ud83d\""));
    CHECK(refused("\"\\ude00\""));        /* lone low surrogate */
    CHECK(refused("\"\\u12\""));
    CHECK(refused("\"\\u12g4\""));
    CHECK(refused("\"\\x41\""));
    CHECK(refused("\"\\'\""));
    CHECK(refused("\"a\nb\""));           /* raw control characters */
    CHECK(refused("\"a\tb\""));
    CHECK(refused("\"\x1f\""));
    CHECK(!refused("\"\x7f\""));          /* DEL is not a control for JSON */
    /* Invalid UTF-8: a stray continuation, an overlong '/', a truncated
     * sequence, an encoded surrogate, past U+10FFFF, 0xff. */
    CHECK(refused("\"\x80\""));
    CHECK(refused("\"\xc0\xaf\""));
    CHECK(refused("\"\xe0\x80\xaf\""));
    CHECK(refused("\"\xe2\x82\""));
    CHECK(refused("\"\xed\xa0\x80\""));
    CHECK(refused("\"\xf4\x90\x80\x80\""));
    CHECK(refused("\"\xf0\x8f\xbf\xbf\""));
    CHECK(refused("\"\xff\""));
    CHECK(refused("\xc3\xa9"));           /* outside a string */
    CHECK(refused("\xef\xbb\xbf{}"));     /* a byte order mark */
}

static void test_numbers(void)
{
    char err[256];
    uint64_t u = 0;
    int64_t i = 0;
    double dv = 0;
    mw_jdoc *d = parse_s("[18446744073709551615, 18446744073709551615e0, -0, 1e3, 0, "
                         "9223372036854775807, -9223372036854775808, "
                         "-9223372036854775808.0, 1.5E-2, -12, 1e-400, 0.0]",
                         err, sizeof err);
    CHECK(d != NULL);
    const mw_jv *r = mw_jdoc_root(d);

    CHECK(mw_jv_u64(mw_jv_at(r, 0), &u));
    CHECK_EQ_U(u, UINT64_MAX);
    CHECK(!mw_jv_i64(mw_jv_at(r, 0), &i));
    u = 5;
    CHECK(!mw_jv_u64(mw_jv_at(r, 1), &u)); /* written as a real: refused, untouched */
    CHECK_EQ_U(u, 5);
    CHECK(mw_jv_double(mw_jv_at(r, 1), &dv));
    CHECK(dv == 18446744073709551616.0); /* the nearest double, 2^64 */

    /* -0: an integer of value zero (jansson's integers have no sign of
     * zero, so as a double it is +0). */
    CHECK(mw_jv_u64(mw_jv_at(r, 2), &u));
    CHECK_EQ_U(u, 0);
    i = 9;
    CHECK(mw_jv_i64(mw_jv_at(r, 2), &i));
    CHECK(i == 0);
    CHECK(mw_jv_double(mw_jv_at(r, 2), &dv));
    CHECK(dv == 0.0);

    /* 1e3 is a thousand, but not written as an integer. */
    CHECK(!mw_jv_u64(mw_jv_at(r, 3), &u));
    CHECK(!mw_jv_i64(mw_jv_at(r, 3), &i));
    CHECK(mw_jv_double(mw_jv_at(r, 3), &dv));
    CHECK(dv == 1000.0);

    CHECK(mw_jv_u64(mw_jv_at(r, 4), &u));
    CHECK_EQ_U(u, 0);
    CHECK(mw_jv_i64(mw_jv_at(r, 5), &i));
    CHECK(i == INT64_MAX);
    CHECK(mw_jv_i64(mw_jv_at(r, 6), &i));
    CHECK(i == INT64_MIN);
    CHECK(!mw_jv_u64(mw_jv_at(r, 6), &u));
    CHECK(!mw_jv_i64(mw_jv_at(r, 7), &i)); /* a real, even if integral */
    CHECK(mw_jv_double(mw_jv_at(r, 7), &dv));
    CHECK(dv == -9223372036854775808.0);
    CHECK(mw_jv_double(mw_jv_at(r, 8), &dv));
    CHECK(dv == 0.015);
    CHECK(!mw_jv_u64(mw_jv_at(r, 9), &u));
    CHECK(mw_jv_i64(mw_jv_at(r, 9), &i));
    CHECK(i == -12);
    CHECK(mw_jv_double(mw_jv_at(r, 10), &dv)); /* underflow: the nearest double */
    CHECK(dv == 0.0);
    CHECK(!mw_jv_u64(mw_jv_at(r, 11), &u));     /* 0.0 has a fraction */
    mw_jdoc_free(d);

    /* Past every integer type, or past double's range: the whole text is
     * refused, with the place (the end of the number). */
    CHECK_EQ_S(error_of("[1,\n 18446744073709551616]", err, sizeof err),
               "line 2, column 21: too big integer near '18446744073709551616'");
    CHECK_EQ_S(error_of("[-9223372036854775809]", err, sizeof err),
               "line 1, column 21: too big negative integer near '-9223372036854775809'");
    CHECK_EQ_S(error_of("[1e400]", err, sizeof err),
               "line 1, column 6: real number overflow near '1e400'");
    CHECK(refused("[18446744073709551615, 1e400]"));
    CHECK(refused("[18446744073709551615, 18446744073709551616]"));

    /* Numbers jansson cannot hold (2^63 and up) among others, in strings
     * that look like numbers, in nested containers and as the root: each
     * reads back exactly, and the others are where they were. */
    d = parse_s("{\"s\": \"9223372036854775808\", \"a\": [9223372036854775808, -1, 2.5, "
                "{\"k\": 18446744073709551614, \"18446744073709551615\": 7}], "
                "\"z\": 18446744073709551615}",
                err, sizeof err);
    CHECK(d != NULL);
    r = mw_jdoc_root(d);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(r, "s"), NULL), "9223372036854775808");
    const mw_jv *a = mw_jv_get(r, "a");
    CHECK(mw_jv_u64(mw_jv_at(a, 0), &u));
    CHECK_EQ_U(u, (uint64_t)INT64_MAX + 1);
    CHECK(!mw_jv_i64(mw_jv_at(a, 0), &i));
    CHECK(mw_jv_double(mw_jv_at(a, 0), &dv));
    CHECK(dv == 9223372036854775808.0);
    CHECK(mw_jv_i64(mw_jv_at(a, 1), &i));
    CHECK(i == -1);
    CHECK(mw_jv_double(mw_jv_at(a, 2), &dv));
    CHECK(dv == 2.5);
    CHECK(mw_jv_u64(mw_jv_get(mw_jv_at(a, 3), "k"), &u));
    CHECK_EQ_U(u, UINT64_MAX - 1);
    CHECK(mw_jv_u64(mw_jv_get(mw_jv_at(a, 3), "18446744073709551615"), &u));
    CHECK_EQ_U(u, 7);
    CHECK(mw_jv_u64(mw_jv_get(r, "z"), &u));
    CHECK_EQ_U(u, UINT64_MAX);
    mw_jdoc_free(d);
    d = parse_s(" 18446744073709551615 ", err, sizeof err);
    CHECK(mw_jv_u64(mw_jdoc_root(d), &u));
    CHECK_EQ_U(u, UINT64_MAX);
    mw_jdoc_free(d);

    /* The RFC grammar, and nothing more. */
    const char *bad[] = {"01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-",
                         "--1", "0x10", "1e3.5", "NaN", "Infinity", "-Infinity",
                         "1 2", "[1,]", "[01]", "00"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (!refused(bad[k])) {
            fprintf(stderr, "accepted: %s\n", bad[k]);
            CHECK(0);
        }
    }
    const char *good[] = {"0", "-0", "0.0", "0e0", "1E+2", "1e-2", "-1.25e10", " 7 "};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        if (refused(good[k])) {
            fprintf(stderr, "refused: %s\n", good[k]);
            CHECK(0);
        }
    }
}

static char *nest(int levels)
{
    char *s = malloc((size_t)levels * 2 + 1);
    for (int k = 0; k < levels; k++) {
        s[k] = '[';
        s[levels + k] = ']';
    }
    s[levels * 2] = '\0';
    return s;
}

static void test_depth(void)
{
    char err[256] = "";
    char *s = nest(MW_JSON_PARSE_MAX_DEPTH);
    mw_jdoc *d = parse_s(s, err, sizeof err);
    CHECK(d != NULL);
    const mw_jv *v = mw_jdoc_root(d);
    int levels = 0;
    while (mw_jv_type_of(v) == MW_JV_ARRAY) {
        levels++;
        v = mw_jv_at(v, 0);
    }
    CHECK_EQ_U(levels, 64);
    mw_jdoc_free(d);
    free(s);

    s = nest(MW_JSON_PARSE_MAX_DEPTH + 1);
    CHECK(parse_s(s, err, sizeof err) == NULL);
    CHECK_EQ_S(err, "line 1, column 65: nested deeper than 64 levels");
    free(s);

    /* Objects count the same, and so does a mix. */
    CHECK(refused("{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":[{\"f\":[{\"g\":[{\"h\":["
                  "{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":[{\"f\":[{\"g\":[{\"h\":["
                  "{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":[{\"f\":[{\"g\":[{\"h\":["
                  "{\"a\":[{\"b\":[{\"c\":[{\"d\":[{\"e\":[{\"f\":[{\"g\":[{\"h\":["
                  "{}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}"));
    /* A million unclosed brackets: refused at the cap, no deep recursion. */
    size_t n = 1000000;
    char *many = malloc(n);
    memset(many, '[', n);
    CHECK(mw_jdoc_parse((const uint8_t *)many, n, err, sizeof err) == NULL);
    free(many);
}

static const char sample[] =
    "{\"event\":\"stats\",\"n\":[0,-1,2.5e-3,true,false,null],"
    "\"s\":\"a\\\"\\\\\\n\\u00e9\\ud83d\\ude00\xe2\x82\xac\","
    "\"o\":{\"k\":{},\"l\":[]}, \"u\":18446744073709551615}";

static void test_truncated(void)
{
    /* Every strict prefix of an object is incomplete. Each is copied into
     * a buffer of exactly its length, so the sanitizer sees any read past
     * the end. */
    char err[256];
    size_t n = sizeof sample - 1;
    for (size_t k = 0; k < n; k++) {
        uint8_t *buf = malloc(k ? k : 1);
        memcpy(buf, sample, k);
        err[0] = '\0';
        mw_jdoc *d = mw_jdoc_parse(buf, k, err, sizeof err);
        if (d) {
            fprintf(stderr, "prefix of length %zu accepted\n", k);
            CHECK(0);
            mw_jdoc_free(d);
        } else if (strncmp(err, "line 1, column ", 15) != 0) {
            fprintf(stderr, "prefix %zu: bad message: %s\n", k, err);
            CHECK(0);
        }
        free(buf);
    }
    mw_jdoc *d = mw_jdoc_parse((const uint8_t *)sample, n, err, sizeof err);
    CHECK(d != NULL);
    mw_jdoc_free(d);
    /* Nothing is accepted without a value. */
    CHECK(mw_jdoc_parse(NULL, 0, err, sizeof err) == NULL);
    CHECK_EQ_S(err, "line 1, column 1: unexpected token near end of file");
    CHECK(refused(" \n "));
}

static void test_mutations(void)
{
    /* Every byte replaced by a handful of troublesome values: whatever the
     * outcome, no crash, and an error always has a position. */
    static const uint8_t subst[] = {0x00, '"', '\\', '[', ']', '{', '}', ',', ':',
                                    '-', '0', 'e', 'u', 0x80, 0xc3, 0xed, 0xff};
    char err[256];
    size_t n = sizeof sample - 1;
    uint8_t *buf = malloc(n);
    for (size_t k = 0; k < n; k++) {
        for (size_t m = 0; m < sizeof subst; m++) {
            memcpy(buf, sample, n);
            buf[k] = subst[m];
            err[0] = '\0';
            mw_jdoc *d = mw_jdoc_parse(buf, n, err, sizeof err);
            if (d)
                mw_jdoc_free(d);
            else
                CHECK(strncmp(err, "line ", 5) == 0);
        }
    }
    free(buf);
}

static void test_trailing(void)
{
    char err[256];
    CHECK_EQ_S(error_of("{} x", err, sizeof err),
               "line 1, column 4: end of file expected near 'x'");
    CHECK(refused("{}}"));
    CHECK(refused("[] []"));
    CHECK(refused("truex"));
    CHECK(refused("nul"));
    CHECK(refused("[1 2]"));
    CHECK(refused("{\"a\" 1}"));
    CHECK(refused("{\"a\":1,}"));
    CHECK(refused("{a:1}"));
    CHECK(refused("{1:1}"));
    CHECK(refused("[1,,2]"));
    CHECK(refused("'a'"));
    CHECK(mw_jdoc_parse((const uint8_t *)"{} \0", 4, err, sizeof err) == NULL);
    /* Trailing white space is fine. */
    CHECK(!refused("{} \r\n\t "));
}

static void test_positions(void)
{
    /* jansson places an error at the last character it read (the end of
     * the offending token); columns count characters, not bytes. */
    char err[256];
    const char *bad = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    CHECK_EQ_S(error_of(bad, err, sizeof err),
               "line 3, column 10: invalid token near 'tru'");
    /* 'é' is two bytes but one column. */
    CHECK_EQ_S(error_of("[\"\xc3\xa9\", x]", err, sizeof err),
               "line 1, column 7: invalid token near 'x'");
    CHECK_EQ_S(error_of("[1,\n2,\n\"abc\\q\"]", err, sizeof err),
               "line 3, column 6: invalid escape near '\"abc\\q'");
    CHECK_EQ_S(error_of("\n\n   \"open", err, sizeof err),
               "line 3, column 8: premature end of input near '\"open'");
    CHECK_EQ_S(error_of("[\"a\x01\"]", err, sizeof err),
               "line 1, column 3: control character 0x1 near '\"a'");
    CHECK_EQ_S(error_of("[\"\\u0000\"]", err, sizeof err),
               "line 1, column 9: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"'");
    CHECK_EQ_S(error_of("[\"\\udc00\"]", err, sizeof err),
               "line 1, column 9: invalid Unicode '\\uDC00' near '\"\\udc00\"'");
    CHECK_EQ_S(error_of("{\"a\":1 \"b\":2}", err, sizeof err),
               "line 1, column 10: '}' expected near '\"b\"'");
    CHECK_EQ_S(error_of("[0123]", err, sizeof err),
               "line 1, column 2: invalid token near '0'");
    CHECK_EQ_S(error_of("[\"x\xff\"]", err, sizeof err),
               "line 1, column 3: unable to decode byte 0xff near '\"x'");
    /* NaN and Infinity are not JSON. */
    CHECK_EQ_S(error_of("[NaN]", err, sizeof err), "line 1, column 4: invalid token near 'NaN'");
    CHECK(refused("{\"a\": Infinity}"));
    CHECK(refused("[-Infinity]"));
    /* A small buffer is cut, never overrun; NULL is allowed. */
    char tiny[8];
    CHECK(parse_s("[", tiny, sizeof tiny) == NULL);
    CHECK_EQ_S(tiny, "line 1,");
    CHECK(parse_s("[", NULL, 0) == NULL);
}

static void test_round_trip(void)
{
    /* Hostile bytes through the writer and back: quote, backslash, every
     * control character but NUL, DEL, 2-, 3- and 4-byte UTF-8, and bytes
     * that are not UTF-8 (which the writer spells as the text \xNN). */
    char in[64];
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        in[n++] = (char)c;
    static const char tail[] = "\"\\/\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc0\xaf";
    memcpy(in + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;

    mw_json j;
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_json_key(&j, "sni\"\\\x01\xc3\xa9");
    mw_json_string_n(&j, in, n);
    mw_json_kv_uint(&j, "max", UINT64_MAX);
    mw_json_key(&j, "neg");
    mw_json_int(&j, INT64_MIN);
    mw_json_key(&j, "list");
    mw_json_array_begin(&j);
    mw_json_bool(&j, true);
    mw_json_null(&j);
    mw_json_string(&j, "");
    mw_json_array_end(&j);
    mw_json_object_end(&j);
    const char *text = mw_json_text(&j);

    char err[256] = "";
    mw_jdoc *d = parse_s(text, err, sizeof err);
    CHECK(d != NULL);
    CHECK_EQ_S(err, "");
    const mw_jv *r = mw_jdoc_root(d);
    CHECK_EQ_S(mw_jv_key_at(r, 0), "sni\"\\\x01\xc3\xa9");
    size_t len = 0;
    const char *s = mw_jv_str(mw_jv_get(r, "sni\"\\\x01\xc3\xa9"), &len);
    /* The three bytes that are not UTF-8 come back as \xNN text. */
    char want[80];
    size_t wn = n - 3 + 12;
    memcpy(want, in, n - 3);
    memcpy(want + n - 3, "\\xff\\xc0\\xaf", 12);
    CHECK_EQ_U(len, wn);
    CHECK(s && memcmp(s, want, wn) == 0);
    uint64_t u = 0;
    int64_t i = 0;
    CHECK(mw_jv_u64(mw_jv_get(r, "max"), &u));
    CHECK_EQ_U(u, UINT64_MAX);
    CHECK(mw_jv_i64(mw_jv_get(r, "neg"), &i));
    CHECK(i == INT64_MIN);
    const mw_jv *list = mw_jv_get(r, "list");
    CHECK_EQ_U(mw_jv_len(list), 3);
    CHECK_EQ_S(mw_jv_str(mw_jv_at(list, 2), &len), "");
    CHECK_EQ_U(len, 0);
    mw_jdoc_free(d);

    /* A NUL byte is written as \u0000, which the reader refuses: a string
     * with a NUL does not survive a round trip. */
    mw_json_reset(&j);
    mw_json_string_n(&j, "a\0b", 3);
    CHECK(refused(mw_json_text(&j)));
    mw_json_free(&j);
}

static void test_load_file(void)
{
    char path[] = "/tmp/mw_jsonparse_XXXXXX";
    char err[512];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"a\": [1,\n 2,\n x]}", f);
    fclose(f);

    CHECK(mw_jdoc_load_file(path, 1 << 20, err, sizeof err) == NULL);
    char want[512];
    snprintf(want, sizeof want, "%s: line 3, column 2: invalid token near 'x'", path);
    CHECK_EQ_S(err, want);

    /* The file is 18 bytes: 18 is enough, 17 is not. */
    f = fopen(path, "w");
    fputs("{\"a\": [1,\n 2,\n 3]}", f);
    fclose(f);
    mw_jdoc *d = mw_jdoc_load_file(path, 18, err, sizeof err);
    CHECK(d != NULL);
    CHECK_EQ_U(mw_jv_len(mw_jv_get(mw_jdoc_root(d), "a")), 3);
    mw_jdoc_free(d);
    CHECK(mw_jdoc_load_file(path, 17, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s: larger than 17 bytes", path);
    CHECK_EQ_S(err, want);
    CHECK(mw_jdoc_load_file(path, 0, err, sizeof err) == NULL);

    /* A file larger than the first read buffer. */
    f = fopen(path, "w");
    fputc('[', f);
    for (int k = 0; k < 100000; k++)
        fputs(k ? ",\"abcdefgh\"" : "\"abcdefgh\"", f);
    fputc(']', f);
    fclose(f);
    d = mw_jdoc_load_file(path, (size_t)16 << 20, err, sizeof err);
    CHECK(d != NULL);
    CHECK_EQ_U(mw_jv_len(mw_jdoc_root(d)), 100000);
    CHECK_EQ_S(mw_jv_str(mw_jv_at(mw_jdoc_root(d), 99999), NULL), "abcdefgh");
    mw_jdoc_free(d);
    CHECK(mw_jdoc_load_file(path, 100000, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s: larger than 100000 bytes", path);
    CHECK_EQ_S(err, want);

    unlink(path);
    CHECK(mw_jdoc_load_file(path, 100, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    CHECK_EQ_S(err, want);
    CHECK(mw_jdoc_load_file("/", 100, err, sizeof err) == NULL);
    CHECK(strncmp(err, "/: ", 3) == 0);
}

static void test_big_values(void)
{
    /* A string longer than an arena block, among small values. */
    size_t n = 300000;
    char *s = malloc(n + 8);
    s[0] = '[';
    s[1] = '1';
    s[2] = ',';
    s[3] = '"';
    memset(s + 4, 'z', n);
    memcpy(s + 4 + n, "\",2]", 4);
    char err[256];
    mw_jdoc *d = mw_jdoc_parse((const uint8_t *)s, n + 8, err, sizeof err);
    CHECK(d != NULL);
    size_t len = 0;
    const char *v = mw_jv_str(mw_jv_at(mw_jdoc_root(d), 1), &len);
    CHECK_EQ_U(len, n);
    CHECK(v && v[0] == 'z' && v[n - 1] == 'z' && v[n] == '\0');
    uint64_t u = 0;
    CHECK(mw_jv_u64(mw_jv_at(mw_jdoc_root(d), 2), &u));
    CHECK_EQ_U(u, 2);
    mw_jdoc_free(d);
    free(s);
}

/* ---- json.h: the shared UTF-8 validator and times ---------------------- */

static void test_utf8_decode(void)
{
    /* bytes (n of them) -> length, code point (0xDEAD: left as it was). */
    static const struct {
        const char *s;
        size_t n, len;
        uint32_t cp;
    } cases[] = {
        /* ASCII, NUL included, is a sequence of 1; nothing to read, none. */
        {"A", 1, 1, 0x41},
        {"\0", 1, 1, 0},
        {"x", 0, 0, 0xDEAD},
        /* Each length at its smallest and largest; only its bytes read. */
        {"\xC2\x80", 2, 2, 0x80},
        {"\xDF\xBF", 2, 2, 0x7FF},
        {"\xE0\xA0\x80", 3, 3, 0x800},
        {"\xEF\xBF\xBF", 3, 3, 0xFFFF},
        {"\xF0\x90\x80\x80", 4, 4, 0x10000},
        {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF}, /* the last code point */
        {"\xC3\xA9z", 3, 2, 0xE9},
        /* Overlong forms. */
        {"\xC0\x80", 2, 0, 0xDEAD},
        {"\xC1\xBF", 2, 0, 0xDEAD},
        {"\xE0\x80\x80", 3, 0, 0xDEAD},
        {"\xE0\x9F\xBF", 3, 0, 0xDEAD},
        {"\xF0\x80\x80\x80", 4, 0, 0xDEAD},
        {"\xF0\x8F\xBF\xBF", 4, 0, 0xDEAD},
        /* Surrogates, and their neighbours. */
        {"\xED\xA0\x80", 3, 0, 0xDEAD},
        {"\xED\xBF\xBF", 3, 0, 0xDEAD},
        {"\xED\x9F\xBF", 3, 3, 0xD7FF},
        {"\xEE\x80\x80", 3, 3, 0xE000},
        /* Above U+10FFFF, and lead bytes that never occur. */
        {"\xF4\x90\x80\x80", 4, 0, 0xDEAD},
        {"\xF5\x80\x80\x80", 4, 0, 0xDEAD},
        {"\xF8\x88\x80\x80\x80", 5, 0, 0xDEAD},
        {"\xFF", 1, 0, 0xDEAD},
        /* Truncated, a lone continuation byte, bad continuation bytes. */
        {"\xC3", 1, 0, 0xDEAD},
        {"\xE2\x82", 2, 0, 0xDEAD},
        {"\xF0\x9F\x98", 3, 0, 0xDEAD},
        {"\xF0\x9F\x98\x80", 3, 0, 0xDEAD},
        {"\x80", 1, 0, 0xDEAD},
        {"\xE2\x28\xA1", 3, 0, 0xDEAD},
        {"\xF0\x9F\x98\x28", 4, 0, 0xDEAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0xDEAD;
        size_t len = mw_utf8_decode((const uint8_t *)cases[i].s, cases[i].n, &cp);
        if (len != cases[i].len || cp != cases[i].cp) {
            fprintf(stderr, "case %zu: length %zu, U+%04" PRIX32 "\n", i, len, cp);
            CHECK(0);
        }
    }
    CHECK_EQ_U(mw_utf8_decode((const uint8_t *)"\xE2\x82\xAC", 3, NULL), 3);

    /* Every scalar value, encoded here, decodes to itself, and not from
     * one byte fewer. */
    int bad = 0;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        static const uint8_t lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
        uint8_t b[4];
        uint32_t rest = c;
        for (size_t k = n - 1; k > 0; k--, rest >>= 6)
            b[k] = (uint8_t)(0x80 | (rest & 0x3F));
        b[0] = (uint8_t)(lead[n] | rest);
        uint32_t got = UINT32_MAX;
        if (mw_utf8_decode(b, n, &got) != n || got != c || mw_utf8_decode(b, n - 1, NULL) != 0)
            bad++;
    }
    CHECK_EQ_U(bad, 0);
}

static bool ts_parse(const char *s, unsigned forms, int64_t *secs, uint32_t *usec)
{
    return mw_parse_timestamp(s, strlen(s), forms, secs, usec);
}

static void test_timestamp_round_trip(void)
{
    static const uint64_t us[] = {
        0,                                   /* 1970-01-01T00:00:00.000000Z */
        1563701400ull * 1000000u + 123456u, /* 2019-07-21T09:30:00.123456Z */
        946684799ull * 1000000u + 999999u,  /* 1999-12-31T23:59:59.999999Z */
        1582979696ull * 1000000u + 789012u, /* 2020-02-29T12:34:56.789012Z */
        2147483647ull * 1000000u,           /* 2038-01-19T03:14:07 */
        2147483648ull * 1000000u + 1u,      /* one second later: past 32 bits */
        4102444800ull * 1000000u,           /* 2100-01-01 */
        253402300799ull * 1000000u,         /* 9999-12-31T23:59:59 */
        253402300800ull * 1000000u,         /* 10000-01-01: five digits */
        18446744073708ull * 1000000u + 999999u, /* the last second accepted */
    };
    char b[MW_TIMESTAMP_LEN];
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        const char *text = mw_format_timestamp(us[i], b, sizeof b);
        int64_t secs = -1;
        uint32_t usec = UINT32_MAX;
        CHECK(ts_parse(text, MW_TS_USEC, &secs, &usec));
        CHECK_EQ_U(secs, us[i] / 1000000u);
        CHECK_EQ_U(usec, us[i] % 1000000u);
        CHECK(ts_parse(text, MW_TS_ANY, NULL, NULL));
        CHECK(!ts_parse(text, MW_TS_SECS, NULL, NULL));
    }
    CHECK_EQ_S(mw_format_timestamp(1582979696ull * 1000000u + 789012u, b, sizeof b),
               "2020-02-29T12:34:56.789012Z");
    CHECK_EQ_S(mw_format_timestamp(2147483648ull * 1000000u + 1u, b, sizeof b),
               "2038-01-19T03:14:08.000001Z");
    CHECK_EQ_S(mw_format_timestamp(253402300800ull * 1000000u, b, sizeof b),
               "10000-01-01T00:00:00.000000Z");
    /* A second whose microseconds do not all fit a uint64_t. */
    CHECK(!ts_parse(mw_format_timestamp(UINT64_MAX, b, sizeof b), MW_TS_USEC, NULL, NULL));

    /* Whole seconds, before 1970 too. */
    static const int64_t secs[] = {0,           -1,          -631152000,  1546300800,
                                   951782400,   -2203891200, 2147483648,  -62167219200,
                                   253402300799};
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
        const char *text = mw_format_timestamp_secs(secs[i], b, sizeof b);
        int64_t t = 1;
        uint32_t usec = 7;
        CHECK(ts_parse(text, MW_TS_SECS, &t, &usec));
        CHECK_EQ_U(t, secs[i]);
        CHECK_EQ_U(usec, 0);
        CHECK(!ts_parse(text, MW_TS_USEC, NULL, NULL));
    }
    CHECK_EQ_S(mw_format_timestamp_secs(1546300800, b, sizeof b), "2019-01-01T00:00:00Z");
    CHECK_EQ_S(mw_format_timestamp_secs(-1, b, sizeof b), "1969-12-31T23:59:59Z");
    CHECK_EQ_S(mw_format_timestamp_secs(-62167219200, b, sizeof b), "0000-01-01T00:00:00Z");

    /* Every 7919 s / 0.1 s step for 160 years: parse(format(t)) == t. */
    int bad = 0;
    for (uint64_t t = 0; t < 160ull * 366 * 86400; t += 7919) {
        uint64_t u = t * 1000000u + t % 1000000u;
        int64_t s = -1;
        uint32_t f = 0;
        if (!ts_parse(mw_format_timestamp(u, b, sizeof b), MW_TS_USEC, &s, &f) ||
            (uint64_t)s * 1000000u + f != u)
            bad++;
        int64_t neg = -(int64_t)t;
        if (!ts_parse(mw_format_timestamp_secs(neg, b, sizeof b), MW_TS_SECS, &s, NULL) ||
            s != neg)
            bad++;
    }
    CHECK_EQ_U(bad, 0);
}

static void test_timestamp_refused(void)
{
    static const char *const no[] = {
        "2019-02-29T00:00:00Z",        /* no leap day in 2019 */
        "2019-02-29T00:00:00.000000Z",
        "1900-02-29T00:00:00Z",        /* nor in 1900 */
        "2019-04-31T00:00:00Z",
        "2019-07-21T24:00:00Z",
        "2019-07-21T24:00:00.000000Z",
        "2019-07-21T09:60:00Z",
        "2019-07-21T09:30:60Z",        /* no leap second */
        "2019-13-01T00:00:00Z",
        "2019-00-01T00:00:00Z",
        "2019-07-00T00:00:00Z",
        "2019-07-32T00:00:00Z",
        "2019-07-21T09:30:00",         /* missing Z */
        "2019-07-21T09:30:00.123456",
        "2019-07-21T09:30:00.12345Z",  /* five fraction digits */
        "2019-07-21T09:30:00.1234567Z",
        "2019-07-21T09:30:00.Z",
        "2019-07-21T09:30:00Z ",       /* trailing bytes */
        "2019-07-21T09:30:00.123456Zx",
        "2019-07-21T09:30:00.123456ZZ",
        " 2019-07-21T09:30:00Z",
        "2019-07-21 09:30:00Z",
        "2019-07-21t09:30:00z",
        "2019-07-21T09:30:00+00:00",
        "2019-7-21T09:30:00Z",
        "2019-07-21T9:30:00Z",
        "+2019-07-21T09:30:00Z",
        "-2019-07-21T09:30:00Z",
        "019-07-21T09:30:00Z",
        "02019-07-21T09:30:00Z",       /* %04d spells no leading zero */
        "1234567-01-01T00:00:00Z",
        "2019-07-21T09:3a:00Z",
        "1969-12-31T23:59:59.999999Z", /* before what a uint64_t holds */
        "",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (ts_parse(no[i], MW_TS_ANY, NULL, NULL)) {
            fprintf(stderr, "accepted: \"%s\"\n", no[i]);
            CHECK(0);
        }
    }
    /* The length is what counts, not a NUL. */
    const char with_nul[] = "2019-07-21T09:30:00Z\0x";
    CHECK(!mw_parse_timestamp(with_nul, sizeof with_nul - 1, MW_TS_ANY, NULL, NULL));
    CHECK(mw_parse_timestamp(with_nul, 20, MW_TS_ANY, NULL, NULL));
    CHECK(!mw_parse_timestamp(with_nul, 19, MW_TS_ANY, NULL, NULL));
    CHECK(!mw_parse_timestamp(NULL, 0, MW_TS_ANY, NULL, NULL));
    CHECK(!ts_parse("2019-07-21T09:30:00Z", 0, NULL, NULL));
    /* Leap days that are, and years of five and six digits. */
    int64_t t = 0;
    CHECK(ts_parse("2000-02-29T00:00:00Z", MW_TS_SECS, &t, NULL));
    CHECK_EQ_U(t, 951782400);
    CHECK(ts_parse("2020-02-29T23:59:59.999999Z", MW_TS_USEC, &t, NULL));
    CHECK_EQ_U(t, 1583020799);
    CHECK(ts_parse("10000-01-01T00:00:00Z", MW_TS_SECS, &t, NULL));
    CHECK_EQ_U(t, 253402300800);
    /* A uint64_t of microseconds ends in the year 586524. */
    CHECK(ts_parse("586524-01-01T00:00:00.000000Z", MW_TS_USEC, NULL, NULL));
    CHECK(!ts_parse("586525-01-01T00:00:00.000000Z", MW_TS_USEC, NULL, NULL));
    CHECK(ts_parse("586525-01-01T00:00:00Z", MW_TS_SECS, &t, NULL));
    CHECK_EQ_U(t, 18446774112000);
    CHECK(ts_parse("999999-12-31T23:59:59Z", MW_TS_SECS, NULL, NULL));
}

static void test_civil_from_secs(void)
{
    mw_civil_time c = mw_civil_from_secs(0);
    CHECK(c.year == 1970 && c.month == 1 && c.day == 1 && c.hour == 0 && c.minute == 0 &&
          c.second == 0);
    c = mw_civil_from_secs(1582979696); /* 2020-02-29T12:34:56 */
    CHECK(c.year == 2020 && c.month == 2 && c.day == 29 && c.hour == 12 && c.minute == 34 &&
          c.second == 56);
    c = mw_civil_from_secs(-1);
    CHECK(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 && c.minute == 59 &&
          c.second == 59);
    c = mw_civil_from_secs(-62167219200); /* 0000-01-01 */
    CHECK(c.year == 0 && c.month == 1 && c.day == 1 && c.hour == 0);
    /* The extremes do not overflow. */
    c = mw_civil_from_secs(INT64_MIN);
    CHECK(c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.second <= 59);
    c = mw_civil_from_secs(INT64_MAX);
    CHECK(c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.second <= 59);
}

/* The writer's numbers against printf's, at the edges, and its escaping
 * of a string mixing plain runs, quotes, controls, UTF-8 and bad bytes. */
static void test_writer_numbers_and_escapes(void)
{
    static const uint64_t us[] = {0, 9, 10, 99, 100, 65535, 4294967296u, UINT64_MAX};
    static const int64_t is[] = {0, -1, 1, -10, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    mw_json j;
    mw_json_init(&j);
    char want[1024] = "[", tmp[32];
    mw_json_array_begin(&j);
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        mw_json_uint(&j, us[i]);
        snprintf(tmp, sizeof tmp, "%s%" PRIu64, i ? "," : "", us[i]);
        strcat(want, tmp);
    }
    for (size_t i = 0; i < sizeof is / sizeof is[0]; i++) {
        mw_json_int(&j, is[i]);
        snprintf(tmp, sizeof tmp, ",%" PRId64, is[i]);
        strcat(want, tmp);
    }
    static const char raw[] = "ab\"c\\d\x01" "e\x7f f\xc3\xa9g\xffh plain run";
    mw_json_string_n(&j, raw, sizeof raw - 1);
    strcat(want, ",\"ab\\\"c\\\\d\\u0001e\\u007f f\xc3\xa9g\\\\xffh plain run\"]");
    mw_json_array_end(&j);
    CHECK_EQ_S(mw_json_text(&j), want);
    mw_json_free(&j);
}

/* A record built in two pieces (judge.c): the members of a second object
 * spliced into the first as if written there. */
static void test_writer_members(void)
{
    mw_json a, b, empty;
    mw_json_init(&a);
    mw_json_init(&b);
    mw_json_init(&empty);
    mw_json_object_begin(&a);
    mw_json_kv_string(&a, "event", "tls");
    mw_json_object_begin(&b);
    mw_json_key(&b, "flow_notes");
    mw_json_array_begin(&b);
    mw_json_uint(&b, 1);
    mw_json_array_end(&b);
    mw_json_kv_bool(&b, "x", true);
    mw_json_object_end(&b);
    mw_json_object_begin(&empty);
    mw_json_object_end(&empty);
    mw_json_members(&a, &empty); /* {}: nothing, no stray comma */
    mw_json_members(&a, &b);
    mw_json_kv_uint(&a, "after", 7);
    mw_json_object_end(&a);
    CHECK_EQ_S(mw_json_text(&a), "{\"event\":\"tls\",\"flow_notes\":[1],\"x\":true,\"after\":7}");
    CHECK(!a.failed);
    /* First in an object: no leading comma. */
    mw_json_reset(&a);
    mw_json_object_begin(&a);
    mw_json_members(&a, &b);
    mw_json_object_end(&a);
    CHECK_EQ_S(mw_json_text(&a), "{\"flow_notes\":[1],\"x\":true}");
    /* A failed or unfinished piece voids the record. */
    mw_json_reset(&b);
    mw_json_object_begin(&b);
    mw_json_reset(&a);
    mw_json_object_begin(&a);
    mw_json_members(&a, &b);
    CHECK(a.failed);
    mw_json_free(&a);
    mw_json_free(&b);
    mw_json_free(&empty);
}

int main(void)
{
    RUN(test_nested);
    RUN(test_null_accessors);
    RUN(test_escapes);
    RUN(test_numbers);
    RUN(test_depth);
    RUN(test_truncated);
    RUN(test_mutations);
    RUN(test_trailing);
    RUN(test_positions);
    RUN(test_writer_numbers_and_escapes);
    RUN(test_round_trip);
    RUN(test_load_file);
    RUN(test_big_values);
    RUN(test_utf8_decode);
    RUN(test_timestamp_round_trip);
    RUN(test_timestamp_refused);
    RUN(test_civil_from_secs);
    RUN(test_writer_members);
    return check_summary();
}
