/*
 * test_eval_boot.c — the bootstrap helpers on hand-computed cases (weighted
 * means, the mean over strata leaving out empty strata, the percentile
 * interval of a degenerate and of a spread sample, determinism in the
 * seed), Python's random.shuffle (values from CPython 3.11),
 * TruthfulQA's answer post-processing, and AlpacaEval's length-controlled
 * rate under resample counts: the weighted fit equals the plain fit on the
 * items repeated that many times (what a resample is), its unweighted
 * form is the scorer's number bit for bit, and a resample whose fit
 * fails gives no interval.
 */
#include "check.h"
#include "eval/alpaca.h"
#include "eval/boot.h"
#include "eval/pyrandom.h"
#include "eval/truthfulqa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static boot_items items;
static size_t units(void *st) { (void)st; return items.n; }
static double reweigh(void *st, const uint32_t *w) { (void)st; return boot_mean(&items, w); }
static const eval_task fake = {"fake", "fake", NULL, NULL, NULL, NULL, units, reweigh, NULL};

static double nan_at_third(void *ctx, const uint32_t *w)
{
    int *k = ctx;
    (void)w;
    return ++*k == 3 ? NAN : 0.5;
}

static int trims_to(const char *in, int plain, const char *want)
{
    size_t n;
    char *a = truthfulqa_answer(in, strlen(in), plain, &n);
    int ok = n == strlen(want) && strcmp(a, want) == 0;
    if (!ok)
        fprintf(stderr, "trim(%s) = [%s], want [%s]\n", in, a, want);
    free(a);
    return ok;
}

int main(void)
{
    boot_items b = {0};
    boot_add(&b, 1, 0), boot_add(&b, 0, 0), boot_add(&b, 1, 1), boot_add(&b, 1, 2);
    uint32_t w1[4] = {1, 1, 1, 1}, w2[4] = {3, 1, 0, 2};
    CHECK_NEAR(boot_mean(&b, w1), 0.75, 1e-15);
    CHECK_NEAR(boot_mean(&b, w2), 5.0 / 6, 1e-15);
    CHECK(b.nstrata == 3);
    CHECK_NEAR(boot_strata_mean(&b, w1), (0.5 + 1 + 1) / 3, 1e-15);
    CHECK_NEAR(boot_strata_mean(&b, w2), (0.75 + 1) / 2, 1e-15); /* stratum 1 has weight 0: left out */
    boot_free(&b);

    /* all values equal: the interval is that value */
    for (int i = 0; i < 20; i++)
        boot_add(&items, 0.5, 0);
    boot_result r, r2;
    CHECK(boot_interval(&fake, NULL, 200, 42, &r) == 0 && r.lo == 0.5 && r.hi == 0.5 && r.n == 20);
    boot_free(&items);
    /* 100 items, 30 ones: the mean's interval is about 0.3 +- 1.96 * 0.046 */
    for (int i = 0; i < 100; i++)
        boot_add(&items, i < 30, 0);
    CHECK(boot_interval(&fake, NULL, 2000, 42, &r) == 0);
    CHECK(r.lo > 0.19 && r.lo < 0.23 && r.hi > 0.37 && r.hi < 0.41 && r.lo <= r.hi);
    CHECK(boot_interval(&fake, NULL, 2000, 42, &r2) == 0 && r2.lo == r.lo && r2.hi == r.hi);
    boot_free(&items);
    boot_add(&items, 1, 0);
    CHECK(boot_interval(&fake, NULL, 100, 42, &r) < 0); /* one item: no interval */
    boot_free(&items);

    /* random.seed(42); random.shuffle(list(range(10))) in CPython 3.11 */
    pyrandom pr;
    pyrandom_seed(&pr, 42);
    size_t x[10], want[10] = {7, 3, 2, 8, 5, 6, 9, 4, 0, 1};
    for (size_t i = 0; i < 10; i++)
        x[i] = i;
    pyrandom_shuffle(&pr, x, 10);
    CHECK(memcmp(x, want, sizeof x) == 0);
    pyrandom_seed(&pr, 7);
    size_t y[3] = {0, 1, 2}, wy[3] = {2, 0, 1};
    pyrandom_shuffle(&pr, y, 3);
    CHECK(memcmp(y, wy, sizeof y) == 0);

    /* open-instruct's trim_answer, and the plain setting's "\n\n" stop */
    CHECK(trims_to("  A: Paris.  ", 0, "Paris."));
    CHECK(trims_to("Paris.\n\nIt is in France.\nQ: Next?", 0, "Paris. It is in France."));
    CHECK(trims_to("Paris.\n\nIt is in France.", 1, "Paris."));
    CHECK(trims_to("A:B", 0, "B"));
    CHECK(trims_to("Q: only a question", 0, ""));
    CHECK(trims_to("", 1, ""));

    /* LC under counts: 7 items, counts {0,2,1,3,0,1,2} vs the 9 repeated */
    {
        double y[7] = {0.9, 0.1, 0.6, 0.3, 1.0, 0.0, 0.45}, dl[7] = {-300, 40, -120, 500, -10, 260, 75};
        double dd[7] = {0.2, -1.1, 0.4, 0.9, -0.3, 1.5, 0.0};
        uint32_t cnt[7] = {0, 2, 1, 3, 0, 1, 2};
        double ry[9], rdl[9], rdd[9], w1[3], w2[3];
        size_t m = 0;
        for (int i = 0; i < 7; i++)
            for (uint32_t c = 0; c < cnt[i]; c++)
                ry[m] = y[i], rdl[m] = dl[i], rdd[m] = dd[i], m++;
        CHECK(m == 9);
        for (int with_d = 0; with_d < 2; with_d++) {
            double a = alpaca_lc(y, dl, with_d ? dd : NULL, cnt, 7, w1);
            double b2 = alpaca_lc(ry, rdl, with_d ? rdd : NULL, NULL, 9, w2);
            CHECK(a == a && a > 0 && a < 1);
            CHECK_NEAR(a, b2, 1e-12);
            CHECK_NEAR(w1[0], w2[0], 1e-9);
            CHECK_NEAR(w1[2], w2[2], 1e-9);
        }
        uint32_t ones[7] = {1, 1, 1, 1, 1, 1, 1};
        double a = alpaca_lc(y, dl, dd, NULL, 7, w1), b2 = alpaca_lc(y, dl, dd, ones, 7, w2);
        CHECK(a == b2 && w1[0] == w2[0] && w1[1] == w2[1] && w1[2] == w2[2]); /* bit for bit */
        double same[7] = {5, 5, 5, 5, 5, 5, 5};
        CHECK(alpaca_lc(y, same, NULL, NULL, 7, w1) != alpaca_lc(y, same, NULL, NULL, 7, w1)); /* no spread: NaN */
    }
    {
        int k = 0;
        boot_result r;
        CHECK(boot_fn_interval(10, nan_at_third, &k, 50, 1, &r) < 0 && k == 50);
    }
    return check_done("test_eval_boot");
}
