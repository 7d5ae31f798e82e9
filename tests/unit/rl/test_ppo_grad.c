/*
 * test_ppo_grad.c — the PPO objective through the model against finite
 * differences on a tiny config (V 11, D 8, 2 layers, GQA, LM + score
 * heads).  Two rollouts of different prompt/response lengths are packed
 * by ppo_mb_build; old log-probs and values are the model's own plus
 * offsets of ±0.04 or ±0.7 (inside or well outside the clip range, so
 * some tokens take the clipped branch of each loss, none sits on a kink);
 * ppo_prepare gives advantages and returns; the loss is
 *   L = L_pi + alpha L_V   (ppo_mb_loss, alpha = 0.1, eps 0.2 / 0.2)
 * and its gradient through model_backward(dlogp, dvalues) is compared
 * with central differences (h = 1e-2) on every parameter, with the
 * tolerance of test_model_grad (at most 2 outliers).
 */
#include "check.h"
#include "model/model.h"
#include "rl/ppo_batch.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static model *M;
static ppo_item items[2];
static int idx[2] = {0, 1};
static ppo_mb mb;
static ppo_cfg cfg;

static double loss(float *dlogp, float *dval)
{
    size_t N = (size_t)mb.sb.rows * mb.sb.T;
    float *lp = xmalloc(N * sizeof(float)), *v = xmalloc(N * sizeof(float));
    float *dl = xmalloc(N * sizeof(float)), *dv = xmalloc(N * sizeof(float));
    model_forward(M, mb.sb.tokens, mb.sb.valid, mb.sb.rows, mb.sb.T, lp, v);
    ppo_loss_stats st = {0};
    ppo_mb_loss(&cfg, &mb, items, lp, v, dl, dv, 1, &st);
    if (dlogp) memcpy(dlogp, dl, N * sizeof(float));
    if (dval) memcpy(dval, dv, N * sizeof(float));
    free(lp), free(v), free(dl), free(dv);
    return st.pg_loss + cfg.vf_coef * st.vf_loss;
}

int main(void)
{
    model_config c = {.vocab = 11, .dim = 8, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 4, .ffn = 12, .max_pos = 64, .norm_eps = 1e-5f,
                      .rope_theta = 10000.0f, .tied = 0, .lm_head = 1, .score = 1,
                      .bos_id = -1, .eos_id = -1, .pad_id = -1};
    M = model_new(&c, backend_cpu());
    model_init_random(M, 11);
    rng_t r;
    rng_seed(&r, 5);
    for (size_t j = 0; j < M->nparams; j++) M->params[j] = (float)(0.6 * (rng_uniform(&r) * 2 - 1));
    for (int v = 0; v < M->nviews; v++)
        if (M->views[v].ndim == 1)
            for (size_t j = 0; j < M->views[v].n; j++) M->params[M->views[v].off + j] = (float)(1 + 0.2 * (rng_uniform(&r) * 2 - 1));
    model_enable_grads(M);
    model_reserve(M, 2 * 8, 1);

    int plen[2] = {3, 2}, rlen[2] = {3, 4};
    for (int i = 0; i < 2; i++) {
        ppo_item *it = &items[i];
        it->plen = plen[i], it->rlen = rlen[i];
        it->ids = xmalloc((plen[i] + rlen[i]) * sizeof(int32_t));
        for (int t = 0; t < plen[i] + rlen[i]; t++) it->ids[t] = (int32_t)rng_below(&r, 11);
        it->ref = xmalloc(rlen[i] * sizeof(float));
        ppo_item_alloc(it);
        it->reward = rng_uniform(&r) * 2 - 1;
        it->truncated = i == 1;
    }
    cfg = ppo_defaults();
    cfg.beta = 0.5;
    if (getenv("NOCLIP")) cfg.cliprange = cfg.cliprange_value = 100;
    ppo_mb_build(&mb, items, idx, 2);
    size_t N = (size_t)mb.sb.rows * mb.sb.T;
    float *lp = xmalloc(N * sizeof(float)), *v = xmalloc(N * sizeof(float));
    model_forward(M, mb.sb.tokens, mb.sb.valid, mb.sb.rows, mb.sb.T, lp, v);
    /* offsets far from the clip edges (±0.2) so that h does not cross a kink */
    static const float offs[4] = {-0.7f, -0.04f, 0.04f, 0.7f};
    for (int i = 0; i < 2; i++) {
        ppo_item *it = &items[i];
        ppo_mb_gather(&mb, items, i, lp, v, it->old_logp, it->old_values);
        for (int t = 0; t < it->rlen; t++) {
            it->ref[t] = it->old_logp[t] + (float)(rng_uniform(&r) - 0.5);
            it->old_logp[t] += offs[rng_below(&r, 4)];
            it->old_values[t] += offs[rng_below(&r, 4)];
        }
    }
    ppo_prep_stats ps = {0};
    ppo_prepare(&cfg, cfg.beta, items, idx, 2, &ps);
    CHECK_NEAR(ps.score_sum, items[0].reward - 10.0, 1e-12);   /* EOS trick on item 1 */

    float *dl = xmalloc(N * sizeof(float)), *dv = xmalloc(N * sizeof(float));
    model_zero_grads(M);
    double L0 = loss(dl, dv);
    CHECK(isfinite(L0));
    /* gradients only on response tokens (logp) and the slots before them (values) */
    CHECK(dl[0] == 0 && dl[1] == 0 && dl[2] == 0);
    CHECK(dv[0] == 0 && dv[1] == 0 && dv[5] == 0);   /* the last token has no successor value */
    model_backward(M, dl, dv);
    float *g = xmalloc(M->nparams * sizeof(float));
    memcpy(g, M->grads, M->nparams * sizeof(float));
    int bad = 0, nonzero = 0;
    double worst = 0;
    const float h = 1e-2f;
    for (size_t i = 0; i < M->nparams; i++) {
        float old = M->params[i];
        M->params[i] = old + h; double a = loss(NULL, NULL);
        M->params[i] = old - h; double b = loss(NULL, NULL);
        M->params[i] = old;
        double num = (a - b) / (2 * h), an = g[i];
        double err = fabs(num - an);
        if (fabs(an) > 1e-4) nonzero++;
        if (err > 3e-2 * fmax(fabs(num), fabs(an)) + 1e-3) {
            if (bad < 5) printf("param %zu: analytic %.6g numeric %.6g\n", i, an, num);
            bad++;
        }
        if (err > worst) worst = err;
    }
    printf("ppo grad: %zu params, %d nonzero, max abs err %.2e, %d outside tolerance\n", M->nparams, nonzero,
           worst, bad);
    CHECK(bad <= 2);
    ppo_loss_stats cs = {0};
    {
        float *l2 = xmalloc(N * sizeof(float)), *v2 = xmalloc(N * sizeof(float));
        model_forward(M, mb.sb.tokens, mb.sb.valid, mb.sb.rows, mb.sb.T, l2, v2);
        ppo_mb_loss(&cfg, &mb, items, l2, v2, dl, dv, 1, &cs);
        free(l2), free(v2);
    }
    printf("clipped tokens: policy %g, value %g of %g\n", cs.pg_clipped, cs.vf_clipped, cs.tokens);
    if (!getenv("NOCLIP")) CHECK(cs.pg_clipped > 0 && cs.vf_clipped > 0);
    CHECK(nonzero > (int)M->nparams / 2);

    /* value warm-up: train_policy 0 gives no policy gradient */
    float *vv = xmalloc(N * sizeof(float));
    model_forward(M, mb.sb.tokens, mb.sb.valid, mb.sb.rows, mb.sb.T, lp, vv);
    ppo_loss_stats st = {0};
    ppo_mb_loss(&cfg, &mb, items, lp, vv, dl, dv, 0, &st);
    int any = 0;
    for (size_t i = 0; i < N; i++) any |= dl[i] != 0;
    CHECK(!any);
    free(vv), free(lp), free(v), free(dl), free(dv), free(g);
    ppo_mb_free(&mb);
    for (int i = 0; i < 2; i++) ppo_item_free(&items[i]);
    model_free(M);
    return check_done("test_ppo_grad");
}
