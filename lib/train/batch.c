/*
 * batch.c — batch building and forward-only scoring (batch.h).
 * Buffers are malloc'd per batch; activations are reserved on the model
 * (model_reserve only grows them).
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
    int T = 1;
    for (int i = 0; i < n; i++) {
        b->row0[i] = b->rows;
        b->rows += ex[i].nseq;
        for (int k = 0; k < ex[i].nseq; k++)
            if (ex[i].len[k] > T) T = ex[i].len[k];
    }
    b->T = T;
    b->tokens = xcalloc((size_t)b->rows * T, sizeof(int32_t));
    b->valid = xcalloc((size_t)b->rows * T, 1);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++) {
            size_t r = (size_t)(b->row0[i] + k) * T;
            memcpy(b->tokens + r, ex[i].ids[k], sizeof(int32_t) * (size_t)ex[i].len[k]);
            memset(b->valid + r, 1, (size_t)ex[i].len[k]);
        }
}

void train_batch_free(train_batch *b)
{
    free(b->row0);
    free(b->tokens);
    free(b->valid);
    memset(b, 0, sizeof *b);
}

double train_seq_logp(const train_batch *b, const float *logp, int i, int k)
{
    const train_example *e = &b->ex[i];
    const float *row = logp + (size_t)(b->row0[i] + k) * b->T;
    double s = 0;
    if (k == 0)   /* earlier assistant turns (sft-step), in token order */
        for (int j = 0; j < e->nspan; j++)
            for (int t = e->span[j][0]; t < e->span[j][1]; t++) s += row[t];
    for (int t = e->start[k]; t < e->len[k]; t++) s += row[t];
    return s;
}

double train_seq_value(const train_batch *b, const float *values, int i, int k)
{
    const train_example *e = &b->ex[i];
    return values[(size_t)(b->row0[i] + k) * b->T + e->len[k] - 1];
}

void train_score_ref(model *m, train_example *ex, int n, float **per_token)
{
    if (n <= 0) return;
    train_batch b;
    train_batch_build(&b, ex, n);
    float *lp = xmalloc(sizeof(float) * (size_t)b.rows * b.T);
    model_reserve(m, b.rows * b.T, 0);
    model_forward(m, b.tokens, b.valid, b.rows, b.T, lp, NULL);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < ex[i].nseq; k++) {
            ex[i].ref[k] = train_seq_logp(&b, lp, i, k);
            if (per_token) {
                int nr = ex[i].len[k] - ex[i].start[k];
                float *pt = xmalloc(sizeof(float) * (size_t)(nr ? nr : 1));
                memcpy(pt, lp + (size_t)(b.row0[i] + k) * b.T + ex[i].start[k], sizeof(float) * (size_t)nr);
                per_token[2 * i + k] = pt;
            }
        }
        ex[i].has_ref = 1;
    }
    free(lp);
    train_batch_free(&b);
}

void train_score_reward(model *m, const train_example *ex, int n, double *rewards)
{
    if (n <= 0) return;
    train_batch b;
    train_batch_build(&b, ex, n);
    float *v = xmalloc(sizeof(float) * (size_t)b.rows * b.T);
    model_reserve(m, b.rows * b.T, 0);
    model_forward(m, b.tokens, b.valid, b.rows, b.T, NULL, v);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++) rewards[2 * i + k] = train_seq_value(&b, v, i, k);
    free(v);
    train_batch_free(&b);
}
