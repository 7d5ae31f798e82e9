/*
 * test_compare.c — eval/compare: the normal quantile against known values;
 * a paired difference whose bootstrap distribution is known exactly (every
 * prompt differs by the same amount, so every resample gives it); the
 * analytic within-seed variance of the category-averaged difference.
 */
#include "check.h"
#include "eval/compare.h"

#include <math.h>
#include <string.h>

int main(void)
{
    CHECK_NEAR(cmp_norm_quantile(0.975), 1.959963984540054, 1e-12);
    CHECK_NEAR(cmp_norm_quantile(0.8), 0.8416212335729143, 1e-12);
    CHECK_NEAR(cmp_norm_quantile(0.5), 0, 1e-15);
    CHECK_NEAR(cmp_norm_quantile(0.025), -1.959963984540054, 1e-12);

    /* b = a + 0.1 on every prompt: the difference is 0.1 in every resample */
    cmp_set *s = cmp_new();
    const char *ids[] = {"p1", "p2", "p3", "p4"};
    double x[] = {0.2, 0.5, 0.7, 0.9};
    for (int seed = 0; seed < 2; seed++)
        for (int i = 0; i < 4; i++) {
            const char *sd = seed ? "2" : "1";
            cmp_add(s, "a", sd, ids[i], 2, i < 2 ? "u" : "v", 1, x[i] + seed * 0.05);
            cmp_add(s, "b", sd, ids[i], 2, i < 2 ? "u" : "v", 1, x[i] + seed * 0.05 + 0.1);
        }
    cmp_result r[2];
    char err[256];
    CHECK(cmp_run(s, NULL, 500, 1, 0.02, 0.8, r, err, sizeof err) == 0);
    CHECK(!strcmp(r[0].arm, "a") && !strcmp(r[1].arm, "b"));
    CHECK_NEAR(r[1].diff, 0.1, 1e-12);
    CHECK_NEAR(r[1].lo, 0.1, 1e-12);
    CHECK_NEAR(r[1].hi, 0.1, 1e-12);
    CHECK_NEAR(r[1].p_le0, 0, 0);
    CHECK_NEAR(r[0].mean, (0.35 + 0.8) / 2 + 0.025, 1e-12);
    CHECK_NEAR(r[1].sigma_item, 0, 1e-12);
    CHECK(r[1].seeds_needed == 2 && r[1].items_needed == 1);
    cmp_free(s);

    /* one seed, one category, differences 0 and 1: Var(e) = var / n =
     * 0.5 / 2, so sigma_item^2 = N Var(e) = 0.5 */
    s = cmp_new();
    cmp_add(s, "a", "1", "p1", 2, "u", 1, 0);
    cmp_add(s, "a", "1", "p2", 2, "u", 1, 0);
    cmp_add(s, "b", "1", "p1", 2, "u", 1, 0);
    cmp_add(s, "b", "1", "p2", 2, "u", 1, 1);
    CHECK(cmp_run(s, "a", 100, 1, 0.02, 0.8, r, err, sizeof err) == 0);
    CHECK_NEAR(r[1].sigma_item, sqrt(0.5), 1e-12);
    CHECK(isnan(r[1].sigma_seed) && r[1].seeds_needed == 0);
    cmp_free(s);

    /* a prompt only one arm has */
    s = cmp_new();
    cmp_add(s, "a", "1", "p1", 2, "u", 1, 0);
    cmp_add(s, "b", "1", "p9", 2, "u", 1, 0);
    CHECK(cmp_run(s, NULL, 10, 1, 0.02, 0.8, r, err, sizeof err) < 0 && strstr(err, "different prompts"));
    cmp_free(s);
    return check_done("test_compare");
}
