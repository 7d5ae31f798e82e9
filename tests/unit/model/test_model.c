/*
 * test_model.c — forward-pass invariants of the transformer:
 *  - left padding, right padding and no padding give the same per-token
 *    log-probs and values for the real tokens (|diff| <= 1e-5);
 *  - a row's results do not depend on its batch neighbours;
 *  - KV-cache decoding (prefill, then one slot at a time, with left-padded
 *    prompts) gives the same logits as a full forward at every step
 *    (|diff| <= 1e-4 on logits of size ~1);
 *  - a parameter view table that covers the flat buffer exactly once;
 *  - model_with_heads: a reward model made from a policy has the policy's
 *    hidden states (its values equal score . final hidden, checked against
 *    the policy's own final hidden state through a score head that copies
 *    one embedding row), and keeps every shared tensor bit for bit;
 *  - model_score: one block or one sequence per block give the same
 *    log-probs (1e-5); a sequence beyond max_position_embeddings is named;
 *  - a sequence's log-probs and values are the same BITS scored alone or
 *    in any batch (other neighbours, order, padding on either side, a
 *    longer T), in a training or an inference reservation: dpo-step's
 *    policy at step 0 must equal its reference, which another grouping
 *    (ref-score, the spool's --ref-batch) computed.
 */
#include "model/model.h"
#include "model/score.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static model_config tiny(void)
{
    model_config c = {.vocab = 37, .dim = 32, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 8, .ffn = 48, .max_pos = 128, .norm_eps = 1e-5f,
                      .rope_theta = 10000.0f, .tied = 1, .lm_head = 1, .score = 1,
                      .bos_id = -1, .eos_id = -1, .pad_id = -1};
    return c;
}

static void scale_weights(model *m)
{
    /* larger than 0.02 so attention patterns are far from uniform */
    for (int v = 0; v < m->nviews; v++)
        if (m->views[v].ndim == 2)
            for (size_t j = 0; j < m->views[v].n; j++) m->params[m->views[v].off + j] *= 10;
}

static void test_views(model *m)
{
    size_t off = 0;
    for (int v = 0; v < m->nviews; v++) {
        CHECK(m->views[v].off == off, "view %s not contiguous", m->views[v].name);
        off += m->views[v].n;
    }
    CHECK(off == m->nparams, "views cover %zu of %zu floats", off, m->nparams);
    CHECK(model_find_view(m, "model.layers.1.mlp.down_proj.weight") != NULL, "down_proj view missing");
    CHECK(model_find_view(m, "lm_head.weight") == NULL, "tied model has an lm_head view");
}

static void test_padding(model *m)
{
    enum { L = 7, T = 10 };
    int32_t seq[L] = {5, 17, 3, 36, 0, 22, 9};
    int32_t toks[3 * T];
    uint8_t valid[3 * T];
    memset(toks, 0, sizeof toks);
    memset(valid, 0, sizeof valid);
    for (int t = 0; t < L; t++) {
        toks[t] = seq[t]; valid[t] = 1;                          /* right padded */
        toks[T + T - L + t] = seq[t]; valid[T + T - L + t] = 1;  /* left padded */
        toks[2 * T + 1 + t] = seq[t]; valid[2 * T + 1 + t] = 1;  /* both */
    }
    float lp[3 * T], val[3 * T], lp1[L], val1[L];
    model_forward(m, toks, valid, 3, T, lp, val);
    model_forward(m, seq, NULL, 1, L, lp1, val1);
    int offs[3] = {0, T - L, 1};
    for (int b = 0; b < 3; b++)
        for (int t = 0; t < L; t++) {
            float a = lp[b * T + offs[b] + t], v = val[b * T + offs[b] + t];
            CHECK(fabsf(a - lp1[t]) <= 1e-5f, "padding row %d token %d: logp %g vs %g", b, t, a, lp1[t]);
            CHECK(fabsf(v - val1[t]) <= 1e-5f, "padding row %d token %d: value %g vs %g", b, t, v, val1[t]);
        }
    CHECK(lp1[0] == 0.0f, "first token log-prob not 0");
    CHECK(lp1[3] < 0.0f, "log-prob not negative");
    CHECK(lp[T] == 0.0f && lp[T + T - L] == 0.0f, "padding / first-token log-prob not 0");
}

static void test_kv_cache(model *m)
{
    enum { B = 2, P = 5, NEW = 6, TT = P + NEW };
    /* row 0: prompt of 5; row 1: prompt of 3, left padded */
    int32_t full[B * TT];
    uint8_t fvalid[B * TT];
    rng_t r;
    rng_seed(&r, 11);
    for (int i = 0; i < B * TT; i++) { full[i] = (int32_t)rng_below(&r, 37); fvalid[i] = 1; }
    fvalid[TT + 0] = fvalid[TT + 1] = 0;
    full[TT + 0] = full[TT + 1] = 0;

    model_reserve(m, B * TT, 0);
    kv_cache *kc = kv_cache_new(m, B, TT);
    int32_t pt[B * P];
    uint8_t pv[B * P];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < P; t++) { pt[b * P + t] = full[b * TT + t]; pv[b * P + t] = fvalid[b * TT + t]; }
    model_forward_cached(m, kc, pt, pv, P);
    float *got = xmalloc(sizeof(float) * B * (NEW + 1) * m->c.vocab);
    for (int b = 0; b < B; b++) model_logits_row(m, b, P - 1, got + (size_t)(b * (NEW + 1)) * m->c.vocab);
    for (int s = 0; s < NEW; s++) {
        int32_t st[B] = {full[P + s], full[TT + P + s]};
        model_forward_cached(m, kc, st, NULL, 1);
        for (int b = 0; b < B; b++) model_logits_row(m, b, 0, got + (size_t)(b * (NEW + 1) + s + 1) * m->c.vocab);
    }
    kv_cache_free(m, kc);
    /* the full forward over the same tokens */
    model_reserve(m, B * TT, 0);
    model_forward(m, full, fvalid, B, TT, NULL, NULL);
    float *ref = xmalloc(sizeof(float) * m->c.vocab);
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int s = 0; s <= NEW; s++) {
            model_logits_row(m, b, P - 1 + s, ref);
            for (int v = 0; v < m->c.vocab; v++) {
                double d = fabs(ref[v] - got[(size_t)(b * (NEW + 1) + s) * m->c.vocab + v]);
                if (d > worst) worst = d;
            }
        }
    printf("kv cache: max |logit diff| %.2e over %d steps\n", worst, NEW + 1);
    CHECK(worst <= 1e-4, "KV-cache logits differ from the full forward by %g", worst);
    free(got); free(ref);
}

static void test_with_heads(model *full)
{
    model *m = model_with_heads(full, 1, 0, 0);   /* a plain policy */
    CHECK(m->c.tied && !m->c.score && !model_find_view(m, "score.weight"), "policy heads");
    model *r = model_with_heads(m, 0, 1, 5);
    CHECK(r->c.score && !r->c.lm_head && !r->c.tied, "reward heads");
    for (int v = 0; v < r->nviews; v++) {
        const param_view *a = &r->views[v], *b = model_find_view(m, a->name);
        if (!b) { CHECK(!strcmp(a->name, "score.weight"), "unexpected new tensor %s", a->name); continue; }
        CHECK(!memcmp(r->params + a->off, m->params + b->off, sizeof(float) * a->n), "%s not copied", a->name);
    }
    /* score = embedding row 7: value = logit of token 7 under the tied head */
    memcpy(r->score, m->embed + 7 * m->c.dim, sizeof(float) * m->c.dim);
    int32_t seq[5] = {1, 2, 3, 4, 5};
    float val[5];
    model_reserve(r, 5, 0);
    model_forward(r, seq, NULL, 1, 5, NULL, val);
    model_reserve(m, 5, 0);
    model_forward(m, seq, NULL, 1, 5, NULL, NULL);
    float *lg = xmalloc(sizeof(float) * m->c.vocab);
    for (int t = 0; t < 5; t++) {
        model_logits_row(m, 0, t, lg);
        CHECK(fabsf(lg[7] - val[t]) < 1e-4f, "value %d: %g vs logit %g", t, val[t], lg[7]);
    }
    free(lg);
    model_free(r);
    model_free(m);
}

static void test_score(model *m)
{
    int32_t a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {9, 8, 7}, c[9] = {3, 3, 3, 1, 2, 3, 30, 31, 32};
    score_seq s1[3] = {{.ids = a, .n = 6, .start = 2}, {.ids = b, .n = 3, .start = 1}, {.ids = c, .n = 9, .start = 0}}, s2[3];
    memcpy(s2, s1, sizeof s1);
    CHECK(model_score(m, s1, 3, SCORE_TOKENS, SCORE_LOGITS_LIMIT) == -1, "scoring failed");
    CHECK(model_score(m, s2, 3, SCORE_TOKENS, 1) == -1, "scoring one by one failed");
    for (int k = 0; k < 3; k++)
        for (int t = 0; t < s1[k].n - s1[k].start; t++)
            CHECK(fabsf(s1[k].logp[t] - s2[k].logp[t]) <= 1e-5f, "seq %d token %d: %g vs %g", k, t, s1[k].logp[t], s2[k].logp[t]);
    CHECK(s1[2].logp[0] == 0.0f, "first token not 0");
    for (int k = 0; k < 3; k++) { free(s1[k].logp); free(s2[k].logp); }
    int32_t *big = xcalloc(200, sizeof(int32_t));
    score_seq s3[2] = {{.ids = a, .n = 6}, {.ids = big, .n = 200}};
    CHECK(model_score(m, s3, 2, SCORE_TOKENS, SCORE_LOGITS_LIMIT) == 1, "overlong sequence not reported");
    free(big);
}

/* logp/values of sequence k (ids[k], len[k]) in a batch of the sequences
 * order[0..nb), each at offset lead (left padding) in rows of T slots */
static void batch_run(model *m, int32_t *const *ids, const int *len, const int *order, int nb,
                      int T, int left, float *logp, float *vals)
{
    int32_t *tok = xcalloc((size_t)nb * T, sizeof(int32_t));
    uint8_t *valid = xcalloc((size_t)nb * T, 1);
    for (int r = 0; r < nb; r++) {
        int k = order[r], lead = left ? T - len[k] : 0;
        memcpy(tok + (size_t)r * T + lead, ids[k], sizeof(int32_t) * (size_t)len[k]);
        memset(valid + (size_t)r * T + lead, 1, (size_t)len[k]);
    }
    float *lp = xmalloc(sizeof(float) * (size_t)nb * T), *v = xmalloc(sizeof(float) * (size_t)nb * T);
    model_forward(m, tok, valid, nb, T, lp, v);
    for (int r = 0; r < nb; r++) {
        int k = order[r], lead = left ? T - len[k] : 0;
        memcpy(logp + (size_t)k * 128, lp + (size_t)r * T + lead, sizeof(float) * (size_t)len[k]);
        memcpy(vals + (size_t)k * 128, v + (size_t)r * T + lead, sizeof(float) * (size_t)len[k]);
    }
    free(tok); free(valid); free(lp); free(v);
}

static void test_batch_bits(model *m, int train)
{
    enum { NS = 6 };
    static const int len[NS] = {90, 3, 120, 64, 65, 17};
    int32_t *ids[NS];
    rng_t r;
    rng_seed(&r, 7);
    for (int k = 0; k < NS; k++) {
        ids[k] = xmalloc(sizeof(int32_t) * (size_t)len[k]);
        for (int t = 0; t < len[k]; t++) ids[k][t] = (int32_t)(rng_next(&r) % (uint64_t)m->c.vocab);
    }
    model_reserve(m, NS * 128, train);
    float *lp0 = xcalloc(NS * 128, sizeof(float)), *v0 = xcalloc(NS * 128, sizeof(float));
    float *lp1 = xcalloc(NS * 128, sizeof(float)), *v1 = xcalloc(NS * 128, sizeof(float));
    for (int k = 0; k < NS; k++) batch_run(m, ids, len, &k, 1, len[k], 0, lp0, v0);   /* alone */
    static const int fwd[NS] = {0, 1, 2, 3, 4, 5}, rev[NS] = {5, 4, 3, 2, 1, 0}, some[3] = {4, 0, 1};
    struct { const int *order; int nb, T, left; } layouts[] = {
        {fwd, NS, 120, 0}, {rev, NS, 127, 1}, {some, 3, 100, 0}, {rev + 2, 4, 128, 0},
    };
    for (size_t L = 0; L < sizeof layouts / sizeof *layouts; L++) {
        batch_run(m, ids, len, layouts[L].order, layouts[L].nb, layouts[L].T, layouts[L].left, lp1, v1);
        for (int j = 0; j < layouts[L].nb; j++) {
            int k = layouts[L].order[j];
            CHECK(!memcmp(lp0 + k * 128, lp1 + k * 128, sizeof(float) * (size_t)len[k]),
                  "%s layout %zu: sequence %d's log-probs differ from it alone", train ? "train" : "infer", L, k);
            CHECK(!memcmp(v0 + k * 128, v1 + k * 128, sizeof(float) * (size_t)len[k]),
                  "%s layout %zu: sequence %d's values differ from it alone", train ? "train" : "infer", L, k);
        }
    }
    for (int k = 0; k < NS; k++) free(ids[k]);
    free(lp0); free(v0); free(lp1); free(v1);
}

int main(void)
{
    model_config c = tiny();
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 1);
    scale_weights(m);
    test_views(m);
    model_reserve(m, 64, 1);
    test_padding(m);
    test_kv_cache(m);
    test_with_heads(m);
    test_score(m);
    model_free(m);
    m = model_new(&c, backend_cpu());   /* a fresh model: an inference reservation */
    model_init_random(m, 1);
    scale_weights(m);
    test_batch_bits(m, 0);
    test_batch_bits(m, 1);
    model_free(m);
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("model ok\n");
    return 0;
}
