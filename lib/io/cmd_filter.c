/*
 * cmd_filter.c — records through `sh -c CMD` (see cmd_filter.h).
 */
#include "io/cmd_filter.h"

#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the feeder: write all of p, or end the process. */
static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(errno == EPIPE ? 0 : 74);
        p += w, n -= (size_t)w;
    }
}

void cmd_filter_start(cmd_filter *f, const char *cmd, inputs *in)
{
    int to[2], from[2];
    if (pipe(to) < 0 || pipe(from) < 0)
        die(EX_OSERR, "pipe: %s", strerror(errno));
    fflush(NULL);
    if ((f->cmd = fork()) < 0)
        die(EX_OSERR, "fork: %s", strerror(errno));
    if (f->cmd == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]), close(to[1]), close(from[0]), close(from[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    if ((f->feeder = fork()) < 0)
        die(EX_OSERR, "fork: %s", strerror(errno));
    if (f->feeder == 0) {
        close(from[0]);
        signal(SIGPIPE, SIG_DFL);
        while (inputs_next(in)) {
            const char *raw = in->raw;
            size_t len = in->len;
            if (f->rewrite)
                f->rewrite(f->ctx, &in->rec, &raw, &len);
            write_all(to[1], raw, len);
        }
        inputs_close(in);
        close(to[1]);
        _exit(0);
    }
    close(to[1]);
    f->fd = from[0];
}

static int wait_ok(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void cmd_filter_wait(cmd_filter *f, int *cmd_ok, int *feeder_ok)
{
    *feeder_ok = wait_ok(f->feeder);
    *cmd_ok = wait_ok(f->cmd);
}
