/*
 * load_int.h — what the benchmark loaders share (load.c, load_code.c):
 * per-group records with hash subsampling (--limit), the record layout,
 * and input helpers.  Private to lib/eval.
 */
#ifndef PREFPIPE_EVAL_LOAD_INT_H
#define PREFPIPE_EVAL_LOAD_INT_H

#include "eval/load.h"
#include "io/bytesrc.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key;
    size_t idx;
    char *raw;
    size_t len;
} pending;

typedef struct {
    pending *v;
    size_t n, cap;
    msgpack_sbuffer sb;
    msgpack_packer pk;
} group;

void group_init(group *g);
/* Take the record(s) packed in g->sb under `id`, after checking them as a
 * reader will (dies with exit 65 naming path and where). */
void group_add(group *g, const char *id, uint64_t seed, const char *path, const char *where);
/* Write the group's records (subsampled by o->limit) and empty it. */
void group_flush(group *g, const bench_opts *o, rstream *out);
void group_free(group *g);
/* Pack id, source, prompt, meta; then the "gold" key and a map header of
 * ngold entries that the caller fills. */
void begin_record(msgpack_packer *pk, const char *id, const char *source, const char *user,
                  const char *asst_prefix, const bench_opts *o, uint32_t ngold);
const char *shown(const char *p);
bsrc *open_src(const char *path);
/* The whole file (dies naming it). */
char *slurp(const char *path, size_t *n);
/* One CSV row from t[*pos..n): fields (malloc'd, at most cap) -> count;
 * 0 at the end, -1 malformed (an unterminated quote). */
int csv_row(const char *t, size_t n, size_t *pos, char **f, int cap);

#endif
