/*
 * test_json_fast.c — differential test of the fast JSON transcoder against
 * the jansson path: on every line where json_fast accepts, its bytes must
 * equal jansson's; where jansson rejects, json_fast must decline.  A fixed
 * corpus of awkward lines plus thousands of random objects (seeded).  The
 * same lines check json_fast_to_jansson (pref-load's reader) against
 * json_loadb: the same tree (json_equal) with the same key order and the
 * same numbers (compact dumps equal), or a decline.
 */
#include "check.h"
#include "io/json_fast.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <string.h>

static int fast_ok, fast_declined;

/* 1 if both paths agree on this line */
static int agree(const char *line)
{
    msgpack_sbuffer a, b;
    msgpack_packer pa, pb;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    msgpack_packer_init(&pa, &a, msgpack_sbuffer_write);
    msgpack_packer_init(&pb, &b, msgpack_sbuffer_write);
    size_t n = strlen(line);
    int fr = json_fast_to_msgpack(line, n, &pa, 16);
    json_error_t je;
    json_t *v = json_loadb(line, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    int jr = -1;
    char err[128];
    if (v && json_is_object(v))
        jr = json_to_msgpack(v, &pb, 1, 16, err, sizeof err);
    json_decref(v);
    int ok;
    if (fr == 0) {
        fast_ok++;
        ok = jr == 0 && a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    } else {
        fast_declined++;
        ok = 1; /* declining is always safe */
    }
    if (!ok)
        fprintf(stderr, "disagree (fast %d, jansson %d) on: %s\n", fr, jr, line);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    return ok;
}

static int jansson_ok;

/* 1 if json_fast_to_jansson declines or builds what json_loadb builds */
static int agree_tree(const char *line)
{
    size_t n = strlen(line);
    json_t *f = json_fast_to_jansson(line, n, 16);
    if (!f)
        return 1;
    jansson_ok++;
    json_error_t je;
    json_t *j = json_loadb(line, n, JSON_ALLOW_NUL, &je);
    int ok = j && json_is_object(j) && json_equal(f, j);
    if (ok) {
        char *a = json_dumps(f, JSON_COMPACT), *b = json_dumps(j, JSON_COMPACT);
        ok = a && b && !strcmp(a, b);
        free(a);
        free(b);
    }
    if (!ok)
        fprintf(stderr, "json_fast_to_jansson disagrees with json_loadb on: %s\n", line);
    json_decref(f);
    json_decref(j);
    return ok;
}

static int declines(const char *line)
{
    msgpack_sbuffer a;
    msgpack_packer pa;
    msgpack_sbuffer_init(&a);
    msgpack_packer_init(&pa, &a, msgpack_sbuffer_write);
    int r = json_fast_to_msgpack(line, strlen(line), &pa, 16);
    msgpack_sbuffer_destroy(&a);
    json_t *t = json_fast_to_jansson(line, strlen(line), 16);
    json_decref(t);
    return r != 0 && !t;
}

static const char *corpus[] = {
    "{}", " { } ", "{\"a\":1}", "{\"a\":-0}", "{\"a\":-0.0}", "{\"a\":0.1,\"b\":1e10,\"c\":1E-5,\"d\":-2.5e+3}",
    "{\"a\":9223372036854775807}", "{\"a\":-9223372036854775808}", "{\"a\":123456789012345678}",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"s\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}", "{\"s\":\"\\u0000x\"}",
    "{\"s\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"}", "{\"a\":[1,[2,[3,{}]],[]],\"b\":{\"c\":{\"d\":null}}}",
    "{\"t\":true,\"f\":false,\"n\":null}", "{\"tokens\":[1,2,3]}", "{\"tokens\":[]}", "{\"tokens\":[1.5]}",
    "{\"tokens\":[2147483648]}", "{\"tokens\":[-2147483648]}", "{\"tokens\":[1,\"x\"]}", "{\"tokens\":[-0]}",
    "{\"logprobs\":[0.5,-0.25,0.1]}", "{\"logprobs\":[0.123456789012]}", "{\"logprobs\":[-0,1,2]}",
    "{\"logprobs\":[1e40]}", "{\"values\":[[1]]}", "{\"tokens\":{\"a\":1}}",
    "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}",
    "{\"a\":\"x\"}\t\r\n ", "{\"a\" : [ 1 , 2 ] , \"b\" : { } }",
};

static const char *invalid[] = {
    "", "[]", "1", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":[1,]}", "{a:1}", "{\"a\":01}",
    "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":1}x",
    "{\"a\":1}{}", "{\"s\":\"\\x\"}", "{\"s\":\"\\u12\"}", "{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00\"}",
    "{\"s\":\"a\nb\"}", "{\"s\":\"\xff\"}", "{\"s\":\"\xc3\x28\"}", "{\"s\":\"\xed\xa0\x80\"}",
    "{\"s\":\"unterminated}", "{\"a\":1e400}", "{\"a\":99999999999999999999}", "{\"a\":1,\"a\":2}",
    "{\"\\u0000\":1}", "{\"\\u0061\":1}",
    "{\"a\":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}",
};

/* random JSON generator */
static void rnd_string(rng_t *r, obuf *o)
{
    static const char *pieces[] = {"a", "b", "key", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00",
                                   "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "tokens", "\\t", "\\u0001", "x"};
    obuf_putc(o, '"');
    int n = (int)rng_below(r, 6);
    for (int i = 0; i < n; i++) {
        const char *p = pieces[rng_below(r, sizeof pieces / sizeof *pieces)];
        obuf_put(o, p, strlen(p));
    }
    obuf_putc(o, '"');
}

static void rnd_number(rng_t *r, obuf *o)
{
    char b[64];
    switch (rng_below(r, 6)) {
    case 0: snprintf(b, sizeof b, "%d", (int)rng_below(r, 200) - 100); break;
    case 1: snprintf(b, sizeof b, "%lld", (long long)(rng_next(r) >> rng_below(r, 64))); break;
    case 2: snprintf(b, sizeof b, "%.17g", (rng_uniform(r) - 0.5) * 1e6); break;
    case 3: snprintf(b, sizeof b, "%ge%d", rng_uniform(r), (int)rng_below(r, 40) - 20); break;
    case 4: snprintf(b, sizeof b, "%g", (double)(int)rng_below(r, 64) / 8.0); break;
    default: snprintf(b, sizeof b, "-%d.%d", (int)rng_below(r, 10), (int)rng_below(r, 1000)); break;
    }
    if (strchr(b, 'e') && !strchr(b, '.') && strchr(b, 'e') == b) b[0] = '1';
    obuf_put(o, b, strlen(b));
}

static void rnd_value(rng_t *r, obuf *o, int depth);

static void rnd_object(rng_t *r, obuf *o, int depth)
{
    static const char *keys[] = {"id", "a", "b", "tokens", "logprobs", "values", "prompt", "c", "\xc3\xa9"};
    obuf_putc(o, '{');
    int n = (int)rng_below(r, 5);
    for (int i = 0; i < n; i++) {
        if (i)
            obuf_putc(o, ',');
        const char *k = keys[rng_below(r, sizeof keys / sizeof *keys)];
        obuf_putc(o, '"');
        obuf_put(o, k, strlen(k));
        obuf_put(o, "\":", 2);
        if (rng_below(r, 3) == 0) { /* a numeric array, typed-looking */
            obuf_putc(o, '[');
            int m = (int)rng_below(r, 4);
            for (int j = 0; j < m; j++) {
                if (j)
                    obuf_putc(o, ',');
                rnd_number(r, o);
            }
            obuf_putc(o, ']');
        } else {
            rnd_value(r, o, depth + 1);
        }
    }
    obuf_putc(o, '}');
}

static void rnd_value(rng_t *r, obuf *o, int depth)
{
    int k = (int)rng_below(r, depth > 5 ? 4 : 7);
    switch (k) {
    case 0: rnd_number(r, o); break;
    case 1: rnd_string(r, o); break;
    case 2: obuf_put(o, rng_below(r, 2) ? "true" : "null", 4); break;
    case 3: obuf_put(o, "false", 5); break;
    case 4:
    case 5: rnd_object(r, o, depth); break;
    default: {
        obuf_putc(o, '[');
        int n = (int)rng_below(r, 4);
        for (int i = 0; i < n; i++) {
            if (i) {
                if (rng_below(r, 2))
                    obuf_putc(o, ',');
                else
                    obuf_put(o, " , ", 3);
            }
            rnd_value(r, o, depth + 1);
        }
        obuf_putc(o, ']');
    }
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        CHECK(agree(corpus[i]));
        CHECK(agree_tree(corpus[i]));
    }
    CHECK(jansson_ok >= 25);   /* typed fields too: they stay arrays here */
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        int d = declines(invalid[i]);
        if (!d)
            fprintf(stderr, "accepted invalid: %s\n", invalid[i]);
        CHECK(d);
    }
    int before = fast_ok;
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++)
        agree(corpus[i]);
    CHECK(fast_ok - before >= 25); /* the fast path takes the usual lines */

    rng_t r;
    rng_seed(&r, 12345);
    obuf o = {0};
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        o.n = 0;
        rnd_object(&r, &o, 1);
        obuf_putc(&o, 0);
        bad += !agree(o.p);
        bad += !agree_tree(o.p);
    }
    CHECK(bad == 0);
    obuf_free(&o);
    printf("fast path took %d lines, declined %d; as jansson trees took %d\n", fast_ok, fast_declined, jansson_ok);
    return check_done("test_json_fast");
}
