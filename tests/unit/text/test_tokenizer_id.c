/*
 * test_tokenizer_id.c — the one tokenizer-identity check (tokenizer_id.c).
 *  - two byte tokenizers are the same; the hex form is the fingerprint in
 *    16 lower-case digits, and tok_fingerprint_is accepts exactly it (not
 *    a prefix, not one digit changed, not 17 characters);
 *  - the byte tokenizer against the GPT-2-style fixture: not the same, the
 *    reason names both kinds;
 *  - the fixture against a copy with only its decoder removed (same
 *    vocabulary and merges): not the same, and the reason says the
 *    vocabulary is equal; the copy re-saved with the decoder put back is
 *    the same again (the fingerprint follows behaviour, not the file).
 */
#include "check.h"
#include "text/tokenizer.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fixdir[512];

static tokenizer *load_file(const char *path)
{
    char err[256];
    tokenizer *t = tok_load(path, err, sizeof err);
    if (!t) {
        printf("FAIL cannot load %s: %s\n", path, err);
        exit(1);
    }
    return t;
}

/* The fixture with its "decoder" replaced by d (NULL: removed). */
static tokenizer *variant(const char *tmpdir, json_t *d)
{
    char src[600], dst[700];
    snprintf(src, sizeof src, "%s/bpe-gpt2.json", fixdir);
    snprintf(dst, sizeof dst, "%s/tokenizer.json", tmpdir);
    json_error_t je;
    json_t *j = json_load_file(src, 0, &je);
    if (!j) { printf("FAIL %s: %s\n", src, je.text); exit(1); }
    json_object_set(j, "decoder", d ? d : json_null());
    if (json_dump_file(j, dst, JSON_INDENT(1))) { printf("FAIL cannot write %s\n", dst); exit(1); }
    json_decref(j);
    tokenizer *t = load_file(dst);
    unlink(dst);
    return t;
}

int main(void)
{
    snprintf(fixdir, sizeof fixdir, "%s", __FILE__);
    char *p = strstr(fixdir, "unit/text/test_tokenizer_id.c");
    if (p) strcpy(p, "fixtures/model");
    char why[200], hex[17], path[600];

    tokenizer *a = tok_byte_new(), *b = tok_byte_new();
    CHECK(tok_same(a, b, why, sizeof why) == 1);
    tok_fingerprint_hex(a, hex);
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)tok_fingerprint(a));
    CHECK(!strcmp(hex, want) && strlen(hex) == 16);
    CHECK(tok_fingerprint_is(hex, want, 16));
    CHECK(!tok_fingerprint_is(hex, want, 15));
    char other[17];
    memcpy(other, hex, 17);
    other[7] = other[7] == '0' ? '1' : '0';
    CHECK(!tok_fingerprint_is(hex, other, 16));
    char longer[18];
    memcpy(longer, hex, 16);
    longer[16] = '0', longer[17] = 0;
    CHECK(!tok_fingerprint_is(hex, longer, 17));

    snprintf(path, sizeof path, "%s/bpe-gpt2.json", fixdir);
    tokenizer *g = load_file(path);
    why[0] = 0;
    CHECK(tok_same(a, g, why, sizeof why) == 0);
    CHECK(strstr(why, "byte") && strstr(why, "bpe"));

    char tmpl[] = "/tmp/test_tokenizer_id.XXXXXX";
    if (!mkdtemp(tmpl)) { printf("FAIL mkdtemp\n"); return 1; }
    tokenizer *nodec = variant(tmpl, NULL);
    why[0] = 0;
    CHECK(tok_same(g, nodec, why, sizeof why) == 0);
    CHECK(strstr(why, "same vocabulary") != NULL);
    CHECK(tok_fingerprint(g) != tok_fingerprint(nodec));
    json_t *dec = json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 1, "trim_offsets", 1,
                            "use_regex", 1);
    tokenizer *redec = variant(tmpl, dec);
    json_decref(dec);
    CHECK(tok_same(g, redec, why, sizeof why) == 1);
    rmdir(tmpl);

    tok_free(a);
    tok_free(b);
    tok_free(g);
    tok_free(nodec);
    tok_free(redec);
    return check_done("test_tokenizer_id");
}
