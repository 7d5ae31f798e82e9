/*
 * test_losses.c — the preference losses of lib/train/losses.c.
 *  1. closed-form values on hand-made numbers (computed by hand / bc):
 *     dpo with h = 2, beta 0.1: -log s(0.2) = 0.598138869...;
 *     ipo-sum: (h - 5)^2 = 9; ipo on averages: h' = -1/3 + 3/5; hinge: 1 - 0.2 = 0.8; cdpo e = 0.1:
 *     0.9 * 0.598139 + 0.1 * 0.798139; dpo-norm and simpo on lengths 2, 4;
 *     Bradley–Terry with margin and centring;
 *  2. each gradient against central finite differences of the loss itself
 *     (h = 1e-5, tolerance 1e-6);
 *  3. each variant through a tiny model: sequence log-probs of a chosen and
 *     a rejected row -> loss -> model_backward, against finite differences
 *     of the whole pipeline on every parameter (fp32, h = 1e-3 — embeddings are ~0.02, so 1e-2 is too coarse under RMSNorm —, tolerance
 *     3e-2 relative + 1e-3 (1 + |loss|): an fp32 loss of
 *     size L moves in steps of ~L 6e-8, i.e. L 3e-5 after dividing by 2h); Bradley–Terry through
 *     the score head the same way.
 */
#include "check.h"
#include "train/losses.h"
#include "model/model.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void closed_forms(void)
{
    pref_loss_cfg c = {.kind = PL_DPO, .beta = 0.1};
    /* pc - rc = -1, pr - rr = -3  =>  h = 2 */
    pref_loss_out o = pref_loss(&c, -11, -13, -10, -10, 3, 5);
    CHECK_NEAR(o.loss, log1p(exp(-0.2)), 1e-12);
    CHECK_NEAR(o.loss, 0.598138869381, 1e-9);
    CHECK_NEAR(o.dpc, -0.1 / (1 + exp(0.2)), 1e-12);
    CHECK_NEAR(o.dpr, 0.1 / (1 + exp(0.2)), 1e-12);
    CHECK_NEAR(o.reward_c, -0.1, 1e-12);
    CHECK_NEAR(o.reward_r, -0.3, 1e-12);
    c.kind = PL_IPO_SUM;
    o = pref_loss(&c, -11, -13, -10, -10, 3, 5);
    CHECK_NEAR(o.loss, 9.0, 1e-12);
    CHECK_NEAR(o.dpc, -6.0, 1e-12);
    c.kind = PL_IPO;   /* TRL: log-probs divided by the response length */
    o = pref_loss(&c, -11, -13, -10, -10, 3, 5);
    CHECK_NEAR(o.loss, (-1.0 / 3 + 3.0 / 5 - 5) * (-1.0 / 3 + 3.0 / 5 - 5), 1e-12);
    CHECK_NEAR(o.dpc, 2 * (-1.0 / 3 + 3.0 / 5 - 5) / 3, 1e-12);
    CHECK_NEAR(o.reward_c, -0.1 / 3, 1e-12);
    c.kind = PL_HINGE;
    o = pref_loss(&c, -11, -13, -10, -10, 3, 5);
    CHECK_NEAR(o.loss, 0.8, 1e-12);
    CHECK_NEAR(o.dpc, -0.1, 1e-12);
    o = pref_loss(&c, 0, -20, 0, 0, 3, 5);   /* b h = 2 > 1: no loss */
    CHECK(o.loss == 0 && o.dpc == 0);
    c.kind = PL_CDPO;
    c.label_smoothing = 0.1;
    o = pref_loss(&c, -11, -13, -10, -10, 3, 5);
    CHECK_NEAR(o.loss, 0.9 * 0.598138869381 + 0.1 * 0.798138869381, 1e-9);
    c.kind = PL_DPO_NORM;
    /* (pc-rc)/2 = -1, (pr-rr)/4 = -0.5  =>  h = -0.5 */
    o = pref_loss(&c, -12, -12, -10, -10, 2, 4);
    CHECK_NEAR(o.loss, log1p(exp(0.05)), 1e-12);
    CHECK_NEAR(o.reward_c, -0.1, 1e-12);
    c.kind = PL_SIMPO;
    c.beta = 2.0;
    c.gamma = 0.5;
    /* pc/2 = -1, pr/4 = -2  =>  2 * 1 - 0.5 = 1.5; reference ignored */
    o = pref_loss(&c, -2, -8, 123, -456, 2, 4);
    CHECK_NEAR(o.loss, log1p(exp(-1.5)), 1e-12);
    CHECK_NEAR(o.reward_c, -2.0, 1e-12);
    CHECK(!pref_loss_needs_ref(PL_SIMPO) && pref_loss_needs_ref(PL_DPO));
    double dc, dr;
    double L = bt_loss(1.5, 0.5, 0, 0, &dc, &dr);
    CHECK_NEAR(L, log1p(exp(-1.0)), 1e-12);
    CHECK_NEAR(dc, -1.0 / (1 + exp(1.0)), 1e-12);
    CHECK_NEAR(dr, 1.0 / (1 + exp(1.0)), 1e-12);
    L = bt_loss(1.5, 0.5, 2.0, 0.01, &dc, &dr);   /* z = -1, s = 2 */
    CHECK_NEAR(L, log1p(exp(1.0)) + 0.04, 1e-12);
    pref_loss_kind k;
    CHECK(pref_loss_parse("dpo-norm", &k) == 0 && k == PL_DPO_NORM);
    CHECK(pref_loss_parse("orpo", &k) == -1);
    CHECK(!strcmp(pref_loss_name(PL_CDPO), "cdpo"));
    /* stability far in the tails */
    CHECK(isfinite(log_sigmoid(-800)) && fabs(log_sigmoid(-800) + 800) < 1e-9);
    CHECK(log_sigmoid(800) == 0 && sigmoid(-800) >= 0 && sigmoid(800) == 1);
}

static void finite_differences(void)
{
    const double h = 1e-5;
    for (int kind = PL_DPO; kind <= PL_LAST; kind++) {
        pref_loss_cfg c = {.kind = (pref_loss_kind)kind, .beta = 0.7, .label_smoothing = 0.2, .gamma = 0.3};
        double pts[3][4] = {{-11, -13, -10, -10.5}, {-3, -2, -4, -1}, {-30, -5, -29, -6}};
        for (int p = 0; p < 3; p++) {
            double *v = pts[p];
            pref_loss_out o = pref_loss(&c, v[0], v[1], v[2], v[3], 3, 5);
            double fc = (pref_loss(&c, v[0] + h, v[1], v[2], v[3], 3, 5).loss -
                         pref_loss(&c, v[0] - h, v[1], v[2], v[3], 3, 5).loss) / (2 * h);
            double fr = (pref_loss(&c, v[0], v[1] + h, v[2], v[3], 3, 5).loss -
                         pref_loss(&c, v[0], v[1] - h, v[2], v[3], 3, 5).loss) / (2 * h);
            CHECK_NEAR(o.dpc, fc, 1e-6);
            CHECK_NEAR(o.dpr, fr, 1e-6);
        }
    }
    double dc, dr, a, b;
    bt_loss(0.3, -0.4, 0.25, 0.05, &dc, &dr);
    a = (bt_loss(0.3 + h, -0.4, 0.25, 0.05, &b, &b) - bt_loss(0.3 - h, -0.4, 0.25, 0.05, &b, &b)) / (2 * h);
    CHECK_NEAR(dc, a, 1e-6);
    a = (bt_loss(0.3, -0.4 + h, 0.25, 0.05, &b, &b) - bt_loss(0.3, -0.4 - h, 0.25, 0.05, &b, &b)) / (2 * h);
    CHECK_NEAR(dr, a, 1e-6);
}

/* ---- through a tiny model ---- */
enum { B = 2, T = 7 };
static model *M;
/* row 0: chosen, row 1: rejected (right-padded); the response starts at t = 3 */
static int32_t toks[B * T] = {1, 4, 2, 7, 3, 9, 5, 1, 4, 2, 8, 6, 0, 0};
static uint8_t valid[B * T] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
static const int start = 3, len[B] = {7, 5};
static pref_loss_cfg cfg;
static int use_bt;

static double pipeline(int backward)
{
    float lp[B * T], val[B * T], d[B * T], dv[B * T];
    model_forward(M, toks, valid, B, T, lp, val);
    if (use_bt) {
        double drc, drr;
        double L = bt_loss(val[len[0] - 1], val[T + len[1] - 1], 0.1, 0.05, &drc, &drr);
        if (backward) {
            memset(dv, 0, sizeof dv);
            dv[len[0] - 1] = (float)drc;
            dv[T + len[1] - 1] = (float)drr;
            model_backward(M, NULL, dv);
        }
        return L;
    }
    double s[B] = {0, 0};
    for (int b = 0; b < B; b++)
        for (int t = start; t < len[b]; t++) s[b] += lp[b * T + t];
    pref_loss_out o = pref_loss(&cfg, s[0], s[1], -9.0, -8.5, len[0] - start, len[1] - start);
    if (backward) {
        memset(d, 0, sizeof d);
        for (int b = 0; b < B; b++)
            for (int t = start; t < len[b]; t++) d[b * T + t] = (float)(b ? o.dpr : o.dpc);
        model_backward(M, d, NULL);
    }
    return o.loss;
}

static void through_model(void)
{
    model_config c = {.vocab = 11, .dim = 8, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 4, .ffn = 12, .max_pos = 64, .norm_eps = 1e-5,
                      .rope_theta = 10000.0, .tied = 0, .lm_head = 1, .score = 1,
                      .bos_id = -1, .eos_id = 10, .pad_id = 0};
    M = model_new(&c, backend_cpu());
    model_init_random(M, 5);
    /* larger weights than 0.02 so that the losses have visible gradients */
    for (size_t i = 0; i < M->nparams; i++) M->params[i] *= 1.0f;
    model_reserve(M, B * T, 1);
    model_enable_grads(M);
    float *g = xmalloc(sizeof(float) * M->nparams);
    for (int v = 0; v <= PL_LAST + 1; v++) {
        use_bt = v > PL_LAST;
        cfg = (pref_loss_cfg){.kind = (pref_loss_kind)(use_bt ? 0 : v), .beta = 0.5,
                              .label_smoothing = 0.2, .gamma = 0.3};
        model_zero_grads(M);
        double L0 = pipeline(1);
        double atol = 1e-3 * (1 + fabs(L0));   /* fp32 loss quantisation / 2h */
        memcpy(g, M->grads, sizeof(float) * M->nparams);
        int bad = 0;
        double gmax = 0;
        for (size_t i = 0; i < M->nparams; i++) {
            float keep = M->params[i];
            M->params[i] = keep + 1e-3f;
            double lp_ = pipeline(0);
            M->params[i] = keep - 1e-3f;
            double lm_ = pipeline(0);
            M->params[i] = keep;
            double n = (lp_ - lm_) / 2e-3;
            gmax = fmax(gmax, fabs(n));
            if (fabs(g[i] - n) > 3e-2 * fmax(fabs(g[i]), fabs(n)) + atol) {
                if (bad < 3) fprintf(stderr, "variant %d param %zu: analytic %g numeric %g\n", v, i, g[i], n);
                bad++;
            }
        }
        CHECK(bad == 0);
        CHECK(gmax > 1e-2);   /* the check is not vacuous */
    }
    free(g);
    model_free(M);
}

int main(void)
{
    closed_forms();
    finite_differences();
    through_model();
    return check_done("test_losses");
}
