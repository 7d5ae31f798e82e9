/*
 * test_shuffle.c — the one seeded shuffle: a permutation, a pure function
 * of the seed, the same order for any element size, and the same draws as
 * the Fisher–Yates loops it replaced (so checkpoints, rollout orders and
 * rec shuffle outputs did not move).
 */
#include "check.h"
#include "base/shuffle.h"

#include <stdlib.h>
#include <string.h>

/* The loop written out in examples.c, rollout.c, ppo_train.c and rec.c
 * before they shared rng_shuffle. */
static void reference(size_t *perm, size_t n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(&r, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

static int is_permutation(const size_t *p, size_t n)
{
    char *seen = calloc(n + 1, 1);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= n || seen[p[i]]) ok = 0;
        else seen[p[i]] = 1;
    }
    free(seen);
    return ok;
}

typedef struct { char name[40]; int v; } wide;   /* an element wider than the swap buffer's chunks need */

int main(void)
{
    size_t sizes[] = {0, 1, 2, 3, 10, 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        size_t *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        rng_t r;
        rng_seed(&r, 42);
        rng_permutation(&r, a, n);
        reference(b, n, 42);
        CHECK(is_permutation(a, n));
        CHECK(n == 0 || memcmp(a, b, n * sizeof *a) == 0);

        /* ints and wide structs move the same way as size_t */
        int *ints = malloc((n + 1) * sizeof *ints);
        wide *ws = malloc((n + 1) * sizeof *ws);
        for (size_t i = 0; i < n; i++) {
            ints[i] = (int)i;
            snprintf(ws[i].name, sizeof ws[i].name, "item %zu", i);
            ws[i].v = (int)i;
        }
        rng_seed(&r, 42);
        rng_shuffle(&r, ints, n, sizeof *ints);
        rng_seed(&r, 42);
        rng_shuffle(&r, ws, n, sizeof *ws);
        int same = 1;
        for (size_t i = 0; i < n; i++) {
            char want[40];
            snprintf(want, sizeof want, "item %zu", a[i]);
            same &= ints[i] == (int)a[i] && ws[i].v == (int)a[i] && strcmp(ws[i].name, want) == 0;
        }
        CHECK(same);
        free(a), free(b), free(ints), free(ws);
    }

    /* another seed, another order; the same seed, the same order */
    size_t p1[50], p2[50], p3[50];
    rng_t r;
    rng_seed(&r, 1), rng_permutation(&r, p1, 50);
    rng_seed(&r, 2), rng_permutation(&r, p2, 50);
    rng_seed(&r, 1), rng_permutation(&r, p3, 50);
    CHECK(memcmp(p1, p2, sizeof p1) != 0);
    CHECK(memcmp(p1, p3, sizeof p1) == 0);

    /* it draws n-1 numbers: the generator's state after is the
     * reference's (callers that keep drawing see the same stream) */
    rng_t a, b;
    rng_seed(&a, 7), rng_seed(&b, 7);
    rng_permutation(&a, p1, 50);
    for (size_t i = 50; i > 1; i--) rng_below(&b, i);
    CHECK(rng_next(&a) == rng_next(&b));

    /* roughly uniform: over many shuffles of 4, each element is first
     * about a quarter of the time */
    int first[4] = {0};
    rng_seed(&r, 9);
    for (int t = 0; t < 40000; t++) {
        size_t q[4];
        rng_permutation(&r, q, 4);
        first[q[0]]++;
    }
    for (int i = 0; i < 4; i++) CHECK(first[i] > 9500 && first[i] < 10500);
    return check_done("test_shuffle");
}
