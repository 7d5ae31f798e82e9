/*
 * checkpoint.h — Hugging Face model directories:
 *   config.json           LlamaConfig keys (transformers 4.x and 5.x forms)
 *   model.safetensors     fp32 tensors under Hugging Face names (reading
 *                         also accepts the shards listed by
 *                         model.safetensors.index.json)
 *   tokenizer.json        see tokenizer.h
 *   optimizer.safetensors AdamW moments (flat, parameter layout) + step
 *   trainer_state.json    optional text owned by the trainer (data position,
 *                         schedule, ...) for exact resume
 *   run_config.json       optional: the arguments, effective configuration,
 *                         seed and prefpipe version/commit of the run that
 *                         wrote it (base/run_args.h; --resume restores them)
 *
 * Loading accepts LlamaForCausalLM (tied checkpoints may omit
 * lm_head.weight) and LlamaForSequenceClassification with one label
 * (score.weight), and the same two classes of the families in
 * model/model_arch.h (Mistral, Qwen2, Qwen3, Olmo2, Gemma); model_type and
 * architectures must agree.  fp32/bf16/fp16 weights become fp32.  Unknown
 * config keys and unknown non-bias tensors are ignored; rope scaling,
 * biases the family does not have (all but Qwen2's q/k/v), other
 * activations, use_sliding_window, or other architectures are refused.
 * Saving writes the family's own class names and keys, so a checkpoint
 * loads back as the same family (and in transformers).  Every problem
 * is reported as "DIR/FILE: ... tensor NAME ..." with exit 65 (66 when a
 * file cannot be opened).
 *
 * Saving writes everything into DIR.tmp.PID.XXXXXX next to DIR, the marker
 * file prefpipe-checkpoint.json last, then exchanges it with DIR in one
 * step (renameat2 RENAME_EXCHANGE, base/fsreplace.h), so DIR names a
 * complete checkpoint at every instant; the previous content is removed.
 *
 * Checkpoint directories (ckpt_dir.c): a save replaces DIR only if DIR is a
 * checkpoint (the marker, or only checkpoint files), empty, or --force was
 * given; a symlink DIR is followed.  Loading a DIR that a killed save left
 * missing first restores the newest complete DIR.tmp.* / DIR.old.* copy;
 * saving removes the copies that killed runs left behind.
 */
#ifndef PREFPIPE_CHECKPOINT_H
#define PREFPIPE_CHECKPOINT_H

#include "model/model.h"
#include "train/optim.h"
#include "text/tokenizer.h"

#include <stddef.h>

/* Parse config.json text.  Returns 0, or -1 with a message. */
int ckpt_parse_config(const char *text, size_t len, model_config *c, char *err, size_t errlen);
/* config.json text for a config (malloc'd). */
char *ckpt_config_text(const model_config *c);

model *ckpt_load_model(const char *dir, const backend *be);
tokenizer *ckpt_load_tokenizer(const char *dir);
/* Optimizer state: NULL when DIR has none. */
optim *ckpt_load_optim(const char *dir, const model *m);
/* trainer_state.json text, or NULL when absent. */
char *ckpt_load_state(const char *dir);

/* Tensor files on disk: "F32 x20" style dtype counts, bytes, tensors. */
void ckpt_tensor_summary(const char *dir, char *dtypes, size_t cap, size_t *bytes, int *ntensors);

/* The marker every checkpoint gets, written last. */
#define CKPT_MARKER "prefpipe-checkpoint.json"
/* --force: let a save replace a directory that is not a checkpoint. */
void ckpt_allow_replace(int yes);
/* The directory a save to DIR writes (DIR, or where a symlink DIR points),
 * malloc'd; dies 73 with the reason when DIR may not be replaced. */
char *ckpt_target(const char *dir);
/* If DIR is missing after a killed save, rename the newest complete copy
 * into place (with a message).  Loading calls it. */
void ckpt_recover(const char *dir);
/* Remove DIR.tmp.* / DIR.old.* left by processes that no longer run. */
void ckpt_clean_stale(const char *base);

/* run_config.json text every later ckpt_save of this process writes
 * (copied; NULL: none). */
void ckpt_set_run_config(const char *json);

/* opt and state may be NULL.  Dies (exit 73/74) on failure. */
void ckpt_save(const char *dir, const model *m, const tokenizer *tok,
               const optim *opt, const char *state_json);

#endif
