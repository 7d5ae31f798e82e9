/*
 * score.h — per-token log-probs of many token sequences under a
 * causal LM, batched so that the logits of one forward stay within a
 * memory limit.  Used by lm-logprob; meant for every stage that scores
 * fixed sequences (reference log-probs for DPO, PPO's ref and old
 * log-probs).
 *
 * Sequences are right-padded into [B, T] blocks in the order given
 * (padding is masked and positions count real tokens, so a sequence's
 * scores do not depend on its neighbours beyond float summation order).
 */
#ifndef PREFPIPE_MODEL_SCORE_H
#define PREFPIPE_MODEL_SCORE_H

#include "model/model.h"

typedef struct {
    const int32_t *ids;   /* the whole sequence (context + scored part) */
    int n;                /* its length */
    int start;            /* score ids[start..n); ids[0] always gets 0 */
    float *logp;          /* out: n - start floats, malloc'd by the scorer */
} score_seq;

/* Default limit on logits floats per forward (about 1 GiB). */
#define SCORE_LOGITS_LIMIT ((size_t)1 << 28)

/* Score every sequence.  Returns -1 when all went well, else the index of
 * a sequence longer than max_position_embeddings (nothing is scored). */
int model_score(model *m, score_seq *s, int ns, size_t logits_limit);

#endif
