/*
 * eval-report — summary records (eval-score, rm-eval) -> the paper's
 * tables as aligned text, JSON, and a PNG plot over training steps (or a
 * bar chart of one evaluation); eval-compare's comparison records -> a
 * table of the arms and a plot of their paired differences
 * (man 1 eval-report).  Logic in lib/eval/report.c.
 */
#include "base/cli.h"
#include "eval/report.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: eval-report [OPTIONS] [INPUT...]\n"
    "\n"
    "Combine summary records (kind \"summary\") into a table: one row per\n"
    "model/step, one column per benchmark, category averages and the\n"
    "average over categories (scores x 100).  Comparison records (kind\n"
    "\"comparison\", from eval-compare) give a table of the arms (mean, sd,\n"
    "difference to the baseline with its 95% interval, verdict) and, with\n"
    "--plot, a PNG of the differences with their intervals.  Other records\n"
    "are ignored.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    the text table (default stdout)\n"
    "      --layout L       benchmarks, categories or both (default both)\n"
    "      --json FILE      also write the table as JSON ('-' for stdout\n"
    "                       instead of the text table)\n"
    "      --plot FILE.png  plot scores over training steps with gnuplot, or\n"
    "                       a bar chart when no summary has a step, or the\n"
    "                       comparison when the input has one (skipped\n"
    "                       with a message when gnuplot is absent)\n"
    "      --metric B=KEY   use the summary field KEY for benchmark B\n"
    "                       (default: score; repeatable)\n"
    "  -h, --help / -V, --version\n";

enum { O_LAYOUT = 1000, O_JSON, O_PLOT, O_METRIC };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'}, {"layout", required_argument, 0, O_LAYOUT},
        {"json", required_argument, 0, O_JSON}, {"plot", required_argument, 0, O_PLOT},
        {"metric", required_argument, 0, O_METRIC}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    const char *out_uri = "-", *json_uri = NULL, *plot = NULL;
    int layout = 3, c, nm = 0;
    char **metrics = xcalloc((size_t)argc + 1, sizeof *metrics);
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out_uri = optarg; break;
        case O_LAYOUT:
            if (strcmp(optarg, "benchmarks") == 0) layout = 1;
            else if (strcmp(optarg, "categories") == 0) layout = 2;
            else if (strcmp(optarg, "both") == 0) layout = 3;
            else cli_usage_error("--layout is benchmarks, categories or both");
            break;
        case O_JSON: json_uri = optarg; break;
        case O_PLOT: plot = optarg; break;
        case O_METRIC:
            if (!strchr(optarg, '=') || optarg[0] == '=')
                cli_usage_error("--metric takes BENCHMARK=KEY");
            metrics[nm++] = optarg;
            break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (rs_is_zmq_uri(out_uri) || (json_uri && rs_is_zmq_uri(json_uri)))
        cli_usage_error("the report is text; it cannot go to a ZeroMQ endpoint");
    report r;
    report_init(&r, metrics);
    uint64_t nsum = 0, ncmp = 0, other = 0;
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        char err[256];
        int k = report_add(&r, &in.rec, err, sizeof err);
        if (k < 0)
            die(EX_DATAERR, "%s: %s", inputs_where(&in), err);
        k == 2 ? ncmp++ : k ? nsum++ : other++;
    }
    inputs_close(&in);
    if (!nsum && !ncmp)
        die(EX_DATAERR, "no summary or comparison records in the input (eval-score, rm-eval and eval-compare "
                        "write them)");
    if (other)
        fprintf(stderr, "%s: %llu summaries, %llu comparisons, %llu other records ignored\n", progname,
                (unsigned long long)nsum, (unsigned long long)ncmp, (unsigned long long)other);
    report_sort(&r);
    int json_to_stdout = json_uri && strcmp(json_uri, "-") == 0;
    obuf o = {0};
    if (!json_to_stdout || strcmp(out_uri, "-") != 0) {
        rstream *t = rs_open_text_out(out_uri);
        report_text(&r, layout, &o);
        rs_write_bytes(t, o.p, o.n);
        rs_close(t);
    }
    if (json_uri) {
        o.n = 0;
        report_json(&r, &o);
        rstream *j = rs_open_text_out(json_uri);
        rs_write_bytes(j, o.p, o.n);
        rs_close(j);
    }
    obuf_free(&o);
    int rc = 0;
    if (plot) {
        char msg[512];
        int k = report_plot(&r, plot, msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", progname, msg);
        if (k < 0)
            rc = EX_IOERR;
    }
    report_free(&r);
    free(metrics);
    return rc;
}
