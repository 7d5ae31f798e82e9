/*
 * backend.c — the registry: backend names to instances (backend.h).
 *
 * A name is "NAME" or "NAME:ARG" (cuda:1).  The registry splits it, finds
 * NAME in the table of implementations compiled into this build and lets
 * that implementation's open function apply its setup and return the
 * instance (backend_int.h).  Names the project knows but this build lacks
 * ("cuda" without nvcc) are EX_UNAVAILABLE, not unknown: the user asked
 * for something real that this machine cannot do.
 */
#include "backend/backend_int.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef const backend *(*open_fn)(const char *arg, backend_error *err);

static const struct { const char *name; open_fn open; } impls[] = {
    {"cpu", backend_cpu_open},
    {"ref", backend_ref_open},
#ifdef PREFPIPE_CUDA
    {"cuda", backend_cuda_open},
#endif
};

/* backends of the project that a build may leave out */
static const char *const optional[] = {"cuda"};

const backend *backend_fail(backend_error *err, int code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

const char *backend_names(void)
{
    static char names[128];
    if (!names[0])
        for (size_t i = 0; i < sizeof impls / sizeof *impls; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", impls[i].name);
        }
    return names;
}

const backend *backend_by_name(const char *name, backend_error *err)
{
    if (!name || !*name) return backend_fail(err, EX_USAGE, "empty backend name (known: %s)", backend_names());
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    const char *arg = colon ? colon + 1 : NULL;
    for (size_t i = 0; i < sizeof impls / sizeof *impls; i++)
        if (strlen(impls[i].name) == len && !strncmp(impls[i].name, name, len))
            return impls[i].open(arg, err);
    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
        if (strlen(optional[i]) == len && !strncmp(optional[i], name, len))
            return backend_fail(err, EX_UNAVAILABLE,
                                "backend '%s' is not compiled into this build (available: %s)",
                                name, backend_names());
    return backend_fail(err, EX_USAGE, "unknown backend '%s' (known: %s)", name, backend_names());
}

const backend *backend_cpu(void)
{
    backend_error err;
    const backend *be = backend_by_name("cpu", &err);
    if (!be) die(EX_SOFTWARE, "%s", err.msg);
    return be;
}
