/*
 * fuzz_zeos.c — libFuzzer target for the ZeroMQ message framing: every
 * message a socket delivers is classified by zs_parse_eos (a data record,
 * an end-of-stream ["prefpipe-eos", ID, SENT, CONSUMERS], or an unknown
 * control message) before anything else reads it, so hostile bytes from a
 * peer meet this parser first.  A data record then goes through the same
 * checks as a read record (rs_check_record).  The producer id must lie
 * inside the message; nothing may crash, leak or read out of bounds.  The
 * same bytes go through zs_parse_ctl as the other control messages a peer
 * sends in the acknowledged mode (hello and ack).
 * Build and run: make fuzz; make fuzz-run (seeds in tests/fuzz/corpus/).
 */
#include "io/mpscan.h"
#include "io/stream.h"
#include "io/zstream.h"

#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data, *id = NULL;
    size_t idlen = 0;
    uint64_t sent = 0;
    int consumers = 0;
    int e = zs_parse_eos(d, size, &id, &idlen, &sent, &consumers);
    if (e == 1 && (id < d || id + idlen > d + size))
        abort();   /* the id must point into the message */
    static const char *const tags[] = {"prefpipe-hello", "prefpipe-ack"};
    for (int t = 0; t < 2; t++) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 256);
        msgpack_object o;
        const msgpack_object_array *a = zs_parse_ctl(d, size, &zone, &o, tags[t]);
        if (a && (a->size < 1 || a->ptr[0].via.str.ptr < d || a->ptr[0].via.str.ptr >= d + size))
            abort();   /* the tag is a string inside the message */
        msgpack_zone_destroy(&zone);
    }
    size_t end = 0;
    if (e == 0 && mpscan(data, size, size, 16, &end) == MPSCAN_OK) {   /* as read_zmq: scan, then unpack */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, d, end, &off) == MSGPACK_UNPACK_SUCCESS)
            (void)rs_check_record(&u.data, 16);
        msgpack_unpacked_destroy(&u);
    }
    return 0;
}
