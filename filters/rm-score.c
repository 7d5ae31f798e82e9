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
 * is bounded by the batch.  Which records share a forward pass matters to
 * the last bit (OpenBLAS's sgemm rounds a row differently depending on the
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
#include "base/cli.h"
#include "io/record.h"
#include "io/stream.h"
#include "io/held.h"
#include "train/batch.h"
#include "train/stage_cli.h"
#include "base/util.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
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
    "  -n, --name NAME        write rollout rewards to rewards.NAME instead of reward\n"
    "      --normalize        (r - reward_mean) / reward_std from DIR/trainer_state.json\n"
    "      --skip-bad         pass unscoreable records through (counted) instead of exit 65\n"
    "      --no-eos-trick     score records with finish \"length\" as they are (no EOS\n"
    "                         appended), for ppo-step --no-eos-trick\n"
    "      --max-len N        tokens per sequence (default: the model's maximum)\n"
    "      --truncation M     keep-start, keep-end or drop (default keep-start)\n"
    "      --device NAME      compute backend: cpu (default; cuda where built)\n"
    "  -o, --output OUT       output (default stdout)\n"
    "  -h, --help             this help\n"
    "  -V, --version          version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad record or checkpoint, 66 cannot\n"
    "open, 74 I/O error.\n";

static model *M;
static const char *NAME;
static int NORMALIZE;
static double MEAN, STD = 1;

static double norm(double r) { return NORMALIZE ? (r - MEAN) / STD : r; }

static void put_named(recb *b, const msgpack_object *rec, double r)
{
    const msgpack_object *old = rec_get(rec, "rewards");
    msgpack_packer *pk = recb_begin(b, "rewards");
    uint32_t n = 1;
    int have = 0;
    if (old && old->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < old->via.map.size; i++) {
            if (obj_str_eq(&old->via.map.ptr[i].key, NAME)) have = 1;
            else n++;
        }
    (void)have;
    msgpack_pack_map(pk, n);
    if (old && old->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < old->via.map.size; i++) {
            if (obj_str_eq(&old->via.map.ptr[i].key, NAME)) continue;
            msgpack_pack_object(pk, old->via.map.ptr[i].key);
            msgpack_pack_object(pk, old->via.map.ptr[i].val);
        }
    pack_str(pk, NAME);
    msgpack_pack_double(pk, r);
    recb_end(b);
}

typedef struct { const train_example *ex; const double *r; } scored;

static void add_reward(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx)
{
    const scored *sc = ctx;
    int j = h->ex;
    if (sc->ex[j].nseq == 2) {
        recb_put_f64(b, "reward_chosen", norm(sc->r[2 * j]));
        recb_put_f64(b, "reward_rejected", norm(sc->r[2 * j + 1]));
    } else if (NAME) {
        put_named(b, rec, norm(sc->r[2 * j]));
    } else {
        recb_put_f64(b, "reward", norm(sc->r[2 * j]));
    }
}

static void flush(held_rec *w, int nw, train_example *ex, int nex, rstream *out)
{
    double *r = xcalloc((size_t)(2 * (nex ? nex : 1)), sizeof *r);
    train_score_reward(M, ex, nex, r);
    scored sc = {ex, r};
    held_write(w, nw, out, add_reward, &sc);
    for (int j = 0; j < nex; j++) train_example_free(&ex[j]);
    free(r);
}

static void load_stats(const char *dir)
{
    char *text = ckpt_load_state(dir);
    if (!text) die(EX_DATAERR, "%s: --normalize needs trainer_state.json with reward_mean/reward_std (from rm-train)", dir);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    json_t *m = j ? json_object_get(j, "reward_mean") : NULL, *s = j ? json_object_get(j, "reward_std") : NULL;
    if (!json_is_number(m) || !json_is_number(s) || !(json_number_value(s) > 0))
        die(EX_DATAERR, "%s/trainer_state.json: no usable reward_mean/reward_std", dir);
    MEAN = json_number_value(m);
    STD = json_number_value(s);
    json_decref(j);
    free(text);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    enum { O_NORM = 1000, O_SKIP, O_MAX_LEN, O_TRUNC, O_NOEOS };
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"batch", required_argument, 0, 'b'},
        {"name", required_argument, 0, 'n'}, {"normalize", no_argument, 0, O_NORM},
        {"skip-bad", no_argument, 0, O_SKIP}, {"no-eos-trick", no_argument, 0, O_NOEOS}, {"max-len", required_argument, 0, O_MAX_LEN},
        {"truncation", required_argument, 0, O_TRUNC}, {"output", required_argument, 0, 'o'}, {"device", required_argument, 0, 'D'}, {0, 0, 0, 0}};
    const char *ckpt = NULL, *outp = "-";
    const backend *be = backend_cpu();
    int batch = 8, max_len = 0, skip_bad = 0, as_is = 0, c;
    trunc_mode trunc = TRUNC_KEEP_START;
    while ((c = getopt_long(argc, argv, "b:c:hn:o:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'c': ckpt = optarg; break;
        case 'b': batch = (int)parse_ll("--batch", optarg, 1, 4096); break;
        case 'n': NAME = optarg; if (!*NAME) cli_usage_error("--name must not be empty"); break;
        case 'o': outp = optarg; break;
        case 'D':
            be = backend_by_name(optarg, NULL);
            if (!be) cli_usage_error("device '%s' is not available in this build", optarg);
            break;
        case O_NORM: NORMALIZE = 1; break;
        case O_SKIP: skip_bad = 1; break;
        case O_NOEOS: as_is = 1; break;
        case O_MAX_LEN: max_len = (int)parse_ll("--max-len", optarg, 2, 1 << 24); break;
        case O_TRUNC:
            if (trunc_parse(optarg, &trunc)) cli_usage_error("--truncation: expected keep-start, keep-end or drop");
            break;
        default: cli_usage_error("invalid option");
        }
    }
    if (!ckpt) cli_usage_error("missing --checkpoint DIR");
    M = ckpt_load_model(ckpt, be);
    if (!M->c.score) die(EX_DATAERR, "%s: not a reward model (no score head)", ckpt);
    if (NORMALIZE) load_stats(ckpt);
    tokenizer *tok = ckpt_load_tokenizer(ckpt);
    if (max_len > M->c.max_pos) die(EX_USAGE, "--max-len %d exceeds the model's maximum %d", max_len, M->c.max_pos);
    train_prep pp = {.tok = tok, .max_len = max_len ? max_len : M->c.max_pos, .trunc = trunc, .want = TD_PAIR,
                     .allow_empty = 1};
    train_prep ps = pp;
    ps.want = TD_SFT;
    ps.truncated_as_is = as_is;
    rstream *out = rs_open_write(outp);
    held_rec *w = xcalloc((size_t)batch, sizeof *w);
    train_example *ex = xcalloc((size_t)batch, sizeof *ex);
    train_counts cnt = {0};
    int nw = 0, nex = 0, nin, warned = 0;
    int gin = 0;                      /* the last record belongs to a rollout batch: */
    int64_t gb = 0, gsize = 0, gseen = 0; /* its number, size and records seen so far */
    char **ins = train_cli_inputs(argc, argv, &nin);
    for (int f = 0; f < nin; f++) {
        rstream *r = rs_open_read(ins[f]);
        msgpack_object rec;
        for (;;) {
            /* about to wait for a live producer (pipe, ZeroMQ) that has
             * paused, holding records that no rollout batch promises to
             * complete: score and send them first, or a feedback loop
             * (rollout | rm-score | ppo-step) could wait on us forever */
            if (nw > 0 && !gin && !rs_ready(r)) {
                flush(w, nw, ex, nex, out);
                nw = nex = 0;
                rs_flush(out);
            }
            if (rs_next(r, &rec) != RS_OK) break;
            int64_t b = 0, bs = 0;
            int has = rec_get_i64(&rec, "batch", &b) == 1 && rec_get_i64(&rec, "batch_size", &bs) == 1 && bs > 0;
            if (has && gin && b == gb) {
                gseen++;
            } else {
                /* a rollout batch ends here: it shares no forward pass */
                if (nw > 0 && (has || gin)) { flush(w, nw, ex, nex, out); nw = nex = 0; }
                gin = has, gb = b, gsize = bs, gseen = 1;
            }
            const char *why;
            held_rec *s = &w[nw++];
            held_keep(s, r);
            const train_prep *p = rec_get(&rec, "chosen") || rec_get(&rec, "rejected") ? &pp : &ps;
            if (train_example_from_record(p, &rec, rs_count(r), &ex[nex], &cnt, &why)) {
                s->ex = nex++;
            } else if (!skip_bad) {
                die(EX_DATAERR, "%s: record %llu: %s (--skip-bad passes such records through)", rs_uri(r),
                    (unsigned long long)rs_count(r), why);
            } else if (warned++ < 5) {
                fprintf(stderr, "%s: %s: record %llu not scored: %s\n", progname, rs_uri(r),
                        (unsigned long long)rs_count(r), why);
            }
            int gend = gin && gseen >= gsize;   /* the rollout batch is complete (or overfull) */
            if (nw == batch || gend) { flush(w, nw, ex, nex, out); nw = nex = 0; }
            if (gend) rs_flush(out);
        }
        rs_close(r);
    }
    flush(w, nw, ex, nex, out);
    rs_close(out);
    train_counts_report("scored", &cnt);
    free(w);
    free(ex);
    tok_free(tok);
    model_free(M);
    return 0;
}
