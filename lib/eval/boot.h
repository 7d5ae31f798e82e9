/*
 * boot.h — bootstrap intervals of a benchmark's headline score
 * (eval-score --bootstrap B).
 *
 * The resampling unit is the benchmark's item (a question, a prompt, a
 * problem with all its samples): each of B resamples draws n items with
 * replacement, as counts w[i] (a multinomial over the n items), and the
 * scorer recomputes its headline from those counts (eval_task.reweigh),
 * so a score that is not a plain mean (BBH's mean of task accuracies,
 * XSTest's F1) is resampled as what it is.  The interval is the
 * percentile one: the 2.5th and 97.5th percentiles of the B values
 * (order statistics floor(0.025 B) and ceil(0.975 B) - 1).  The draws
 * come from xoshiro256** seeded with the seed alone, so the same records
 * and seed give the same interval on every machine.
 *
 * boot_items is the common case: one value per item, optionally with a
 * stratum (BBH's task), kept in arrival order.
 */
#ifndef PREFPIPE_EVAL_BOOT_H
#define PREFPIPE_EVAL_BOOT_H

#include "eval/common.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double *v;
    uint32_t *stratum;
    size_t n, cap;
    uint32_t nstrata;     /* 1 + the largest stratum added */
} boot_items;

void boot_add(boot_items *b, double v, uint32_t stratum);
void boot_free(boot_items *b);
/* Weighted mean of the values (0 when every weight is 0). */
double boot_mean(const boot_items *b, const uint32_t *w);
/* The mean over strata of each stratum's weighted mean (strata with zero
 * weight left out). */
double boot_strata_mean(const boot_items *b, const uint32_t *w);

typedef struct {
    double lo, hi;        /* the percentile interval */
    size_t n;             /* units resampled */
} boot_result;

/* B resamples of n units through f (a reweigh: the statistic with unit i
 * counted w[i] times); 0, or -1 with fewer than 2 units or when f gave
 * NaN on some resample. */
int boot_fn_interval(size_t n, double (*f)(void *ctx, const uint32_t *w), void *ctx, int B, uint64_t seed,
                     boot_result *out);
/* B resamples of task's units; 0, or -1 when the task has no bootstrap
 * or fewer than 2 units. */
int boot_interval(const eval_task *task, void *st, int B, uint64_t seed, boot_result *out);
/* eval-score --bootstrap: add ci_low, ci_high, ci_units, bootstrap and
 * bootstrap_seed to a summary's metrics (a warning, nothing added, when
 * there are fewer than 2 units). */
void boot_summary(const eval_task *task, void *st, int B, uint64_t seed, kvbuf *metrics);

#endif
