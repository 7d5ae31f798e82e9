/*
 * bytesrc.h — a byte source over stdin or a file, gzip detected by its
 * magic bytes (so `x.jsonl`, `x.jsonl.gz` and a gzip stream on stdin all
 * read the same way).  Concatenated gzip members are read in sequence.
 *
 * A gzip stream that ends before its trailer is an error ("truncated gzip
 * stream"), never a silent short read: a dataset cut in transit must not
 * load as a smaller dataset.
 *
 * Also a line reader for JSONL/CSV loaders: bsrc_getline returns each line
 * (without its '\n', and without a '\r' before it) in a buffer owned by the
 * source, plus its 1-based line number.
 */
#ifndef PREFPIPE_BYTESRC_H
#define PREFPIPE_BYTESRC_H

#include <stddef.h>
#include <stdint.h>

typedef struct bsrc bsrc;

/* "-" is stdin.  Returns NULL with errno set when the file cannot be opened. */
bsrc *bsrc_open(const char *path);
/* Read up to cap bytes: >0 bytes, 0 end of input, -1 error (bsrc_error). */
long bsrc_read(bsrc *s, void *buf, size_t cap);
const char *bsrc_error(const bsrc *s);
/* Would bsrc_read return now, without waiting for the writer?  1: yes
 * (bytes buffered, end of input or an error to report, or a file), 0: it
 * would block (a pipe, socket or terminal with nothing to read yet).
 * Never blocks itself; the first call may take in the bytes the gzip sniff
 * needs and sniffs, so bsrc_is_gzip is known once it has answered 1.  Gzip
 * input always answers 1 (inflating may need bytes that are not there
 * yet; a gzip stream on a pipe is read as if it were a file). */
int bsrc_ready(bsrc *s);
int bsrc_is_gzip(const bsrc *s);
uint64_t bsrc_bytes_in(const bsrc *s);   /* compressed bytes consumed */
void bsrc_close(bsrc *s);

/* 1: a line in *line, *len (NUL-terminated), 0: end, -1: error.  Lines
 * longer than max_line (0 = unlimited) are an error. */
int bsrc_getline(bsrc *s, char **line, size_t *len, size_t max_line);
/* Lines end in "\n" or "\r\n"; a last line without "\n" also loses a
 * trailing "\r" unless this is called (lm-tokenize: text is text). */
void bsrc_keep_last_cr(bsrc *s);
uint64_t bsrc_lineno(const bsrc *s);

/* Read everything (for JSON-array files); caller frees.  NULL on error. */
char *bsrc_slurp(bsrc *s, size_t *len, size_t max_len);

#endif
