/*
 * privs.c - -Z USER and the capabilities kept while capturing (privs.h),
 * with libcap-ng.
 */
#include "cli/privs.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>

bool mw_privs_lookup(mw_privs *p, const char *user, char *err, size_t errlen)
{
    char buf[4096];
    struct passwd pw, *res = NULL;
    memset(p, 0, sizeof *p);
    int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
    if (!res && user[0] && strspn(user, "0123456789") == strlen(user)) {
        /* A number that names no user: a uid, as tcpdump -Z accepts. */
        errno = 0;
        unsigned long long id = strtoull(user, NULL, 10);
        if (errno == 0 && id < (uid_t)-1)
            rc = getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &res);
    }
    if (!res) {
        snprintf(err, errlen, "-Z %s: %s", user,
                 rc ? strerror(rc) : "no such user");
        return false;
    }
    p->user = user;
    p->uid = pw.pw_uid;
    p->gid = pw.pw_gid;
    return true;
}

/* Every capability of the process is gone and root cannot be had back. */
static bool check_dropped(const mw_privs *p, char *err, size_t errlen)
{
    if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid ||
        getegid() != p->gid) {
        snprintf(err, errlen, "-Z %s: uid/gid did not change", p->user);
        return false;
    }
    if (p->uid != 0 && setuid(0) == 0) {
        snprintf(err, errlen, "-Z %s: root could be regained", p->user);
        return false;
    }
    if (capng_get_caps_process() != 0) {
        snprintf(err, errlen, "-Z %s: cannot read the capabilities back", p->user);
        return false;
    }
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
        snprintf(err, errlen, "-Z %s: capabilities left after the change", p->user);
        return false;
    }
    return true;
}

static bool drop_to_user(const mw_privs *p, char *err, size_t errlen)
{
    if (geteuid() == p->uid && getuid() == p->uid) {
        /* Already that user: only the capabilities go. */
        capng_clear(CAPNG_SELECT_CAPS);
        if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
            snprintf(err, errlen, "-Z %s: cannot clear the capabilities", p->user);
            return false;
        }
        return check_dropped(p, err, errlen);
    }
    if (capng_get_caps_process() != 0) {
        snprintf(err, errlen, "-Z %s: cannot read the capabilities", p->user);
        return false;
    }
    /* The bounding set can be emptied only with CAP_SETPCAP (a systemd
     * unit's CapabilityBoundingSet usually leaves it out, and has limited
     * the bounding set already). */
    int flags = CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_AMBIENT;
    if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
        flags |= CAPNG_CLEAR_BOUNDING;
    capng_clear(CAPNG_SELECT_CAPS);
    int rc = capng_change_id((int)p->uid, (int)p->gid, (capng_flags_t)flags);
    if (rc != 0) {
        snprintf(err, errlen, "-Z %s: cannot change to uid %" PRIuMAX " gid %" PRIuMAX
                              " (libcap-ng error %d%s%s)",
                 p->user, (uintmax_t)p->uid, (uintmax_t)p->gid, rc, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return false;
    }
    return check_dropped(p, err, errlen);
}

/* Without -Z, as root on a live interface: what capture needs, no more. */
static void keep_capture_caps(void)
{
    if (capng_get_caps_process() != 0)
        return;
    bool bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
    capng_clear(CAPNG_SELECT_BOTH);
    (void)capng_updatev(CAPNG_ADD, (capng_type_t)(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                        CAP_NET_RAW, CAP_NET_ADMIN, -1);
    if (bounds)
        (void)capng_updatev(CAPNG_ADD, CAPNG_BOUNDING_SET, CAP_NET_RAW, CAP_NET_ADMIN, -1);
    if (capng_apply(bounds ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) != 0) {
        /* Dropping never needs a privilege: this is not expected. */
        fprintf(stderr, "mitmwatch: warning: running as root, and the capabilities "
                        "could not be reduced: %s\n", strerror(errno));
        return;
    }
    fputs("mitmwatch: running as root without -Z: capabilities reduced to "
          "CAP_NET_RAW and CAP_NET_ADMIN while capturing (give -Z USER to "
          "leave root)\n", stderr);
}

bool mw_privs_drop(mw_privs *p, bool live, char *err, size_t errlen)
{
    if (p->done)
        return true;
    p->done = true;
    if (p->user)
        return drop_to_user(p, err, errlen);
    if (live && geteuid() == 0)
        keep_capture_caps();
    return true;
}
