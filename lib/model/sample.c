/*
 * sample.c — batched KV-cache generation (see sample.h).
 *
 * Per step: one download of every live row's logits (model_logits); per
 * row: compute the model log-prob (temperature 1) and draw from the
 * tempered, top-k / top-p truncated distribution with the row's own
 * generator.  Cache row i holds prompt slot[i].  When rows finish, the
 * last live rows move into their places (kv_cache_keep: one move per
 * finished row at most) and the batch shrinks, so finished rows cost
 * nothing.  Rows are independent bit for bit (sample.h), so the order the
 * moves leave them in does not matter; with keep_finished the finished
 * rows stay and feed a masked padding token instead (the same bytes).
 *
 * Response text: the row's text is tok_decode of its tokens (the EOS that
 * ends a row is not part of it; other special tokens are, as their content
 * — what the sampler always wrote), so with SentencePiece-style tokenizers
 * it is what the Hugging Face library's decode gives ("▁" -> space, the
 * first token's leading space stripped, <0xNN> runs fused into UTF-8)
 * rather than the tokens' pieces glued together.  Stop strings are
 * searched in it as it grows, from the first byte that may be new.
 *
 * Growing the text costs O(1) tokens of decoding per step, not a decode of
 * the whole response:
 *  - when decoding is concatenation (TOK_DECODE_APPEND: the byte
 *    tokenizer, ByteLevel-only decoders) the new token's bytes are
 *    appended — the same bytes as decoding everything;
 *  - when the decoder's rules reach back no further than the first token
 *    of what is decoded and <0xNN> runs (TOK_DECODE_WINDOW: the
 *    SentencePiece decoders) incremental detokenization: the row keeps a
 *    prefix and a read position (tokens); decode(tokens[prefix:n]) minus
 *    decode(tokens[prefix:read]) is the new text, appended unless it ends
 *    in U+FFFD or an unfinished UTF-8 sequence (an <0xNN> run still
 *    arriving; then it waits, for at most 3 tokens).  Both decodes start
 *    at the same token, so first-token rules (Strip, Metaspace) cancel; the
 *    prefix is moved back to a token that no later byte can rewrite (not an
 *    <0xNN> token, tok_decode_joins), so a byte run lies wholly inside the
 *    window.  When the longer decode does not extend the shorter (a run
 *    turning valid or invalid UTF-8), the whole response is decoded as
 *    before and the stop search starts at the first byte that changed.  Text still waiting is
 *    appended when the row ends (EOS or its last token);
 *  - any other decoder: the whole response is decoded every step, O(n^2).
 * Either way the text is tok_decode of the tokens (test_tokenizer_sample
 * checks the window path, test_sample and the rollout tests the append
 * path's bytes).
 */
#include "model/sample.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sampler_cfg sampler_defaults(void)
{
    sampler_cfg c = {.temperature = 1.0, .top_p = 1.0, .top_k = 0, .max_new = 256,
                     .seed = 0, .stop = NULL, .nstop = 0, .eos_id = -1};
    return c;
}

const char *finish_name(finish_reason f) { return f == FINISH_STOP ? "stop" : "length"; }

static int cmp_desc(const void *a, const void *b, void *ctx)
{
    const float *z = ctx;
    float x = z[*(const int32_t *)a], y = z[*(const int32_t *)b];
    if (x != y) return x > y ? -1 : 1;
    return *(const int32_t *)a - *(const int32_t *)b;
}

int32_t sample_token(const float *l, int V, const sampler_cfg *cfg, rng_t *r,
                     float *logp_sample, float *logp_model, float *scratch)
{
    float mx = l[0];
    int32_t arg = 0;
    for (int i = 1; i < V; i++)
        if (l[i] > mx) { mx = l[i]; arg = i; }
    double s1 = 0;
    for (int i = 0; i < V; i++) s1 += expf(l[i] - mx);
    double lse1 = mx + log(s1);
    if (cfg->temperature <= 0) {
        *logp_sample = 0;
        *logp_model = (float)(l[arg] - lse1);
        return arg;
    }
    float *p = scratch;                       /* unnormalised probabilities */
    int32_t *idx = (int32_t *)(scratch + V);  /* candidate order */
    double inv_t = 1.0 / cfg->temperature;
    for (int i = 0; i < V; i++) p[i] = expf((l[i] - mx) * (float)inv_t);
    int nk = V;
    int truncate = (cfg->top_k > 0 && cfg->top_k < V) || cfg->top_p < 1.0;
    if (truncate) {
        /* Only the most likely tokens can be kept, so sort just the set
         * {p >= thr}, lowering thr until it surely holds them: at least
         * top_k entries, or (top-p alone) at least top_p of the mass. */
        int need_k = cfg->top_k > 0 && cfg->top_k < V ? cfg->top_k : 0;
        double total = 0;
        for (int i = 0; i < V; i++) total += p[i];
        double need_mass = need_k ? 0 : cfg->top_p * total;
        float thr = 1.0f;   /* the largest p is exactly 1 */
        int cnt;
        for (;;) {
            double mass = 0;
            cnt = 0;
            for (int i = 0; i < V; i++)
                if (p[i] >= thr) { idx[cnt++] = i; mass += p[i]; }
            if ((cnt >= need_k && mass >= need_mass) || cnt == V) break;
            thr = thr > 1e-30f ? thr * (1.0f / 16) : 0.0f;
        }
        qsort_r(idx, cnt, sizeof *idx, cmp_desc, p);
        nk = cnt;
        if (need_k && need_k < nk) nk = need_k;
        if (cfg->top_p < 1.0) {
            double tot = need_k ? 0 : total, cum = 0;   /* mass of what top-k kept */
            if (need_k)
                for (int i = 0; i < nk; i++) tot += p[idx[i]];
            int keep = 0;
            while (keep < nk) {
                cum += p[idx[keep++]];
                if (cum >= cfg->top_p * tot) break;
            }
            nk = keep;
        }
    }
    if (!truncate)
        for (int i = 0; i < V; i++) idx[i] = i;
    double sum = 0;
    for (int i = 0; i < nk; i++) sum += p[idx[i]];
    double u = rng_uniform(r) * sum, acc = 0;
    int32_t pick = idx[nk - 1];
    for (int i = 0; i < nk; i++) {
        acc += p[idx[i]];
        if (u < acc) { pick = idx[i]; break; }
    }
    *logp_sample = (float)log(p[pick] / sum);
    *logp_model = (float)(l[pick] - lse1);
    return pick;
}

typedef struct { char *s; size_t n, cap; } textbuf;

static void tb_put(textbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) { b->cap = (b->n + n + 1) * 2; b->s = xrealloc(b->s, b->cap); }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* ends in U+FFFD or in a UTF-8 sequence that more bytes could complete */
static int ends_unfinished(const char *s, size_t n)
{
    if (n >= 3 && !memcmp(s + n - 3, "\xef\xbf\xbd", 3)) return 1;
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned char c = (unsigned char)s[n - k];
        if ((c & 0xc0) == 0x80) continue;   /* a continuation byte: look further back */
        size_t need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 1;
        return need > k;
    }
    return 0;
}

/* Where a window may start, at or before p: a token that decodes the same
 * whatever follows (not an <0xNN> token, which a later byte can turn into
 * U+FFFD), or the start.  Starting inside a byte run would let the first
 * token's rules (Strip) hide the run's rewrite. */
static size_t window_start(const tokenizer *tok, const int32_t *ids, size_t p)
{
    while (p > 0 && tok_decode_joins(tok, ids[p])) p--;
    return p;
}

/* One step of incremental detokenization for a row with tokens ids[0..n):
 * appends the new text to tx (or rewrites it, setting *from lower). */
static void detok_step(const tokenizer *tok, const int32_t *ids, size_t n, size_t *pre, size_t *rd,
                       textbuf *tx, size_t *from, int final)
{
    size_t pl, dl;
    char *p = tok_decode(tok, ids + *pre, *rd - *pre, 0, &pl);
    char *d = tok_decode(tok, ids + *pre, n - *pre, 0, &dl);
    if (dl >= pl && !memcmp(d, p, pl)) {
        /* a UTF-8 character is at most 4 <0xNN> tokens: wait no longer (a
         * rewrite later takes the branch below) */
        if (final || n - *rd >= 4 || (dl > pl && !ends_unfinished(d + pl, dl - pl))) {
            tb_put(tx, d + pl, dl - pl);
            *pre = window_start(tok, ids, *rd);
            *rd = n;
        }
    } else {   /* decode everything, as the text was always defined */
        size_t fl, f = 0;
        char *full = tok_decode(tok, ids, n, 0, &fl);
        while (f < fl && f < tx->n && full[f] == tx->s[f]) f++;
        *from = f;
        tx->n = 0;
        tb_put(tx, full, fl);
        free(full);
        *pre = window_start(tok, ids, n - 1);
        *rd = n;
    }
    free(p);
    free(d);
}

/* Earliest stop string occurrence that may involve bytes from `from` on. */
static long find_stop(const sampler_cfg *cfg, const textbuf *t, size_t from)
{
    long best = -1;
    for (int k = 0; k < cfg->nstop; k++) {
        size_t sl = strlen(cfg->stop[k]);
        if (!sl || sl > t->n) continue;
        size_t start = from >= sl - 1 ? from - (sl - 1) : 0;
        const char *h = memmem(t->s + start, t->n - start, cfg->stop[k], sl);
        if (h && (best < 0 || h - t->s < best)) best = h - t->s;
    }
    return best;
}

void sample_batch(model *m, const tokenizer *tok, const sampler_cfg *cfg,
                  const int32_t *const *ids, const int *plen, const char *const *rid,
                  int B, sample_out *out)
{
    int V = m->c.vocab, P = 1;
    if (!m->c.lm_head) die(EX_SOFTWARE, "sample_batch: the model has no LM head");
    for (int b = 0; b < B; b++) {
        if (plen[b] < 1) die(EX_DATAERR, "record %s: empty prompt", rid[b]);
        if (plen[b] > P) P = plen[b];
    }
    int maxnew = cfg->max_new > 0 ? cfg->max_new : 1;
    kv_cache *kc = kv_cache_new(m, B, P + maxnew);
    model_reserve(m, B * P, 0);
    int32_t *pt = xcalloc((size_t)B * P, sizeof(int32_t));
    uint8_t *pv = xcalloc((size_t)B * P, 1);
    for (int b = 0; b < B; b++) {
        int off = P - plen[b];
        memcpy(pt + (size_t)b * P + off, ids[b], sizeof(int32_t) * plen[b]);
        memset(pv + (size_t)b * P + off, 1, plen[b]);
    }
    model_forward_cached(m, kc, pt, pv, P);
    free(pt);
    free(pv);

    rng_t *rng = xmalloc(sizeof(rng_t) * B);
    textbuf *text = xcalloc(B, sizeof *text);
    int *done = xcalloc(B, sizeof(int));
    long *cut = xmalloc(sizeof(long) * B);
    int32_t *next = xcalloc(B, sizeof(int32_t));
    size_t *pre = xcalloc(B, sizeof(size_t)), *rd = xcalloc(B, sizeof(size_t));
    int mode = tok_decode_mode(tok);
    uint8_t *nvalid = xcalloc(B, 1);
    for (int b = 0; b < B; b++) {
        rng_seed(&rng[b], hash64(rid[b], strlen(rid[b]), cfg->seed));
        out[b] = (sample_out){0};
        out[b].tokens = xmalloc(sizeof(int32_t) * maxnew);
        out[b].logp_sample = xmalloc(sizeof(float) * maxnew);
        out[b].logp_model = xmalloc(sizeof(float) * maxnew);
        out[b].finish = FINISH_LENGTH;
        cut[b] = -1;
        tb_put(&text[b], "", 0);
    }
    /* the logits of every live row's last slot, downloaded in one transfer
     * per step (not one per row) */
    float *logits = xmalloc(sizeof(float) * (size_t)B * V);
    int *slot = xmalloc(sizeof(int) * B), *src = xmalloc(sizeof(int) * B);
    for (int i = 0; i < B; i++) slot[i] = i;
    int n = B;   /* rows in the cache */
    for (int step = 0; step < maxnew; step++) {
        int live = 0;
        model_logits(m, logits);
        /* rows are independent (own generator, own text): parallel over rows */
        #pragma omp parallel reduction(+:live) if ((size_t)n * V >= ((size_t)1 << 16))
        {
            float *scr = xmalloc(sizeof(float) * 2 * (size_t)V);
            #pragma omp for schedule(dynamic, 4)
            for (int i = 0; i < n; i++) {
                int b = slot[i];
                nvalid[i] = 0;
                next[i] = 0;
                if (done[b]) continue;
                const float *lg = logits + (size_t)i * V;
                float ls, lm;
                int32_t t = sample_token(lg, V, cfg, &rng[b], &ls, &lm, scr);
                sample_out *o = &out[b];
                o->tokens[o->n] = t;
                o->logp_sample[o->n] = ls;
                o->logp_model[o->n] = lm;
                o->n++;
                size_t dl, from = text[b].n;
                if (t == cfg->eos_id) {   /* the text waiting (if any) without the EOS */
                    if (mode == TOK_DECODE_WINDOW && rd[b] + 1 < (size_t)o->n)
                        detok_step(tok, o->tokens, (size_t)o->n - 1, &pre[b], &rd[b], &text[b], &from, 1);
                    o->finish = FINISH_STOP;
                    done[b] = 1;
                    continue;
                }
                if (mode == TOK_DECODE_APPEND) {
                    char *d = tok_decode(tok, &t, 1, 0, &dl);
                    tb_put(&text[b], d, dl);
                    free(d);
                } else if (mode == TOK_DECODE_WINDOW)
                    detok_step(tok, o->tokens, (size_t)o->n, &pre[b], &rd[b], &text[b], &from, o->n >= maxnew);
                else {
                    char *d = tok_decode(tok, o->tokens, (size_t)o->n, 0, &dl);
                    for (from = 0; from < dl && from < text[b].n && d[from] == text[b].s[from]; from++) {}
                    text[b].n = 0;
                    tb_put(&text[b], d, dl);
                    free(d);
                }
                long at = find_stop(cfg, &text[b], from);
                if (at >= 0) { o->finish = FINISH_STOP; cut[b] = at; done[b] = 1; continue; }
                if (o->n >= maxnew) { done[b] = 1; continue; }
                next[i] = t;
                nvalid[i] = 1;
                live++;
            }
            free(scr);
        }
        if (!live) break;
        if (live < n && !cfg->keep_finished) {
            /* fill each finished row below `live` with a live row from the
             * end; rows at or past `live` are never written, so every
             * source is still intact when it is read */
            int j = n - 1;
            for (int i = 0; i < live; i++) {
                if (nvalid[i]) { src[i] = i; continue; }
                while (!nvalid[j]) j--;
                src[i] = j--;
                slot[i] = slot[src[i]];
                next[i] = next[src[i]];
                nvalid[i] = 1;
            }
            kv_cache_keep(m, kc, src, live);
            n = live;
        }
        model_forward_cached(m, kc, next, nvalid, 1);
    }
    free(slot);
    free(src);
    free(logits);
    for (int b = 0; b < B; b++) {
        size_t n = cut[b] >= 0 ? (size_t)cut[b] : text[b].n;
        out[b].text = xstrndup(text[b].s, n);
        out[b].text_len = n;
        free(text[b].s);
    }
    kv_cache_free(m, kc);
    free(rng); free(text); free(done); free(cut);
    free(next); free(nvalid); free(pre); free(rd);
}

void sample_out_free(sample_out *o)
{
    free(o->tokens);
    free(o->logp_sample);
    free(o->logp_model);
    free(o->text);
    memset(o, 0, sizeof *o);
}
