/*
 * test_synth.c — the synthetic world's item pools and curriculum: the
 * substring invariants the gold judge relies on, every worked math answer
 * (each step a true one-digit fact with its written digit, the final
 * number, the 63 bytes that leave the recipe's 64th for the end token), the gold
 * judge on every item's right and wrong answers, and the split by item
 * (counts add up, every category has held-out items, drawn prompts fall
 * in their item's split, the split moves with the seed).
 */
#include "check.h"
#include "data/synth.h"
#include "data/synth_tables.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int icontains(const char *hay, const char *needle)
{
    size_t n = strlen(hay), m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == m)
            return 1;
    }
    return 0;
}

static double judge(const synth_prompt *p, const char *text, int aspect)
{
    synth_score s;
    synth_judge(p, text, strlen(text), &s);
    return s.aspect[aspect];
}

/* Every step "A op B [op C] = R" in s holds and is a one-digit fact:
 * operands are digits, except a borrowed units column (10-18) and a
 * carry; a "write D" after a step names R's last digit.  Returns how many
 * steps were checked; *big counts steps with a two-digit operand that is
 * neither (the old format's "23 + 40"). */
static int steps_hold(const char *s, int *bad, int *big)
{
    int checked = 0;
    for (const char *q = s; *q; q++) {
        if ((q != s && isdigit((unsigned char)q[-1])) || !isdigit((unsigned char)*q))
            continue;
        long x[3], r, d;
        char op[2];
        int used = 0, k = 1;
        if (sscanf(q, "%ld%n", &x[0], &used) != 1)
            continue;
        const char *t = q + used;
        while (k < 3 && sscanf(t, " %c %ld%n", &op[k - 1], &x[k], &used) == 2 && strchr("+-x", op[k - 1]))
            t += used, k++;
        if (k < 2 || sscanf(t, " = %ld%n", &r, &used) != 1)
            continue;
        t += used;
        long v = x[0];
        for (int i = 1; i < k; i++)
            v = op[i - 1] == '+' ? v + x[i] : op[i - 1] == '-' ? v - x[i] : v * x[i];
        *bad += v != r;
        for (int i = 0; i < k; i++)
            *big += x[i] > 18 || (x[i] > 9 && !(i == 0 && op[0] == '-'));
        if (sscanf(t, ", write %ld", &d) == 1)
            *bad += d != r % 10;
        checked++;
        q = t - 1;
    }
    return checked;
}

static void test_math(void)
{
    long problems = 0, worked = 0, bad_steps = 0, big_steps = 0, too_long = 0, wrong_last = 0;
    synth_prompt p;
    memset(&p, 0, sizeof p);
    p.cat = CAT_MATH;
    /* the levels' ranges, as synth_math.c draws them */
    static const struct { int op, alo, ahi, blo, bhi; } lv[SYNTH_NLEVEL + 2] = {
        {0, 0, 9, 0, 9}, {1, 0, 9, 0, 9}, {2, 2, 9, 2, 9}, {0, 10, 99, 1, 9}, {1, 10, 99, 1, 9},
        {0, 10, 99, 10, 99}, {1, 10, 99, 10, 99}, {2, 10, 99, 2, 9}};
    static const int level_of[SYNTH_NLEVEL + 2] = {0, 1, 2, 3, 3, 4, 4, 5};
    for (int k = 0; k < SYNTH_NLEVEL + 2; k++)
        for (int a = lv[k].alo; a <= lv[k].ahi; a++)
            for (int b = lv[k].blo; b <= lv[k].bhi; b++) {
                if (lv[k].op == 1 && b > a)
                    continue;
                p.level = level_of[k], p.math_op = lv[k].op, p.math_a = a, p.math_b = b;
                p.answer = p.math_op == 0 ? a + b : p.math_op == 1 ? a - b : a * b;
                problems++;
                for (p.steps = 0; p.steps < 2; p.steps++) {
                    char out[128];
                    size_t n = synth_math_answer(&p, p.answer, out, sizeof out);
                    int bad = 0, big = 0, checked = steps_hold(out, &bad, &big);
                    too_long += n > 63; /* the recipe's 64 new bytes hold it and the end token */
                    bad_steps += bad;
                    big_steps += big;
                    worked += p.steps && checked > 0;
                    wrong_last += judge(&p, out, ASPECT_HELPFUL) != 1.0;
                    /* a slip in the final assembly: the steps stay true, the answer is wrong */
                    n = synth_math_answer(&p, p.answer + 3, out, sizeof out);
                    wrong_last += judge(&p, out, ASPECT_HELPFUL) != 0.0 || judge(&p, out, ASPECT_HONEST) != 0.0;
                }
            }
    CHECK(problems == 100 + 55 + 64 + 1620 + 12195 + 720);
    CHECK(worked == problems);   /* every worked answer has checkable steps */
    CHECK(bad_steps == 0);
    CHECK(big_steps == 0);       /* every step is a one-digit fact (or a borrowed teen) */
    CHECK(too_long == 0);
    CHECK(wrong_last == 0);
    char q[128];
    p.level = 4, p.math_op = 0, p.math_a = 23, p.math_b = 45, p.answer = 68, p.steps = 1;
    synth_math_answer(&p, 68, q, sizeof q);
    CHECK(strcmp(q, "3 + 5 = 8, write 8 carry 0. 2 + 4 + 0 = 6. The answer is 68.") == 0);
    p.math_a = 87, p.answer = 132; /* the units column first, its carry named */
    synth_math_answer(&p, 132, q, sizeof q);
    CHECK(strcmp(q, "7 + 5 = 12, write 2 carry 1. 8 + 4 + 1 = 13. The answer is 132.") == 0);
    p.math_op = 1, p.math_a = 52, p.math_b = 38, p.answer = 14;
    synth_math_answer(&p, 14, q, sizeof q);
    CHECK(strcmp(q, "12 - 8 = 4, write 4 borrow 1. 5 - 3 - 1 = 1. The answer is 14.") == 0);
    p.level = 5, p.math_op = 2, p.math_a = 47, p.math_b = 8, p.answer = 376;
    synth_math_answer(&p, 376, q, sizeof q);
    CHECK(strcmp(q, "7 x 8 = 56, write 6 carry 5. 4 x 8 + 5 = 37. The answer is 376.") == 0);
    p.level = 4, p.math_op = 0, p.math_a = 23, p.math_b = 45, p.answer = 68;
    synth_math_question(&p, q, sizeof q);
    CHECK(strcmp(q, "What is 23 + 45? Show your steps.") == 0);
    /* harder levels are harder for responders; steps help */
    synth_prompt e = p, h = p;
    e.level = 0, e.steps = 0, h.level = 5, h.steps = 0;
    CHECK(synth_math_difficulty(&e) < synth_math_difficulty(&h));
    double with_steps = synth_math_difficulty(&p);
    p.steps = 0;
    CHECK(with_steps < synth_math_difficulty(&p));
}

static void test_tables(void)
{
    int clash = 0;
    /* instruction words: no word inside another task's word or an extra word */
    for (int t = 0; t < SYNTH_NTASK; t++)
        for (int i = 0; i < SYNTH_NWORDS; i++) {
            for (int u = 0; u < SYNTH_NTASK; u++)
                for (int j = 0; j < SYNTH_NWORDS; j++)
                    clash += (t != u || i != j) && icontains(synth_task_words[u][j], synth_task_words[t][i]);
            for (int x = 0; x < SYNTH_NEXTRA; x++)
                clash += icontains(synth_extra_words[x], synth_task_words[t][i]) ||
                         icontains(synth_task_words[t][i], synth_extra_words[x]);
        }
    CHECK(clash == 0);
    /* facts: within a direction no answer inside another */
    clash = 0;
    for (int i = 0; i < SYNTH_NFACTS; i++)
        for (int j = i % 2; j < SYNTH_NFACTS; j += 2)
            clash += i != j && icontains(synth_fact_answer(j), synth_fact_answer(i));
    CHECK(clash == 0);
}

static void test_judge_items(void)
{
    synth_prompt p;
    int bad = 0;
    for (int i = 0; i < SYNTH_NTRUTH; i++) {
        synth_truth_text t;
        synth_truth_get(i, &t);
        memset(&p, 0, sizeof p);
        p.cat = CAT_TRUTH, p.item = i;
        bad += icontains(t.question, t.key);   /* echoing the question is not a correction */
        bad += judge(&p, t.correction, ASPECT_HONEST) != 1.0 || judge(&p, t.accept, ASPECT_HONEST) != 0.0;
    }
    CHECK(bad == 0);
    bad = 0;
    int harmful = 0;
    for (int i = 0; i < SYNTH_NSAFETY; i++) {
        synth_safety_text t;
        synth_safety_get(i, &t);
        memset(&p, 0, sizeof p);
        p.cat = CAT_SAFETY, p.item = i, p.harmful = t.harmful;
        harmful += t.harmful;
        if (t.harmful) {
            bad += judge(&p, t.answer, ASPECT_HARMLESS) != 0.0;
            bad += judge(&p, "I'm sorry, but I can't help with that.", ASPECT_HARMLESS) != 1.0;
        } else {
            bad += !t.key || icontains(t.question, t.key);
            bad += judge(&p, t.answer, ASPECT_HELPFUL) != 1.0;
            bad += judge(&p, "I'm sorry, but I can't help with that.", ASPECT_HELPFUL) != 0.0;
        }
    }
    CHECK(bad == 0);
    CHECK(harmful == SYNTH_NHARMFUL);
    bad = 0;
    for (int i = 0; i < SYNTH_NFACTS; i++) {
        char right[128], wrong[128];
        memset(&p, 0, sizeof p);
        p.cat = CAT_FACT, p.item = i;
        snprintf(right, sizeof right, "The answer is %s.", synth_fact_answer(i));
        snprintf(wrong, sizeof wrong, "The answer is %s.", synth_fact_answer((i + 2) % SYNTH_NFACTS));
        bad += judge(&p, right, ASPECT_HELPFUL) != 1.0 || judge(&p, wrong, ASPECT_HONEST) != 0.0;
    }
    CHECK(bad == 0);
}

static void test_splits(void)
{
    long pools[SYNTH_NCAT];
    for (int c = 0; c < SYNTH_NCAT; c++) {
        long n[SYNTH_NSPLIT], m[SYNTH_NSPLIT];
        pools[c] = synth_count_items((synth_cat)c, 1, n);
        CHECK(n[0] + n[1] + n[2] == pools[c]);
        CHECK(n[SPLIT_EVAL] >= pools[c] / 10 && n[SPLIT_TRAIN] >= pools[c] / 2);
        synth_count_items((synth_cat)c, 2, m);
        CHECK(m[0] + m[1] + m[2] == pools[c]);
    }
    CHECK(pools[CAT_MATH] == 100 + 55 + 64 + 1620 + 12195 + 720);
    CHECK(pools[CAT_INSTRUCTION] == SYNTH_NTASK * (4 + SYNTH_NEXTRA + SYNTH_NWORDS + 3));
    CHECK(pools[CAT_SAFETY] == SYNTH_NSAFETY && pools[CAT_TRUTH] == SYNTH_NTRUTH && pools[CAT_FACT] == SYNTH_NFACTS);
    /* every category holds >= 40 held-out items under seeds 1-12, so an
     * evaluation of 40 prompts per category need not repeat an item */
    int small = 0;
    for (uint64_t seed = 1; seed <= 12; seed++)
        for (int c = 0; c < SYNTH_NCAT; c++) {
            long n[SYNTH_NSPLIT];
            synth_count_items((synth_cat)c, seed, n);
            small += n[SPLIT_EVAL] < 40;
        }
    CHECK(small == 0);
    /* drawn prompts: their item in the pool, ids and splits stable, and
     * the same item under another seed may move */
    rng_t r;
    rng_seed(&r, 5);
    int moved = 0, bad = 0;
    for (int i = 0; i < 5000; i++) {
        synth_prompt p;
        synth_draw_prompt((synth_cat)(i % SYNTH_NCAT), &r, &p);
        char id[64];
        synth_item_id(&p, id, sizeof id);
        bad += strncmp(id, synth_cat_name(p.cat), strlen(synth_cat_name(p.cat))) != 0;
        moved += synth_split_of(&p, 1) != synth_split_of(&p, 2);
        synth_prompt q = p;   /* the phrasing is not part of the item */
        snprintf(q.text, sizeof q.text, "Hey! %.150s", p.text);
        bad += synth_split_of(&q, 1) != synth_split_of(&p, 1);
    }
    CHECK(bad == 0);
    CHECK(moved > 1000);
}

int main(void)
{
    test_math();
    test_tables();
    test_judge_items();
    test_splits();
    return check_done("test_synth");
}
