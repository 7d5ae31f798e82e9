/*
 * compare.h — paired comparison of experiment arms over seeds and prompts
 * (eval-compare; the world's ablations, pipelines/ablate.sh SEEDS=K).
 *
 * Data: for every arm and seed, one score per prompt (e.g. the gold
 * judge's total) with the prompt's category.  A run's value is the
 * average over categories of the category means, the recipe's "average".
 * Arms are compared with a baseline arm on the SAME seed and the SAME
 * prompts (paired): within a seed every arm must have scored exactly the
 * baseline's prompt ids; different seeds may have different prompts (each
 * seed is its own world).
 *
 * Statistics, per arm (the baseline's difference is 0):
 *   mean, sd        over seeds of the per-seed value
 *   diff            mean over seeds of (arm - baseline) per-seed values
 *   lo, hi          95% percentile interval of diff from B bootstrap
 *                   resamples, two-stage: K seeds drawn with replacement,
 *                   then within each drawn seed its prompts drawn with
 *                   replacement, the same draw for both arms (paired)
 * and a power analysis from the same data: with d_s = mu + u_s + e_s,
 * Var(e_s) = sigma_item^2 / N_s is computed exactly for the category-
 * averaged metric from the per-category variances of the paired
 * differences, and sigma_seed^2 = max(0, sample variance of d_s - mean
 * Var(e_s)).  The standard error of diff with K seeds of N prompts is
 * sqrt((sigma_seed^2 + sigma_item^2 / N) / K); a true difference delta is
 * detected (interval excludes 0) with probability `power` when
 * (z_{0.975} + z_power) * SE <= delta.  cmp_power reports the seeds needed
 * at the current N and the prompts needed at the current K (or -1 when no
 * number of prompts suffices, because seed-to-seed variation alone is too
 * large).
 *
 * Everything is deterministic: same inputs (in any order of records
 * within a run) and seed give the same numbers.
 */
#ifndef PREFPIPE_EVAL_COMPARE_H
#define PREFPIPE_EVAL_COMPARE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cmp_set cmp_set;

typedef struct {
    const char *arm;
    int seeds;                 /* seeds with data */
    double mean, sd;           /* of the per-seed values */
    double diff, diff_sd;      /* vs the baseline, paired per seed */
    double lo, hi;             /* bootstrap 95% interval of diff */
    double p_le0;              /* bootstrap share of diff <= 0 (one-sided) */
    /* power analysis for diff (NAN for the baseline) */
    double sigma_seed, sigma_item;   /* sqrt of the two variance parts */
    double se;                 /* standard error at the data's K and N */
    long seeds_needed;         /* at the data's mean N; 0 unknown (< 2 seeds) */
    long items_needed;         /* per seed at the data's K; -1 never; 0 unknown */
} cmp_result;

cmp_set *cmp_new(void);
void cmp_free(cmp_set *s);
/* Add one scored prompt (a repeated (arm, seed, id) is reported by
 * cmp_run). */
void cmp_add(cmp_set *s, const char *arm, const char *seed, const char *id, size_t idn, const char *cat,
             size_t catn, double score);
/* Number of arms; their names in order of first appearance. */
int cmp_arms(const cmp_set *s, const char ***names);
/* Compute results for every arm against `baseline` (NULL: the first arm):
 * res[narms].  delta and power set the power analysis (e.g. 0.02, 0.8).
 * Returns 0, or -1 with err filled (unknown baseline, an arm missing a
 * seed or a prompt of the baseline, an arm with no data). */
int cmp_run(cmp_set *s, const char *baseline, int B, uint64_t seed, double delta, double power, cmp_result *res,
            char *err, size_t cap);

/* Standard normal quantile: bisection on 0.5 erfc(-x / sqrt 2), to the
 * last bit of a double. */
double cmp_norm_quantile(double p);

#endif
