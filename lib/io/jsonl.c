/*
 * jsonl.c — JSON lines <-> records (see jsonl.h).
 */
#include "io/jsonl.h"

#include "base/inputs.h"
#include "base/util.h"
#include "io/bytesrc.h"
#include "io/json_fast.h"

#include <errno.h>
#include <string.h>

static void put_record(rstream *out, const msgpack_sbuffer *sb, size_t max, const char *name, uint64_t line)
{
    if (sb->size > max)
        die(EX_DATAERR, "%s: line %llu: record of %zu bytes is over the limit of %zu (PREFPIPE_MAX_RECORD)", name,
            (unsigned long long)line, sb->size, max);
    rs_write(out, sb->data, sb->size);
}

/* The jansson path: unusual lines, and every error message. */
static void line_by_jansson(const char *line, size_t len, uint64_t ln, const char *name, int typed, int depth,
                            msgpack_packer *pk)
{
    json_error_t je;
    json_t *v = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        die(EX_DATAERR, "%s: line %llu: invalid JSON: %s (column %d)", name, (unsigned long long)ln, je.text,
            je.column);
    if (!json_is_object(v))
        die(EX_DATAERR, "%s: line %llu: top-level value is not an object (a record must be an object)", name,
            (unsigned long long)ln);
    char err[128];
    if (json_to_msgpack(v, pk, typed, depth, err, sizeof err) < 0)
        die(EX_DATAERR, "%s: line %llu: %s", name, (unsigned long long)ln, err);
    json_decref(v);
}

void jsonl_to_records(const char *path, rstream *out, int typed)
{
    bsrc *src = bsrc_open(path);
    if (!src)
        die(EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    const char *name = cli_input_name(path);
    size_t max = rs_max_record();
    int depth = rs_max_depth();
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char *line;
    size_t len;
    int r;
    while ((r = bsrc_getline(src, &line, &len, max)) == 1) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            continue;
        msgpack_sbuffer_clear(&sb);
        if (!typed || json_fast_to_msgpack(line, len, &pk, depth) != 0) {
            msgpack_sbuffer_clear(&sb);
            line_by_jansson(line, len, bsrc_lineno(src), name, typed, depth, &pk);
        }
        put_record(out, &sb, max, name, bsrc_lineno(src));
    }
    if (r < 0)
        die(EX_DATAERR, "%s: %s", name, bsrc_error(src));
    bsrc_close(src);
    msgpack_sbuffer_destroy(&sb);
}

void jsonl_writer_init(jsonl_writer *w, rstream *out)
{
    w->out = out;
    w->b = (obuf){0};
}

void jsonl_put(jsonl_writer *w, const msgpack_object *rec)
{
    msgpack_to_json(rec, &w->b);
    obuf_putc(&w->b, '\n');
    if (w->b.n >= 1 << 18) {
        rs_write_bytes(w->out, w->b.p, w->b.n);
        w->b.n = 0;
    }
}

void jsonl_writer_flush(jsonl_writer *w)
{
    rs_write_bytes(w->out, w->b.p, w->b.n);
    obuf_free(&w->b);
}
