/*
 * fuzz_json.c — libFuzzer target for `rec from-json`'s two parsers: the
 * fast transcoder (json_fast.c) must either decline a line or produce
 * exactly the bytes of the jansson path; it must never accept a line that
 * jansson rejects.  A disagreement aborts, which libFuzzer reports.
 */
#include "io/json_fast.h"
#include "io/jsonconv.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    msgpack_sbuffer a, b;
    msgpack_packer pa, pb;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    msgpack_packer_init(&pa, &a, msgpack_sbuffer_write);
    msgpack_packer_init(&pb, &b, msgpack_sbuffer_write);
    int fr = json_fast_to_msgpack((const char *)data, size, &pa, 16);
    if (fr == 0) {
        json_error_t je;
        json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        char err[128];
        if (!v || !json_is_object(v) || json_to_msgpack(v, &pb, 1, 16, err, sizeof err) != 0 ||
            a.size != b.size || memcmp(a.data, b.data, a.size) != 0)
            abort();
        json_decref(v);
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    return 0;
}
