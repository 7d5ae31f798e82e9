/*
 * tokenizer.h — Hugging Face tokenizer.json BPE tokenizers and the built-in
 * byte tokenizer, which is the same machinery with no merges.
 *
 * Encoding follows the Hugging Face library: (1) added tokens (specials
 * such as <|user|>, </s>, <s>) are split out first by leftmost-longest
 * match (lstrip/rstrip honoured); (2) each remaining segment is normalized
 * (NFC, Prepend, Replace, Strip; tokenizer_norm.c), then split on the
 * added tokens marked "normalized"; (3) pre-tokenized (ByteLevel with the
 * GPT-2 regex, Split patterns as in Llama 3 / Qwen, Digits, Metaspace,
 * compiled with PCRE2 UTF + UCP + JIT); (4) each piece is split into
 * symbols — bytes in byte-level vocabularies, characters otherwise, with
 * SentencePiece's byte fallback to <0xNN> tokens, then the unknown token
 * (fused when fuse_unk), then nothing, as the library drops characters it
 * cannot encode — and adjacent symbols merge by rank until no merge
 * applies; (5) with TOK_ADD_SPECIAL the post-processor's tokens (e.g.
 * Llama's BOS) are added around the result, as the library's
 * encode(text, add_special_tokens=True) does.
 *
 * The chat template (chat_template.c) puts the post-processor's leading
 * tokens (BOS) before the conversation, as the Tülu training code's
 * tokenizer(text) does, and never its trailing ones (each assistant turn
 * already ends with EOS).
 *
 * Decoding (tokenizer_decode.c) applies the tokenizer.json decoder exactly as
 * the library does (ByteLevel, Replace, ByteFallback, Fuse, Strip,
 * Metaspace, Sequence).
 *
 * Built-in byte tokenizer: ids 0..255 are the bytes, then <|system|>,
 * <|user|>, <|assistant|>, </s>, <pad> (ids 256..260).  It is saved as a
 * tokenizer.json (BPE, empty merges, ByteLevel without regex), so Hugging
 * Face tokenizers loads it and we load it back to the same tokenizer.
 */
#ifndef PREFPIPE_TOKENIZER_H
#define PREFPIPE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tokenizer tokenizer;

tokenizer *tok_byte_new(void);
/* Load a tokenizer.json.  NULL + message on error or unsupported model. */
tokenizer *tok_load(const char *path, char *err, size_t errlen);
/* Parse tokenizer.json text (for tests and the fuzz target). */
tokenizer *tok_parse(const char *json, size_t len, char *err, size_t errlen);
/* Write tokenizer.json (atomically). Returns 0 or -1 + message. */
int tok_save(const tokenizer *t, const char *path, char *err, size_t errlen);
void tok_free(tokenizer *t);

/* tok_encode flags */
#define TOK_SPLIT_SPECIAL 1   /* split out added tokens (else their text is ordinary text) */
#define TOK_ADD_SPECIAL   2   /* apply the post-processor (HF add_special_tokens=True) */
/* Encode n bytes; *ids is malloc'd.  Returns the count; encoding never
 * fails (err is untouched: a character with no token becomes byte-fallback
 * tokens, the unknown token or nothing).  A pre-tokenizer or normalizer
 * regex that fails to run (PCRE2 match limits) ends the program with
 * EX_DATAERR.  No offsets are tracked here: the cheaper path.  flags 1
 * (TOK_SPLIT_SPECIAL alone) is what the trainers use.  Thread-safe: a
 * loaded tokenizer may encode and decode from many threads at once. */
long tok_encode(const tokenizer *t, const char *s, size_t n, int flags,
                int32_t **ids, char *err, size_t errlen);
/* Offsets: the byte span [start, end) of the input each token comes from,
 * as the library's Encoding offsets (converted to bytes): a token covers
 * the original bytes its normalized characters came from (a normalizer's
 * prepended "▁" and Replace output map to the characters they stand at or
 * replace, a composed NFC character to its first source character, every
 * byte-fallback or byte-level token of a character to the whole
 * character); added tokens cover their own match (with the whitespace
 * lstrip / rstrip took); the post-processor's tokens are [0, 0); a ByteLevel
 * post-processor with trim_offsets moves spans past leading and before
 * trailing spaces.  Quirk kept from the library: characters it drops (no
 * token, no byte fallback, no unk) shift the offsets of the rest of their
 * pre-token to the left. */
typedef struct { size_t start, end; } tok_offset;
/* tok_encode plus offsets: *offs (may be NULL) is malloc'd, one per id. */
long tok_encode_offsets(const tokenizer *t, const char *s, size_t n, int flags,
                        int32_t **ids, tok_offset **offs, char *err, size_t errlen);
/* A pair of texts, as the library's encode(a, b) (tokenizer_pair.c): each
 * encoded alone, joined by the post-processor's pair template
 * (TemplateProcessing "pair", Bert/Roberta processors) with
 * TOK_ADD_SPECIAL, else A's and B's tokens in the template's order.
 * *offs (may be NULL) are spans of the text each token comes from (a or
 * b; [0, 0) for special tokens); *type_ids (may be NULL) the library's
 * type ids.  Returns the count, or -1 + message when the post-processor
 * has no pair template. */
long tok_encode_pair(const tokenizer *t, const char *a, size_t an, const char *b, size_t bn, int flags,
                     int32_t **ids, tok_offset **offs, uint8_t **type_ids, char *err, size_t errlen);
/* tok_decode flags */
#define TOK_SKIP_SPECIAL  1   /* drop special tokens (HF skip_special_tokens=True) */
#define TOK_DECODE_UTF8   2   /* invalid UTF-8 -> U+FFFD, as HF's String result; else bytes kept */
/* Decode to malloc'd bytes (NUL-terminated, length in *len); ids outside
 * the vocabulary are skipped. */
char *tok_decode(const tokenizer *t, const int32_t *ids, size_t n, int flags, size_t *len);
/* How a growing sequence may be decoded (tok_decode, flags 0):
 * TOK_DECODE_APPEND: decoding is the concatenation of the tokens decoded
 *   one at a time (the byte tokenizer; a ByteLevel and/or Fuse decoder);
 * TOK_DECODE_WINDOW: the decoder's rules reach across tokens only through
 *   the first token of what is decoded (Metaspace, Strip of at most one
 *   leading character, no trailing Strip) and <0xNN> runs (ByteFallback);
 *   one-character Replace patterns; so decode(ids[p:m]) minus
 *   decode(ids[p:r]) is what tokens r..m add, when the former extends the
 *   latter and p is 0 or ids[p] does not join (tok_decode_joins)
 *   (incremental detokenization);
 * TOK_DECODE_WHOLE: anything else: decode the whole sequence. */
enum { TOK_DECODE_WHOLE, TOK_DECODE_WINDOW, TOK_DECODE_APPEND };
int tok_decode_mode(const tokenizer *t);
/* 1 if the token's text may depend on its neighbours when decoded: an
 * <0xNN> token of a ByteFallback decoder (runs of them decode together).
 * A TOK_DECODE_WINDOW decode must start at a token for which this is 0, or
 * at the start of the sequence. */
int tok_decode_joins(const tokenizer *t, int32_t id);
/* What one token stands for in text: its bytes (byte-level), or its
 * SentencePiece string with the decoder's per-token rewriting ("▁" -> " ",
 * <0x0A> -> "\n"); added tokens give their content.  NULL if unknown id. */
const char *tok_piece(const tokenizer *t, int32_t id, size_t *len);

int tok_vocab_size(const tokenizer *t);       /* max id + 1 */
int tok_id(const tokenizer *t, const char *token_text);  /* added or vocab token, -1 */
int tok_is_special(const tokenizer *t, int32_t id);
int tok_num_merges(const tokenizer *t);
int tok_num_added(const tokenizer *t);
/* ids the post-processor puts before and after a sequence (TOK_ADD_SPECIAL) */
int tok_post_ids(const tokenizer *t, const int32_t **before, int *nbefore, const int32_t **after, int *nafter);
const char *tok_kind(const tokenizer *t);    /* "byte" or "bpe" */
const char *tok_eos(const tokenizer *t);     /* "</s>" or the tokenizer's own, may be NULL */
/* Identity of what the tokenizer does, hashed from its loaded state: equal
 * however its tokenizer.json is written (merges as "a b" or ["a", "b"],
 * defaults omitted or spelled out, added tokens in any order, whitespace,
 * "truncation"/"padding"), different when the vocabulary, merge order,
 * added tokens or their flags, unk/byte-fallback settings, normalizer,
 * pre-tokenizer, post-processor, decoder or the attached chat template
 * (chat_template.h: its text, bos_token, eos_token) differ.  Without a
 * chat template the value is what it was before templates counted. */
uint64_t tok_fingerprint(const tokenizer *t);
/* The fingerprint as records carry it (ref_tokenizer, policy.tokenizer):
 * 16 lower-case hex digits and a NUL. */
void tok_fingerprint_hex(const tokenizer *t, char out[17]);
/* Is s[0..n) (a record's string) the fingerprint fp (tok_fingerprint_hex)? */
int tok_fingerprint_is(const char fp[17], const char *s, size_t n);
/* The one identity check between two tokenizers: 1 when they encode and
 * decode alike (equal fingerprints), else 0 with the first difference
 * found in why (kind and merges, vocabulary size, a token, the chat
 * template, or the rest). */
int tok_same(const tokenizer *a, const tokenizer *b, char *why, size_t wl);

#endif
