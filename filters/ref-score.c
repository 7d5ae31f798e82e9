/*
 * ref-score — add reference-model log-probs to `pair` and `rollout`
 * records so that dpo-step (and PPO) can train without holding the
 * reference model.
 *
 *   pair     ref_logp_chosen, ref_logp_rejected: sums over the response
 *            tokens (incl. EOS) of the Tülu-templated chosen / rejected
 *            response; with --per-token also ref_logprobs_chosen /
 *            ref_logprobs_rejected (float32 bins, one per response token)
 *   rollout  ref_logprobs (float32 bin) for `tokens`, conditioned on
 *            prompt_tokens (else on the templated prompt)
 *
 * Pairs are tokenized, truncated (--max-len, --truncation) and scored by
 * the very functions dpo-step uses with --ref (train_example_from_record,
 * train_score_ref), in groups of --batch scoreable records in input order,
 * so dpo-step gives bitwise-identical results either way (same thread
 * count, same --batch as dpo-step's --ref-batch).  Records that cannot be
 * scored (missing fields, empty responses, too long with --truncation
 * drop) pass through unchanged and are counted on stderr.
 *
 * Memory: a window of at most --batch scoreable records (plus the
 * unscoreable ones between them, at most 4096) is held; output order is
 * input order.  The window is lib/io/held.c's, as rm-score's: when the
 * next read would block (a paused pipe or ZeroMQ producer) and no
 * incomplete rollout batch promises more records, what is held is scored
 * and sent first, so ref-score cannot stall a feedback loop.  Unlike
 * rm-score it does not end a forward batch at a rollout batch's end (the
 * groups stay those of dpo-step --ref-batch); after a complete rollout
 * batch a strict on-policy loop pauses, so the groups are the same run
 * after run there too.
 */
#include "text/chat_template.h"
#include "train/checkpoint.h"
#include "backend/backend.h"
#include "dist/dist.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "io/record.h"
#include "io/held.h"
#include "io/stream.h"
#include "train/batch.h"
#include "train/stage_cli.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: ref-score -c DIR [OPTIONS] [INPUT...]\n"
    "\n"
    "Add reference log-probs under the checkpoint DIR to pair records\n"
    "(ref_logp_chosen, ref_logp_rejected) and rollout records (ref_logprobs).\n"
    "\n"
    "  -c, --checkpoint DIR   reference causal LM (with tokenizer.json)\n"
    "  -b, --batch N          scoreable records per forward pass (default 8)\n"
    "      --per-token        pairs also get ref_logprobs_chosen/_rejected bins\n"
    "      --max-len N        tokens per sequence (default: the model's maximum)\n"
    "      --truncation M     keep-start, keep-end or drop (default keep-start)\n"
    "      --progress         progress on stderr even when it is not a terminal (a line\n"
    "                         every PREFPIPE_PROGRESS_EVERY s, default 10)\n"
    "  -j, --threads N        CPU threads (default OMP_NUM_THREADS, else all cores;\n"
    "                         never picked from the machine's load)\n"
    "      --config FILE      \"key = value\" lines for long options; flags on\n"
    "                         the command line override them\n"
    "      --device NAME      compute backend: cpu (default; cuda where built)\n"
    "  -o, --output OUT       output (default stdout)\n"
    "  -h, --help             this help\n"
    "  -V, --version          version\n"
    "\n"
    "Use the same --batch, --max-len and --truncation as dpo-step's\n"
    "--ref-batch, --max-len and --truncation for identical numbers.\n"
    "Exit status: 0 ok, 64 usage, 65 bad record or checkpoint, 66 cannot\n"
    "open, 74 I/O error.\n";

enum { MAX_WINDOW = 4096 };

typedef struct {
    model *m;
    int per_token;                   /* --per-token */
    char tok_fp[17];                 /* the reference's tokenizer, as ref_tokenizer */
    train_prep prep;
    train_counts cnt;
    uint64_t nroll;                  /* rollouts scored */
    int warned;
    progress_t pr;                   /* records scored so far (--progress, or on a terminal) */
    train_example *ex;               /* [batch] */
    float **pt;                      /* [2 batch] per-token log-probs of the examples */
} scorer;

static void add_ref(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx)
{
    (void)rec;
    const scorer *sc = ctx;
    int j = h->ex;
    const train_example *e = &sc->ex[j];
    recb_put_str(b, "ref_tokenizer", sc->tok_fp);
    if (h->tag) {   /* a rollout */
        recb_put_f32_array(b, "ref_logprobs", sc->pt[2 * j], (size_t)(e->len[0] - e->start[0]));
    } else {
        recb_put_f64(b, "ref_logp_chosen", e->ref[0]);
        recb_put_f64(b, "ref_logp_rejected", e->ref[1]);
        if (sc->per_token) {
            recb_put_f32_array(b, "ref_logprobs_chosen", sc->pt[2 * j], (size_t)(e->len[0] - e->start[0]));
            recb_put_f32_array(b, "ref_logprobs_rejected", sc->pt[2 * j + 1], (size_t)(e->len[1] - e->start[1]));
        }
    }
}

static void flush(void *ctx, held_rec *w, int nw, int nex, rstream *out)
{
    scorer *sc = ctx;
    memset(sc->pt, 0, sizeof *sc->pt * (size_t)(2 * (nex ? nex : 1)));
    train_score_ref(sc->m, sc->ex, nex, sc->pt);
    held_write(w, nw, out, add_ref, sc);
    progress_add(&sc->pr, (uint64_t)nw);
    for (int j = 0; j < 2 * nex; j++) free(sc->pt[j]);
    for (int j = 0; j < nex; j++) train_example_free(&sc->ex[j]);
}

/* A rollout: tokens (response) after prompt_tokens or the templated prompt. */
static int rollout_example(const tokenizer *tok, const msgpack_object *rec, uint64_t recno, int max_len,
                           train_example *ex, const char *uri)
{
    int32_t *toks = NULL, *ptoks = NULL;
    long nt = rec_get_i32_array(rec, "tokens", &toks);
    if (nt == -2) return 0;
    if (nt < 0) die(EX_DATAERR, "%s: record %llu: tokens is not an int32 array", uri, (unsigned long long)recno);
    long np = rec_get_i32_array(rec, "prompt_tokens", &ptoks);
    if (np == -1) die(EX_DATAERR, "%s: record %llu: prompt_tokens is not an int32 array", uri, (unsigned long long)recno);
    if (np == -2) {
        const msgpack_object *p = rec_get(rec, "prompt");
        if (!p) die(EX_DATAERR, "%s: record %llu: a rollout needs prompt_tokens or prompt", uri, (unsigned long long)recno);
        chat_msg *msgs;
        char err[256];
        int nm = chat_from_msgpack(p, &msgs, err, sizeof err);
        if (nm < 0) die(EX_DATAERR, "%s: record %llu: prompt: %s", uri, (unsigned long long)recno, err);
        np = chat_encode(tok, msgs, nm, 1, &ptoks, NULL, err, sizeof err);
        if (np < 0) die(EX_DATAERR, "%s: record %llu: prompt: %s", uri, (unsigned long long)recno, err);
        free(msgs);
    }
    if (np + nt > max_len)
        die(EX_DATAERR, "%s: record %llu: %ld tokens exceed the maximum %d", uri, (unsigned long long)recno,
            np + nt, max_len);
    memset(ex, 0, sizeof *ex);
    ex->nseq = 1;
    ex->len[0] = (int)(np + nt);
    ex->start[0] = (int)np;
    ex->recno = recno;
    ex->ids[0] = xmalloc(sizeof(int32_t) * (size_t)(np + nt ? np + nt : 1));
    memcpy(ex->ids[0], ptoks, sizeof(int32_t) * (size_t)np);
    memcpy(ex->ids[0] + np, toks, sizeof(int32_t) * (size_t)nt);
    free(toks);
    free(ptoks);
    return 1;
}

static int take(void *ctx, const msgpack_object *rec, const rstream *r, int ex, int *tag)
{
    scorer *sc = ctx;
    const char *why = NULL;
    if (!rec_get(rec, "chosen") && rec_get(rec, "tokens")) {
        if (!rollout_example(sc->prep.tok, rec, rs_count(r), sc->prep.max_len, &sc->ex[ex], rs_uri(r))) return 0;
        *tag = 1;   /* a rollout */
        sc->nroll++;
        return 1;
    }
    if (train_example_from_record(&sc->prep, rec, rs_count(r), &sc->ex[ex], &sc->cnt, &why)) return 1;
    if (sc->warned++ < 5)
        fprintf(stderr, "%s: %s: record %llu not scored: %s\n", progname, rs_uri(r), (unsigned long long)rs_count(r),
                why);
    return 0;
}

/* a window another rank scores: free what take built */
static void drop(void *ctx, int nex)
{
    scorer *sc = ctx;
    for (int j = 0; j < nex; j++) train_example_free(&sc->ex[j]);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    train_dist_start();   /* several ranks under mpirun: windows are sharded */
    enum { O_PER_TOKEN = 1000, O_MAX_LEN, O_TRUNC, O_PROGRESS };
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"batch", required_argument, 0, 'b'},
        {"per-token", no_argument, 0, O_PER_TOKEN}, {"max-len", required_argument, 0, O_MAX_LEN},
        {"truncation", required_argument, 0, O_TRUNC}, {"output", required_argument, 0, 'o'}, {"device", required_argument, 0, 'D'}, THREADS_OPTION,
        {"progress", no_argument, 0, O_PROGRESS}, {0, 0, 0, 0}};
    const char *ckpt = NULL, *outp = "-";
    const char *device = NULL;
    int progress = 0;
    scorer sc = {0};
    int batch = 8, max_len = 0, c;
    trunc_mode trunc = TRUNC_KEEP_START;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "b:c:ho:Vj:", lo, NULL)) != -1) {
        switch (c) {
        case 'j': threads_set("--threads", optarg); break;
        case O_PROGRESS: progress = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'c': ckpt = optarg; break;
        case 'b': batch = (int)parse_ll("--batch", optarg, 1, 4096); break;
        case 'o': outp = optarg; break;
        case 'D': device = optarg; break;
        case O_PER_TOKEN: sc.per_token = 1; break;
        case O_MAX_LEN: max_len = (int)parse_ll("--max-len", optarg, 2, 1 << 24); break;
        case O_TRUNC:
            if (trunc_parse(optarg, &trunc)) cli_usage_error("--truncation: expected keep-start, keep-end or drop");
            break;
        default: cli_bad_option(argv, lo);
        }
    }
    const backend *be = backend_for_device(device);
    if (!ckpt) cli_usage_error("missing --checkpoint DIR");
    sc.m = ckpt_load_model(ckpt, be);
    if (!sc.m->c.lm_head) die(EX_DATAERR, "%s: not a causal LM (no lm_head)", ckpt);
    tokenizer *tok = ckpt_load_tokenizer(ckpt);
    tok_fingerprint_hex(tok, sc.tok_fp);
    if (max_len > sc.m->c.max_pos) die(EX_USAGE, "--max-len %d exceeds the model's maximum %d", max_len, sc.m->c.max_pos);
    sc.prep = (train_prep){.tok = tok, .max_len = max_len ? max_len : sc.m->c.max_pos, .trunc = trunc, .want = TD_PAIR};
    sc.ex = xcalloc((size_t)batch, sizeof *sc.ex);
    sc.pt = xcalloc((size_t)(2 * batch), sizeof *sc.pt);
    held_window hw = {.max_scored = batch, .max_held = MAX_WINDOW, .take = take, .flush = flush, .ctx = &sc,
                      .out = dist_rank() == 0 ? rs_open_write(outp) : rs_open_memory()};   /* rank 0 writes */
    int nin;
    char **ins = cli_inputs(argc, argv, optind, &nin);
    train_check_rank_inputs(ins, nin);
    train_shard_window(&hw, drop);
    progress_init(&sc.pr, "records", 0, progress);
    if (dist_rank() != 0) sc.pr.enabled = 0;   /* one progress line per job */
    held_window_run(&hw, ins, nin);
    progress_finish(&sc.pr);
    if (dist_rank() == 0) train_counts_report("pairs", &sc.cnt);
    if (sc.nroll && dist_rank() == 0) fprintf(stderr, "%s: rollouts: %llu scored\n", progname, (unsigned long long)sc.nroll);
    free(sc.ex);
    free(sc.pt);
    tok_free(tok);
    model_free(sc.m);
    return 0;
}
