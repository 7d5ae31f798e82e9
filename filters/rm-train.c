/*
 * rm-train — train a Bradley–Terry reward model (Eq. 1 of "Unpacking DPO
 * and PPO") on `pair` records; writes a LlamaForSequenceClassification
 * checkpoint and per-step `metrics` records.
 *
 * Initialisation: from a policy checkpoint (--model), every tensor but the
 * LM head is copied and a new scalar head score.weight ~ N(0, 0.02^2)
 * (seeded by --seed) is added; a checkpoint that already has a score head
 * is continued as it is.  The reward of a sequence is the head's value at
 * its last token (the EOS of the templated response).
 *
 * Options beyond the paper: --margin-scale S adds the records' `margin`
 * field times S inside the sigmoid (r_c - r_r - S m); --center ETA adds
 * ETA (r_c + r_r)^2 (reward centring).  After training, the mean and
 * standard deviation of the model's rewards over the training responses
 * (chosen and rejected) are stored in trainer_state.json as reward_mean
 * and reward_std (lib/train/rm_stats.c; rm-score --normalize and ppo-step
 * --reward-norm read them).  Held-out accuracy:
 * --eval FILE gives eval_accuracy before and after training.
 *
 * Defaults are the paper's (App. F.2): 1 epoch, lr 1e-5, 3 % warm-up,
 * linear decay to 1e-6, batch 512 (accumulated over --micro-batch).
 */
#include "train/checkpoint.h"
#include "base/cli.h"
#include "train/stage_cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "train/objectives.h"
#include "train/rm_stats.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rm-train -m DIR -o DIR [OPTIONS] [INPUT...]\n"
    "\n"
    "Train a Bradley-Terry reward model on preference pairs, starting from\n"
    "the policy in --model with a new scalar head; metrics records go to\n"
    "stdout.\n"
    "\n"
    "      --margin-scale S   use S * the records' margin field in the loss (default 0)\n"
    "      --center ETA       reward-centring coefficient (default 0)\n"
    TRAIN_CLI_USAGE
    "\n"
    "Defaults: --epochs 1 --lr 1e-5 --warmup-frac 0.03 --lr-floor 1e-6 --batch 512\n"
    "--micro-batch 8.\n"
    "Exit status: 0 ok, 64 usage, 65 bad data or checkpoint, 66 cannot open,\n"
    "70 non-finite loss, 73/74 cannot write, 128+N stopped by signal N\n"
    "(checkpoint saved).\n";

enum { O_MARGIN = 3000, O_CENTER };

/* A reward model from a policy: same trunk, no LM head, new score head
 * (model_with_heads); a reward model is continued as it is. */
static model *reward_from_policy(model *p, uint64_t seed)
{
    if (p->c.score && !p->c.lm_head) return p;
    model *r = model_with_heads(p, 0, 1, seed);
    model_free(p);
    return r;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {
        TRAIN_CLI_OPTIONS,
        {"margin-scale", required_argument, 0, O_MARGIN}, {"center", required_argument, 0, O_CENTER},
        {0, 0, 0, 0}};
    train_cli tc;
    train_cli_init(&tc, "rm-train");
    bt_ctx bt = {0};
    rm_stats st;
    tc.o.epochs = 1;
    tc.o.lr = 1e-5;
    tc.o.lr_floor = 1e-6;
    tc.o.warmup_frac = 0.03;
    tc.o.batch = 512;
    tc.o.micro = 8;
    int c;
    train_cli_args(&tc, &argc, &argv, lo);   /* --config FILE, then --resume DIR's saved arguments */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "hj:m:o:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case O_MARGIN: bt.margin_scale = parse_double("--margin-scale", optarg); break;
        case O_CENTER:
            bt.eta = parse_double("--center", optarg);
            if (bt.eta < 0) cli_usage_error("--center must be >= 0");
            break;
        default:
            if (!train_cli_handle(&tc, c, optarg)) cli_bad_option(argv, lo);
        }
    }
    train_cli_finish(&tc);
    train_check_output(tc.o.out_dir);
    train_cli_effective_num(&tc, "margin_scale", bt.margin_scale);
    train_cli_effective_num(&tc, "center", bt.eta);
    const char *init = tc.o.resume_dir ? tc.o.resume_dir : tc.model_dir;
    model *m = reward_from_policy(ckpt_load_model(init, tc.be), tc.o.seed);
    tokenizer *tok = ckpt_load_tokenizer(init);
    train_prep prep = {.tok = tok, .want = TD_PAIR};
    train_spool data, eval_store;
    train_spool *eval = train_cli_spool(&tc, &prep, m, argc, argv, NULL, 1, &data, &eval_store);
    train_objective obj = bt_objective(&bt);
    rm_stats_attach(&tc.o, &st);
    train_cli_run(&tc, m, tok, &data, eval, &obj);
    return 0;
}
