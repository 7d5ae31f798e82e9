/*
 * score.c — the sequence packer and the scorer of fixed sequences
 * (contracts in score.h).
 *
 * Buffers are malloc'd per packed batch and freed at once; activations
 * are reserved on the model (model_reserve only grows them).  The logits
 * limit bounds rows x longest x vocab, the size of the logits one forward
 * materialises; SCORE_ONE_BATCH lets the caller's group decide.
 */
#include "model/score.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void seq_batch_pack(seq_batch *b, const int32_t *const *ids, const int *len, int rows)
{
    int T = 1;
    for (int i = 0; i < rows; i++)
        if (len[i] > T) T = len[i];
    b->rows = rows, b->T = T;
    size_t N = (size_t)(rows ? rows : 1) * T;
    b->tokens = xcalloc(N, sizeof(int32_t));
    b->valid = xcalloc(N, 1);
    for (int i = 0; i < rows; i++) {
        if (len[i] > 0) memcpy(b->tokens + (size_t)i * T, ids[i], sizeof(int32_t) * (size_t)len[i]);
        memset(b->valid + (size_t)i * T, 1, (size_t)(len[i] > 0 ? len[i] : 0));
    }
}

void seq_batch_free(seq_batch *b)
{
    free(b->tokens);
    free(b->valid);
    memset(b, 0, sizeof *b);
}

void seq_batch_forward(model *m, const seq_batch *b, int train, float *logp, float *values)
{
    model_reserve(m, b->rows * b->T, train);
    model_forward(m, b->tokens, b->valid, b->rows, b->T, logp, values);
}

int model_pool_pos(const model_config *c, const int32_t *ids, int n)
{
    if (c->pad_id < 0) return n - 1;
    for (int t = n - 1; t >= 0; t--)
        if (ids[t] != c->pad_id) return t;
    return 0;
}

/* Score s[0..B) as one packed batch. */
static void score_block(model *m, score_seq *s, int B, unsigned what)
{
    const int32_t **ids = xmalloc(sizeof *ids * (size_t)B);
    int *len = xmalloc(sizeof *len * (size_t)B);
    for (int k = 0; k < B; k++) ids[k] = s[k].ids, len[k] = s[k].n;
    seq_batch b;
    seq_batch_pack(&b, ids, len, B);
    size_t N = (size_t)B * b.T;
    float *lp = what & (SCORE_SUM | SCORE_TOKENS) ? xmalloc(sizeof(float) * N) : NULL;
    float *v = what & SCORE_LAST ? xmalloc(sizeof(float) * N) : NULL;
    seq_batch_forward(m, &b, 0, lp, v);
    for (int k = 0; k < B; k++) {
        score_seq *q = &s[k];
        const float *row = lp ? lp + (size_t)k * b.T : NULL;
        int n = q->n - q->start;
        if (what & SCORE_SUM) {
            double sum = 0;
            for (int t = q->start; t < q->n; t++) sum += row[t];
            q->sum = sum;
        }
        if (what & SCORE_TOKENS) {
            q->logp = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
            if (n > 0) memcpy(q->logp, row + q->start, sizeof(float) * (size_t)n);
        }
        if (what & SCORE_LAST) q->last = q->n > 0 ? v[(size_t)k * b.T + model_pool_pos(&m->c, q->ids, q->n)] : 0;
    }
    free(lp);
    free(v);
    seq_batch_free(&b);
    free(ids);
    free(len);
}

int model_score(model *m, score_seq *s, int ns, unsigned what, size_t limit)
{
    for (int k = 0; k < ns; k++)
        if (s[k].n > m->c.max_pos) return k;
    int i = 0;
    while (i < ns) {
        int T = 1, j = i;
        while (j < ns) {
            int t2 = s[j].n > T ? s[j].n : T;
            if (j > i && limit != SCORE_ONE_BATCH && (size_t)(j - i + 1) * t2 * m->c.vocab > limit) break;
            T = t2;
            j++;
        }
        score_block(m, s + i, j - i, what);
        i = j;
    }
    return -1;
}
