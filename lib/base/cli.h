/*
 * cli.h — small helpers for the command-line conventions every executable
 * shares (design.md): --help/--version on stdout with exit 0, usage errors
 * with exit 64, and progress lines on stderr when it is a terminal or when
 * --progress is given.
 */
#ifndef PREFPIPE_CLI_H
#define PREFPIPE_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* Print usage to stdout and exit 0. */
void cli_help(const char *usage) __attribute__((noreturn));
/* Print "prog (prefpipe) VERSION" and exit 0. */
void cli_version(void) __attribute__((noreturn));
/* "prog: msg\nTry 'prog --help'." and exit 64. */
void cli_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* After getopt_long returned '?' (with opterr = 0 set before the loop, so
 * getopt printed nothing): one usage error (exit 64) naming the option,
 * with the closest long option of lo when one is near ("did you mean
 * '--lr'?"), the candidates of an ambiguous prefix, or "needs a value". */
void cli_bad_option(char **argv, const struct option *lo) __attribute__((noreturn));
/* An old spelling kept for one release (README "One meaning per flag"):
 * "PROG: warning: OLD is the old spelling of NOW; use NOW (OLD goes in the
 * next release[, then means LATER])" on stderr, once per OLD. */
void cli_old_spelling(const char *old, const char *now, const char *later);
/* The name in names[0..n) closest to s (edit distance, at most ~1/3 of
 * its length), or NULL: for "did you mean" messages. */
const char *cli_nearest(const char *s, size_t slen, const char *const *names, size_t n);

/* Progress reporting.  On a terminal: one line redrawn in place at most
 * 4 times a second, with a bar when the total is known:
 *   sft-step: [#########...........] 120/400 steps 45% 3.1 steps/s ETA 1m30s loss 2.31
 * Otherwise (--progress into a log): the same line without the bar, once
 * every PREFPIPE_PROGRESS_EVERY seconds (default 10), and a last one at
 * the end, so a log gets a readable trickle rather than 4 lines a second. */
typedef struct {
    const char *what;      /* "records", "tokens", ... */
    uint64_t done, total;  /* total 0 = unknown */
    double t0, last;
    int enabled, tty;
    double every;          /* seconds between lines */
    const char *vname;     /* the current value shown (loss, reward), or NULL */
    double value;
    uint64_t printed;      /* done at the last line (no repeated last line) */
} progress_t;

void progress_init(progress_t *p, const char *what, uint64_t total, int forced);
void progress_add(progress_t *p, uint64_t n);
void progress_finish(progress_t *p);
/* The current loss/reward shown on the next line ("loss 2.31"). */
void progress_value(progress_t *p, const char *name, double v);
/* Seconds as "42s", "3m05s", "2h10m". */
void format_duration(double s, char *buf, size_t n);
double now_seconds(void);

#endif
