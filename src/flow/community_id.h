/*
 * community_id.h - Community ID v1 of a flow (Corelight's specification,
 * which Zeek, Suricata, Wireshark and Elastic compute too), so a session
 * mitmwatch reports can be joined with their records of the same flow.
 *
 *   "1:" base64( SHA-1( seed (16 bits) | lower address | higher address |
 *                       protocol | 0 | lower's port | higher's port ) )
 *
 * all in network byte order; "lower" is the endpoint whose address (then
 * port) compares smaller, so both directions give the same ID.
 */
#ifndef MW_COMMUNITY_ID_H
#define MW_COMMUNITY_ID_H

#include <stdint.h>

#include "flow/decode.h"

/* "1:" + 28 base64 characters + NUL */
#define MW_COMMUNITY_ID_LEN 31

/* The ID of the flow between a:ap and b:bp (either order) over proto (6,
 * 17: ports are used; other protocols are not computed here). a and b are
 * of the same family. */
void mw_community_id(uint16_t seed, uint8_t proto, const mw_addr *a, uint16_t ap,
                     const mw_addr *b, uint16_t bp, char out[MW_COMMUNITY_ID_LEN]);

#endif /* MW_COMMUNITY_ID_H */
