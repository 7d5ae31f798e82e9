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
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Remove everything in the directory open at dfd (then close it). */
static int rm_below(int dfd, int depth)
{
    char buf[4096] __attribute__((aligned(8)));
    int rc = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (n <= 0) {
            rc = n < 0 ? -1 : rc;
            break;
        }
        int removed = 0;
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            unsigned char type = (unsigned char)buf[off + 18];
            const char *name = buf + off + 19;
            off += reclen;
            if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                continue;
            int isdir = type == DT_DIR;
            if (!isdir && unlinkat(dfd, name, 0) != 0) {
                if (errno == EISDIR) /* DT_UNKNOWN on some filesystems */
                    isdir = 1;
                else
                    rc = -1;
            }
            if (isdir) {
                int sub = depth < 8 ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
                if (sub < 0 || rm_below(sub, depth + 1) != 0 || unlinkat(dfd, name, AT_REMOVEDIR) != 0)
                    rc = -1;
            }
            removed++;
        }
        /* entries removed while reading: start over from the beginning */
        if (removed && lseek(dfd, 0, SEEK_SET) != 0)
            rc = -1;
        if (rc)
            break;
    }
    close(dfd);
    return rc;
}

int fs_rm_tree_sigsafe(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : unlink(path);
    if (rm_below(fd, 0) != 0)
        return -1;
    return rmdir(path);
}

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
