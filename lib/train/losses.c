/*
 * losses.c — the preference losses of losses.h.  Closed forms only; the
 * gradient of each loss is written next to its value so that the unit test
 * (tests/unit/test_losses.c) can compare both with finite differences.
 */
#include "train/losses.h"

#include <math.h>
#include <string.h>

static const char *const names[] = {"dpo", "ipo", "cdpo", "hinge", "dpo-norm", "simpo", "ipo-sum"};

int pref_loss_parse(const char *name, pref_loss_kind *kind)
{
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(name, names[i])) { *kind = (pref_loss_kind)i; return 0; }
    return -1;
}

const char *pref_loss_name(pref_loss_kind kind) { return names[kind]; }

int pref_loss_needs_ref(pref_loss_kind kind) { return kind != PL_SIMPO; }

double log_sigmoid(double x) { return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); }

double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

pref_loss_out pref_loss(const pref_loss_cfg *c, double pc, double pr, double rc, double rr,
                        int nc, int nr)
{
    pref_loss_out o = {0};
    double b = c->beta;
    double ic = nc > 0 ? 1.0 / nc : 1.0, ir = nr > 0 ? 1.0 / nr : 1.0;
    /* h = a_c pc - a_r pr + const; dh/dpc = a_c, dh/dpr = -a_r */
    double h, ac = 1, ar = 1;
    switch (c->kind) {
    case PL_DPO_NORM:
    case PL_IPO:
        ac = ic; ar = ir;
        h = (pc - rc) * ic - (pr - rr) * ir;
        o.reward_c = b * (pc - rc) * ic;
        o.reward_r = b * (pr - rr) * ir;
        break;
    case PL_SIMPO:
        ac = ic; ar = ir;
        h = pc * ic - pr * ir;
        o.reward_c = b * pc * ic;
        o.reward_r = b * pr * ir;
        break;
    default:
        h = (pc - rc) - (pr - rr);
        o.reward_c = b * (pc - rc);
        o.reward_r = b * (pr - rr);
        break;
    }
    double dh;   /* d loss / d h */
    switch (c->kind) {
    case PL_IPO:
    case PL_IPO_SUM: {
        double d = h - 1.0 / (2.0 * b);
        o.loss = d * d;
        dh = 2.0 * d;
        break;
    }
    case PL_HINGE:
        o.loss = 1.0 - b * h > 0 ? 1.0 - b * h : 0.0;
        dh = 1.0 - b * h > 0 ? -b : 0.0;
        break;
    case PL_CDPO: {
        double e = c->label_smoothing;
        o.loss = -(1.0 - e) * log_sigmoid(b * h) - e * log_sigmoid(-b * h);
        dh = b * (-(1.0 - e) * sigmoid(-b * h) + e * sigmoid(b * h));
        break;
    }
    case PL_SIMPO:
        o.loss = -log_sigmoid(b * h - c->gamma);
        dh = -b * sigmoid(-(b * h - c->gamma));
        break;
    default:   /* dpo, dpo-norm */
        o.loss = -log_sigmoid(b * h);
        dh = -b * sigmoid(-b * h);
        break;
    }
    o.dpc = dh * ac;
    o.dpr = -dh * ar;
    return o;
}

double bt_loss(double Rc, double Rr, double margin, double eta, double *drc, double *drr)
{
    double z = Rc - Rr - margin, s = Rc + Rr;
    double loss = -log_sigmoid(z) + eta * s * s;
    double dz = -sigmoid(-z);
    *drc = dz + 2.0 * eta * s;
    *drr = -dz + 2.0 * eta * s;
    return loss;
}
