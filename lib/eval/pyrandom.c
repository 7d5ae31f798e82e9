/*
 * pyrandom.c — CPython's Mersenne Twister and random.sample (see
 * pyrandom.h).  MT19937 is the published algorithm of Matsumoto and
 * Nishimura; the sampling follows the behaviour of CPython's Lib/random.py.
 */
#include "eval/pyrandom.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MT_N 624
#define MT_M 397

static void init_genrand(pyrandom *r, uint32_t s)
{
    r->mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->i = MT_N;
}

void pyrandom_seed(pyrandom *r, uint64_t seed)
{
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    int klen = key[1] ? 2 : 1;
    init_genrand(r, 19650218u);
    int i = 1, j = 0;
    for (int k = MT_N > klen ? MT_N : klen; k; k--) {
        r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++, j++;
        if (i >= MT_N) {
            r->mt[0] = r->mt[MT_N - 1];
            i = 1;
        }
        if (j >= klen)
            j = 0;
    }
    for (int k = MT_N - 1; k; k--) {
        r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= MT_N) {
            r->mt[0] = r->mt[MT_N - 1];
            i = 1;
        }
    }
    r->mt[0] = 0x80000000u;
    r->i = MT_N;
}

uint32_t pyrandom_u32(pyrandom *r)
{
    if (r->i >= MT_N) {
        for (int k = 0; k < MT_N; k++) {
            uint32_t y = (r->mt[k] & 0x80000000u) | (r->mt[(k + 1) % MT_N] & 0x7fffffffu);
            r->mt[k] = r->mt[(k + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        r->i = 0;
    }
    uint32_t y = r->mt[r->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* getrandbits(k) for 1 <= k <= 64: 32-bit words, least significant first. */
static uint64_t getrandbits(pyrandom *r, int k)
{
    if (k <= 32)
        return pyrandom_u32(r) >> (32 - k);
    uint64_t lo = pyrandom_u32(r);
    uint64_t hi = pyrandom_u32(r) >> (64 - k);
    return lo | (hi << 32);
}

uint64_t pyrandom_below(pyrandom *r, uint64_t n)
{
    int k = 64 - __builtin_clzll(n); /* n.bit_length() */
    uint64_t v = getrandbits(r, k);
    while (v >= n)
        v = getrandbits(r, k);
    return v;
}

void pyrandom_sample(pyrandom *r, size_t n, size_t k, size_t *out)
{
    size_t setsize = 21;
    if (k > 5)
        setsize += (size_t)pow(4.0, ceil(log((double)(k * 3)) / log(4.0)));
    if (n <= setsize) {
        size_t *pool = xmalloc((n + 1) * sizeof *pool);
        for (size_t i = 0; i < n; i++)
            pool[i] = i;
        for (size_t i = 0; i < k; i++) {
            size_t j = (size_t)pyrandom_below(r, n - i);
            out[i] = pool[j];
            pool[j] = pool[n - i - 1];
        }
        free(pool);
        return;
    }
    unsigned char *chosen = xcalloc(n, 1);
    for (size_t i = 0; i < k; i++) {
        size_t j = (size_t)pyrandom_below(r, n);
        while (chosen[j])
            j = (size_t)pyrandom_below(r, n);
        chosen[j] = 1;
        out[i] = j;
    }
    free(chosen);
}

void pyrandom_shuffle(pyrandom *r, size_t *x, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)pyrandom_below(r, i + 1);
        size_t t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
}
