/*
 * held.c — see held.h.
 */
#include "io/held.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void held_keep(held_rec *h, const rstream *r)
{
    const char *raw;
    rs_last_raw(r, &raw, &h->len);
    h->raw = xmalloc(h->len ? h->len : 1);
    memcpy(h->raw, raw, h->len);
    h->ex = -1;
    h->tag = 0;
}

void held_write(held_rec *w, int n, rstream *out, held_add_fn *add, void *ctx)
{
    recb b;
    recb_init(&b);
    for (int i = 0; i < n; i++) {
        if (w[i].ex < 0) {
            rs_write(out, w[i].raw, w[i].len);
        } else {
            msgpack_unpacked up;
            msgpack_unpacked_init(&up);
            size_t off = 0;
            if (msgpack_unpack_next(&up, w[i].raw, w[i].len, &off) != MSGPACK_UNPACK_SUCCESS)
                die(EX_SOFTWARE, "record copy does not unpack");
            recb_reset(&b);
            recb_copy_fields(&b, &up.data);
            add(&b, &up.data, &w[i], ctx);
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(out, buf, len);
            msgpack_unpacked_destroy(&up);
        }
        free(w[i].raw);
        w[i].raw = NULL;
    }
    recb_free(&b);
}
