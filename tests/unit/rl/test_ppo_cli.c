/*
 * test_ppo_cli.c — ppo-step's PPO options (rl/ppo_cli.c): the defaults are
 * the paper's (ppo_train_cfg_defaults, warm-up 0.1 of the updates), each
 * option lands in its field, X,Y pairs parse with ',' or ':', --reward-norm
 * takes MEAN,STD or running, and codes that are not ours are left to the
 * caller.  Usage errors (exit 64) are ppo-step.bats's.
 */
#include "check.h"
#include "rl/ppo_cli.h"

int main(void)
{
    ppo_cli p;
    ppo_cli_init(&p);
    ppo_train_cfg d;
    ppo_train_cfg_defaults(&d);
    CHECK(p.warmup_steps == -1 && p.warmup_frac == 0.1);
    CHECK(p.c.minibatch == d.minibatch && p.c.lr == d.lr && p.c.pc.beta == d.pc.beta && p.c.h.b2 == d.h.b2);

    CHECK(ppo_cli_handle(&p, 'b', "16") && p.c.minibatch == 16);
    CHECK(ppo_cli_handle(&p, 'g', "2") && p.c.accum == 2);
    CHECK(ppo_cli_handle(&p, 'e', "3") && p.c.inner_epochs == 3);
    CHECK(ppo_cli_handle(&p, PC_FWD, "batch") && p.c.per_minibatch == 0);
    CHECK(ppo_cli_handle(&p, PC_LR, "1e-3") && p.c.lr == 1e-3);
    CHECK(ppo_cli_handle(&p, PC_WSTEPS, "5") && p.warmup_steps == 5);
    CHECK(ppo_cli_handle(&p, PC_WFRAC, "0.25") && p.warmup_frac == 0.25);
    CHECK(ppo_cli_handle(&p, PC_BETAS, "0.8,0.9") && p.c.h.b1 == 0.8f && p.c.h.b2 == 0.9f);
    CHECK(ppo_cli_handle(&p, PC_KLCLAMP, "-1:2") && p.c.pc.kl_clamp && p.c.pc.kl_min == -1 && p.c.pc.kl_max == 2);
    CHECK(ppo_cli_handle(&p, PC_AKL, "6,10000") && p.c.adaptive_kl && p.c.kl_target == 6 && p.c.kl_horizon == 10000);
    CHECK(ppo_cli_handle(&p, PC_NOEOS, NULL) && p.c.pc.eos_trick == 0);
    CHECK(ppo_cli_handle(&p, PC_NOWADV, NULL) && p.c.pc.whiten_adv == 0);
    CHECK(ppo_cli_handle(&p, PC_VWARM, "4") && p.c.value_warmup == 4);
    CHECK(ppo_cli_handle(&p, PC_RNORM, "0.25,0.5") && p.c.pc.reward_norm && p.c.pc.norm_mean == 0.25 &&
          p.c.pc.norm_std == 0.5 && !p.c.running_norm);
    ppo_cli q;
    ppo_cli_init(&q);
    CHECK(ppo_cli_handle(&q, PC_RNORM, "running") && q.c.running_norm && !q.c.pc.reward_norm);
    CHECK(ppo_cli_handle(&q, 's', "1") == 0 && ppo_cli_handle(&q, 'c', "x") == 0);
    ppo_cli_finish(&p);   /* clip ranges still the positive defaults: returns */
    return check_done("test_ppo_cli");
}
