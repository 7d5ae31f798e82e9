/*
 * csv.h — an RFC 4180 CSV record reader over a line source.
 *
 * Fields are separated by commas; a field that starts with '"' is quoted:
 * it may hold commas, newlines and doubled quotes ("" = one quote) and ends
 * at a quote followed by a comma or the end of the line.  A quoted field
 * that runs across lines gets "\n" for each line break (a CRLF inside a
 * quoted field therefore reads as LF: the line source drops the '\r').
 * Unquoted fields are taken literally, quotes included (lenient, as most
 * writers are).  Completely empty lines between records are skipped.
 *
 * Errors (csv_next returns -1, csv_error says why, naming the line):
 * a quoted field still open at the end of input; a character other than
 * ',' after a closing quote.
 *
 * Memory: field texts live in the reader's buffer, NUL-terminated, valid
 * until the next csv_next call.
 */
#ifndef PREFPIPE_CSV_H
#define PREFPIPE_CSV_H

#include <stddef.h>
#include <stdint.h>

/* Line source: 1 and a line (without its newline), 0 at end, -1 error. */
typedef int (*csv_line_fn)(void *ctx, char **line, size_t *len);

typedef struct {
    csv_line_fn next_line;
    void *ctx;
    char *buf;              /* field bytes, each NUL-terminated */
    size_t blen, bcap;
    size_t *off, *len;      /* per field */
    size_t nfields, fcap;
    uint64_t lineno;        /* lines consumed so far */
    uint64_t record_line;   /* first line of the last record */
    char err[160];
} csv_reader;

void csv_init(csv_reader *r, csv_line_fn fn, void *ctx);
void csv_free(csv_reader *r);
/* 1: a record (csv_nfields/csv_field), 0: end of input, -1: error. */
int csv_next(csv_reader *r);
static inline size_t csv_nfields(const csv_reader *r) { return r->nfields; }
static inline const char *csv_field(const csv_reader *r, size_t i, size_t *len)
{
    if (len)
        *len = r->len[i];
    return r->buf + r->off[i];
}
const char *csv_error(const csv_reader *r);

#endif
