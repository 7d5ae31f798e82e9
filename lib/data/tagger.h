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
 *          (App. J used Tülu 2 70B).  The model is behind a tagger_asker —
 *          a function from prompt text to answer text — so this floor
 *          needs no model: pref-tag supplies one over the in-process
 *          sampler (model/chat_answer.h, --model DIR) or over an external
 *          command (base/subproc.h, --judge CMD).  Answers are classified:
 *          parsed with at least one known tag; parsed without one (empty
 *          list, unknown names); a refusal (no JSON object and the usual
 *          apology phrases); unparsable (anything else).  Only the first
 *          gives tags; the others tag the record with none, and all four
 *          are counted (tagger_model_stats).
 * A kind's tag() gets the prompt's user text and returns 0, or with a
 * message in err -1 (the tagger failed: a model or command error) or
 * TAGGER_BAD_TEXT (this text cannot be tagged: a regex limit of
 * text/relimit.h was hit, which is not "no match"; exit 65 naming the
 * record).
 */
#ifndef PREFPIPE_TAGGER_H
#define PREFPIPE_TAGGER_H

#include <msgpack.h>
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
/* Pack a tag mask as an array of tag names, in tag order. */
void tag_pack(msgpack_packer *pk, uint32_t m);

typedef struct tagger tagger;

enum { TAGGER_BAD_TEXT = -2 };

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

/* The model kind: its open() refuses (it needs an asker); make one with
 * tagger_model_new and use tagger_model's tag/close. */
extern const tagger_kind tagger_model;

typedef struct {
    /* The answer to one prompt: malloc'd text, or NULL + err (fatal). */
    char *(*ask)(void *ctx, const char *prompt, size_t n, size_t *alen, char *err, size_t cap);
    void *ctx;
} tagger_asker;

typedef struct {
    unsigned long long answers, parsed, no_known_tag, refusals, unparsable;
} tagger_model_counts;

tagger *tagger_model_new(tagger_asker a);
void tagger_model_stats(const tagger *t, tagger_model_counts *c);
/* Classify an answer: 0 parsed (mask set, may be 0 = no known tag),
 * 1 refusal, 2 unparsable. */
int tagger_classify_answer(const char *text, size_t n, uint32_t *mask);

/* The Figure 5 prompt for one user query, malloc'd. */
char *tagger_fig5_prompt(const char *query, size_t n);
/* Parse a model's answer {"tags": [...]} (code fences and text around the
 * JSON object tolerated; unknown tag names ignored).  0 or -1. */
int tagger_parse_answer(const char *text, size_t n, uint32_t *mask);

#endif
