/*
 * load.h — benchmark files -> `prompt` records (bench-load(1)).
 *
 * Every loader reads one of the public files of ../shared/data (see its
 * SOURCES.md), builds the paper's prompt for each example, copies the gold
 * fields into `gold`, and writes records to `out`.  Ids are stable:
 *   gsm8k:SPLIT:N  (N = 0-based line; SPLIT = file name without .jsonl)
 *   bbh:TASK:N     ifeval:KEY     xstest:ID_V2     alpaca-eval:N
 *   humaneval:TASK_ID   mbpp:TASK_ID   mmlu:SUBJECT:N#L
 *   truthfulqa:N   truthfulqa-mc:N#K   toxigen:GROUP:N
 * Subsampling (--limit, per task for BBH) keeps the `limit` records with
 * the smallest hash64(id, seed), written in file order, so a subset
 * depends only on the seed and the ids; or, with `python`, the records
 * Python's random.sample(records, limit) picks after random.seed(seed),
 * in its order (the paper's subsets), when a group has more than `limit`.
 * A malformed example is an error (exit 65) naming the file and line or
 * element; nothing is written past it (the output is atomic with -o).
 */
#ifndef PREFPIPE_EVAL_LOAD_H
#define PREFPIPE_EVAL_LOAD_H

#include "eval/pyrandom.h"
#include "io/stream.h"

#include <stdint.h>

typedef struct {
    int plain;              /* one plain-text user message; no assistant prefix */
    int shots;              /* GSM8K 0..8 (default 8), BBH 0 or 3 */
    long long limit;        /* < 0: all */
    uint64_t seed;
    const char **tasks;     /* BBH: only these tasks (NULL-terminated), or NULL */
    pyrandom *python;       /* non-NULL: --limit draws with Python's random.sample
                               from this generator (seeded once), in sample order */
} bench_opts;

void bench_load_gsm8k(const char *path, const bench_opts *o, rstream *out);
void bench_load_bbh(const char *dir, const bench_opts *o, rstream *out);
void bench_load_ifeval(const char *path, const bench_opts *o, rstream *out);
void bench_load_xstest(const char *path, const bench_opts *o, rstream *out);
void bench_load_alpaca(const char *path, const bench_opts *o, rstream *out);
/* HumanEval+ (mbpp = 0) or MBPP+ (mbpp = 1), EvalPlus jsonl: ids
 * humaneval:HumanEval/N, mbpp:Mbpp/N; gold for code-exec (codeexec.h). */
void bench_load_code(const char *path, int mbpp, const bench_opts *o, rstream *out);
/* MMLU (DIR/test, DIR/dev): four records per question, one per letter
 * (load_mmlu.c); --limit counts questions per subject, --shots 0..5. */
void bench_load_mmlu(const char *dir, const bench_opts *o, rstream *out);
/* TruthfulQA generation (TruthfulQA.csv; ids truthfulqa:N) and multiple
 * choice (mc_task.json; one record per mc2 answer, ids truthfulqa-mc:N#K,
 * --limit counts questions): load_tqa.c. */
void bench_load_truthfulqa(const char *path, const bench_opts *o, rstream *out);
void bench_load_truthfulqa_mc(const char *path, const bench_opts *o, rstream *out);
/* ToxiGen's hateful prompts (DIR/hate_GROUP_1k.txt[.gz], 14 groups; ids
 * toxigen:GROUP:N; --limit per group): load_toxigen.c. */
void bench_load_toxigen(const char *dir, const bench_opts *o, rstream *out);

#endif
