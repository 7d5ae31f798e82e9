/*
 * lm-logprob — score records with a causal LM: per-token log-probs of
 * given tokens under a checkpoint (temperature 1).
 *
 * What is scored, by the fields a record has (first match wins):
 *   tokens [+ prompt_tokens]     the ids in `tokens`, conditioned on
 *                                prompt_tokens; writes FIELD (one float
 *                                per token of `tokens`)
 *   prompt + chosen + rejected   (pair) the Tülu-templated responses;
 *                                writes ref_logp_chosen, ref_logp_rejected
 *                                (sums over response tokens incl. EOS)
 *   prompt + response            the templated response; writes FIELD and,
 *                                when absent, prompt_tokens and tokens
 *   text                         the whole text (special tokens split), with
 *                                the post-processor's tokens (Llama's BOS)
 *                                as Hugging Face's tokenizer(text) adds
 *                                them, unless --no-add-special; writes
 *                                tokens and FIELD (the first token gets 0)
 * The templated modes never add the post-processor's tokens: the chat
 * template writes its own (see chat_template.h).
 * FIELD is --field (default logprobs).  Records are scored --batch at a
 * time, right-padded (padding is masked, so batch composition changes
 * nothing but float summation order), and written in input order with all
 * their fields kept.
 */
#include "text/chat_template.h"
#include "train/checkpoint.h"
#include "model/score.h"
#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "io/record.h"
#include "io/stream.h"
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
    "                         results depend on N, never on the load)\n"
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

typedef struct { int32_t *ids; int n, start; int rec, slot; } seq;   /* score ids[start..n) */
typedef enum { K_TOKENS, K_PAIR, K_RESPONSE, K_TEXT } kind_t;
typedef struct {
    char *raw; size_t len;
    kind_t kind;
    uint64_t num;
    int add_ids;            /* K_RESPONSE: write prompt_tokens/tokens */
    int32_t *pids, *rids; long np, nr;
    float *lp[2];           /* per scored token, per slot */
    int nlp[2];
} item;

/* What the stage scores with, from its options. */
typedef struct {
    model *m;
    tokenizer *tok;
    const char *field;      /* --field */
    int add_special;        /* text records: the post-processor's tokens */
} scorer;

static noreturn void die_rec(const char *uri, uint64_t n, const char *what)
{
    die(EX_DATAERR, "%s: record %llu: %s", uri, (unsigned long long)n, what);
}

static seq make_seq(const int32_t *p, long np, const int32_t *r, long nr, int rec, int slot)
{
    seq s = {.n = (int)(np + nr), .start = (int)np, .rec = rec, .slot = slot};
    s.ids = xmalloc(sizeof(int32_t) * (size_t)(s.n ? s.n : 1));
    if (np) memcpy(s.ids, p, sizeof(int32_t) * (size_t)np);
    if (nr) memcpy(s.ids + np, r, sizeof(int32_t) * (size_t)nr);
    return s;
}

/* Build the sequences of one record; returns how many (1 or 2). */
static int prepare(const scorer *sc, item *it, const msgpack_object *rec, const char *uri, int idx, seq *out)
{
    char err[256];
    int32_t *toks = NULL, *ptoks = NULL;
    long nt = rec_get_i32_array(rec, "tokens", &toks);
    if (nt == -1) die_rec(uri, it->num, "tokens is not an int32 array");
    if (nt >= 0) {
        long np = rec_get_i32_array(rec, "prompt_tokens", &ptoks);
        if (np == -1) die_rec(uri, it->num, "prompt_tokens is not an int32 array");
        if (np < 0) np = 0;
        for (long i = 0; i < np + nt; i++) {
            int32_t id = i < np ? ptoks[i] : toks[i - np];
            if (id < 0 || id >= sc->m->c.vocab) {
                snprintf(err, sizeof err, "token id %d outside the vocabulary (%d)", id, sc->m->c.vocab);
                die_rec(uri, it->num, err);
            }
        }
        it->kind = K_TOKENS;
        out[0] = make_seq(ptoks, np, toks, nt, idx, 0);
        free(toks); free(ptoks);
        return 1;
    }
    const msgpack_object *prompt = rec_get(rec, "prompt");
    const char *a, *b, *text;
    size_t la, lb, lt;
    if (prompt) {
        chat_msg *msgs;
        int n = chat_from_msgpack(prompt, &msgs, err, sizeof err);
        if (n < 0) die_rec(uri, it->num, err);
        int ch = rec_get_str(rec, "chosen", &a, &la), rj = rec_get_str(rec, "rejected", &b, &lb);
        int rs = rec_get_str(rec, "response", &text, &lt);
        int cnt = 0;
        if (ch == 1 && rj == 1) {
            it->kind = K_PAIR;
            for (int k = 0; k < 2; k++) {
                int32_t *p, *r;
                long np, nr = chat_encode_response(sc->tok, msgs, n, k ? b : a, k ? lb : la, &p, &np, &r, err, sizeof err);
                if (nr < 0) die_rec(uri, it->num, err);
                out[cnt++] = make_seq(p, np, r, nr, idx, k);
                free(p); free(r);
            }
        } else if (rs == 1) {
            it->kind = K_RESPONSE;
            it->nr = chat_encode_response(sc->tok, msgs, n, text, lt, &it->pids, &it->np, &it->rids, err, sizeof err);
            if (it->nr < 0) die_rec(uri, it->num, err);
            it->add_ids = 1;
            out[cnt++] = make_seq(it->pids, it->np, it->rids, it->nr, idx, 0);
        } else {
            die_rec(uri, it->num, "a prompt needs chosen and rejected, or response (strings)");
        }
        free(msgs);
        return cnt;
    }
    if (rec_get_str(rec, "text", &text, &lt) == 1) {
        it->kind = K_TEXT;
        int32_t *ids;
        long n = tok_encode(sc->tok, text, lt, TOK_SPLIT_SPECIAL | (sc->add_special ? TOK_ADD_SPECIAL : 0), &ids, err,
                            sizeof err);
        if (n < 0) die_rec(uri, it->num, err);
        it->rids = ids;
        it->nr = n;
        out[0] = make_seq(NULL, 0, ids, n, idx, 0);
        return 1;
    }
    die_rec(uri, it->num, "nothing to score: needs tokens, prompt + response, prompt + chosen + rejected, or text");
}

/* Score the batch's sequences and hand each its log-probs. */
static void score(const scorer *sc, seq *s, int ns, item *items, const char *uri)
{
    score_seq *q = xcalloc(ns ? ns : 1, sizeof *q);
    for (int k = 0; k < ns; k++) q[k] = (score_seq){.ids = s[k].ids, .n = s[k].n, .start = s[k].start};
    int bad = model_score(sc->m, q, ns, SCORE_TOKENS, SCORE_LOGITS_LIMIT);
    if (bad >= 0)
        die(EX_DATAERR, "%s: record %llu: %d tokens exceed max_position_embeddings %d", uri,
            (unsigned long long)items[s[bad].rec].num, s[bad].n, sc->m->c.max_pos);
    for (int k = 0; k < ns; k++) {
        item *it = &items[s[k].rec];
        it->lp[s[k].slot] = q[k].logp;
        it->nlp[s[k].slot] = s[k].n - s[k].start;
    }
    free(q);
}

static void flush(const scorer *sc, item *items, int n, seq *s, int ns, rstream *w, const char *uri)
{
    score(sc, s, ns, items, uri);
    recb b;
    recb_init(&b);
    for (int i = 0; i < n; i++) {
        item *it = &items[i];
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        if (msgpack_unpack_next(&up, it->raw, it->len, &off) != MSGPACK_UNPACK_SUCCESS)
            die(EX_SOFTWARE, "record copy does not unpack");
        recb_reset(&b);
        recb_copy_fields(&b, &up.data);
        if (it->kind == K_PAIR) {
            double sum[2] = {0, 0};
            for (int k = 0; k < 2; k++)
                for (int t = 0; t < it->nlp[k]; t++) sum[k] += it->lp[k][t];
            recb_put_f64(&b, "ref_logp_chosen", sum[0]);
            recb_put_f64(&b, "ref_logp_rejected", sum[1]);
        } else {
            if ((it->kind == K_RESPONSE && !rec_get(&up.data, "prompt_tokens")) || it->kind == K_TEXT) {
                if (it->kind == K_RESPONSE) recb_put_i32_array(&b, "prompt_tokens", it->pids, (size_t)it->np);
                recb_put_i32_array(&b, "tokens", it->rids, (size_t)it->nr);
            }
            recb_put_f32_array(&b, sc->field, it->lp[0], (size_t)it->nlp[0]);
        }
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(w, buf, len);
        msgpack_unpacked_destroy(&up);
        free(it->raw); free(it->pids); free(it->rids); free(it->lp[0]); free(it->lp[1]);
        memset(it, 0, sizeof *it);
    }
    for (int k = 0; k < ns; k++) free(s[k].ids);
    recb_free(&b);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"field", required_argument, 0, 'f'},
        {"batch", required_argument, 0, 'b'}, {"output", required_argument, 0, 'o'},
        {"device", required_argument, 0, 'D'}, {"progress", no_argument, 0, 'P'},
        {"no-add-special", no_argument, 0, 'N'}, THREADS_OPTION, {0, 0, 0, 0}};
    const char *ckpt = NULL, *out = "-";
    const char *device = NULL;
    scorer sc = {.field = "logprobs", .add_special = 1};
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
    rstream *w = rs_open_write(out);
    progress_t prog;
    progress_init(&prog, "records", 0, progress);
    item *items = xcalloc(batch, sizeof *items);
    seq *seqs = xcalloc((size_t)batch * 2, sizeof *seqs);
    int nin, n = 0, ns = 0;
    char **ins = cli_inputs(argc, argv, optind, &nin);
    for (int f = 0; f < nin; f++) {
        rstream *r = rs_open_read(ins[f]);
        const char *name = cli_input_name(ins[f]);
        msgpack_object rec;
        while (rs_next(r, &rec) == RS_OK) {
            item *it = &items[n];
            const char *raw;
            rs_last_raw(r, &raw, &it->len);
            it->raw = xmalloc(it->len);
            memcpy(it->raw, raw, it->len);
            it->num = rs_count(r);
            ns += prepare(&sc, it, &rec, name, n, seqs + ns);
            if (++n == batch) { flush(&sc, items, n, seqs, ns, w, name); progress_add(&prog, n); n = ns = 0; }
        }
        if (n) { flush(&sc, items, n, seqs, ns, w, name); progress_add(&prog, n); n = ns = 0; }
        rs_close(r);
    }
    rs_close(w);
    progress_finish(&prog);
    free(items); free(seqs);
    tok_free(sc.tok);
    model_free(sc.m);
    return 0;
}
