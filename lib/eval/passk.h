/*
 * passk.h — the unbiased pass@k estimator (Chen et al. 2021) as
 * evaluation.md writes it: 1 - prod_{i=n-c+1}^{n} (1 - k/i), and 1 when
 * n - c < k.  Running code is out of scope: the per-sample pass flags come
 * in the records (scores.pass, or a top-level "pass"/"passed").
 */
#ifndef PREFPIPE_EVAL_PASSK_H
#define PREFPIPE_EVAL_PASSK_H

#include <stdint.h>

/* n samples, c passing, k <= n. */
double pass_at_k(uint64_t n, uint64_t c, uint64_t k);

#endif
