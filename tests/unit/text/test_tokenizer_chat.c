/*
 * test_tokenizer_chat.c — the Tülu chat template.
 *  - rendering of system/user/assistant turns and the generation prompt,
 *    byte for byte against the template text;
 *  - token ids with the byte tokenizer and the assistant mask: exactly the
 *    assistant content bytes and their </s> are marked;
 *  - with the BPE fixture, merged tokens inside the response are marked
 *    and the prompt's are not;
 *  - with the SentencePiece fixture (Llama 2 style normalizer: Prepend "▁"
 *    to each piece between added tokens, spaces -> "▁"), the marked tokens
 *    decode to exactly the assistant content and </s> (the running-sum
 *    mask marked the newline after <|assistant|> and missed </s>);
 *  - a prompt ending in an assistant prefix continues it (no EOS, no
 *    second assistant turn), on token ids, and a response after it joins
 *    the same turn;
 *  - unknown roles are refused.
 */
#include "text/chat_template.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

int main(void)
{
    tokenizer *t = tok_byte_new();
    chat_msg conv[] = {{"system", "be brief", 8}, {"user", "hi", 2}, {"assistant", "yo", 2},
                       {"user", "and?", 4}, {"assistant", "ok", 2}};
    size_t len;
    char *s = chat_render(t, conv, 5, 0, &len);
    const char *want = "<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\nyo</s>\n<|user|>\nand?\n<|assistant|>\nok</s>";
    CHECK(len == strlen(want) && !strcmp(s, want), "render: \"%s\"", s);
    free(s);
    s = chat_render(t, conv, 2, 1, &len);
    CHECK(!strcmp(s, "<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\n"), "generation prompt: \"%s\"", s);
    free(s);

    int32_t *ids;
    uint8_t *mask;
    char err[128];
    long n = chat_encode(t, conv + 1, 2, 0, &ids, &mask, err, sizeof err);
    /* <|user|> \n h i \n <|assistant|> \n y o </s> */
    int32_t wid[] = {257, 10, 'h', 'i', 10, 258, 10, 'y', 'o', 259};
    uint8_t wm[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    CHECK(n == 10 && !memcmp(ids, wid, sizeof wid) && !memcmp(mask, wm, sizeof wm), "byte ids/mask (n=%ld)", n);
    free(ids); free(mask);

    /* a prompt ending in an assistant prefix ("Answer:", as bench-load's
     * chat prompts): the generation prompt continues that message — no
     * </s> (259), no second <|assistant|> (258) */
    chat_msg pre[] = {{"user", "q?", 2}, {"assistant", "A:", 2}};
    s = chat_render(t, pre, 2, 1, &len);
    CHECK(!strcmp(s, "<|user|>\nq?\n<|assistant|>\nA:"), "open prefix render: \"%s\"", s);
    free(s);
    n = chat_encode(t, pre, 2, 1, &ids, NULL, err, sizeof err);
    int32_t wpre[] = {257, 10, 'q', '?', 10, 258, 10, 'A', ':'};
    CHECK(n == 9 && !memcmp(ids, wpre, sizeof wpre), "open prefix ids (n=%ld)", n);
    free(ids);
    /* without a generation prompt the prefix is a finished turn, as before */
    s = chat_render(t, pre, 2, 0, &len);
    CHECK(!strcmp(s, "<|user|>\nq?\n<|assistant|>\nA:</s>"), "closed prefix render: \"%s\"", s);
    free(s);
    /* the response continues the prefix: prompt ids as above, then the
     * response bytes and one </s> */
    int32_t *pi, *ri;
    long np;
    long nr = chat_encode_response(t, pre, 2, " 42", 3, &pi, &np, &ri, err, sizeof err);
    int32_t wresp[] = {' ', '4', '2', 259};
    CHECK(np == 9 && !memcmp(pi, wpre, sizeof wpre) && nr == 4 && !memcmp(ri, wresp, sizeof wresp),
          "response after prefix (np=%ld nr=%ld)", np, nr);
    free(pi), free(ri);

    chat_msg bad[] = {{"tool", "x", 1}};
    CHECK(chat_encode(t, bad, 1, 0, &ids, &mask, err, sizeof err) < 0, "unknown role accepted");
    tok_free(t);

    char path[512];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *p = strstr(path, "unit/text/test_tokenizer_chat.c");
    if (p) strcpy(p, "fixtures/model/bpe-gpt2.json");
    tokenizer *b = tok_load(path, err, sizeof err);
    CHECK(b != NULL, "load %s: %s", path, err);
    if (b) {
        chat_msg c2[] = {{"user", "the", 3}, {"assistant", "the hello", 9}};
        n = chat_encode(b, c2, 2, 0, &ids, &mask, err, sizeof err);
        /* prompt: <|user|> \n the \n then "<|assistant|>" is not an added
         * token of this fixture, so it is bytes; response: the _ he ll o </s> */
        int marked = 0, the_in_prompt = -1;
        for (long i = 0; i < n; i++) {
            marked += mask[i];
            if (ids[i] == 257 && the_in_prompt < 0) the_in_prompt = mask[i];
        }
        CHECK(marked == 6 && the_in_prompt == 0 && mask[n - 1] && ids[n - 1] == 263,
              "BPE mask: %d marked, prompt 'the' mask %d", marked, the_in_prompt);
        free(ids); free(mask);
        tok_free(b);
    }
    if (p) strcpy(p, "fixtures/tokenizer/llama2-sp.json");
    tokenizer *sp = tok_load(path, err, sizeof err);
    CHECK(sp != NULL, "load %s: %s", path, err);
    if (sp) {
        chat_msg c3[] = {{"user", "hi", 2}, {"assistant", "hello there", 11}, {"user", "and?", 4},
                         {"assistant", "the end", 7}};
        n = chat_encode(sp, c3, 4, 0, &ids, &mask, err, sizeof err);
        const char *want_turn[] = {"hello there</s>", "the end</s>"};
        long i = 0;
        for (int turn = 0; turn < 2; turn++) {
            while (i < n && !mask[i]) i++;
            long j = i;
            while (j < n && mask[j]) j++;
            size_t dl;
            char *d = tok_decode(sp, ids + i, (size_t)(j - i), 0, &dl);
            CHECK(!strcmp(d, want_turn[turn]), "SentencePiece turn %d marked text \"%s\"", turn, d);
            free(d);
            i = j;
        }
        while (i < n && !mask[i]) i++;
        CHECK(i == n, "SentencePiece: more than two marked runs");
        free(ids); free(mask);
        tok_free(sp);
    }
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("chat template ok\n");
    return 0;
}
