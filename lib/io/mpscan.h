/*
 * mpscan.h — find where one msgpack value ends, without allocating.
 *
 * msgpack-c's unpacker allocates room for a container as soon as it reads
 * the container's header, so five bytes that claim a 2^32-element array
 * make it ask for ~100 GB (found by tests/fuzz/fuzz_records.c).  The stream
 * layer therefore scans each record first: this walker checks the framing,
 * the nesting depth and that no container claims more elements than the
 * record size limit allows (every element takes at least one byte), and
 * only then hands exactly the record's bytes to msgpack_unpack_next.
 */
#ifndef PREFPIPE_MPSCAN_H
#define PREFPIPE_MPSCAN_H

#include <stddef.h>

enum { MPSCAN_OK = 0, MPSCAN_MORE = 1, MPSCAN_BAD = -1, MPSCAN_DEEP = -2, MPSCAN_BIG = -3 };

/* Scan one value at buf[0..len).  MPSCAN_OK: *end = its length.
 * MPSCAN_MORE: the bytes end inside it.  MPSCAN_BAD: invalid byte (0xc1).
 * MPSCAN_DEEP: more than max_depth levels of containers.
 * MPSCAN_BIG: its declared size exceeds max_bytes. */
int mpscan(const unsigned char *buf, size_t len, size_t max_bytes, int max_depth, size_t *end);

#endif
