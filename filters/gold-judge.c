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
 * memory (a double and a category per record; data/synth_tally.h).
 */
#include "base/cli.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "data/synth.h"
#include "data/synth_tally.h"
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
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
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
        default: cli_bad_option(argv, lo);
        }
    }
    if (summary_only && no_summary)
        cli_usage_error("--summary-only and --no-summary exclude each other");
    rstream *out = rs_open_write(out_uri);
    synth_tally t = {0};
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
            synth_put_scores(&b, "gold_chosen", &s1);
            synth_put_scores(&b, "gold_rejected", &s2);
            t.pairs++;
            t.agree += s1.total > s2.total;
            t.ties += s1.total == s2.total;
        } else {
            synth_put_scores(&b, "gold_scores", &s1);
        }
        synth_tally_add(&t, p.cat, &s1);
        if (!summary_only) {
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(out, buf, len);
        }
    }
    inputs_close(&in);
    if (!no_summary)
        synth_tally_summary(out, &t, skipped, model, step, B, seed, pairs);
    rs_close(out);
    double mean[SYNTH_NCAT];
    long count[SYNTH_NCAT];
    double avg = synth_tally_means(&t, NULL, t.n, mean, count);
    fprintf(stderr, "%s: %zu judged, %ld skipped, average over categories %.3f\n", progname, t.n, skipped,
            t.n ? avg : 0.0);
    recb_free(&b);
    synth_tally_free(&t);
    return 0;
}
