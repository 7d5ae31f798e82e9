/*
 * report.h — combine summary records into the paper's tables: one
 * row per run (model and/or training step), one column per benchmark,
 * category averages, and the average over categories (Table 1 / Table 5
 * layout); JSON; and a gnuplot PNG of scores over training steps (App. L).
 *
 * Values are the summaries' "score" (or another metric chosen per
 * benchmark) times 100.  A benchmark's category comes from the summary's
 * "category" field, else from the paper's grouping (evaluation.md):
 *   factuality: MMLU   reasoning: GSM8K, BBH
 *   coding: HumanEval+, MBPP+ (and the names without +)
 *   truthfulness: TruthfulQA   safety: ToxiGen, XSTest
 *   instruction following: AlpacaEval (1, 2), IFEval
 * Other benchmarks (e.g. RewardBench) are shown under "other" and left out
 * of the average, which is taken over the six categories present.  A
 * summary with AlpacaEval's length-controlled win rate (lc_win_rate, and
 * lc_ci_low/high) adds a column "BENCH LC" beside it, category
 * "instruction following (LC)": shown, not averaged (the column BENCH
 * keeps the raw win rate).
 *
 * Comparison records (kind "comparison", from eval-compare: one per arm,
 * its mean over seeds and its paired difference to the baseline with a
 * bootstrap interval) are kept beside the table (report_compare.c): a
 * text table of the arms, a "comparison" array in the JSON, and, when
 * present, they are what --plot draws.
 */
#ifndef PREFPIPE_EVAL_REPORT_H
#define PREFPIPE_EVAL_REPORT_H

#include "io/jsonconv.h"

#include <msgpack.h>
#include <stddef.h>

typedef struct {
    char *model;
    long long step;   /* -1: none */
    double *vals;     /* per benchmark, NAN when absent */
    double *lo, *hi;  /* the summary's bootstrap interval (ci_low, ci_high)
                         x 100 when it has one and the metric is "score";
                         NAN otherwise */
} report_row;

typedef struct {
    char *arm, *baseline, *verdict;
    long long seeds;
    double mean, sd, diff, lo, hi;   /* x 100; sd NAN when absent */
} report_cmp;

typedef struct {
    char **bench, **cat;
    size_t nb;
    report_row *rows;
    size_t nr;
    char **metric_for;   /* "BENCH=KEY" overrides, NULL-terminated */
    report_cmp *cmp;     /* comparison records, in input order */
    size_t ncmp;
} report;

void report_init(report *r, char **metric_overrides);
void report_free(report *r);
/* 1 a summary added, 2 a comparison added, 0 neither, -1 error (message
 * in err). */
int report_add(report *r, const msgpack_object *rec, char *err, size_t errcap);
/* Order columns by category, rows by model then step. */
void report_sort(report *r);
/* layout: 1 benchmarks, 2 categories, 3 both.  When some summary has a
 * bootstrap interval, a list "95% bootstrap intervals" follows. */
void report_text(const report *r, int layout, obuf *out);
void report_json(const report *r, obuf *out);

/* ---- comparisons (report_compare.c) ---- */
int report_add_comparison(report *r, const msgpack_object *rec, char *err, size_t errcap);
/* arm, seeds, mean, sd, difference [95% interval], verdict */
void report_compare_text(const report *r, obuf *out);
/* the "comparison" array of the JSON */
void *report_compare_json(const report *r);   /* a json_t * */
/* Points: each arm's difference to the baseline with its interval, a
 * line at 0; the arms' names reach gnuplot only quoted. */
int report_plot_comparison(const report *r, const char *png, char *msg, size_t cap);
void report_compare_free(report *r);
/* Rows with a step: scores over training steps, one line per benchmark
 * and model.  No row with a step: a bar chart, one group per benchmark,
 * category and the average, one bar per run, with the bootstrap
 * intervals as error bars where the summaries have them.
 * 0 written, 1 skipped with a message (no gnuplot), -1 error. */
int report_plot(const report *r, const char *png, char *msg, size_t cap);

#endif
