/*
 * spool.h — byte strings parked in a temporary file, read back by number.
 *
 * For passes that must see a whole stream before writing any of it
 * (rec shuffle) without holding it in memory: each added item is appended
 * to an unlinked temporary file in $TMPDIR (else /tmp), and memory keeps
 * only one 64-bit offset per item.  Items are numbered from 0 in the order
 * added and can be read back in any order, any number of times.  The file
 * disappears when the spool is closed or the process ends, however it
 * ends.  Errors die: 73 when the file cannot be created, 74 on I/O errors.
 */
#ifndef PREFPIPE_SPOOL_H
#define PREFPIPE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *f;
    uint64_t *off;         /* off[i] = start of item i; off[n] = the end */
    size_t n, cap;
    char *buf;             /* bspool_get's buffer */
    size_t bcap;
} bspool;

/* An unlinked temporary file in $TMPDIR (else /tmp), open for reading
 * and writing: the spools' storage (this one, and train/examples.h's). */
FILE *spool_tmpfile(void);

void bspool_open(bspool *s);
void bspool_add(bspool *s, const char *data, size_t len);
/* Item i (< s->n); the bytes stay valid until the next bspool_get. */
const char *bspool_get(bspool *s, size_t i, size_t *len);
void bspool_close(bspool *s);

#endif
