/*
 * util.h — process-wide conventions shared by every prefpipe executable.
 *
 * - Diagnostics go to stderr as "prog: message"; `die()` exits with a
 *   sysexits.h code (64 usage, 65 bad data, 66 cannot open input,
 *   70 internal, 74 I/O).
 * - Before exiting, `die()` runs the registered cleanup hooks so that a
 *   half-written output (a temporary file awaiting its rename) is removed:
 *   nothing half-written survives a failure.  SIGINT/SIGTERM/SIGHUP do the
 *   same through `util_install_signal_cleanup()`.
 * - Hashing and random numbers are our own small, portable functions so that
 *   "same inputs + same seed => same bytes" holds on every machine.
 */
#ifndef PREFPIPE_UTIL_H
#define PREFPIPE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sysexits.h>

#define PREFPIPE_VERSION "0.1.0"

extern const char *progname;

void util_set_progname(const char *argv0);
noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Cleanup hooks run (last registered first) by die() and fatal signals. */
typedef void (*cleanup_fn)(void *arg);
int util_add_cleanup(cleanup_fn fn, void *arg);   /* returns a handle */
void util_remove_cleanup(int handle);
void util_run_cleanups(void);
void util_install_signal_cleanup(void);
/* Is a fatal-signal handler running the hooks?  Then a hook may use only
 * async-signal-safe calls (unlink, rmdir, close...; no malloc/free/stdio). */
int util_in_signal(void);

/* Allocation that never returns NULL (it dies with exit 71 instead). */
#define XALLOC_ATTRS __attribute__((returns_nonnull, warn_unused_result))
void *xmalloc(size_t n) XALLOC_ATTRS __attribute__((malloc));
void *xcalloc(size_t n, size_t m) XALLOC_ATTRS __attribute__((malloc));
void *xrealloc(void *p, size_t n) XALLOC_ATTRS;
char *xstrdup(const char *s) XALLOC_ATTRS __attribute__((malloc));
char *xstrndup(const char *s, size_t n) XALLOC_ATTRS __attribute__((malloc));

/* Parsing of numeric option values; die(EX_USAGE) with the option's name. */
long long parse_ll(const char *opt, const char *s, long long lo, long long hi);
double parse_double(const char *opt, const char *s);

/* 64-bit hashing (FNV-1a over bytes, then a splitmix64 finaliser). */
uint64_t hash64(const void *data, size_t len, uint64_t seed);
uint64_t mix64(uint64_t x);

/* xoshiro256** generator; seeded through splitmix64. */
typedef struct { uint64_t s[4]; } rng_t;
void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
double rng_uniform(rng_t *r);                 /* [0, 1) */
uint64_t rng_below(rng_t *r, uint64_t n);     /* [0, n), unbiased */

/* UTF-8 validity (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const char *s, size_t n);

/* Shortest text for a double that reads back to the same value. */
int format_double(char *buf, size_t cap, double v);
int format_float(char *buf, size_t cap, float v);

#endif
