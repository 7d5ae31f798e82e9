/*
 * inputs.h — every record of a filter's inputs, one input after another.
 *
 * The per-record loop every filter had written out: open each input URI
 * in turn (stdin when the command line names none, base/inputs.h), read
 * its records, close it, open the next.  An input that cannot be opened
 * ends the program with exit 66, a malformed record with exit 65 naming
 * it (rs_next); the filter's own complaints about a record use
 * inputs_where() so that every message has the one shape
 *
 *     prog: FILE: record N: what is wrong
 *
 * with FILE "stdin" for "-" and N counted from 1 in each input.  Inputs
 * are opened only when the previous one has ended, as a shell reads
 * `cat a b`, so a live producer on the second input may start late.
 *
 *     inputs in;
 *     inputs_open(&in, argc, argv, optind);
 *     while (inputs_next(&in)) {
 *         if (!rec_get(&in.rec, "id"))
 *             die(EX_DATAERR, "%s: no 'id'", inputs_where(&in));
 *         rs_write(out, in.raw, in.len);   // relay it unchanged
 *     }
 *     inputs_close(&in);   // also when the loop stops early
 *
 * The record (in.rec) and its bytes (in.raw, in.len) are valid until the
 * next call.
 */
#ifndef PREFPIPE_IO_INPUTS_H
#define PREFPIPE_IO_INPUTS_H

#include "io/stream.h"

typedef struct {
    char **uris;           /* the inputs (argv's, or "-") */
    int n, i;              /* how many; the index of the next to open */
    rstream *stream;       /* the open input, NULL before and after */
    msgpack_object rec;    /* the record inputs_next gave last */
    const char *raw;       /* its bytes (rs_last_raw) */
    size_t len;
    const char *label;     /* if set: the name messages give every input */
    char *where;           /* inputs_where's text, reused */
    size_t where_cap;
} inputs;

/* Inputs argv[first..argc), or stdin when there are none. */
void inputs_open(inputs *in, int argc, char **argv, int first);
/* The next record of the inputs: 1 (in->rec, in->raw, in->len), or 0
 * when all have ended. */
int inputs_next(inputs *in);
/* inputs_next for callers that skip bad records (rec validate
 * --skip-invalid): a record whose content is malformed (not a map, bad
 * UTF-8, too deep; rs_recoverable) gives -1 with *why set instead of
 * ending the program; a framing error (truncated, oversized) still ends
 * it, since nothing after it can be read. */
int inputs_read(inputs *in, const char **why);
/* The input's name as messages give it ("stdin" for "-", or the label). */
const char *inputs_name(const inputs *in);
/* "NAME: record N" for the record inputs_next gave last. */
const char *inputs_where(inputs *in);
/* Close the open input (if the loop stopped early) and free what the
 * loop held; call it after every loop. */
void inputs_close(inputs *in);

#endif
