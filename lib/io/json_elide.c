/*
 * json_elide.c — see json_elide.h for the rule and why it exists.
 */
#include "io/json_elide.h"

#include <string.h>

/* The closing quote of the string whose content starts at p, or NULL. */
static const char *string_end(const char *p, const char *end)
{
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        const char *b = q;
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q;
        p = q + 1;
    }
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int listed(const char *s, size_t n, const char *const *keys)
{
    for (; *keys; keys++)
        if (strlen(*keys) == n && memcmp(*keys, s, n) == 0)
            return 1;
    return 0;
}

size_t json_elide(const char *in, size_t n, char *out, const char *const *keys)
{
    const char *p = in, *end = in + n;
    char *o = out;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            break;
        const char *e = string_end(q + 1, end);
        if (!e)
            break;
        /* copy up to and including the string */
        memcpy(o, p, (size_t)(e + 1 - p));
        o += e + 1 - p;
        p = e + 1;
        const char *k = p;
        while (k < end && is_blank(*k))
            k++;
        if (k == end || *k != ':' || !listed(q + 1, (size_t)(e - q - 1), keys))
            continue;
        k++;
        while (k < end && is_blank(*k))
            k++;
        if (k == end || *k != '"')
            continue;
        const char *ve = string_end(k + 1, end);
        if (!ve)
            continue;
        memcpy(o, p, (size_t)(k - p));
        o += k - p;
        *o++ = '"';
        *o++ = '"';
        p = ve + 1;
    }
    memcpy(o, p, (size_t)(end - p));
    o += end - p;
    *o = 0;
    return (size_t)(o - out);
}
