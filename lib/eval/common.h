/*
 * common.h — pieces every benchmark scorer shares: the exact-match
 * normaliser of evaluation.md, a few Python-string equivalents (strip,
 * the "(\d),(\d)" comma removal), a small builder for score/summary maps
 * (kvbuf), and the scorer interface (eval_task) that eval-score drives.
 *
 * Invariants:
 * - Exact match lower-cases ASCII letters and deletes ASCII punctuation
 *   (Python's string.punctuation) from both sides, nothing else: no
 *   whitespace stripping, non-ASCII bytes compared as they are.
 * - A scorer never reads a field it does not need: only `response` and the
 *   `gold` fields of its benchmark (and `scores` for judge verdicts).
 * - A summary record is {"kind":"summary","id":"summary:TASK","task",
 *   "benchmark","n","skipped","score",...metrics} with the id
 *   "summary:TASK[:BENCHMARK][:MODEL][@STEP]"; "n" counts the records
 *   scored, "skipped" the records read but not scored, so an average never
 *   silently covers fewer records than were read.
 */
#ifndef PREFPIPE_EVAL_COMMON_H
#define PREFPIPE_EVAL_COMMON_H

#include "io/record.h"
#include "io/stream.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* ---- strings ---- */

/* Python str.strip() for ASCII whitespace (space, \t\n\v\f\r, \x1c-\x1f). */
void py_strip(const char **s, size_t *n);
int py_isspace(unsigned char c);
/* Exact match of evaluation.md (lower-case, delete ASCII punctuation). */
int exact_match(const char *a, size_t an, const char *b, size_t bn);
/* re.sub(r"(\d),(\d)", r"\1\2", s): out needs n + 1 bytes; returns length. */
size_t remove_digit_commas(const char *s, size_t n, char *out);

/* ---- key/value builder for msgpack maps ---- */

typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint32_t n;
    char **keys;
    size_t cap;
} kvbuf;

void kv_init(kvbuf *k);
void kv_reset(kvbuf *k);
void kv_free(kvbuf *k);
/* Pack `key`; the caller then packs exactly one value with the returned packer. */
msgpack_packer *kv_key(kvbuf *k, const char *key);
void kv_f64(kvbuf *k, const char *key, double v);
void kv_i64(kvbuf *k, const char *key, int64_t v);
void kv_bool(kvbuf *k, const char *key, int v);
void kv_str(kvbuf *k, const char *key, const char *s, size_t n);
/* Pack the map {old entries not in k, then k's entries} as one value. */
void kv_pack_merged(const kvbuf *k, const msgpack_object *old, msgpack_packer *pk);
/* Append k's entries (no map header) to pk; the caller counted them. */
void kv_pack_entries(const kvbuf *k, msgpack_packer *pk);

/* ---- scorer interface ---- */

typedef struct {
    int numeric;            /* GSM8K: compare numbers, not strings */
    int judge;              /* verdicts come from an external judge */
    const char *judge_key;  /* scores.KEY written by the judge */
    int ks[16];             /* pass@k: the k values */
    int nks;
    const char *difficulty; /* AlpacaEval: records {instruction, difficulty} for the LC fit */
    int bootstrap;          /* --bootstrap B (0: none), for intervals a scorer adds itself */
    uint64_t boot_seed;     /* (AlpacaEval's LC rate, refitted per resample) */
} eval_cfg;

typedef struct {
    const char *name;       /* --task NAME */
    const char *benchmark;  /* default display name in reports */
    void *(*create)(const eval_cfg *cfg);
    /* Score one record: 0 with entries added to `scores`, or -1 with a
     * message (missing/invalid gold or response) in err. */
    int (*score)(void *st, const msgpack_object *rec, kvbuf *scores, char *err, size_t errcap);
    /* Add the summary metrics (including "score", the headline in [0,1]). */
    void (*finish)(void *st, kvbuf *summary);
    void (*destroy)(void *st);
    /* Optional (NULL: none).  The bootstrap (eval/boot.h): after the last
     * record, the number of resampling units (items: questions, prompts,
     * problems) and the headline "score" recomputed with unit i counted
     * w[i] times. */
    size_t (*units)(void *st);
    double (*reweigh)(void *st, const uint32_t *w);
    /* Fields added to each record fed to --judge (after its own fields):
     * what the judge should read, e.g. the post-processed answer. */
    void (*judge_fields)(const msgpack_object *rec, recb *rb);
} eval_task;

const eval_task *eval_task_find(const char *name);
/* The default scores.KEY of a task's --judge verdicts, NULL for a task
 * that takes no judge (truthfulqa reads truth and info). */
const char *eval_task_judge_key(const eval_task *t);
/* Names of all tasks, comma separated (for messages). */
const char *eval_task_names(void);

/* Shared field access: the response text and the gold map; 0 or -1 + err. */
int eval_response(const msgpack_object *rec, const char **s, size_t *n, char *err, size_t errcap);
const msgpack_object *eval_gold(const msgpack_object *rec);
/* A gold string field; 1 ok, 0 absent (err set). Numbers are formatted. */
int eval_gold_str(const msgpack_object *rec, const char *key, char *buf, size_t cap, const char **s, size_t *n,
                  char *err, size_t errcap);

/* A judge's verdict scores.KEY: a boolean, or a probability in [0, 1]
 * (>= 0.5 is yes).  0 with *yes set, or -1 with a message in err. */
int eval_judge_verdict(const msgpack_object *rec, const char *key, int *yes, char *err, size_t errcap);

/* " (id ID)" for messages about a record (its first 200 bytes), or "". */
void eval_show_id(const msgpack_object *rec, char *buf, size_t cap);

/* Write a summary record built from meta + metrics to out. */
typedef struct {
    const char *task, *benchmark, *model;
    long long step;         /* < 0: absent */
    int benchmark_given;    /* the id names the benchmark too */
    uint64_t n, skipped;
} summary_meta;
void summary_write(rstream *out, const summary_meta *m, const kvbuf *metrics);

/* A string key -> uint64 index hash table (prompt ids, subsets, tasks). */
typedef struct {
    char **keys;
    uint64_t *vals;
    size_t cap, n;
} strmap;
void strmap_init(strmap *m);
void strmap_free(strmap *m);
/* The slot index of key, inserting with value `dflt` when absent. */
uint64_t *strmap_get(strmap *m, const char *key, size_t klen, uint64_t dflt, int *inserted);

#endif
