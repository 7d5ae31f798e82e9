/*
 * ppo.h — the arithmetic of PPO for language models (App. F.2, Eq. 4–6),
 * with no model in sight: every function takes plain arrays of per-token
 * numbers for one response (or a flat concatenation of responses), so it
 * can be checked against hand-computed values (tests/unit/test_ppo.c).
 *
 * Conventions
 * - A response of n tokens has per-token log-probs under the policy
 *   (logp), the reference (ref), value estimates V_t = V(x ∘ y_<t)
 *   (values) and one sequence reward r.
 * - Per-token reward (Eq. 4): rewards[t] = −β · kl_t, plus the sequence
 *   reward at t = n−1.  kl_t is the chosen estimator of
 *   KL(π ‖ π_ref) at token t with d = logp − ref:
 *     k1 = d,  k2 = d²/2,  k3 = exp(−d) − 1 + d   (Schulman's estimators)
 *   and is clamped to [kl_min, kl_max] when clamping is on.
 * - Sequence reward: a truncated response gets eos_reward (−10) when the
 *   EOS trick is on; then normalisation ((r − mean)/std), then clipping
 *   to [−reward_clip, reward_clip] when reward_clip > 0.
 * - GAE (γ, λ): δ_t = r_t + γ V_{t+1} − V_t with V_n = 0; A_t = δ_t +
 *   γλ A_{t+1}; returns G_t = A_t + V_t (the value targets).
 * - Losses are SUMS over the tokens given, each token weighted by w (the
 *   caller passes w = 1 / tokens-in-the-minibatch to get means); gradients
 *   are written (not accumulated) per token and include w.
 *   Policy: max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)), ρ = exp(logp − old).
 *   Value: ½ max((V − G)², (V_clip − G)²), V_clip = V_old +
 *   clip(V − V_old, −ε_v, ε_v); the caller multiplies by α (0.1).
 *   Ties between the branches take the unclipped one's gradient.
 * - Whitening: (x − mean) / sqrt(var + 1e-8) with the unbiased variance
 *   (as TRL/OpenRLHF); reward whitening keeps the mean (shift_mean 0).
 */
#ifndef PREFPIPE_PPO_H
#define PREFPIPE_PPO_H

#include <stddef.h>

typedef enum { PPO_KL_K1 = 1, PPO_KL_K2 = 2, PPO_KL_K3 = 3 } ppo_kl_est;

typedef struct {
    double beta;                 /* KL coefficient (0.05) */
    ppo_kl_est kl_est;           /* k1 */
    int kl_clamp;                /* clamp kl_t to [kl_min, kl_max] */
    double kl_min, kl_max;
    int eos_trick;               /* truncated -> eos_reward */
    double eos_reward;           /* -10 */
    int reward_norm;             /* (r - norm_mean) / norm_std */
    double norm_mean, norm_std;
    double reward_clip;          /* <= 0: off */
    double gamma, lam;           /* 1.0, 0.95 */
    double cliprange;            /* 0.2 */
    double cliprange_value;      /* 0.2 */
    double vf_coef;              /* 0.1 */
    int whiten_rewards;          /* off */
    int whiten_adv;              /* on */
} ppo_cfg;

/* The paper's settings (Table 9 / Table 10). */
ppo_cfg ppo_defaults(void);
/* "k1"/"k2"/"k3" -> estimator; 0 when unknown. */
ppo_kl_est ppo_kl_parse(const char *s);

/* The KL estimate at one token (before clamping). */
double ppo_kl_token(ppo_kl_est e, double logp, double ref);
/* The sequence reward after the EOS trick, normalisation and clipping. */
double ppo_seq_reward(const ppo_cfg *c, double reward, int truncated);
/* rewards[n] (Eq. 4) with coefficient beta; kl[n] (may be NULL) gets the
 * (clamped) per-token KL.  Returns the sum of the unclamped k1 terms
 * (the sequence's KL estimate log π(y) − log π_ref(y)). */
double ppo_token_rewards(const ppo_cfg *c, double beta, const float *logp, const float *ref, int n,
                         double seq_reward, double *rewards, double *kl);
/* GAE over one response: adv[n], ret[n] (ret may be NULL). */
void ppo_gae(const double *rewards, const double *values, int n, double gamma, double lam, double *adv,
             double *ret);
/* Whiten x[n] in place; shift_mean 0 adds the mean back.  The mean and
 * (unbiased) variance are over every rank's x (collective, dist.h). */
void ppo_whiten(double *x, size_t n, int shift_mean);

typedef struct {
    double loss;          /* weighted sum */
    double clipped;       /* tokens where the clipped branch was taken */
    double approx_kl;     /* sum of ½ (logp − old)² (times w) */
    double ratio_max;
} ppo_pg_stats;

/* Clipped policy loss over n tokens; dlogp[n] = w · d loss_t / d logp_t. */
void ppo_policy_loss(const float *logp, const float *old, const double *adv, int n, double eps, double w,
                     float *dlogp, ppo_pg_stats *st);

typedef struct {
    double loss;          /* weighted sum of ½ max(...) */
    double clipped;       /* tokens where the clipped branch was taken */
} ppo_vf_stats;

/* Clipped value loss; dv[n] = coef · w · d loss_t / d V_t. */
void ppo_value_loss(const float *v, const float *vold, const double *ret, int n, double eps, double w,
                    double coef, float *dv, ppo_vf_stats *st);

/* 1 − Var(ret − v) / Var(ret) over n pairs (NaN when Var(ret) = 0). */
/* Collective (dist.h): over every rank's n tokens. */
double ppo_explained_variance(const double *ret, const double *v, size_t n);

/* Adaptive KL controller (Ziegler et al. 2019): error = clip(kl/target −
 * 1, −0.2, 0.2); beta *= 1 + error · n_steps / horizon. */
typedef struct {
    double beta, target, horizon;
} ppo_kl_ctl;
void ppo_kl_ctl_update(ppo_kl_ctl *k, double kl, double n_steps);

/* Running mean/variance (Welford), for the running reward normaliser. */
typedef struct {
    double n, mean, m2;
} ppo_running;
void ppo_running_add(ppo_running *r, double x);
double ppo_running_std(const ppo_running *r);

#endif
