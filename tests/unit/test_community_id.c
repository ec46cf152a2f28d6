/*
 * test_community_id.c - Community ID v1 against the specification's
 * published vectors (as Zeek's and Wireshark's test suites use them).
 */
#include <arpa/inet.h>

#include "check.h"
#include "flow/community_id.h"

static mw_addr v4(const char *s)
{
    mw_addr a = {.family = 4};
    CHECK(inet_pton(AF_INET, s, a.bytes) == 1);
    return a;
}

static void expect(uint16_t seed, uint8_t proto, const char *sa, uint16_t sp, const char *da,
                   uint16_t dp, const char *want)
{
    mw_addr a = v4(sa), b = v4(da);
    char id[MW_COMMUNITY_ID_LEN];
    mw_community_id(seed, proto, &a, sp, &b, dp, id);
    CHECK_EQ_S(id, want);
    /* Either direction: the same ID. */
    mw_community_id(seed, proto, &b, dp, &a, sp, id);
    CHECK_EQ_S(id, want);
}

static void test_published_vectors(void)
{
    expect(0, 6, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    expect(0, 17, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    expect(1, 6, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    expect(1, 17, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
}

/* Same address both sides: the ports decide the order. */
static void test_same_address(void)
{
    mw_addr a = v4("10.0.0.1");
    char x[MW_COMMUNITY_ID_LEN], y[MW_COMMUNITY_ID_LEN];
    mw_community_id(0, 6, &a, 40000, &a, 443, x);
    mw_community_id(0, 6, &a, 443, &a, 40000, y);
    CHECK_EQ_S(x, y);
    CHECK_EQ_U(strlen(x), MW_COMMUNITY_ID_LEN - 1);
}

int main(void)
{
    RUN(test_published_vectors);
    RUN(test_same_address);
    return check_summary();
}
