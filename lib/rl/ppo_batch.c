/*
 * ppo_batch.c — packing rollouts into model batches and the minibatch
 * PPO objective (layout and conventions in ppo_batch.h).
 *
 * Ranks (dist.h): the minibatch loss is normalised by the response tokens
 * of the whole minibatch (all-reduced), and the whitening in ppo_prepare
 * uses the whole set's statistics (ppo_whiten); with one process both are
 * the local numbers.
 */
#include "rl/ppo_batch.h"
#include "dist/dist.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ppo_item_alloc(ppo_item *it)
{
    size_t n = it->rlen > 0 ? (size_t)it->rlen : 1;
    it->old_logp = xcalloc(n, sizeof(float));
    it->old_values = xcalloc(n, sizeof(float));
    it->adv = xcalloc(n, sizeof(double));
    it->ret = xcalloc(n, sizeof(double));
}

void ppo_item_free(ppo_item *it)
{
    free(it->ids);
    free(it->ref);
    free(it->old_logp);
    free(it->old_values);
    free(it->adv);
    free(it->ret);
    free(it->id);
    memset(it, 0, sizeof *it);
}

void ppo_mb_build(ppo_mb *mb, const ppo_item *items, const int *idx, int n)
{
    const int32_t **ids = xmalloc(sizeof *ids * (size_t)(n ? n : 1));
    int *len = xmalloc(sizeof *len * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) ids[i] = items[idx[i]].ids, len[i] = items[idx[i]].plen + items[idx[i]].rlen;
    seq_batch_pack(&mb->sb, ids, len, n);
    mb->idx = idx;
    free(ids);
    free(len);
}

void ppo_mb_free(ppo_mb *mb)
{
    seq_batch_free(&mb->sb);
    memset(mb, 0, sizeof *mb);
}

void ppo_mb_gather(const ppo_mb *mb, const ppo_item *items, int i, const float *logp,
                   const float *values, float *lp_out, float *v_out)
{
    const ppo_item *it = &items[mb->idx[i]];
    size_t base = (size_t)i * mb->sb.T + it->plen;
    for (int t = 0; t < it->rlen; t++) {
        if (lp_out) lp_out[t] = logp[base + t];
        if (v_out) v_out[t] = values[base + t - 1];
    }
}

void ppo_prepare(const ppo_cfg *c, double beta, ppo_item *items, const int *idx, int n,
                 ppo_prep_stats *st)
{
    size_t ntok = 0;
    for (int i = 0; i < n; i++) ntok += items[idx[i]].rlen;
    double *rew = xmalloc((ntok ? ntok : 1) * sizeof(double));
    double *val = xmalloc((ntok ? ntok : 1) * sizeof(double));
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        ppo_item *it = &items[idx[i]];
        it->score = ppo_seq_reward(c, it->reward, it->truncated);
        it->kl = ppo_token_rewards(c, beta, it->old_logp, it->ref, it->rlen, it->score, rew + off, NULL);
        for (int t = 0; t < it->rlen; t++) val[off + t] = it->old_values[t];
        st->kl_sum += it->kl;
        st->score_sum += it->score;
        st->score_sq += it->score * it->score;
        st->truncated += it->truncated;
        st->items += 1;
        off += it->rlen;
    }
    st->tokens += (double)ntok;
    if (c->whiten_rewards) ppo_whiten(rew, ntok, 0);
    off = 0;
    for (int i = 0; i < n; i++) {
        ppo_item *it = &items[idx[i]];
        ppo_gae(rew + off, val + off, it->rlen, c->gamma, c->lam, it->adv, it->ret);
        off += it->rlen;
    }
    if (c->whiten_adv) {
        off = 0;
        for (int i = 0; i < n; i++) {
            ppo_item *it = &items[idx[i]];
            memcpy(rew + off, it->adv, it->rlen * sizeof(double));
            off += it->rlen;
        }
        ppo_whiten(rew, ntok, 1);
        off = 0;
        for (int i = 0; i < n; i++) {
            ppo_item *it = &items[idx[i]];
            memcpy(it->adv, rew + off, it->rlen * sizeof(double));
            off += it->rlen;
        }
    }
    free(rew);
    free(val);
}

void ppo_mb_loss(const ppo_cfg *c, const ppo_mb *mb, const ppo_item *items, const float *logp,
                 const float *values, float *dlogp, float *dvalues, int train_policy, ppo_loss_stats *st)
{
    size_t N = (size_t)mb->sb.rows * mb->sb.T;
    memset(dlogp, 0, N * sizeof(float));
    if (dvalues) memset(dvalues, 0, N * sizeof(float));
    double ntok = 0;
    int maxr = 1;
    for (int i = 0; i < mb->sb.rows; i++) {
        ntok += items[mb->idx[i]].rlen;
        if (items[mb->idx[i]].rlen > maxr) maxr = items[mb->idx[i]].rlen;
    }
    /* the normaliser: response tokens of the minibatch over every rank */
    double all = ntok;
    dist_sum_f64(&all, 1);
    if (all == 0) return;
    double w = 1.0 / all;
    float *lp = xmalloc(maxr * sizeof(float)), *v = xmalloc(maxr * sizeof(float));
    float *g = xmalloc(maxr * sizeof(float));
    for (int i = 0; i < mb->sb.rows; i++) {
        const ppo_item *it = &items[mb->idx[i]];
        size_t base = (size_t)i * mb->sb.T + it->plen;
        ppo_mb_gather(mb, items, i, logp, values, lp, values ? v : NULL);
        ppo_pg_stats ps = {0};
        ppo_policy_loss(lp, it->old_logp, it->adv, it->rlen, c->cliprange, w, g, &ps);
        st->pg_loss += ps.loss;
        st->pg_clipped += ps.clipped;
        st->approx_kl += ps.approx_kl;
        for (int t = 0; t < it->rlen; t++) {
            st->entropy -= w * lp[t];
            if (train_policy) dlogp[base + t] = g[t];
        }
        if (values) {
            ppo_vf_stats vs = {0};
            ppo_value_loss(v, it->old_values, it->ret, it->rlen, c->cliprange_value, w, c->vf_coef, g, &vs);
            st->vf_loss += vs.loss;
            st->vf_clipped += vs.clipped;
            for (int t = 0; t < it->rlen; t++) dvalues[base + t - 1] = g[t];
        }
    }
    st->tokens += ntok;
    free(lp);
    free(v);
    free(g);
}
