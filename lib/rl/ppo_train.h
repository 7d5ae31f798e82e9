/*
 * ppo_train.h — one PPO update over a batch of scored rollouts, with the
 * policy, value and reference models (App. F.2 / App. G; ppo-step is the
 * CLI).
 *
 * A batch of n items is split into minibatches of b items (a seeded
 * shuffle per inner epoch, from seed, batch index and epoch); g
 * consecutive minibatches accumulate into one AdamW update of each
 * model; the batch is visited e times (inner epochs).
 *
 * Forward passes (App. G):
 *   per_minibatch = 1  the old log-probs and values of a minibatch come
 *                      from the CURRENT models right before its first
 *                      update (the training forward itself, so it costs
 *                      nothing extra); advantages and their whitening
 *                      are per minibatch; later inner epochs reuse them.
 *   per_minibatch = 0  the usual PPO: old log-probs/values of the whole
 *                      batch before any update, whitening over the batch.
 * Reference log-probs: taken from the records when present, else from
 * the reference model (once per batch).
 * The total loss is L_pi + alpha L_V; the policy and value models are
 * separate, so each gets its own gradient and optimizer.  During the
 * first value_warmup updates the policy is frozen.
 */
#ifndef PREFPIPE_PPO_TRAIN_H
#define PREFPIPE_PPO_TRAIN_H

#include "train/optim.h"
#include "rl/ppo_batch.h"

typedef struct {
    ppo_cfg pc;
    int minibatch, accum, inner_epochs, per_minibatch;
    double lr;
    long warmup;                 /* updates of linear warm-up; -1: warmup_frac of the run */
    double warmup_frac;          /* warmup -1: warm up over warmup_frac x batches x
                                  * ppo_updates_per_batch (the paper's "10% of iterations",
                                  * iterations being optimizer updates) */
    long batches;                /* the run's length in batches (ppo-step --batches) */
    adamw_hparams h;
    long value_warmup;           /* updates with the policy frozen */
    int adaptive_kl;
    double kl_target, kl_horizon;
    int running_norm;            /* reward normalisation by a running estimate */
    uint64_t seed;
} ppo_train_cfg;

typedef struct {
    ppo_train_cfg c;
    model *policy, *value, *ref; /* ref may be NULL when records carry ref_logprobs */
    optim *popt, *vopt;
    long updates;
    double beta;
    ppo_running rn;
} ppo_trainer;

typedef struct {
    double reward_mean, reward_std, score_mean, kl, kl_coef;
    double policy_loss, value_loss, pg_clipfrac, vf_clipfrac, approx_kl, entropy;
    double response_length, truncated, explained_variance, lr, tokens_per_s;
    double grad_norm_policy, grad_norm_value;
    long updates, items, tokens;
} ppo_metrics;

void ppo_train_cfg_defaults(ppo_train_cfg *c);
/* Optimizer updates one batch of n items makes: ceil(e ceil(n / b) / g)
 * (g counts minibatches across inner epochs; the last update of a batch
 * takes what is left). */
long ppo_updates_per_batch(const ppo_train_cfg *c, int n);
/* Train on items[0..n) of batch `batch`. */
void ppo_train_batch(ppo_trainer *t, ppo_item *items, int n, long batch, ppo_metrics *m);

#endif
