/*
 * util.c — error reporting, cleanup hooks, allocation, hashing, RNG,
 * UTF-8 validation and number formatting (see util.h for the contracts).
 *
 * The cleanup table is a small fixed array: executables register at most a
 * handful of temporary outputs, and a signal handler must not allocate (nor
 * free: hooks ask util_in_signal() and only unlink then).
 */
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "prefpipe";

void util_set_progname(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    progname = slash ? slash + 1 : argv0;
}

#define MAX_CLEANUPS 64
static struct { cleanup_fn fn; void *arg; } cleanups[MAX_CLEANUPS];
static volatile sig_atomic_t running_cleanups;

int util_add_cleanup(cleanup_fn fn, void *arg)
{
    for (int i = 0; i < MAX_CLEANUPS; i++)
        if (!cleanups[i].fn) {
            cleanups[i].arg = arg;
            cleanups[i].fn = fn;
            return i;
        }
    die(EX_SOFTWARE, "too many open outputs");
}

void util_remove_cleanup(int handle)
{
    if (handle >= 0 && handle < MAX_CLEANUPS)
        cleanups[handle].fn = NULL;
}

void util_run_cleanups(void)
{
    if (running_cleanups)
        return;
    running_cleanups = 1;
    for (int i = MAX_CLEANUPS - 1; i >= 0; i--)
        if (cleanups[i].fn) {
            cleanup_fn fn = cleanups[i].fn;
            cleanups[i].fn = NULL;
            fn(cleanups[i].arg);
        }
    running_cleanups = 0;
}

static volatile sig_atomic_t in_signal;

int util_in_signal(void)
{
    return in_signal;
}

/* Only async-signal-safe work here and in the hooks it runs: they check
 * util_in_signal() and then neither allocate nor free nor use stdio. */
static void on_fatal_signal(int sig)
{
    in_signal = 1;
    util_run_cleanups();
    signal(sig, SIG_DFL);
    raise(sig);
}

void util_install_signal_cleanup(void)
{
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
}

void die(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    util_run_cleanups();
    /* _exit, not exit: an error exit skips atexit work (and LeakSanitizer's
     * report of memory the error path did not bother to free) */
    fflush(NULL);
    _exit(code);
}

void warnx_(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(EX_OSERR, "out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        die(EX_OSERR, "out of memory (%zu x %zu bytes)", n, m);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die(EX_OSERR, "out of memory (%zu bytes)", n);
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

long long parse_ll(const char *opt, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        die(EX_USAGE, "%s: '%s' is not an integer", opt, s);
    if (v < lo || v > hi)
        die(EX_USAGE, "%s: %lld is outside [%lld, %lld]", opt, v, lo, hi);
    return v;
}

double parse_double(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        die(EX_USAGE, "%s: '%s' is not a finite number", opt, s);
    return v;
}

uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h ^ len);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(x);
    }
}

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng_t *r) { return (rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t rng_below(rng_t *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* fast path over ASCII, eight bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned min;
        if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; c &= 0x1f; }
        else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; c &= 0x0f; }
        else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if (i + need >= n)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

int format_double(char *buf, size_t cap, double v)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn") && (size_t)n + 2 < cap) { /* keep it a float */
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = 0;
    }
    return n;
}

int format_float(char *buf, size_t cap, float v)
{
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return n;
}
