/*
 * ppo_share.h — ppo-step as N ranks: rank 0 reads the rollouts (any input:
 * stdin, files, ZeroMQ) through the intake, and hands every complete batch
 * to all ranks by broadcast, so each rank holds the whole batch and trains
 * its share of it (ppo_train.c: item i belongs to rank i % N).  The end of
 * the input is broadcast too, so the other ranks leave their loop with
 * rank 0.  With one rank nothing is sent.
 *
 * What travels per item: the token ids, plen, rlen, the raw reward, the
 * truncation flag, the reference log-probs when the record had them, the
 * id.  The rest (old log-probs, values, advantages) is computed by the
 * item's rank.
 */
#ifndef PREFPIPE_PPO_SHARE_H
#define PREFPIPE_PPO_SHARE_H

#include "rl/ppo_batch.h"

/* Rank 0: batch j (items[0..n)) to every other rank. */
void ppo_share_send(long j, const ppo_item *items, int n);
/* Rank 0: no more batches. */
void ppo_share_end(void);
/* Other ranks: the next batch (1; *items malloc'd, free with ppo_item_free
 * and free), or 0 at the end. */
int ppo_share_recv(long *j, ppo_item **items, int *n);

#endif
