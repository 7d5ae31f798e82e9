/*
 * test_reservoir.c — the bottom-k reservoir behind rec sample: it keeps
 * exactly the k smallest keys, lists them in arrival order, copies the
 * bytes (NULs included), and its choice does not depend on the order the
 * items arrive in.
 */
#include "check.h"
#include "base/reservoir.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define N 500

static uint64_t key_of(int id) { return hash64(&id, sizeof id, 1234); }

/* Offer ids in the given order; return the kept ids, sorted, in out. */
static size_t kept(const int *order, size_t k, int *out)
{
    reservoir r;
    reservoir_init(&r, k);
    for (int i = 0; i < N; i++) {
        char item[8] = {0, 'x', 0, 0};
        memcpy(item + 4, &order[i], 4);
        reservoir_offer(&r, key_of(order[i]), item, sizeof item);
    }
    const reservoir_item *it = reservoir_in_order(&r);
    size_t n = r.n;
    for (size_t i = 0; i < n; i++) {
        CHECK(it[i].len == 8 && it[i].data[0] == 0 && it[i].data[1] == 'x');
        memcpy(&out[i], it[i].data + 4, 4);
        if (i) CHECK(it[i - 1].index < it[i].index);   /* arrival order */
    }
    reservoir_free(&r);
    return n;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static int cmp_key(const void *a, const void *b)
{
    uint64_t x = key_of(*(const int *)a), y = key_of(*(const int *)b);
    return x < y ? -1 : x > y;
}

int main(void)
{
    int fwd[N], rev[N], byk[N], a[N], b[N];
    for (int i = 0; i < N; i++) fwd[i] = i, rev[i] = N - 1 - i, byk[i] = i;
    qsort(byk, N, sizeof *byk, cmp_key);   /* ids by key: the k first are the answer */

    size_t ks[] = {0, 1, 7, 100, N, N + 10};
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        size_t k = ks[t], want = k < N ? k : N;
        size_t na = kept(fwd, k, a), nb = kept(rev, k, b);
        CHECK(na == want && nb == want);
        /* arrival order: ascending ids for fwd */
        int asc = 1;
        for (size_t i = 1; i < na; i++) asc &= a[i - 1] < a[i];
        CHECK(asc);
        qsort(a, na, sizeof *a, cmp_int);
        qsort(b, nb, sizeof *b, cmp_int);
        CHECK(memcmp(a, b, na * sizeof *a) == 0);   /* order-independent */
        int smallest[N];
        memcpy(smallest, byk, want * sizeof *smallest);
        qsort(smallest, want, sizeof *smallest, cmp_int);
        CHECK(memcmp(a, smallest, want * sizeof *a) == 0);   /* the k smallest keys */
    }

    /* a newcomer with the root's key does not replace it */
    reservoir r;
    reservoir_init(&r, 1);
    reservoir_offer(&r, 5, "first", 5);
    reservoir_offer(&r, 5, "second", 6);
    reservoir_offer(&r, 9, "third", 5);
    const reservoir_item *it = reservoir_in_order(&r);
    CHECK(r.n == 1 && it[0].len == 5 && memcmp(it[0].data, "first", 5) == 0 && it[0].index == 1);
    reservoir_free(&r);
    return check_done("test_reservoir");
}
