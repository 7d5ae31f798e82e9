/*
 * report_int.h — private to eval-report's files (report.c,
 * report_compare.c, gnuplot.c): running gnuplot safely, and the one
 * printf into an obuf.
 *
 * A plot is a job: a private temporary directory holding a data file
 * (numbers only) and a script that starts with the shared style
 * (tools/plot-style.gp, embedded as prefpipe_plot_style) and the PNG
 * terminal; the PNG goes to a temporary name beside the target and is
 * renamed when gnuplot succeeds, so a failed plot leaves nothing behind.
 * Record text reaches the script only through gp_quote (see report.c's
 * header for why); gnuplot is started with execvp, never a shell.
 * PREFPIPE_PLOT_SCRIPT=FILE keeps a copy of the script (tests read it).
 */
#ifndef PREFPIPE_EVAL_REPORT_INT_H
#define PREFPIPE_EVAL_REPORT_INT_H

#include "io/jsonconv.h"

#include <stddef.h>
#include <stdio.h>

/* printf into o (one line of at most 1023 bytes) */
void report_putf(obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct {
    char dir[32], data[64], script[64], tmp_png[4200];
    FILE *d, *s;   /* the data file and the script, open for writing */
} gp_job;

/* 1 when gnuplot is on PATH */
int gp_have(void);
/* s as a single-quoted gnuplot string: ' doubled, control bytes as spaces */
void gp_quote(FILE *f, const char *s);
/* Create the job's files and start the script: the style, the terminal
 * (pngcairo W x H, noenhanced) and "set output '<tmp png>'" (no newline).
 * 0, or -1 with a message (nothing left behind). */
int gp_begin(gp_job *j, const char *png, int w, int h, char *msg, size_t cap);
/* Close the files, run gnuplot, rename the PNG into place, remove the
 * temporary files.  0 ("wrote PNG" in msg) or -1. */
int gp_finish(gp_job *j, const char *png, char *msg, size_t cap);

#endif
