/*
 * ppo_cli.h — ppo-step's PPO options (batching, optimiser, Eq. 4-6 and
 * Table 10 of the paper) parsed into a ppo_train_cfg plus the warm-up
 * choice, as train/stage_cli.h does for the offline stages: put
 * PPO_CLI_OPTIONS in the getopt_long table (short options b, g, e), pass
 * unknown codes to ppo_cli_handle(), print PPO_CLI_USAGE in --help, call
 * ppo_cli_finish() after parsing.  --reward-norm DIR reads rm-train's
 * statistics at once (train/rm_stats.h).
 */
#ifndef PREFPIPE_RL_PPO_CLI_H
#define PREFPIPE_RL_PPO_CLI_H

#include "rl/ppo_train.h"

#include <getopt.h>

enum {
    PC_FWD = 4000, PC_LR, PC_WFRAC, PC_WSTEPS, PC_BETAS, PC_AEPS, PC_WD, PC_CLIPN, PC_BETA, PC_KLEST, PC_KLCLAMP,
    PC_AKL, PC_NOEOS, PC_EOSR, PC_RNORM, PC_RCLIP, PC_WREW, PC_NOWADV, PC_GAMMA, PC_LAMBDA, PC_CLIP, PC_CLIPV,
    PC_VFC, PC_VWARM
};

#define PPO_CLI_OPTIONS \
    {"minibatch", required_argument, 0, 'b'}, {"accum", required_argument, 0, 'g'}, \
    {"inner-epochs", required_argument, 0, 'e'}, {"forward", required_argument, 0, PC_FWD}, \
    {"lr", required_argument, 0, PC_LR}, {"warmup-frac", required_argument, 0, PC_WFRAC}, \
    {"warmup-steps", required_argument, 0, PC_WSTEPS}, {"adam-betas", required_argument, 0, PC_BETAS}, \
    {"adam-eps", required_argument, 0, PC_AEPS}, {"weight-decay", required_argument, 0, PC_WD}, \
    {"clip-norm", required_argument, 0, PC_CLIPN}, {"beta", required_argument, 0, PC_BETA}, \
    {"kl-estimator", required_argument, 0, PC_KLEST}, {"kl-clamp", required_argument, 0, PC_KLCLAMP}, \
    {"adaptive-kl", required_argument, 0, PC_AKL}, {"no-eos-trick", no_argument, 0, PC_NOEOS}, \
    {"eos-reward", required_argument, 0, PC_EOSR}, {"reward-norm", required_argument, 0, PC_RNORM}, \
    {"reward-clip", required_argument, 0, PC_RCLIP}, {"whiten-rewards", no_argument, 0, PC_WREW}, \
    {"no-whiten-advantages", no_argument, 0, PC_NOWADV}, {"gamma", required_argument, 0, PC_GAMMA}, \
    {"lambda", required_argument, 0, PC_LAMBDA}, {"cliprange", required_argument, 0, PC_CLIP}, \
    {"cliprange-value", required_argument, 0, PC_CLIPV}, {"vf-coef", required_argument, 0, PC_VFC}, \
    {"value-warmup", required_argument, 0, PC_VWARM}

#define PPO_CLI_USAGE \
    "batch (Table 9 / 11):\n" \
    "  -b, --minibatch N         rollouts per forward-backward (default 64)\n" \
    "  -g, --accum N             minibatches per update (default 1)\n" \
    "  -e, --inner-epochs N      passes over each batch (default 1)\n" \
    "      --forward WHEN        minibatch (App. G, default) or batch\n" \
    "optimiser:\n" \
    "      --lr X                peak learning rate (default 1e-6)\n" \
    "      --warmup-frac F       linear warm-up over F of the updates (0.1; needs --batches)\n" \
    "      --warmup-steps N      warm-up updates (overrides --warmup-frac)\n" \
    "      --adam-betas B1,B2    (default 0.9,0.95)   --adam-eps X (1e-5)\n" \
    "      --weight-decay X      (default 0)          --clip-norm X (1.0; 0 off)\n" \
    "PPO (Eq. 4-6, Table 10):\n" \
    "      --beta X              KL coefficient (default 0.05)\n" \
    "      --kl-estimator K      k1 (default), k2 or k3\n" \
    "      --kl-clamp LO,HI      clamp the per-token KL penalty\n" \
    "      --adaptive-kl T,H     adaptive controller: target KL T, horizon H\n" \
    "      --no-eos-trick        keep the reward of truncated responses\n" \
    "      --eos-reward X        reward of a truncated response (default -10)\n" \
    "      --reward-norm SPEC    DIR (reward_mean/std from rm-train's trainer_state),\n" \
    "                            MEAN,STD, or running\n" \
    "      --reward-clip X       clip sequence rewards to [-X, X]\n" \
    "      --whiten-rewards      whiten per-token rewards (default off)\n" \
    "      --no-whiten-advantages  (default: whiten)\n" \
    "      --gamma X (1.0)  --lambda X (0.95)  --cliprange X (0.2)\n" \
    "      --cliprange-value X (0.2)  --vf-coef X (0.1)\n" \
    "      --value-warmup N      first N updates train the value model only\n"

typedef struct {
    ppo_train_cfg c;
    long warmup_steps;        /* -1: warmup_frac of the updates */
    double warmup_frac;
} ppo_cli;

void ppo_cli_init(ppo_cli *p);
/* Handle option code c; returns 0 when it is not one of ours. */
int ppo_cli_handle(ppo_cli *p, int c, const char *arg);
/* Checks across options (usage error, exit 64). */
void ppo_cli_finish(const ppo_cli *p);
/* Before anything reads argv: `--resume RUN` (a directory) and
 * `--resume=RUN` become `--resume --run=RUN`, so that ppo-step resumes like
 * the other trainers (`--resume DIR` alone) while `--resume -o RUN` keeps
 * working. */
void ppo_cli_resume_dir(int *argc, char ***argv);
/* Every resolved PPO setting, defaults included, as JSON object members
 * ("minibatch": 64, "beta": 0.05, ...; no braces; malloc'd) for
 * run_config.json's "effective": batching, optimiser, KL, EOS trick, reward
 * normalisation (the statistics, also when read from a directory), GAE,
 * clip ranges, seed. */
char *ppo_cli_effective(const ppo_cli *p);

#endif
