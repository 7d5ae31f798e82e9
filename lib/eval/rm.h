/*
 * rm.h — RewardBench-style reward-model accuracy: a pair is correct
 * when the chosen response scores strictly higher than the rejected one
 * (a tie is wrong, and counted); accuracy per subset, and RewardBench's
 * score weighted by section: Chat, Chat Hard, Safety and Reasoning (their
 * subsets weighted by RewardBench's example counts) weigh 1 each, the
 * prior sets (the "prior" subsets, their plain mean) 0.5 as a whole, so
 * Table 13's 61.0 = (74.3 + 49.3 + 52.2 + 65.0 + 0.5 * 67.9) / 4.5.  A
 * subset RewardBench does not know is a section of its own (weight 1).
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
/* Subset i's section weight (0.5 prior, else 1) and its section's name. */
double rm_acc_weight(const rm_acc *a, size_t i);
const char *rm_acc_section(const rm_acc *a, size_t i);
/* Overall micro accuracy and the weighted score. */
double rm_acc_micro(const rm_acc *a);
double rm_acc_weighted(const rm_acc *a);
/* Summary metrics: score (= weighted), weighted, accuracy, ties, subsets
 * {name: {n, accuracy, weight, section}}, sections {name: {accuracy, weight}}. */
void rm_acc_metrics(const rm_acc *a, kvbuf *k);

#endif
