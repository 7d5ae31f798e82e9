/*
 * held.h — records held back while a batch of them is scored, then written
 * in input order: pass-through records as their original bytes, scored ones
 * with their fields plus the caller's (rm-score's rewards, ref-score's
 * reference log-probs).
 *
 * A held record owns a copy of its raw msgpack bytes (the stream's buffer
 * moves on as reading continues); held_write unpacks that copy, so the
 * added fields can borrow from it until the record is written, and frees
 * it.  Field order follows recb: the record's own fields, then the added
 * ones (a field of the same name is replaced in place).
 */
#ifndef PREFPIPE_HELD_H
#define PREFPIPE_HELD_H
#include "io/record.h"
#include "io/stream.h"

#include <stddef.h>

typedef struct {
    char *raw;
    size_t len;
    int ex;     /* the caller's index of its scored example; -1: pass through */
    int tag;    /* the caller's: e.g. which kind of record it is */
} held_rec;

/* Hold a copy of the record rs_next last returned from r (ex -1, tag 0). */
void held_keep(held_rec *h, const rstream *r);

/* Add the scored fields of h (ex >= 0) to b, which holds rec's fields. */
typedef void held_add_fn(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx);

/* Write w[0..n) to out in order and free their copies. */
void held_write(held_rec *w, int n, rstream *out, held_add_fn *add, void *ctx);

#endif
