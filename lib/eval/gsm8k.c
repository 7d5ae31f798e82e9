/*
 * gsm8k.c — the GSM8K rule and its scorer (see gsm8k.h).
 *
 * The regex is not run through a regex engine: at each position the two
 * alternatives are tried in order, a match resumes the scan at its end
 * (re.findall semantics), and the last match wins.  ASCII digits only.
 */
#include "eval/gsm8k.h"
#include "eval/boot.h"
#include "eval/common.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dig(const char *s, size_t n, size_t i) { return i < n && s[i] >= '0' && s[i] <= '9'; }

/* End of a match of [-+]?\d*\.\d+|\d+ at i, or 0 when none. */
static size_t match_at(const char *s, size_t n, size_t i)
{
    size_t j = i;
    if (s[j] == '-' || s[j] == '+')
        j++;
    while (dig(s, n, j))
        j++;
    if (j < n && s[j] == '.' && dig(s, n, j + 1)) {
        j++;
        while (dig(s, n, j))
            j++;
        return j;
    }
    if (dig(s, n, i)) {
        j = i;
        while (dig(s, n, j))
            j++;
        return j;
    }
    return 0;
}

/* Numeric variant: [-+]?(\d+(\.\d+)?|\.\d+). */
static size_t match_num_at(const char *s, size_t n, size_t i)
{
    size_t j = i;
    if (s[j] == '-' || s[j] == '+')
        j++;
    if (dig(s, n, j)) {
        while (dig(s, n, j))
            j++;
        if (j < n && s[j] == '.' && dig(s, n, j + 1)) {
            j++;
            while (dig(s, n, j))
                j++;
        }
        return j;
    }
    if (j < n && s[j] == '.' && dig(s, n, j + 1)) {
        j++;
        while (dig(s, n, j))
            j++;
        return j;
    }
    return 0;
}

static int last_match(const char *s, size_t n, size_t (*m)(const char *, size_t, size_t), size_t *b, size_t *e)
{
    int found = 0;
    size_t i = 0;
    while (i < n) {
        size_t end = m(s, n, i);
        if (end) {
            *b = i, *e = end, found = 1;
            i = end;
        } else {
            i++;
        }
    }
    return found;
}

void gsm8k_extract(const char *resp, size_t n, char *buf, const char **pred, size_t *plen)
{
    size_t len = remove_digit_commas(resp, n, buf), b, e;
    if (last_match(buf, len, match_at, &b, &e)) {
        *pred = buf + b;
        *plen = e - b;
    } else {
        *pred = buf;
        *plen = len;
    }
}

static int parse_num(const char *s, size_t n, double *v)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    *v = strtod(tmp, &end);
    return *end == 0 && isfinite(*v);
}

int gsm8k_correct(const char *resp, size_t n, const char *gold, size_t gn, int numeric)
{
    char *buf = xmalloc(n + 1), *gbuf = xmalloc(gn + 1);
    size_t glen = remove_digit_commas(gold, gn, gbuf);
    const char *g = gbuf;
    py_strip(&g, &glen);
    int ok;
    double gv, pv;
    size_t b, e;
    if (numeric && parse_num(g, glen, &gv)) {
        size_t len = remove_digit_commas(resp, n, buf);
        ok = last_match(buf, len, match_num_at, &b, &e) && parse_num(buf + b, e - b, &pv) &&
             fabs(pv - gv) <= 1e-9 * fmax(1.0, fabs(gv));
    } else {
        const char *p;
        size_t pl;
        gsm8k_extract(resp, n, buf, &p, &pl);
        ok = exact_match(p, pl, g, glen);
    }
    free(buf);
    free(gbuf);
    return ok;
}

long gsm8k_gold_from_solution(const char *sol, size_t n, char *buf)
{
    const char *p = NULL;
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(sol + i, "####", 4) == 0)
            p = sol + i + 4;
    if (!p)
        return -1;
    const char *s = p;
    size_t len = (size_t)(sol + n - p);
    py_strip(&s, &len);
    return (long)remove_digit_commas(s, len, buf);
}

/* ---- scorer ---- */

typedef struct {
    int numeric;
    uint64_t n, correct;
    boot_items items;       /* correct per question, for --bootstrap */
} gsm8k_state;

static void *gsm8k_create(const eval_cfg *cfg)
{
    gsm8k_state *st = xcalloc(1, sizeof *st);
    st->numeric = cfg->numeric;
    return st;
}

static int gsm8k_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    gsm8k_state *st = vst;
    const char *resp, *gold;
    size_t rn, gn;
    char gb[64];
    if (eval_response(rec, &resp, &rn, err, errcap) < 0)
        return -1;
    if (!eval_gold_str(rec, "answer", gb, sizeof gb, &gold, &gn, err, errcap))
        return -1;
    char *buf = xmalloc(rn + 1);
    const char *p;
    size_t pl;
    gsm8k_extract(resp, rn, buf, &p, &pl);
    int ok = gsm8k_correct(resp, rn, gold, gn, st->numeric);
    kv_str(sc, "pred", p, pl);
    kv_bool(sc, "correct", ok);
    free(buf);
    st->n++;
    st->correct += (uint64_t)ok;
    boot_add(&st->items, ok, 0);
    return 0;
}

static void gsm8k_finish(void *vst, kvbuf *s)
{
    gsm8k_state *st = vst;
    double acc = st->n ? (double)st->correct / (double)st->n : 0;
    kv_f64(s, "score", acc);
    kv_f64(s, "accuracy", acc);
    kv_i64(s, "correct", (int64_t)st->correct);
    kv_bool(s, "numeric", st->numeric);
}

static size_t gsm8k_units(void *vst) { return ((gsm8k_state *)vst)->items.n; }
static double gsm8k_reweigh(void *vst, const uint32_t *w) { return boot_mean(&((gsm8k_state *)vst)->items, w); }
static void gsm8k_destroy(void *vst)
{
    boot_free(&((gsm8k_state *)vst)->items);
    free(vst);
}

const eval_task eval_task_gsm8k = {"gsm8k",       "GSM8K",       gsm8k_create,  gsm8k_score, gsm8k_finish,
                                   gsm8k_destroy, gsm8k_units, gsm8k_reweigh, NULL};
