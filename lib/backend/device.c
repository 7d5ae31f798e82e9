/*
 * device.c — --device NAME to a backend (see device.h).
 *
 * The registry (backend_by_name) says why a name fails: a name it does not
 * know is the user's mistake (exit 64, the usage message every stage gave
 * before), a backend this build or machine cannot run is exit 69
 * (EX_UNAVAILABLE) with the registry's sentence, which names what is
 * available.
 */
#include "backend/device.h"

#include "base/cli.h"
#include "base/util.h"

const backend *backend_for_device(const char *name)
{
    if (!name) return backend_cpu();
    backend_error err = {0};
    const backend *be = backend_by_name(name, &err);
    if (be) return be;
    if (err.code == EX_UNAVAILABLE) die(EX_UNAVAILABLE, "--device %s: %s", name, err.msg);
    cli_usage_error("device '%s' is not available in this build", name);
}
