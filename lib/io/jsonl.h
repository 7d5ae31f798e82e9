/*
 * jsonl.h — JSON lines to records and back: rec from-json and rec to-json.
 *
 * Reading: one JSON object per line (gzip detected), blank lines skipped.
 * Each line goes through the strict two-pass transcoder (json_fast.h);
 * anything it does not handle exactly like jansson, and every error, goes
 * through jansson (jsonconv.h), so errors carry jansson's words.  A line
 * that is not an object, is invalid, too deep or over PREFPIPE_MAX_RECORD
 * ends the program with exit 65 naming "FILE: line N" (FILE "stdin" for
 * "-"); an input that cannot be opened, exit 66.
 *
 * Writing: compact JSON, one record a line, keys in record order
 * (msgpack_to_json), buffered in 256 KiB blocks.
 */
#ifndef PREFPIPE_JSONL_H
#define PREFPIPE_JSONL_H

#include "io/jsonconv.h"
#include "io/stream.h"

/* Write a record to out for each object line of path.  typed: arrays
 * under the schemas' typed fields become bins where lossless. */
void jsonl_to_records(const char *path, rstream *out, int typed);

typedef struct {
    rstream *out;          /* a text output (rs_open_text_out) */
    obuf b;
} jsonl_writer;

void jsonl_writer_init(jsonl_writer *w, rstream *out);
void jsonl_put(jsonl_writer *w, const msgpack_object *rec);
/* Write what is buffered and free the buffer (out stays open). */
void jsonl_writer_flush(jsonl_writer *w);

#endif
