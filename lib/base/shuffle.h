/*
 * shuffle.h — the one seeded shuffle of the project.
 *
 * A Fisher–Yates shuffle driven by rng_below (base/util.h): for i from n
 * down to 2, element i-1 trades places with a uniform one of the first i.
 * Every stage that shuffles (rec shuffle, the trainers' epochs, rollout's
 * prompt order, PPO's minibatches) calls this, so one seed gives one order
 * everywhere and the stream of random numbers it draws (n-1 calls of
 * rng_below) is part of the contract: changing it changes checkpoints.
 */
#ifndef PREFPIPE_SHUFFLE_H
#define PREFPIPE_SHUFFLE_H

#include "base/util.h"

#include <stddef.h>

/* Shuffle the n elements of `size` bytes at base in place. */
void rng_shuffle(rng_t *r, void *base, size_t n, size_t size);

/* perm[0..n) = 0..n-1 in an order drawn from r (rng_shuffle of the
 * identity). */
void rng_permutation(rng_t *r, size_t *perm, size_t n);

#endif
