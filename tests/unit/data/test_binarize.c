/*
 * test_binarize.c — pair selection: scores (overall, mean of aspects with
 * N/A and exclusions, one aspect, rank), rejected rules, ties, margins,
 * model filters, K pairs, determinism.
 */
#include "data/binarize.h"
#include "check.h"

#include <string.h>

static rated_t r;

static void add(const char *text, const char *model, double overall, double help, double hon, int hon_valid,
                double verb, long rank)
{
    completion_t *c = rated_add(&r, text, strlen(text));
    c->model = model;
    c->mlen = strlen(model);
    c->overall = overall;
    c->has_overall = overall >= 0;
    c->rank = rank;
    rated_rate(&r, "helpfulness", 11, help, 1);
    rated_rate(&r, "honesty", 7, hon, hon_valid);
    rated_rate(&r, "verbosity", 9, verb, 1);
}

int main(void)
{
    rated_init(&r);
    add("A", "gpt-4", 6, 5, 5, 1, 0, 2);
    add("B", "alpaca-7b", 9, 1, 0, 0, 4, 1);   /* honesty N/A */
    add("C", "bard", 7, 4, 4, 1, 1, 3);
    add("D", "pythia-12b", 2, 2, 2, 1, 4, 4);

    bin_config c;
    bin_stats st = {0};
    bin_pair p[4];

    bin_config_default(&c);
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1);
    CHECK(p[0].chosen == 1);                         /* overall 9 */
    CHECK(p[0].rejected != 1);

    bin_parse_score("mean-aspects", &c);
    memset(&st, 0, sizeof st);
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1);
    /* means: A (5+5+0)/3, B (1+4)/2 (N/A out), C 3, D 8/3 */
    CHECK(p[0].chosen == 0);
    CHECK(st.na_ratings == 1);

    static const char *const excl[] = {"verbosity"};
    c.exclude = excl;
    c.nexclude = 1;
    c.rejected = REJ_WORST;
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1);
    CHECK(p[0].chosen == 0 && p[0].rejected == 1);   /* B: helpfulness 1 only */
    CHECK_NEAR(p[0].margin, 4.0, 1e-12);

    c.rejected = REJ_NEXT_BEST;
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1);
    CHECK(p[0].rejected == 2);                       /* C: 4 */

    bin_parse_score("aspect:helpfulness", &c);
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1 && p[0].chosen == 0 && p[0].rejected == 2);

    bin_parse_score("rank", &c);
    c.rejected = REJ_WORST;
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1);
    CHECK(p[0].chosen == 1 && p[0].rejected == 3);
    CHECK_NEAR(p[0].margin, 3.0, 1e-12);

    /* min margin leaves only D below the chosen by >= 3 (overall: 9 vs 6,7,2) */
    bin_config_default(&c);
    c.min_margin = 4;
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1 && p[0].rejected == 3);
    c.min_margin = 100;
    memset(&st, 0, sizeof st);
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 0 && st.below_margin == 1);

    /* K pairs: distinct rejected, same chosen */
    bin_config_default(&c);
    c.pairs_per_prompt = 3;
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 3);
    CHECK(p[0].rejected != p[1].rejected && p[1].rejected != p[2].rejected && p[0].rejected != p[2].rejected);
    CHECK(p[0].chosen == 1 && p[2].chosen == 1);

    /* model filter (App. E) */
    static const char *const top[] = {"gpt-4", "bard"};
    bin_config_default(&c);
    c.models = top;
    c.nmodels = 2;
    memset(&st, 0, sizeof st);
    CHECK(binarize(&c, &r, "x", 1, p, &st) == 1 && p[0].chosen == 2 && p[0].rejected == 0);
    CHECK(st.model_filtered == 2);

    /* random rejected: deterministic per (id, seed), varies across seeds */
    bin_config_default(&c);
    size_t first = 0, differs = 0;
    for (uint64_t seed = 0; seed < 32; seed++) {
        c.seed = seed;
        binarize(&c, &r, "id-1", 4, p, &st);
        size_t a = p[0].rejected;
        binarize(&c, &r, "id-1", 4, p, &st);
        CHECK(p[0].rejected == a);
        if (seed == 0)
            first = a;
        else if (a != first)
            differs = 1;
    }
    CHECK(differs);

    /* ties */
    rated_clear(&r);
    add("A", "m", 5, 1, 1, 1, 1, 0);
    add("B", "m", 5, 1, 1, 1, 1, 0);
    bin_config_default(&c);
    memset(&st, 0, sizeof st);
    CHECK(binarize(&c, &r, "t", 1, p, &st) == 0 && st.all_tied == 1);
    c.keep_ties = 1;
    CHECK(binarize(&c, &r, "t", 1, p, &st) == 1 && p[0].chosen == 0 && p[0].margin == 0);

    /* fewer than two scored */
    rated_clear(&r);
    add("A", "m", -1, 1, 1, 1, 1, 0);
    add("B", "m", 3, 1, 1, 1, 1, 0);
    bin_config_default(&c);
    memset(&st, 0, sizeof st);
    CHECK(binarize(&c, &r, "t", 1, p, &st) == 0 && st.too_few == 1 && st.unscored == 1);

    /* more than 16 completions (heap path) */
    rated_clear(&r);
    char names[40][12];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "%d", i);
        add(names[i], "m", i, 1, 1, 1, 1, 0);
    }
    c.rejected = REJ_WORST;
    CHECK(binarize(&c, &r, "big", 3, p, &st) == 1 && p[0].chosen == 39 && p[0].rejected == 0);

    rated_free(&r);
    return check_done("test_binarize");
}
