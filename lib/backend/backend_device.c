/*
 * backend_device.c — what every model stage does with its --device value:
 * backend_for_device(name) returns the backend (NULL: no --device given,
 * the CPU backend), or ends the process the
 * way design.md asks: a name this build does not know (or a malformed
 * one, "cuda:x") is a usage error (exit 64, with the "Try --help" line);
 * a real backend that cannot run here — "cuda" in a build without nvcc,
 * no driver, no GPU, an ordinal the machine lacks — is exit 69
 * (EX_UNAVAILABLE) with the registry's one-sentence reason, so scripts
 * can tell "wrong flag" from "wrong machine".
 */
#include "backend/backend.h"
#include "base/cli.h"
#include "base/util.h"

const backend *backend_for_device(const char *name)
{
    if (!name) return backend_cpu();   /* no --device: the CPU */
    backend_error err = {0, ""};
    const backend *be = backend_by_name(name, &err);
    if (be) return be;
    if (err.code == EX_UNAVAILABLE) die(EX_UNAVAILABLE, "device '%s': %s", name, err.msg);
    cli_usage_error("device '%s': %s", name, err.msg);
}
