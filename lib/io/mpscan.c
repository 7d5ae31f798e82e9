/*
 * mpscan.c — allocation-free msgpack framing walker (see mpscan.h).
 *
 * Iterative: a stack holds, per open container, how many values it still
 * owes.  Sizes are read big-endian as the format specifies.
 */
#include "io/mpscan.h"

#include <stdint.h>

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int mpscan(const unsigned char *buf, size_t len, size_t max_bytes, int max_depth, size_t *end)
{
    uint64_t owe[64];
    int depth = 0;
    size_t p = 0;
    if (max_depth > 63)
        max_depth = 63;
    for (;;) {
        if (p >= len)
            return p >= max_bytes ? MPSCAN_BIG : MPSCAN_MORE;
        unsigned c = buf[p];
        uint64_t skip = 0;     /* payload bytes after the header */
        uint64_t children = 0; /* values a container holds */
        int header = 1, container = 0;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            /* fixint, nil, bool */
        } else if (c >= 0x80 && c <= 0x8f) {
            container = 1; children = 2u * (c & 0x0f);
        } else if (c >= 0x90 && c <= 0x9f) {
            container = 1; children = c & 0x0f;
        } else if (c >= 0xa0 && c <= 0xbf) {
            skip = c & 0x1f;
        } else if (c == 0xc1) {
            return MPSCAN_BAD;
        } else {
            static const signed char lenbytes[] = {
                /* c4 bin8 */ 1, 2, 4, /* c7 ext8 */ 1, 2, 4, /* ca f32 */ -4, -8,
                /* cc u8 */ -1, -2, -4, -8, /* d0 i8 */ -1, -2, -4, -8,
                /* d4 fixext */ -2, -3, -5, -9, -17, /* d9 str8 */ 1, 2, 4,
                /* dc arr16 */ 2, 4, /* de map16 */ 2, 4};
            int k = lenbytes[c - 0xc4];
            if (k < 0) {
                header = 1;
                skip = (uint64_t)(-k);
            } else {
                if (len - p < (size_t)(1 + k))
                    return MPSCAN_MORE;
                uint64_t n = be(buf + p + 1, k);
                header = 1 + k;
                if (c >= 0xdc && c <= 0xdd) {
                    container = 1; children = n;
                } else if (c >= 0xde) {
                    container = 1; children = 2 * n;
                } else {
                    skip = n + (c >= 0xc7 && c <= 0xc9 ? 1 : 0); /* ext has a type byte */
                }
            }
        }
        if (children > max_bytes || skip > max_bytes || p + header + skip > max_bytes)
            return MPSCAN_BIG;
        p += (size_t)header + (size_t)skip;
        if (container && children > 0) {
            if (depth >= max_depth)
                return MPSCAN_DEEP;
            owe[depth++] = children;
            continue;
        }
        if (container && depth >= max_depth)
            return MPSCAN_DEEP;
        /* a value finished: pay it to the enclosing containers */
        while (depth > 0 && --owe[depth - 1] == 0)
            depth--;
        if (depth == 0) {
            if (p > len)
                return MPSCAN_MORE;
            *end = p;
            return MPSCAN_OK;
        }
    }
}
