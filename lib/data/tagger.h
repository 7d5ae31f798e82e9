/*
 * tagger.h — task-category tags for prompts (the paper's App. J).
 *
 * The 14 categories are those of the paper's Figure 5 prompt, spelled as
 * there (so a model's JSON answer maps back without translation).  A tag
 * set is a bitmask over them.
 *
 * Taggers are a table of kinds behind one interface, so that pref-tag does
 * not care how tags are made:
 *   rules  keyword/regex rules (tagger_rules.c): fast, no model;
 *   model  the Figure 5 prompt sent to a chat model, its JSON answer parsed
 *          (tagger_fig5_prompt / tagger_parse_answer are here and tested;
 *          the kind itself waits for the model core and says so).
 * A kind's tag() gets the prompt's user text and returns 0 or -1 with a
 * message in err.
 */
#ifndef PREFPIPE_TAGGER_H
#define PREFPIPE_TAGGER_H

#include <stddef.h>
#include <stdint.h>

enum {
    TAG_CODING, TAG_MATH, TAG_ADVICE, TAG_BRAINSTORMING, TAG_CLASSIFICATION, TAG_CLOSED_QA,
    TAG_CREATIVE_WRITING, TAG_EXTRACTION, TAG_PERSONA, TAG_OPEN_QA, TAG_REWRITING, TAG_SUMMARIZATION,
    TAG_MULTILINGUAL, TAG_UNCLEAR, TAG_COUNT
};

extern const char *const tag_names[TAG_COUNT];

/* A tag by name: the Figure 5 spelling or a short alias ("Closed QA",
 * "Open QA", "Persona", "Advice", "Code"), case-insensitive; -1 if none. */
int tag_parse(const char *s, size_t n);
/* Parse "A,B,C" into a mask; returns -1 and the bad name in *bad. */
int tag_parse_list(const char *s, uint32_t *mask, const char **bad, size_t *badlen);
static inline int tag_count(uint32_t m) { return __builtin_popcount(m); }

typedef struct tagger tagger;

typedef struct {
    const char *name;
    const char *desc;
    /* NULL with a message in err when the kind cannot start. */
    tagger *(*open)(const char *arg, char *err, size_t cap);
    int (*tag)(tagger *t, const char *text, size_t n, uint32_t *mask, char *err, size_t cap);
    void (*close)(tagger *t);
} tagger_kind;

const tagger_kind *tagger_find(const char *name);
const tagger_kind *const *tagger_kinds(void);

/* The rule-based kind (tagger_rules.c). */
extern const tagger_kind tagger_rules;

/* The Figure 5 prompt for one user query, malloc'd. */
char *tagger_fig5_prompt(const char *query, size_t n);
/* Parse a model's answer {"tags": [...]} (code fences and text around the
 * JSON object tolerated; unknown tag names ignored).  0 or -1. */
int tagger_parse_answer(const char *text, size_t n, uint32_t *mask);

#endif
