/*
 * subproc.c — a shell command as a filter (subproc.h).
 */
#include "base/subproc.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int subproc_filter(const char *cmd, const char *in, size_t n, char **out, size_t *outn, char *err, size_t cap)
{
    int pin[2], pout[2];
    if (pipe(pin) != 0) { snprintf(err, cap, "pipe: %s", strerror(errno)); return -1; }
    if (pipe(pout) != 0) {
        snprintf(err, cap, "pipe: %s", strerror(errno));
        close(pin[0]), close(pin[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pin[0], 0), dup2(pout[1], 1);
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(pin[0]), close(pout[1]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t done = 0, len = 0, bcap = 4096;
    char *buf = xmalloc(bcap);
    int wfd = pin[1], rfd = pout[0];
    if (n == 0) close(wfd), wfd = -1;
    while (rfd >= 0) {
        struct pollfd p[2] = {{rfd, POLLIN, 0}, {wfd, POLLOUT, 0}};
        if (poll(p, wfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (wfd >= 0 && p[1].revents) {
            ssize_t w = write(wfd, in + done, n - done);
            if (w > 0) done += (size_t)w;
            if (w < 0 && errno != EINTR && errno != EAGAIN) done = n;   /* EPIPE: it stopped reading */
            if (done == n) close(wfd), wfd = -1;
        }
        if (p[0].revents) {
            if (len + 4096 + 1 > bcap) bcap *= 2, buf = xrealloc(buf, bcap);
            ssize_t r = read(rfd, buf + len, bcap - len - 1);
            if (r > 0) len += (size_t)r;
            else if (r == 0 || (errno != EINTR && errno != EAGAIN)) close(rfd), rfd = -1;
        }
    }
    if (wfd >= 0) close(wfd);
    if (rfd >= 0) close(rfd);
    signal(SIGPIPE, old);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(st) || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFSIGNALED(st)) snprintf(err, cap, "the command was killed by signal %d", WTERMSIG(st));
        else snprintf(err, cap, "the command exited with status %d", WEXITSTATUS(st));
        free(buf);
        return -1;
    }
    buf[len] = 0;
    *out = buf;
    *outn = len;
    return 0;
}
