/*
 * relimit.c — the shared PCRE2 match context with match and heap limits
 * (see relimit.h).  Created once (pthread_once) and never changed after,
 * so matching threads only read it.
 */
#include "text/relimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pcre2_match_context *g_mctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static uint32_t env_u32(const char *name, uint32_t dflt)
{
    const char *e = getenv(name);
    char *end;
    unsigned long v = e ? strtoul(e, &end, 10) : 0;
    return e && *e && !*end && v > 0 && v <= UINT32_MAX ? (uint32_t)v : dflt;
}

static void make(void)
{
    g_mctx = pcre2_match_context_create(NULL);
    if (!g_mctx)
        return; /* out of memory: matches run with PCRE2's defaults */
    pcre2_set_match_limit(g_mctx, env_u32("PREFPIPE_REGEX_MATCH_LIMIT", 10000000u));
    pcre2_set_heap_limit(g_mctx, env_u32("PREFPIPE_REGEX_HEAP_LIMIT", 65536u));
}

pcre2_match_context *relimit_context(void)
{
    pthread_once(&g_once, make);
    return g_mctx;
}

const char *relimit_message(int rc, char *buf, size_t cap)
{
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "PCRE2 error %d", rc);
    const char *hint = rc == PCRE2_ERROR_MATCHLIMIT ? " (PREFPIPE_REGEX_MATCH_LIMIT)"
                       : rc == PCRE2_ERROR_HEAPLIMIT ? " (PREFPIPE_REGEX_HEAP_LIMIT)" : "";
    snprintf(buf, cap, "%s%s", (const char *)msg, hint);
    return buf;
}
