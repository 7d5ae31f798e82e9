/*
 * safetensors.h — reading and writing the safetensors format:
 *   8 bytes little-endian u64 N, N bytes of JSON header, then the data.
 *   Header: {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 *            ..., "__metadata__": {"key": "string", ...}}
 *   Offsets are relative to the start of the data section.
 *
 * Reading validates the header strictly before any tensor is touched:
 * header size within the file and at most ST_MAX_HEADER bytes, valid JSON
 * with no duplicate names, known dtypes, non-negative shapes whose byte size
 * equals e - b (checked for overflow), and offsets that tile the data
 * section exactly (sorted by start: 0, contiguous, ending at the file's
 * end).  Errors are returned as text naming the tensor; the caller adds the
 * file name and exits 65.  The file is mmap'ed read-only.
 *
 * Writing produces fp32 tensors in the given order, the header padded with
 * spaces to a multiple of 8 bytes, into a temporary file in the same
 * directory that is fsync'ed and renamed over the destination.
 */
#ifndef PREFPIPE_SAFETENSORS_H
#define PREFPIPE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_HEADER (100u << 20)
#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL } st_dtype;

typedef struct {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t begin, end;        /* byte offsets in the data section */
    size_t numel;
} st_tensor;

typedef struct {
    const unsigned char *data;  /* the data section */
    size_t data_size;
    void *map;
    size_t map_size;
    st_tensor *t;
    int n;
    char **meta_keys, **meta_vals;
    int nmeta;
} st_file;

/* Parse a safetensors image held in memory (used by st_open and the fuzz
 * target).  The bytes must outlive the result.  NULL + message on error. */
st_file *st_parse(const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Open and validate a file.  NULL + message on error. */
st_file *st_open(const char *path, char *err, size_t errlen);
void st_close(st_file *f);

const st_tensor *st_find(const st_file *f, const char *name);
const char *st_meta(const st_file *f, const char *key);
const char *st_dtype_name(st_dtype d);

/* Convert a F32/F16/BF16 tensor to fp32 into dst (t->numel floats).
 * Returns 0, or -1 with a message (other dtype, NaN or Inf value). */
int st_read_f32(const st_file *f, const st_tensor *t, float *dst, char *err, size_t errlen);

typedef struct {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
} st_out;

/* Write fp32 tensors and string metadata (meta: nmeta key/value pairs).
 * Returns 0, or -1 with a message; nothing is left behind on failure. */
int st_write(const char *path, const st_out *t, int n, const char *const *meta_kv,
             int nmeta, char *err, size_t errlen);

#endif
