/*
 * ppo_train.c — the PPO update loop over one batch (contracts in
 * ppo_train.h).  Buffers for a minibatch are allocated per minibatch and
 * freed at once; the models' activations are reserved for the largest
 * minibatch seen (model_reserve is a no-op when they already fit).
 *
 * Ranks (dist.h): every rank holds the whole batch (ppo_share.h) and item
 * i belongs to rank i % N: a rank fills the reference of, computes the old
 * log-probs, values and advantages of, and trains on its own items only;
 * every minibatch (the same permutation on every rank) is the rank's own
 * items of that slice, possibly none, and a rank with none still takes
 * part in every collective.  The gradients are all-reduced in optim_step,
 * the loss normaliser and whitening statistics in ppo_batch.c / ppo.c,
 * the explained variance in ppo.c, and the batch's reported sums
 * (rewards, KL, scores, losses, clip counts) here, where the metrics are
 * formed.  The running reward normaliser sees every item's reward on
 * every rank, in batch order, so it is the same everywhere.  With one
 * process every item is rank 0's and every all-reduce leaves its numbers
 * untouched.
 */
#include "rl/ppo_train.h"
#include "dist/dist.h"
#include "base/cli.h"
#include "base/shuffle.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ppo_train_cfg_defaults(ppo_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->pc = ppo_defaults();
    c->minibatch = 64, c->accum = 1, c->inner_epochs = 1, c->per_minibatch = 1;
    c->lr = 1e-6;
    c->h = adamw_defaults();
    c->h.b1 = 0.9f, c->h.b2 = 0.95f, c->h.eps = 1e-5f, c->h.wd = 0, c->h.clip = 1.0f;
    c->kl_target = 6.0, c->kl_horizon = 10000;
}

long ppo_updates_per_batch(const ppo_train_cfg *c, int n)
{
    long mb = ((long)n + c->minibatch - 1) / c->minibatch;
    return ((long)c->inner_epochs * mb + c->accum - 1) / c->accum;
}

/* Item i is this rank's (see the top of the file). */
static int mine(int i) { return i % dist_size() == dist_rank(); }

/* The rank's items of idx[0..n) into out; returns how many. */
static int own(const int *idx, int n, int *out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (mine(idx[i])) out[k++] = idx[i];
    return k;
}

/* Reference log-probs for items that lack them, minibatch items per
 * forward (the scorer's SCORE_ONE_BATCH: the group is ours). */
static void fill_ref(ppo_trainer *t, ppo_item *items, int n)
{
    int *need = xmalloc((size_t)(n ? n : 1) * sizeof(int)), k = 0;
    for (int i = 0; i < n; i++)
        if (!items[i].ref && mine(i)) need[k++] = i;
    if (k && !t->ref) die(EX_DATAERR, "rollouts without ref_logprobs and no reference model");
    score_seq *q = xcalloc((size_t)(k ? k : 1), sizeof *q);
    for (int j = 0; j < k; j++) {
        const ppo_item *it = &items[need[j]];
        q[j] = (score_seq){.ids = it->ids, .n = it->plen + it->rlen, .start = it->plen};
    }
    for (int s = 0; s < k; s += t->c.minibatch) {
        int m = k - s < t->c.minibatch ? k - s : t->c.minibatch;
        if (model_score(t->ref, q + s, m, SCORE_TOKENS, SCORE_ONE_BATCH) >= 0)
            die(EX_SOFTWARE, "a rollout is longer than the reference model's positions");
    }
    for (int j = 0; j < k; j++) items[need[j]].ref = q[j].logp;
    free(q);
    free(need);
}

/* Forward both models over a packed minibatch (training mode). */
static void forward(ppo_trainer *t, const ppo_mb *mb, float *lp, float *v)
{
    seq_batch_forward(t->policy, &mb->sb, 1, lp, NULL);
    seq_batch_forward(t->value, &mb->sb, 1, NULL, v);
}

static void take_old(ppo_item *items, const ppo_mb *mb, const float *lp, const float *v)
{
    for (int i = 0; i < mb->sb.rows; i++) {
        ppo_item *it = &items[mb->idx[i]];
        ppo_mb_gather(mb, items, i, lp, v, it->old_logp, it->old_values);
    }
}

void ppo_train_batch(ppo_trainer *t, ppo_item *items, int n, long batch, ppo_metrics *m)
{
    const ppo_train_cfg *c = &t->c;
    double t0 = now_seconds();
    memset(m, 0, sizeof *m);
    if (n == 0) return;
    for (int i = 0; i < n; i++) ppo_item_alloc(&items[i]);
    fill_ref(t, items, n);
    ppo_cfg pc = c->pc;
    /* raw reward statistics, and the running normaliser */
    double rs = 0, rq = 0, len = 0, toks = 0;
    double nmine = 0;
    for (int i = 0; i < n; i++) {
        if (c->running_norm) ppo_running_add(&t->rn, items[i].reward);
        if (!mine(i)) continue;
        rs += items[i].reward, rq += items[i].reward * items[i].reward;
        len += items[i].rlen, toks += items[i].plen + items[i].rlen;
        nmine++;
    }
    if (c->running_norm) pc.reward_norm = 1, pc.norm_mean = t->rn.mean, pc.norm_std = ppo_running_std(&t->rn);
    double raw[5] = {rs, rq, len, toks, nmine};   /* over every rank */
    dist_sum_f64(raw, 5);
    rs = raw[0], rq = raw[1], len = raw[2], toks = raw[3];
    double N = raw[4];
    m->reward_mean = rs / N;
    m->reward_std = N > 1 ? sqrt(fmax(0, (rq - rs * rs / N) / (N - 1))) : 0;
    m->response_length = len / N;
    m->items = (long)N;
    m->kl_coef = t->beta;

    int *all = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) all[i] = i;
    int *sub = xmalloc((size_t)n * sizeof(int));
    int nown = own(all, n, sub);   /* this rank's items, in order */
    ppo_prep_stats ps = {0};
    if (!c->per_minibatch) {   /* old log-probs and values for the whole batch first */
        for (int s = 0; s < nown; s += c->minibatch) {
            ppo_mb mb;
            ppo_mb_build(&mb, items, sub + s, nown - s < c->minibatch ? nown - s : c->minibatch);
            size_t N = (size_t)mb.sb.rows * mb.sb.T;
            float *lp = xmalloc(N * sizeof(float)), *v = xmalloc(N * sizeof(float));
            forward(t, &mb, lp, v);
            take_old(items, &mb, lp, v);
            free(lp), free(v);
            ppo_mb_free(&mb);
        }
        ppo_prepare(&pc, t->beta, items, sub, nown, &ps);
    }
    double ev_n = 0, pg = 0, vf = 0, nmb = 0, gnp = 0, gnv = 0, nupd = 0;
    ppo_loss_stats ls = {0};
    int *perm = xmalloc((size_t)n * sizeof(int));
    int acc = 0;
    /* batches are sized by the rollouts, so the warm-up is known only now */
    long warmup = c->warmup >= 0 ? c->warmup : (long)(c->warmup_frac * c->batches * ppo_updates_per_batch(c, n));
    for (int e = 0; e < c->inner_epochs; e++) {
        memcpy(perm, all, (size_t)n * sizeof(int));
        rng_t r;
        rng_seed(&r, mix64(c->seed ^ mix64((uint64_t)batch * 1000003u + (uint64_t)e)));
        rng_shuffle(&r, perm, (size_t)n, sizeof *perm);
        for (int s = 0; s < n; s += c->minibatch) {
            int k = own(perm + s, n - s < c->minibatch ? n - s : c->minibatch, sub);
            int train_policy = t->updates >= c->value_warmup;
            ppo_loss_stats st = {0};
            if (acc == 0) {
                model_zero_grads(t->policy);
                model_zero_grads(t->value);
            }
            if (k > 0) {
                ppo_mb mb;
                ppo_mb_build(&mb, items, sub, k);
                size_t N = (size_t)mb.sb.rows * mb.sb.T;
                float *lp = xmalloc(N * sizeof(float)), *v = xmalloc(N * sizeof(float));
                float *dl = xmalloc(N * sizeof(float)), *dv = xmalloc(N * sizeof(float));
                forward(t, &mb, lp, v);
                if (c->per_minibatch && e == 0) {
                    take_old(items, &mb, lp, v);
                    ppo_prepare(&pc, t->beta, items, mb.idx, mb.sb.rows, &ps);
                }
                ppo_mb_loss(&pc, &mb, items, lp, v, dl, dv, train_policy, &st);
                if (train_policy) model_backward(t->policy, dl, NULL);
                model_backward(t->value, NULL, dv);
                free(lp), free(v), free(dl), free(dv);
                ppo_mb_free(&mb);
            } else {   /* none of this minibatch is ours: the collectives only */
                if (c->per_minibatch && e == 0) ppo_prepare(&pc, t->beta, items, sub, 0, &ps);
                double none = 0;
                dist_sum_f64(&none, 1);   /* ppo_mb_loss's normaliser */
            }
            pg += st.pg_loss, vf += st.vf_loss, nmb++;
            ls.pg_clipped += st.pg_clipped, ls.vf_clipped += st.vf_clipped;
            ls.approx_kl += st.approx_kl, ls.entropy += st.entropy, ls.tokens += st.tokens;
            if (++acc == c->accum || (e == c->inner_epochs - 1 && s + c->minibatch >= n)) {
                lr_schedule sch = {c->lr, 0, warmup, 0};
                double lr = lr_at(&sch, t->updates);
                if (train_policy) gnp += optim_step(t->popt, t->policy, lr, acc);
                gnv += optim_step(t->vopt, t->value, lr, acc);
                m->lr = lr;
                t->updates++, nupd++, acc = 0;
            }
        }
    }
    /* explained variance of the old values against the returns */
    double *ret = xmalloc((size_t)(ps.tokens > 0 ? ps.tokens : 1) * sizeof(double));
    double *val = xmalloc((size_t)(ps.tokens > 0 ? ps.tokens : 1) * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int k = 0; mine(i) && k < items[i].rlen; k++) ret[(size_t)ev_n] = items[i].ret[k], val[(size_t)ev_n++] = items[i].old_values[k];
    m->explained_variance = ppo_explained_variance(ret, val, (size_t)ev_n);
    free(ret), free(val);
    /* the reported sums over every rank (minibatch and update counts are
     * the same on each) */
    double sums[10] = {ps.kl_sum, ps.score_sum, ps.truncated, ps.items, pg, vf,
                       ls.pg_clipped, ls.vf_clipped, ls.approx_kl, ls.entropy};
    double lstok = ls.tokens;
    dist_sum_f64(sums, 10);
    dist_sum_f64(&lstok, 1);
    ps.kl_sum = sums[0], ps.score_sum = sums[1], ps.truncated = sums[2], ps.items = sums[3];
    pg = sums[4], vf = sums[5], ls.pg_clipped = sums[6], ls.vf_clipped = sums[7];
    ls.approx_kl = sums[8], ls.entropy = sums[9], ls.tokens = lstok;
    m->score_mean = ps.items ? ps.score_sum / ps.items : 0;
    m->kl = ps.items ? ps.kl_sum / ps.items : 0;
    m->truncated = ps.items ? ps.truncated / ps.items : 0;
    m->policy_loss = nmb ? pg / nmb : 0;
    m->value_loss = nmb ? vf / nmb : 0;
    m->pg_clipfrac = ls.tokens ? ls.pg_clipped / ls.tokens : 0;
    m->vf_clipfrac = ls.tokens ? ls.vf_clipped / ls.tokens : 0;
    m->approx_kl = nmb ? ls.approx_kl / nmb : 0;
    m->entropy = nmb ? ls.entropy / nmb : 0;
    m->grad_norm_policy = nupd ? gnp / nupd : 0;
    m->grad_norm_value = nupd ? gnv / nupd : 0;
    m->updates = t->updates;
    m->tokens = (long)toks;
    double el = now_seconds() - t0;
    m->tokens_per_s = el > 0 ? toks * c->inner_epochs / el : 0;
    if (c->adaptive_kl) {
        ppo_kl_ctl k = {t->beta, c->kl_target, c->kl_horizon};
        ppo_kl_ctl_update(&k, m->kl, N);
        t->beta = k.beta;
    }
    free(perm);
    free(sub);
    free(all);
}
