/*
 * tagger.c — tag names, the tagger table, and the pieces of the
 * model-based tagger that do not need a model: the Figure 5 prompt and
 * the parser of its JSON answer (tagger.h).
 */
#include "data/tagger.h"
#include "io/record.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const tag_names[TAG_COUNT] = {
    "Coding",          "Math",       "Asking for Advice",         "Brainstorming",
    "Classification",  "Closed Question Answering", "Creative Writing", "Extraction",
    "Inhabiting a Character/Persona", "Open Question Answering", "Rewriting", "Summarization",
    "Multilingual",    "Unclear"};

static const struct {
    const char *alias;
    int tag;
} aliases[] = {{"Closed QA", TAG_CLOSED_QA}, {"Open QA", TAG_OPEN_QA},   {"Persona", TAG_PERSONA},
               {"Advice", TAG_ADVICE},       {"Code", TAG_CODING},       {"Closed Question-Answering", TAG_CLOSED_QA},
               {"Open Question-Answering", TAG_OPEN_QA}};

int tag_parse(const char *s, size_t n)
{
    for (int i = 0; i < TAG_COUNT; i++)
        if (strlen(tag_names[i]) == n && strncasecmp(tag_names[i], s, n) == 0)
            return i;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strlen(aliases[i].alias) == n && strncasecmp(aliases[i].alias, s, n) == 0)
            return aliases[i].tag;
    return -1;
}

int tag_parse_list(const char *s, uint32_t *mask, const char **bad, size_t *badlen)
{
    *mask = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n > 0) {
            int t = tag_parse(s, n);
            if (t < 0) {
                *bad = s;
                *badlen = n;
                return -1;
            }
            *mask |= 1u << t;
        }
        s += n + (e ? 1 : 0);
    }
    return 0;
}

/* ---- the model kind ---- */

/* tagger is opaque: each kind keeps its own state behind it (the rules
 * kind's struct tagger is tagger_rules.c's). */
typedef struct {
    tagger_asker a;
    tagger_model_counts n;
} model_tagger;

static tagger *model_open(const char *arg, char *err, size_t cap)
{
    (void)arg;
    snprintf(err, cap, "the model tagger needs a model: pref-tag --model DIR or --judge CMD");
    return NULL;
}

tagger *tagger_model_new(tagger_asker a)
{
    model_tagger *t = xcalloc(1, sizeof *t);
    t->a = a;
    return (tagger *)t;
}

void tagger_model_stats(const tagger *tg, tagger_model_counts *c) { *c = ((const model_tagger *)tg)->n; }

/* Apologies that open a refusal; matched case-insensitively anywhere in an
 * answer that holds no JSON object. */
static const char *const refusal_marks[] = {"i'm sorry", "i am sorry", "i cannot", "i can't", "i can not",
                                            "i apologize", "as an ai", "i'm unable", "i am unable", NULL};

int tagger_classify_answer(const char *text, size_t n, uint32_t *mask)
{
    if (tagger_parse_answer(text, n, mask) == 0)
        return 0;
    *mask = 0;
    for (int i = 0; refusal_marks[i]; i++) {
        size_t k = strlen(refusal_marks[i]);
        for (size_t j = 0; j + k <= n; j++)
            if (strncasecmp(text + j, refusal_marks[i], k) == 0)
                return 1;
    }
    return 2;
}

static int model_tag(tagger *tg, const char *text, size_t n, uint32_t *mask, char *err, size_t cap)
{
    model_tagger *t = (model_tagger *)tg;
    char *prompt = tagger_fig5_prompt(text, n);
    size_t alen;
    char *ans = t->a.ask(t->a.ctx, prompt, strlen(prompt), &alen, err, cap);
    free(prompt);
    if (!ans)
        return -1;
    int k = tagger_classify_answer(ans, alen, mask);
    free(ans);
    t->n.answers++;
    if (k == 1) t->n.refusals++;
    else if (k == 2) t->n.unparsable++;
    else if (*mask == 0) t->n.no_known_tag++;
    else t->n.parsed++;
    return 0;
}

static void model_close(tagger *tg) { free(tg); }

const tagger_kind tagger_model = {"model", "a chat model answers the Figure 5 prompt (--model DIR or --judge CMD)",
                                  model_open, model_tag, model_close};

static const tagger_kind *const kinds[] = {&tagger_rules, &tagger_model, NULL};

const tagger_kind *const *tagger_kinds(void) { return kinds; }

const tagger_kind *tagger_find(const char *name)
{
    for (size_t i = 0; kinds[i]; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

/* ---- Figure 5 ---- */

static const char fig5_head[] =
    "# Instruction\n\nPlease label the task tags for the user query.\n\n## User Query\n```\n";
static const char fig5_tail[] =
    "\n```\n\n\n## Tagging the user input\n\n### Task Tags\n\nall_task_tags = [\n"
    "    \"Coding\",  # Users seek help with writing, reviewing, or fixing code in programming.\n"
    "    \"Math\",  # Queries related to mathematical concepts, problems, and calculations.\n"
    "    \"Asking for Advice\",  # Users seek recommendations, suggestions, or advice on various topics.\n"
    "    \"Brainstorming\",  # Involves generating ideas, creative thinking, or exploring possibilities.\n"
    "    \"Classification\",  # Queries require categorizing or organizing information into groups or classes.\n"
    "    \"Closed Question Answering\",  # Users ask questions that require a specific answer or a short response.\n"
    "    \"Creative Writing\",  # Users seek assistance with crafting stories, poems, or other creative texts.\n"
    "    \"Extraction\",  # Involves extracting specific information or details from a larger body of text.\n"
    "    \"Inhabiting a Character/Persona\",  # Users engage in scenarios requiring the model to adopt a character or persona.\n"
    "    \"Open Question Answering\",  # Users ask questions that require detailed or elaborate responses.\n"
    "    \"Rewriting\",  # Users ask for help in rephrasing, summarizing, or rewriting text.\n"
    "    \"Summarization\",  # Involves condensing information, text, or content into a shorter form.\n"
    "    \"Multilingual\",  # Queries involving non-English natural languages.\n"
    "    \"Unclear\",  # Queries that are ambiguous, vague, or unclear.\n"
    "]\n\n\n\n\n## Output Format\n\nNote that you can only select the most relevant task types.\n"
    "Please use the multilingual tag if the query is in a language other than English.\n"
    "Add the unclear tag if there is no obvious question to answer in the prompt.\n"
    "Now, please output your tags below in a json format by filling in the placeholders in []:\n"
    "```\n{\n    \"tags\": [\"[tag 1]\", \"[tag 2]\", ... ]\n}\n```\nDo not add any additional characters.\n";

char *tagger_fig5_prompt(const char *query, size_t n)
{
    size_t h = sizeof fig5_head - 1, t = sizeof fig5_tail - 1;
    char *p = xmalloc(h + n + t + 1);
    memcpy(p, fig5_head, h);
    memcpy(p + h, query, n);
    memcpy(p + h + n, fig5_tail, t + 1);
    return p;
}

int tagger_parse_answer(const char *text, size_t n, uint32_t *mask)
{
    *mask = 0;
    const char *open = memchr(text, '{', n);
    if (!open)
        return -1;
    const char *close = NULL;
    for (const char *p = text + n; p > open; p--)
        if (p[-1] == '}') {
            close = p;
            break;
        }
    if (!close)
        return -1;
    json_error_t je;
    json_t *v = json_loadb(open, (size_t)(close - open), 0, &je);
    json_t *tags = json_object_get(v, "tags");
    if (!json_is_array(tags)) {
        json_decref(v);
        return -1;
    }
    size_t i;
    json_t *x;
    json_array_foreach(tags, i, x) {
        if (!json_is_string(x))
            continue;
        int t = tag_parse(json_string_value(x), json_string_length(x));
        if (t >= 0)
            *mask |= 1u << t;
    }
    json_decref(v);
    return 0;
}

void tag_pack(msgpack_packer *pk, uint32_t m)
{
    msgpack_pack_array(pk, (size_t)tag_count(m));
    for (int t = 0; t < TAG_COUNT; t++)
        if (m & (1u << t))
            pack_str(pk, tag_names[t]);
}
