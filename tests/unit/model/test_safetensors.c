/*
 * test_safetensors.c — the strict safetensors reader and the writer.
 *  - write -> read round trip (fp32), header padded to 8 bytes;
 *  - F16 and BF16 conversion against hand-computed values (1.5, -2, 65504,
 *    a subnormal, bf16 of pi);
 *  - refusals with a message: short file, header larger than the file,
 *    header over the limit, invalid JSON, duplicate names, unknown dtype,
 *    size/shape mismatch, gaps and overlaps, data beyond the end, trailing
 *    bytes, NaN and Inf values.
 */
#include "model/safetensors.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* Build an image: 8-byte length, header, data bytes. */
static unsigned char *image(const char *hdr, const void *data, size_t dlen, size_t *len)
{
    size_t hl = strlen(hdr);
    unsigned char *b = xmalloc(8 + hl + dlen + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, hdr, hl);
    if (dlen) memcpy(b + 8 + hl, data, dlen);
    *len = 8 + hl + dlen;
    return b;
}

static void expect_bad(const char *what, const char *hdr, const void *data, size_t dlen)
{
    size_t len;
    unsigned char *b = image(hdr, data, dlen, &len);
    char err[256] = "";
    st_file *f = st_parse(b, len, err, sizeof err);
    CHECK(!f && err[0], "%s accepted", what);
    if (!f) printf("refused %-14s %s\n", what, err);
    st_close(f);
    free(b);
}

static void test_bad(void)
{
    float d[4] = {1, 2, 3, 4};
    char err[256];
    CHECK(!st_parse((const unsigned char *)"abc", 3, err, sizeof err), "3-byte file accepted");
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    CHECK(!st_parse(big, 16, err, sizeof err), "huge header size accepted");
    unsigned char lying[16] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    CHECK(!st_parse(lying, 10, err, sizeof err), "header longer than the file accepted");
    expect_bad("json", "{\"a\": ", d, 0);
    expect_bad("duplicate", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d, 8);
    expect_bad("dtype", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4);
    expect_bad("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", d, 4);
    expect_bad("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", d, 12);
    expect_bad("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                          "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d, 8);
    expect_bad("truncated", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", d, 8);
    expect_bad("trailing", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 8);
    expect_bad("negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d, 4);
    expect_bad("offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", d, 4);
    expect_bad("overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", d, 4);
    expect_bad("metadata", "{\"__metadata__\":{\"x\":1}}", d, 0);

    float bad[2] = {1, NAN};
    size_t len;
    unsigned char *b = image("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", bad, 8, &len);
    st_file *f = st_parse(b, len, err, sizeof err);
    float out[2];
    CHECK(f && st_read_f32(f, &f->t[0], out, err, sizeof err) < 0 && strstr(err, "NaN") && strstr(err, "w"),
          "NaN weight not refused by name");
    st_close(f);
    free(b);
}

static void test_halves(void)
{
    /* F16: 1.5 = 0x3e00, -2 = 0xc000, 65504 = 0x7bff, 2^-24 = 0x0001;
     * BF16: pi ~ 0x4049 -> 3.140625 */
    uint16_t h[5] = {0x3e00, 0xc000, 0x7bff, 0x0001, 0x4049};
    size_t len;
    unsigned char *b = image("{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                             "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}", h, 10, &len);
    char err[256];
    st_file *f = st_parse(b, len, err, sizeof err);
    CHECK(f != NULL, "half image refused: %s", err);
    if (f) {
        float o[4], p;
        CHECK(!st_read_f32(f, st_find(f, "h"), o, err, sizeof err), "F16 read: %s", err);
        CHECK(o[0] == 1.5f && o[1] == -2.0f && o[2] == 65504.0f && o[3] == ldexpf(1, -24),
              "F16 values %g %g %g %g", o[0], o[1], o[2], o[3]);
        CHECK(!st_read_f32(f, st_find(f, "b"), &p, err, sizeof err) && p == 3.140625f, "BF16 value %g", p);
    }
    st_close(f);
    free(b);
}

static void test_roundtrip(void)
{
    char path[] = "/tmp/prefpipe-st-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    float a[6] = {1, 2, 3, 4, 5, 6}, c[3] = {-1, 0.5f, 7};
    st_out o[2] = {{.name = "x.weight", .data = a, .ndim = 2, .shape = {2, 3}},
                   {.name = "y", .data = c, .ndim = 1, .shape = {3}}};
    const char *meta[] = {"format", "pt"};
    char err[256];
    CHECK(!st_write(path, o, 2, meta, 1, err, sizeof err), "write: %s", err);
    st_file *f = st_open(path, err, sizeof err);
    CHECK(f != NULL, "reopen: %s", err);
    if (f) {
        const st_tensor *t = st_find(f, "x.weight");
        float back[6];
        CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3, "shape");
        CHECK(t && !st_read_f32(f, t, back, err, sizeof err) && !memcmp(back, a, sizeof a), "values");
        CHECK(st_meta(f, "format") && !strcmp(st_meta(f, "format"), "pt"), "metadata");
        CHECK(((const unsigned char *)f->map)[0] % 8 == 0, "header not padded to 8");
        st_close(f);
    }
    unlink(path);
}

int main(void)
{
    test_bad();
    test_halves();
    test_roundtrip();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("safetensors ok\n");
    return 0;
}
