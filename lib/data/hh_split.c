/*
 * hh_split.c — the HH transcript splitter (rule in hh_split.h).
 *
 * One left-to-right scan: at each position where a blank line ends, test
 * for the marker of the speaker expected next.  Cost is linear in the text.
 */
#include "data/hh_split.h"

#include <string.h>

static const char HUMAN[] = "Human:";
static const char ASSISTANT[] = "Assistant:";

static int starts_with(const char *p, const char *end, const char *lit, size_t k)
{
    return (size_t)(end - p) >= k && memcmp(p, lit, k) == 0;
}

/* Position of the next marker for `want` (after a blank line), or NULL.
 * *content_end is where the blank line before it begins. */
static const char *next_marker(const char *p, const char *end, int want, const char **content_end)
{
    const char *lit = want == ROLE_USER ? HUMAN : ASSISTANT;
    size_t k = want == ROLE_USER ? sizeof HUMAN - 1 : sizeof ASSISTANT - 1;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || end - nl < 2)
            return NULL;
        if (nl[1] == '\n') {
            const char *q = nl + 2;
            while (q < end && *q == '\n')
                q++;
            if (starts_with(q, end, lit, k)) {
                *content_end = nl;
                return q;
            }
            p = q;
        } else {
            p = nl + 1;
        }
    }
}

int hh_split(const char *text, size_t n, msgs_t *out, const char **why)
{
    const char *p = text, *end = text + n;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (!starts_with(p, end, HUMAN, sizeof HUMAN - 1)) {
        *why = "transcript does not start with a Human: turn";
        return -1;
    }
    int role = ROLE_USER;
    p += sizeof HUMAN - 1;
    for (;;) {
        int next = role == ROLE_USER ? ROLE_ASSISTANT : ROLE_USER;
        const char *cend = NULL;
        const char *m = next_marker(p, end, next, &cend);
        if (!m) {
            msgs_push(out, role, p, (size_t)(end - p));
            return 0;
        }
        msgs_push(out, role, p, (size_t)(cend - p));
        role = next;
        p = m + (role == ROLE_USER ? sizeof HUMAN - 1 : sizeof ASSISTANT - 1);
    }
}
