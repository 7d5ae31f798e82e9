/*
 * tokenizer.h — byte-level BPE tokenizers (Hugging Face tokenizer.json) and
 * the built-in byte tokenizer, which is the same machinery with no merges.
 *
 * Encoding: (1) added tokens (specials such as <|user|>, </s>) are split
 * out first by longest match; (2) each remaining segment is pre-tokenized
 * (ByteLevel with the GPT-2 regex, or Split patterns as in Llama 3 / Qwen,
 * compiled with PCRE2 UTF + UCP + JIT); (3) each piece's bytes map to their
 * byte tokens and adjacent pairs merge by rank until no merge applies.
 * Decoding concatenates the bytes of each token.  The post-processor of a
 * tokenizer.json (e.g. a BOS token) is NOT applied: callers and the chat
 * template add the tokens they need.
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

/* Encode n bytes; *ids is malloc'd.  special: split out added tokens (else
 * their text is encoded as ordinary bytes).  Returns the count, or -1 with
 * a message (a byte with no token). */
long tok_encode(const tokenizer *t, const char *s, size_t n, int special,
                int32_t **ids, char *err, size_t errlen);
/* Decode to malloc'd bytes (NUL-terminated, length in *len); ids outside
 * the vocabulary are skipped; skip_special drops special tokens. */
char *tok_decode(const tokenizer *t, const int32_t *ids, size_t n, int skip_special, size_t *len);
/* The bytes of one token (NULL if unknown id). */
const char *tok_piece(const tokenizer *t, int32_t id, size_t *len);

int tok_vocab_size(const tokenizer *t);       /* max id + 1 */
int tok_id(const tokenizer *t, const char *token_text);  /* added or vocab token, -1 */
int tok_is_special(const tokenizer *t, int32_t id);
int tok_num_merges(const tokenizer *t);
int tok_num_added(const tokenizer *t);
const char *tok_kind(const tokenizer *t);    /* "byte" or "bpe" */
const char *tok_eos(const tokenizer *t);     /* "</s>" or the tokenizer's own, may be NULL */

#endif
