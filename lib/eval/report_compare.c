/*
 * report_compare.c — eval-compare's comparison records in eval-report
 * (report.h): a text table of the arms, JSON, and the plot of each arm's
 * paired difference to the baseline with its bootstrap interval.
 *
 * The records come from eval-compare (one per arm, the baseline's
 * difference 0 [0, 0]); their numbers are fractions and are shown x 100
 * like every other score.  A record without the fields eval-compare
 * writes is an error naming the field.  The plot's data file holds
 * numbers only; the arms' and baseline's names reach the script through
 * gp_quote (report_int.h), as the other plots' labels do.
 */
#include "eval/report.h"
#include "report_int.h"
#include "io/record.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int report_add_comparison(report *r, const msgpack_object *rec, char *err, size_t errcap)
{
    report_cmp c = {0};
    static const char *const num[] = {"mean", "diff", "lo", "hi"};
    double *dst[] = {&c.mean, &c.diff, &c.lo, &c.hi};
    for (int k = 0; k < 4; k++)
        if (rec_get_f64(rec, num[k], dst[k]) != 1) {
            snprintf(err, errcap, "comparison record without the number '%s'", num[k]);
            return -1;
        }
    int64_t seeds = 0;
    if (rec_get_i64(rec, "seeds", &seeds) != 1) {
        snprintf(err, errcap, "comparison record without the integer 'seeds'");
        return -1;
    }
    c.arm = rec_dup_str(rec, "arm");
    c.baseline = rec_dup_str(rec, "baseline");
    if (!c.arm || !c.baseline) {
        free(c.arm), free(c.baseline);
        snprintf(err, errcap, "comparison record without 'arm' or 'baseline'");
        return -1;
    }
    c.verdict = rec_dup_str(rec, "verdict");
    c.seeds = seeds;
    if (rec_get_f64(rec, "sd", &c.sd) != 1)
        c.sd = NAN;
    c.mean *= 100, c.diff *= 100, c.lo *= 100, c.hi *= 100, c.sd *= 100;
    r->cmp = xrealloc(r->cmp, (r->ncmp + 1) * sizeof *r->cmp);
    r->cmp[r->ncmp++] = c;
    return 2;
}

void report_compare_free(report *r)
{
    for (size_t i = 0; i < r->ncmp; i++)
        free(r->cmp[i].arm), free(r->cmp[i].baseline), free(r->cmp[i].verdict);
    free(r->cmp);
    r->cmp = NULL;
    r->ncmp = 0;
}

void report_compare_text(const report *r, obuf *o)
{
    int w = 3;
    for (size_t i = 0; i < r->ncmp; i++)
        if ((int)strlen(r->cmp[i].arm) > w)
            w = (int)strlen(r->cmp[i].arm) < 40 ? (int)strlen(r->cmp[i].arm) : 40;
    report_putf(o, "%-*s  %5s  %14s  %-26s %s\n", w, "arm", "seeds", "mean +- sd", "difference [95% interval]",
         "verdict");
    for (size_t i = 0; i < r->ncmp; i++) {
        const report_cmp *c = &r->cmp[i];
        char ms[32], ds[48];
        if (isnan(c->sd))
            snprintf(ms, sizeof ms, "%.1f", c->mean);
        else
            snprintf(ms, sizeof ms, "%.1f +- %.1f", c->mean, c->sd);
        snprintf(ds, sizeof ds, "%+.1f [%.1f, %.1f]", c->diff, c->lo, c->hi);
        report_putf(o, "%-*.*s  %5lld  %14s  %-26s %s\n", w, w, c->arm, c->seeds, ms, ds, c->verdict ? c->verdict : "-");
    }
    report_putf(o, "(scores x 100; differences to %s, paired over seeds and prompts)\n",
         r->ncmp ? r->cmp[0].baseline : "-");
}

void *report_compare_json(const report *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->ncmp; i++) {
        const report_cmp *c = &r->cmp[i];
        json_t *o = json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:f}", "arm", c->arm, "baseline", c->baseline,
                              "seeds", (json_int_t)c->seeds, "mean", c->mean, "diff", c->diff, "lo", c->lo, "hi",
                              c->hi);
        json_object_set_new(o, "sd", isnan(c->sd) ? json_null() : json_real(c->sd));
        if (c->verdict)
            json_object_set_new(o, "verdict", json_string(c->verdict));
        json_array_append_new(a, o);
    }
    return a;
}

int report_plot_comparison(const report *r, const char *png, char *msg, size_t cap)
{
    gp_job j;
    int width = 300 + 90 * (int)r->ncmp;
    if (gp_begin(&j, png, width < 800 ? 800 : width > 2400 ? 2400 : width, 500, msg, cap) < 0)
        return -1;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < r->ncmp; i++) {
        const report_cmp *c = &r->cmp[i];
        fprintf(j.d, "%zu %.6g %.6g %.6g\n", i, c->diff, c->lo, c->hi);
        lo = c->lo < lo ? c->lo : lo;
        hi = c->hi > hi ? c->hi : hi;
    }
    double pad = (hi - lo) * 0.1 + 0.5;
    fprintf(j.s, "\nset ylabel \"difference to the baseline, points (x 100)\"\nset xrange [-0.5:%zu.5]\n"
                 "set yrange [%.6g:%.6g]\nset grid ytics\nset key top left\nset xtics rotate by -35 noenhanced\n"
                 "set arrow from graph 0, first 0 to graph 1, first 0 nohead dt 2\nset title ",
            r->ncmp - 1, lo - pad, hi + pad);
    size_t tl = strlen(r->cmp[0].baseline) + 128;
    char *title = xmalloc(tl);
    snprintf(title, tl, "each arm minus %s: mean over seeds, paired bootstrap 95%% interval over seeds x prompts",
             r->cmp[0].baseline);
    gp_quote(j.s, title);
    free(title);
    fputs(" noenhanced\nset xtics (", j.s);
    for (size_t i = 0; i < r->ncmp; i++) {
        fputs(i ? ", " : "", j.s);
        gp_quote(j.s, r->cmp[i].arm);
        fprintf(j.s, " %zu", i);
    }
    fprintf(j.s, ")\nplot \"%s\" using 1:2:3:4 with yerrorbars ls 1 pt 7 ps 1.5 lw 2 title "
                 "\"difference [95%% interval]\"\n",
            j.data);
    return gp_finish(&j, png, msg, cap);
}
