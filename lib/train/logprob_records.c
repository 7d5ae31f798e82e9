/*
 * logprob_records.c — lm-logprob's records to scored sequences and back
 * (the contract is in logprob_records.h).
 *
 * Each held record keeps its raw bytes, its kind and, after scoring, one
 * log-prob array per sequence slot (a pair has two).  Sequences are built
 * when the record arrives, so a bad record is reported before any model
 * work on its batch; they go to model_score together at flush, which is the
 * one place batches cross to the backend (model/score.h).
 */
#include "train/logprob_records.h"
#include "text/chat_template.h"
#include "model/score.h"
#include "io/record.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int prepare(const logprob_scorer *sc, item *it, const msgpack_object *rec, const char *uri, int idx, seq *out)
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
static void score(const logprob_scorer *sc, seq *s, int ns, item *items, const char *uri)
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

static void release(item *items, int n, seq *s, int ns)
{
    for (int i = 0; i < n; i++) {
        item *it = &items[i];
        free(it->raw); free(it->pids); free(it->rids); free(it->lp[0]); free(it->lp[1]);
        memset(it, 0, sizeof *it);
    }
    for (int k = 0; k < ns; k++) free(s[k].ids);
}

static void flush(const logprob_scorer *sc, item *items, int n, seq *s, int ns, rstream *w, const char *uri)
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
    }
    recb_free(&b);
    release(items, n, s, ns);
}

struct logprob_batch {
    logprob_scorer sc;
    int cap, n, ns;
    item *items;
    seq *seqs;          /* up to 2 per item */
    held_shard *shard;  /* NULL: one process */
};

void logprob_batch_shard(logprob_batch *b, held_shard *s) { b->shard = s; }

logprob_batch *logprob_batch_new(const logprob_scorer *sc, int cap)
{
    logprob_batch *b = xcalloc(1, sizeof *b);
    b->sc = *sc;
    b->cap = cap;
    b->items = xcalloc((size_t)cap, sizeof *b->items);
    b->seqs = xcalloc((size_t)cap * 2, sizeof *b->seqs);
    return b;
}

int logprob_batch_add(logprob_batch *b, const msgpack_object *rec, const char *raw, size_t len, uint64_t num,
                      const char *uri)
{
    item *it = &b->items[b->n];
    it->raw = xmalloc(len ? len : 1);
    memcpy(it->raw, raw, len);
    it->len = len;
    it->num = num;
    b->ns += prepare(&b->sc, it, rec, uri, b->n, b->seqs + b->ns);
    return ++b->n == b->cap;
}

int logprob_batch_flush(logprob_batch *b, rstream *w, const char *uri)
{
    int n = b->n;
    if (n && !b->shard) {
        flush(&b->sc, b->items, n, b->seqs, b->ns, w, uri);
    } else if (n) {   /* the batch goes to its rank: scored and written here, or dropped */
        rstream *o = held_shard_begin(b->shard, w);
        if (o) flush(&b->sc, b->items, n, b->seqs, b->ns, o, uri);
        else release(b->items, n, b->seqs, b->ns);
        held_shard_end(b->shard, w);
    }
    b->n = b->ns = 0;
    return n;
}

void logprob_batch_free(logprob_batch *b)
{
    if (!b) return;
    free(b->items);
    free(b->seqs);
    free(b);
}
