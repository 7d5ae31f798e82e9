/*
 * rm.h — RewardBench-style reward-model accuracy: a pair is correct
 * when the chosen response scores strictly higher than the rejected one
 * (a tie is wrong, and counted); accuracy per subset, and the weighted
 * score sum(w_s acc_s) / sum(w_s) with w = 0.5 for "prior" subsets and 1
 * for the others.
 */
#ifndef PREFPIPE_EVAL_RM_H
#define PREFPIPE_EVAL_RM_H

#include "eval/common.h"

#include <stdint.h>

typedef struct {
    strmap index;
    char **names;
    uint64_t *n, *correct, *ties;
    size_t ns, cap;
    char **prior;       /* NULL-terminated subset names with weight 0.5 */
} rm_acc;

void rm_acc_init(rm_acc *a, const char *prior_csv);
void rm_acc_free(rm_acc *a);
void rm_acc_add(rm_acc *a, const char *subset, size_t len, double chosen, double rejected);
double rm_acc_weight(const rm_acc *a, size_t i);
/* Overall micro accuracy and the weighted score. */
double rm_acc_micro(const rm_acc *a);
double rm_acc_weighted(const rm_acc *a);
/* Summary metrics: score (= weighted), weighted, accuracy, ties, subsets {name: {n, accuracy, weight}}. */
void rm_acc_metrics(const rm_acc *a, kvbuf *k);

#endif
