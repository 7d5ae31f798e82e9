/*
 * test_tokenizer.c — tokenizers against hand-computed ids.
 *  - byte tokenizer: round trip of arbitrary bytes (invalid UTF-8, NULs),
 *    specials split out only when asked, save -> load -> same ids;
 *  - GPT-2-style BPE fixture (tests/fixtures/model/bpe-gpt2.json): merges in
 *    both forms, added tokens, unicode (é as two bytes merged), whitespace
 *    runs (the \s+(?!\S) rule);
 *  - Llama-3-style fixture: Split regex (digits in groups of 3) then
 *    ByteLevel without regex, ignore_merges;
 *  - the heap merge used for long pieces equals the simple merge loop on
 *    random strings, and a 200 000-letter piece encodes (in linear-log time);
 *  - NFC on hand-picked cases (composition, reordering of marks, Hangul,
 *    singletons and exclusions, invalid bytes passed through);
 *  - SentencePiece pieces: tok_piece gives " " for "▁" and the byte of
 *    <0xNN>; the post-processor's BOS comes only with TOK_ADD_SPECIAL;
 *  - bad tokenizer.json files are refused with a message (Metaspace
 *    replacements of more than one character too);
 *  - a regex that fails to run (match limit) ends the program with
 *    EX_DATAERR naming the pre-tokenizer or normalizer (forked child);
 *  - GPT-2's byte map (closed form) against its definition;
 *  - threads sharing one tokenizer get the same ids and text as one;
 *  - offsets on random byte strings (ASCII, multi-byte, invalid UTF-8,
 *    added-token text) with every parity fixture and the byte tokenizer:
 *    the same ids as tok_encode, 0 <= start <= end <= n, and for the byte
 *    tokenizer the token's bytes (at the running sum of token lengths) lie
 *    in its span — exactly for ASCII, the whole character for the bytes of
 *    a multi-byte one, as the library gives.
 * Exact agreement with the Hugging Face library is test_tokenizer_parity's.
 */
#include "text/tokenizer.h"
#include "text/tokenizer_int.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

/* GPT-2 byte -> code point (as in tokenizer.c; restated for the fixture) */
static int bl_cp(int b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) return b;
    int n = 0;
    for (int i = 0; i < b; i++)
        if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255))) n++;
    return 256 + n;
}
static char fixdir[512];

static void expect(const tokenizer *t, const char *text, const int32_t *want, long nwant)
{
    int32_t *ids;
    char err[256];
    long n = tok_encode(t, text, strlen(text), 1, &ids, err, sizeof err);
    int ok = n == nwant && !memcmp(ids, want, sizeof(int32_t) * (size_t)nwant);
    if (!ok) {
        printf("FAIL encode \"%s\": got", text);
        for (long i = 0; i < n; i++) printf(" %d", ids[i]);
        printf(" want");
        for (long i = 0; i < nwant; i++) printf(" %d", want[i]);
        printf("\n");
        failures++;
    }
    size_t len;
    char *back = tok_decode(t, ids, (size_t)n, 0, &len);
    if (len != strlen(text) || memcmp(back, text, len)) { printf("FAIL decode \"%s\" -> \"%s\"\n", text, back); failures++; }
    free(back);
    free(ids);
}

static tokenizer *load_fix(const char *name)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    tokenizer *t = tok_load(path, err, sizeof err);
    if (!t) { printf("FAIL load %s: %s\n", path, err); exit(1); }
    return t;
}

static void test_byte(void)
{
    tokenizer *t = tok_byte_new();
    rng_t r;
    rng_seed(&r, 5);
    char buf[300];
    for (int rep = 0; rep < 50; rep++) {
        size_t n = rng_below(&r, sizeof buf);
        for (size_t i = 0; i < n; i++) buf[i] = (char)rng_below(&r, 256);
        int32_t *ids;
        char err[128];
        long k = tok_encode(t, buf, n, 0, &ids, err, sizeof err);
        size_t len;
        char *back = tok_decode(t, ids, (size_t)k, 0, &len);
        if (k != (long)n || len != n || memcmp(back, buf, n)) { printf("FAIL byte round trip\n"); failures++; }
        free(ids); free(back);
    }
    int32_t w1[] = {257, 'h', 'i', '\n', 258, 259};
    expect(t, "<|user|>hi\n<|assistant|></s>", w1, 6);
    int32_t *ids;
    char err[128];
    long k = tok_encode(t, "</s>", 4, 0, &ids, err, sizeof err);
    if (k != 4 || ids[0] != '<') { printf("FAIL specials split without special=1\n"); failures++; }
    free(ids);
    if (tok_vocab_size(t) != 261 || tok_id(t, "<pad>") != 260) { printf("FAIL byte vocab\n"); failures++; }
    /* save -> load gives the same tokenizer (BPE without merges) */
    char path[] = "/tmp/prefpipe-tok-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    if (tok_save(t, path, err, sizeof err)) { printf("FAIL save: %s\n", err); failures++; }
    tokenizer *u = tok_load(path, err, sizeof err);
    unlink(path);
    if (!u) { printf("FAIL reload: %s\n", err); failures++; tok_free(t); return; }
    expect(u, "<|user|>hi\n<|assistant|></s>", w1, 6);
    int32_t w2[] = {0xc3, 0xa9, ' ', ' ', 'x'};
    expect(u, "\xc3\xa9  x", w2, 5);
    if (tok_vocab_size(u) != 261) { printf("FAIL reloaded vocab %d\n", tok_vocab_size(u)); failures++; }
    tok_free(u);
    tok_free(t);
}

static void test_gpt2(void)
{
    tokenizer *t = load_fix("bpe-gpt2.json");
    int32_t a[] = {257, 32, 256, 259, 111};
    expect(t, "the hello", a, 5);
    int32_t b[] = {262, 10, 257, 263};
    expect(t, "<|user|>\nthe</s>", b, 4);
    int32_t c[] = {98, 260};
    expect(t, "bell", c, 2);
    int32_t d[] = {99, 97, 102, 261, 32, 32, 120};
    expect(t, "caf\xc3\xa9  x", d, 7);
    int32_t e[] = {258};
    expect(t, " the", e, 1);
    int32_t f[] = {'i', 't', '\'', 's', 32, 32, 10};
    expect(t, "it's  \n", f, 7);
    if (tok_num_merges(t) != 6 || tok_vocab_size(t) != 264) {
        printf("FAIL gpt2 fixture: %d merges, vocab %d\n", tok_num_merges(t), tok_vocab_size(t));
        failures++;
    }
    tok_free(t);
}

/* the heap merge (long pieces) agrees with the simple loop on random
 * strings, and a 200 000-letter piece encodes quickly (it was quadratic) */
static void test_heap_merge(void)
{
    tokenizer *t = load_fix("bpe-gpt2.json");
    rng_t r;
    rng_seed(&r, 9);
    static const char alpha[] = "thel";
    char buf[400];
    for (int rep = 0; rep < 300; rep++) {
        size_t n = 1 + rng_below(&r, sizeof buf - 1);
        for (size_t i = 0; i < n; i++) buf[i] = alpha[rng_below(&r, 4)];
        int32_t *a, *b;
        char err[128];
        tok_heap_min = 1 << 30;
        long na = tok_encode(t, buf, n, 0, &a, err, sizeof err);
        tok_heap_min = 0;
        long nb = tok_encode(t, buf, n, 0, &b, err, sizeof err);
        if (na != nb || memcmp(a, b, sizeof(int32_t) * (size_t)na)) {
            printf("FAIL heap merge differs on \"%.*s\" (%ld vs %ld tokens)\n", (int)n, buf, na, nb);
            failures++;
            free(a); free(b);
            break;
        }
        free(a); free(b);
    }
    tok_heap_min = 48;
    size_t n = 200000;
    char *big = malloc(n);
    memset(big, 'l', n);
    int32_t *ids;
    char err[128];
    long k = tok_encode(t, big, n, 0, &ids, err, sizeof err);
    if (k != (long)n / 2 || ids[0] != 259) { printf("FAIL long piece: %ld tokens\n", k); failures++; }
    free(ids);
    free(big);
    tok_free(t);
}

static void test_llama3(void)
{
    tokenizer *t = load_fix("bpe-llama3.json");
    int32_t a[] = {256, '3', '4', '5', '6'};
    expect(t, "123456", a, 5);
    int32_t b[] = {'a', 258};
    expect(t, "a<|eot_id|>", b, 2);
    if (!tok_eos(t) || strcmp(tok_eos(t), "<|eot_id|>")) { printf("FAIL llama3 eos\n"); failures++; }
    tok_free(t);
}

/* Digits(individual_digits) then ByteLevel: SmolLM2's pre-tokenizer */
static void test_digits(void)
{
    char *j = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&j, &n);
    fprintf(f, "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
               "{\"type\": \"Digits\", \"individual_digits\": true},"
               "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}]},"
               "\"model\": {\"type\": \"BPE\", \"vocab\": {");
    for (int b = 0; b < 256; b++) {
        int cp = bl_cp(b);
        if (cp < 0x80) fprintf(f, "%s\"%s%c\": %d", b ? "," : "", (cp == '"' || cp == '\\') ? "\\" : "", cp, b);
        else fprintf(f, "%s\"%c%c\": %d", b ? "," : "", 0xc0 | (cp >> 6), 0x80 | (cp & 0x3f), b);
    }
    fprintf(f, ",\"12\": 256, \"ab\": 257}, \"merges\": [\"1 2\", \"a b\"]}, \"decoder\": {\"type\": \"ByteLevel\"}}");
    fclose(f);
    char err[256];
    tokenizer *t = tok_parse(j, n, err, sizeof err);
    free(j);
    if (!t) { printf("FAIL digits tokenizer: %s\n", err); failures++; return; }
    /* "12" would merge, but digits are split one by one first; "ab" merges */
    int32_t want[] = {'1', '2', 257, '3'};
    expect(t, "12ab3", want, 4);
    tok_free(t);
}

static void test_nfc(void)
{
    static const char *cases[][2] = {
        {"plain ascii", "plain ascii"},
        {"cafe\xcc\x81", "caf\xc3\xa9"},                         /* e + U+0301 -> U+00E9 */
        {"a\xcc\xa7\xcc\x81", "\xc3\xa1\xcc\xa7"},            /* acute (230) composes past cedilla (202) */
        {"e\xcc\x81\xcc\xa7", "\xc8\xa9\xcc\x81"},            /* marks reordered (327 < 301), e+cedilla composes */
        {"\xe2\x84\xab", "\xc3\x85"},                            /* ANGSTROM SIGN -> U+00C5 (singleton) */
        {"\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "\xed\x95\x9c"},  /* jamo -> Hangul syllable */
        {"\xe0\xa5\x98", "\xe0\xa4\x95\xe0\xa4\xbc"},        /* U+0958 is excluded from composition */
        {"x\xff\xcc\x81y", "x\xff\xcc\x81y"},                   /* an invalid byte blocks, passes through */
        {"\xcc\x81" "e", "\xcc\x81" "e"},                               /* a leading mark stays */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *o = un_nfc(cases[i][0], strlen(cases[i][0]), &n);
        if (n != strlen(cases[i][1]) || memcmp(o, cases[i][1], n)) { printf("FAIL nfc case %zu\n", i); failures++; }
        free(o);
    }
}

static void test_sentencepiece(void)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/../tokenizer/llama2-sp.json", fixdir);
    tokenizer *t = tok_load(path, err, sizeof err);
    if (!t) { printf("FAIL load %s: %s\n", path, err); failures++; return; }
    size_t l;
    const char *p = tok_piece(t, tok_id(t, "<0x0A>"), &l);
    if (!p || l != 1 || p[0] != '\n') { printf("FAIL <0x0A> piece\n"); failures++; }
    p = tok_piece(t, tok_id(t, "\xe2\x96\x81"), &l);
    if (!p || l != 1 || p[0] != ' ') { printf("FAIL \u2581 piece\n"); failures++; }
    int32_t *a, *b;
    long na = tok_encode(t, "x", 1, TOK_SPLIT_SPECIAL | TOK_ADD_SPECIAL, &a, err, sizeof err);
    long nb = tok_encode(t, "x", 1, TOK_SPLIT_SPECIAL, &b, err, sizeof err);
    /* "x" -> "▁x": ▁ and x are separate tokens here; BOS (1) only when asked */
    if (na != nb + 1 || a[0] != 1 || memcmp(a + 1, b, sizeof *b * (size_t)nb) || nb != 2) {
        printf("FAIL BOS: %ld vs %ld tokens\n", na, nb);
        failures++;
    }
    size_t dl;
    char *d = tok_decode(t, a, (size_t)na, TOK_SKIP_SPECIAL, &dl);
    if (strcmp(d, "x")) { printf("FAIL decode \"%s\"\n", d); failures++; }
    free(d); free(a); free(b);
    tok_free(t);
}

static void test_bad(void)
{
    static const char *bad[] = {
        "{",
        "[]",
        "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}",
        "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"unk_token\": \"<unk>\", \"vocab\": {}}}",
        "{\"normalizer\": {\"type\": \"Precompiled\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}",
        "{\"added_tokens\": [{\"id\": 0, \"content\": \"x\", \"single_word\": true}], \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"decoder\": {\"type\": \"CTC\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}], \"special_tokens\": {}}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [], \"special_tokens\": {}}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"model\": {\"type\": \"BPE\", \"dropout\": 0.1, \"vocab\": {}}}",
        "{\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \"[\"}, \"content\": \"\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}}}",
        "{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        /* Metaspace replacements of two characters (4 bytes or less: once accepted by the pre-tokenizer) */
        "{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"ab\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\\u00e9x\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        "{\"decoder\": {\"type\": \"Metaspace\", \"replacement\": \"ab\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}",
        /* a post-processor adding an id that is a hole in the vocabulary
         * (found by fuzz_tokenizer: tok_piece of it was NULL) */
        "{\"post_processor\": {\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\", 3], \"cls\": [\"<s>\", 1]}, "
        "\"model\": {\"type\": \"BPE\", \"vocab\": {\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2, \"a\": 4}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[256] = "";
        tokenizer *t = tok_parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (t || !err[0]) { printf("FAIL bad tokenizer %zu accepted\n", i); failures++; tok_free(t); }
        else printf("refused %zu: %s\n", i, err);
        if (!t && strstr(bad[i], "\"Metaspace\"") && strstr(bad[i], "replacement") &&
            !strstr(err, "must be exactly one character")) {
            printf("FAIL Metaspace refusal %zu: \"%s\"\n", i, err);
            failures++;
        }
    }
}

/* A regex that cannot run (its match limit) ends the program with
 * EX_DATAERR and a message naming its role, instead of leaving the text
 * unsplit / unreplaced. */
static void regex_dies(const char *json, const char *role)
{
    char err[256] = "";
    tokenizer *t = tok_parse(json, strlen(json), err, sizeof err);
    if (!t) { printf("FAIL regex_dies: %s\n", err); failures++; return; }
    int pfd[2];
    if (pipe(pfd)) { perror("pipe"); failures++; tok_free(t); return; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        int32_t *ids;
        const char *text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
        long n = tok_encode(t, text, strlen(text), 0, &ids, err, sizeof err);
        _exit(n >= 0 ? 0 : 1);
    }
    close(pfd[1]);
    char msg[512] = "";
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof msg && (r = read(pfd[0], msg + got, sizeof msg - 1 - got)) > 0) got += (size_t)r;
    msg[got] = 0;
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    char want[128];
    snprintf(want, sizeof want, "tokenizer: %s regex failed", role);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != EX_DATAERR || !strstr(msg, want)) {
        printf("FAIL %s regex error: exit %d, stderr \"%s\"\n", role, WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
        failures++;
    }
    tok_free(t);
}

static void test_regex_errors(void)
{
    regex_dies("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(*LIMIT_MATCH=20)(a|aa)+$\"}, "
               "\"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}}}",
               "pre-tokenizer");
    regex_dies("{\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \"(*LIMIT_MATCH=20)(a|aa)+$\"}, "
               "\"content\": \"x\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}}}",
               "normalizer Replace");
}

/* GPT-2's byte map, computed in closed form, against its definition */
static void test_byte_map(void)
{
    for (int b = 0; b < 256; b++)
        if (bl_codepoint(b) != bl_cp(b) || bl_byte(bl_cp(b)) != b) {
            printf("FAIL byte map at %d\n", b);
            failures++;
        }
    int mapped = 0;
    for (int cp = -1; cp < 400; cp++) mapped += bl_byte(cp) >= 0;
    if (mapped != 256) { printf("FAIL byte map: %d code points map to bytes\n", mapped); failures++; }
}

/* One tokenizer shared by threads (a Replace regex normalizer, whose match
 * data once lived in the tokenizer; decoding through the byte-level map,
 * once a lazily filled table): the same ids and text as one thread gets. */
static void test_threads(void)
{
    json_t *vocab = json_object();
    for (int b = 0; b < 256; b++) {
        char u[5] = {0};
        un_utf8_put((uint32_t)bl_cp(b), u);
        json_object_set_new(vocab, u, json_integer(b));
    }
    json_t *j = json_pack("{s:{s:s,s:o,s:[]},s:{s:s,s:b,s:b},s:{s:s,s:{s:s},s:s},s:{s:s}}",
                          "model", "type", "BPE", "vocab", vocab, "merges",
                          "pre_tokenizer", "type", "ByteLevel", "add_prefix_space", 0, "use_regex", 1,
                          "normalizer", "type", "Replace", "pattern", "Regex", "[0-9]+", "content", "#",
                          "decoder", "type", "ByteLevel");
    char *json = json_dumps(j, 0), err[256];
    json_decref(j);
    tokenizer *t = tok_parse(json, strlen(json), err, sizeof err);
    free(json);
    if (!t) { printf("FAIL threads tokenizer: %s\n", err); failures++; return; }
    enum { N = 64 };
    char texts[N][96];
    for (int i = 0; i < N; i++)
        snprintf(texts[i], sizeof texts[i], "row %d: 12 apples, %d pears and 345678 plums \xe2\x80\x94 %d", i, i * 7919, i);
    int32_t *ref[N];
    long nref[N];
    char *dref[N];
    for (int i = 0; i < N; i++) {   /* reference, one thread */
        nref[i] = tok_encode(t, texts[i], strlen(texts[i]), 0, &ref[i], err, sizeof err);
        size_t dl;
        dref[i] = tok_decode(t, ref[i], (size_t)nref[i], 0, &dl);
    }
    if (!strstr(dref[5], "row #: # apples") || strstr(dref[5], "12")) { printf("FAIL threads: decode \"%s\"\n", dref[5]); failures++; }
    int bad = 0;
    #pragma omp parallel for reduction(+:bad) schedule(dynamic, 1)
    for (int r = 0; r < 200 * N; r++) {
        int i = r % N;
        int32_t *ids;
        char e[64];
        long n = tok_encode(t, texts[i], strlen(texts[i]), 0, &ids, e, sizeof e);
        size_t dl;
        char *d = tok_decode(t, ids, (size_t)n, 0, &dl);
        bad += n != nref[i] || memcmp(ids, ref[i], sizeof *ids * (size_t)n) || strcmp(d, dref[i]);
        free(ids);
        free(d);
    }
    if (bad) { printf("FAIL threads: %d results differ\n", bad); failures++; }
    for (int i = 0; i < N; i++) { free(ref[i]); free(dref[i]); }
    tok_free(t);
}

static void offsets_random(const tokenizer *t, const char *name, int byte_tok)
{
    static const char *frag[] = {"a", "the ", " ", "  ", "\n", "\xc3\xa9", "e\xcc\x81", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                 "\xff", "\x80", "\xe2\x82", "</s>", "<s>", "<|user|>", "\xe2\x96\x81", "\t", "x y"};
    uint64_t x = 88172645463325252ull;
    for (int r = 0; r < 300; r++) {
        char buf[256];
        size_t n = 0;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int k = (int)(x % 12);
        for (int i = 0; i < k; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            const char *f = frag[x % (sizeof frag / sizeof *frag)];
            memcpy(buf + n, f, strlen(f));
            n += strlen(f);
        }
        for (int flags = 0; flags < 4; flags++) {
            int32_t *a, *b;
            tok_offset *o;
            char err[64];
            long na = tok_encode(t, buf, n, flags, &a, err, sizeof err);
            long nb = tok_encode_offsets(t, buf, n, flags, &b, &o, err, sizeof err);
            int ok = na == nb && !memcmp(a, b, sizeof *a * (size_t)na);
            size_t run = 0;
            for (long i = 0; ok && i < nb; i++) {
                ok = o[i].start <= o[i].end && o[i].end <= n;
                if (byte_tok && ok) {
                    size_t pl;
                    tok_piece(t, b[i], &pl);
                    ok = o[i].start <= run && run + pl <= o[i].end && (pl != 1 || (unsigned char)buf[run] >= 0x80 ||
                                                             (o[i].start == run && o[i].end == run + 1));
                    run += pl;
                }
            }
            if (!ok) { printf("FAIL offsets %s flags %d, input %d\n", name, flags, r); failures++; r = 300; }
            free(a); free(b); free(o);
            if (!ok) break;
        }
    }
}

static void test_offsets(void)
{
    static const char *names[] = {"llama2-sp", "metaspace-first", "metaspace-legacy", "qwen2", "llama3", "sp-unk",
                                  "sp-unk-nofuse", "sp-misc", "gpt2-prefix", "trained"};
    tokenizer *bt = tok_byte_new();
    offsets_random(bt, "byte", 1);
    tok_free(bt);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[600], err[256];
        snprintf(path, sizeof path, "%s/../tokenizer/%s.json", fixdir, names[i]);
        tokenizer *t = tok_load(path, err, sizeof err);
        if (!t) { printf("FAIL load %s: %s\n", path, err); failures++; continue; }
        offsets_random(t, names[i], 0);
        tok_free(t);
    }
}

int main(void)
{
    snprintf(fixdir, sizeof fixdir, "%s", __FILE__);
    char *p = strstr(fixdir, "unit/text/test_tokenizer.c");
    if (p) strcpy(p, "fixtures/model");
    test_byte();
    test_gpt2();
    test_llama3();
    test_heap_merge();
    test_digits();
    test_nfc();
    test_sentencepiece();
    test_bad();
    test_regex_errors();
    test_byte_map();
    test_threads();
    test_offsets();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("tokenizers ok\n");
    return 0;
}
