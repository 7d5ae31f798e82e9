/*
 * lm-logprob — score records with a causal LM: per-token log-probs of
 * given tokens under a checkpoint (temperature 1).  Which fields are
 * scored and what is written back is train/logprob_records.h's contract;
 * this file parses options and streams the inputs through a batch of
 * --batch records.  Under mpirun with N ranks every rank reads the same
 * input files and cuts the same batches; batch k is scored by rank k % N
 * and rank 0 writes every batch in order (byte-identical to one process).
 */
#include "train/logprob_records.h"
#include "train/checkpoint.h"
#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "io/stream.h"
#include "dist/dist.h"
#include "train/stage_cli.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: lm-logprob -c DIR [OPTIONS] [INPUT...]\n"
    "\n"
    "Add per-token log-probs under the checkpoint DIR to each record (see\n"
    "man lm-logprob for which fields are scored).\n"
    "\n"
    "  -c, --checkpoint DIR   causal LM checkpoint (with tokenizer.json)\n"
    "  -f, --field NAME       output field for per-token log-probs (default logprobs)\n"
    "  -b, --batch N          records per forward pass (default 8)\n"
    "      --no-add-special   text records: do not add the post-processor's tokens (BOS ...)\n"
    "  -j, --threads N        CPU threads (default OMP_NUM_THREADS, else all cores;\n"
    "                         never picked from the machine's load)\n"
    "      --config FILE      \"key = value\" lines for long options; flags on\n"
    "                         the command line override them\n"
    "      --device NAME      compute backend: cpu (default; cuda where built)\n"
    "      --progress         records/s on stderr even when it is not a terminal\n"
    "  -o, --output OUT       output (default stdout)\n"
    "  -h, --help             this help\n"
    "  -V, --version          version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad record or checkpoint, 66 cannot\n"
    "open, 74 I/O error.\n";

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    train_dist_start();   /* several ranks under mpirun: batches are sharded */
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"field", required_argument, 0, 'f'},
        {"batch", required_argument, 0, 'b'}, {"output", required_argument, 0, 'o'},
        {"device", required_argument, 0, 'D'}, {"progress", no_argument, 0, 'P'},
        {"no-add-special", no_argument, 0, 'N'}, THREADS_OPTION, {0, 0, 0, 0}};
    const char *ckpt = NULL, *out = "-";
    const char *device = NULL;
    logprob_scorer sc = {.field = "logprobs", .add_special = 1};
    int batch = 8, c, progress = 0;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "b:c:f:ho:Vj:", lo, NULL)) != -1) {
        switch (c) {
        case 'j': threads_set("--threads", optarg); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'c': ckpt = optarg; break;
        case 'f': sc.field = optarg; break;
        case 'b': batch = (int)parse_ll("--batch", optarg, 1, 4096); break;
        case 'o': out = optarg; break;
        case 'P': progress = 1; break;
        case 'N': sc.add_special = 0; break;
        case 'D': device = optarg; break;
        default: cli_bad_option(argv, lo);
        }
    }
    const backend *be = backend_for_device(device);
    if (!ckpt) cli_usage_error("missing --checkpoint DIR");
    if (!*sc.field) cli_usage_error("--field must not be empty");
    sc.m = ckpt_load_model(ckpt, be);
    if (!sc.m->c.lm_head) die(EX_DATAERR, "%s: not a causal LM (no lm_head)", ckpt);
    sc.tok = ckpt_load_tokenizer(ckpt);
    if (tok_vocab_size(sc.tok) > sc.m->c.vocab)
        die(EX_DATAERR, "%s: tokenizer.json has %d tokens but vocab_size is %d", ckpt, tok_vocab_size(sc.tok),
            sc.m->c.vocab);
    rstream *w = dist_rank() == 0 ? rs_open_write(out) : NULL;   /* rank 0 writes */
    progress_t prog;
    progress_init(&prog, "records", 0, progress);
    if (dist_rank() != 0) prog.enabled = 0;   /* one progress line per job */
    logprob_batch *lb = logprob_batch_new(&sc, batch);
    int nin;
    char **ins = cli_inputs(argc, argv, optind, &nin);
    train_check_rank_inputs(ins, nin);
    held_shard sh;
    train_shard_init(&sh);
    if (sh.nranks > 1) logprob_batch_shard(lb, &sh);
    for (int f = 0; f < nin; f++) {
        rstream *r = rs_open_read(ins[f]);
        const char *name = cli_input_name(ins[f]);
        msgpack_object rec;
        while (rs_next(r, &rec) == RS_OK) {
            const char *raw;
            size_t len;
            rs_last_raw(r, &raw, &len);
            if (logprob_batch_add(lb, &rec, raw, len, rs_count(r), name))
                progress_add(&prog, logprob_batch_flush(lb, w, name));
        }
        progress_add(&prog, logprob_batch_flush(lb, w, name));
        rs_close(r);
    }
    if (w) rs_close(w);
    held_shard_close(&sh);
    progress_finish(&prog);
    logprob_batch_free(lb);
    tok_free(sc.tok);
    model_free(sc.m);
    return 0;
}
