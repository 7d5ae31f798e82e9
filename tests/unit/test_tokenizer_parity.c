/*
 * test_tokenizer_parity.c — our tokenizer against what the Hugging Face
 * tokenizers library recorded (tests/parity/gen-tokenizer-fixtures.js).
 *
 * For every tests/fixtures/tokenizer/NAME.json: each record of
 * NAME.expected.jsonl gives a text and the library's ids with the
 * post-processor (encode(text) / add_special_tokens=True), without it, and
 * the decodes of the ids with skip_special_tokens false and true; each
 * record of NAME.decode.jsonl gives pseudo-random ids and their decodes.
 * Every comparison is exact (ids, and decoded bytes with TOK_DECODE_UTF8 as
 * the library returns a String).  Texts with newlines, NFC, byte fallback
 * and unknown characters are covered here; tests/tokenizer-parity.bats runs
 * the newline-free texts through lm-tokenize as well.
 */
#include "tokenizer.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

static void show_ids(const char *label, const int32_t *ids, long n)
{
    printf("  %s:", label);
    for (long i = 0; i < n; i++) printf(" %d", ids[i]);
    printf("\n");
}

static int ids_from_json(json_t *a, int32_t **out)
{
    size_t n = json_array_size(a), i;
    json_t *x;
    *out = malloc(sizeof(int32_t) * (n + 1));
    json_array_foreach(a, i, x) (*out)[i] = (int32_t)json_integer_value(x);
    return (int)n;
}

static void check_ids(const char *fix, const tokenizer *t, json_t *rec, const char *key, int flags)
{
    json_t *text = json_object_get(rec, "text");
    int32_t *want, *got;
    int nw = ids_from_json(json_object_get(rec, key), &want);
    char err[256];
    long ng = tok_encode(t, json_string_value(text), json_string_length(text), flags, &got, err, sizeof err);
    checks++;
    if (ng != nw || memcmp(got, want, sizeof(int32_t) * (size_t)nw)) {
        char *q = json_dumps(text, JSON_ENCODE_ANY);
        printf("FAIL %s %s %s\n", fix, key, q);
        show_ids("want", want, nw);
        show_ids("got ", got, ng);
        free(q);
        failures++;
    }
    free(want);
    free(got);
}

static void check_decode(const char *fix, const tokenizer *t, json_t *rec, const char *key, int flags)
{
    int32_t *ids;
    int n = ids_from_json(json_object_get(rec, "ids"), &ids);
    json_t *want = json_object_get(rec, key);
    size_t len;
    char *got = tok_decode(t, ids, (size_t)n, flags | TOK_DECODE_UTF8, &len);
    checks++;
    if (len != json_string_length(want) || memcmp(got, json_string_value(want), len)) {
        json_t *g = json_stringn(got, len);
        char *a = json_dumps(want, JSON_ENCODE_ANY), *b = g ? json_dumps(g, JSON_ENCODE_ANY) : strdup("(invalid)");
        printf("FAIL %s %s of", fix, key);
        show_ids("ids", ids, n);
        printf("  want %s\n  got  %s\n", a, b);
        free(a); free(b); json_decref(g);
        failures++;
    }
    free(got);
    free(ids);
}

static void run_file(const char *dir, const char *name, const char *suffix, const tokenizer *t, int enc)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "r");
    if (!f) { printf("FAIL cannot open %s\n", path); failures++; return; }
    char *line = NULL;
    size_t cap = 0;
    int before = checks, bad = failures;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *rec = json_loads(line, JSON_ALLOW_NUL, &je);
        if (!rec) { printf("FAIL %s: %s\n", path, je.text); failures++; continue; }
        if (enc) {
            check_ids(name, t, rec, "ids", TOK_SPLIT_SPECIAL | TOK_ADD_SPECIAL);
            check_ids(name, t, rec, "ids_no_add", TOK_SPLIT_SPECIAL);
        }
        check_decode(name, t, rec, "decoded", 0);
        check_decode(name, t, rec, "decoded_skip", TOK_SKIP_SPECIAL);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    printf("%s%s: %d checks, %d differ\n", name, suffix, checks - before, failures - bad);
}

int main(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *p = strstr(dir, "unit/test_tokenizer_parity.c");
    if (p) strcpy(p, "fixtures/tokenizer");
    DIR *d = opendir(dir);
    if (!d) { printf("FAIL no fixture directory %s\n", dir); return 1; }
    struct dirent *e;
    int fixtures = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json")) continue;
        char name[256], path[1024], err[512];
        snprintf(name, sizeof name, "%.*s", (int)(l - 5), e->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        tokenizer *t = tok_load(path, err, sizeof err);
        if (!t) { printf("FAIL load %s: %s\n", path, err); failures++; continue; }
        run_file(dir, name, ".expected.jsonl", t, 1);
        run_file(dir, name, ".decode.jsonl", t, 0);
        tok_free(t);
        fixtures++;
    }
    closedir(d);
    if (fixtures < 10) { printf("FAIL only %d fixtures\n", fixtures); failures++; }
    printf("%d fixtures, %d checks, %d differ from the library\n", fixtures, checks, failures);
    return failures ? 1 : 0;
}
