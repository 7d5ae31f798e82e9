/*
 * tokenizer_int.h — the tokenizer's internal representation, shared by
 * tokenizer.c (core, byte tokenizer, save), tokenizer_encode.c (encoding
 * with offsets), tokenizer_bpe.c
 * (tokenizer.json model, added tokens, pre-tokenizers), tokenizer_norm.c
 * (normalizers) and tokenizer_decode.c (decoders, post-processors).  Not for
 * other modules.
 *
 * Two vocabulary spaces.  In byte-level mode (a ByteLevel pre-tokenizer)
 * bytes[id] holds the token's raw bytes (GPT-2's byte <-> character mapping
 * undone at load) and BPE runs on raw bytes.  Otherwise (SentencePiece-style
 * files: Llama 2, Mistral, Tülu 2) bytes[id] is the vocabulary string itself
 * ("▁the", "<0x0A>") and BPE runs on characters of the normalized text;
 * piece[id] then holds what the token stands for in text (" the", "\n"),
 * which tok_piece returns.  Added tokens hold their content in both.
 *
 * Threads: a loaded tokenizer is read-only; encoding and decoding keep all
 * scratch state (regex match data included) per call, so one tokenizer may
 * serve many threads at once.  idflags[id] (TOKF_*) and added_first are
 * built at load (tok_added_index), so per-token questions (added?
 * special?) are O(1) and added-token matching skips bytes no added token
 * starts with.
 */
#ifndef PREFPIPE_TOKENIZER_INT_H
#define PREFPIPE_TOKENIZER_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "text/tokenizer.h"

typedef struct {
    char *text; size_t len; int32_t id; int special;
    int normalized, lstrip, rstrip;   /* normalized: matched in normalized text */
    char *ntext; size_t nlen;         /* the content normalized (normalized tokens) */
} added_tok;
typedef struct { uint64_t key; int32_t rank, id; } merge_ent;

enum { PRE_REGEX, PRE_PREFIX_SPACE, PRE_METASPACE };
/* how a regex split treats what it matches (the library's SplitDelimiterBehavior) */
enum { SPLIT_ISOLATED, SPLIT_REMOVED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS };
enum { SCHEME_ALWAYS, SCHEME_FIRST, SCHEME_NEVER };
typedef struct {
    int kind;
    pcre2_code *re;                         /* PRE_REGEX: the split pattern */
    char *pat; size_t patlen; int literal;  /* PRE_REGEX: its source (tok_fingerprint) */
    int behavior, invert;                   /* PRE_REGEX: SPLIT_*, matches and gaps swapped */
    char rep[8]; size_t replen;             /* PRE_METASPACE: the replacement character */
    int scheme, split;
} pre_step;

enum { NORM_NFC, NORM_PREPEND, NORM_REPLACE, NORM_REPLACE_RE, NORM_STRIP, NORM_NFD, NORM_NFKD, NORM_NFKC,
       NORM_LOWER, NORM_STRIP_ACCENTS, NORM_BERT, NORM_PRECOMPILED };
typedef struct {
    int kind;
    char *a, *b; size_t al, bl;             /* Prepend a; Replace a -> b */
    pcre2_code *re;                         /* Replace with a Regex */
    int left, right;                        /* Strip */
    int clean, chinese, accents, lower;     /* BertNormalizer */
    uint32_t *trie; size_t ntrie;           /* Precompiled: the double-array trie (a: the strings, re: \X) */
} norm_step;

enum { DEC_BYTELEVEL, DEC_REPLACE, DEC_BYTEFALLBACK, DEC_FUSE, DEC_STRIP, DEC_METASPACE, DEC_WORDPIECE };
typedef struct {
    int kind;
    char *a, *b; size_t al, bl;   /* Replace a -> b; Strip/Metaspace: a = the character */
    int start, stop, scheme;      /* WordPiece: a = the prefix, start = cleanup */
} dec_step;

enum { MODEL_BPE, MODEL_WORDPIECE, MODEL_UNIGRAM };

/* one piece of the post-processor's pair template: seq -1 special tokens
 * (ids), 0 sequence A, 1 sequence B; type_id as the library assigns it */
typedef struct { int seq, type_id; int32_t *ids; int nids; } pair_piece;

struct tokenizer {
    int is_byte;
    int model;               /* MODEL_*: what turns a pre-token into ids */
    int byte_level;          /* BPE on raw bytes (ByteLevel pre-tokenizer) */
    int n;                   /* ids 0 .. n-1 */
    char **bytes;            /* model string of each id (NULL: hole) */
    uint32_t *blen;
    char **piece;            /* text of each id where it differs from bytes (or NULL array) */
    uint32_t *plen;
    uint8_t *nonmodel;       /* 1: an added token the model vocabulary lacks */
    uint8_t *notbl;          /* byte-level mode, 1: a vocabulary string that is not byte-level text,
                                kept as it is (NULL when there is none) */
    uint8_t *idflags;        /* TOKF_* of each id (tok_index_build) */
    uint8_t added_first[256]; /* bit 1: a raw added token starts with this byte; bit 2: a normalized one */
    int32_t *idx;            /* open-addressing bytes -> id (ordinary tokens) */
    size_t idx_cap;
    int32_t byte_id[256];    /* byte-level: the token of each byte */
    int32_t fallback[256];   /* byte_fallback: the <0xNN> tokens, -1 if absent */
    int byte_fallback, fuse_unk;
    int32_t unk_id;          /* -1: none (unknown characters are dropped, as HF does) */
    merge_ent *merges;       /* open addressing, rank -1 = empty */
    size_t mcap;
    int nmerges;
    added_tok *added;
    int nadded, nadded_norm; /* nadded_norm: how many have normalized = 1 */
    pre_step *pre;           /* pre-tokenizer steps, applied in order */
    int npre;
    norm_step *norm;         /* normalizer steps, applied in order */
    int nnorm;
    dec_step *dec;           /* decoder steps; has_decoder 0: tokens joined by spaces */
    int ndec, has_decoder;
    int32_t *post_pre, *post_suf;   /* post-processor: ids before and after the sequence */
    int npost_pre, npost_suf;
    int post_trim, post_trim_prefix; /* a ByteLevel post-processor's trim_offsets, add_prefix_space */
    pair_piece *pair;        /* the pair template (tokenizer_pair.c); npair 0: A then B, types 0 and 1 */
    int npair, post_adders;  /* post_adders: processors that add tokens (a pair needs at most one) */
    int pair_missing;        /* a TemplateProcessing without "pair" */
    int add_prefix_space, ignore_merges;
    char *wp_prefix;         /* WordPiece: continuing_subword_prefix ("##") */
    size_t wp_plen;
    int wp_max_chars;        /* WordPiece: max_input_chars_per_word */
    double *score;           /* Unigram: the log-probability of each id */
    double unk_score;        /* Unigram: the lowest score minus 10 */
    size_t max_piece;        /* Unigram: the longest vocabulary string, bytes */
    char *json_text;         /* loaded tokenizer.json, saved back verbatim */
    char *eos;
    void *chat;              /* the model's own chat template (chat_template.c); NULL: Tülu's */
    uint64_t chat_id;        /* with chat: hash of its source, bos and eos (tok_fingerprint) */
    void (*chat_free)(void *);
};

#define TOKF_ADDED   1       /* an added token (the first entry for the id decides special) */
#define TOKF_SPECIAL 2
static inline int tok_is_added(const tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n && (t->idflags[id] & TOKF_ADDED);
}

/* GPT-2's byte <-> character map, computed (no table, no lazy state) */
int bl_codepoint(int b);
int bl_byte(int cp);
/* idflags and added_first from the added tokens (tok_index_build does it too) */
void tok_added_index(tokenizer *t);
void tok_index_build(tokenizer *t);
int32_t tok_lookup(const tokenizer *t, const char *s, size_t n);
void tok_merge_add(tokenizer *t, int32_t a, int32_t b, int32_t out);
const merge_ent *tok_merge_find(const tokenizer *t, int32_t a, int32_t b);
/* Pieces longer than this use the heap merge (tests lower or raise it). */
extern int tok_heap_min;

/* tokenizer_models.c: WordPiece and Unigram.  tok_model_vocab gives the
 * model's vocabulary as {token: id} (new reference) or NULL + message;
 * tok_load_model_rest reads the model's own settings once the vocabulary
 * is loaded. */
void *tok_model_vocab(tokenizer *t, void *model, char *err, size_t el);
int tok_load_model_rest(tokenizer *t, void *model, char *err, size_t el);
/* One pre-token's tokens, [b, e) byte positions in s; returns the count,
 * *out malloc'd. */
typedef struct { int32_t id; uint32_t b, e; } tok_span;
size_t tok_wordpiece(const tokenizer *t, const char *s, size_t n, tok_span **out);
size_t tok_unigram(const tokenizer *t, const char *s, size_t n, tok_span **out);
void tok_models_free(tokenizer *t);

/* A tokenizer.json regex rewritten for PCRE2 so its \s and \p{X} mean
 * what the library's engine means (tokenizer_bpe.c); malloc'd. */
char *tok_rx_rewrite(const char *p, size_t n, size_t *on);

/* tokenizer_norm.c */
int tok_load_normalizer(tokenizer *t, void *json, char *err, size_t el);   /* json_t * */
/* Apply the normalizer steps: malloc'd result, or NULL when there are none.
 * Alignment (as the library's NormalizedString keeps it): al[i] is the span
 * of the original text that byte i of s comes from; when al is given,
 * *oal receives the same for each byte of the result (malloc'd).  Rules:
 * a byte keeps its alignment when copied; text a Replace inserts takes the
 * alignment of the last byte of what it replaces; prepended text takes that
 * of the first character; NFC: see tokenizer_norm.c. */
char *tok_normalize(const tokenizer *t, const char *s, size_t n, const tok_offset *al,
                    size_t *olen, tok_offset **oal);
void tok_norm_free(tokenizer *t);
/* tokenizer_precompiled.c: the Precompiled normalizer (SentencePiece's
 * precompiled_charsmap).  load: decode and check the base64 charsmap into
 * st; apply: st on s[0..n), with alignment as tok_normalize when al is
 * given (origin: the alignment of the piece's start, for text inserted
 * before its first character). */
int tok_precompiled_load(norm_step *st, const char *b64, size_t n, char *err, size_t el);
char *tok_precompiled_apply(const norm_step *st, const char *s, size_t n, const tok_offset *al, tok_offset origin,
                            size_t *olen, tok_offset **oal);

/* tokenizer_decode.c */
int tok_load_decoder(tokenizer *t, void *json, char *err, size_t el);
int tok_load_post(tokenizer *t, void *json, char *err, size_t el);
/* tokenizer_pair.c: append a piece to t's pair template */
void tok_pair_add(tokenizer *t, int seq, int type_id, const int32_t *ids, int nids);
/* Fill piece[] (SentencePiece mode): what each token stands for in text. */
void tok_make_pieces(tokenizer *t);
void tok_sp_free(tokenizer *t);
/* The token's string as Hugging Face sees it (byte-level characters in
 * byte-level mode); malloc'd. */
char *tok_hf_string(const tokenizer *t, int32_t id, size_t *len);

/* shared helpers */
typedef struct { char *s; size_t n, cap; } tok_sbuf;   /* growing string, always NUL-terminated */
void tok_put(tok_sbuf *b, const char *s, size_t n);
int tok_fail(char *err, size_t el, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int tok_is_ws(uint32_t cp);   /* Unicode White_Space (Rust char::is_whitespace) */
/* A PCRE2 match error other than no-match: die(EX_DATAERR) naming the role */
_Noreturn void tok_regex_die(const char *role, int rc);

#endif
