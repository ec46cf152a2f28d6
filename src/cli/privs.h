/*
 * privs.h - giving up root once the capture and the outputs are open.
 *
 * -Z USER (as tcpdump's): the user is looked up when the options are read
 * (an unknown user is a usage error before anything is opened); after the
 * capture sockets and every output are open, the process takes USER's uid,
 * gid and supplementary groups and keeps no capability at all (effective,
 * permitted, inheritable, ambient; the bounding set too when it may be
 * changed). Without -Z, a live capture started as root keeps only
 * CAP_NET_RAW and CAP_NET_ADMIN, and says so on stderr.
 */
#ifndef MW_PRIVS_H
#define MW_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct mw_privs {
    const char *user; /* -Z USER, or NULL */
    uid_t uid;
    gid_t gid;
    bool done; /* mw_privs_drop ran: nothing more to give up */
} mw_privs;

/* Looks USER up (a name, or a numeric uid as tcpdump allows). False with
 * the cause in err when there is no such user. */
bool mw_privs_lookup(mw_privs *p, const char *user, char *err, size_t errlen);

/* Called once everything that needs root is open, before other threads
 * start (capabilities are per thread; a uid change reaches them all).
 * With -Z: changes to the user and clears every capability, then checks
 * that it worked (uid, no capability left, root not regainable). Without
 * -Z and live as root: keeps CAP_NET_RAW and CAP_NET_ADMIN only and
 * writes a line on stderr saying so (even with -q: running as root is
 * worth a line). False with the cause in err when -Z could not be
 * carried out (the caller must then stop: it still has privileges).
 * A second call does nothing. */
bool mw_privs_drop(mw_privs *p, bool live, char *err, size_t errlen);

#endif /* MW_PRIVS_H */
