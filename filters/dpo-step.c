/*
 * dpo-step — Direct Preference Optimisation (Eq. 3 of "Unpacking DPO and
 * PPO") and its common variants on a stream of `pair` records; writes a
 * checkpoint and per-step `metrics` records.
 *
 * Reference log-probs: taken from the records (ref_logp_chosen /
 * ref_logp_rejected, as ref-score writes them) when present; otherwise
 * computed once while spooling with --ref DIR, in groups of --ref-batch
 * usable records in input order — the same function and grouping as
 * ref-score, so both give bitwise-equal numbers (same thread count).  The
 * reference model is freed before training starts.
 *
 * The loop, checkpoints, resume and signals are lib/train/trainer.c's; the loss
 * is lib/train/losses.c's.  Defaults are the paper's (App. F.1): beta 0.1,
 * lr 5e-7, 3 epochs, 10 % warm-up then linear decay to 0; batch 32.
 */
#include "train/checkpoint.h"
#include "base/cli.h"
#include "train/stage_cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "train/objectives.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: dpo-step -m DIR -o DIR [--ref DIR] [OPTIONS] [INPUT...]\n"
    "\n"
    "Train the policy in --model on preference pairs with DPO (or a variant)\n"
    "and write the checkpoint to --output; metrics records go to stdout.\n"
    "\n"
    "      --ref DIR          reference model for pairs without ref_logp_* fields\n"
    "      --ref-batch N      pairs per reference forward pass (default 8, as ref-score)\n"
    "      --loss NAME        dpo, ipo, ipo-sum, cdpo, hinge, dpo-norm or simpo (default dpo)\n"
    "      --beta X           inverse temperature (default 0.1; simpo 2)\n"
    "      --label-smoothing X  cdpo's label noise in [0, 0.5) (default 0.1 for cdpo)\n"
    "      --gamma X          simpo's target reward margin (default beta/2)\n"
    TRAIN_CLI_USAGE
    "\n"
    "Defaults: --epochs 3 --lr 5e-7 --warmup-frac 0.1 --lr-floor 0 --batch 32.\n"
    "Exit status: 0 ok, 64 usage, 65 bad data or checkpoint, 66 cannot open,\n"
    "70 non-finite loss, 73/74 cannot write, 128+N stopped by signal N\n"
    "(checkpoint saved).\n";

enum { O_REF = 3000, O_REF_BATCH, O_LOSS, O_BETA, O_LS, O_GAMMA };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {
        TRAIN_CLI_OPTIONS,
        {"ref", required_argument, 0, O_REF}, {"ref-batch", required_argument, 0, O_REF_BATCH},
        {"loss", required_argument, 0, O_LOSS}, {"beta", required_argument, 0, O_BETA},
        {"label-smoothing", required_argument, 0, O_LS}, {"gamma", required_argument, 0, O_GAMMA},
        {0, 0, 0, 0}};
    train_cli tc;
    train_cli_init(&tc, "dpo-step");
    tc.o.epochs = 3;
    tc.o.lr = 5e-7;
    tc.o.warmup_frac = 0.1;
    tc.o.batch = 32;
    dpo_ctx dc = {.loss = {.kind = PL_DPO, .beta = 0.1, .label_smoothing = -1, .gamma = 0.5}};
    int beta_set = 0, gamma_set = 0;
    const char *ref_dir = NULL;
    int ref_batch = 8, c;
    train_cli_args(&tc, &argc, &argv, lo);   /* --config FILE, then --resume DIR's saved arguments */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "hj:m:o:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case O_REF: ref_dir = optarg; break;
        case O_REF_BATCH: ref_batch = (int)parse_ll("--ref-batch", optarg, 1, 4096); break;
        case O_LOSS:
            if (pref_loss_parse(optarg, &dc.loss.kind))
                cli_usage_error("--loss: expected dpo, ipo, ipo-sum, cdpo, hinge, dpo-norm or simpo, not '%s'", optarg);
            break;
        case O_BETA: dc.loss.beta = parse_double("--beta", optarg), beta_set = 1; break;
        case O_LS: dc.loss.label_smoothing = parse_double("--label-smoothing", optarg); break;
        case O_GAMMA: dc.loss.gamma = parse_double("--gamma", optarg), gamma_set = 1; break;
        default:
            if (!train_cli_handle(&tc, c, optarg)) cli_bad_option(argv, lo);
        }
    }
    train_cli_finish(&tc);
    /* SimPO's own defaults (Meng et al. 2024: beta 2-2.5, gamma/beta 0.5), DPO's elsewhere */
    if (dc.loss.kind == PL_SIMPO && !beta_set) dc.loss.beta = 2.0;
    if (dc.loss.kind == PL_SIMPO && !gamma_set) dc.loss.gamma = 0.5 * dc.loss.beta;
    if (!(dc.loss.beta > 0)) cli_usage_error("--beta must be positive");
    if (dc.loss.label_smoothing < 0) dc.loss.label_smoothing = dc.loss.kind == PL_CDPO ? 0.1 : 0;
    if (dc.loss.label_smoothing >= 0.5) cli_usage_error("--label-smoothing must be in [0, 0.5)");
    if (dc.loss.label_smoothing > 0 && dc.loss.kind != PL_CDPO)
        cli_usage_error("--label-smoothing applies to --loss cdpo only");
    train_check_output(tc.o.out_dir);
    train_cli_effective_str(&tc, "loss", pref_loss_name(dc.loss.kind));
    train_cli_effective_num(&tc, "beta", dc.loss.beta);
    train_cli_effective_num(&tc, "label_smoothing", dc.loss.label_smoothing);
    train_cli_effective_num(&tc, "gamma", dc.loss.gamma);
    train_cli_effective_num(&tc, "ref_batch", ref_batch);

    const char *init = tc.o.resume_dir ? tc.o.resume_dir : tc.model_dir;
    model *m = ckpt_load_model(init, tc.be);
    if (!m->c.lm_head) die(EX_DATAERR, "%s: not a causal LM (no lm_head)", init);
    tokenizer *tok = ckpt_load_tokenizer(init);
    model *ref = NULL;
    if (ref_dir && pref_loss_needs_ref(dc.loss.kind)) {
        ref = ckpt_load_model(ref_dir, tc.be);
        if (!ref->c.lm_head) die(EX_DATAERR, "%s: the reference is not a causal LM (no lm_head)", ref_dir);
        tokenizer *rt = ckpt_load_tokenizer(ref_dir);
        char why[128];
        if (!tok_same(tok, rt, why, sizeof why))
            die(EX_DATAERR, "%s: the reference tokenizer differs from the policy's (%s): its log-probs "
                "would be of other tokens", ref_dir, why);
        tok_free(rt);
    }
    char tok_fp[17];
    tok_fingerprint_hex(tok, tok_fp);
    train_prep prep = {.tok = tok, .want = TD_PAIR, .read_ref = 1, .tok_fp = tok_fp};
    train_spool data, eval_store;
    train_spool *eval = train_cli_spool(&tc, &prep, m, argc, argv, ref, ref_batch, &data, &eval_store);
    model_free(ref);

    train_objective obj = dpo_objective(&dc);
    train_cli_run(&tc, m, tok, &data, eval, &obj);
    return 0;
}
