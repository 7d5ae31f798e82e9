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
 *    the same again (the fingerprint follows behaviour, not the file);
 *  - chat templates: the fixture with a model's own template is not the
 *    same as without one, nor as with another template (or the same
 *    template with another EOS), and the reason names the chat templates;
 *    two loads with the same template are the same; tokenizers without a
 *    template keep the fingerprints recorded before templates counted
 *    (byte tokenizer, bpe-gpt2.json).
 */
#include "check.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fixdir[512];

/* fingerprints before chat templates were part of the identity (commit
 * d60fec8): records and checkpoints made then must still match */
#define BYTE_FP "b29ecc8ca05e3f7c"
#define GPT2_FP "f970cbb25edadd82"

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

    /* identities from before chat templates counted (no template: unchanged) */
    tok_fingerprint_hex(a, hex);
    CHECK(!strcmp(hex, BYTE_FP));
    tok_fingerprint_hex(g, hex);
    CHECK(!strcmp(hex, GPT2_FP));
    const char *t1 = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}";
    const char *t2 = "{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}";
    char err[256];
    tokenizer *c1 = load_file(path), *c1b = load_file(path), *c2 = load_file(path), *c3 = load_file(path);
    CHECK(chat_template_set(c1, t1, strlen(t1), NULL, "</s>", err, sizeof err) == 0);
    CHECK(chat_template_set(c1b, t1, strlen(t1), NULL, "</s>", err, sizeof err) == 0);
    CHECK(chat_template_set(c2, t2, strlen(t2), NULL, "</s>", err, sizeof err) == 0);
    CHECK(chat_template_set(c3, t1, strlen(t1), NULL, "<|endoftext|>", err, sizeof err) == 0);
    CHECK(tok_same(c1, c1b, why, sizeof why) == 1);
    why[0] = 0;
    CHECK(tok_same(g, c1, why, sizeof why) == 0 && strstr(why, "chat templates differ"));
    why[0] = 0;
    CHECK(tok_same(c1, c2, why, sizeof why) == 0 && strstr(why, "chat templates differ"));
    CHECK(tok_same(c1, c3, why, sizeof why) == 0);
    CHECK(tok_fingerprint(c1) != tok_fingerprint(g) && tok_fingerprint(c1) != tok_fingerprint(c2));
    tok_free(c1);
    tok_free(c1b);
    tok_free(c2);
    tok_free(c3);

    tok_free(a);
    tok_free(b);
    tok_free(g);
    tok_free(nodec);
    tok_free(redec);
    return check_done("test_tokenizer_id");
}
