/*
 * msgs.c — borrowed message lists and text helpers (see msgs.h).
 */
#include "text/msgs.h"
#include "io/record.h"
#include "base/util.h"

#include <string.h>

void msgs_init(msgs_t *m) { memset(m, 0, sizeof *m); }

void msgs_free(msgs_t *m)
{
    free(m->m);
    memset(m, 0, sizeof *m);
}

void msgs_push_raw(msgs_t *m, int role, const char *s, size_t n)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 8;
        m->m = xrealloc(m->m, m->cap * sizeof *m->m);
    }
    m->m[m->n++] = (msg_t){role, s, n};
}

void msgs_push(msgs_t *m, int role, const char *s, size_t n)
{
    str_strip(&s, &n);
    msgs_push_raw(m, role, s, n);
}

int msgs_any_empty(const msgs_t *m, size_t count)
{
    for (size_t i = 0; i < count && i < m->n; i++)
        if (m->m[i].n == 0)
            return 1;
    return 0;
}

size_t msgs_common_prefix(const msgs_t *a, const msgs_t *b)
{
    size_t i = 0;
    while (i < a->n && i < b->n && a->m[i].role == b->m[i].role && a->m[i].n == b->m[i].n &&
           memcmp(a->m[i].s, b->m[i].s, a->m[i].n) == 0)
        i++;
    return i;
}

const char *role_name(int role)
{
    switch (role) {
    case ROLE_SYSTEM: return "system";
    case ROLE_USER: return "user";
    default: return "assistant";
    }
}

static int eq(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n == k && memcmp(s, lit, k) == 0;
}

int role_parse(const char *s, size_t n)
{
    if (eq(s, n, "user") || eq(s, n, "human"))
        return ROLE_USER;
    if (eq(s, n, "assistant") || eq(s, n, "gpt") || eq(s, n, "bot"))
        return ROLE_ASSISTANT;
    if (eq(s, n, "system"))
        return ROLE_SYSTEM;
    return -1;
}

void pack_msgs(msgpack_packer *pk, const msgs_t *m, size_t count)
{
    if (count > m->n)
        count = m->n;
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        msgpack_pack_map(pk, 2);
        pack_strn(pk, "role", 4);
        pack_str(pk, role_name(m->m[i].role));
        pack_strn(pk, "content", 7);
        pack_strn(pk, m->m[i].s, m->m[i].n);
    }
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void str_strip(const char **s, size_t *n)
{
    const char *p = *s;
    size_t k = *n;
    while (k > 0 && is_ws(*p)) {
        p++;
        k--;
    }
    while (k > 0 && is_ws(p[k - 1]))
        k--;
    *s = p;
    *n = k;
}

int str_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws(s[i]))
            return 0;
    return 1;
}

uint64_t hash_field(uint64_t h, const char *s, size_t n)
{
    uint64_t len = n;
    h = hash64(&len, sizeof len, h);
    return hash64(s, n, h);
}

uint64_t hash_msgs(uint64_t h, const msgs_t *m, size_t count)
{
    for (size_t i = 0; i < count && i < m->n; i++) {
        const char *r = role_name(m->m[i].role);
        h = hash_field(h, r, strlen(r));
        h = hash_field(h, m->m[i].s, m->m[i].n);
    }
    return h;
}

void id_hex(uint64_t h, char out[17])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hx[h & 15];
        h >>= 4;
    }
    out[16] = 0;
}

/* The user turns of a prompt, joined by blank lines, into buf. */
int msgs_user_text(const msgpack_object *prompt, char **buf, size_t *cap, size_t *len)
{
    *len = 0;
    if (!prompt || prompt->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    for (uint32_t i = 0; i < prompt->via.array.size; i++) {
        const msgpack_object *m = &prompt->via.array.ptr[i];
        const char *role, *s;
        size_t rn, sn;
        if (rec_get_str(m, "role", &role, &rn) != 1 || rec_get_str(m, "content", &s, &sn) != 1)
            return -1;
        if (!(rn == 4 && memcmp(role, "user", 4) == 0))
            continue;
        if (*len + sn + 3 > *cap) {
            *cap = 2 * (*len + sn + 3);
            *buf = xrealloc(*buf, *cap);
        }
        if (*len) {
            memcpy(*buf + *len, "\n\n", 2);
            *len += 2;
        }
        memcpy(*buf + *len, s, sn);
        *len += sn;
    }
    return 0;
}

