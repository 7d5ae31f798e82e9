/*
 * ppo_cli.c — ppo-step's PPO options (ppo_cli.h).
 */
#include "rl/ppo_cli.h"

#include "train/rm_stats.h"
#include "base/cli.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void two_numbers(const char *opt, const char *s, double *a, double *b)
{
    char *e;
    *a = strtod(s, &e);
    if (e == s || (*e != ',' && *e != ':')) cli_usage_error("%s wants X,Y (got '%s')", opt, s);
    const char *t = e + 1;
    *b = strtod(t, &e);
    if (e == t || *e) cli_usage_error("%s wants X,Y (got '%s')", opt, s);
}

static void reward_norm_from(const char *spec, ppo_train_cfg *c)
{
    if (!strcmp(spec, "running")) {
        c->running_norm = 1;
        return;
    }
    struct stat st;
    if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        rm_stats rs;
        rm_stats_read_or_die(spec, &rs);
        c->pc.norm_mean = rs.mean, c->pc.norm_std = rs.std;
    } else {
        two_numbers("--reward-norm", spec, &c->pc.norm_mean, &c->pc.norm_std);
        if (!(c->pc.norm_std > 0)) cli_usage_error("--reward-norm: STD must be positive");
    }
    c->pc.reward_norm = 1;
}

void ppo_cli_init(ppo_cli *p)
{
    ppo_train_cfg_defaults(&p->c);
    p->warmup_steps = -1;
    p->warmup_frac = 0.1;
}

int ppo_cli_handle(ppo_cli *p, int opt, const char *arg)
{
    ppo_train_cfg *c = &p->c;
    switch (opt) {
    case 'b': c->minibatch = (int)parse_ll("--minibatch", arg, 1, 1 << 20); break;
    case 'g': c->accum = (int)parse_ll("--accum", arg, 1, 1 << 20); break;
    case 'e': c->inner_epochs = (int)parse_ll("--inner-epochs", arg, 1, 1 << 20); break;
    case PC_FWD:
        if (!strcmp(arg, "minibatch")) c->per_minibatch = 1;
        else if (!strcmp(arg, "batch")) c->per_minibatch = 0;
        else cli_usage_error("--forward is minibatch or batch");
        break;
    case PC_LR: c->lr = parse_double("--lr", arg); break;
    case PC_WFRAC: p->warmup_frac = parse_double("--warmup-frac", arg); break;
    case PC_WSTEPS: p->warmup_steps = parse_ll("--warmup-steps", arg, 0, INT64_MAX); break;
    case PC_BETAS: {
        double a, b;
        two_numbers("--adam-betas", arg, &a, &b);
        c->h.b1 = (float)a, c->h.b2 = (float)b;
        break;
    }
    case PC_AEPS: c->h.eps = (float)parse_double("--adam-eps", arg); break;
    case PC_WD: c->h.wd = (float)parse_double("--weight-decay", arg); break;
    case PC_CLIPN: c->h.clip = (float)parse_double("--clip-norm", arg); break;
    case PC_BETA: c->pc.beta = parse_double("--beta", arg); break;
    case PC_KLEST:
        if (!(c->pc.kl_est = ppo_kl_parse(arg))) cli_usage_error("--kl-estimator is k1, k2 or k3");
        break;
    case PC_KLCLAMP: c->pc.kl_clamp = 1; two_numbers("--kl-clamp", arg, &c->pc.kl_min, &c->pc.kl_max); break;
    case PC_AKL: c->adaptive_kl = 1; two_numbers("--adaptive-kl", arg, &c->kl_target, &c->kl_horizon); break;
    case PC_NOEOS: c->pc.eos_trick = 0; break;
    case PC_EOSR: c->pc.eos_reward = parse_double("--eos-reward", arg); break;
    case PC_RNORM: reward_norm_from(arg, c); break;
    case PC_RCLIP: c->pc.reward_clip = parse_double("--reward-clip", arg); break;
    case PC_WREW: c->pc.whiten_rewards = 1; break;
    case PC_NOWADV: c->pc.whiten_adv = 0; break;
    case PC_GAMMA: c->pc.gamma = parse_double("--gamma", arg); break;
    case PC_LAMBDA: c->pc.lam = parse_double("--lambda", arg); break;
    case PC_CLIP: c->pc.cliprange = parse_double("--cliprange", arg); break;
    case PC_CLIPV: c->pc.cliprange_value = parse_double("--cliprange-value", arg); break;
    case PC_VFC: c->pc.vf_coef = parse_double("--vf-coef", arg); break;
    case PC_VWARM: c->value_warmup = parse_ll("--value-warmup", arg, 0, INT64_MAX); break;
    default: return 0;
    }
    return 1;
}

void ppo_cli_finish(const ppo_cli *p)
{
    if (!(p->c.pc.cliprange > 0) || !(p->c.pc.cliprange_value > 0)) cli_usage_error("clip ranges must be positive");
}
