/*
 * sft-step — supervised fine-tuning of a causal LM on `sft` records
 * (prompt + response) or on the chosen side of `pair` records; writes a
 * checkpoint and per-step `metrics` records.
 *
 * The loss is the negative log-likelihood of the assistant tokens only
 * (the response and its EOS, per the Tülu chat template's assistant
 * mask), averaged over the response tokens of each step (so long and
 * short examples weigh by their tokens, as in Tülu's SFT).  The loop,
 * checkpoints, resume and signals are lib/train/trainer.c's.
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

static const char usage[] =
    "usage: sft-step -m DIR -o DIR [OPTIONS] [INPUT...]\n"
    "\n"
    "Fine-tune the causal LM in --model on sft records (prompt, response) or\n"
    "on the chosen responses of pair records; loss on assistant tokens only.\n"
    "Metrics records go to stdout.\n"
    "\n"
    TRAIN_CLI_USAGE
    "\n"
    "Defaults: --epochs 2 --lr 2e-5 --warmup-frac 0.03 --lr-floor 0 --batch 128\n"
    "(Tulu 2's SFT settings).\n"
    "Exit status: 0 ok, 64 usage, 65 bad data or checkpoint, 66 cannot open,\n"
    "70 non-finite loss, 73/74 cannot write, 128+N stopped by signal N\n"
    "(checkpoint saved).\n";

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {TRAIN_CLI_OPTIONS, {0, 0, 0, 0}};
    train_cli tc;
    train_cli_init(&tc, "sft-step");
    tc.o.epochs = 2;
    tc.o.lr = 2e-5;
    tc.o.warmup_frac = 0.03;
    tc.o.batch = 128;
    int c;
    train_cli_args(&tc, &argc, &argv, lo);   /* --config FILE, then --resume DIR's saved arguments */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "hj:m:o:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default:
            if (!train_cli_handle(&tc, c, optarg)) cli_bad_option(argv, lo);
        }
    }
    train_cli_finish(&tc);
    train_check_output(tc.o.out_dir);
    const char *init = tc.o.resume_dir ? tc.o.resume_dir : tc.model_dir;
    model *m = ckpt_load_model(init, tc.be);
    if (!m->c.lm_head) die(EX_DATAERR, "%s: not a causal LM (no lm_head)", init);
    tokenizer *tok = ckpt_load_tokenizer(init);
    train_prep prep = {.tok = tok, .want = TD_SFT, .all_turns = 1};   /* every assistant turn (open-instruct) */
    train_spool data, eval_store;
    train_spool *eval = train_cli_spool(&tc, &prep, m, argc, argv, NULL, 1, &data, &eval_store);
    train_objective obj = sft_objective();
    train_cli_run(&tc, m, tok, &data, eval, &obj);
    return 0;
}
