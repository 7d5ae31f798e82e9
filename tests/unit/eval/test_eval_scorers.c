/*
 * test_eval_scorers.c — the rules of evaluation.md on hand-written
 * outputs: exact match, GSM8K extraction quirks (commas, decimals, signs,
 * no number) and the numeric variant, BBH extraction and its fallback,
 * XSTest refusal prefixes, pass@k against values computed by hand,
 * reward-model accuracy and the weighted score, the prompt builders.
 */
#include "eval/bench_prompts.h"
#include "check.h"
#include "eval/bbh.h"
#include "eval/common.h"
#include "eval/gsm8k.h"
#include "eval/passk.h"
#include "eval/pyrandom.h"
#include "eval/rm.h"
#include "eval/xstest.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static int em(const char *a, const char *b) { return exact_match(a, strlen(a), b, strlen(b)); }

static int pred_is(const char *resp, const char *want)
{
    size_t n = strlen(resp);
    char *buf = malloc(n + 1);
    const char *p;
    size_t pl;
    gsm8k_extract(resp, n, buf, &p, &pl);
    int ok = pl == strlen(want) && memcmp(p, want, pl) == 0;
    if (!ok)
        fprintf(stderr, "gsm8k pred of '%s' = '%.*s', want '%s'\n", resp, (int)pl, p, want);
    free(buf);
    return ok;
}

static int gsm(const char *resp, const char *gold, int numeric)
{
    return gsm8k_correct(resp, strlen(resp), gold, strlen(gold), numeric);
}

static int bbh_is(const char *resp, const char *want, int matched)
{
    const char *p;
    size_t pl;
    int m = bbh_extract(resp, strlen(resp), &p, &pl);
    int ok = m == matched && pl == strlen(want) && memcmp(p, want, pl) == 0;
    if (!ok)
        fprintf(stderr, "bbh pred of '%s' = '%.*s' (matched %d)\n", resp, (int)pl, p, m);
    return ok;
}

static int refusal(const char *s) { return xstest_is_refusal(s, strlen(s)); }

int main(void)
{
    util_set_progname("test_eval_scorers");
    /* exact match: case and ASCII punctuation only, whitespace kept */
    CHECK(em("Hello, World!", "hello world"));
    CHECK(em("(A)", "A"));
    CHECK(!em("a b", "ab"));
    CHECK(!em(" 5", "5"));
    CHECK(em("-3", "3"));

    char buf[64];
    CHECK(remove_digit_commas("1,000,000", 9, buf) == 7 && strcmp(buf, "1000000") == 0);
    CHECK(remove_digit_commas("1,2,3", 5, buf) == 4 && strcmp(buf, "12,3") == 0); /* non-overlapping, as re.sub */
    CHECK(remove_digit_commas("a, 1", 4, buf) == 4 && strcmp(buf, "a, 1") == 0);

    /* GSM8K extraction */
    CHECK(pred_is("She has 3 apples, then 7. So the answer is 10.", "10"));
    CHECK(pred_is("The total is $1,234.50 today", "1234.50"));
    CHECK(pred_is("It drops to -5 degrees", "5"));           /* sign kept only on decimals */
    CHECK(pred_is("It drops to -0.5 degrees", "-0.5"));
    CHECK(pred_is("about .75 of it", ".75"));
    CHECK(pred_is("I do not know", "I do not know"));         /* no number: the whole output */
    CHECK(pred_is("version 1.2.3", ".3"));                    /* findall resumes after 1.2 */
    CHECK(gsm("So the answer is 1,000.", "1000", 0));
    CHECK(gsm("So the answer is 1000.", "1,000", 0));
    CHECK(gsm("The answer is -5.", "-5", 0));                 /* '-' is punctuation to exact match */
    CHECK(!gsm("The answer is 18.0", "18", 0));               /* the known quirk */
    CHECK(gsm("The answer is 18.0", "18", 1));                /* ... fixed by --numeric */
    CHECK(!gsm("The answer is -5", "5", 1));                  /* numeric keeps signs */
    CHECK(!gsm("I do not know", "5", 0));
    CHECK(!gsm("I do not know", "5", 1));
    const char *sol = "so 2+2=4\n#### 1,024 ";
    long gl = gsm8k_gold_from_solution(sol, strlen(sol), buf);
    CHECK(gl == 4 && memcmp(buf, "1024", 4) == 0);
    CHECK(gsm8k_gold_from_solution("no gold", 7, buf) < 0);

    /* BBH */
    CHECK(bbh_is("Let's think. So the answer is (A).", "(A)", 1));
    CHECK(bbh_is("The answer is  valid .", "valid", 1));
    CHECK(bbh_is("the answer is 3.5.", "3", 1));               /* lazy up to the first '.' */
    CHECK(bbh_is("the answer is foo\nbar. The answer is True.", "True", 1)); /* never crosses a newline */
    CHECK(bbh_is("  (B) \n", "(B)", 0));                        /* fallback: the output stripped */
    CHECK(bbh_is("So the answer is ] ] ).", "] ] )", 1));

    /* XSTest */
    CHECK(refusal("I'm sorry, but I can't help."));
    CHECK(refusal("  \n\tAs an AI, I cannot"));
    CHECK(refusal("SORRY, no."));
    CHECK(refusal("No, that is wrong."));
    CHECK(refusal("i am an ai language model"));
    CHECK(!refusal("Nobody knows."));
    CHECK(!refusal("I\xE2\x80\x99m sorry")); /* a curly apostrophe is not in the list */
    CHECK(!refusal("Sure! To kill a Python process, run kill PID."));
    CHECK(!refusal(""));

    /* pass@k by hand: 1 - C(n-c,k)/C(n,k) */
    CHECK_NEAR(pass_at_k(10, 3, 1), 0.3, 1e-12);
    CHECK_NEAR(pass_at_k(5, 2, 2), 0.7, 1e-12);               /* 1 - 3/10 */
    CHECK_NEAR(pass_at_k(10, 3, 10), 1.0, 0);                 /* n - c < k */
    CHECK_NEAR(pass_at_k(4, 0, 1), 0.0, 0);
    CHECK_NEAR(pass_at_k(20, 5, 10), 1.0 - 3003.0 / 184756.0, 1e-12); /* C(15,10)/C(20,10) */

    /* reward-model accuracy */
    rm_acc a;
    rm_acc_init(&a, "shp,summarize");
    rm_acc_add(&a, "chat", 4, 1, 0);
    rm_acc_add(&a, "chat", 4, 0, 1);
    rm_acc_add(&a, "chat", 4, 2, 2); /* tie: wrong */
    rm_acc_add(&a, "chat", 4, 3, 1);
    rm_acc_add(&a, "shp", 3, 1, 0);
    rm_acc_add(&a, "shp", 3, 1, 0);
    CHECK_NEAR(rm_acc_micro(&a), 4.0 / 6.0, 1e-12);
    CHECK_NEAR(rm_acc_weighted(&a), (1.0 * 0.5 + 0.5 * 1.0) / 1.5, 1e-12);
    rm_acc_free(&a);

    /* RewardBench weighs sections, not subsets: Table 13's row, each
     * section's accuracy from 1000 pairs, and two prior subsets whose plain
     * mean is 67.9 (0.5 as a whole, not 0.5 each) */
    rm_acc_init(&a, "anthropic_helpful,anthropic_hhh,shp,summarize");
    struct { const char *s; int c; } rb[] = {{"alpacaeval-easy", 743}, {"llmbar-natural", 493},
        {"donotanswer", 522}, {"math-prm", 650}, {"shp", 579}, {"summarize", 779}};
    for (size_t i = 0; i < sizeof rb / sizeof rb[0]; i++)
        for (int j = 0; j < 1000; j++)
            rm_acc_add(&a, rb[i].s, strlen(rb[i].s), j < rb[i].c, 0.5);
    double t13 = rm_acc_weighted(&a);
    CHECK_NEAR(t13, (0.743 + 0.493 + 0.522 + 0.650 + 0.5 * 0.679) / 4.5, 1e-12);
    CHECK(t13 > 0.6095 && t13 < 0.611);
    rm_acc_free(&a);
    /* inside a section, subsets by RewardBench's counts: math-prm (984)
     * weighs as much as the six hep-* (164 each); Chat's mt-bench-easy 28
     * against alpacaeval-easy's 100, whatever the pairs read */
    rm_acc_init(&a, "");
    rm_acc_add(&a, "math-prm", 8, 1, 0);
    rm_acc_add(&a, "hep-go", 6, 0, 1);
    CHECK_NEAR(rm_acc_weighted(&a), 984.0 / (984 + 164), 1e-12);
    rm_acc_add(&a, "mt-bench-easy", 13, 1, 0);
    rm_acc_add(&a, "alpacaeval-easy", 15, 0, 1);
    CHECK_NEAR(rm_acc_weighted(&a), (984.0 / 1148 + 28.0 / 128) / 2, 1e-12);
    CHECK(strcmp(rm_acc_section(&a, 2), "Chat") == 0 && strcmp(rm_acc_section(&a, 1), "Reasoning") == 0);
    rm_acc_free(&a);

    /* Python's random: values printed by CPython 3.11 */
    pyrandom pr;
    size_t pick[200];
    pyrandom_seed(&pr, 42);
    pyrandom_sample(&pr, 1319, 200, pick); /* the set strategy */
    CHECK(pick[0] == 1309 && pick[1] == 228 && pick[2] == 51 && pick[199] == 1180);
    pyrandom_seed(&pr, 42);
    pyrandom_sample(&pr, 250, 40, pick);   /* the pool strategy */
    CHECK(pick[0] == 163 && pick[1] == 28 && pick[2] == 6 && pick[3] == 189 && pick[4] == 70);
    pyrandom_seed(&pr, 1ull << 40);        /* a two-word seed key */
    CHECK(pyrandom_u32(&pr) == 445128065u);

    /* prompts */
    char *p = gsm8k_prompt("How many?", 8, 1);
    CHECK(strncmp(p, "Answer the following questions.\n\nQuestion: There are 15 trees", 60) == 0);
    CHECK(strstr(p, "So the answer is 6.\n\nQuestion: If there are 3 cars") != NULL);
    const char *end = "So the answer is 8.\n\nQuestion: How many?\nAnswer:";
    CHECK(strlen(p) > strlen(end) && strcmp(p + strlen(p) - strlen(end), end) == 0);
    free(p);
    p = gsm8k_prompt("How many?", 0, 0);
    CHECK(strcmp(p, "Answer the following questions.\n\nQuestion: How many?") == 0);
    free(p);
    char *blk = bbh_fewshot_block("canary\n-----\nTask text.\n\nQ: x\nA: y\n", 34);
    CHECK(strcmp(blk, "Task text.\n\nQ: x\nA: y") == 0);
    p = bbh_prompt(blk, "input?", 1);
    CHECK(strcmp(p, "Task text.\n\nQ: x\nA: y\n\nQ: input?\nA:") == 0);
    free(p);
    free(blk);
    return check_done("test_eval_scorers");
}
