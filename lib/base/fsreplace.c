/*
 * fsreplace.c — one-step directory replacement (see fsreplace.h).
 *
 * RENAME_EXCHANGE swaps two names atomically, so DST names a complete
 * directory at every instant; plain rename(2) cannot replace a non-empty
 * directory, which is why the old code needed the two-rename gap.
 */
#include "base/fsreplace.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int fs_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int fs_pid_alive(long pid)
{
    if (pid <= 0 || pid != (long)(pid_t)pid)
        return 0;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

void fs_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

void fs_sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return;
    fs_sync_dir(dir);
    free(dir);
}

int fs_swap_dir(const char *newdir, const char *dst, char *err, size_t el)
{
    struct stat st;
    if (lstat(dst, &st) != 0) {
        if (errno != ENOENT || rename(newdir, dst) != 0) {
            snprintf(err, el, "cannot rename %s into place: %s", newdir, strerror(errno));
            return -1;
        }
        fs_sync_parent(dst);
        return 0;
    }
    if (renameat2(AT_FDCWD, newdir, AT_FDCWD, dst, RENAME_EXCHANGE) == 0) {
        fs_sync_parent(dst);
        fs_rm_tree(newdir);   /* the old content, now under the temporary name */
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
        snprintf(err, el, "cannot exchange %s with %s: %s", newdir, dst, strerror(errno));
        return -1;
    }
    /* no RENAME_EXCHANGE here: move aside, then into place */
    size_t n = strlen(dst) + 48;
    char *old = malloc(n);
    if (!old) {
        snprintf(err, el, "out of memory");
        return -1;
    }
    snprintf(old, n, "%s.old.%ld.XXXXXX", dst, (long)getpid());
    if (!mkdtemp(old) || rmdir(old) != 0 || rename(dst, old) != 0) {
        snprintf(err, el, "cannot move the old %s aside: %s", dst, strerror(errno));
        free(old);
        return -1;
    }
    if (rename(newdir, dst) != 0) {
        int e = errno;
        rename(old, dst);
        snprintf(err, el, "cannot rename %s into place: %s", newdir, strerror(e));
        free(old);
        errno = e;
        return -1;
    }
    fs_sync_parent(dst);
    fs_rm_tree(old);
    free(old);
    return 0;
}
