/*
 * losses.h — preference losses on sequence-level numbers, with their
 * gradients: the DPO family (Eq. 3 of "Unpacking DPO and PPO" and common
 * variants) on policy/reference log-probs, and the Bradley–Terry reward
 * model loss (Eq. 1) on scalar rewards.
 *
 * Everything is per example and in double precision; callers average over
 * a batch themselves (the trainer scales by 1/batch).  No state, no memory.
 *
 * Notation: pc, pr = policy log-prob of the chosen / rejected response
 * (summed over response tokens incl. EOS); rc, rr = the same under the
 * reference model; nc, nr = response token counts.
 *   dpo       -log s(b h)                    h = (pc - rc) - (pr - rr)
 *   cdpo      -(1-e) log s(b h) - e log s(-b h)     (label smoothing e)
 *   ipo       (h' - 1/(2b))^2                (Azar et al.'s Eq. 17 on length-averaged
 *                                            log ratios h', TRL's convention: its
 *                                            DPOTrainer divides IPO's log-probs by
 *                                            the response length)
 *   ipo-sum   (h - 1/(2b))^2                 (the same on summed log ratios: the IPO
 *                                            paper's formula read on whole responses)
 *   hinge     max(0, 1 - b h)                (SLiC)
 *   dpo-norm  -log s(b h')   h' = (pc - rc)/nc - (pr - rr)/nr  (Tulu 3)
 *   simpo     -log s(b (pc/nc - pr/nr) - g)  (no reference; g = target margin)
 * Implicit rewards (for metrics): b (pc - rc) and b (pr - rr); for
 * dpo-norm and ipo the length-normalised ones; for simpo b pc/nc and b pr/nr.
 * SimPO's defaults (dpo-step) are its paper's: b = 2, g = b/2 (g/b = 0.5).
 *
 * Bradley–Terry: -log s(Rc - Rr - m) + eta (Rc + Rr)^2 where m is an
 * optional per-pair margin and eta the reward-centring coefficient
 * (Eisenstein et al. 2023's auxiliary loss; 0 disables).
 */
#ifndef PREFPIPE_LOSSES_H
#define PREFPIPE_LOSSES_H

typedef enum { PL_DPO, PL_IPO, PL_CDPO, PL_HINGE, PL_DPO_NORM, PL_SIMPO, PL_IPO_SUM } pref_loss_kind;
#define PL_LAST PL_IPO_SUM

typedef struct {
    pref_loss_kind kind;
    double beta;             /* b */
    double label_smoothing;  /* e, cdpo only */
    double gamma;            /* g, simpo only */
} pref_loss_cfg;

/* "dpo", "ipo", ... -> kind; returns 0, or -1 for an unknown name. */
int pref_loss_parse(const char *name, pref_loss_kind *kind);
const char *pref_loss_name(pref_loss_kind kind);
/* Does the loss use reference log-probs? (all but simpo) */
int pref_loss_needs_ref(pref_loss_kind kind);

typedef struct {
    double loss;
    double dpc, dpr;          /* d loss / d pc, d loss / d pr */
    double reward_c, reward_r; /* implicit rewards */
} pref_loss_out;

/* One pair.  nc, nr >= 1. */
pref_loss_out pref_loss(const pref_loss_cfg *c, double pc, double pr, double rc, double rr,
                        int nc, int nr);

/* Bradley–Terry on rewards; *drc, *drr get the gradient. */
double bt_loss(double Rc, double Rr, double margin, double eta, double *drc, double *drr);

/* Numerically stable log(sigmoid(x)) and sigmoid(x). */
double log_sigmoid(double x);
double sigmoid(double x);

#endif
