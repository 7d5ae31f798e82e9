/*
 * synth_world.c — prompts and responders of the synthetic world (synth.h).
 *
 * Responders are probability profiles, not models: for each prompt a
 * responder decides (with its rng) whether it gets the answer right, obeys
 * the constraint, refuses, corrects the premise or pads its answer, then
 * writes the response from a fixed phrasing.  The errors are the ones the
 * paper's categories probe: wrong arithmetic and facts, ignored
 * constraints, harmful compliance, over-refusal, accepted false premises,
 * verbosity.  What the prompts ask comes from the item pools
 * (synth_items.c, synth_math.c); an item's split is a hash of its id.
 */
#include "data/synth.h"
#include "synth_tables.h"

#include <stdio.h>
#include <string.h>

/*                      name       correct follow refuse overref premise verbose */
const synth_responder synth_zoo[] = {
    {"strong",   0.95, 0.95, 0.97, 0.03, 0.95, 0.05},
    {"verbose",  0.85, 0.55, 0.85, 0.10, 0.75, 0.95},
    {"middle",   0.65, 0.50, 0.65, 0.15, 0.50, 0.25},
    {"cautious", 0.70, 0.60, 0.99, 0.65, 0.70, 0.10},
    {"reckless", 0.55, 0.45, 0.05, 0.00, 0.35, 0.20},
    {"weak",     0.30, 0.20, 0.35, 0.20, 0.15, 0.30},
};
const int synth_zoo_size = (int)(sizeof synth_zoo / sizeof synth_zoo[0]);

static const char *const cat_names[SYNTH_NCAT] = {"math", "instruction", "safety", "truthfulness", "factuality"};
static const char *const split_names[SYNTH_NSPLIT] = {"train", "pool", "eval"};
static const char *const constraint_names[SYNTH_NCONSTRAINT] = {"upper", "lower", "include", "avoid",
                                                                "ending", "words", "bullet"};

const char *synth_cat_name(synth_cat c) { return cat_names[c]; }
const char *synth_split_name(synth_split s) { return split_names[s]; }
const char *synth_constraint_name(int c) { return c >= 0 && c < SYNTH_NCONSTRAINT ? constraint_names[c] : "?"; }

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int synth_cat_from_name(const char *s) { return index_of(cat_names, SYNTH_NCAT, s); }
int synth_split_from_name(const char *s) { return index_of(split_names, SYNTH_NSPLIT, s); }
int synth_constraint_from_name(const char *s) { return index_of(constraint_names, SYNTH_NCONSTRAINT, s); }

const synth_responder *synth_find_responder(const char *name)
{
    for (int i = 0; i < synth_zoo_size; i++)
        if (strcmp(synth_zoo[i].name, name) == 0)
            return &synth_zoo[i];
    return NULL;
}

void synth_item_id(const synth_prompt *p, char *buf, size_t cap)
{
    static const char op[3] = {'+', '-', 'x'};
    switch (p->cat) {
    case CAT_MATH: snprintf(buf, cap, "math:%d%c%d", p->math_a, op[p->math_op], p->math_b); break;
    case CAT_INSTRUCTION:
        snprintf(buf, cap, "instruction:%s:%s:%d", synth_task_names[p->task], synth_constraint_name(p->constraint),
                 p->arg);
        break;
    default: snprintf(buf, cap, "%s:%d", synth_cat_name(p->cat), p->item); break;
    }
}

synth_split synth_split_of(const synth_prompt *p, uint64_t seed)
{
    char id[64];
    synth_item_id(p, id, sizeof id);
    uint64_t h = hash64(id, strlen(id), seed ^ 0x59117ULL) % 100;
    return h < 60 ? SPLIT_TRAIN : h < 80 ? SPLIT_POOL : SPLIT_EVAL;
}

/* the argument range of an instruction constraint */
static int constraint_args(int c) { return c == C_INCLUDE ? SYNTH_NEXTRA : c == C_AVOID ? SYNTH_NWORDS : c == C_WORDS ? 3 : 1; }

static void count_one(const synth_prompt *p, uint64_t seed, long *counts) { counts[synth_split_of(p, seed)]++; }

long synth_count_items(synth_cat c, uint64_t seed, long *counts)
{
    synth_prompt p;
    memset(&p, 0, sizeof p);
    p.cat = c;
    for (int s = 0; s < SYNTH_NSPLIT; s++)
        counts[s] = 0;
    switch (c) {
    case CAT_MATH: /* the problems of synth_math.c's six levels */
        for (int op = 0; op < 3; op++)
            for (int a = 0; a <= 99; a++)
                for (int b = 0; b <= 99; b++) {
                    int one = a <= 9 && b <= 9, ok;
                    if (op == 0) ok = one || (a >= 10 && b >= 1);
                    else if (op == 1) ok = b <= a && (one || (a >= 10 && b >= 1));
                    else ok = b >= 2 && b <= 9 && a >= 2;
                    if (!ok)
                        continue;
                    p.math_op = op, p.math_a = a, p.math_b = b;
                    count_one(&p, seed, counts);
                }
        break;
    case CAT_INSTRUCTION:
        for (p.task = 0; p.task < SYNTH_NTASK; p.task++)
            for (p.constraint = 0; p.constraint < SYNTH_NCONSTRAINT; p.constraint++)
                for (p.arg = 0; p.arg < constraint_args(p.constraint); p.arg++) {
                    synth_prompt q = p;
                    q.arg = p.constraint == C_WORDS ? p.arg + 1 : p.arg;
                    count_one(&q, seed, counts);
                }
        break;
    default: {
        int n = c == CAT_SAFETY ? SYNTH_NSAFETY : c == CAT_TRUTH ? SYNTH_NTRUTH : SYNTH_NFACTS;
        for (p.item = 0; p.item < n; p.item++)
            count_one(&p, seed, counts);
        break;
    }
    }
    return counts[0] + counts[1] + counts[2];
}

static const char *constraint_text(const synth_prompt *p, char *buf, size_t cap)
{
    switch (p->constraint) {
    case C_UPPER: return "Answer in capital letters.";
    case C_LOWER: return "Answer in lowercase letters.";
    case C_INCLUDE: snprintf(buf, cap, "Include the word '%s'.", synth_extra_words[p->arg]); return buf;
    case C_AVOID: snprintf(buf, cap, "Do not say '%s'.", synth_task_words[p->task][p->arg]); return buf;
    case C_ENDING: return "End your answer with 'Done.'";
    case C_WORDS: snprintf(buf, cap, "Answer in exactly %d words.", p->arg); return buf;
    default: return "Answer as a bullet point.";
    }
}

void synth_draw_prompt(synth_cat cat, rng_t *r, synth_prompt *p)
{
    memset(p, 0, sizeof *p);
    p->cat = cat;
    const char *prefix = synth_prefixes[rng_below(r, SYNTH_NPREFIX)];
    const char *suffix = synth_suffixes[rng_below(r, SYNTH_NSUFFIX)];
    char q[128], cbuf[64];
    switch (cat) {
    case CAT_MATH:
        synth_math_draw(r, p);
        synth_math_question(p, q, sizeof q);
        break;
    case CAT_INSTRUCTION:
        p->task = (int)rng_below(r, SYNTH_NTASK);
        p->constraint = (int)rng_below(r, SYNTH_NCONSTRAINT);
        p->arg = p->constraint == C_WORDS ? 1 + (int)rng_below(r, 3)
               : (int)rng_below(r, (uint64_t)constraint_args(p->constraint));
        snprintf(q, sizeof q, "Name a%s %s. %s", strchr("aeiou", synth_task_names[p->task][0]) ? "n" : "",
                 synth_task_names[p->task],
                 constraint_text(p, cbuf, sizeof cbuf));
        break;
    case CAT_SAFETY: {
        synth_safety_text t;
        p->item = (int)rng_below(r, SYNTH_NSAFETY);
        synth_safety_get(p->item, &t);
        p->harmful = t.harmful;
        snprintf(q, sizeof q, "%s", t.question);
        break;
    }
    case CAT_TRUTH: {
        synth_truth_text t;
        p->item = (int)rng_below(r, SYNTH_NTRUTH);
        synth_truth_get(p->item, &t);
        snprintf(q, sizeof q, "%s", t.question);
        break;
    }
    default:
        p->item = (int)rng_below(r, SYNTH_NFACTS);
        synth_fact_question(p->item, q, sizeof q);
        break;
    }
    snprintf(p->text, sizeof p->text, "%s%s%s", prefix, q, suffix);
}

static int chance(rng_t *r, double p) { return rng_uniform(r) < p; }

static void upper(char *s) { for (; *s; s++) if (*s >= 'a' && *s <= 'z') *s -= 32; }

static size_t instruction_response(const synth_prompt *p, const synth_responder *w, rng_t *r, char *out, size_t cap)
{
    int follow = chance(r, w->p_follow);
    int on_task = chance(r, 0.5 + 0.5 * w->p_correct);
    int task = on_task ? p->task : (p->task + 1) % SYNTH_NTASK;
    int wi = (int)rng_below(r, SYNTH_NWORDS);
    if (p->constraint == C_AVOID) /* obeying means another word; disobeying, the forbidden one */
        wi = follow ? (p->arg + 1 + (int)rng_below(r, SYNTH_NWORDS - 1)) % SYNTH_NWORDS : p->arg;
    const char *word = synth_task_words[task][wi];
    char w0[32];
    snprintf(w0, sizeof w0, "%s", word);
    if (!follow || p->constraint == C_AVOID) {
        w0[0] = (char)(w0[0] - 32 * (w0[0] >= 'a' && w0[0] <= 'z'));
        return (size_t)snprintf(out, cap, "%s.", w0);
    }
    switch (p->constraint) {
    case C_UPPER: upper(w0); return (size_t)snprintf(out, cap, "%s.", w0);
    case C_LOWER: return (size_t)snprintf(out, cap, "%s.", w0);
    case C_INCLUDE: return (size_t)snprintf(out, cap, "A %s and the %s.", w0, synth_extra_words[p->arg]);
    case C_ENDING: return (size_t)snprintf(out, cap, "A %s. Done.", w0);
    case C_WORDS:
        if (p->arg == 1) return (size_t)snprintf(out, cap, "%s", w0);
        if (p->arg == 2) return (size_t)snprintf(out, cap, "A %s", w0);
        return (size_t)snprintf(out, cap, "A nice %s", w0);
    default: return (size_t)snprintf(out, cap, "- %s", w0);
    }
}

size_t synth_respond(const synth_prompt *p, const synth_responder *w, rng_t *r, char *out, size_t cap)
{
    char body[160];
    size_t n = 0;
    const char *refusal = "I'm sorry, but I can't help with that.";
    switch (p->cat) {
    case CAT_MATH: {
        int v = p->answer;
        double wrong = (1 - w->p_correct) * synth_math_difficulty(p);
        if (chance(r, wrong < 0.95 ? wrong : 0.95))
            v += (rng_below(r, 2) ? 1 : -1) * (1 + (int)rng_below(r, 9));
        n = synth_math_answer(p, v, body, sizeof body);
        break;
    }
    case CAT_INSTRUCTION:
        n = instruction_response(p, w, r, body, sizeof body);
        break;
    case CAT_SAFETY: {
        int refuse = p->harmful ? chance(r, w->p_refuse_harmful) : chance(r, w->p_overrefuse);
        synth_safety_text t;
        synth_safety_get(p->item, &t);
        n = (size_t)snprintf(body, sizeof body, "%s", refuse ? refusal : t.answer);
        break;
    }
    case CAT_TRUTH: {
        synth_truth_text t;
        synth_truth_get(p->item, &t);
        n = (size_t)snprintf(body, sizeof body, "%s", chance(r, w->p_correct_premise) ? t.correction : t.accept);
        break;
    }
    default: {
        int k = p->item; /* a wrong answer: another fact, asked the same way */
        if (!chance(r, w->p_correct))
            k = 2 * ((k / 2 + 1 + (int)rng_below(r, SYNTH_NCOUNTRY - 1)) % SYNTH_NCOUNTRY) + k % 2;
        n = (size_t)snprintf(body, sizeof body, "The %s is %s.", k % 2 ? "country" : "capital", synth_fact_answer(k));
        break;
    }
    }
    /* verbosity never applies to word-count or bullet answers' form checks */
    int verbose = chance(r, w->p_verbose) && !(p->cat == CAT_INSTRUCTION &&
                                                 (p->constraint == C_WORDS || p->constraint == C_BULLET ||
                                                  p->constraint == C_ENDING));
    if (verbose)
        n = (size_t)snprintf(out, cap, "Sure! %s I hope this helps.", body);
    else
        n = (size_t)snprintf(out, cap, "%s", body);
    return n < cap ? n : cap - 1;
}
