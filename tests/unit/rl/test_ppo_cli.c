/*
 * test_ppo_cli.c — ppo-step's PPO options (rl/ppo_cli.c): the defaults are
 * the paper's (ppo_train_cfg_defaults, warm-up 0.1 of the updates), each
 * option lands in its field, X,Y pairs parse with ',' or ':', --reward-norm
 * takes MEAN,STD or running, and codes that are not ours are left to the
 * caller; ppo_cli_effective writes every setting, defaults resolved;
 * ppo_cli_resume_dir turns `--resume DIR` into `--resume --run=DIR` and
 * nothing else.  Usage errors (exit 64) are ppo-step.bats's.
 */
#include "check.h"
#include "rl/ppo_cli.h"

#include <stdlib.h>
#include <string.h>

static int has(const char *s, const char *want) { return strstr(s, want) != NULL; }

/* argv after ppo_cli_resume_dir, joined by spaces */
static char *resumed(int argc, char **argv)
{
    ppo_cli_resume_dir(&argc, &argv);
    static char buf[256];
    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(buf, " ");
        strcat(buf, argv[i]);
    }
    return argv[argc] == NULL ? buf : "(no NULL at argv[argc])";
}

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

    char *e = ppo_cli_effective(&p);
    CHECK(has(e, "\"minibatch\": 16, \"accum\": 2, \"inner_epochs\": 3, \"forward\": \"batch\", \"lr\": 0.001"));
    CHECK(has(e, "\"adam_betas\": [0.8, 0.9]") && has(e, "\"kl_clamp\": [-1.0, 2.0]"));
    CHECK(has(e, "\"adaptive_kl\": {\"target\": 6.0, \"horizon\": 10000.0}") && has(e, "\"eos_trick\": false"));
    CHECK(has(e, "\"reward_norm\": {\"mean\": 0.25, \"std\": 0.5}") && has(e, "\"whiten_advantages\": false"));
    CHECK(has(e, "\"value_warmup\": 4") && has(e, "\"warmup_steps\": 5"));
    free(e);
    e = ppo_cli_effective(&q);
    CHECK(has(e, "\"reward_norm\": \"running\""));
    free(e);
    ppo_cli r;
    ppo_cli_init(&r);
    e = ppo_cli_effective(&r);   /* the defaults (Table 10) */
    CHECK(has(e, "\"beta\": 0.05, \"kl_estimator\": \"k1\", \"kl_clamp\": null, \"adaptive_kl\": null"));
    CHECK(has(e, "\"eos_trick\": true, \"eos_reward\": -10.0, \"reward_norm\": null, \"reward_clip\": null"));
    CHECK(has(e, "\"gamma\": 1.0, \"lambda\": 0.95, \"cliprange\": 0.2, \"cliprange_value\": 0.2, \"vf_coef\": 0.1"));
    CHECK(has(e, "\"warmup_steps\": -1, \"warmup_frac\": 0.1") && has(e, "\"seed\": 0"));
    CHECK(e[0] == '"' && e[strlen(e) - 1] != ',');
    free(e);

    char *a1[] = {"ppo-step", "--resume", ".", "x.mp", NULL};
    CHECK(!strcmp(resumed(4, a1), "ppo-step --resume --run=. x.mp"));
    char *a2[] = {"ppo-step", "--resume=run", "-j", "1", NULL};
    CHECK(!strcmp(resumed(4, a2), "ppo-step --resume --run=run -j 1"));
    char *a3[] = {"ppo-step", "--resume", "-o", ".", NULL};   /* the other spelling: as it is */
    CHECK(!strcmp(resumed(4, a3), "ppo-step --resume -o ."));
    char *a4[] = {"ppo-step", "--resume", "no-such-dir.mp", NULL};   /* an input, not a run directory */
    CHECK(!strcmp(resumed(3, a4), "ppo-step --resume no-such-dir.mp"));
    char *a5[] = {"ppo-step", "-o", "r", "--", "--resume", ".", NULL};   /* operands after -- */
    CHECK(!strcmp(resumed(6, a5), "ppo-step -o r -- --resume ."));
    return check_done("test_ppo_cli");
}
