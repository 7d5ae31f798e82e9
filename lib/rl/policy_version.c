/*
 * policy_version.c — DIR/latest + DIR/policy-vN (protocol in
 * policy_version.h).  latest is written to a unique temporary name in
 * DIR, fsync'd and renamed, so readers see the old line or the new one.
 */
#include "rl/policy_version.h"
#include "train/checkpoint.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *pv_path(const char *dir, long version)
{
    size_t n = strlen(dir) + 32;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/policy-v%ld", dir, version);
    return p;
}

long pv_read_latest(const char *dir)
{
    return pv_read_latest2(dir, NULL, NULL);
}

static uint64_t g_trainer;
void pv_set_trainer(uint64_t id) { g_trainer = id; }

static void (*g_sync)(const char *dir, void *arg);
static void *g_sync_arg;
void pv_set_sync(void (*fn)(const char *dir, void *arg), void *arg) { g_sync = fn, g_sync_arg = arg; }

long pv_read_latest2(const char *dir, int *stopped, uint64_t *trainer)
{
    if (g_sync)   /* DIR mirrors a policy server (policy_net.h) */
        g_sync(dir, g_sync_arg);
    char path[4096], buf[64];
    snprintf(path, sizeof path, "%s/latest", dir);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *end;
    long v = strtol(buf, &end, 10);
    if (end == buf || v < 0) return -1;
    if (stopped) *stopped = strstr(end, " stopped") != NULL;
    if (trainer) {
        const char *t = strstr(end, " trainer=");
        *trainer = t ? strtoull(t + 9, NULL, 16) : 0;
    }
    return v;
}

long pv_wait(const char *dir, long min_version, double timeout, double poll)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long v = pv_read_latest(dir);
        if (v >= min_version) return v;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double el = (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
        if (timeout > 0 && el >= timeout) return -1;
        struct timespec d = {(time_t)poll, (long)((poll - (long)poll) * 1e9)};
        nanosleep(&d, NULL);
    }
}

static void write_latest(const char *dir, long version, int stopped);

void pv_write_latest(const char *dir, long version) { write_latest(dir, version, 0); }
void pv_mark_stopped(const char *dir, long version) { write_latest(dir, version, 1); }

static void write_latest(const char *dir, long version, int stopped)
{
    char tmp[4096], path[4096], line[96];
    snprintf(tmp, sizeof tmp, "%s/.latest.%ld.tmp", dir, (long)getpid());
    snprintf(path, sizeof path, "%s/latest", dir);
    int n = snprintf(line, sizeof line, "%ld policy-v%ld trainer=%016llx%s\n", version, version,
                     (unsigned long long)g_trainer, stopped ? " stopped" : "");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
    if (write(fd, line, n) != n || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        die(EX_IOERR, "%s: %s", tmp, strerror(errno));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        die(EX_IOERR, "%s: %s", path, strerror(errno));
    }
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void pv_publish(const char *dir, long version, const model *m, const tokenizer *tok, int keep)
{
    pv_publish_ex(dir, version, m, tok, keep, 0);
}

void pv_publish_ex(const char *dir, long version, const model *m, const tokenizer *tok, int keep, int stopped)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
    char *p = pv_path(dir, version);
    ckpt_save(p, m, tok, NULL, NULL);
    free(p);
    write_latest(dir, version, stopped);
    if (keep < 1) keep = 1;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long v;
        char rest;
        if (sscanf(e->d_name, "policy-v%ld%c", &v, &rest) == 1 && v <= version - keep) {
            char *old = pv_path(dir, v);
            nftw(old, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            free(old);
        }
    }
    closedir(d);
}
