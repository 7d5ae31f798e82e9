/*
 * ppo_batch.h — rollouts as PPO training items, their packing into model
 * batches, and the per-minibatch PPO objective through the model's
 * per-token outputs.
 *
 * An item is one scored rollout: ids = templated prompt ++ response
 * tokens; the response is ids[plen, plen + rlen).  Packed into a
 * right-padded [n, T] batch by seq_batch_pack (row i = item idx[i];
 * n = mb.sb.rows, T = mb.sb.T), response token t of
 * row i sits at position p = plen + t, so
 *   log π(y_t)      = logp[i T + p]      (model_forward's convention)
 *   V(x ∘ y_<t)     = values[i T + p − 1] (the value head on the token
 *                                          before y_t: Eq. 6's V_φ(x∘y<t))
 * Per-item arrays (old_logp, old_values, ref, adv, ret) have rlen
 * entries and are owned by the item (ppo_item_free).
 *
 * ppo_prepare() turns old log-probs, values and reference log-probs of a
 * set of items into advantages and returns (Eq. 4 + GAE + whitening over
 * every token of the set); ppo_mb_loss() evaluates the clipped losses of
 * a packed minibatch and writes d loss / d logp and d loss / d values in
 * the model's [n T] layout, ready for model_backward().  Losses are means
 * over the response tokens of the minibatch.
 */
#ifndef PREFPIPE_PPO_BATCH_H
#define PREFPIPE_PPO_BATCH_H

#include "model/score.h"
#include "rl/ppo.h"

#include <stdint.h>

typedef struct {
    int32_t *ids;           /* plen + rlen, malloc'd */
    int plen, rlen;
    double reward;          /* raw score from the record */
    int truncated;          /* finish == "length" */
    float *ref;             /* reference log-probs [rlen] (NULL until known) */
    float *old_logp;        /* [rlen] */
    float *old_values;      /* [rlen] */
    double *adv, *ret;      /* [rlen] */
    double score;           /* sequence reward after EOS trick/norm/clip */
    double kl;              /* sum_t (old_logp - ref) */
    char *id;               /* the record id (malloc'd; may be NULL) */
} ppo_item;

void ppo_item_alloc(ppo_item *it);   /* the per-token arrays except ref */
void ppo_item_free(ppo_item *it);

typedef struct {
    seq_batch sb;           /* row i = items[idx[i]].ids (model/score.h's packer) */
    const int *idx;         /* borrowed: item index of each row */
} ppo_mb;

void ppo_mb_build(ppo_mb *mb, const ppo_item *items, const int *idx, int n);
void ppo_mb_free(ppo_mb *mb);
/* Copy item row i's response log-probs / values out of full [n T]
 * outputs (either destination may be NULL). */
void ppo_mb_gather(const ppo_mb *mb, const ppo_item *items, int i, const float *logp,
                   const float *values, float *lp_out, float *v_out);

typedef struct {
    double kl_sum, score_sum, score_sq, tokens, truncated, items;
} ppo_prep_stats;

/* For items idx[0..n): per-token rewards, GAE and whitening as ppo_cfg
 * says (whitening over all tokens of the set). */
void ppo_prepare(const ppo_cfg *c, double beta, ppo_item *items, const int *idx, int n,
                 ppo_prep_stats *st);

typedef struct {
    double pg_loss, vf_loss, pg_clipped, vf_clipped, approx_kl, entropy, tokens;
} ppo_loss_stats;

/* Losses of a packed minibatch given the current logp/values [n T]
 * (values may be NULL: no value loss).  dlogp/dvalues [n T] are
 * overwritten (zero outside response tokens).  train_policy 0 leaves
 * dlogp zero (value warm-up). */
void ppo_mb_loss(const ppo_cfg *c, const ppo_mb *mb, const ppo_item *items, const float *logp,
                 const float *values, float *dlogp, float *dvalues, int train_policy, ppo_loss_stats *st);

#endif
