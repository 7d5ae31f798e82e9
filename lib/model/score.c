/*
 * score.c — batched scoring of fixed sequences (see score.h).
 *
 * Greedy grouping: consecutive sequences join a block while
 * rows x longest x vocab stays within the logits limit (a single sequence
 * always forms a block).
 */
#include "model/score.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

int model_score(model *m, score_seq *s, int ns, size_t limit)
{
    for (int k = 0; k < ns; k++)
        if (s[k].n > m->c.max_pos) return k;
    int i = 0;
    while (i < ns) {
        int T = 1, j = i;
        while (j < ns) {
            int t2 = s[j].n > T ? s[j].n : T;
            if (j > i && (size_t)(j - i + 1) * t2 * m->c.vocab > limit) break;
            T = t2;
            j++;
        }
        int B = j - i;
        int32_t *tok = xcalloc((size_t)B * T, sizeof(int32_t));
        uint8_t *val = xcalloc((size_t)B * T, 1);
        float *lp = xmalloc(sizeof(float) * (size_t)B * T);
        for (int k = 0; k < B; k++) {
            if (s[i + k].n) memcpy(tok + (size_t)k * T, s[i + k].ids, sizeof(int32_t) * s[i + k].n);
            memset(val + (size_t)k * T, 1, s[i + k].n);
        }
        model_reserve(m, B * T, 0);
        model_forward(m, tok, val, B, T, lp, NULL);
        for (int k = 0; k < B; k++) {
            score_seq *q = &s[i + k];
            int n = q->n - q->start;
            q->logp = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
            if (n > 0) memcpy(q->logp, lp + (size_t)k * T + q->start, sizeof(float) * n);
        }
        free(tok);
        free(val);
        free(lp);
        i = j;
    }
    return -1;
}
