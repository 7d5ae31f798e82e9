/*
 * ppo_intake.h — scored rollout records -> complete PPO batches, with
 * every rejected record counted under a reason (ppo-step's input side).
 *
 * Batch identity: a record's `batch` (index j) and `batch_size` (records
 * in j), written by rollout.  Records without them are grouped in arrival
 * order into batches of `fallback_size`.  The intake fills batch `cur`:
 *   batch < cur            rejected: already trained (a regenerated batch
 *                          from a restarted rollout)
 *   batch > cur            held (raw copy) until cur reaches it, unless it
 *                          is more than max_lag + 1 ahead (rejected)
 *   id already seen in cur rejected: duplicate
 * A record of batch cur is then checked: policy.version within max_lag
 * of cur (cur - version <= max_lag), the tokenizer fingerprint (when the
 * record has one) equal to ours, a finite number `reward`, int32
 * `tokens` inside the vocabulary, prompt + response within the model's
 * positions.  Batch cur is complete when batch_size distinct ids (taken
 * or rejected) have arrived.  Items own copies of everything they use.
 */
#ifndef PREFPIPE_PPO_INTAKE_H
#define PREFPIPE_PPO_INTAKE_H

#include "rl/ppo_batch.h"
#include "text/tokenizer.h"

#include <msgpack.h>
#include <stdint.h>

enum {
    PI_NO_REWARD, PI_NAN_REWARD, PI_TOKENIZER, PI_STALE, PI_AHEAD, PI_TRAINED, PI_DUPLICATE,
    PI_BAD, PI_TOO_LONG, PI_NREASONS
};
const char *ppo_reject_name(int reason);

typedef struct {
    const tokenizer *tok;
    char tok_fp[17];
    int vocab, max_pos;
    long max_lag;
    long fallback_size;

    long cur;                   /* batch being filled */
    long expect;                /* its batch_size, -1 until known */
    ppo_item *items;
    int n, cap;
    uint64_t *seen;             /* id hashes of batch cur */
    long nseen, seen_cap;
    struct pending { long batch; char *raw; size_t len; } *pend;
    long npend, pend_cap;
    uint64_t rejected[PI_NREASONS];
    uint64_t records;
    int verbose_left;           /* rejections still to describe on stderr */
} ppo_intake;

void ppo_intake_init(ppo_intake *in, const tokenizer *tok, int vocab, int max_pos, long max_lag,
                     long fallback_size, long first_batch);
/* Offer one record (raw: its bytes, for holding).  Returns 1 when batch
 * cur is complete. */
int ppo_intake_add(ppo_intake *in, const msgpack_object *rec, const char *raw, size_t len);
/* Hand the items of batch cur to the caller (who frees them with
 * ppo_item_free + free), advance to cur + 1 and replay held records.
 * Returns 1 when the new batch is already complete. */
int ppo_intake_take(ppo_intake *in, ppo_item **items, int *n);
void ppo_intake_free(ppo_intake *in);
/* "N no_reward, M stale, ..." for the summary (static buffer). */
const char *ppo_intake_summary(const ppo_intake *in);

#endif
