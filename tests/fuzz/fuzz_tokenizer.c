/*
 * fuzz_tokenizer.c — libFuzzer target for the tokenizer.json loader and
 * the BPE encoder.  The input is split at the first NUL byte: the part
 * before is parsed as tokenizer.json; if it loads, the part after is
 * encoded (with and without special-token splitting) and decoded again,
 * and the byte-level round trip is checked (decode(encode(x)) == x, or
 * " " + x when the tokenizer adds a prefix space).
 *
 *   clang -fsanitize=fuzzer,address -Ilib -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_tokenizer.c lib/tokenizer.c lib/tokenizer_bpe.c \
 *     lib/util.c -ljansson -lpcre2-8 -o build/fuzz_tokenizer
 */
#include "tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t jl = nul ? (size_t)(nul - data) : size;
    char err[256];
    tokenizer *t = tok_parse((const char *)data, jl, err, sizeof err);
    if (!t) return 0;
    const char *text = nul ? (const char *)nul + 1 : "hello world 123 </s>";
    size_t tl = nul ? size - jl - 1 : strlen(text);
    for (int special = 0; special < 2; special++) {
        int32_t *ids;
        long n = tok_encode(t, text, tl, special, &ids, err, sizeof err);
        if (n < 0) continue;
        size_t len;
        char *back = tok_decode(t, ids, (size_t)n, 0, &len);
        /* lossless, up to the space a ByteLevel add_prefix_space prepends */
        int same = len == tl && !memcmp(back, text, tl);
        int prefixed = len == tl + 1 && back[0] == ' ' && !memcmp(back + 1, text, tl);
        if (!special && !same && !prefixed) abort();
        free(back);
        free(ids);
    }
    tok_free(t);
    return 0;
}
