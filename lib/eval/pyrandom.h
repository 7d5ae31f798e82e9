/*
 * pyrandom.h — Python's random.seed(S) + random.sample(population, k)
 * for integer seeds, reimplemented (MT19937, init_by_array seeding,
 * _randbelow by rejection on getrandbits(n.bit_length()), and sample's two
 * strategies: a pool for small populations, a set of chosen indices
 * otherwise), so that bench-load can draw the paper's evaluation subsets
 * exactly: the paper's code calls random.seed(42) and then
 * random.sample(test_data, 200) for GSM8K.
 *
 * Matches CPython 3.2 through 3.11 (checked against 3.11).
 */
#ifndef PREFPIPE_EVAL_PYRANDOM_H
#define PREFPIPE_EVAL_PYRANDOM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t mt[624];
    int i;
} pyrandom;

/* random.seed(seed) for a non-negative integer seed. */
void pyrandom_seed(pyrandom *r, uint64_t seed);
uint32_t pyrandom_u32(pyrandom *r);
/* random._randbelow(n), n > 0. */
uint64_t pyrandom_below(pyrandom *r, uint64_t n);
/* random.sample(range(n), k) into out[k] (k <= n), in sample order. */
void pyrandom_sample(pyrandom *r, size_t n, size_t k, size_t *out);
/* random.shuffle(x) on the index array x[n] (Fisher-Yates from the end,
 * _randbelow(i + 1) for i = n-1 .. 1, as CPython's shuffle). */
void pyrandom_shuffle(pyrandom *r, size_t *x, size_t n);

#endif
