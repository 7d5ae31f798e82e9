/*
 * batch.h — examples -> one right-padded [rows, T] token batch for
 * the model (packed by model/score.h's seq_batch_pack), and the
 * forward-only scorers of examples, adapters over model_score:
 * reference log-probs (ref-score and dpo-step --ref use the SAME function
 * on the SAME groups of examples, so their numbers are bitwise equal for
 * the same thread count) and reward-model scores (rm-score, rm-train's
 * statistics).
 *
 * Row layout: example i, sequence k (0 chosen / sft, 1 rejected) is row
 * row0[i] + k.  T is the longest sequence in the batch.  Padding is
 * masked by the model, so a row's numbers do not depend on the others
 * except through BLAS summation order.  A sequence's log-prob is the sum,
 * in double and in token order, of the per-token log-probs of its
 * response span [start, len) (for sequence 0 after its extra spans: the
 * earlier assistant turns of an sft example, examples.h).  A reward is the score head's value at the
 * last real token (the EOS unless truncated) that is not the pad token
 * (model_pool_pos: transformers' pooling).
 */
#ifndef PREFPIPE_TRAIN_BATCH_H
#define PREFPIPE_TRAIN_BATCH_H

#include "model/model.h"
#include "model/score.h"
#include "train/examples.h"

typedef struct {
    int n;
    const train_example *ex;   /* borrowed */
    int *row0;                 /* [n] */
    seq_batch sb;              /* sb.rows rows of sb.T tokens */
    const model_config *pool;  /* where rewards pool (model_pool_pos); NULL: the last token */
} train_batch;

void train_batch_build(train_batch *b, const train_example *ex, int n);
void train_batch_free(train_batch *b);
/* Sum of the response log-probs of (example i, sequence k). */
double train_seq_logp(const train_batch *b, const float *logp, int i, int k);
/* The position a reward of (i, k) is read at (model_pool_pos with b->pool)
 * and the value there. */
int train_seq_pool(const train_batch *b, int i, int k);
double train_seq_value(const train_batch *b, const float *values, int i, int k);

/* Forward-only, all n examples in one forward (the group is the
 * caller's: ref-score's --batch, dpo-step's --ref-batch).
 * Set ex[i].ref[k] and has_ref.  per_token (may be NULL):
 * per_token[2 i + k] gets a malloc'd copy of the response's per-token
 * log-probs (len - start floats). */
void train_score_ref(model *m, train_example *ex, int n, float **per_token);
/* Forward-only: rewards[2 i + k] = the score head at the last token. */
void train_score_reward(model *m, const train_example *ex, int n, double *rewards);

#endif
