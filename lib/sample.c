/*
 * sample.c — batched KV-cache generation (see sample.h).
 *
 * Per step and row: copy the row's logits, compute the model log-prob
 * (temperature 1) and draw from the tempered, top-k / top-p truncated
 * distribution with the row's own generator.  Rows that finished keep
 * their slot in the batch but feed a masked padding token, so they cost
 * compute but never influence other rows.
 *
 * Response text: after each token the row's text is tok_decode of the
 * tokens so far (the EOS that ends a row is not part of it; other special
 * tokens are, as their content — what the sampler always wrote), so with
 * SentencePiece-style tokenizers it is what the Hugging Face library's
 * decode gives ("▁" -> space, the first token's leading space stripped,
 * <0xNN> runs fused into UTF-8) rather than the tokens' pieces glued
 * together.  For byte-level tokenizers decoding is concatenation of the
 * tokens' bytes, so the text is byte for byte what it was.  Decoding can
 * rewrite the end of the text (an unfinished <0xNN> run reads U+FFFD until
 * its last byte comes), so stop strings are searched from the first byte
 * that changed.  Re-decoding costs O(n) per step, O(n^2) per row — small
 * next to the forward passes.
 */
#include "sample.h"
#include "util.h"

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
    int last_t = P - 1;   /* slot of the logits of the last forward */
    for (int step = 0; step < maxnew; step++) {
        int live = 0;
        /* rows are independent (own generator, own text): parallel over rows */
        #pragma omp parallel reduction(+:live) if ((size_t)B * V >= ((size_t)1 << 16))
        {
            float *lg = xmalloc(sizeof(float) * V), *scr = xmalloc(sizeof(float) * 2 * (size_t)V);
            #pragma omp for schedule(dynamic, 4)
            for (int b = 0; b < B; b++) {
                nvalid[b] = 0;
                next[b] = 0;
                if (done[b]) continue;
                model_logits_row(m, b, last_t, lg);
                float ls, lm;
                int32_t t = sample_token(lg, V, cfg, &rng[b], &ls, &lm, scr);
                sample_out *o = &out[b];
                o->tokens[o->n] = t;
                o->logp_sample[o->n] = ls;
                o->logp_model[o->n] = lm;
                o->n++;
                if (t == cfg->eos_id) { o->finish = FINISH_STOP; done[b] = 1; continue; }
                size_t dl, from = 0;
                char *d = tok_decode(tok, o->tokens, (size_t)o->n, 0, &dl);
                while (from < dl && from < text[b].n && d[from] == text[b].s[from]) from++;
                text[b].n = 0;
                tb_put(&text[b], d, dl);
                free(d);
                long at = find_stop(cfg, &text[b], from);
                if (at >= 0) { o->finish = FINISH_STOP; cut[b] = at; done[b] = 1; continue; }
                if (o->n >= maxnew) { done[b] = 1; continue; }
                next[b] = t;
                nvalid[b] = 1;
                live++;
            }
            free(lg);
            free(scr);
        }
        if (!live) break;
        model_forward_cached(m, kc, next, nvalid, 1);
        last_t = 0;
    }
    for (int b = 0; b < B; b++) {
        size_t n = cut[b] >= 0 ? (size_t)cut[b] : text[b].n;
        out[b].text = xstrndup(text[b].s, n);
        out[b].text_len = n;
        free(text[b].s);
    }
    kv_cache_free(m, kc);
    free(rng); free(text); free(done); free(cut);
    free(next); free(nvalid);
}

void sample_out_free(sample_out *o)
{
    free(o->tokens);
    free(o->logp_sample);
    free(o->logp_model);
    free(o->text);
    memset(o, 0, sizeof *o);
}
