/*
 * ckpt_dir.c — where a checkpoint may be written, and finding it again
 * after a killed save (checkpoint.h: "Checkpoint directories").
 *
 * Invariants:
 *  - A directory is replaced only if it is ours: it holds the marker file
 *    CKPT_MARKER (written last, after every other file is on disk, so the
 *    marker also means "complete"), or it is empty, or it holds nothing but
 *    the files a checkpoint from before the marker had.  Anything else needs
 *    --force (ckpt_allow_replace), because replacing it deletes it.
 *  - A symlink named as DIR is followed: the checkpoint replaces the
 *    directory it points to and the link stays.  A dangling link is refused.
 *  - Temporary copies are named DIR.tmp.PID.XXXXXX (and DIR.old.PID.XXXXXX
 *    where the filesystem lacks RENAME_EXCHANGE); those of processes that no
 *    longer run are stale and removed by the next save.  Names without a
 *    PID come from before this scheme and are stale too.
 *  - When DIR is missing but a save had got as far as moving the previous
 *    checkpoint aside, the newest complete copy is renamed into place before
 *    anything is read (a complete DIR.tmp.* beats a DIR.old.*).
 */
#include "train/checkpoint.h"
#include "base/fsreplace.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_force;

void ckpt_allow_replace(int yes) { g_force = yes; }

/* the files a checkpoint written before the marker existed may hold */
static const char *const legacy_files[] = {"config.json", "model.safetensors", "tokenizer.json",
                                           "optimizer.safetensors", "trainer_state.json", CKPT_MARKER, NULL};

static int has_file(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    struct stat st;
    snprintf(p, n, "%s/%s", dir, name);
    int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return ok;
}

/* NULL when DIR may be replaced; else the name of an entry that is not ours */
static char *foreign_entry(const char *dir)
{
    if (has_file(dir, CKPT_MARKER))
        return NULL;
    DIR *d = opendir(dir);
    if (!d)
        return xstrdup(strerror(errno));
    struct dirent *e;
    char *bad = NULL;
    while (!bad && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int known = 0;
        for (int i = 0; legacy_files[i] && !known; i++)
            known = !strcmp(e->d_name, legacy_files[i]);
        if (!known || !has_file(dir, e->d_name))
            bad = xstrdup(e->d_name);
    }
    closedir(d);
    return bad;
}

char *ckpt_target(const char *dir)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    char *base = xstrndup(dir, dl);
    struct stat st;
    if (lstat(base, &st) != 0) {
        if (errno != ENOENT)
            die(EX_CANTCREAT, "%s: cannot write a checkpoint here: %s", base, strerror(errno));
        return base;
    }
    if (S_ISLNK(st.st_mode)) {
        char *real = realpath(base, NULL);
        if (!real)
            die(EX_CANTCREAT, "%s: a symbolic link to nothing (%s); give a directory", base, strerror(errno));
        free(base);
        base = real;
        if (stat(base, &st) != 0)
            die(EX_CANTCREAT, "%s: %s", base, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        die(EX_CANTCREAT, "%s: exists and is not a directory; a checkpoint is a directory", dir);
    char *bad = g_force ? NULL : foreign_entry(base);
    if (bad)
        die(EX_CANTCREAT,
            "%s: not a prefpipe checkpoint (it holds \"%s\"); refusing to replace it and everything in it "
            "(use --force to do so, or choose another directory)",
            dir, bad);
    return base;
}

/* DIR.tmp.* / DIR.old.* in DIR's folder: call fn for each with its kind
 * ('t' or 'o'), the writer's pid (0 for names from before pids) */
typedef void (*sib_fn)(const char *path, int kind, long pid, void *ctx);

static void siblings(const char *base, sib_fn fn, void *ctx)
{
    const char *slash = strrchr(base, '/');
    char *parent = slash ? xstrndup(base, slash == base ? 1 : (size_t)(slash - base)) : xstrdup(".");
    const char *name = slash ? slash + 1 : base;
    size_t nl = strlen(name);
    DIR *d = opendir(parent);
    if (!d) {
        free(parent);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strncmp(s, name, nl) || s[nl] != '.')
            continue;
        s += nl + 1;
        int kind = !strncmp(s, "tmp.", 4) ? 't' : !strncmp(s, "old.", 4) ? 'o' : 0;
        if (!kind)
            continue;
        s += 4;
        long pid = 0;
        const char *dot = strchr(s, '.');
        if (dot) {
            char *end;
            pid = strtol(s, &end, 10);
            if (end != dot || pid <= 0 || strlen(dot + 1) != 6)
                continue;
        } else if (strlen(s) != 6) {
            continue;
        }
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            fn(p, kind, pid, ctx);
    }
    closedir(d);
    free(parent);
}

static void clean_one(const char *path, int kind, long pid, void *ctx)
{
    (void)kind, (void)ctx;
    if (pid && (pid == (long)getpid() || fs_pid_alive(pid)))
        return;
    fs_rm_tree(path);
}

void ckpt_clean_stale(const char *base) { siblings(base, clean_one, NULL); }

typedef struct {
    char best[PATH_MAX];
    int rank;            /* 2: a complete tmp; 1: an old copy */
    double mtime;
    int any_old;
} pick;

static double mtime_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec : 0;
}

static void consider(const char *path, int kind, long pid, void *ctx)
{
    pick *k = ctx;
    if (pid && fs_pid_alive(pid))
        return;   /* a save in progress */
    int rank;
    double t;
    if (kind == 'o') {
        k->any_old = 1;
        rank = 1;
        t = mtime_of(path);
    } else if (has_file(path, CKPT_MARKER)) {
        rank = 2;
        char m[PATH_MAX];
        snprintf(m, sizeof m, "%s/%s", path, CKPT_MARKER);
        t = mtime_of(m);
    } else if (!pid && has_file(path, "config.json") && has_file(path, "model.safetensors")) {
        rank = 2;   /* from before the marker: complete if an old copy exists (checked below) */
        t = mtime_of(path);
    } else {
        return;
    }
    if (rank > k->rank || (rank == k->rank && t > k->mtime)) {
        snprintf(k->best, sizeof k->best, "%s", path);
        k->rank = rank;
        k->mtime = t;
    }
}

void ckpt_recover(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) == 0 || errno != ENOENT)
        return;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    char *base = xstrndup(dir, dl);
    pick k = {.rank = 0};
    siblings(base, consider, &k);
    /* a tmp without the marker (from before it) is complete only if the
     * old switch had begun, i.e. the previous checkpoint was moved aside */
    if (k.rank == 2 && !has_file(k.best, CKPT_MARKER) && !k.any_old) {
        pick o = {.rank = 0};
        k = o;
    }
    if (k.rank && rename(k.best, base) == 0)
        fprintf(stderr, "%s: %s was missing (a save was interrupted); restored the newest complete checkpoint %s\n",
                progname, base, k.best);
    free(base);
}
