/*
 * tokenizer_int.h — the tokenizer's internal representation, shared by
 * tokenizer.c (core, byte tokenizer, encode/decode, save) and
 * tokenizer_bpe.c (tokenizer.json loader).  Not for other modules.
 */
#ifndef PREFPIPE_TOKENIZER_INT_H
#define PREFPIPE_TOKENIZER_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer.h"

typedef struct { char *text; size_t len; int32_t id; int special; } added_tok;
typedef struct { uint64_t key; int32_t rank, id; } merge_ent;
typedef struct { pcre2_code *re; pcre2_match_data *md; } pre_step;

struct tokenizer {
    int is_byte;
    int n;                   /* ids 0 .. n-1 */
    char **bytes;            /* raw bytes of each id (NULL: hole) */
    uint32_t *blen;
    int32_t *idx;            /* open-addressing bytes -> id (ordinary tokens) */
    size_t idx_cap;
    int32_t byte_id[256];
    merge_ent *merges;       /* open addressing, rank -1 = empty */
    size_t mcap;
    int nmerges;
    added_tok *added;
    int nadded;
    pre_step *pre;           /* regex split steps, applied in order */
    int npre;
    int add_prefix_space, ignore_merges;
    char *json_text;         /* loaded tokenizer.json, saved back verbatim */
    char *eos;
};

int bl_codepoint(int b);
int bl_byte(int cp);
void tok_index_build(tokenizer *t);
int32_t tok_lookup(const tokenizer *t, const char *s, size_t n);
void tok_merge_add(tokenizer *t, int32_t a, int32_t b, int32_t out);
/* Pieces longer than this use the heap merge (tests lower or raise it). */
extern int tok_heap_min;

#endif
