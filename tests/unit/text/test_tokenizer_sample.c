/*
 * test_tokenizer_sample.c — the sampler's response text with a
 * SentencePiece-style tokenizer (tests/fixtures/tokenizer/llama2-sp.json:
 * "▁" pieces, byte fallback, a Strip decoder).
 *  - for each sampled record the text is tok_decode of its tokens (the EOS
 *    that ended it left out), as the Hugging Face library decodes them —
 *    not the pieces glued together (those differ: the first "▁" becomes a
 *    space the decoder strips, <0xNN> runs fuse into UTF-8);
 *  - a stop string taken from a sampled text ends the row at its first
 *    occurrence and the text is cut before it, the tokens keeping the one
 *    that completed it.
 *  - the same (text = decode) for longer, hotter samples with every
 *    decoder kind among the fixtures: SentencePiece decoders (decoded
 *    incrementally, a window of tokens per step, with <0xNN> runs that
 *    arrive byte by byte, valid or not), Metaspace-only ones, ByteLevel
 *    ones (appended token by token), and tok_decode_mode's answer for each.
 * The byte tokenizer's texts (decoding = concatenation) are covered by
 * test_sample.c.
 */
#include "model/sample.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* text = decode for B rows of `steps` tokens, temperature 1.5 */
static void text_is_decode(const char *dir, const char *name, int want_mode)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    tokenizer *tok = tok_load(path, err, sizeof err);
    if (!tok) { printf("FAIL load %s: %s\n", path, err); failures++; return; }
    CHECK(tok_decode_mode(tok) == want_mode, "%s: decode mode %d, want %d", name, tok_decode_mode(tok), want_mode);
    model_config c = {.vocab = tok_vocab_size(tok), .dim = 32, .n_layers = 1, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 8, .ffn = 64, .max_pos = 128, .norm_eps = 1e-5, .rope_theta = 10000.0,
                      .tied = 1, .lm_head = 1, .score = 0, .bos_id = 1, .eos_id = 2, .pad_id = 0};
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 11);
    enum { B = 16 };
    int32_t prompt[] = {1, 100, 120};
    const int32_t *ids[B];
    int plen[B];
    char names[B][16];
    const char *rid[B];
    for (int b = 0; b < B; b++) { ids[b] = prompt; plen[b] = 3; snprintf(names[b], sizeof names[b], "r%d", b); rid[b] = names[b]; }
    sampler_cfg cfg = sampler_defaults();
    cfg.max_new = 80;
    cfg.seed = 3;
    cfg.temperature = 1.5;
    cfg.eos_id = 2;
    sample_out o[B];
    sample_batch(m, tok, &cfg, ids, plen, rid, B, o);
    for (int b = 0; b < B; b++) {
        int n = o[b].n - (o[b].finish == FINISH_STOP && o[b].n && o[b].tokens[o[b].n - 1] == 2);
        size_t dl;
        char *d = tok_decode(tok, o[b].tokens, (size_t)n, 0, &dl);
        CHECK(dl == o[b].text_len && !memcmp(d, o[b].text, dl), "%s row %d (%d tokens): text \"%s\", decode \"%s\"",
              name, b, n, o[b].text, d);
        free(d);
        sample_out_free(&o[b]);
    }
    model_free(m);
    tok_free(tok);
}

int main(void)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *p = strstr(path, "unit/text/test_tokenizer_sample.c");
    if (p) strcpy(p, "fixtures/tokenizer/llama2-sp.json");
    tokenizer *tok = tok_load(path, err, sizeof err);
    if (!tok) { printf("FAIL load %s: %s\n", path, err); return 1; }
    model_config c = {.vocab = tok_vocab_size(tok), .dim = 32, .n_layers = 1, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 8, .ffn = 64, .max_pos = 128, .norm_eps = 1e-5, .rope_theta = 10000.0,
                      .tied = 1, .lm_head = 1, .score = 0, .bos_id = 1, .eos_id = 2, .pad_id = 0};
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 5);
    for (size_t i = 0; i < m->nparams; i++) m->params[i] *= 4;
    enum { B = 6 };
    int32_t prompt[] = {1, 100, 120};
    const int32_t *ids[B];
    int plen[B];
    const char *rid[B] = {"a", "b", "c", "d", "e", "f"};
    for (int b = 0; b < B; b++) { ids[b] = prompt; plen[b] = 3; }
    sampler_cfg cfg = sampler_defaults();
    cfg.max_new = 24;
    cfg.seed = 7;
    cfg.eos_id = 2;
    sample_out o[B];
    sample_batch(m, tok, &cfg, ids, plen, rid, B, o);
    int glued_differs = 0;
    const char *stop = NULL;
    int stop_row = -1;
    static char stopbuf[8];
    for (int b = 0; b < B; b++) {
        int n = o[b].n - (o[b].finish == FINISH_STOP && o[b].n && o[b].tokens[o[b].n - 1] == 2);
        size_t dl, gl = 0;
        char *d = tok_decode(tok, o[b].tokens, (size_t)n, 0, &dl);
        CHECK(dl == o[b].text_len && !memcmp(d, o[b].text, dl), "row %d: text \"%s\", decode \"%s\"", b, o[b].text, d);
        char *glued = xcalloc(1, 16 * (size_t)n + 1);
        for (int i = 0; i < n; i++) {
            size_t pl;
            const char *pc = tok_piece(tok, o[b].tokens[i], &pl);
            if (pc) { memcpy(glued + gl, pc, pl); gl += pl; }
        }
        glued_differs += gl != dl || memcmp(glued, d, dl);
        if (!stop && dl >= 6) {   /* a stop string from the middle of this text */
            memcpy(stopbuf, d + dl / 2, 2);
            stop = stopbuf;
            stop_row = b;
        }
        free(glued);
        free(d);
    }
    CHECK(glued_differs > 0, "no row where decoding differs from glued pieces: the test shows nothing");
    if (stop) {
        const char *stops[] = {stop};
        sampler_cfg cs = cfg;
        cs.stop = stops;
        cs.nstop = 1;
        sample_out s;
        sample_batch(m, tok, &cs, ids + stop_row, plen + stop_row, rid + stop_row, 1, &s);
        const char *at = strstr(o[stop_row].text, stop);
        size_t want = at ? (size_t)(at - o[stop_row].text) : 0;
        CHECK(at && s.finish == FINISH_STOP && s.text_len == want && !memcmp(s.text, o[stop_row].text, want) &&
              s.n <= o[stop_row].n && !memcmp(s.tokens, o[stop_row].tokens, sizeof(int32_t) * (size_t)s.n),
              "stop \"%s\": text \"%s\" (%zu, want %zu), finish %d", stop, s.text, s.text_len, want, s.finish);
        size_t dl;   /* the tokens up to the one that completed the stop string decode past it */
        char *d = tok_decode(tok, s.tokens, (size_t)s.n, 0, &dl);
        CHECK(dl >= want + strlen(stop) && !memcmp(d + want, stop, strlen(stop)), "stop tokens decode \"%s\"", d);
        free(d);
        sample_out_free(&s);
    } else CHECK(0, "no sampled text long enough for a stop string");
    for (int b = 0; b < B; b++) sample_out_free(&o[b]);
    model_free(m);
    tok_free(tok);
    if (p) {
        *p = 0;
        strcat(path, "fixtures/tokenizer");
        text_is_decode(path, "llama2-sp", TOK_DECODE_WINDOW);
        text_is_decode(path, "sp-unk", TOK_DECODE_WINDOW);
        text_is_decode(path, "metaspace-first", TOK_DECODE_WINDOW);
        text_is_decode(path, "metaspace-legacy", TOK_DECODE_WINDOW);
        text_is_decode(path, "qwen2", TOK_DECODE_APPEND);
        text_is_decode(path, "gpt2-prefix", TOK_DECODE_APPEND);
    }
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("sampler text = decode ok\n");
    return 0;
}
