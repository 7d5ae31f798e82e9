/*
 * alpaca.h — AlpacaEval 1 and 2 from pairwise judge annotations: the raw
 * win rate, and the length-controlled win rate of Dubois et al. (2024).
 *
 * A preference p lies in [1, 2]: 1 the baseline (output_1) wins, 2 the
 * model (output_2) wins, 1.5 a draw (0, the old draw code, reads as 1.5).
 * win_rate = 100 * mean(p - 1), summed in NumPy's order (the first value,
 * then a pairwise sum of the rest in blocks of 8) so the leaderboard's
 * floating-point numbers come out bit for bit (see alpaca.c).
 *
 * Length control (alpaca_eval's "length_controlled_v1" GLM): a logistic
 * regression with soft labels y = p - 1 on the features
 *   tanh((len(output_1) - len(output_2)) / sd),  difficulty_i,  1
 * (lengths in characters — Unicode code points —, sd the sample standard
 * deviation of the length differences over the model's annotations,
 * difficulty_i the instruction's difficulty when one is given), fitted by
 * Newton's method; the LC win rate is 100 * mean_i sigmoid(w_d d_i + w_1),
 * the prediction with no length difference.  What alpaca_eval adds and
 * this fit lacks: the instruction difficulties themselves (a file on the
 * Hugging Face hub; --difficulty FILE supplies them), the regularisation
 * toward two length-gamed baselines (df_gamed.csv, also only on the hub),
 * and the L1 penalty chosen by 5-fold cross-validation.
 */
#ifndef PREFPIPE_EVAL_ALPACA_H
#define PREFPIPE_EVAL_ALPACA_H

#include <stddef.h>
#include <stdint.h>

/* NumPy's float64 add.reduce order over x[0..n): x[0] + pairwise(x+1, n-1). */
double numpy_sum(const double *x, size_t n);

/* The LC fit: y in [0,1], tl = tanh(std length difference), d (NULL: no
 * difficulty feature), wt the count of each item (NULL: 1 each; a
 * bootstrap resample's counts otherwise).  Writes the weights (length,
 * difficulty, constant) and returns the LC win rate in [0,1], or NaN when
 * the fit fails. */
double alpaca_lc_fit(const double *y, const double *tl, const double *d, const uint32_t *wt, size_t n,
                     double w[3]);
/* The whole LC computation from the length differences (output_1 minus
 * output_2, in code points): their sample standard deviation over the
 * (weighted) items, the tanh feature, the fit.  NaN when the lengths do
 * not vary or the fit fails.  With wt NULL, bit for bit what the scorer
 * reports; with a resample's counts, the LC rate of that resample
 * (eval-score --bootstrap: lc_ci_low / lc_ci_high). */
double alpaca_lc(const double *y, const double *dlen, const double *d, const uint32_t *wt, size_t n, double w[3]);

#endif
