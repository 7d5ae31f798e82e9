/*
 * csv.c — RFC 4180 reader (rules in csv.h).
 *
 * A small state machine per character: START (beginning of a field),
 * UNQUOTED, QUOTED, QUOTE_IN_QUOTED (a quote seen inside a quoted field:
 * either the first of "" or the closing quote).  Line ends are handled
 * between lines: inside QUOTED they become '\n', elsewhere they end the
 * record.
 */
#include "io/csv.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE };

void csv_init(csv_reader *r, csv_line_fn fn, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->next_line = fn;
    r->ctx = ctx;
}

void csv_free(csv_reader *r)
{
    free(r->buf);
    free(r->off);
    free(r->len);
    memset(r, 0, sizeof *r);
}

const char *csv_error(const csv_reader *r) { return r->err; }

static void put(csv_reader *r, char c)
{
    if (r->blen + 1 >= r->bcap) {
        r->bcap = r->bcap ? 2 * r->bcap : 4096;
        r->buf = xrealloc(r->buf, r->bcap);
    }
    r->buf[r->blen++] = c;
}

static void put_run(csv_reader *r, const char *s, size_t n)
{
    if (r->blen + n + 1 >= r->bcap) {
        while (r->blen + n + 1 >= r->bcap)
            r->bcap = r->bcap ? 2 * r->bcap : 4096;
        r->buf = xrealloc(r->buf, r->bcap);
    }
    memcpy(r->buf + r->blen, s, n);
    r->blen += n;
}

static void begin_field(csv_reader *r)
{
    if (r->nfields == r->fcap) {
        r->fcap = r->fcap ? 2 * r->fcap : 16;
        r->off = xrealloc(r->off, r->fcap * sizeof *r->off);
        r->len = xrealloc(r->len, r->fcap * sizeof *r->len);
    }
    r->off[r->nfields] = r->blen;
}

static void end_field(csv_reader *r)
{
    r->len[r->nfields] = r->blen - r->off[r->nfields];
    put(r, 0);
    r->nfields++;
}

int csv_next(csv_reader *r)
{
    char *line;
    size_t n;
    int got;
    r->blen = 0;
    r->nfields = 0;
    /* skip empty lines */
    for (;;) {
        got = r->next_line(r->ctx, &line, &n);
        if (got <= 0) {
            if (got < 0)
                snprintf(r->err, sizeof r->err, "line %llu: read error", (unsigned long long)r->lineno + 1);
            return got;
        }
        r->lineno++;
        if (n > 0)
            break;
    }
    r->record_line = r->lineno;
    int st = ST_START;
    begin_field(r);
    for (;;) {
        size_t i = 0;
        while (i < n) {
            char c = line[i];
            switch (st) {
            case ST_START:
                if (c == '"') {
                    st = ST_QUOTED;
                    i++;
                    break;
                }
                st = ST_UNQUOTED;
                /* fall through */
            case ST_UNQUOTED: {
                const char *comma = memchr(line + i, ',', n - i);
                size_t k = comma ? (size_t)(comma - (line + i)) : n - i;
                put_run(r, line + i, k);
                i += k;
                if (comma) {
                    end_field(r);
                    begin_field(r);
                    st = ST_START;
                    i++;
                }
                break;
            }
            case ST_QUOTED: {
                const char *q = memchr(line + i, '"', n - i);
                size_t k = q ? (size_t)(q - (line + i)) : n - i;
                put_run(r, line + i, k);
                i += k;
                if (q) {
                    st = ST_QUOTE;
                    i++;
                }
                break;
            }
            case ST_QUOTE:
                if (c == '"') {
                    put(r, '"');
                    st = ST_QUOTED;
                    i++;
                } else if (c == ',') {
                    end_field(r);
                    begin_field(r);
                    st = ST_START;
                    i++;
                } else {
                    snprintf(r->err, sizeof r->err, "line %llu: unexpected '%c' after a closing quote",
                             (unsigned long long)r->lineno, c);
                    return -1;
                }
                break;
            }
        }
        if (st != ST_QUOTED) {
            end_field(r);
            return 1;
        }
        /* a quoted field continues on the next line */
        got = r->next_line(r->ctx, &line, &n);
        if (got <= 0) {
            snprintf(r->err, sizeof r->err, "line %llu: quoted field still open at the end of input",
                     (unsigned long long)r->record_line);
            return -1;
        }
        r->lineno++;
        put(r, '\n');
    }
}
