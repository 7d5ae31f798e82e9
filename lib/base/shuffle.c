/*
 * shuffle.c — Fisher–Yates over elements of any size (see shuffle.h).
 * Elements are swapped byte by byte through a small buffer, so any type
 * works and nothing is allocated.
 */
#include "base/shuffle.h"

#include <string.h>

static void swap(unsigned char *a, unsigned char *b, size_t size)
{
    unsigned char t[64];
    while (size > 0) {
        size_t k = size < sizeof t ? size : sizeof t;
        memcpy(t, a, k);
        memcpy(a, b, k);
        memcpy(b, t, k);
        a += k, b += k, size -= k;
    }
}

void rng_shuffle(rng_t *r, void *base, size_t n, size_t size)
{
    unsigned char *p = base;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        if (j != i - 1) swap(p + (i - 1) * size, p + j * size, size);
    }
}

void rng_permutation(rng_t *r, size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(r, perm, n, sizeof *perm);
}
