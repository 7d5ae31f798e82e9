/*
 * dataset.h — pref-load's format table and the loader framework.
 *
 * A format is a row function: it gets one parsed row (a jansson object:
 * a JSON line, an element of a JSON array file, or a CSV record turned
 * into an object of strings keyed by the header) and either emits records
 * (ds_emit_pair / ds_emit_rated), drops the row with a reason (ds_drop),
 * or reports it malformed (ds_malformed).  Formats that group rows
 * (HelpSteer by prompt, PRM800K by problem) keep their own state and emit
 * in `finish`.
 *
 * The driver (ds_run) detects the container from the first non-blank
 * line — '[' a JSON array, '{' alone on its line a pretty-printed stream
 * of objects (jq's output), '{' JSON lines, anything else CSV where the
 * format allows it — checks the first row for the format's required
 * fields (a wrong --format fails at once, naming the missing fields),
 * counts every drop reason and prints the summary line
 *   "pref-load: FORMAT: N read, M written, K dropped (n1: reason, ...)".
 * A file in the wrong format can pass the first-row check (same field
 * names, other types: tulu on HH-RLHF), so the driver also refuses an
 * input where at least DS_MALFORMED_PCT % of the rows read were malformed:
 * exit 65 with the first DS_FIRST_REASONS reasons, nothing written to -o.
 * Legitimate drops (ties, empty turns) never count toward it.
 *
 * Cleaning shared by every format lives in ds_emit_*: whitespace is
 * stripped from every message and response, and a record with an empty
 * message ("empty turn"), no prompt, a prompt that does not end with a
 * user turn, or two responses identical after stripping ("identical
 * responses") is dropped.  Ids: the source's own id where the format has
 * one, else 16 hex digits of a hash of the content.  Randomness (which
 * rejected completion) derives from hash64(seed, id).
 *
 * Strings in emitted records are borrowed from the row (jansson keeps
 * them alive until the row is released after the row function returns).
 */
#ifndef PREFPIPE_DATASET_H
#define PREFPIPE_DATASET_H

#include "data/binarize.h"
#include "text/msgs.h"
#include "io/record.h"
#include "io/stream.h"

#include <jansson.h>
#include <stdio.h>

typedef struct ds_ctx ds_ctx;

enum { EMIT_DEFAULT, EMIT_PAIR, EMIT_RATED, EMIT_PROMPT };

typedef struct {
    const char *name;
    const char *summary;      /* one line for --list-formats */
    const char *required;     /* first-row check: "a b|c d" = (a and b) or (c and d) */
    int rated;                /* pointwise source: emits rated by default */
    int prompts;              /* a prompt source (App. J mining): emits prompt records only */
    int csv;                  /* may come as CSV */
    void (*init)(ds_ctx *c);
    void (*row)(ds_ctx *c, json_t *row);
    void (*finish)(ds_ctx *c);
    void (*pair_config)(bin_config *b);  /* the paper's conversion (rated formats) */
    const char *const *elide; /* keys whose string values are never read (json_elide.h) */
} ds_format;

typedef struct {
    int emit;
    int strict, keep_ties, keep_multiturn, keep_truthfulqa;
    int chosen_ground_truth;  /* prm800k: the human solution as chosen (not the paper's rule) */
    int progress;             /* --progress: rows/s on stderr even when not a terminal */
    uint64_t seed;
    const char *map;          /* generic: "prompt=q,chosen=a,rejected=b" */
    const char *source;       /* --source: the source of every record (NULL: per format) */
} ds_opts;

#define DS_MAX_REASONS 24
#define DS_MALFORMED_PCT 90   /* this share of malformed rows or more: the input is refused */
#define DS_FIRST_REASONS 3    /* malformed-row reasons quoted when it is */

struct ds_ctx {
    const ds_format *fmt;
    ds_opts opt;
    int emit;                 /* resolved: EMIT_PAIR / EMIT_RATED / EMIT_PROMPT */
    rstream *out;
    const char *path;
    const char *required;     /* may be replaced by init (generic) */
    char where[48];           /* "line 12", "element 3" */
    uint64_t read, written, dropped;
    struct { const char *reason; uint64_t n; } drops[DS_MAX_REASONS];
    size_t ndrops;
    uint64_t warned, empty_completions, malformed;
    char first_why[DS_FIRST_REASONS][160];   /* "line 3: why" of the first malformed rows */
    recb b;
    msgs_t m1, m2, m3;        /* scratch for row functions */
    rated_t rated;
    bin_config bcfg;
    bin_stats bst;
    bin_pair *bp;
    void *priv;               /* per-format state */
};

typedef struct {
    const char *id;           /* NULL: a content hash */
    size_t idlen;
    const msgs_t *prompt;
    size_t nprompt;           /* the first nprompt messages are the prompt */
    const char *chosen, *rejected;
    size_t clen, rlen;
    double margin;
    int has_margin;
    const char *chosen_model, *rejected_model;  /* may be NULL */
    size_t cmlen, rmlen;
    const char *source;       /* NULL: the format name */
    size_t slen;
    const char *prompt_source;  /* meta.prompt_source, or NULL */
    size_t pslen;
} ds_pair;

const ds_format *ds_find(const char *name);
void ds_list(FILE *f);
/* Load one input; returns 0 (errors exit). */
int ds_run(const ds_format *f, const char *path, const ds_opts *o, rstream *out);

/* ---- for row functions ---- */
void ds_emit_pair(ds_ctx *c, const ds_pair *p);
/* A pair from two whole conversations: prompt = their common prefix, each
 * must end in one assistant message after it. */
void ds_emit_conv_pair(ds_ctx *c, ds_pair *p, const msgs_t *chosen, const msgs_t *rejected);
void ds_emit_rated(ds_ctx *c, const char *id, size_t idlen, const msgs_t *prompt, rated_t *r,
                   const char *prompt_source, size_t pslen);
void ds_drop(ds_ctx *c, const char *reason);
void ds_malformed(ds_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON getters: 1 found, 0 absent or null, -1 wrong type. */
int ds_str(json_t *o, const char *key, const char **s, size_t *n);
/* A number, a boolean, or a string holding a number ("4", " 3.5"). */
int ds_num(json_t *o, const char *key, double *v);
int ds_num_value(json_t *v, double *out);
/* Parse a list of {role|from, content|value} messages into out (cleared
 * first).  -1 with *why for a wrong shape; null content reads as empty. */
int ds_msgs(json_t *arr, msgs_t *out, const char **why);
/* Id text from a string or integer field into buf (cap >= 32); NULL if none. */
const char *ds_id(json_t *o, const char *key, char *buf, size_t cap, size_t *len);

#endif
