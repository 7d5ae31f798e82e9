/*
 * reservoir.c — bottom-k sampling (see reservoir.h).  A max-heap holds
 * the k smallest keys seen so far; its root is the key a newcomer must
 * beat, strictly (a newcomer with the root's key is not kept).  Items are
 * copied with xstrndup, which copies len bytes whatever they hold.
 */
#include "base/reservoir.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void reservoir_init(reservoir *r, size_t k)
{
    memset(r, 0, sizeof *r);
    r->k = k;
    r->h = xcalloc(k + 1, sizeof *r->h);
}

static void sift_down(reservoir_item *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, c = l + 1, m = i;
        if (l < n && h[l].key > h[m].key) m = l;
        if (c < n && h[c].key > h[m].key) m = c;
        if (m == i) return;
        reservoir_item t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static void sift_up(reservoir_item *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].key >= h[i].key) return;
        reservoir_item t = h[i]; h[i] = h[p]; h[p] = t;
        i = p;
    }
}

void reservoir_offer(reservoir *r, uint64_t key, const char *data, size_t len)
{
    r->seen++;
    if (r->n < r->k) {
        r->h[r->n] = (reservoir_item){key, r->seen, xstrndup(data, len), len};
        sift_up(r->h, r->n++);
    } else if (r->n > 0 && key < r->h[0].key) {
        free(r->h[0].data);
        r->h[0] = (reservoir_item){key, r->seen, xstrndup(data, len), len};
        sift_down(r->h, r->n, 0);
    }
}

static int by_index(const void *a, const void *b)
{
    const reservoir_item *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

const reservoir_item *reservoir_in_order(reservoir *r)
{
    qsort(r->h, r->n, sizeof *r->h, by_index);
    return r->h;
}

void reservoir_free(reservoir *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->h[i].data);
    free(r->h);
    memset(r, 0, sizeof *r);
}
