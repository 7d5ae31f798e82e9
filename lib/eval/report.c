/*
 * report.c — summary records -> tables, JSON, plot (report.h).
 *
 * Rows are keyed by (model, step); a second summary for the same row and
 * benchmark replaces the first (the later run wins) with a warning.  The
 * plot is drawn by running gnuplot on a script and data file written to a
 * private temporary directory; the PNG goes to a temporary name beside the
 * target and is renamed, so a failed plot leaves nothing behind.
 *
 * The gnuplot plumbing (temporary files, the style, running it) is
 * gnuplot.c; comparison records are report_compare.c.
 *
 * Record text (model and benchmark names) is hostile input: gnuplot runs
 * system() and `backquotes` in double-quoted strings and in bare script
 * text.  Every label therefore goes into the script through gp_quote(): a
 * single-quoted gnuplot string (no escapes, no substitution; '' is a quote)
 * with control characters replaced by spaces so a newline cannot end the
 * line, and "noenhanced" so markup characters are shown, not interpreted.
 * gnuplot is started with execvp, never through a shell.
 *
 * Style: the script starts with tools/plot-style.gp (embedded at build
 * time as prefpipe_plot_style), the style the recipe's training.png and
 * watch-metrics use; PREFPIPE_PLOT_SCRIPT=FILE keeps a copy of the script
 * (to inspect it, and for the tests: plots are checked as scripts, not
 * pixels).
 */
#include "eval/report.h"
#include "report_int.h"
#include "io/record.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const categories[] = {"factuality", "reasoning", "coding", "truthfulness", "safety",
                                         "instruction following", NULL};
#define NCAT 6

static const struct { const char *bench, *cat; } known[] = {
    {"MMLU", "factuality"}, {"GSM8K", "reasoning"}, {"BBH", "reasoning"}, {"HumanEval+", "coding"},
    {"HumanEval", "coding"}, {"MBPP+", "coding"}, {"MBPP", "coding"}, {"TruthfulQA", "truthfulness"},
    {"ToxiGen", "safety"}, {"XSTest", "safety"}, {"AlpacaEval", "instruction following"},
    {"AlpacaEval 1", "instruction following"}, {"AlpacaEval 2", "instruction following"},
    {"IFEval", "instruction following"}, {NULL, NULL}};

static int cat_index(const char *c)
{
    for (int i = 0; categories[i]; i++)
        if (strcmp(categories[i], c) == 0)
            return i;
    return NCAT;
}

void report_init(report *r, char **metric_overrides)
{
    memset(r, 0, sizeof *r);
    r->metric_for = metric_overrides;
}

void report_free(report *r)
{
    for (size_t i = 0; i < r->nb; i++)
        free(r->bench[i]), free(r->cat[i]);
    for (size_t i = 0; i < r->nr; i++)
        free(r->rows[i].model), free(r->rows[i].vals), free(r->rows[i].lo), free(r->rows[i].hi);
    free(r->bench);
    free(r->cat);
    free(r->rows);
    report_compare_free(r);
}

static const char *metric_key(const report *r, const char *bench)
{
    size_t bl = strlen(bench);
    for (char **p = r->metric_for; p && *p; p++)
        if (strncmp(*p, bench, bl) == 0 && (*p)[bl] == '=')
            return *p + bl + 1;
    return "score";
}

static size_t column(report *r, const char *bench, const char *cat)
{
    for (size_t i = 0; i < r->nb; i++)
        if (strcmp(r->bench[i], bench) == 0)
            return i;
    r->bench = xrealloc(r->bench, (r->nb + 1) * sizeof *r->bench);
    r->cat = xrealloc(r->cat, (r->nb + 1) * sizeof *r->cat);
    r->bench[r->nb] = xstrdup(bench);
    if (!cat) {
        cat = "other";
        for (int k = 0; known[k].bench; k++)
            if (strcasecmp(known[k].bench, bench) == 0)
                cat = known[k].cat;
    }
    r->cat[r->nb] = xstrdup(cat);
    for (size_t i = 0; i < r->nr; i++) {
        r->rows[i].vals = xrealloc(r->rows[i].vals, (r->nb + 1) * sizeof(double));
        r->rows[i].lo = xrealloc(r->rows[i].lo, (r->nb + 1) * sizeof(double));
        r->rows[i].hi = xrealloc(r->rows[i].hi, (r->nb + 1) * sizeof(double));
        r->rows[i].vals[r->nb] = r->rows[i].lo[r->nb] = r->rows[i].hi[r->nb] = NAN;
    }
    return r->nb++;
}

static size_t row(report *r, const char *model, long long step)
{
    for (size_t i = 0; i < r->nr; i++)
        if (r->rows[i].step == step && strcmp(r->rows[i].model, model) == 0)
            return i;
    r->rows = xrealloc(r->rows, (r->nr + 1) * sizeof *r->rows);
    report_row *w = &r->rows[r->nr];
    w->model = xstrdup(model);
    w->step = step;
    w->vals = xmalloc((r->nb + 1) * sizeof(double));
    w->lo = xmalloc((r->nb + 1) * sizeof(double));
    w->hi = xmalloc((r->nb + 1) * sizeof(double));
    for (size_t i = 0; i < r->nb; i++)
        w->vals[i] = w->lo[i] = w->hi[i] = NAN;
    return r->nr++;
}

/* AlpacaEval's length-controlled win rate (lc_win_rate, already x 100)
 * and its interval (lc_ci_low/high) become a column of their own, "BENCH
 * LC" in category "CATEGORY (LC)": shown beside the raw win rate, not in
 * the category's average, which keeps the raw rate: the number that
 * equals the leaderboard's exactly, where the LC fit here needs stand-in
 * instruction difficulties.  A later summary without LC clears an
 * earlier one's.  AlpacaEval 1 has no length-controlled rate (the fit
 * belongs to AlpacaEval 2), so its summary's is not shown. */
static void add_lc(report *r, const msgpack_object *rec, const char *bench, const char *cat, size_t w)
{
    if (strcasecmp(bench, "AlpacaEval 1") == 0)
        return;
    double v, lo, hi;
    int has = rec_get_f64(rec, "lc_win_rate", &v) == 1;
    char name[512], lccat[512];
    snprintf(name, sizeof name, "%s LC", bench);
    size_t c = r->nb;
    for (size_t i = 0; i < r->nb; i++)
        if (strcmp(r->bench[i], name) == 0)
            c = i;
    if (!has) {
        if (c < r->nb)
            r->rows[w].vals[c] = r->rows[w].lo[c] = r->rows[w].hi[c] = NAN;
        return;
    }
    snprintf(lccat, sizeof lccat, "%s (LC)", cat);
    c = column(r, name, lccat);
    int ci = rec_get_f64(rec, "lc_ci_low", &lo) == 1 && rec_get_f64(rec, "lc_ci_high", &hi) == 1;
    r->rows[w].vals[c] = v;
    r->rows[w].lo[c] = ci ? lo : NAN;
    r->rows[w].hi[c] = ci ? hi : NAN;
}

int report_add(report *r, const msgpack_object *rec, char *err, size_t errcap)
{
    const msgpack_object *kind = rec_get(rec, "kind");
    if (kind && obj_str_eq(kind, "comparison"))
        return report_add_comparison(r, rec, err, errcap);
    if (!kind || !obj_str_eq(kind, "summary"))
        return 0;
    char *bench = rec_dup_str(rec, "benchmark");
    if (!bench)
        bench = rec_dup_str(rec, "task");
    if (!bench) {
        snprintf(err, errcap, "summary without 'benchmark' or 'task'");
        return -1;
    }
    char *model = rec_dup_str(rec, "model"), *cat = rec_dup_str(rec, "category");
    int64_t step = -1;
    rec_get_i64(rec, "step", &step);
    const char *key = metric_key(r, bench);
    double v;
    int ok = rec_get_f64(rec, key, &v) == 1;
    if (!ok)
        snprintf(err, errcap, "summary for %s has no number '%s'", bench, key);
    else {
        size_t c = column(r, bench, cat), w = row(r, model ? model : "", step);
        if (!isnan(r->rows[w].vals[c]))
            warnx_("%s, step %lld: a second summary for %s replaces the first", model ? model : "run",
                   (long long)step, bench);
        r->rows[w].vals[c] = 100.0 * v;
        double lo, hi;
        int ci = strcmp(key, "score") == 0 && rec_get_f64(rec, "ci_low", &lo) == 1 && rec_get_f64(rec, "ci_high", &hi) == 1;
        r->rows[w].lo[c] = ci ? 100.0 * lo : NAN;
        r->rows[w].hi[c] = ci ? 100.0 * hi : NAN;
        if (strcmp(key, "score") == 0)
            add_lc(r, rec, bench, r->cat[c], w);
    }
    free(bench);
    free(model);
    free(cat);
    return ok ? 1 : -1;
}

/* ---- ordering ---- */

static const report *ctx;
static int col_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int cx = cat_index(ctx->cat[x]), cy = cat_index(ctx->cat[y]);
    if (cx != cy)
        return cx - cy;
    if (cx == NCAT && strcmp(ctx->cat[x], ctx->cat[y]))
        return strcmp(ctx->cat[x], ctx->cat[y]);
    int kx = 100, ky = 100;
    for (int k = 0; known[k].bench; k++) {
        if (strcasecmp(known[k].bench, ctx->bench[x]) == 0) kx = k;
        if (strcasecmp(known[k].bench, ctx->bench[y]) == 0) ky = k;
    }
    return kx != ky ? kx - ky : strcmp(ctx->bench[x], ctx->bench[y]);
}

static int row_cmp(const void *a, const void *b)
{
    const report_row *x = a, *y = b;
    int c = strcmp(x->model, y->model);
    return c ? c : (x->step > y->step) - (x->step < y->step);
}

void report_sort(report *r)
{
    size_t *ord = xmalloc((r->nb + 1) * sizeof *ord);
    for (size_t i = 0; i < r->nb; i++)
        ord[i] = i;
    ctx = r;
    qsort(ord, r->nb, sizeof *ord, col_cmp);
    char **b = xmalloc((r->nb + 1) * sizeof *b), **c = xmalloc((r->nb + 1) * sizeof *c);
    for (size_t i = 0; i < r->nb; i++)
        b[i] = r->bench[ord[i]], c[i] = r->cat[ord[i]];
    for (size_t w = 0; w < r->nr; w++) {
        double **cols[3] = {&r->rows[w].vals, &r->rows[w].lo, &r->rows[w].hi};
        for (int k = 0; k < 3; k++) {
            double *v = xmalloc((r->nb + 1) * sizeof *v);
            for (size_t i = 0; i < r->nb; i++)
                v[i] = (*cols[k])[ord[i]];
            free(*cols[k]);
            *cols[k] = v;
        }
    }
    free(r->bench), free(r->cat);
    r->bench = b, r->cat = c;
    free(ord);
    qsort(r->rows, r->nr, sizeof *r->rows, row_cmp);
}

/* Category means of one row (NAN when none); returns the average over
 * the six categories that have a value. */
static double row_categories(const report *r, const report_row *w, double *cat)
{
    double avg = 0;
    int navg = 0;
    for (int k = 0; k < NCAT; k++) {
        double s = 0;
        int n = 0;
        for (size_t i = 0; i < r->nb; i++)
            if (cat_index(r->cat[i]) == k && !isnan(w->vals[i]))
                s += w->vals[i], n++;
        cat[k] = n ? s / n : NAN;
        if (n)
            avg += cat[k], navg++;
    }
    return navg ? avg / navg : NAN;
}

static void row_label(const report_row *w, char *buf, size_t cap)
{
    if (w->step >= 0)
        snprintf(buf, cap, "%s%sstep %lld", w->model, *w->model ? " " : "", w->step);
    else
        snprintf(buf, cap, "%s", *w->model ? w->model : "run");
}

void report_putf(obuf *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    obuf_put(o, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void cell(obuf *o, double v, int width)
{
    if (isnan(v))
        report_putf(o, "  %*s", width, "-");
    else
        report_putf(o, "  %*.1f", width, v);
}

static int label_width(const report *r)
{
    int lw = 3;
    char lab[512];
    for (size_t w = 0; w < r->nr; w++) {
        row_label(&r->rows[w], lab, sizeof lab);
        if ((int)strlen(lab) > lw)
            lw = (int)strlen(lab);
    }
    return lw;
}

void report_text(const report *r, int layout, obuf *o)
{
    if (r->ncmp && !r->nr) {  /* comparisons alone */
        report_compare_text(r, o);
        return;
    }
    int lw = label_width(r);
    char lab[512];
    double cat[NCAT];
    if (layout & 1) {
        report_putf(o, "%-*s", lw, "run");
        for (size_t i = 0; i < r->nb; i++)
            report_putf(o, "  %*s", (int)(strlen(r->bench[i]) > 5 ? strlen(r->bench[i]) : 5), r->bench[i]);
        report_putf(o, "  %7s\n", "average");
        for (size_t w = 0; w < r->nr; w++) {
            row_label(&r->rows[w], lab, sizeof lab);
            report_putf(o, "%-*s", lw, lab);
            for (size_t i = 0; i < r->nb; i++)
                cell(o, r->rows[w].vals[i], (int)(strlen(r->bench[i]) > 5 ? strlen(r->bench[i]) : 5));
            cell(o, row_categories(r, &r->rows[w], cat), 7);
            obuf_putc(o, '\n');
        }
    }
    if (layout == 3)
        obuf_putc(o, '\n');
    if (layout & 2) {
        report_putf(o, "%-*s", lw, "run");
        for (int k = 0; k < NCAT; k++)
            report_putf(o, "  %s", categories[k]);
        report_putf(o, "  %7s\n", "average");
        for (size_t w = 0; w < r->nr; w++) {
            row_label(&r->rows[w], lab, sizeof lab);
            report_putf(o, "%-*s", lw, lab);
            double avg = row_categories(r, &r->rows[w], cat);
            for (int k = 0; k < NCAT; k++)
                cell(o, cat[k], (int)strlen(categories[k]));
            cell(o, avg, 7);
            obuf_putc(o, '\n');
        }
    }
    int any = 0;
    for (size_t w = 0; w < r->nr; w++)
        for (size_t i = 0; i < r->nb; i++)
            any |= !isnan(r->rows[w].lo[i]);
    if (any) {
        report_putf(o, "\n95%% bootstrap intervals\n");
        for (size_t w = 0; w < r->nr; w++) {
            row_label(&r->rows[w], lab, sizeof lab);
            for (size_t i = 0; i < r->nb; i++)
                if (!isnan(r->rows[w].lo[i]))
                    report_putf(o, "%-*s  %-12s %5.1f  [%5.1f, %5.1f]\n", lw, lab, r->bench[i], r->rows[w].vals[i],
                         r->rows[w].lo[i], r->rows[w].hi[i]);
        }
    }
    if (r->ncmp) {  /* the comparison after the table */
        obuf_putc(o, '\n');
        report_compare_text(r, o);
    }
}

static json_t *num_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

void report_json(const report *r, obuf *o)
{
    json_t *root = json_object(), *rows = json_array(), *cats = json_array(), *cols = json_array();
    for (int k = 0; k < NCAT; k++)
        json_array_append_new(cats, json_string(categories[k]));
    for (size_t i = 0; i < r->nb; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "benchmark", json_string(r->bench[i]));
        json_object_set_new(c, "category", json_string(r->cat[i]));
        json_array_append_new(cols, c);
    }
    double cat[NCAT];
    for (size_t w = 0; w < r->nr; w++) {
        const report_row *rw = &r->rows[w];
        json_t *jr = json_object(), *b = json_object(), *c = json_object();
        if (*rw->model)
            json_object_set_new(jr, "model", json_string(rw->model));
        if (rw->step >= 0)
            json_object_set_new(jr, "step", json_integer(rw->step));
        for (size_t i = 0; i < r->nb; i++)
            if (!isnan(rw->vals[i]))
                json_object_set_new(b, r->bench[i], json_real(rw->vals[i]));
        double avg = row_categories(r, rw, cat);
        for (int k = 0; k < NCAT; k++)
            if (!isnan(cat[k]))
                json_object_set_new(c, categories[k], json_real(cat[k]));
        json_object_set_new(jr, "benchmarks", b);
        json_t *iv = NULL;
        for (size_t i = 0; i < r->nb; i++)
            if (!isnan(rw->lo[i])) {
                if (!iv)
                    iv = json_object();
                json_object_set_new(iv, r->bench[i], json_pack("[ff]", rw->lo[i], rw->hi[i]));
            }
        if (iv)
            json_object_set_new(jr, "intervals", iv);
        json_object_set_new(jr, "categories", c);
        json_object_set_new(jr, "average", num_or_null(avg));
        json_array_append_new(rows, jr);
    }
    json_object_set_new(root, "categories", cats);
    json_object_set_new(root, "columns", cols);
    json_object_set_new(root, "rows", rows);
    if (r->ncmp)
        json_object_set_new(root, "comparison", (json_t *)report_compare_json(r));
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(1));
    obuf_put(o, s, strlen(s));
    obuf_putc(o, '\n');
    free(s);
    json_decref(root);
}

/* ---- plot ---- */

/* The bar chart of runs without steps: groups = benchmarks, the categories
 * with a value and the average; one bar per run; error bars from the
 * bootstrap intervals when any summary has one.  Names reach gnuplot only
 * through gp_quote (xtics and titles); the data file holds numbers. */
static int plot_bars(const report *r, const char *png, char *msg, size_t cap)
{
    gp_job j;
    if (gp_begin(&j, png, 1200, 600, msg, cap) < 0)
        return -1;
    FILE *d = j.d, *s = j.s;
    double *cat = xmalloc(r->nr * (NCAT + 1) * sizeof *cat), *avg = xmalloc((r->nr + 1) * sizeof *avg);
    for (size_t w = 0; w < r->nr; w++)
        avg[w] = row_categories(r, &r->rows[w], cat + w * (NCAT + 1));
    int errbars = 0, *catshown = xcalloc(NCAT, sizeof *catshown);
    for (size_t w = 0; w < r->nr; w++) {
        for (size_t i = 0; i < r->nb; i++)
            errbars |= !isnan(r->rows[w].lo[i]);
        for (int k = 0; k < NCAT; k++)
            catshown[k] |= !isnan(cat[w * (NCAT + 1) + k]);
    }
    fprintf(s, "\nset datafile missing \"NaN\"\nset style data histogram\nset style histogram %s\n"
               "set style fill solid 0.6 border -1\nset ylabel \"score\"\nset yrange [0:*]\nset key outside right\n"
               "set grid ytics\nset xtics rotate by -35 noenhanced\nset xtics (",
            errbars ? "errorbars gap 1 lw 1" : "clustered gap 1");
    size_t g = 0;
    for (size_t i = 0; i <= r->nb + NCAT; i++) {
        const char *name = i < r->nb ? r->bench[i] : i < r->nb + NCAT ? categories[i - r->nb] : "average";
        if (i >= r->nb && i < r->nb + NCAT && !catshown[i - r->nb])
            continue;
        fputs(g ? ", " : "", s);
        gp_quote(s, name);
        fprintf(s, " %zu", g++);
        /* one data line per group: v lo hi for each run */
        for (size_t w = 0; w < r->nr; w++) {
            double v = i < r->nb ? r->rows[w].vals[i] : i < r->nb + NCAT ? cat[w * (NCAT + 1) + i - r->nb] : avg[w];
            double lo = i < r->nb && !isnan(r->rows[w].lo[i]) ? r->rows[w].lo[i] : v;
            double hi = i < r->nb && !isnan(r->rows[w].hi[i]) ? r->rows[w].hi[i] : v;
            fprintf(d, "%s%.6g %.6g %.6g", w ? " " : "", v, lo, hi);
        }
        fputc('\n', d);
    }
    fputs(")\nplot ", s);
    char lab[512];
    for (size_t w = 0; w < r->nr; w++) {
        fprintf(s, "%s\"%s\" using %zu", w ? ", \\\n  " : "", j.data, 3 * w + 1);
        if (errbars)
            fprintf(s, ":%zu:%zu", 3 * w + 2, 3 * w + 3);
        fputs(" title ", s);
        row_label(&r->rows[w], lab, sizeof lab);
        gp_quote(s, lab);
        fputs(" noenhanced", s);
    }
    fputc('\n', s);
    free(cat), free(avg), free(catshown);
    return gp_finish(&j, png, msg, cap);
}

int report_plot(const report *r, const char *png, char *msg, size_t cap)
{
    if (strpbrk(png, "\"\\\n'")) {
        snprintf(msg, cap, "%s: the plot path may not contain quotes, backslashes or newlines", png);
        return -1;
    }
    size_t withstep = 0;
    for (size_t w = 0; w < r->nr; w++)
        withstep += r->rows[w].step >= 0;
    if (!gp_have()) {
        snprintf(msg, cap, "gnuplot not found on PATH; skipping the plot %s", png);
        return 1;
    }
    if (r->ncmp)
        return report_plot_comparison(r, png, msg, cap);
    if (!withstep)
        return plot_bars(r, png, msg, cap);
    gp_job j;
    if (gp_begin(&j, png, 1000, 600, msg, cap) < 0)
        return -1;
    FILE *d = j.d, *s = j.s;
    double cat[NCAT];
    /* one block per model: step, average, then each benchmark */
    size_t nmodels = 0;
    const char *models[256];
    for (size_t w = 0; w < r->nr; w++) {
        const report_row *rw = &r->rows[w];
        if (rw->step < 0)
            continue;
        if (!nmodels || strcmp(models[nmodels - 1], rw->model) != 0) {
            if (nmodels == 256)
                break;
            if (nmodels)
                fputs("\n\n", d);
            models[nmodels++] = rw->model;
        }
        fprintf(d, "%lld", rw->step);
        double avg = row_categories(r, rw, cat);
        isnan(avg) ? fputs(" -", d) : fprintf(d, " %.6g", avg);
        for (size_t i = 0; i < r->nb; i++)
            isnan(rw->vals[i]) ? fputs(" -", d) : fprintf(d, " %.6g", rw->vals[i]);
        fputc('\n', d);
    }
    fputs("\nset datafile missing \"-\"\n"
          "set xlabel \"training step\"\nset ylabel \"score x 100\"\nset offsets 0,0,2,2\nplot ",
          s);
    int first = 1;
    for (size_t m = 0; m < nmodels; m++)
        for (size_t i = 0; i <= r->nb; i++) {
            const char *name = i == 0 ? "average" : r->bench[i - 1];
            /* one colour per benchmark (the style's 1-6), the average solid */
            fprintf(s, "%s\"%s\" index %zu using 1:%zu with linespoints ls %zu%s title ", first ? "" : ", \\\n  ",
                    j.data, m, i + 2, 1 + i % 6, i == 0 ? " lw 3" : "");
            size_t tl = strlen(models[m]) + 1 + strlen(name) + 1;
            char *title = xmalloc(tl);
            snprintf(title, tl, "%s%s%s", models[m], *models[m] ? " " : "", name);
            gp_quote(s, title);
            free(title);
            fputs(" noenhanced", s);
            first = 0;
        }
    fputc('\n', s);
    return gp_finish(&j, png, msg, cap);
}
