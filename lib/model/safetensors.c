/*
 * safetensors.c — strict reader and atomic writer (see safetensors.h).
 *
 * Memory: st_file owns its tensor table, names and metadata strings and
 * (for st_open) the mapping; tensor bytes are read through f->data.
 * Values are assumed little-endian on disk and on the host (x86, arm64).
 */
#include "model/safetensors.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { const char *name; st_dtype d; int size; } dtypes[] = {
    {"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8}, {"I32", ST_I32, 4}, {"I16", ST_I16, 2}, {"I8", ST_I8, 1},
    {"U8", ST_U8, 1}, {"BOOL", ST_BOOL, 1},
};

const char *st_dtype_name(st_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].d == d) return dtypes[i].name;
    return "?";
}

static int dtype_size(st_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].d == d) return dtypes[i].size;
    return 0;
}

static void seterr(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

void st_close(st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->t[i].name);
    free(f->t);
    for (int i = 0; i < f->nmeta; i++) { free(f->meta_keys[i]); free(f->meta_vals[i]); }
    free(f->meta_keys);
    free(f->meta_vals);
    if (f->map) munmap(f->map, f->map_size);
    free(f);
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int parse_tensor(st_tensor *t, const char *name, json_t *v, char *err, size_t el)
{
    if (!json_is_object(v)) { seterr(err, el, "tensor %s: entry is not an object", name); return -1; }
    json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape");
    json_t *of = json_object_get(v, "data_offsets");
    if (!json_is_string(dt) || !json_is_array(sh) || !json_is_array(of) || json_array_size(of) != 2) {
        seterr(err, el, "tensor %s: needs dtype, shape and data_offsets [begin, end]", name);
        return -1;
    }
    int found = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (!strcmp(json_string_value(dt), dtypes[i].name)) { t->dtype = dtypes[i].d; found = 1; }
    if (!found) { seterr(err, el, "tensor %s: unknown dtype %s", name, json_string_value(dt)); return -1; }
    if (json_array_size(sh) > ST_MAX_DIMS) { seterr(err, el, "tensor %s: more than %d dimensions", name, ST_MAX_DIMS); return -1; }
    t->ndim = (int)json_array_size(sh);
    unsigned __int128 numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(sh, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0) {
            seterr(err, el, "tensor %s: shape entries must be non-negative integers", name);
            return -1;
        }
        t->shape[i] = json_integer_value(d);
        numel *= (uint64_t)t->shape[i];
        if (numel > ((unsigned __int128)1 << 62)) { seterr(err, el, "tensor %s: shape too large", name); return -1; }
    }
    json_t *b = json_array_get(of, 0), *e = json_array_get(of, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b)) {
        seterr(err, el, "tensor %s: bad data_offsets", name);
        return -1;
    }
    t->begin = (size_t)json_integer_value(b);
    t->end = (size_t)json_integer_value(e);
    t->numel = (size_t)numel;
    if ((unsigned __int128)t->numel * dtype_size(t->dtype) != t->end - t->begin) {
        seterr(err, el, "tensor %s: shape needs %llu bytes but data_offsets give %zu", name,
               (unsigned long long)(t->numel * dtype_size(t->dtype)), t->end - t->begin);
        return -1;
    }
    return 0;
}

st_file *st_parse(const unsigned char *buf, size_t len, char *err, size_t el)
{
    if (len < 8) { seterr(err, el, "file too short for a safetensors header (%zu bytes)", len); return NULL; }
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--) hn = (hn << 8) | buf[i];
    if (hn > ST_MAX_HEADER) { seterr(err, el, "header size %llu exceeds the limit of %u bytes", (unsigned long long)hn, ST_MAX_HEADER); return NULL; }
    if (hn > len - 8) { seterr(err, el, "truncated: header of %llu bytes but the file has %zu", (unsigned long long)hn, len - 8); return NULL; }
    json_error_t je;
    json_t *root = json_loadb((const char *)buf + 8, hn, JSON_REJECT_DUPLICATES, &je);
    if (!root) { seterr(err, el, "header is not valid JSON: %s", je.text); return NULL; }
    if (!json_is_object(root)) { json_decref(root); seterr(err, el, "header is not a JSON object"); return NULL; }
    st_file *f = xcalloc(1, sizeof *f);
    f->data = buf + 8 + hn;
    f->data_size = len - 8 - hn;
    size_t cap = json_object_size(root);
    f->t = xcalloc(cap ? cap : 1, sizeof *f->t);
    const char *key;
    json_t *val;
    int bad = 0;
    json_object_foreach(root, key, val) {
        if (!strcmp(key, "__metadata__")) {
            if (!json_is_object(val)) { seterr(err, el, "__metadata__ is not an object"); bad = 1; break; }
            size_t nm = json_object_size(val);
            f->meta_keys = xcalloc(nm ? nm : 1, sizeof(char *));
            f->meta_vals = xcalloc(nm ? nm : 1, sizeof(char *));
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) { seterr(err, el, "__metadata__ value %s is not a string", mk); bad = 1; break; }
                f->meta_keys[f->nmeta] = xstrdup(mk);
                f->meta_vals[f->nmeta++] = xstrdup(json_string_value(mv));
            }
            if (bad) break;
            continue;
        }
        st_tensor *t = &f->t[f->n];
        if (parse_tensor(t, key, val, err, el)) { bad = 1; break; }
        t->name = xstrdup(key);
        f->n++;
    }
    json_decref(root);
    if (bad) { st_close(f); return NULL; }
    /* offsets must tile the data section exactly */
    st_tensor **order = xmalloc(sizeof *order * (f->n ? f->n : 1));
    for (int i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, f->n, sizeof *order, cmp_begin);
    size_t at = 0;
    for (int i = 0; i < f->n && !bad; i++) {
        if (order[i]->begin != at) {
            seterr(err, el, "tensor %s: data starts at byte %zu, expected %zu (offsets must be contiguous)",
                   order[i]->name, order[i]->begin, at);
            bad = 1;
        } else if (order[i]->end > f->data_size) {
            seterr(err, el, "truncated: tensor %s ends at byte %zu of a %zu-byte data section",
                   order[i]->name, order[i]->end, f->data_size);
            bad = 1;
        }
        at = order[i]->end;
    }
    free(order);
    if (!bad && at != f->data_size) {
        seterr(err, el, "data section has %zu bytes but the tensors cover %zu", f->data_size, at);
        bad = 1;
    }
    if (bad) { st_close(f); return NULL; }
    return f;
}

st_file *st_open(const char *path, char *err, size_t el)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { seterr(err, el, "cannot open: %s", strerror(errno)); return NULL; }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        seterr(err, el, "not a regular file");
        return NULL;
    }
    size_t len = (size_t)sb.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) { close(fd); seterr(err, el, "mmap: %s", strerror(errno)); return NULL; }
    }
    close(fd);
    st_file *f = st_parse(map ? map : (const unsigned char *)"", len, err, el);
    if (!f) { if (map) munmap(map, len); return NULL; }
    f->map = map;
    f->map_size = len;
    return f;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key)
{
    for (int i = 0; i < f->nmeta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}

static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    if (e == 0) {
        if (m == 0) bits = s;
        else {   /* subnormal: normalise */
            int sh = 0;
            while (!(m & 0x400)) { m <<= 1; sh++; }
            bits = s | ((uint32_t)(127 - 15 - sh + 1) << 23) | ((m & 0x3ff) << 13);
        }
    } else if (e == 31) bits = s | 0x7f800000u | (m << 13);
    else bits = s | ((e + 127 - 15) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int st_read_f32(const st_file *f, const st_tensor *t, float *dst, char *err, size_t el)
{
    const unsigned char *p = f->data + t->begin;
    switch (t->dtype) {
    case ST_F32: memcpy(dst, p, t->numel * 4); break;
    case ST_F16:
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            if (t->dtype == ST_F16) dst[i] = half_to_float(h);
            else { uint32_t b = (uint32_t)h << 16; memcpy(&dst[i], &b, 4); }
        }
        break;
    default:
        seterr(err, el, "tensor %s: dtype %s is not a floating-point type this reader converts",
               t->name, st_dtype_name(t->dtype));
        return -1;
    }
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(dst[i])) {
            seterr(err, el, "tensor %s: non-finite value (%s) at element %zu", t->name,
                   isnan(dst[i]) ? "NaN" : "Inf", i);
            return -1;
        }
    return 0;
}

/* ---- writing ---- */

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int st_write(const char *path, const st_out *t, int n, const char *const *meta_kv,
             int nmeta, char *err, size_t el)
{
    json_t *root = json_object();
    if (nmeta > 0) {
        json_t *meta = json_object();
        for (int i = 0; i < nmeta; i++) json_object_set_new(meta, meta_kv[2 * i], json_string(meta_kv[2 * i + 1]));
        json_object_set_new(root, "__metadata__", meta);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        json_t *shape = json_array();
        for (int d = 0; d < t[i].ndim; d++) {
            numel *= (size_t)t[i].shape[d];
            json_array_append_new(shape, json_integer(t[i].shape[d]));
        }
        json_t *e = json_object();
        json_object_set_new(e, "dtype", json_string("F32"));
        json_object_set_new(e, "shape", shape);
        json_object_set_new(e, "data_offsets", json_pack("[II]", (json_int_t)off, (json_int_t)(off + numel * 4)));
        json_object_set_new(root, t[i].name, e);
        off += numel * 4;
    }
    char *hdr = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    size_t hl = strlen(hdr), padded = (hl + 7) & ~(size_t)7;
    size_t tmpcap = strlen(path) + 16;
    char *tmp = xmalloc(tmpcap);
    snprintf(tmp, tmpcap, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        seterr(err, el, "cannot create %s: %s", tmp, strerror(errno));
        free(hdr); free(tmp);
        return -1;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int rc = write_all(fd, len8, 8) || write_all(fd, hdr, hl);
    for (size_t i = hl; i < padded && !rc; i++) rc = write_all(fd, " ", 1);
    for (int i = 0; i < n && !rc; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        rc = write_all(fd, t[i].data, numel * 4);
    }
    if (!rc) rc = fchmod(fd, 0644) || fsync(fd);
    if (close(fd) < 0) rc = -1;
    if (!rc && rename(tmp, path) == 0) { free(hdr); free(tmp); return 0; }
    seterr(err, el, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    free(hdr);
    free(tmp);
    return -1;
}
