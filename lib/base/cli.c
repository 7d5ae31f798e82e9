/*
 * cli.c — help/version/usage and the progress line (see cli.h).
 */
#include "base/cli.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void cli_help(const char *usage)
{
    fputs(usage, stdout);
    exit(0);
}

void cli_version(void)
{
    printf("%s (prefpipe) %s\n", progname, PREFPIPE_VERSION);
    exit(0);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
    util_run_cleanups();
    fflush(NULL);
    _exit(EX_USAGE);
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress_t *p, const char *what, uint64_t total, int forced)
{
    p->what = what;
    p->done = 0;
    p->total = total;
    p->t0 = p->last = now_seconds();
    p->tty = isatty(2);
    p->enabled = forced || p->tty;
}

static void progress_print(progress_t *p, int final)
{
    double t = now_seconds() - p->t0;
    double rate = t > 0 ? (double)p->done / t : 0;
    fprintf(stderr, "%s%s: %llu %s", p->tty && !final ? "\r" : "", progname,
            (unsigned long long)p->done, p->what);
    if (p->total)
        fprintf(stderr, "/%llu (%.0f%%)", (unsigned long long)p->total, 100.0 * (double)p->done / (double)p->total);
    fprintf(stderr, ", %.1f %s/s, %.1f s", rate, p->what, t);
    if (p->total && rate > 0 && !final)
        fprintf(stderr, ", ETA %.0f s", (double)(p->total - p->done) / rate);
    fputs(p->tty && !final ? "\033[K" : "\n", stderr);
}

void progress_add(progress_t *p, uint64_t n)
{
    p->done += n;
    if (!p->enabled)
        return;
    double t = now_seconds();
    if (t - p->last >= 0.25) {
        p->last = t;
        progress_print(p, 0);
    }
}

void progress_finish(progress_t *p)
{
    if (p->enabled) {
        if (p->tty)
            fputs("\r", stderr);
        progress_print(p, 1);
    }
}
