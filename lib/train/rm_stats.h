/*
 * rm_stats.h — the reward-model statistics contract: rm-train measures the
 * mean and standard deviation of its model's rewards over the training
 * responses (chosen and rejected) after the last step and stores them in
 * the checkpoint's trainer_state.json as
 *     "reward_mean": M, "reward_std": S, "reward_count": N
 * (numbers in format_double's shortest round-trip form); rm-score
 * --normalize and ppo-step --reward-norm DIR read them back and use
 * (r - M) / S.  This file is the only writer and the only reader, so the
 * key names, the number format and the validity rule (M finite, S finite
 * and > 0) live in one place.
 */
#ifndef PREFPIPE_TRAIN_RM_STATS_H
#define PREFPIPE_TRAIN_RM_STATS_H

#include "model/model.h"
#include "train/examples.h"
#include "train/trainer.h"

typedef struct {
    int have;                  /* measured or read */
    double mean, std, count;   /* count: responses measured (0 when read
                                  from a file without reward_count) */
} rm_stats;

/* Measure over every example of the spool (forward passes of 8), the
 * score head at the last token of each response; reports on stderr. */
void rm_stats_measure(rm_stats *s, model *m, train_spool *data);

/* Make train_run measure s after the last step and store it in every
 * trainer_state.json it writes from then on (the final checkpoint).
 * Uses o->finish, o->state_extra and o->hook_ctx. */
void rm_stats_attach(train_opts *o, rm_stats *s);

/* The trainer_state.json members, malloc'd ("\"reward_mean\": ..."), or
 * NULL when s has none. */
char *rm_stats_state_members(const rm_stats *s);

/* Read DIR/trainer_state.json.  Returns 0, or -1 with a message naming
 * the file and what is wrong in why (no file, not JSON, keys missing or
 * not numbers, std not positive). */
int rm_stats_read(const char *dir, rm_stats *s, char *why, size_t wl);
/* rm_stats_read or exit 65 with "PROG: WHY (rm-train writes them)". */
void rm_stats_read_or_die(const char *dir, rm_stats *s);

/* (r - mean) / std. */
double rm_stats_normalize(const rm_stats *s, double r);

#endif
