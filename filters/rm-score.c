/*
 * rm-score — add reward-model scores to records:
 *   pair     reward_chosen, reward_rejected
 *   rollout  reward (prompt + response), or with --name NAME the entry
 *            NAME of the `rewards` map (other entries kept)
 * A reward is the score head's value at the last token of the
 * Tülu-templated response (as rm-train trains it); --normalize standardises
 * it with the reward_mean / reward_std rm-train stored in the checkpoint.
 * Empty responses are scored (the template still gives EOS).  With
 * --no-eos-trick a record whose finish is "length" (a rollout cut at
 * max_new) is scored as it is: the template's EOS is not appended, so the
 * reward is the head's value at the last generated token — the reward
 * ppo-step --no-eos-trick keeps.  By default every response gets the EOS
 * (ppo-step's EOS trick replaces a truncated response's reward anyway).
 * Records that
 * cannot be scored (no prompt, no response) stop with exit 65 unless
 * --skip-bad, which passes them through unchanged and counts them.
 *
 * Records are scored --batch at a time and written in input order; memory
 * is bounded by the batch.  The batching is lib/io/held.c's hold window
 * (ref-score's too; rm-score splits rollout batches).  Which records share
 * a forward pass matters to the last bit (OpenBLAS's sgemm rounds a row differently depending on the
 * number of rows in the call, ~1 float32 ulp), so batches are a function
 * of the record sequence wherever the data allows:
 *   - at most --batch records;
 *   - a rollout batch (records with `batch` and `batch_size`, as rollout
 *     writes and ppo-step groups them) ends a forward batch: at its last
 *     record (batch_size records with that `batch` seen in a row) or where
 *     `batch` changes.  In rollout | rm-score | ppo-step the rollout batch's
 *     last records are scored as soon as they arrive, whatever --batch is,
 *     with the same bytes over files, pipes and ZeroMQ;
 *   - records without those fields, held while the next read would block
 *     (rs_ready: a pipe or ZeroMQ producer that paused), are scored and
 *     written before rm-score waits.  Only then do batches follow the
 *     records' arrival; files never block, so their batches stay full.
 */
#include "train/checkpoint.h"
#include "backend/backend.h"
#include "dist/dist.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "io/record.h"
#include "io/stream.h"
#include "io/held.h"
#include "train/batch.h"
#include "train/rm_stats.h"
#include "train/stage_cli.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rm-score -c DIR [OPTIONS] [INPUT...]\n"
    "\n"
    "Add reward-model scores: reward_chosen/reward_rejected to pairs, reward\n"
    "(or rewards.NAME) to rollouts and other prompt + response records.\n"
    "\n"
    "  -c, --checkpoint DIR   reward model (score head, with tokenizer.json)\n"
    "  -b, --batch N          at most N records per forward pass (default 8; a rollout\n"
    "                         batch, or a pause in a live input, ends one sooner)\n"
    "      --name NAME        write rollout rewards to rewards.NAME instead of reward\n"
    "                         (old spelling -n, until the next release: -n is a count)\n"
    "      --normalize        (r - reward_mean) / reward_std from DIR/trainer_state.json\n"
    "      --skip-bad         pass unscoreable records through (counted) instead of exit 65\n"
    "      --no-eos-trick     score records with finish \"length\" as they are (no EOS\n"
    "                         appended), for ppo-step --no-eos-trick\n"
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
    "Exit status: 0 ok, 64 usage, 65 bad record or checkpoint, 66 cannot\n"
    "open, 74 I/O error.\n";

typedef struct {
    model *m;
    const char *name;                /* --name */
    rm_stats stats;                  /* have: --normalize */
    train_prep pp, ps;               /* pairs, single responses */
    int skip_bad, warned;
    train_counts cnt;
    progress_t pr;                   /* records scored so far (--progress, or on a terminal) */
    train_example *ex;               /* [batch] */
    double *r;                       /* [2 batch] rewards of the examples */
} scorer;

static double norm(const scorer *sc, double r) { return sc->stats.have ? rm_stats_normalize(&sc->stats, r) : r; }

static void put_named(recb *b, const msgpack_object *rec, const char *name, double r)
{
    const msgpack_object *old = rec_get(rec, "rewards");
    msgpack_packer *pk = recb_begin(b, "rewards");
    uint32_t n = 1;
    if (old && old->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < old->via.map.size; i++)
            if (!obj_str_eq(&old->via.map.ptr[i].key, name)) n++;
    msgpack_pack_map(pk, n);
    if (old && old->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < old->via.map.size; i++) {
            if (obj_str_eq(&old->via.map.ptr[i].key, name)) continue;
            msgpack_pack_object(pk, old->via.map.ptr[i].key);
            msgpack_pack_object(pk, old->via.map.ptr[i].val);
        }
    pack_str(pk, name);
    msgpack_pack_double(pk, r);
    recb_end(b);
}

static void add_reward(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx)
{
    const scorer *sc = ctx;
    int j = h->ex;
    if (sc->ex[j].nseq == 2) {
        recb_put_f64(b, "reward_chosen", norm(sc, sc->r[2 * j]));
        recb_put_f64(b, "reward_rejected", norm(sc, sc->r[2 * j + 1]));
    } else if (sc->name) {
        put_named(b, rec, sc->name, norm(sc, sc->r[2 * j]));
    } else {
        recb_put_f64(b, "reward", norm(sc, sc->r[2 * j]));
    }
}

static int take(void *ctx, const msgpack_object *rec, const rstream *r, int ex, int *tag)
{
    scorer *sc = ctx;
    (void)tag;
    const char *why;
    const train_prep *p = rec_get(rec, "chosen") || rec_get(rec, "rejected") ? &sc->pp : &sc->ps;
    if (train_example_from_record(p, rec, rs_count(r), &sc->ex[ex], &sc->cnt, &why)) return 1;
    if (!sc->skip_bad)
        die(EX_DATAERR, "%s: record %llu: %s (--skip-bad passes such records through)", rs_uri(r),
            (unsigned long long)rs_count(r), why);
    if (sc->warned++ < 5)
        fprintf(stderr, "%s: %s: record %llu not scored: %s\n", progname, rs_uri(r), (unsigned long long)rs_count(r),
                why);
    return 0;
}

static void flush(void *ctx, held_rec *w, int nw, int nex, rstream *out)
{
    scorer *sc = ctx;
    train_score_reward(sc->m, sc->ex, nex, sc->r);
    held_write(w, nw, out, add_reward, sc);
    if (nex > 0) progress_value(&sc->pr, "reward", norm(sc, sc->r[2 * (nex - 1)]));
    progress_add(&sc->pr, (uint64_t)nw);
    for (int j = 0; j < nex; j++) train_example_free(&sc->ex[j]);
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
    enum { O_NORM = 1000, O_SKIP, O_MAX_LEN, O_TRUNC, O_PROGRESS, O_NOEOS, O_NAME };
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"batch", required_argument, 0, 'b'},
        {"name", required_argument, 0, O_NAME}, {"normalize", no_argument, 0, O_NORM},
        {"skip-bad", no_argument, 0, O_SKIP}, {"no-eos-trick", no_argument, 0, O_NOEOS}, {"max-len", required_argument, 0, O_MAX_LEN},
        {"truncation", required_argument, 0, O_TRUNC}, {"output", required_argument, 0, 'o'}, {"device", required_argument, 0, 'D'}, THREADS_OPTION,
        {"progress", no_argument, 0, O_PROGRESS}, {0, 0, 0, 0}};
    const char *ckpt = NULL, *outp = "-";
    const char *device = NULL;
    int progress = 0;
    scorer sc = {0};
    int batch = 8, max_len = 0, normalize = 0, as_is = 0, c;
    trunc_mode trunc = TRUNC_KEEP_START;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "b:c:hn:o:Vj:", lo, NULL)) != -1) {
        switch (c) {
        case 'j': threads_set("--threads", optarg); break;
        case O_PROGRESS: progress = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'c': ckpt = optarg; break;
        case 'b': batch = (int)parse_ll("--batch", optarg, 1, 4096); break;
        case 'n': cli_old_spelling("-n", "--name", NULL); /* fall through */
        case O_NAME: sc.name = optarg; if (!*sc.name) cli_usage_error("--name must not be empty"); break;
        case 'o': outp = optarg; break;
        case 'D': device = optarg; break;
        case O_NORM: normalize = 1; break;
        case O_SKIP: sc.skip_bad = 1; break;
        case O_NOEOS: as_is = 1; break;
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
    if (!sc.m->c.score) die(EX_DATAERR, "%s: not a reward model (no score head)", ckpt);
    if (normalize) rm_stats_read_or_die(ckpt, &sc.stats);
    tokenizer *tok = ckpt_load_tokenizer(ckpt);
    if (max_len > sc.m->c.max_pos) die(EX_USAGE, "--max-len %d exceeds the model's maximum %d", max_len, sc.m->c.max_pos);
    sc.pp = (train_prep){.tok = tok, .max_len = max_len ? max_len : sc.m->c.max_pos, .trunc = trunc, .want = TD_PAIR,
                         .allow_empty = 1};
    sc.ps = sc.pp;
    sc.ps.want = TD_SFT;
    sc.ps.truncated_as_is = as_is;
    sc.ex = xcalloc((size_t)batch, sizeof *sc.ex);
    sc.r = xcalloc((size_t)(2 * batch), sizeof *sc.r);
    held_window hw = {.max_scored = batch, .max_held = batch, .split_rollout_batches = 1, .take = take,
                      .flush = flush, .ctx = &sc, .out = dist_rank() == 0 ? rs_open_write(outp) : rs_open_memory()};   /* rank 0 writes */
    int nin;
    char **ins = cli_inputs(argc, argv, optind, &nin);
    train_check_rank_inputs(ins, nin);
    train_shard_window(&hw, drop);
    progress_init(&sc.pr, "records", 0, progress);
    if (dist_rank() != 0) sc.pr.enabled = 0;   /* one progress line per job */
    held_window_run(&hw, ins, nin);
    progress_finish(&sc.pr);
    if (dist_rank() == 0) train_counts_report("scored", &sc.cnt);
    free(sc.ex);
    free(sc.r);
    tok_free(tok);
    model_free(sc.m);
    return 0;
}
