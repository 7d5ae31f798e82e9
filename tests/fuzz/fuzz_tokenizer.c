/*
 * fuzz_tokenizer.c — libFuzzer target for the tokenizer.json loader, the
 * encoder and the decoder.  The input is split at the first NUL byte: the
 * part before is parsed as tokenizer.json; if it loads, the part after is
 * encoded (with and without special-token splitting and the
 * post-processor) and decoded again (raw, skipping specials, and as UTF-8,
 * which must then be valid).  Where decoding is lossless — byte-level
 * vocabulary with every byte, no normalizer, exactly a ByteLevel decoder —
 * the round trip is checked: decode(encode(x)) == x, or " " + x when
 * ByteLevel adds a prefix space.  Every id's piece must be readable.
 *
 *   make fuzz   (or: clang -fsanitize=fuzzer,address -Ilib -D_GNU_SOURCE
 *     tests/fuzz/fuzz_tokenizer.c lib/tokenizer*.c lib/text/unicode_norm.c
 *     lib/base/util.c -ljansson -lpcre2-8 -o build/fuzz_tokenizer)
 */
#include "text/tokenizer.h"
#include "text/tokenizer_int.h"
#include "base/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int lossless(const tokenizer *t)
{
    if (!t->byte_level || t->nnorm || t->ndec != 1 || t->dec[0].kind != DEC_BYTELEVEL) return 0;
    for (int i = 0; i < t->npre; i++)   /* a prefix space only once, before any split */
        if (t->pre[i].kind == PRE_METASPACE || (t->pre[i].kind == PRE_PREFIX_SPACE && i)) return 0;
    for (int b = 0; b < 256; b++)
        if (t->byte_id[b] < 0) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t jl = nul ? (size_t)(nul - data) : size;
    char err[256];
    tokenizer *t = tok_parse((const char *)data, jl, err, sizeof err);
    if (!t) return 0;
    const char *text = nul ? (const char *)nul + 1 : "hello world 123 </s>";
    size_t tl = nul ? size - jl - 1 : strlen(text);
    int exact = lossless(t);
    for (int flags = 0; flags < 4; flags++) {
        int32_t *ids;
        long n = tok_encode(t, text, tl, flags, &ids, err, sizeof err);
        if (n < 0) abort();   /* encoding never fails */
        size_t len;
        char *back = tok_decode(t, ids, (size_t)n, 0, &len);
        /* lossless, up to the space a ByteLevel add_prefix_space prepends */
        int same = len == tl && !memcmp(back, text, tl);
        int prefixed = len == tl + 1 && back[0] == ' ' && !memcmp(back + 1, text, tl);
        if (flags == 0 && exact && !same && !prefixed) abort();
        free(back);
        back = tok_decode(t, ids, (size_t)n, TOK_SKIP_SPECIAL | TOK_DECODE_UTF8, &len);
        if (!utf8_valid(back, len)) abort();
        free(back);
        for (long i = 0; i < n; i++) {
            size_t pl;
            if (!tok_piece(t, ids[i], &pl)) abort();   /* every id encode gives is a token */
        }
        free(ids);
    }
    tok_free(t);
    return 0;
}
