/*
 * batch.c — examples as packed batches and as sequences for the scorer
 * (batch.h); the packing and the forward are model/score.c's.
 */
#include "train/batch.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void train_batch_build(train_batch *b, const train_example *ex, int n)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->ex = ex;
    b->row0 = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
    int rows = 0;
    for (int i = 0; i < n; i++) b->row0[i] = rows, rows += ex[i].nseq;
    const int32_t **ids = xmalloc(sizeof *ids * (size_t)(rows ? rows : 1));
    int *len = xmalloc(sizeof *len * (size_t)(rows ? rows : 1));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++) ids[b->row0[i] + k] = ex[i].ids[k], len[b->row0[i] + k] = ex[i].len[k];
    seq_batch_pack(&b->sb, ids, len, rows);
    free(ids);
    free(len);
}

void train_batch_free(train_batch *b)
{
    free(b->row0);
    seq_batch_free(&b->sb);
    memset(b, 0, sizeof *b);
}

double train_seq_logp(const train_batch *b, const float *logp, int i, int k)
{
    const train_example *e = &b->ex[i];
    const float *row = logp + (size_t)(b->row0[i] + k) * b->sb.T;
    double s = 0;
    if (k == 0)   /* earlier assistant turns (sft-step), in token order */
        for (int j = 0; j < e->nspan; j++)
            for (int t = e->span[j][0]; t < e->span[j][1]; t++) s += row[t];
    for (int t = e->start[k]; t < e->len[k]; t++) s += row[t];
    return s;
}

int train_seq_pool(const train_batch *b, int i, int k)
{
    const train_example *e = &b->ex[i];
    return b->pool ? model_pool_pos(b->pool, e->ids[k], e->len[k]) : e->len[k] - 1;
}

double train_seq_value(const train_batch *b, const float *values, int i, int k)
{
    return values[(size_t)(b->row0[i] + k) * b->sb.T + train_seq_pool(b, i, k)];
}

/* The sequences of ex[0..n) in row order, for model_score. */
static score_seq *example_seqs(const train_example *ex, int n, int *ns)
{
    int rows = 0;
    for (int i = 0; i < n; i++) rows += ex[i].nseq;
    score_seq *q = xcalloc((size_t)(rows ? rows : 1), sizeof *q);
    rows = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++)
            q[rows++] = (score_seq){.ids = ex[i].ids[k], .n = ex[i].len[k], .start = ex[i].start[k]};
    *ns = rows;
    return q;
}

void train_score_ref(model *m, train_example *ex, int n, float **per_token)
{
    if (n <= 0) return;
    int ns;
    score_seq *q = example_seqs(ex, n, &ns);
    if (model_score(m, q, ns, SCORE_SUM | (per_token ? SCORE_TOKENS : 0), SCORE_ONE_BATCH) >= 0)
        die(EX_SOFTWARE, "an example is longer than the model's positions");
    for (int i = 0, r = 0; i < n; i++) {
        for (int k = 0; k < ex[i].nseq; k++, r++) {
            ex[i].ref[k] = q[r].sum;
            if (per_token) per_token[2 * i + k] = q[r].logp;
        }
        ex[i].has_ref = 1;
    }
    free(q);
}

void train_score_reward(model *m, const train_example *ex, int n, double *rewards)
{
    if (n <= 0) return;
    int ns;
    score_seq *q = example_seqs(ex, n, &ns);
    if (model_score(m, q, ns, SCORE_LAST, SCORE_ONE_BATCH) >= 0)
        die(EX_SOFTWARE, "an example is longer than the model's positions");
    for (int i = 0, r = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++, r++) rewards[2 * i + k] = q[r].last;
    free(q);
}
