/*
 * vantage.c - --vantage-net NAME=CIDR: parsing, and whether a client
 * address is in the network (session.c labels each session with it).
 */
#include "session/session.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

bool mw_vantage_net_parse(const char *arg, mw_vantage_net *out)
{
    const char *eq = strchr(arg, '=');
    char addr[64];
    if (!eq || eq == arg)
        return false;
    const char *slash = strchr(eq + 1, '/');
    size_t alen = slash ? (size_t)(slash - eq - 1) : strlen(eq + 1);
    if (alen == 0 || alen >= sizeof addr)
        return false;
    memcpy(addr, eq + 1, alen);
    addr[alen] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->net.bytes) == 1)
        out->net.family = 4;
    else if (inet_pton(AF_INET6, addr, out->net.bytes) == 1)
        out->net.family = 6;
    else
        return false;
    unsigned max = out->net.family == 4 ? 32 : 128;
    out->prefix = max;
    if (slash) {
        char *end;
        unsigned long bits = strtoul(slash + 1, &end, 10);
        if (*end || end == slash + 1 || bits > max)
            return false;
        out->prefix = (unsigned)bits;
    }
    out->name = arg; /* up to '=': the caller keeps its own copy */
    return true;
}

bool mw_vantage_net_contains(const mw_vantage_net *n, const mw_addr *a)
{
    if (a->family != n->net.family)
        return false;
    unsigned full = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(a->bytes, n->net.bytes, full) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return rest == 0 || (a->bytes[full] & mask) == (n->net.bytes[full] & mask);
}
