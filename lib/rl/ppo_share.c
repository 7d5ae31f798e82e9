/*
 * ppo_share.c — a batch of rollouts from rank 0 to every rank (ppo_share.h).
 *
 * Two broadcasts per batch: a header {more, j, n, payload bytes} and the
 * payload, items packed back to back as
 *   plen, rlen, truncated, has_ref, idlen   (int32 each)
 *   reward                                  (double)
 *   ids[plen + rlen] (int32), ref[rlen] (float, when has_ref), id bytes
 * in host byte order: the ranks of one job run one build on one kind of
 * machine.
 */
#include "rl/ppo_share.h"
#include "dist/dist.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct { char *p; size_t n, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void get(const char **p, const char *end, void *dst, size_t n)
{
    if ((size_t)(end - *p) < n) die(EX_SOFTWARE, "ppo-step: a shared batch is truncated");
    memcpy(dst, *p, n);
    *p += n;
}

static void header(int64_t h[4]) { dist_broadcast(h, 4 * sizeof(int64_t), 0); }

void ppo_share_send(long j, const ppo_item *items, int n)
{
    if (dist_size() == 1) return;
    buf b = {0};
    for (int i = 0; i < n; i++) {
        const ppo_item *it = &items[i];
        int32_t h[5] = {it->plen, it->rlen, it->truncated, it->ref != NULL, it->id ? (int32_t)strlen(it->id) : -1};
        put(&b, h, sizeof h);
        put(&b, &it->reward, sizeof it->reward);
        put(&b, it->ids, sizeof(int32_t) * (size_t)(it->plen + it->rlen));
        if (it->ref) put(&b, it->ref, sizeof(float) * (size_t)it->rlen);
        if (it->id) put(&b, it->id, strlen(it->id));
    }
    int64_t hd[4] = {1, j, n, (int64_t)b.n};
    header(hd);
    if (b.n) dist_broadcast(b.p, b.n, 0);
    free(b.p);
}

void ppo_share_end(void)
{
    if (dist_size() == 1) return;
    int64_t hd[4] = {0, 0, 0, 0};
    header(hd);
}

int ppo_share_recv(long *j, ppo_item **items, int *n)
{
    int64_t hd[4];
    /* rank 0 may wait any time for its producers (rollout, scoring): this
     * wait is for input, not for a rank, and is not timed (dist.h) */
    dist_untimed(1);
    header(hd);
    dist_untimed(0);
    if (!hd[0]) return 0;
    *j = (long)hd[1];
    *n = (int)hd[2];
    char *p = xmalloc(hd[3] ? (size_t)hd[3] : 1);
    if (hd[3]) dist_broadcast(p, (size_t)hd[3], 0);
    const char *q = p, *end = p + hd[3];
    ppo_item *it = xcalloc((size_t)(*n ? *n : 1), sizeof *it);
    for (int i = 0; i < *n; i++) {
        int32_t h[5];
        get(&q, end, h, sizeof h);
        it[i].plen = h[0], it[i].rlen = h[1], it[i].truncated = h[2];
        get(&q, end, &it[i].reward, sizeof it[i].reward);
        size_t nt = (size_t)(h[0] + h[1]);
        it[i].ids = xmalloc(sizeof(int32_t) * (nt ? nt : 1));
        get(&q, end, it[i].ids, sizeof(int32_t) * nt);
        if (h[3]) {
            it[i].ref = xmalloc(sizeof(float) * (size_t)(h[1] ? h[1] : 1));
            get(&q, end, it[i].ref, sizeof(float) * (size_t)h[1]);
        }
        if (h[4] >= 0) {
            it[i].id = xmalloc((size_t)h[4] + 1);
            get(&q, end, it[i].id, (size_t)h[4]);
            it[i].id[h[4]] = 0;
        }
    }
    free(p);
    *items = it;
    return 1;
}
