/*
 * objectives.c — dpo, bt and sft objectives (objectives.h).
 * Each micro() reads sequence numbers off the batch, calls the per-example
 * loss of losses.c and spreads d loss / d (sequence log-prob) over the
 * response tokens (or puts d loss / d reward on the last token).
 */
#include "train/objectives.h"

#include "base/util.h"

#include <string.h>

static void spread(const train_batch *b, float *d, int i, int k, double g)
{
    const train_example *e = &b->ex[i];
    float *row = d + (size_t)(b->row0[i] + k) * b->sb.T;
    if (k == 0)
        for (int j = 0; j < e->nspan; j++)
            for (int t = e->span[j][0]; t < e->span[j][1]; t++) row[t] = (float)g;
    for (int t = e->start[k]; t < e->len[k]; t++) row[t] = (float)g;
}

static double dpo_micro(void *ctx, const train_batch *b, const float *logp, const float *values,
                        float *dlogp, float *dvalues, const train_norm *nm, double *st)
{
    (void)values; (void)dvalues;
    dpo_ctx *c = ctx;
    double loss = 0, inv = 1.0 / (double)nm->examples;
    for (int i = 0; i < b->n; i++) {
        const train_example *e = &b->ex[i];
        if (!e->has_ref && pref_loss_needs_ref(c->loss.kind))
            die(EX_DATAERR, "record %llu: no reference log-probs (give --ref DIR or run ref-score first)",
                (unsigned long long)e->recno);
        double pc = train_seq_logp(b, logp, i, 0), pr = train_seq_logp(b, logp, i, 1);
        pref_loss_out o = pref_loss(&c->loss, pc, pr, e->ref[0], e->ref[1], e->len[0] - e->start[0],
                                    e->len[1] - e->start[1]);
        loss += o.loss * inv;
        if (dlogp) {
            spread(b, dlogp, i, 0, o.dpc * inv);
            spread(b, dlogp, i, 1, o.dpr * inv);
        }
        st[0] += (o.reward_c > o.reward_r) * inv;
        st[1] += o.reward_c * inv;
        st[2] += o.reward_r * inv;
        st[3] += (o.reward_c - o.reward_r) * inv;
        st[4] += pc * inv;
        st[5] += pr * inv;
    }
    return loss;
}

train_objective dpo_objective(dpo_ctx *c)
{
    train_objective o = {.nstats = 6,
                         .stat = {"reward_accuracy", "reward_chosen", "reward_rejected", "reward_margin",
                                  "logp_chosen", "logp_rejected"},
                         .want_logp = 1, .micro = dpo_micro, .ctx = c};
    return o;
}

static double bt_micro(void *ctx, const train_batch *b, const float *logp, const float *values,
                       float *dlogp, float *dvalues, const train_norm *nm, double *st)
{
    (void)logp; (void)dlogp;
    bt_ctx *c = ctx;
    double loss = 0, inv = 1.0 / (double)nm->examples;
    for (int i = 0; i < b->n; i++) {
        const train_example *e = &b->ex[i];
        double rc = train_seq_value(b, values, i, 0), rr = train_seq_value(b, values, i, 1);
        double dc, dr;
        loss += bt_loss(rc, rr, c->margin_scale * e->margin, c->eta, &dc, &dr) * inv;
        if (dvalues) {
            dvalues[(size_t)(b->row0[i]) * b->sb.T + train_seq_pool(b, i, 0)] = (float)(dc * inv);
            dvalues[(size_t)(b->row0[i] + 1) * b->sb.T + train_seq_pool(b, i, 1)] = (float)(dr * inv);
        }
        if (c->collect) {
            c->n += 2;
            c->sum += rc + rr;
            c->sumsq += rc * rc + rr * rr;
        }
        st[0] += (rc > rr) * inv;
        st[1] += rc * inv;
        st[2] += rr * inv;
        st[3] += (rc - rr) * inv;
    }
    return loss;
}

train_objective bt_objective(bt_ctx *c)
{
    train_objective o = {.nstats = 4,
                         .stat = {"accuracy", "reward_chosen", "reward_rejected", "reward_margin"},
                         .want_values = 1, .micro = bt_micro, .ctx = c};
    return o;
}

static double sft_micro(void *ctx, const train_batch *b, const float *logp, const float *values,
                        float *dlogp, float *dvalues, const train_norm *nm, double *st)
{
    (void)ctx; (void)values; (void)dvalues;
    double loss = 0, inv = 1.0 / (double)(nm->tokens ? nm->tokens : 1);
    for (int i = 0; i < b->n; i++) {
        const train_example *e = &b->ex[i];
        loss -= train_seq_logp(b, logp, i, 0) * inv;
        if (dlogp) spread(b, dlogp, i, 0, -inv);
        st[1] += (double)train_example_loss_tokens(e, 0);
    }
    st[0] += loss;
    return loss;
}

train_objective sft_objective(void)
{
    train_objective o = {.nstats = 2, .stat = {"nll", "response_tokens"}, .want_logp = 1, .micro = sft_micro};
    return o;
}
