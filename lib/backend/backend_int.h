/*
 * backend_int.h — what the registry (backend.c) needs from each backend
 * implementation; private to lib/backend/.
 *
 * Each implementation exports one open function.  `arg` is what followed
 * "name:" in the requested name ("cuda:1" -> "1"), or NULL.  It returns the
 * instance with its setup applied (the same instance for the same
 * arguments: instances are created once and live until the process ends),
 * or NULL with *err filled through backend_fail (err may be NULL).
 * "cuda" with no usable device is EX_UNAVAILABLE with the driver's reason;
 * a malformed argument ("cuda:x") is EX_USAGE.
 */
#ifndef PREFPIPE_BACKEND_INT_H
#define PREFPIPE_BACKEND_INT_H

#include "backend/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

const backend *backend_cpu_open(const char *arg, backend_error *err);
const backend *backend_ref_open(const char *arg, backend_error *err);
/* defined by lib/backend/cuda/ (C linkage); the registry lists it only
 * when the build defines PREFPIPE_CUDA */
const backend *backend_cuda_open(const char *arg, backend_error *err);

/* Fill *err (when not NULL) and return NULL. */
const backend *backend_fail(backend_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
