/*
 * synth_math.c — the world's arithmetic curriculum (synth_tables.h).
 *
 * Six levels, drawn uniformly, so that a small policy meets problems it
 * can learn (one-digit facts) beside ones it must compose from them:
 *
 *   1  one-digit +        a, b in 0..9                   100 problems
 *   2  one-digit -        0 <= b <= a <= 9                 55
 *   3  one-digit x        a, b in 2..9                     64
 *   4  two-digit +- one   a in 10..99, b in 1..9          1,620
 *   5  two-digit +- two   a, b in 10..99 (a >= b for -)  12,195
 *   6  two-digit x one    a in 10..99, b in 2..9           720
 *
 * Half the prompts ask "Show your steps."; a worked two-digit answer goes
 * column by column, least-significant first, one digit fact per step with
 * the carry (or borrow) named ("47 + 38": "7 + 8 = 15, write 5 carry 1.
 * 4 + 3 + 1 = 8. The answer is 85.").  So every one-digit fact appears in
 * the steps of many training problems, a held-out problem is made of facts
 * trained elsewhere, and its new part is copying the prompt's digits, one
 * at a time, which attention learns (README, "The world": a tiny policy
 * copies the operands after ~1000 math updates; the old steps,
 * "23 + 40 = 63, 63 + 5 = 68", were themselves multi-digit sums).  A
 * problem (op, a, b) is one item:
 * asked with or without steps it stays in one split.  Responders err more
 * on harder levels and less when they work the steps
 * (synth_math_difficulty scales their base error rate 1 - p_correct);
 * a wrong answer is a slip in the final assembly: the steps stay true.
 * Every worked answer fits the recipe's 64 new bytes with the end token
 * (at most 63: "7 + 5 = 12, write 2 carry 1. 8 + 4 + 1 = 13. The answer
 * is 132.").
 */
#include "synth_tables.h"

#include <stdio.h>

const char *const synth_level_names[SYNTH_NLEVEL] = {"1-digit +", "1-digit -", "1-digit x",
                                                     "2-digit +- 1-digit", "2-digit +- 2-digit",
                                                     "2-digit x 1-digit"};

static const double level_difficulty[SYNTH_NLEVEL] = {0.2, 0.3, 0.5, 0.8, 1.0, 1.2};

static int draw_in(rng_t *r, int lo, int hi) { return lo + (int)rng_below(r, (uint64_t)(hi - lo + 1)); }

void synth_math_draw(rng_t *r, synth_prompt *p)
{
    int level = (int)rng_below(r, SYNTH_NLEVEL), op, a, b;
    switch (level) {
    case 0: op = 0, a = draw_in(r, 0, 9), b = draw_in(r, 0, 9); break;
    case 1: op = 1, a = draw_in(r, 0, 9), b = draw_in(r, 0, a); break;
    case 2: op = 2, a = draw_in(r, 2, 9), b = draw_in(r, 2, 9); break;
    case 3: op = (int)rng_below(r, 2), a = draw_in(r, 10, 99), b = draw_in(r, 1, 9); break;
    case 4:
        op = (int)rng_below(r, 2), a = draw_in(r, 10, 99);
        b = op == 1 ? draw_in(r, 10, a) : draw_in(r, 10, 99);
        break;
    default: op = 2, a = draw_in(r, 10, 99), b = draw_in(r, 2, 9); break;
    }
    p->level = level;
    p->math_op = op, p->math_a = a, p->math_b = b;
    p->answer = op == 0 ? a + b : op == 1 ? a - b : a * b;
    p->steps = (int)rng_below(r, 2);
}

static const char *const op_word[3] = {"+", "-", "times"};
static const char *const op_sym[3] = {"+", "-", "x"};

void synth_math_question(const synth_prompt *p, char *buf, size_t cap)
{
    snprintf(buf, cap, "What is %d %s %d?%s", p->math_a, op_word[p->math_op], p->math_b,
             p->steps ? " Show your steps." : "");
}

double synth_math_difficulty(const synth_prompt *p)
{
    return level_difficulty[p->level] * (p->steps ? 0.6 : 1.0);
}

/* The column steps of a two-digit problem (levels 4-6), least-significant
 * column first: the units fact with the digit written and the carry (or
 * borrow) named, then the tens fact with the carry added (or the borrow
 * taken).  Every step is a one-digit fact of the operands' digits (a
 * one-digit b has tens digit 0; a borrowed units column is "1u - b"), so
 * the two-digit levels are made of the facts levels 1-3 teach and digits
 * copied from the prompt; the answer is the tens result followed by the
 * written digit. */
static int column_steps(int op, int a, int b, char *out, size_t cap)
{
    int ua = a % 10, ta = a / 10, ub = b % 10, tb = b / 10;
    if (op == 0) {
        int s = ua + ub, c = s / 10;
        return snprintf(out, cap, "%d + %d = %d, write %d carry %d. %d + %d + %d = %d.", ua, ub, s, s % 10, c, ta, tb,
                        c, ta + tb + c);
    }
    if (op == 1) {
        int c = ua < ub, top = ua + 10 * c;
        return snprintf(out, cap, "%d - %d = %d, write %d borrow %d. %d - %d - %d = %d.", top, ub, top - ub, top - ub,
                        c, ta, tb, c, ta - tb - c);
    }
    int m = ua * b, c = m / 10; /* two-digit x one-digit */
    return snprintf(out, cap, "%d x %d = %d, write %d carry %d. %d x %d + %d = %d.", ua, b, m, m % 10, c, ta, b, c,
                    ta * b + c);
}

size_t synth_math_answer(const synth_prompt *p, int v, char *out, size_t cap)
{
    int a = p->math_a, b = p->math_b, op = p->math_op, n = 0;
    if (!p->steps) {
        n = snprintf(out, cap, "The answer is %d.", v);
    } else if (p->level < 3) { /* a one-digit fact */
        n = snprintf(out, cap, "%d %s %d = %d. The answer is %d.", a, op_sym[op], b, v, v);
    } else {
        /* A wrong answer (v != the true one) is a slip in the final
         * assembly: the steps stay true, the last number is v. */
        n = column_steps(op, a, b, out, cap);
        if (n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, " The answer is %d.", v);
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
