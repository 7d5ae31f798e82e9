/*
 * stage_cli.h — the command-line options shared by the training stages
 * (sft-step, rm-train, dpo-step): model in, checkpoint out, schedule,
 * optimizer, batching, truncation, checkpoints, resume, metrics, eval.
 * Each stage puts TRAIN_CLI_OPTIONS in its getopt_long table, calls
 * train_cli_args() before getopt (--config FILE, then --resume DIR's saved
 * arguments), passes unknown codes to train_cli_handle(), and prints
 * TRAIN_CLI_USAGE in its --help; its getopt string has "j:" for
 * -j/--threads.  Stage defaults are set before parsing.
 *
 * Resume (base/run_args.h): every checkpoint holds run_config.json, so
 * `STAGE --resume DIR` alone continues the run with its saved options and
 * inputs.  May change on resume (TRAIN_CLI_MAY_CHANGE): --output (default:
 * DIR), --threads, --progress, --metrics, --no-timing, --save-every,
 * --stop-after, --eval, --device; any other option given again with another
 * value (or given now with a value other than the run's default) is a usage
 * error naming both values.
 */
#ifndef PREFPIPE_TRAIN_CLI_H
#define PREFPIPE_TRAIN_CLI_H

#include "io/held.h"
#include "train/examples.h"
#include "train/trainer.h"
#include "base/threads.h"

#include <getopt.h>

enum {
    TC_EPOCHS = 2000, TC_MAX_STEPS, TC_BATCH, TC_MICRO, TC_LR, TC_LR_FLOOR, TC_WARMUP, TC_WD, TC_CLIP,
    TC_B1, TC_B2, TC_EPS, TC_SEED, TC_SAVE_EVERY, TC_RESUME, TC_METRICS, TC_EVAL, TC_MAX_LEN,
    TC_TRUNC, TC_PROGRESS, TC_STOP_AFTER, TC_NO_TIMING, TC_DEVICE, TC_BETAS, TC_CLIP_NORM, TC_WARMUP_FRAC,
    TC_FORCE
};

#define TRAIN_CLI_OPTIONS                                                                         \
    {"model", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},                  \
    {"epochs", required_argument, 0, TC_EPOCHS}, {"max-steps", required_argument, 0, TC_MAX_STEPS}, \
    {"batch", required_argument, 0, TC_BATCH}, {"micro-batch", required_argument, 0, TC_MICRO},   \
    {"lr", required_argument, 0, TC_LR}, {"lr-floor", required_argument, 0, TC_LR_FLOOR},         \
    {"warmup", required_argument, 0, TC_WARMUP}, {"weight-decay", required_argument, 0, TC_WD},   \
    {"clip", required_argument, 0, TC_CLIP}, {"adam-beta1", required_argument, 0, TC_B1},         \
    {"adam-beta2", required_argument, 0, TC_B2}, {"adam-eps", required_argument, 0, TC_EPS},      \
    {"seed", required_argument, 0, TC_SEED}, {"save-every", required_argument, 0, TC_SAVE_EVERY}, \
    {"resume", required_argument, 0, TC_RESUME}, {"metrics", required_argument, 0, TC_METRICS},   \
    {"eval", required_argument, 0, TC_EVAL}, {"max-len", required_argument, 0, TC_MAX_LEN},       \
    {"truncation", required_argument, 0, TC_TRUNC}, {"progress", no_argument, 0, TC_PROGRESS},    \
    {"stop-after", required_argument, 0, TC_STOP_AFTER}, {"no-timing", no_argument, 0, TC_NO_TIMING}, \
    {"device", required_argument, 0, TC_DEVICE}, THREADS_OPTION,                                  \
    {"adam-betas", required_argument, 0, TC_BETAS}, {"clip-norm", required_argument, 0, TC_CLIP_NORM}, \
    {"warmup-frac", required_argument, 0, TC_WARMUP_FRAC},                                        \
    {"force", no_argument, 0, TC_FORCE},                                                          \
    {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}

#define TRAIN_CLI_USAGE                                                                       \
    "  -m, --model DIR        checkpoint to start from (required)\n"                         \
    "  -o, --output DIR       checkpoint to write (required; replaced atomically)\n"         \
    "      --force            let -o replace a directory that is not a checkpoint\n"         \
    "      --epochs N         passes over the data\n"                                         \
    "      --max-steps N      stop after N updates (0 = all epochs)\n"                        \
    "      --batch N          examples per update (accumulated over micro-batches)\n"         \
    "      --micro-batch N    examples per forward/backward pass (default 4)\n"               \
    "      --lr X             peak learning rate\n"                                           \
    "      --lr-floor X       learning rate at the last step (linear decay)\n"                \
    "      --warmup-frac F    fraction of the steps with linear warm-up (as ppo-step;\n"      \
    "                         old spelling --warmup, until the next release)\n"              \
    "      --weight-decay X   AdamW weight decay on matrices (default 0)\n"                   \
    "      --clip-norm X      global gradient-norm clip, 0 = off (default 1; old --clip)\n"  \
    "      --adam-betas B1,B2 (default 0.9,0.999; old --adam-beta1/--adam-beta2)\n"          \
    "      --adam-eps X       (default 1e-8)\n"                                               \
    "      --seed N           shuffle seed (default 0)\n"                                     \
    "      --save-every N     also checkpoint every N steps (default: only at the end)\n"     \
    "      --resume DIR       continue the run checkpointed in DIR exactly, with its\n"       \
    "                         saved options and inputs (DIR/run_config.json); only\n"      \
    "                         -o, -j, --progress, --metrics, --no-timing, --eval,\n"        \
    "                         --device, --save-every, --stop-after may differ\n"          \
    "                         (default -o DIR)\n"                                          \
    "      --stop-after N     checkpoint and exit 0 after N steps of this invocation\n"        \
    "      --metrics URI      metrics records (default stdout)\n"                             \
    "      --no-timing        no time/tokens_per_s in metrics (byte-reproducible)\n"          \
    "      --eval FILE        held-out records: eval_* metrics before and after training\n"   \
    "      --max-len N        tokens per sequence (default: the model's maximum)\n"           \
    "      --truncation M     keep-start, keep-end or drop (default keep-start)\n"            \
    "      --progress         progress lines on stderr even when it is not a terminal\n"      \
    "  -j, --threads N        CPU threads (default OMP_NUM_THREADS, else all cores;\n"       \
    "                         never picked from the machine's load)\n"                     \
    "      --config FILE      \"key = value\" lines for long options; flags given on the\n"  \
    "                         command line override them\n"                                \
    "      --device NAME      compute backend: cpu (default; cuda where built)\n"             \
    "  -h, --help             this help\n"                                                    \
    "  -V, --version          version\n"

typedef struct {
    train_opts o;
    const char *model_dir;
    const char *eval_path;
    int max_len;            /* 0: the model's max_position_embeddings */
    trunc_mode trunc;
    const char *device;     /* --device NAME; NULL: the CPU backend */
    const backend *be;      /* set by train_cli_finish (backend_for_device) */
    int argc;               /* the command line after train_cli_args, for run_config.json */
    char **argv;
    const struct option *lo;
    char effective[512];    /* stage settings for run_config.json ("\"k\": v, ...") */
} train_cli;

/* Defaults common to every stage (the stage overrides some). */
void train_cli_init(train_cli *t, const char *stage);
/* Before getopt: --config FILE (base/config.h), then a --resume DIR's
 * saved arguments (base/run_args.h). */
void train_cli_args(train_cli *t, int *argc, char ***argv, const struct option *lo);
/* A stage's resolved setting for run_config.json's "effective" object. */
void train_cli_effective_num(train_cli *t, const char *key, double v);
void train_cli_effective_str(train_cli *t, const char *key, const char *v);
/* Handle one option; returns 1 when handled, 0 when c is not ours. */
int train_cli_handle(train_cli *t, int c, const char *arg);
/* Check required options and combinations (exit 64 on error); resolve
 * --device to t->be. */
void train_cli_finish(train_cli *t);

/* Spool the inputs and --eval with prep, whose max_len and trunc come from
 * --max-len (default: the model's positions; beyond them exits 64) and
 * --truncation; ref / ref_batch as train_spool_inputs takes them.
 * Returns eval, or NULL without --eval. */
train_spool *train_cli_spool(const train_cli *t, train_prep *prep, const model *m, int argc, char **argv,
                             model *ref, int ref_batch, train_spool *data, train_spool *eval);

/* Join the launcher's job (dist_start) and, under one, let rank 0 write
 * records to stdout (mpirun's pseudo-terminal passes bytes unchanged).
 * train_cli_init calls it; the scorers and ppo-step call it first thing. */
void train_dist_start(void);
/* Several ranks on a device backend: switch to the NCCL engine, or die
 * (exit 64) when the build has none.  train_cli_finish calls it. */
void train_dist_device(const backend *be);

/* With several ranks (dist.h), refuse (exit 64) an input that is not a
 * regular file: every rank reads every input whole (the trainers' spools,
 * the sharded scorers' windows), and stdin, pipes and ZeroMQ streams give
 * their records to one reader only.  Nothing to check with one rank. */
void train_check_rank_inputs(char **uris, int n);

/* A scorer's hold window over the ranks (io/held.h: sharding): with
 * several ranks, window k is scored by rank k % size and rank 0 writes
 * every window in order; drop frees the examples of a window this rank
 * does not score.  Nothing changes with one rank. */
void train_shard_window(held_window *h, void (*drop)(void *ctx, int nex));
/* The same for a scorer with its own loop (lm-logprob): the ranks and the
 * transport of dist.h into s (io/held.h: held_shard_begin/_end). */
void train_shard_init(held_shard *s);

/* Train (every checkpoint with run_config.json), then close the spools and
 * free tok and m. */
void train_cli_run(train_cli *t, model *m, tokenizer *tok, train_spool *data, train_spool *eval,
                   train_objective *obj);

#endif
