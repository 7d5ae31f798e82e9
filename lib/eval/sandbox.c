/*
 * sandbox.c — child process with limits for untrusted code (sandbox.h).
 *
 * The child is made with clone(CLONE_NEWPID | CLONE_NEWNET) used like
 * fork(); EPERM/EINVAL (no privilege, or no namespaces in this kernel)
 * falls back to fork() and a process group.  The child sets everything up
 * itself before exec: PR_SET_PDEATHSIG (it dies with us), rlimits, the
 * uid drop, the scratch directory as cwd.  The parent polls waitpid with a
 * short sleep until the child ends or the wall clock runs out, then kills
 * it (SIGKILL to pid 1 of the namespace takes every process in it, and
 * the kernel has them all gone when its wait returns; without a
 * namespace, to the whole process group, whose members — orphans come to
 * us as the subreaper — are reaped until the group is empty) and reaps
 * it.  Either way no process of the run is left when sandbox_run returns.
 *
 * The scratch directory lives under tmpdir (default $TMPDIR or /tmp) as
 * prefpipe-exec.XXXXXX, mode 0700, owned by the child's uid; the stdin
 * file is made in a directory the child cannot enter and unlinked before
 * the child runs.  Removal walks the tree without following links.
 */
#include "eval/sandbox.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

static const char *isolation = "none";
const char *sandbox_isolation(void) { return isolation; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    remove(p);
    return 0;
}

static void rm_tree(const char *dir)
{
    /* the child may have left a directory without search permission */
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    rmdir(dir);
}

static void lim(int res, rlim_t v)
{
    struct rlimit rl = {v, v};
    setrlimit(res, &rl);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w, n -= (size_t)w;
    }
}

/* Without a PID namespace: kill what the child left in its group and wait
 * until none of it exists, so that nothing of this run outlives the call
 * (orphans come to us, the subreaper, and are reaped here; the kill fails
 * with ESRCH once the group is empty).  Bounded, for a process stuck in the
 * kernel. */
static void reap_group(pid_t g)
{
    for (int i = 0; i < 10000 && kill(-g, SIGKILL) == 0; i++) {
        while (waitpid(-g, NULL, WNOHANG) > 0)
            ;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* The child: never returns. */
static void child(const sandbox_opts *o, char *const argv[], const char *dir, int in_fd, int out_fd, int vfd,
                  int drop, int own_ns)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!own_ns)
        setpgid(0, 0);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    dup2(vfd, 3);
    for (int fd = 4; fd < 1024; fd++)
        close(fd);
    if (chdir(dir) < 0)
        _exit(126);
    lim(RLIMIT_CPU, (rlim_t)o->cpu_s);
    lim(RLIMIT_AS, (rlim_t)o->mem_mb << 20);
    lim(RLIMIT_FSIZE, (rlim_t)o->fsize_mb << 20);
    lim(RLIMIT_NOFILE, 64);
    lim(RLIMIT_CORE, 0);
    if (drop) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(126);
    }
    lim(RLIMIT_NPROC, (rlim_t)o->nproc);
    char home[4200];
    snprintf(home, sizeof home, "HOME=%s", dir);
    char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", home,
                   "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0", "OMP_NUM_THREADS=1", NULL};
    execve(argv[0], argv, env);
    _exit(127);
}

int sandbox_run(const sandbox_opts *o, char *const argv[], const char *in, size_t inlen, sandbox_result *r,
                char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    r->how = SB_ERROR;
    const char *base = o->tmpdir ? o->tmpdir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096], priv[4096];
    snprintf(dir, sizeof dir, "%s/prefpipe-exec.XXXXXX", base);
    snprintf(priv, sizeof priv, "%s/prefpipe-job.XXXXXX", base);
    if (!mkdtemp(dir) || !mkdtemp(priv)) {
        snprintf(err, errcap, "cannot make a scratch directory under %s: %s", base, strerror(errno));
        if (dir[0] && !strstr(dir, "XXXXXX"))
            rmdir(dir);
        return -1;
    }
    int drop = geteuid() == 0;
    if (drop && chown(dir, NOBODY, NOBODY) < 0)
        drop = 0;
    /* stdin: a file only we can reach by name, unlinked before the child runs */
    char path[8300];
    snprintf(path, sizeof path, "%s/stdin", priv);
    int in_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    snprintf(path, sizeof path, "%s/output", dir);
    int out_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int vp[2] = {-1, -1};
    if (in_fd < 0 || out_fd < 0 || pipe2(vp, O_CLOEXEC) < 0) {
        snprintf(err, errcap, "sandbox files: %s", strerror(errno));
        goto fail;
    }
    if (drop && fchown(out_fd, NOBODY, NOBODY) < 0)
        drop = 0;
    write_all(in_fd, in, inlen);
    lseek(in_fd, 0, SEEK_SET);
    snprintf(path, sizeof path, "%s/stdin", priv);
    unlink(path);
    rmdir(priv);
    priv[0] = 0;

    fflush(NULL);
    int own_ns = 1;
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* for reap_group */
    pid_t pid = (pid_t)syscall(SYS_clone, (long)(SIGCHLD | CLONE_NEWPID | CLONE_NEWNET), 0L, 0L, 0L, 0L);
    if (pid < 0 && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS)) {
        own_ns = 0;
        pid = fork();
    }
    if (pid < 0) {
        snprintf(err, errcap, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0)
        child(o, argv, dir, in_fd, out_fd, vp[1], drop, own_ns);
    isolation = own_ns ? (drop ? "namespaces+nobody" : "namespaces") : (drop ? "process-group+nobody" : "process-group");
    if (!own_ns)
        setpgid(pid, pid);
    close(vp[1]);
    vp[1] = -1;
    fcntl(vp[0], F_SETFL, O_NONBLOCK);
    double t0 = now();
    size_t vn = 0;
    int st = 0, done = 0;
    while (!done) {
        ssize_t k;
        while (vn + 1 < sizeof r->verdict && (k = read(vp[0], r->verdict + vn, sizeof r->verdict - 1 - vn)) > 0)
            vn += (size_t)k;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            done = 1;
            break;
        }
        if (now() - t0 > o->timeout_s) {
            kill(own_ns ? pid : -pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            r->how = SB_TIMEOUT;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (!own_ns)
        reap_group(pid);
    ssize_t k;
    while (vn + 1 < sizeof r->verdict && (k = read(vp[0], r->verdict + vn, sizeof r->verdict - 1 - vn)) > 0)
        vn += (size_t)k;
    r->verdict[vn] = 0;
    r->wall_s = now() - t0;
    if (done) {
        if (WIFEXITED(st))
            r->how = SB_EXITED, r->code = WEXITSTATUS(st);
        else
            r->how = SB_SIGNALED, r->code = WTERMSIG(st);
    }
    off_t end = lseek(out_fd, 0, SEEK_END);
    if (end > 0) {
        off_t from = end > (off_t)sizeof r->tail - 1 ? end - (off_t)sizeof r->tail + 1 : 0;
        ssize_t got = pread(out_fd, r->tail, (size_t)(end - from), from);
        r->tail[got > 0 ? got : 0] = 0;
    }
    close(vp[0]);
    close(in_fd);
    close(out_fd);
    rm_tree(dir);
    return 0;
fail:
    if (vp[0] >= 0) close(vp[0]);
    if (vp[1] >= 0) close(vp[1]);
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
    if (priv[0]) {
        snprintf(path, sizeof path, "%s/stdin", priv);
        unlink(path);
        rmdir(priv);
    }
    rm_tree(dir);
    return -1;
}
