/*
 * test_stream.c — the record layer below the executables: the builder and
 * getters, file/gzip streams (atomic write, raw bytes, truncation, limits),
 * the byte source's line reader, and the small utilities they rely on.
 */
#include "io/bytesrc.h"
#include "check.h"
#include "io/jsonconv.h"
#include "io/mpscan.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/prefpipe-unit.XXXXXX";

static char *path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_file(const char *p, const char *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_builder_and_getters(void)
{
    recb b;
    recb_init(&b);
    int32_t toks[3] = {1, -2, 70000};
    float lp[2] = {-0.5f, 1e-3f};
    recb_put_str(&b, "id", "x1");
    recb_put_i64(&b, "n", -5);
    recb_put_f64(&b, "r", 0.25);
    recb_put_i32_array(&b, "tokens", toks, 3);
    recb_put_f32_array(&b, "logprobs", lp, 2);
    recb_put_str(&b, "id", "x2"); /* replaces in place: order kept */
    const char *buf;
    size_t len;
    recb_finish(&b, &buf, &len);

    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&u, buf, len, &off) == MSGPACK_UNPACK_SUCCESS);
    CHECK(off == len);
    const msgpack_object *m = &u.data;
    CHECK(m->type == MSGPACK_OBJECT_MAP && m->via.map.size == 5);
    CHECK(obj_str_eq(&m->via.map.ptr[0].key, "id"));
    const char *s;
    size_t sl;
    CHECK(rec_get_str(m, "id", &s, &sl) == 1 && sl == 2 && memcmp(s, "x2", 2) == 0);
    int64_t n;
    CHECK(rec_get_i64(m, "n", &n) == 1 && n == -5);
    double d;
    CHECK(rec_get_f64(m, "r", &d) == 1 && d == 0.25);
    CHECK(rec_get_f64(m, "id", &d) == -1);
    CHECK(rec_get_f64(m, "absent", &d) == 0);
    int32_t *t;
    CHECK(rec_get_i32_array(m, "tokens", &t) == 3 && t[0] == 1 && t[1] == -2 && t[2] == 70000);
    free(t);
    float *f;
    CHECK(rec_get_f32_array(m, "logprobs", &f) == 2 && f[0] == -0.5f && f[1] == 1e-3f);
    free(f);
    CHECK(rec_get_f32_array(m, "nope", &f) == -2);
    CHECK(rec_get_i32_array(m, "id", &t) == -1);

    /* copy fields of a record, then overwrite one and add one */
    recb c;
    recb_init(&c);
    recb_copy_fields(&c, m);
    recb_put_f64(&c, "n", 7.5);
    recb_put_bool(&c, "ok", 1);
    recb_remove(&c, "logprobs");
    recb_finish(&c, &buf, &len);
    msgpack_unpacked u2;
    msgpack_unpacked_init(&u2);
    off = 0;
    CHECK(msgpack_unpack_next(&u2, buf, len, &off) == MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *m2 = &u2.data;
    CHECK(m2->via.map.size == 5);
    CHECK(obj_str_eq(&m2->via.map.ptr[1].key, "n"));
    CHECK(rec_get_f64(m2, "n", &d) == 1 && d == 7.5);
    CHECK(rec_get(m2, "logprobs") == NULL);
    int ok;
    CHECK(rec_get_bool(m2, "ok", &ok) == 1 && ok == 1);
    /* arrays of numbers are accepted where bins are expected */
    msgpack_unpacked_destroy(&u2);
    recb_free(&c);
    msgpack_unpacked_destroy(&u);
    recb_free(&b);
}

static void test_array_fallback(void)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    pack_str(&pk, "tokens");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 4);
    msgpack_pack_int(&pk, -9);
    pack_str(&pk, "values");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_double(&pk, 2.5);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_next(&u, sb.data, sb.size, &off);
    int32_t *t;
    float *f;
    CHECK(rec_get_i32_array(&u.data, "tokens", &t) == 2 && t[1] == -9);
    free(t);
    CHECK(rec_get_f32_array(&u.data, "values", &f) == 1 && f[0] == 2.5f);
    free(f);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

static void test_file_roundtrip(const char *name)
{
    rstream *w = rs_open_write(path(name));
    recb b;
    recb_init(&b);
    for (int i = 0; i < 5000; i++) {
        char id[32];
        snprintf(id, sizeof id, "rec-%d", i);
        recb_reset(&b);
        recb_put_str(&b, "id", id);
        recb_put_i64(&b, "i", i);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(w, buf, len);
    }
    /* not visible under its name until closed */
    struct stat st;
    CHECK(stat(path(name), &st) != 0);
    rs_close(w);
    CHECK(stat(path(name), &st) == 0);

    rstream *r = rs_open_read(path(name));
    msgpack_object o;
    int i = 0, bad = 0;
    while (rs_next(r, &o) == RS_OK) {
        int64_t v;
        if (rec_get_i64(&o, "i", &v) != 1 || v != i)
            bad++;
        const char *raw;
        size_t len;
        rs_last_raw(r, &raw, &len);
        if (len == 0 || (unsigned char)raw[0] != 0x82)
            bad++;
        i++;
    }
    CHECK(i == 5000);
    CHECK(bad == 0);
    CHECK(rs_count(r) == 5000);
    rs_close(r);
    recb_free(&b);
}

static void test_truncated_and_limits(void)
{
    /* {"a": "xxxxx"} is 9 bytes: 81 a1 61 a5 x*5 */
    const char rec9[] = "\x81\xa1\x61\xa5xxxxx";
    char data[27];
    memcpy(data, rec9, 9);
    memcpy(data + 9, rec9, 9);
    memcpy(data + 18, rec9, 9);
    write_file(path("cut.mp"), data, 23);
    rstream *r = rs_open_read(path("cut.mp"));
    msgpack_object o;
    CHECK(rs_read(r, &o) == RS_OK);
    CHECK(rs_read(r, &o) == RS_OK);
    CHECK(rs_read(r, &o) == RS_ERR);
    CHECK(strstr(rs_error(r), "truncated") != NULL);
    CHECK(rs_count(r) == 3);
    CHECK(!rs_recoverable(r));
    rs_close(r);

    /* not a map: recoverable, the next record still reads */
    char mixed[13];
    memcpy(mixed, "\x93\x01\x02\x03", 4);
    memcpy(mixed + 4, rec9, 9);
    write_file(path("mixed.mp"), mixed, 13);
    r = rs_open_read(path("mixed.mp"));
    CHECK(rs_read(r, &o) == RS_ERR && rs_recoverable(r));
    CHECK(strstr(rs_error(r), "not a map") != NULL);
    CHECK(rs_read(r, &o) == RS_OK);
    CHECK(rs_read(r, &o) == RS_EOF);
    rs_close(r);
}

static void test_mpscan(void)
{
    size_t end = 0;
    const unsigned char ok[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0xc0, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x05};
    CHECK(mpscan(ok, sizeof ok, 1000, 16, &end) == MPSCAN_OK && end == sizeof ok - 1);
    for (size_t n = 0; n < sizeof ok - 1; n++) /* every proper prefix needs more */
        CHECK(mpscan(ok, n, 1000, 16, &end) == MPSCAN_MORE);
    const unsigned char bad[] = {0x81, 0xa1, 'a', 0xc1};
    CHECK(mpscan(bad, sizeof bad, 1000, 16, &end) == MPSCAN_BAD);
    const unsigned char huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    CHECK(mpscan(huge, sizeof huge, 1000, 16, &end) == MPSCAN_BIG);
    const unsigned char bigbin[] = {0xc6, 0x00, 0x01, 0x00, 0x00};
    CHECK(mpscan(bigbin, sizeof bigbin, 1000, 16, &end) == MPSCAN_BIG);
    unsigned char deep[40];
    for (int i = 0; i < 39; i++)
        deep[i] = 0x91;
    deep[39] = 0xc0;
    CHECK(mpscan(deep, 40, 1000, 16, &end) == MPSCAN_DEEP);
    CHECK(mpscan(deep + 24, 16, 1000, 16, &end) == MPSCAN_OK && end == 16);   /* 15 levels */
    const unsigned char ext[] = {0xd4, 0x01, 0x02, 0xc7, 0x02, 0x05, 'x', 'y'};
    CHECK(mpscan(ext, 3, 1000, 16, &end) == MPSCAN_OK && end == 3);
    CHECK(mpscan(ext + 3, 5, 1000, 16, &end) == MPSCAN_OK && end == 5);
}

static void test_bytesrc_lines(void)
{
    write_file(path("lines.txt"), "a\r\nbb\n\nlast", 11);
    bsrc *s = bsrc_open(path("lines.txt"));
    char *line;
    size_t len;
    CHECK(bsrc_getline(s, &line, &len, 0) == 1 && len == 1 && strcmp(line, "a") == 0);
    CHECK(bsrc_getline(s, &line, &len, 0) == 1 && len == 2 && strcmp(line, "bb") == 0);
    CHECK(bsrc_getline(s, &line, &len, 0) == 1 && len == 0);
    CHECK(bsrc_getline(s, &line, &len, 0) == 1 && strcmp(line, "last") == 0);
    CHECK(bsrc_lineno(s) == 4);
    CHECK(bsrc_getline(s, &line, &len, 0) == 0);
    bsrc_close(s);

    write_file(path("long.txt"), "0123456789\n", 11);
    s = bsrc_open(path("long.txt"));
    CHECK(bsrc_getline(s, &line, &len, 5) == -1);
    CHECK(strstr(bsrc_error(s), "longer than 5") != NULL);
    bsrc_close(s);
    CHECK(bsrc_open(path("missing")) == NULL);
}

static void test_utils(void)
{
    CHECK(utf8_valid("plain", 5));
    CHECK(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    CHECK(!utf8_valid("\xc3\x28", 2));         /* bad continuation */
    CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!utf8_valid("abc\xe2\x82", 5));      /* cut at the end */
    char b[40];
    format_double(b, sizeof b, 0.1);
    CHECK(strcmp(b, "0.1") == 0);
    format_double(b, sizeof b, 1.0);
    CHECK(strcmp(b, "1.0") == 0);
    format_double(b, sizeof b, 1.0 / 3);
    CHECK(strtod(b, NULL) == 1.0 / 3);
    format_float(b, sizeof b, 0.1f);
    CHECK(strcmp(b, "0.1") == 0);
    CHECK(hash64("abc", 3, 1) == hash64("abc", 3, 1));
    CHECK(hash64("abc", 3, 1) != hash64("abc", 3, 2));
    rng_t r1, r2;
    rng_seed(&r1, 42);
    rng_seed(&r2, 42);
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= rng_next(&r1) == rng_next(&r2);
    CHECK(same);
    int inrange = 1;
    for (int i = 0; i < 1000; i++)
        inrange &= rng_below(&r1, 7) < 7 && rng_uniform(&r1) < 1.0;
    CHECK(inrange);
}

static void rm_rf(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    test_builder_and_getters();
    test_array_fallback();
    test_file_roundtrip("plain.mp");
    test_file_roundtrip("packed.mp.gz");
    test_truncated_and_limits();
    test_mpscan();
    test_bytesrc_lines();
    test_utils();
    rm_rf();
    return check_done("test_stream");
}
