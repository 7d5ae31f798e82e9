/*
 * inputs.c — the per-record loop over a filter's inputs (see inputs.h).
 */
#include "io/inputs.h"

#include "base/inputs.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void inputs_open(inputs *in, int argc, char **argv, int first)
{
    memset(in, 0, sizeof *in);
    in->uris = cli_inputs(argc, argv, first, &in->n);
}

int inputs_next(inputs *in)
{
    for (;;) {
        if (!in->stream) {
            if (in->i >= in->n) return 0;
            in->stream = rs_open_read(in->uris[in->i++]);
        }
        if (rs_next(in->stream, &in->rec) == RS_OK) {
            rs_last_raw(in->stream, &in->raw, &in->len);
            return 1;
        }
        rs_close(in->stream);
        in->stream = NULL;
    }
}

int inputs_read(inputs *in, const char **why)
{
    for (;;) {
        if (!in->stream) {
            if (in->i >= in->n) return 0;
            in->stream = rs_open_read(in->uris[in->i++]);
        }
        int r = rs_read(in->stream, &in->rec);
        if (r == RS_OK) {
            rs_last_raw(in->stream, &in->raw, &in->len);
            return 1;
        }
        if (r == RS_ERR) {
            if (!rs_recoverable(in->stream)) die(EX_DATAERR, "%s: %s", inputs_where(in), rs_error(in->stream));
            *why = rs_error(in->stream);
            return -1;
        }
        rs_close(in->stream);
        in->stream = NULL;
    }
}

const char *inputs_name(const inputs *in)
{
    if (in->label) return in->label;
    return cli_input_name(in->uris[in->i > 0 ? in->i - 1 : 0]);
}

const char *inputs_where(inputs *in)
{
    const char *name = inputs_name(in);
    unsigned long long n = in->stream ? (unsigned long long)rs_count(in->stream) : 0;
    size_t need = strlen(name) + 32;
    if (need > in->where_cap) {
        in->where = xrealloc(in->where, need);
        in->where_cap = need;
    }
    snprintf(in->where, in->where_cap, "%s: record %llu", name, n);
    return in->where;
}

void inputs_close(inputs *in)
{
    if (in->stream) rs_close(in->stream);
    in->stream = NULL;
    in->i = in->n;
    free(in->where);
    in->where = NULL;
    in->where_cap = 0;
}
