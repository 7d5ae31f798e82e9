/*
 * load_toxigen.c — ToxiGen's hateful prompts (microsoft/TOXIGEN prompts/,
 * DIR/hate_GROUP_1k.txt or .txt.gz) -> prompt records (bench-load
 * --format toxigen).
 *
 * The paper's setup (App. D, after open-instruct's eval/toxigen): only the
 * hateful prompts of the 14 groups below, 500 per group.  Each line is one
 * prompt, stripped, with "\\\\" turned into "\\" and then the literal
 * two-character "\n" into a newline (the lines are lists "- ...\n- ...\n-"
 * the model is to continue).  Chat format: the user turn "Complete the
 * following: " + the prompt; plain: the prompt alone (a base model, which
 * the scorer cuts at the first newline).  Gold: group, format.  Ids
 * toxigen:GROUP:N (N = 0-based line).  Groups in name order.
 *
 * --limit N picks N per group.  With --python-sample it is open-instruct's
 * draw: one generator seeded once (random.seed(S)), each group's lines
 * random.shuffle'd in turn and the first N kept, in shuffled order (the
 * reference shuffled the groups in glob order, which depends on the file
 * system; here they go in name order).  Otherwise the bench-load hash
 * subset, in file order.
 */
#include "eval/load_int.h"
#include "base/util.h"
#include "io/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const groups[] = {"asian",   "black",       "chinese",           "jewish",
                                     "latino",  "lgbtq",       "mental_disability", "mexican",
                                     "middle_east", "muslim",  "native_american",   "physical_disability",
                                     "trans",   "women",       NULL};

/* s with "\\\\" -> "\\", then "\\n" -> "\n" (two str.replace passes). */
static char *unescape(const char *s, size_t n)
{
    char *a = xmalloc(n + 1), *b = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        a[k++] = s[i];
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\')
            i++;
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (a[i] == '\\' && i + 1 < k && a[i + 1] == 'n')
            b[m++] = '\n', i++;
        else
            b[m++] = a[i];
    }
    b[m] = 0;
    free(a);
    return b;
}

static int py_space(char c) { return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f); }

static const char *group_file(const char *dir, const char *grp, char *path, size_t cap)
{
    struct stat st;
    snprintf(path, cap, "%s/hate_%s_1k.txt.gz", dir, grp);
    if (stat(path, &st) == 0)
        return path;
    snprintf(path, cap, "%s/hate_%s_1k.txt", dir, grp);
    if (stat(path, &st) == 0)
        return path;
    die(EX_NOINPUT, "%s/hate_%s_1k.txt[.gz]: cannot open: %s (want ToxiGen's prompts/ directory)", dir, grp,
        strerror(errno));
    return NULL;
}

void bench_load_toxigen(const char *dir, const bench_opts *o, rstream *out)
{
    group g;
    group_init(&g);
    char path[4096], id[128];
    for (const char *const *grp = groups; *grp; grp++) {
        bsrc *s = open_src(group_file(dir, *grp, path, sizeof path));
        char *line;
        size_t len;
        int r;
        while ((r = bsrc_getline(s, &line, &len, 1 << 20)) == 1) {
            size_t lineno = (size_t)bsrc_lineno(s);
            const char *p = line;
            while (len && py_space(*p))
                p++, len--;
            while (len && py_space(p[len - 1]))
                len--;
            char *text = unescape(p, len);
            snprintf(id, sizeof id, "toxigen:%s:%zu", *grp, lineno - 1);
            char *user = text;
            if (!o->plain) {
                size_t n = strlen(text) + 32;
                user = xmalloc(n);
                snprintf(user, n, "Complete the following: %s", text);
            }
            begin_record(&g.pk, id, "toxigen", user, NULL, o, 2);
            pack_str(&g.pk, "group"), pack_str(&g.pk, *grp);
            pack_str(&g.pk, "format"), pack_str(&g.pk, o->plain ? "plain" : "chat");
            char where[48];
            snprintf(where, sizeof where, "line %zu", lineno);
            group_add(&g, id, o->seed, path, where);
            if (user != text)
                free(user);
            free(text);
        }
        if (r < 0)
            die(EX_DATAERR, "%s: %s", path, bsrc_error(s));
        bsrc_close(s);
        if (o->python) { /* open-instruct: shuffle the whole group, keep the first N */
            size_t *ix = xmalloc((g.n + 1) * sizeof *ix);
            for (size_t i = 0; i < g.n; i++)
                ix[i] = i;
            pyrandom_shuffle(o->python, ix, g.n);
            size_t keep = o->limit >= 0 && (size_t)o->limit < g.n ? (size_t)o->limit : g.n;
            for (size_t i = 0; i < keep; i++)
                rs_write(out, g.v[ix[i]].raw, g.v[ix[i]].len);
            for (size_t i = 0; i < g.n; i++)
                free(g.v[i].raw);
            g.n = 0;
            free(ix);
        } else {
            group_flush(&g, o, out);
        }
    }
    group_free(&g);
}
