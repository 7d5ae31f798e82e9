/*
 * eval-compare — paired comparison of experiment arms over seeds and
 * prompts, with bootstrap intervals and a power analysis (man 1
 * eval-compare).  The statistics live in lib/eval/compare.c; this file
 * reads the scored records of each ARM:SEED=FILE operand and writes one
 * record per arm, or a table.
 */
#include "base/cli.h"
#include "eval/compare.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: eval-compare [OPTIONS] ARM:SEED=FILE...\n"
    "\n"
    "Compare experiment arms, paired by seed and prompt: each operand is\n"
    "one arm's scored records for one seed (e.g. gold-judge --no-summary\n"
    "output).  Writes, per arm, the mean and sd over seeds of the\n"
    "category-averaged score, the paired difference to the baseline arm\n"
    "with a bootstrap 95%% interval over seeds x prompts, and the seeds and\n"
    "prompts needed to detect a difference of --delta.\n"
    "\n"
    "  -b, --baseline ARM     the arm others are compared with (default: the first)\n"
    "      --score FIELD      per-record score, a dotted path (default gold_scores.total)\n"
    "      --category FIELD   per-record category (default gold.category; absent: one\n"
    "                         category for all)\n"
    "      --id FIELD         prompt id that pairs arms within a seed (default id)\n"
    "      --bootstrap B      resamples (default 2000)\n"
    "  -s, --seed N           resampling seed (default 0)\n"
    "      --delta D          difference to detect, in score units (default 0.02)\n"
    "      --power P          probability of detecting it (default 0.8)\n"
    "      --text             an aligned table (scores x 100) instead of records\n"
    "  -o, --output URI       output (default stdout)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad record or unpaired data, 66 cannot\n"
    "open, 74 I/O error.\n";

enum { O_SCORE = 1000, O_CAT, O_ID, O_BOOT, O_DELTA, O_POWER, O_TEXT };

static const char *verdict(const cmp_result *r, int is_base)
{
    if (is_base) return "baseline";
    if (r->lo > 0) return "higher";
    if (r->hi < 0) return "lower";
    return "not distinguishable";
}

static void read_operand(cmp_set *s, const char *op, const char *fscore, const char *fcat, const char *fid)
{
    const char *eq = strchr(op, '=');
    const char *colon = eq ? memchr(op, ':', (size_t)(eq - op)) : NULL;
    if (!eq || !colon || colon == op || colon + 1 == eq || !eq[1])
        cli_usage_error("operand '%s': expected ARM:SEED=FILE", op);
    char *arm = xstrndup(op, (size_t)(colon - op)), *seed = xstrndup(colon + 1, (size_t)(eq - colon - 1));
    const char *path = eq + 1;
    rstream *in = rs_open_read(path);
    msgpack_object rec;
    while (rs_next(in, &rec) == RS_OK) {
        const msgpack_object *kind = rec_get(&rec, "kind");
        if (kind && obj_str_eq(kind, "summary")) continue;   /* a scorer's summary, not a prompt */
        unsigned long long n = (unsigned long long)rs_count(in);
        const msgpack_object *id = rec_get_path(&rec, fid), *cat = rec_get_path(&rec, fcat),
                             *sc = rec_get_path(&rec, fscore);
        double x;
        if (!id || id->type != MSGPACK_OBJECT_STR)
            die(EX_DATAERR, "%s: record %llu: no string %s", path, n, fid);
        if (!sc || !obj_to_f64(sc, &x) || !isfinite(x))
            die(EX_DATAERR, "%s: record %llu: %s is not a finite number", path, n, fscore);
        if (cat && cat->type != MSGPACK_OBJECT_STR)
            die(EX_DATAERR, "%s: record %llu: %s is not a string", path, n, fcat);
        cmp_add(s, arm, seed, id->via.str.ptr, id->via.str.size, cat ? cat->via.str.ptr : "all",
                cat ? cat->via.str.size : 3, x);
    }
    rs_close(in);
    free(arm), free(seed);
}

static void write_text(rstream *out, const cmp_result *r, int n, int base, double delta, double power)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%-20s %5s %16s   %-30s %-19s %s\n", "arm", "seeds", "mean (sd)",
                       "difference [95% CI]", "verdict", "seeds / prompts needed");
    rs_write(out, line, (size_t)len);
    for (int a = 0; a < n; a++) {
        char ms[64], ds[64], need[64];
        snprintf(ms, sizeof ms, "%.1f (%.1f)", 100 * r[a].mean, 100 * r[a].sd);
        if (a == base) {
            snprintf(ds, sizeof ds, "-");
            snprintf(need, sizeof need, "-");
        } else {
            snprintf(ds, sizeof ds, "%+.1f [%+.1f, %+.1f]", 100 * r[a].diff, 100 * r[a].lo, 100 * r[a].hi);
            if (!r[a].seeds_needed) snprintf(need, sizeof need, "unknown (one seed)");
            else if (r[a].items_needed < 0) snprintf(need, sizeof need, "%ld / never at %d seeds", r[a].seeds_needed, r[a].seeds);
            else snprintf(need, sizeof need, "%ld / %ld", r[a].seeds_needed, r[a].items_needed);
        }
        len = snprintf(line, sizeof line, "%-20.20s %5d %16s   %-30s %-19s %s\n", r[a].arm, r[a].seeds, ms, ds,
                       verdict(&r[a], a == base), need);
        rs_write(out, line, (size_t)len);
    }
    len = snprintf(line, sizeof line,
                   "(scores x 100; paired bootstrap over seeds x prompts; \"needed\": seeds at the data's prompts, "
                   "prompts per seed at its seeds, to detect %.1f points with power %.2f at 95%%)\n",
                   100 * delta, power);
    rs_write(out, line, (size_t)len);
}

static void write_records(rstream *out, const cmp_result *r, int n, int base, double delta, double power)
{
    recb b;
    recb_init(&b);
    for (int a = 0; a < n; a++) {
        recb_reset(&b);
        recb_put_str(&b, "kind", "comparison");
        recb_put_str(&b, "arm", r[a].arm);
        recb_put_str(&b, "baseline", r[base].arm);
        recb_put_i64(&b, "seeds", r[a].seeds);
        recb_put_f64(&b, "mean", r[a].mean);
        if (!isnan(r[a].sd)) recb_put_f64(&b, "sd", r[a].sd);
        recb_put_f64(&b, "diff", r[a].diff);
        recb_put_f64(&b, "lo", r[a].lo);
        recb_put_f64(&b, "hi", r[a].hi);
        recb_put_str(&b, "verdict", verdict(&r[a], a == base));
        if (a != base) {
            msgpack_packer *pk = recb_begin(&b, "power");
            msgpack_pack_map(pk, 7);
            pack_str(pk, "delta"), msgpack_pack_double(pk, delta);
            pack_str(pk, "power"), msgpack_pack_double(pk, power);
            pack_str(pk, "sigma_seed"), isnan(r[a].sigma_seed) ? msgpack_pack_nil(pk) : msgpack_pack_double(pk, r[a].sigma_seed);
            pack_str(pk, "sigma_item"), msgpack_pack_double(pk, r[a].sigma_item);
            pack_str(pk, "se"), isnan(r[a].se) ? msgpack_pack_nil(pk) : msgpack_pack_double(pk, r[a].se);
            pack_str(pk, "seeds_needed"), r[a].seeds_needed ? msgpack_pack_int64(pk, r[a].seeds_needed) : msgpack_pack_nil(pk);
            pack_str(pk, "items_needed"), r[a].items_needed ? msgpack_pack_int64(pk, r[a].items_needed) : msgpack_pack_nil(pk);
            recb_end(&b);
        }
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(out, buf, len);
    }
    recb_free(&b);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"baseline", required_argument, 0, 'b'}, {"score", required_argument, 0, O_SCORE},
        {"category", required_argument, 0, O_CAT}, {"id", required_argument, 0, O_ID},
        {"bootstrap", required_argument, 0, O_BOOT}, {"seed", required_argument, 0, 's'},
        {"delta", required_argument, 0, O_DELTA}, {"power", required_argument, 0, O_POWER},
        {"text", no_argument, 0, O_TEXT}, {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    const char *baseline = NULL, *fscore = "gold_scores.total", *fcat = "gold.category", *fid = "id", *out_uri = "-";
    int B = 2000, text = 0, c;
    uint64_t seed = 0;
    double delta = 0.02, power = 0.8;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "b:s:o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'b': baseline = optarg; break;
        case O_SCORE: fscore = optarg; break;
        case O_CAT: fcat = optarg; break;
        case O_ID: fid = optarg; break;
        case O_BOOT: B = (int)parse_ll("--bootstrap", optarg, 1, 1000000); break;
        case 's': seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case O_DELTA: delta = parse_double("--delta", optarg); break;
        case O_POWER: power = parse_double("--power", optarg); break;
        case O_TEXT: text = 1; break;
        case 'o': out_uri = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (!(delta > 0)) cli_usage_error("--delta must be positive");
    if (!(power > 0 && power < 1)) cli_usage_error("--power must be in (0, 1)");
    if (optind == argc) cli_usage_error("give at least one ARM:SEED=FILE operand");
    cmp_set *s = cmp_new();
    for (int i = optind; i < argc; i++) read_operand(s, argv[i], fscore, fcat, fid);
    const char **arms;
    int n = cmp_arms(s, &arms), base = 0;
    cmp_result *r = xcalloc((size_t)n, sizeof *r);
    char err[512];
    if (cmp_run(s, baseline, B, seed, delta, power, r, err, sizeof err) < 0) die(EX_DATAERR, "%s", err);
    if (baseline)
        for (base = 0; base < n && strcmp(arms[base], baseline); base++) {}
    rstream *out = rs_open_write(out_uri);
    if (text) write_text(out, r, n, base, delta, power);
    else write_records(out, r, n, base, delta, power);
    rs_close(out);
    free(r);
    cmp_free(s);
    return 0;
}
