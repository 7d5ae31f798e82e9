/*
 * judge_prompt.c — judge prompt templates (judge_prompt.h).  A missing
 * field renders as the empty string: the judge then sees what the record
 * had, and a record the scorer cannot use is refused by the scorer.
 */
#include "eval/judge_prompt.h"
#include "eval/common.h"
#include "io/record.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void question(const msgpack_object *rec, const char **s, size_t *n)
{
    *s = "", *n = 0;
    const msgpack_object *p = rec_get(rec, "prompt");
    if (!p)
        return;
    if (p->type == MSGPACK_OBJECT_STR) {
        *s = p->via.str.ptr, *n = p->via.str.size;
        return;
    }
    if (p->type != MSGPACK_OBJECT_ARRAY)
        return;
    for (uint32_t i = 0; i < p->via.array.size; i++) {
        const msgpack_object *m = &p->via.array.ptr[i], *role = rec_get(m, "role");
        if (role && obj_str_eq(role, "user"))
            rec_get_str(m, "content", s, n);
    }
}

char *judge_prompt_render(const char *t, size_t tn, const msgpack_object *rec, size_t *outn)
{
    const char *q, *r = "", *ref = "";
    size_t qn, rn = 0, refn = 0;
    question(rec, &q, &qn);
    rec_get_str(rec, "response", &r, &rn);
    const msgpack_object *g = eval_gold(rec);
    if (g)
        rec_get_str(g, "reference", &ref, &refn);
    static const char *const names[] = {"{question}", "{QUESTION}", "{response}", "{RESPONSE}", "{reference}"};
    const char *vals[] = {q, q, r, r, ref};
    size_t lens[] = {qn, qn, rn, rn, refn};
    size_t cap = tn + 1, k = 0;
    for (size_t i = 0; i < tn; i++)
        if (t[i] == '{')
            cap += qn + rn + refn;
    char *o = xmalloc(cap);
    for (size_t i = 0; i < tn;) {
        int hit = -1;
        if (t[i] == '{')
            for (int j = 0; j < 5 && hit < 0; j++)
                if (tn - i >= strlen(names[j]) && !memcmp(t + i, names[j], strlen(names[j])))
                    hit = j;
        if (hit >= 0) {
            memcpy(o + k, vals[hit], lens[hit]);
            k += lens[hit];
            i += strlen(names[hit]);
        } else {
            o[k++] = t[i++];
        }
    }
    o[k] = 0;
    *outn = k;
    return o;
}

void judge_feeder_init(judge_feeder *f, void (*extra)(const msgpack_object *rec, recb *rb))
{
    memset(f, 0, sizeof *f);
    recb_init(&f->rb);
    f->extra = extra;
}

void judge_feeder_open(judge_feeder *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        die(EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 0, n = 0, k;
    char *buf = NULL;
    do {
        buf = xrealloc(buf, cap += 65536);
        k = fread(buf + n, 1, cap - n, fp);
        n += k;
    } while (k > 0 && n == cap);
    if (ferror(fp))
        die(EX_IOERR, "%s: read error: %s", path, strerror(errno));
    fclose(fp);
    f->tmpl = buf, f->n = n;
}

void judge_feeder_rewrite(void *ctx, const msgpack_object *rec, const char **raw, size_t *len)
{
    judge_feeder *f = ctx;
    recb_reset(&f->rb);
    recb_copy_fields(&f->rb, rec);
    if (f->tmpl) {
        size_t pn;
        char *jp = judge_prompt_render(f->tmpl, f->n, rec, &pn);
        recb_put_strn(&f->rb, "judge_prompt", jp, pn);
        free(jp);
    }
    if (f->extra)
        f->extra(rec, &f->rb);
    recb_finish(&f->rb, raw, len);
}

void judge_feeder_close(judge_feeder *f)
{
    recb_free(&f->rb);
    free(f->tmpl);
    f->tmpl = NULL;
}
