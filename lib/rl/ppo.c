/*
 * ppo.c — PPO arithmetic (see ppo.h for the formulas and conventions).
 * Pure functions over caller-owned arrays; no allocation except the
 * temporary in ppo_whiten's callers (none here).  Sums are in double.
 *
 * One exception to "pure": ppo_whiten's mean and variance are the whole
 * step's, so their sums and count are all-reduced over ranks (dist.h);
 * with one process that changes nothing.
 */
#include "rl/ppo.h"
#include "dist/dist.h"

#include <math.h>
#include <string.h>

ppo_cfg ppo_defaults(void)
{
    ppo_cfg c;
    memset(&c, 0, sizeof c);
    c.beta = 0.05;
    c.kl_est = PPO_KL_K1;
    c.kl_min = -INFINITY, c.kl_max = INFINITY;
    c.eos_trick = 1;
    c.eos_reward = -10.0;
    c.norm_std = 1.0;
    c.gamma = 1.0, c.lam = 0.95;
    c.cliprange = 0.2, c.cliprange_value = 0.2;
    c.vf_coef = 0.1;
    c.whiten_adv = 1;
    return c;
}

ppo_kl_est ppo_kl_parse(const char *s)
{
    if (!strcmp(s, "k1")) return PPO_KL_K1;
    if (!strcmp(s, "k2")) return PPO_KL_K2;
    if (!strcmp(s, "k3")) return PPO_KL_K3;
    return 0;
}

double ppo_kl_token(ppo_kl_est e, double logp, double ref)
{
    double d = logp - ref;
    switch (e) {
    case PPO_KL_K2: return 0.5 * d * d;
    case PPO_KL_K3: return expm1(-d) + d;
    default: return d;
    }
}

double ppo_seq_reward(const ppo_cfg *c, double reward, int truncated)
{
    double r = reward;
    if (truncated && c->eos_trick)
        r = c->eos_reward;
    if (c->reward_norm)
        r = (r - c->norm_mean) / (c->norm_std > 0 ? c->norm_std : 1.0);
    if (c->reward_clip > 0) {
        if (r > c->reward_clip) r = c->reward_clip;
        if (r < -c->reward_clip) r = -c->reward_clip;
    }
    return r;
}

double ppo_token_rewards(const ppo_cfg *c, double beta, const float *logp, const float *ref, int n,
                         double seq_reward, double *rewards, double *kl)
{
    double k1sum = 0;
    for (int t = 0; t < n; t++) {
        double k = ppo_kl_token(c->kl_est, logp[t], ref[t]);
        if (c->kl_clamp) {
            if (k < c->kl_min) k = c->kl_min;
            if (k > c->kl_max) k = c->kl_max;
        }
        k1sum += (double)logp[t] - ref[t];
        if (kl) kl[t] = k;
        rewards[t] = -beta * k;
    }
    if (n > 0)
        rewards[n - 1] += seq_reward;
    return k1sum;
}

void ppo_gae(const double *rewards, const double *values, int n, double gamma, double lam, double *adv,
             double *ret)
{
    double last = 0;
    for (int t = n - 1; t >= 0; t--) {
        double next = t + 1 < n ? values[t + 1] : 0.0;
        double delta = rewards[t] + gamma * next - values[t];
        last = delta + gamma * lam * last;
        adv[t] = last;
        if (ret) ret[t] = last + values[t];
    }
}

void ppo_whiten(double *x, size_t n, int shift_mean)
{
    /* collective: a rank with nothing local still takes part */
    double cnt[2] = {(double)n, 0};   /* count, sum */
    for (size_t i = 0; i < n; i++) cnt[1] += x[i];
    dist_sum_f64(cnt, 2);
    double N = cnt[0];
    if (N == 0) return;
    double mean = cnt[1] / N, var = 0;
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    dist_sum_f64(&var, 1);
    var = N > 1 ? var / (N - 1) : 0.0;
    double inv = 1.0 / sqrt(var + 1e-8);
    for (size_t i = 0; i < n; i++) {
        x[i] = (x[i] - mean) * inv;
        if (!shift_mean) x[i] += mean;
    }
}

void ppo_policy_loss(const float *logp, const float *old, const double *adv, int n, double eps, double w,
                     float *dlogp, ppo_pg_stats *st)
{
    for (int t = 0; t < n; t++) {
        double d = (double)logp[t] - old[t];
        double ratio = exp(d);
        double rc = ratio < 1 - eps ? 1 - eps : ratio > 1 + eps ? 1 + eps : ratio;
        double pg1 = -adv[t] * ratio, pg2 = -adv[t] * rc;
        int clipped = pg2 > pg1;
        st->loss += w * (clipped ? pg2 : pg1);
        st->clipped += clipped;
        st->approx_kl += w * 0.5 * d * d;
        if (ratio > st->ratio_max) st->ratio_max = ratio;
        /* d(−A ρ)/d logp = −A ρ; the clipped branch is constant in logp */
        dlogp[t] = clipped ? 0.0f : (float)(w * -adv[t] * ratio);
    }
}

void ppo_value_loss(const float *v, const float *vold, const double *ret, int n, double eps, double w,
                    double coef, float *dv, ppo_vf_stats *st)
{
    for (int t = 0; t < n; t++) {
        double dvv = (double)v[t] - vold[t];
        double vc = vold[t] + (dvv < -eps ? -eps : dvv > eps ? eps : dvv);
        double l1 = (v[t] - ret[t]) * (v[t] - ret[t]);
        double l2 = (vc - ret[t]) * (vc - ret[t]);
        int clipped = l2 > l1;
        st->loss += w * 0.5 * (clipped ? l2 : l1);
        st->clipped += clipped;
        /* clipped branch: V_clip is constant in V (it only wins when the
         * clip is active, since otherwise V_clip = V and l1 = l2) */
        dv[t] = clipped ? 0.0f : (float)(coef * w * (v[t] - ret[t]));
    }
}

double ppo_explained_variance(const double *ret, const double *v, size_t n)
{
    /* collective, as ppo_whiten: every rank's tokens; a rank with none
     * still takes part */
    double s[3] = {(double)n, 0, 0};   /* count, sum of returns, of ret - v */
    for (size_t i = 0; i < n; i++) s[1] += ret[i], s[2] += ret[i] - v[i];
    dist_sum_f64(s, 3);
    double N = s[0];
    double mr = N > 0 ? s[1] / N : 0, md = N > 0 ? s[2] / N : 0;
    double q[2] = {0, 0};   /* sums of squared deviations: returns, ret - v */
    for (size_t i = 0; i < n; i++) {
        q[0] += (ret[i] - mr) * (ret[i] - mr);
        double d = ret[i] - v[i] - md;
        q[1] += d * d;
    }
    dist_sum_f64(q, 2);
    if (N < 2) return NAN;
    return q[0] > 0 ? 1.0 - q[1] / q[0] : NAN;
}

void ppo_kl_ctl_update(ppo_kl_ctl *k, double kl, double n_steps)
{
    if (!(k->target > 0) || !(k->horizon > 0)) return;
    double err = kl / k->target - 1.0;
    if (err > 0.2) err = 0.2;
    if (err < -0.2) err = -0.2;
    k->beta *= 1.0 + err * n_steps / k->horizon;
}

void ppo_running_add(ppo_running *r, double x)
{
    r->n += 1;
    double d = x - r->mean;
    r->mean += d / r->n;
    r->m2 += d * (x - r->mean);
}

double ppo_running_std(const ppo_running *r)
{
    return r->n > 1 ? sqrt(r->m2 / (r->n - 1)) : 1.0;
}
