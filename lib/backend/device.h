/*
 * device.h — `--device NAME`: the one place a command line's device
 * becomes a backend.
 *
 * Every model stage (lm-logprob, ref-score, rm-score, rollout, ppo-step,
 * sft-step, rm-train, dpo-step) keeps the option's argument as a plain
 * name while it parses its options and calls backend_for_device() once
 * they are all read.  Which names exist, and each backend's setup, is the
 * registry's business (backend_by_name); this adds only the command line's
 * side: no --device is the CPU backend, a name the registry does not know
 * is a usage error naming it (exit 64), and a backend that cannot run here
 * (not built in, no device) exits 69 with the registry's reason.
 */
#ifndef PREFPIPE_BACKEND_DEVICE_H
#define PREFPIPE_BACKEND_DEVICE_H

#include "backend/backend.h"

/* The backend for --device NAME (NULL: none given, the CPU backend);
 * exits 64 ("device 'NAME' is not available in this build") or 69. */
const backend *backend_for_device(const char *name);

#endif
