/*
 * objectives.h — the three training objectives as trainer.h
 * callbacks:
 *   dpo  the DPO family (losses.h) on response log-probs; needs reference
 *        log-probs in every example unless the loss is simpo.
 *        stats: reward_accuracy, reward_chosen, reward_rejected,
 *        reward_margin, logp_chosen, logp_rejected (means over pairs).
 *   bt   Bradley–Terry on the score head at the last token (rm-train);
 *        optional margin from the records (times margin_scale) and reward
 *        centring eta.  stats: accuracy, reward_chosen, reward_rejected,
 *        reward_margin.  With collect set it also accumulates the sum and
 *        sum of squares of every reward it sees (for the mean/std stored
 *        in the checkpoint).
 *   sft  negative log-likelihood per loss token — the response and, for a
 *        multi-turn prompt, every earlier assistant turn (the step's mean over
 *        tokens).  stats: nll (= loss), tokens.
 */
#ifndef PREFPIPE_TRAIN_OBJECTIVES_H
#define PREFPIPE_TRAIN_OBJECTIVES_H

#include "train/losses.h"
#include "train/trainer.h"

typedef struct {
    pref_loss_cfg loss;
} dpo_ctx;

typedef struct {
    double margin_scale, eta;
    int collect;
    double n, sum, sumsq;
} bt_ctx;

train_objective dpo_objective(dpo_ctx *c);
train_objective bt_objective(bt_ctx *c);
train_objective sft_objective(void);

#endif
