/*
 * policy_version.h — the file protocol by which ppo-step publishes policy
 * versions and rollout follows them (the policy-update edge of the PPO
 * loop; man 1 rollout, man 1 ppo-step).
 *
 * In a directory DIR shared by both ends:
 *   DIR/policy-vN/   a complete checkpoint (ckpt_save: written to a
 *                    temporary directory and renamed, so never half)
 *   DIR/latest       one line "N policy-vN trainer=ID[ stopped]\n",
 *                    replaced by rename(2)
 *                    AFTER policy-vN is complete
 * Version N is the policy after N training batches; version 0 is the
 * initial policy.  A reader that sees "latest = N" can therefore always
 * load DIR/policy-vN, unless the writer pruned it in between (it keeps
 * the newest `keep` versions), in which case the reader re-reads latest
 * and tries again.  Neither end holds a lock or a connection: either can
 * be killed and restarted at any time, and restarted readers simply read
 * latest again.  Readers poll (a stat + a 32-byte read per poll).
 *
 * Policy identity in records: policy {path, version, tokenizer} where
 * tokenizer is tok_fingerprint_hex() (text/tokenizer.h): two
 * tokenizers that encode differently never share a fingerprint, while a
 * re-saved tokenizer.json keeps it.
 */
#ifndef PREFPIPE_POLICY_VERSION_H
#define PREFPIPE_POLICY_VERSION_H

#include "model/model.h"
#include "text/tokenizer.h"

#include <stdint.h>

/* DIR/policy-vN, malloc'd. */
char *pv_path(const char *dir, long version);
/* Read DIR/latest.  Returns the version, or -1 when absent/unreadable. */
long pv_read_latest(const char *dir);
/* Wait until latest >= min_version; returns the version seen, or -1 on
 * timeout (timeout <= 0: wait forever).  poll in seconds. */
long pv_wait(const char *dir, long min_version, double timeout, double poll);
/* Save the model as DIR/policy-vN, point latest at it, and remove
 * versions older than N - keep + 1 (keep >= 1).  Dies on I/O errors. */
void pv_publish(const char *dir, long version, const model *m, const tokenizer *tok, int keep);
/* As pv_publish, marking latest stopped in the same rename when stopped
 * is set (the trainer's last version): a follower never sees that version
 * unmarked, so it never samples a batch nobody will train. */
void pv_publish_ex(const char *dir, long version, const model *m, const tokenizer *tok, int keep, int stopped);
/* Write DIR/latest only (policy-vN must exist). */
void pv_write_latest(const char *dir, long version);
/* Mark the run as stopped at its latest version ("N policy-vN stopped"):
 * the trainer will publish nothing more (ppo-step --batches reached).
 * A follower that saw an unmarked latest (or a smaller version) earlier
 * and now waits for more ends instead of waiting forever; a marked
 * latest present when the follower starts is stale (a resume is coming)
 * and ignored.  --resume rewrites latest unmarked. */
void pv_mark_stopped(const char *dir, long version);
/* As pv_read_latest, also telling whether the line is marked stopped
 * and which trainer process wrote it (0 when the line has no id); either
 * pointer may be NULL. */
long pv_read_latest2(const char *dir, int *stopped, uint64_t *trainer);
/* The id this process writes into latest ("trainer=HEX"): ppo-step sets a
 * fresh one at every start, so a follower that sees the id change while
 * it waits knows the trainer restarted (from its saved state) and may
 * have lost the batch in flight: it regenerates from latest. */
void pv_set_trainer(uint64_t id);
/* Called with DIR before every read of DIR/latest (pv_read_latest*,
 * pv_wait): rollout --policy-from mirrors a remote RUN into DIR there
 * (policy_net.h). */
void pv_set_sync(void (*fn)(const char *dir, void *arg), void *arg);


#endif
