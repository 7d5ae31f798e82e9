/*
 * score.h — the one sequence packer and the one scorer of fixed token
 * sequences under a model.  Every stage that runs a model over sequences
 * it already has (ref-score, rm-score, lm-logprob, dpo-step's reference
 * and training passes, rm-train, sft-step, ppo-step's reference, old and
 * training passes) packs them here and crosses to the backend here, in
 * seq_batch_forward: host token buffers in, host per-token outputs back,
 * one forward (one upload of ids and mask) per packed batch.  With a
 * device backend this is the one place where batches go to the device.
 *
 * Packing: sequence i becomes row i of a right-padded [rows, T] batch, T
 * the longest sequence (at least 1); padding is 0 with valid 0.  The
 * model masks padding and counts positions over real tokens, so a row's
 * numbers do not depend on its neighbours except through BLAS summation
 * order — which does depend on the rows of the call (OpenBLAS rounds a
 * row differently with the number of rows, ~1 float32 ulp), so callers
 * that must agree bitwise (ref-score and dpo-step --ref, rm-score's
 * batches) choose the same groups, and model_score keeps them whole
 * unless a logits limit is given.
 *
 * Scoring (model_score): for each sequence, as asked by `what`,
 *   SCORE_SUM     sum, in double and in token order, of the log-probs of
 *                 ids[start..n) (model_forward's convention: the first
 *                 real token gets 0)
 *   SCORE_TOKENS  those per-token log-probs, malloc'd (n - start floats,
 *                 at least one allocated)
 *   SCORE_LAST    the score head's value at the pooled token (a reward):
 *                 model_pool_pos
 */
#ifndef PREFPIPE_MODEL_SCORE_H
#define PREFPIPE_MODEL_SCORE_H

#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the packer ---- */

typedef struct {
    int rows, T;
    int32_t *tokens;   /* [rows * T] */
    uint8_t *valid;    /* [rows * T] */
} seq_batch;

/* Pack ids[i][0..len[i]) as row i, i < rows. */
void seq_batch_pack(seq_batch *b, const int32_t *const *ids, const int *len, int rows);
void seq_batch_free(seq_batch *b);

/* Forward the packed batch (train: keep activations for model_backward).
 * logp / values: NULL or [rows * T] host arrays, as model_forward. */
void seq_batch_forward(model *m, const seq_batch *b, int train, float *logp, float *values);

/* Where a reward is read, as transformers' LlamaForSequenceClassification
 * pools: the last token whose id is not the config's pad_token_id (n - 1
 * when there is none; 0 when every token is pad).  With pad = EOS that is
 * the token before a final EOS — the model then scores the text, not its
 * end marker — which is why lm-init gives a distinct pad token where the
 * tokenizer has one. */
int model_pool_pos(const model_config *c, const int32_t *ids, int n);

/* ---- the scorer ---- */

enum { SCORE_SUM = 1, SCORE_TOKENS = 2, SCORE_LAST = 4 };

typedef struct {
    const int32_t *ids;   /* the whole sequence (context + scored part) */
    int n;                /* its length */
    int start;            /* score ids[start..n) */
    double sum;           /* out (SCORE_SUM) */
    float *logp;          /* out (SCORE_TOKENS): n - start floats, malloc'd */
    double last;          /* out (SCORE_LAST) */
} score_seq;

/* Default limit on logits floats per forward (about 1 GiB). */
#define SCORE_LOGITS_LIMIT ((size_t)1 << 28)
/* No limit: all the sequences of one call share one forward. */
#define SCORE_ONE_BATCH ((size_t)-1)

/* Score s[0..ns) in order.  Consecutive sequences share a forward while
 * rows x longest x vocab stays within logits_limit (a single sequence
 * always forms one).  Returns -1 when all went well, else the index of a
 * sequence longer than max_position_embeddings (nothing is scored). */
int model_score(model *m, score_seq *s, int ns, unsigned what, size_t logits_limit);

#endif
