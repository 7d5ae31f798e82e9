/*
 * bench_prompts.c — prompt builders and the GSM8K exemplars (see
 * bench_prompts.h).  The eight exemplars are the chain-of-thought
 * demonstrations of Wei et al. (2022, Table 20), as used by the paper's
 * evaluation code: each renders as
 *   "Question: " q "\nAnswer: " chain " So the answer is " N "."
 * and they are joined by blank lines.
 */
#include "eval/bench_prompts.h"
#include "eval/common.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <string.h>

const gsm8k_exemplar gsm8k_exemplars[GSM8K_MAX_SHOTS] = {
    {"There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, "
     "there will be 21 trees. How many trees did the grove workers plant today?",
     "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have "
     "been 21 - 15 = 6.",
     "6"},
    {"If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
     "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5.", "5"},
    {"Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
     "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, "
     "they had 74 - 35 = 39.",
     "39"},
    {"Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did "
     "Jason give to Denny?",
     "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8.",
     "8"},
    {"Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have "
     "now?",
     "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9.",
     "9"},
    {"There were nine computers in the server room. Five more computers were installed each day, from monday to "
     "thursday. How many computers are now in the server room?",
     "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 "
     "computers were added. 9 + 20 is 29.",
     "29"},
    {"Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf "
     "balls did he have at the end of wednesday?",
     "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, "
     "he had 35 - 2 = 33 golf balls.",
     "33"},
    {"Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
     "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars "
     "left. 23 - 15 is 8.",
     "8"},
};

static void put(obuf *b, const char *s) { obuf_put(b, s, strlen(s)); }

static char *finish(obuf *b)
{
    obuf_putc(b, 0);
    return b->p;
}

char *gsm8k_prompt(const char *question, int shots, int plain)
{
    obuf b = {0};
    put(&b, "Answer the following questions.\n\n");
    for (int i = 0; i < shots && i < GSM8K_MAX_SHOTS; i++) {
        put(&b, "Question: ");
        put(&b, gsm8k_exemplars[i].question);
        put(&b, "\nAnswer: ");
        put(&b, gsm8k_exemplars[i].chain);
        put(&b, " So the answer is ");
        put(&b, gsm8k_exemplars[i].answer);
        put(&b, ".\n\n");
    }
    const char *q = question;
    size_t qn = strlen(q);
    py_strip(&q, &qn);
    put(&b, "Question: ");
    obuf_put(&b, q, qn);
    if (plain)
        put(&b, "\nAnswer:");
    return finish(&b);
}

char *bbh_fewshot_block(const char *text, size_t n)
{
    size_t i = 0;
    for (int line = 0; line < 2 && i < n; line++) {
        const char *nl = memchr(text + i, '\n', n - i);
        i = nl ? (size_t)(nl - text) + 1 : n;
    }
    const char *s = text + i;
    size_t len = n - i;
    py_strip(&s, &len);
    return xstrndup(s, len);
}

char *bbh_prompt(const char *block, const char *input, int plain)
{
    obuf b = {0};
    if (block && *block) {
        put(&b, block);
        put(&b, "\n\n");
    }
    put(&b, "Q: ");
    put(&b, input);
    if (plain)
        put(&b, "\nA:");
    return finish(&b);
}
