/*
 * examples.h — training examples for the offline stages: records ->
 * tokenized examples (Tülu chat template, response span, truncation), a
 * spool file that keeps them on disk so that epochs can re-read a stream,
 * and the seeded per-epoch shuffle.
 *
 * An example is one or two token sequences (sft: the response; pair:
 * chosen then rejected), each the templated prompt followed by the
 * response, with the response span [start, len) — the tokens whose
 * log-probs a loss uses (the assistant content and its EOS).
 * With train_prep.all_turns (sft-step), earlier assistant turns of a
 * multi-turn prompt are loss tokens too, as in Tülu/open-instruct's SFT
 * (every assistant message is trained, user and system text masked): their
 * spans (content + EOS, after truncation, in token order, all before
 * start[0]) are in span[0..nspan).  Pairs never have extra spans: DPO and
 * the reward model judge the final response only.
 *
 * Truncation to max_len tokens (counted in train_counts.truncated):
 *   keep-start  keep the first max_len tokens (the response end is cut);
 *               if no response token remains the example is skipped
 *   keep-end    keep the last max_len tokens (the prompt start is cut)
 *   drop        skip the example (counted in too_long)
 * Skipped records are counted by reason, never silently lost.
 *
 * The spool is an unlinked temporary file in $TMPDIR (else /tmp) holding
 * the examples back to back; memory holds only an offset per example
 * (8 bytes; the trainer adds 8 for the permutation), so memory is bounded
 * by the batch, not by the dataset.
 * train_spool.hash fingerprints the content for --resume checks.
 */
#ifndef PREFPIPE_TRAIN_DATA_H
#define PREFPIPE_TRAIN_DATA_H

#include "text/tokenizer.h"

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { TRUNC_KEEP_START, TRUNC_KEEP_END, TRUNC_DROP } trunc_mode;
typedef enum { TD_PAIR, TD_SFT } td_want;

typedef struct {
    int nseq;              /* 1 (sft) or 2 (chosen, rejected) */
    int32_t *ids[2];       /* malloc'd */
    int len[2], start[2];  /* response = [start, len) */
    int has_ref;           /* ref[] valid */
    double ref[2];         /* reference sequence log-probs */
    double margin;         /* the record's `margin`, 0 when absent */
    uint64_t recno;        /* 1-based record number in the input */
    int nspan;             /* earlier assistant turns in sequence 0 (all_turns) */
    int32_t (*span)[2];    /* [nspan] of [begin, end), malloc'd */
} train_example;

typedef struct {
    uint64_t read, used, missing, empty, too_long, truncated, bad;
} train_counts;

typedef struct {
    const tokenizer *tok;
    int max_len;
    trunc_mode trunc;
    td_want want;
    int read_ref;          /* take ref_logp_chosen/rejected from records */
    const char *tok_fp;    /* read_ref: tok_fingerprint_hex of tok; records whose
                            * ref_tokenizer differs are an error (NULL: not checked) */
    int allow_empty;       /* score empty responses (just EOS) instead of skipping */
    int all_turns;         /* TD_SFT: every assistant turn is a loss span (see above) */
    int truncated_as_is;   /* TD_SFT: a record with finish "length" (a rollout cut at
                            * max_new) keeps its text as it is: no EOS appended */
} train_prep;

int trunc_parse(const char *s, trunc_mode *m);

/* Build an example from a record.  Returns 1, or 0 when the record is
 * skipped: the reason is counted in *c and described in *why. */
int train_example_from_record(const train_prep *p, const msgpack_object *rec, uint64_t recno,
                              train_example *ex, train_counts *c, const char **why);
void train_example_free(train_example *ex);
/* Tokens in the example (all sequences). */
long train_example_tokens(const train_example *ex);
/* Loss tokens of sequence k: len - start, plus the extra spans of k = 0. */
int train_example_loss_tokens(const train_example *ex, int k);

/* Print "prog: LABEL: N records, M used, skipped: ..." on stderr. */
void train_counts_report(const char *label, const train_counts *c);

typedef struct {
    FILE *f;
    uint64_t *off;         /* n + 1 offsets */
    size_t n, cap;
    uint64_t hash;
    int max_len, max_nseq; /* the longest sequence and most sequences of any example:
                            * the trainer reserves activations for them once */
} train_spool;

void spool_open(train_spool *s);
void spool_add(train_spool *s, const train_example *ex);
/* Read example i back (ids malloc'd: train_example_free). */
void spool_get(train_spool *s, size_t i, train_example *ex);
void spool_close(train_spool *s);

/* perm[0..n) = the order of epoch `epoch` for `seed` (Fisher–Yates with
 * xoshiro seeded from seed and epoch). */
void train_shuffle(size_t *perm, size_t n, uint64_t seed, long epoch);

#endif
