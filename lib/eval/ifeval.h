/*
 * ifeval.h — IFEval's 25 verifiable instructions (Zhou et al. 2023),
 * parsed from the data's instruction_id_list + kwargs and checked on a
 * response, strict and loose (evaluation.md).
 *
 * Parsing is strict: an unknown instruction id, an unknown kwarg name, a
 * kwarg of the wrong type, a missing required kwarg or a relation other than
 * "less than"/"at least" is an error with a message.  Null kwargs are
 * ignored (the reference drops falsy values).
 *
 * Checks follow the reference definitions; where the reference leans on
 * NLTK or langdetect, ours are approximations documented in eval-score(1):
 * sentences are split on . ! ? with exceptions for decimals, initials,
 * common abbreviations and web addresses; capital words are words (\w runs
 * joined by inner '-' or '.') with an upper-case letter and no lower-case
 * one; languages by lang.h.
 * Regular expressions run on PCRE2 with UTF + UCP (Unicode \w \s \b, like
 * Python 3's re on str).
 */
#ifndef PREFPIPE_EVAL_IFEVAL_H
#define PREFPIPE_EVAL_IFEVAL_H

#include <msgpack.h>
#include <stddef.h>

enum ifeval_kind {
    IF_CAPITAL_WORD_FREQ, IF_ENGLISH_CAPITAL, IF_ENGLISH_LOWERCASE, IF_REPEAT_PROMPT, IF_TWO_RESPONSES,
    IF_NUMBER_PLACEHOLDERS, IF_POSTSCRIPT, IF_CONSTRAINED_RESPONSE, IF_JSON_FORMAT, IF_MULTIPLE_SECTIONS,
    IF_NUMBER_BULLETS, IF_NUMBER_HIGHLIGHTS, IF_TITLE, IF_EXISTENCE, IF_FORBIDDEN_WORDS, IF_FREQUENCY,
    IF_LETTER_FREQUENCY, IF_RESPONSE_LANGUAGE, IF_NTH_PARAGRAPH_FIRST_WORD, IF_NUMBER_PARAGRAPHS,
    IF_NUMBER_SENTENCES, IF_NUMBER_WORDS, IF_NO_COMMA, IF_END_CHECKER, IF_QUOTATION, IF_NKINDS
};

typedef struct {
    enum ifeval_kind kind;
    int at_least;        /* relation: 1 "at least", 0 "less than" */
    long num, num2;      /* counts; num2 = nth_paragraph */
    char *str;           /* keyword, letter, language, phrase, marker, splitter, prompt, first word */
    char **words;        /* keywords / forbidden_words */
    size_t nwords;
} ifeval_inst;

/* The instruction ids, in enum order. */
extern const char *const ifeval_ids[IF_NKINDS];

/* Parse one instruction; kwargs may be NULL or nil for "no kwargs".
 * 0 ok, -1 with a message in err. */
int ifeval_parse(const char *id, size_t idlen, const msgpack_object *kwargs, ifeval_inst *in, char *err,
                 size_t errcap);
void ifeval_inst_free(ifeval_inst *in);

/* The bare check on one text (1 followed, 0 not). */
int ifeval_check(const ifeval_inst *in, const char *s, size_t n);
/* A regex error (a match limit hit) since the last call: 1 with the
 * message in buf, and cleared; 0 when none.  Per thread. */
int ifeval_regex_error(char *buf, size_t cap);

/* The 8 loose variants of a response (evaluation.md); variant 0 is the
 * response itself.  Strings are malloc'd; free with ifeval_variants_free. */
typedef struct {
    char *s[8];
    size_t n[8];
} ifeval_variants;
void ifeval_variants_make(ifeval_variants *v, const char *resp, size_t n);
void ifeval_variants_free(ifeval_variants *v);
int ifeval_follow_strict(const ifeval_inst *in, const char *resp, size_t n);
int ifeval_follow_loose(const ifeval_inst *in, const ifeval_variants *v);

#endif
