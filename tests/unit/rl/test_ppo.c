/*
 * test_ppo.c — PPO arithmetic (lib/rl/ppo.c) against values worked out by
 * hand in the comments: KL estimators, per-token rewards with the KL
 * penalty and clamping, the EOS trick, normalisation and clipping, GAE,
 * whitening, the clipped policy and value losses with their gradients,
 * explained variance and the adaptive KL controller.
 */
#include "check.h"
#include "rl/ppo.h"

#include <math.h>
#include <string.h>

static void test_kl(void)
{
    /* d = logp - ref = 0.5: k1 0.5, k2 0.125, k3 e^-0.5 - 1 + 0.5 */
    CHECK_NEAR(ppo_kl_token(PPO_KL_K1, -1.0, -1.5), 0.5, 1e-12);
    CHECK_NEAR(ppo_kl_token(PPO_KL_K2, -1.0, -1.5), 0.125, 1e-12);
    CHECK_NEAR(ppo_kl_token(PPO_KL_K3, -1.0, -1.5), 0.1065306597, 1e-9);
    /* k3 is never negative, k1 can be */
    CHECK(ppo_kl_token(PPO_KL_K1, -2.0, -1.0) < 0);
    CHECK(ppo_kl_token(PPO_KL_K3, -2.0, -1.0) > 0);
    CHECK(ppo_kl_parse("k2") == PPO_KL_K2 && ppo_kl_parse("k4") == 0);
}

static void test_token_rewards(void)
{
    ppo_cfg c = ppo_defaults();
    float lp[3] = {-1, -2, -0.5}, ref[3] = {-1.5, -2, -1};
    double r[3], kl[3];
    /* beta 0.1: d = (0.5, 0, 0.5) -> (-0.05, 0, -0.05 + 1) */
    double s = ppo_token_rewards(&c, 0.1, lp, ref, 3, 1.0, r, kl);
    CHECK_NEAR(s, 1.0, 1e-12);
    CHECK_NEAR(r[0], -0.05, 1e-12);
    CHECK_NEAR(r[1], 0.0, 1e-12);
    CHECK_NEAR(r[2], 0.95, 1e-12);
    CHECK_NEAR(kl[2], 0.5, 1e-12);
    /* clamping to [-0.2, 0.2]: -0.1 * 0.2 */
    c.kl_clamp = 1, c.kl_min = -0.2, c.kl_max = 0.2;
    ppo_token_rewards(&c, 0.1, lp, ref, 3, 1.0, r, kl);
    CHECK_NEAR(r[0], -0.02, 1e-12);
    CHECK_NEAR(r[2], 0.98, 1e-12);
    /* the returned sequence KL is unclamped k1 */
    CHECK_NEAR(ppo_token_rewards(&c, 0.1, lp, ref, 3, 0, r, NULL), 1.0, 1e-12);
    /* k2 estimator: 0.125 per token with d = 0.5 */
    c = ppo_defaults();
    c.kl_est = PPO_KL_K2;
    ppo_token_rewards(&c, 1.0, lp, ref, 3, 0.0, r, NULL);
    CHECK_NEAR(r[0], -0.125, 1e-12);
}

static void test_seq_reward(void)
{
    ppo_cfg c = ppo_defaults();
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 0), 3.0, 0);
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 1), -10.0, 0);   /* EOS trick */
    c.eos_reward = -4;
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 1), -4.0, 0);
    c.eos_trick = 0;
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 1), 3.0, 0);
    c = ppo_defaults();
    c.reward_clip = 5;
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 1), -5.0, 0);    /* -10 clipped */
    CHECK_NEAR(ppo_seq_reward(&c, 7.0, 0), 5.0, 0);
    c = ppo_defaults();
    c.reward_norm = 1, c.norm_mean = 1, c.norm_std = 2;
    CHECK_NEAR(ppo_seq_reward(&c, 3.0, 0), 1.0, 1e-12);  /* (3 - 1) / 2 */
}

static void test_gae(void)
{
    double r[3] = {0, 0, 1}, v[3] = {0.5, 0.6, 0.7}, a[3], g[3];
    /* gamma 1, lambda 0.5:
     * t2: delta 1 - 0.7 = 0.3 -> A 0.3, G 1.0
     * t1: delta 0.7 - 0.6 = 0.1 -> A 0.1 + 0.5*0.3 = 0.25, G 0.85
     * t0: delta 0.6 - 0.5 = 0.1 -> A 0.1 + 0.5*0.25 = 0.225, G 0.725 */
    ppo_gae(r, v, 3, 1.0, 0.5, a, g);
    CHECK_NEAR(a[2], 0.3, 1e-12);
    CHECK_NEAR(a[1], 0.25, 1e-12);
    CHECK_NEAR(a[0], 0.225, 1e-12);
    CHECK_NEAR(g[0], 0.725, 1e-12);
    CHECK_NEAR(g[1], 0.85, 1e-12);
    /* lambda 1, gamma 1: A_t = (sum of rewards from t) - V_t; G_t = 1 */
    ppo_gae(r, v, 3, 1.0, 1.0, a, g);
    CHECK_NEAR(a[0], 0.5, 1e-12);
    CHECK_NEAR(g[0], 1.0, 1e-12);
    CHECK_NEAR(g[1], 1.0, 1e-12);
    /* paper's 0.95, gamma 0.9: t2 delta 0.3; t1 delta 0.9*0.7 - 0.6 = 0.03,
     * A1 = 0.03 + 0.855 * 0.3 = 0.2865 */
    ppo_gae(r, v, 3, 0.9, 0.95, a, NULL);
    CHECK_NEAR(a[1], 0.2865, 1e-12);
}

static void test_whiten(void)
{
    double x[3] = {1, 2, 3};
    ppo_whiten(x, 3, 1);   /* mean 2, unbiased var 1 */
    CHECK_NEAR(x[0], -1.0, 1e-7);
    CHECK_NEAR(x[1], 0.0, 1e-12);
    CHECK_NEAR(x[2], 1.0, 1e-7);
    double y[3] = {1, 2, 3};
    ppo_whiten(y, 3, 0);   /* mean kept */
    CHECK_NEAR(y[0], 1.0, 1e-7);
    CHECK_NEAR(y[2], 3.0, 1e-7);
}

static void test_policy_loss(void)
{
    ppo_pg_stats st;
    float lp[1] = {(float)log(1.5)}, old[1] = {0}, d[1];
    double adv[1] = {1};
    /* ratio 1.5, A 1: pg1 -1.5, pg2 -1.2 -> max -1.2 (clipped), grad 0 */
    memset(&st, 0, sizeof st);
    ppo_policy_loss(lp, old, adv, 1, 0.2, 1.0, d, &st);
    CHECK_NEAR(st.loss, -1.2, 1e-6);
    CHECK(st.clipped == 1);
    CHECK(d[0] == 0);
    CHECK_NEAR(st.approx_kl, 0.5 * log(1.5) * log(1.5), 1e-6);
    /* A -1: pg1 1.5 > pg2 1.2 -> unclipped, grad w * -A * ratio = 0.5 * 1.5 */
    adv[0] = -1;
    memset(&st, 0, sizeof st);
    ppo_policy_loss(lp, old, adv, 1, 0.2, 0.5, d, &st);
    CHECK_NEAR(st.loss, 0.75, 1e-6);
    CHECK(st.clipped == 0);
    CHECK_NEAR(d[0], 0.75, 1e-6);
    /* ratio 1: loss -A, grad -A */
    float lp1[1] = {-0.3f}, old1[1] = {-0.3f};
    adv[0] = 2;
    memset(&st, 0, sizeof st);
    ppo_policy_loss(lp1, old1, adv, 1, 0.2, 1.0, d, &st);
    CHECK_NEAR(st.loss, -2.0, 1e-12);
    CHECK_NEAR(d[0], -2.0, 1e-12);
    /* ratio 0.5 with A 1: pg1 -0.5 > pg2 -0.8 -> unclipped (pessimistic) */
    float lp2[1] = {(float)log(0.5)};
    adv[0] = 1;
    memset(&st, 0, sizeof st);
    ppo_policy_loss(lp2, old, adv, 1, 0.2, 1.0, d, &st);
    CHECK_NEAR(st.loss, -0.5, 1e-6);
    CHECK_NEAR(d[0], -0.5, 1e-6);
}

static void test_value_loss(void)
{
    ppo_vf_stats st;
    float v[1] = {1.0f}, vold[1] = {0.5f}, d[1];
    double ret[1] = {0};
    /* V_clip 0.7: l1 1, l2 0.49 -> unclipped: loss 0.5, grad coef * (V - G) */
    memset(&st, 0, sizeof st);
    ppo_value_loss(v, vold, ret, 1, 0.2, 1.0, 0.1, d, &st);
    CHECK_NEAR(st.loss, 0.5, 1e-12);
    CHECK_NEAR(d[0], 0.1, 1e-7);
    CHECK(st.clipped == 0);
    /* G 2: l1 1, l2 (0.7 - 2)^2 = 1.69 -> clipped: loss 0.845, grad 0 */
    ret[0] = 2;
    memset(&st, 0, sizeof st);
    ppo_value_loss(v, vold, ret, 1, 0.2, 1.0, 0.1, d, &st);
    CHECK_NEAR(st.loss, 0.845, 1e-6);
    CHECK(d[0] == 0);
    CHECK(st.clipped == 1);
}

static void test_misc(void)
{
    double ret[3] = {1, 2, 3}, v[3] = {1, 2, 3}, z[3] = {0, 0, 0};
    CHECK_NEAR(ppo_explained_variance(ret, v, 3), 1.0, 1e-12);
    CHECK_NEAR(ppo_explained_variance(ret, z, 3), 0.0, 1e-12);
    ppo_kl_ctl k = {0.1, 6, 10000};
    ppo_kl_ctl_update(&k, 12, 64);   /* error clipped to 0.2 */
    CHECK_NEAR(k.beta, 0.1 * (1 + 0.2 * 64 / 10000.0), 1e-12);
    ppo_kl_ctl_update(&k, 6.6, 64);  /* error 0.1 */
    CHECK_NEAR(k.beta, 0.1 * (1 + 0.2 * 64 / 10000.0) * (1 + 0.1 * 64 / 10000.0), 1e-12);
    ppo_running rr = {0};
    ppo_running_add(&rr, 1), ppo_running_add(&rr, 2), ppo_running_add(&rr, 3);
    CHECK_NEAR(rr.mean, 2, 1e-12);
    CHECK_NEAR(ppo_running_std(&rr), 1, 1e-12);
}

int main(void)
{
    test_kl();
    test_token_rewards();
    test_seq_reward();
    test_gae();
    test_whiten();
    test_policy_loss();
    test_value_loss();
    test_misc();
    return check_done("test_ppo");
}
