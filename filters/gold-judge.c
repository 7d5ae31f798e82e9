/*
 * gold-judge — score responses to prompts of the synthetic world with its
 * gold judge (synth.h): per aspect, in total, and per category with
 * bootstrap 95% intervals over prompts.
 *
 * Reads any records with `gold` (from pref-synth prompts) and a response:
 * `response` (rollout, sft), or with --pairs the `chosen` and `rejected`
 * of a pair (then it reports how often the gold judge agrees with the
 * pair's preference).  Records stream through with `gold_scores` added;
 * the summary (kind "summary") is computed from per-record totals kept in
 * memory (a double and a category per record).
 */
#include "base/cli.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "data/synth.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: gold-judge [OPTIONS] [INPUT...]\n"
    "\n"
    "Score responses to pref-synth prompts with the world's gold judge.\n"
    "Each record needs 'gold' (or meta.gold) and 'response' (rollouts, sft\n"
    "records); with --pairs, 'chosen' and 'rejected' of pair records.  Adds\n"
    "'gold_scores'\n"
    "{helpfulness, instruction_following, honesty, harmlessness, total,\n"
    "refused} (pairs: gold_chosen and gold_rejected) and ends with a summary\n"
    "record: the mean total per category with a bootstrap 95%% interval over\n"
    "prompts, and the average over categories (the paper's Table 2 rule).\n"
    "\n"
    "  -o, --output URI       output (default stdout)\n"
    "      --summary-only     write only the summary\n"
    "      --no-summary       write only the scored records\n"
    "      --pairs            judge pair records (chosen vs rejected)\n"
    "      --model NAME       label the summary\n"
    "      --step N           label the summary with a training step\n"
    "      --bootstrap B      resamples for the intervals (default 1000)\n"
    "      --seed S           bootstrap seed (default 0)\n"
    "      --skip-invalid     skip (and count) records without usable gold\n"
    "  -h, --help / -V, --version\n";

typedef struct {
    double *total;
    int *cat;
    size_t n, cap;
    double aspect_sum[SYNTH_NASPECT];
    long agree, pairs, ties;
} tally;

static void tally_add(tally *t, int cat, const synth_score *s)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->total = xrealloc(t->total, t->cap * sizeof *t->total);
        t->cat = xrealloc(t->cat, t->cap * sizeof *t->cat);
    }
    t->total[t->n] = s->total;
    t->cat[t->n++] = cat;
    for (int a = 0; a < SYNTH_NASPECT; a++)
        t->aspect_sum[a] += s->aspect[a];
}

/* per-category means of a sample given as indices; returns the average
 * over categories that have records */
static double category_means(const tally *t, const size_t *idx, size_t n, double *mean, long *count)
{
    double sum[SYNTH_NCAT] = {0};
    for (int c = 0; c < SYNTH_NCAT; c++)
        count[c] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = idx ? idx[i] : i;
        sum[t->cat[k]] += t->total[k];
        count[t->cat[k]]++;
    }
    double avg = 0;
    int ncat = 0;
    for (int c = 0; c < SYNTH_NCAT; c++) {
        mean[c] = count[c] ? sum[c] / (double)count[c] : NAN;
        if (count[c]) {
            avg += mean[c];
            ncat++;
        }
    }
    return ncat ? avg / ncat : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void pack_interval(msgpack_packer *pk, double mean, long n, double *boot, int B)
{
    int m = 0;
    for (int i = 0; i < B; i++)
        if (!isnan(boot[i]))
            boot[m++] = boot[i];
    qsort(boot, (size_t)m, sizeof *boot, cmp_double);
    msgpack_pack_map(pk, 4);
    pack_str(pk, "score");
    msgpack_pack_double(pk, mean);
    pack_str(pk, "lo");
    msgpack_pack_double(pk, m ? boot[(int)floor(0.025 * (m - 1))] : mean);
    pack_str(pk, "hi");
    msgpack_pack_double(pk, m ? boot[(int)ceil(0.975 * (m - 1))] : mean);
    pack_str(pk, "n");
    msgpack_pack_int64(pk, n);
}

static void write_summary(rstream *out, const tally *t, long skipped, const char *model, long step, int B,
                          uint64_t seed, int pairs)
{
    double mean[SYNTH_NCAT];
    long count[SYNTH_NCAT];
    double avg = category_means(t, NULL, t->n, mean, count);
    double *boot = xcalloc((size_t)B * (SYNTH_NCAT + 1), sizeof *boot);
    size_t *idx = xmalloc((t->n ? t->n : 1) * sizeof *idx);
    rng_t r;
    rng_seed(&r, seed);
    for (int b = 0; b < B && t->n; b++) {
        for (size_t i = 0; i < t->n; i++)
            idx[i] = (size_t)rng_below(&r, t->n);
        double m[SYNTH_NCAT];
        long cnt[SYNTH_NCAT];
        boot[(size_t)b * (SYNTH_NCAT + 1) + SYNTH_NCAT] = category_means(t, idx, t->n, m, cnt);
        for (int c = 0; c < SYNTH_NCAT; c++)
            boot[(size_t)b * (SYNTH_NCAT + 1) + c] = m[c];
    }
    /* transpose per column for the percentile pick */
    double *col = xmalloc((size_t)(B ? B : 1) * sizeof *col);
    recb rb;
    recb_init(&rb);
    char id[160];
    snprintf(id, sizeof id, "summary:gold-judge%s%s", model ? ":" : "", model ? model : "");
    if (step >= 0)
        snprintf(id + strlen(id), sizeof id - strlen(id), "@%ld", step);
    recb_put_str(&rb, "kind", "summary");
    recb_put_str(&rb, "id", id);
    recb_put_str(&rb, "task", "gold-judge");
    recb_put_str(&rb, "benchmark", "synthetic world");
    if (model)
        recb_put_str(&rb, "model", model);
    if (step >= 0)
        recb_put_i64(&rb, "step", step);
    recb_put_i64(&rb, "n", (int64_t)t->n);
    recb_put_i64(&rb, "skipped", skipped);
    recb_put_f64(&rb, "score", t->n ? avg : 0);
    for (int b = 0; b < B; b++)
        col[b] = boot[(size_t)b * (SYNTH_NCAT + 1) + SYNTH_NCAT];
    pack_interval(recb_begin(&rb, "average"), avg, (long)t->n, col, t->n ? B : 0);
    recb_end(&rb);
    msgpack_packer *pk = recb_begin(&rb, "categories");
    int present = 0;
    for (int c = 0; c < SYNTH_NCAT; c++)
        present += count[c] > 0;
    msgpack_pack_map(pk, (size_t)present);
    for (int c = 0; c < SYNTH_NCAT; c++) {
        if (!count[c])
            continue;
        for (int b = 0; b < B; b++)
            col[b] = boot[(size_t)b * (SYNTH_NCAT + 1) + c];
        pack_str(pk, synth_cat_name((synth_cat)c));
        pack_interval(pk, mean[c], count[c], col, B);
    }
    recb_end(&rb);
    pk = recb_begin(&rb, "aspects");
    msgpack_pack_map(pk, SYNTH_NASPECT);
    for (int a = 0; a < SYNTH_NASPECT; a++) {
        pack_str(pk, synth_aspect_names[a]);
        msgpack_pack_double(pk, t->n ? t->aspect_sum[a] / (double)t->n : 0);
    }
    recb_end(&rb);
    if (pairs) {
        recb_put_i64(&rb, "pairs", t->pairs);
        recb_put_f64(&rb, "gold_agreement", t->pairs ? (double)t->agree / (double)t->pairs : 0);
        recb_put_i64(&rb, "gold_ties", t->ties);
    }
    const char *buf;
    size_t len;
    recb_finish(&rb, &buf, &len);
    rs_write(out, buf, len);
    recb_free(&rb);
    free(col);
    free(idx);
    free(boot);
}

static void put_scores(recb *b, const char *key, const synth_score *s)
{
    msgpack_packer *pk = recb_begin(b, key);
    msgpack_pack_map(pk, SYNTH_NASPECT + 2);
    for (int a = 0; a < SYNTH_NASPECT; a++) {
        pack_str(pk, synth_aspect_names[a]);
        msgpack_pack_double(pk, s->aspect[a]);
    }
    pack_str(pk, "total");
    msgpack_pack_double(pk, s->total);
    pack_str(pk, "refused");
    if (s->refused)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    recb_end(b);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    const char *out_uri = "-", *model = NULL;
    int summary_only = 0, no_summary = 0, pairs = 0, skip_invalid = 0, B = 1000;
    long step = -1;
    uint64_t seed = 0;
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'}, {"summary-only", no_argument, 0, 1},
        {"no-summary", no_argument, 0, 2}, {"pairs", no_argument, 0, 3}, {"model", required_argument, 0, 4},
        {"step", required_argument, 0, 5}, {"bootstrap", required_argument, 0, 6},
        {"seed", required_argument, 0, 7}, {"skip-invalid", no_argument, 0, 8},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out_uri = optarg; break;
        case 1: summary_only = 1; break;
        case 2: no_summary = 1; break;
        case 3: pairs = 1; break;
        case 4: model = optarg; break;
        case 5: step = (long)parse_ll("--step", optarg, 0, INT64_MAX); break;
        case 6: B = (int)parse_ll("--bootstrap", optarg, 0, 1000000); break;
        case 7: seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 8: skip_invalid = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_usage_error("invalid option");
        }
    }
    if (summary_only && no_summary)
        cli_usage_error("--summary-only and --no-summary exclude each other");
    rstream *out = rs_open_write(out_uri);
    tally t = {0};
    long skipped = 0;
    recb b;
    recb_init(&b);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        const char *kind;
        size_t kl;
        if (rec_get_str(&in.rec, "kind", &kind, &kl) == 1 && kl == 7 && !memcmp(kind, "summary", 7)) {
            if (!summary_only) { /* earlier summaries pass through */
                rs_write(out, in.raw, in.len);
            }
            continue;
        }
        synth_prompt p;
        const msgpack_object *gold = rec_get(&in.rec, "gold");
        if (!gold)
            gold = rec_get(rec_get(&in.rec, "meta"), "gold");
        const char *why = synth_gold_from_msgpack(gold, &p);
        const char *r1 = NULL, *r2 = NULL;
        size_t n1 = 0, n2 = 0;
        if (!why && pairs && (rec_get_str(&in.rec, "chosen", &r1, &n1) != 1 || rec_get_str(&in.rec, "rejected", &r2, &n2) != 1))
            why = "a pair needs string 'chosen' and 'rejected'";
        if (!why && !pairs && rec_get_str(&in.rec, "response", &r1, &n1) != 1)
            why = "no string 'response' (use --pairs for pair records)";
        if (why) {
            if (!skip_invalid)
                die(EX_DATAERR, "%s: %s", inputs_where(&in), why);
            skipped++;
            continue;
        }
        synth_score s1, s2;
        synth_judge(&p, r1, n1, &s1);
        recb_reset(&b);
        recb_copy_fields(&b, &in.rec);
        if (pairs) {
            synth_judge(&p, r2, n2, &s2);
            put_scores(&b, "gold_chosen", &s1);
            put_scores(&b, "gold_rejected", &s2);
            t.pairs++;
            t.agree += s1.total > s2.total;
            t.ties += s1.total == s2.total;
        } else {
            put_scores(&b, "gold_scores", &s1);
        }
        tally_add(&t, p.cat, &s1);
        if (!summary_only) {
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(out, buf, len);
        }
    }
    inputs_close(&in);
    if (!no_summary)
        write_summary(out, &t, skipped, model, step, B, seed, pairs);
    rs_close(out);
    double mean[SYNTH_NCAT];
    long count[SYNTH_NCAT];
    double avg = category_means(&t, NULL, t.n, mean, count);
    fprintf(stderr, "%s: %zu judged, %ld skipped, average over categories %.3f\n", progname, t.n, skipped,
            t.n ? avg : 0.0);
    recb_free(&b);
    free(t.total);
    free(t.cat);
    return 0;
}
