/*
 * rm-eval — reward-model accuracy on scored `pair` records (man 1
 * rm-eval): per subset and RewardBench's weighted score.  Reads pairs with
 * reward_chosen / reward_rejected (rm-score writes them), writes one
 * summary record, and prints a table on stderr.
 */
#include "base/cli.h"
#include "eval/common.h"
#include "eval/rm.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: rm-eval [OPTIONS] [INPUT...]\n"
    "\n"
    "Pairwise accuracy of a reward model: a pair is correct when\n"
    "reward_chosen > reward_rejected (ties are wrong).  Writes a summary\n"
    "record (accuracy per subset, micro accuracy, weighted score) and a\n"
    "table on stderr.\n"
    "\n"
    "options:\n"
    "  -o, --output URI        the summary record (default stdout)\n"
    "      --subset-key FIELD  the subset of a pair: FIELD or FIELD.SUB (default source;\n"
    "                          pairs without it count under \"all\")\n"
    "      --prior LIST        comma-separated prior subsets, 0.5 together (default:\n"
    "                          anthropic_helpful,anthropic_hhh,shp,summarize)\n"
    "      --chosen-key K      default reward_chosen\n"
    "      --rejected-key K    default reward_rejected\n"
    "      --skip-invalid      skip (and count) pairs without both scores\n"
    "      --model NAME / --step N   label the summary\n"
    "      --benchmark NAME    the summary's benchmark label (default RewardBench;\n"
    "                          give another for pairs that are not RewardBench's)\n"
    "  -h, --help / -V, --version\n";

enum { O_SUBSET = 1000, O_PRIOR, O_CK, O_RK, O_SKIP, O_MODEL, O_STEP, O_BENCH };

static int get_path_str(const msgpack_object *rec, const char *path, const char **s, size_t *n)
{
    const char *dot = strchr(path, '.');
    if (!dot)
        return rec_get_str(rec, path, s, n) == 1;
    char head[128];
    snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
    const msgpack_object *m = rec_get(rec, head);
    return m && rec_get_str(m, dot + 1, s, n) == 1;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},     {"subset-key", required_argument, 0, O_SUBSET},
        {"prior", required_argument, 0, O_PRIOR},  {"chosen-key", required_argument, 0, O_CK},
        {"rejected-key", required_argument, 0, O_RK}, {"skip-invalid", no_argument, 0, O_SKIP},
        {"model", required_argument, 0, O_MODEL},  {"step", required_argument, 0, O_STEP},
        {"benchmark", required_argument, 0, O_BENCH},
        {"help", no_argument, 0, 'h'},             {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    const char *out_uri = "-", *subset_key = "source", *prior = "anthropic_helpful,anthropic_hhh,shp,summarize";
    const char *ck = "reward_chosen", *rk = "reward_rejected";
    int skip = 0, c;
    summary_meta meta = {.task = "rm-eval", .benchmark = "RewardBench", .step = -1};
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out_uri = optarg; break;
        case O_SUBSET: subset_key = optarg; break;
        case O_PRIOR: prior = optarg; break;
        case O_CK: ck = optarg; break;
        case O_RK: rk = optarg; break;
        case O_SKIP: skip = 1; break;
        case O_MODEL: meta.model = optarg; break;
        case O_BENCH:
            if (!*optarg) cli_usage_error("--benchmark must not be empty");
            meta.benchmark = optarg;
            break;
        case O_STEP: meta.step = parse_ll("--step", optarg, 0, INT64_MAX); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    rstream *out = rs_open_write(out_uri);
    rm_acc acc;
    rm_acc_init(&acc, prior);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        double ch, rj;
        if (rec_get_f64(&in.rec, ck, &ch) != 1 || rec_get_f64(&in.rec, rk, &rj) != 1 || isnan(ch) || isnan(rj)) {
            const char *id = "?";
            size_t idn = 1;
            rec_get_str(&in.rec, "id", &id, &idn);
                    if (!skip)
                die(EX_DATAERR, "%s (id %.*s): needs numbers %s and %s (run rm-score first)", inputs_where(&in),
                    (int)idn, id, ck, rk);
            warnx_("%s (id %.*s): skipped: no numbers %s and %s", inputs_where(&in), (int)idn, id, ck, rk);
            meta.skipped++;
            continue;
        }
        const char *sub = "all";
        size_t sn = 3;
        get_path_str(&in.rec, subset_key, &sub, &sn);
        rm_acc_add(&acc, sub, sn, ch, rj);
        meta.n++;
    }
    inputs_close(&in);
    kvbuf k;
    kv_init(&k);
    rm_acc_metrics(&acc, &k);
    summary_write(out, &meta, &k);
    rs_close(out);
    fprintf(stderr, "%-40s %8s %9s %7s\n", "subset", "pairs", "accuracy", "weight");
    for (size_t i = 0; i < acc.ns; i++)
        fprintf(stderr, "%-40s %8llu %8.2f%% %7.2f\n", acc.names[i], (unsigned long long)acc.n[i],
                100.0 * (double)acc.correct[i] / (double)acc.n[i], rm_acc_weight(&acc, i));
    fprintf(stderr, "%-40s %8llu %8.2f%%\n%-40s %8s %8.2f%%\n", "all (micro)", (unsigned long long)meta.n,
            100.0 * rm_acc_micro(&acc), "weighted score", "", 100.0 * rm_acc_weighted(&acc));
    if (meta.skipped)
        fprintf(stderr, "%s: %llu pairs skipped\n", progname, (unsigned long long)meta.skipped);
    kv_free(&k);
    rm_acc_free(&acc);
    return 0;
}
