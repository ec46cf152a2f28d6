/*
 * outputs.c - see outputs.h.
 */
#include "cli/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p: every prefix of dir, then dir itself. */
static bool make_dirs(const char *dir)
{
    char p[PATH_MAX];
    struct stat sb;
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof p) {
        errno = len ? ENAMETOOLONG : ENOENT;
        return false;
    }
    memcpy(p, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return false;
        if (stat(p, &sb) != 0)
            return false;
        if (!S_ISDIR(sb.st_mode)) {
            errno = ENOTDIR;
            return false;
        }
        p[i] = c;
    }
    return true;
}

/* A file that did not exist is made and removed again; an existing one
 * is opened for writing without truncating it. */
static bool probe_file(const char *path)
{
    struct stat sb;
    bool existed = stat(path, &sb) == 0;
    if (existed && S_ISDIR(sb.st_mode)) {
        errno = EISDIR;
        return false;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0)
        return false;
    close(fd);
    if (!existed)
        (void)unlink(path);
    return true;
}

static bool check_one(const mw_output_path *o)
{
    if (o->is_dir) {
        char probe[PATH_MAX];
        if (!make_dirs(o->path))
            return false;
        if (snprintf(probe, sizeof probe, "%s/.mitmwatch-probe-%ld", o->path, (long)getpid()) >=
            (int)sizeof probe) {
            errno = ENAMETOOLONG;
            return false;
        }
        return probe_file(probe);
    }
    const char *slash = strrchr(o->path, '/');
    if (slash && slash != o->path) {
        char parent[PATH_MAX];
        size_t n = (size_t)(slash - o->path);
        if (n >= sizeof parent) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(parent, o->path, n);
        parent[n] = '\0';
        if (!make_dirs(parent))
            return false;
    }
    return probe_file(o->path);
}

bool mw_outputs_check(const mw_output_path *outs, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (!outs[i].path)
            continue;
        if (!check_one(&outs[i])) {
            snprintf(err, errlen, "%s: %s: %s", outs[i].option, outs[i].path, strerror(errno));
            return false;
        }
    }
    return true;
}
