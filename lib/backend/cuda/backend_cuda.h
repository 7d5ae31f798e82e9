/*
 * backend_cuda.h — opening the CUDA backend (lib/backend/cuda, built only
 * where nvcc exists; PREFPIPE_CUDA is then defined for every C file).
 *
 * backend_cuda_open(device) selects GPU `device`, creates the stream and
 * the cuBLAS handle and returns the op table, or NULL with the reason in
 * err (no driver, no device, ordinal out of range, cuBLAS failing to
 * start): the caller prints it and exits 69 (EX_UNAVAILABLE).  One device
 * per process: opening a second ordinal is refused.
 *
 * The matrix-product compute mode comes from PREFPIPE_CUDA_PRECISION:
 * fp32 (default; TF32 off, the parity mode), tf32, or bf16 (bf16 inputs
 * with fp32 accumulation in cuBLAS).  Buffers, master weights and the
 * optimizer state are fp32 in every mode.  An unknown value is refused
 * with a message in err as well.
 */
#ifndef PREFPIPE_BACKEND_CUDA_H
#define PREFPIPE_BACKEND_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct backend;
const struct backend *backend_cuda_open(int device, char *err, size_t errlen);
/* "fp32", "tf32" or "bf16": the mode of the open backend */
const char *backend_cuda_precision(void);

#ifdef __cplusplus
}
#endif

#endif
