/*
 * reservoir.h — keep k items chosen uniformly from a stream of unknown
 * length, reproducibly: a bottom-k reservoir.
 *
 * Each offered item comes with a 64-bit key, normally a seeded hash of
 * the item's identity.  The reservoir keeps the k items with the smallest
 * keys, so with hash keys the choice is a uniform
 * sample that depends only on the seed and the identities, never on the
 * order the items arrive in; rec sample is built on it.  Memory: k items.
 * The kept items are copies, owned by the reservoir; reservoir_in_order()
 * then lists them in arrival order.
 */
#ifndef PREFPIPE_RESERVOIR_H
#define PREFPIPE_RESERVOIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key, index;   /* index: 1-based arrival number */
    char *data;
    size_t len;
} reservoir_item;

typedef struct {
    reservoir_item *h;     /* max-heap on (key, index) until in_order */
    size_t n, k;
    uint64_t seen;
} reservoir;

void reservoir_init(reservoir *r, size_t k);
/* Offer one item (copied if kept). */
void reservoir_offer(reservoir *r, uint64_t key, const char *data, size_t len);
/* The kept items (r->n of them) in arrival order; offer no more after. */
const reservoir_item *reservoir_in_order(reservoir *r);
void reservoir_free(reservoir *r);

#endif
