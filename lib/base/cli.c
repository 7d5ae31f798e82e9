/*
 * cli.c — help/version/usage and the progress line (see cli.h).
 */
#include "base/cli.h"
#include "base/util.h"

#include <stdarg.h>
#include <string.h>
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

static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t row[64], prev;
    if (m >= sizeof row / sizeof *row) return (size_t)-1;
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[m];
}

const char *cli_nearest(const char *s, size_t slen, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t bd = slen / 3 > 2 ? slen / 3 : 2;   /* farther than this is no suggestion */
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(s, slen, names[i], strlen(names[i]));
        if (d <= bd && (!best || d < bd)) best = names[i], bd = d;
    }
    return best;
}

void cli_bad_option(char **argv, const struct option *lo)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (optopt) {   /* a short option, or any option missing its value */
        int takes = 0;
        for (const struct option *o = lo; o->name; o++)
            if (o->val == optopt && o->has_arg == required_argument) takes = 1;
        if (arg[0] == '-' && arg[1] == '-') {
            const char *eq = strchr(arg, '=');
            cli_usage_error("option '%.*s' needs a value", (int)(eq ? eq - arg : (long)strlen(arg)), arg);
        }
        if (takes) cli_usage_error("option '-%c' needs a value", optopt);
        cli_usage_error("invalid option '-%c'", optopt);
    }
    if (arg[0] != '-' || arg[1] != '-') cli_usage_error("invalid option '%s'", arg);
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    size_t n = 0, nprefix = 0;
    for (const struct option *o = lo; o->name; o++) n++;
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    char cands[512] = "";
    for (size_t i = 0; i < n; i++) {
        names[i] = lo[i].name;
        if (strncmp(lo[i].name, name, len) == 0 && strlen(cands) + strlen(lo[i].name) + 4 < sizeof cands) {
            nprefix++;
            strcat(cands, " --");
            strcat(cands, lo[i].name);
        }
    }
    if (nprefix > 1) cli_usage_error("option '--%.*s' is ambiguous; possibilities:%s", (int)len, name, cands);
    const char *near = cli_nearest(name, len, names, n);
    if (near) cli_usage_error("unrecognized option '--%.*s'; did you mean '--%s'?", (int)len, name, near);
    cli_usage_error("unrecognized option '--%.*s'", (int)len, name);
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
    p->vname = NULL;
    p->value = 0;
    p->printed = UINT64_MAX;
    p->every = 0.25;
    if (!p->tty) {
        const char *e = getenv("PREFPIPE_PROGRESS_EVERY");
        char *end;
        double v = e ? strtod(e, &end) : 0;
        p->every = e && end != e && *end == '\0' && v >= 0 ? v : 10.0;
    }
}

void progress_value(progress_t *p, const char *name, double v)
{
    p->vname = name;
    p->value = v;
}

void format_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e9) s = 0;
    long t = (long)(s + 0.5);
    if (t < 60) snprintf(buf, n, "%lds", t);
    else if (t < 3600) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

static void progress_print(progress_t *p, int final)
{
    double t = now_seconds() - p->t0;
    double rate = t > 0 ? (double)p->done / t : 0;
    char d[32];
    fprintf(stderr, "%s%s: ", p->tty && !final ? "\r" : "", progname);
    if (p->total && p->tty) {   /* the bar: 20 cells */
        uint64_t done = p->done < p->total ? p->done : p->total;
        int full = (int)(20 * done / p->total);
        fputc('[', stderr);
        for (int i = 0; i < 20; i++) fputc(i < full ? '#' : '.', stderr);
        fputs("] ", stderr);
    }
    fprintf(stderr, "%llu", (unsigned long long)p->done);
    if (p->total)
        fprintf(stderr, "/%llu %s %.0f%%", (unsigned long long)p->total, p->what,
                100.0 * (double)p->done / (double)p->total);
    else
        fprintf(stderr, " %s", p->what);
    fprintf(stderr, rate >= 10 ? ", %.0f %s/s" : ", %.2g %s/s", rate, p->what);
    format_duration(t, d, sizeof d);
    fprintf(stderr, ", %s", d);
    if (p->total && rate > 0 && !final && p->done < p->total) {
        format_duration((double)(p->total - p->done) / rate, d, sizeof d);
        fprintf(stderr, ", ETA %s", d);
    }
    if (p->vname) fprintf(stderr, ", %s %.4g", p->vname, p->value);
    fputs(p->tty && !final ? "\033[K" : "\n", stderr);
    p->printed = p->done;
}

void progress_add(progress_t *p, uint64_t n)
{
    p->done += n;
    if (!p->enabled)
        return;
    double t = now_seconds();
    if (t - p->last >= p->every) {
        p->last = t;
        progress_print(p, 0);
    }
}

void progress_finish(progress_t *p)
{
    if (p->enabled && (p->tty || p->printed != p->done)) {
        if (p->tty)
            fputs("\r\033[K", stderr);   /* the final line replaces the bar */
        progress_print(p, 1);
    }
}

void cli_old_spelling(const char *old, const char *now, const char *later)
{
    static const char *said[16];
    for (int i = 0; i < 16 && said[i]; i++)
        if (!strcmp(said[i], old)) return;
    for (int i = 0; i < 16; i++)
        if (!said[i]) { said[i] = old; break; }
    fprintf(stderr, "%s: warning: %s is the old spelling of %s; use %s (%s goes in the next release%s%s)\n",
            progname, old, now, now, old, later ? ", then means " : "", later ? later : "");
}
