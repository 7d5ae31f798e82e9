/*
 * logprob_records.h — the record contract of lm-logprob: which fields a
 * record has decides what is scored, and what is written back.
 *
 * First match wins:
 *   tokens [+ prompt_tokens]     the ids in `tokens`, conditioned on
 *                                prompt_tokens; writes FIELD (one float
 *                                per token of `tokens`)
 *   prompt + chosen + rejected   (pair) the Tülu-templated responses;
 *                                writes ref_logp_chosen, ref_logp_rejected
 *                                (sums over response tokens incl. EOS)
 *   prompt + response            the templated response; writes FIELD and,
 *                                when absent, prompt_tokens and tokens
 *   text                         the whole text (special tokens split), with
 *                                the post-processor's tokens (Llama's BOS)
 *                                unless add_special is 0; writes tokens and
 *                                FIELD (the first token gets 0)
 * The templated modes never add the post-processor's tokens: the chat
 * template writes its own (see chat_template.h).
 *
 * A batch holds up to N records (a copy of each) and their sequences;
 * flushing scores them in one model_score call (right-padded, padding
 * masked, so batch composition changes nothing but float summation order)
 * and writes every record in input order with all its fields kept.  A
 * record that cannot be scored ends the process with exit 65 naming it.
 */
#ifndef PREFPIPE_TRAIN_LOGPROB_RECORDS_H
#define PREFPIPE_TRAIN_LOGPROB_RECORDS_H

#include "io/held.h"
#include "io/stream.h"
#include "model/model.h"
#include "text/tokenizer.h"

#include <msgpack.h>
#include <stdint.h>

/* What the stage scores with, from its options. */
typedef struct {
    model *m;
    tokenizer *tok;
    const char *field;      /* per-token log-probs go here (lm-logprob --field) */
    int add_special;        /* text records: the post-processor's tokens */
} logprob_scorer;

typedef struct logprob_batch logprob_batch;

logprob_batch *logprob_batch_new(const logprob_scorer *sc, int cap);
/* Copy the record (raw bytes) and build its sequences; num and uri name it
 * in errors.  Returns 1 when the batch is full and must be flushed. */
int logprob_batch_add(logprob_batch *b, const msgpack_object *rec, const char *raw, size_t len, uint64_t num,
                      const char *uri);
/* Score the held records and write them to w in input order; returns how
 * many were written (0 when empty). */
int logprob_batch_flush(logprob_batch *b, rstream *w, const char *uri);
/* Several ranks (io/held.h held_shard): batch k is scored by rank k % N
 * and written by rank 0 in order; every rank adds every record (the same
 * batches), only w of rank 0 is written.  Byte-identical output: batches
 * are scored whole, as in one process. */
void logprob_batch_shard(logprob_batch *b, held_shard *s);
void logprob_batch_free(logprob_batch *b);

#endif
