/*
 * cli.h — small helpers for the command-line conventions every executable
 * shares (design.md): --help/--version on stdout with exit 0, usage errors
 * with exit 64, and progress lines on stderr when it is a terminal or when
 * --progress is given.
 */
#ifndef PREFPIPE_CLI_H
#define PREFPIPE_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Print usage to stdout and exit 0. */
void cli_help(const char *usage) __attribute__((noreturn));
/* Print "prog (prefpipe) VERSION" and exit 0. */
void cli_version(void) __attribute__((noreturn));
/* "prog: msg\nTry 'prog --help'." and exit 64. */
void cli_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Progress reporting: at most ~4 lines a second, "\r"-updated on a
 * terminal, one line per update otherwise (--progress into a log). */
typedef struct {
    const char *what;      /* "records", "tokens", ... */
    uint64_t done, total;  /* total 0 = unknown */
    double t0, last;
    int enabled, tty;
} progress_t;

void progress_init(progress_t *p, const char *what, uint64_t total, int forced);
void progress_add(progress_t *p, uint64_t n);
void progress_finish(progress_t *p);
double now_seconds(void);

#endif
