/*
 * test_optim.c — AdamW, schedules, clipping, accumulation, and the
 * "tiny model learns" check.
 *  - lr_at: warm-up is linear from peak/warmup, decay reaches the floor at
 *    the last step and passes the midpoint halfway;
 *  - clipping: the returned norm is the pre-clip norm and the first moment
 *    equals (1 - b1) * g * clip / norm;
 *  - accumulation over two micro-batches of the summed loss with accum = 2
 *    equals one step on the mean loss (moments within 1e-5 of their max);
 *  - learning: a 2-layer d=48 byte-level model memorises 4 chat-formatted
 *    prompt/response pairs: mean NLL per response token falls from ~5.6 (ln 261) to
 *    below 0.05 within 120 AdamW steps at lr 1e-2 (measured: about 0.001).
 */
#include "train/optim.h"
#include "text/tokenizer.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static void test_schedule(void)
{
    lr_schedule s = {.peak = 1e-3, .floor = 0, .warmup = 10, .total = 101};
    CHECK(fabs(lr_at(&s, 0) - 1e-4) < 1e-12, "warm-up start %g", lr_at(&s, 0));
    CHECK(fabs(lr_at(&s, 9) - 1e-3) < 1e-12, "warm-up end %g", lr_at(&s, 9));
    CHECK(fabs(lr_at(&s, 55) - 5e-4) < 1e-12, "midpoint %g", lr_at(&s, 55));
    CHECK(lr_at(&s, 100) == 0 && lr_at(&s, 500) == 0, "end of decay");
    lr_schedule f = {.peak = 1e-5, .floor = 1e-6, .warmup = 0, .total = 11};
    CHECK(fabs(lr_at(&f, 10) - 1e-6) < 1e-15 && fabs(lr_at(&f, 0) - 1e-5) < 1e-15, "decay to floor");
    lr_schedule c = {.peak = 2e-4, .warmup = 0, .total = 0};
    CHECK(lr_at(&c, 12345) == 2e-4, "constant");
}

static model_config cfg(void)
{
    model_config c = {.vocab = 261, .dim = 48, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 12, .ffn = 128, .max_pos = 128, .norm_eps = 1e-5,
                      .rope_theta = 10000.0, .tied = 1, .lm_head = 1, .score = 0,
                      .bos_id = -1, .eos_id = 259, .pad_id = 260};
    return c;
}

static void test_clip_and_accum(void)
{
    model_config c = cfg();
    c.n_layers = 1;
    const backend *be = backend_cpu();
    int32_t toks[2 * 6] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    float d[12], lp[12];

    /* one step on the mean loss of both rows */
    model *a = model_new(&c, be);
    model_init_random(a, 3);
    model_reserve(a, 12, 1);
    model_enable_grads(a);
    model_forward(a, toks, NULL, 2, 6, lp, NULL);
    for (int i = 0; i < 12; i++) d[i] = -1.0f / 10;
    model_backward(a, d, NULL);
    adamw_hparams h = adamw_defaults();
    h.clip = 0;
    optim *oa = optim_new(a, h);
    optim_step(oa, a, 1e-3, 1);

    /* two micro-batches of one row each, summed, accum = 2 */
    model *b = model_new(&c, be);
    model_init_random(b, 3);
    model_reserve(b, 12, 1);
    model_enable_grads(b);
    for (int r = 0; r < 2; r++) {
        model_forward(b, toks + 6 * r, NULL, 1, 6, lp, NULL);
        for (int i = 0; i < 6; i++) d[i] = -2.0f / 10;
        model_backward(b, d, NULL);
    }
    optim *ob = optim_new(b, h);
    optim_step(ob, b, 1e-3, 2);
    double worst = 0, big = 0;
    for (size_t i = 0; i < a->nparams; i++) {
        worst = fmax(worst, fabs(oa->m[i] - ob->m[i]));
        big = fmax(big, fabs(oa->m[i]));
    }
    CHECK(worst <= 1e-5 * big, "accumulated moments differ by %g (max %g)", worst, big);

    /* clipping */
    model_zero_grads(b);
    for (size_t i = 0; i < b->nparams; i++) b->grads[i] = 0;
    b->grads[0] = 30; b->grads[1] = 40;   /* norm 50 */
    adamw_hparams hc = adamw_defaults();
    hc.clip = 1.0f;
    optim *oc = optim_new(b, hc);
    double n = optim_step(oc, b, 1e-3, 1);
    CHECK(fabs(n - 50) < 1e-9, "norm %g", n);
    CHECK(fabsf(oc->m[0] - 0.1f * 30 / 50) < 1e-7f && fabsf(oc->m[1] - 0.1f * 40 / 50) < 1e-7f,
          "clipped moments %g %g", oc->m[0], oc->m[1]);
    optim_free(oa); optim_free(ob); optim_free(oc);
    model_free(a); model_free(b);
}

static void test_learns(void)
{
    static const char *conv[] = {
        "<|user|>\nhi\n<|assistant|>\nhello there</s>",
        "<|user|>\n2+2?\n<|assistant|>\n4</s>",
        "<|user|>\ncolour of sky\n<|assistant|>\nblue</s>",
        "<|user|>\nsay yes\n<|assistant|>\nyes, gladly</s>",
    };
    enum { NB = 4, TT = 48 };
    tokenizer *tok = tok_byte_new();
    int32_t toks[NB * TT] = {0};
    uint8_t valid[NB * TT] = {0};
    float mask[NB * TT] = {0};
    int ntarget = 0;
    for (int b = 0; b < NB; b++) {
        int32_t *ids;
        char err[128];
        long n = tok_encode(tok, conv[b], strlen(conv[b]), 1, &ids, err, sizeof err);
        int in_response = 0;   /* the loss covers the responses (SFT) */
        for (long t = 0; t < n && t < TT; t++) {
            toks[b * TT + t] = ids[t];
            valid[b * TT + t] = 1;
            if (in_response) { mask[b * TT + t] = 1; ntarget++; }
            if (ids[t] == tok_id(tok, "<|assistant|>")) in_response = 1;
        }
        free(ids);
    }
    model_config c = cfg();
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 1);
    model_reserve(m, NB * TT, 1);
    model_enable_grads(m);
    adamw_hparams h = adamw_defaults();
    h.b2 = 0.95f;
    optim *o = optim_new(m, h);
    lr_schedule s = {.peak = 1e-2, .floor = 1e-3, .warmup = 10, .total = 120};
    float lp[NB * TT], d[NB * TT];
    double first = 0, loss = 0;
    for (int step = 0; step < 120; step++) {
        model_zero_grads(m);
        model_forward(m, toks, valid, NB, TT, lp, NULL);
        loss = 0;
        for (int i = 0; i < NB * TT; i++) {
            loss -= mask[i] * lp[i];
            d[i] = -mask[i] / ntarget;
        }
        loss /= ntarget;
        if (step == 0) first = loss;
        model_backward(m, d, NULL);
        optim_step(o, m, lr_at(&s, step), 1);
    }
    printf("memorisation: NLL %.3f -> %.4f after 120 steps\n", first, loss);
    CHECK(first > 5.0, "initial loss %g not near ln(261)", first);
    CHECK(loss < 0.05, "tiny model did not learn: loss %g", loss);
    optim_free(o);
    model_free(m);
    tok_free(tok);
}

int main(void)
{
    test_schedule();
    test_clip_and_accum();
    test_learns();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("optimizer ok\n");
    return 0;
}
