/*
 * pref-load — read a preference dataset in its published form and write
 * pair, rated or prompt records.  Option parsing only; the formats and
 * the cleaning rules live in lib/dataset*.c (see dataset.h, pref-load(1)).
 */
#include "base/cli.h"
#include "data/dataset.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: pref-load --format NAME [OPTIONS] [FILE...]\n"
    "\n"
    "Read a preference dataset (JSON lines, a JSON array, pretty-printed JSON\n"
    "objects, or CSV where the dataset ships CSV; gzip detected) and write\n"
    "prefpipe records: pair for pairwise sources, rated for pointwise-rated\n"
    "ones (ultrafeedback, helpsteer, nectar, stack-exchange), prompt for the\n"
    "prompt sources (wildchat, lmsys-chat-1m).  FILE defaults to stdin.\n"
    "\n"
    "  -f, --format NAME      the dataset format (--list-formats)\n"
    "  -o, --output OUT       output stream (default stdout)\n"
    "      --pairs            rated sources: apply the paper's conversion to pairs\n"
    "      --emit KIND        pair, rated or prompt (prompts only, for PPO)\n"
    "      --keep-ties        keep ties (arena, orca status=tie, equal ratings)\n"
    "      --keep-multiturn   arena: keep multi-turn votes (first exchange)\n"
    "      --keep-truthfulqa  ultrafeedback: keep TruthfulQA-sourced prompts\n"
    "      --chosen-ground-truth  prm800k: chosen = the human solution (default: a\n"
    "                         correct model generation, as the paper)\n"
    "      --strict           fail on the first malformed row (exit 65)\n"
    "      --map SPEC         generic: prompt=F,chosen=F,rejected=F[,id=F,margin=F,source=F]\n"
    "      --seed N           seed for random choices (default 0)\n"
    "      --source NAME      the source field of every record (default: per format)\n"
    "      --list-formats     list the formats and exit\n"
    "      --progress         rows/s on stderr (default: only on a terminal)\n"
    "  -h, --help             this help;  -V, --version  the version\n"
    "\n"
    "A summary goes to stderr: 'pref-load: FORMAT: N read, M written,\n"
    "K dropped (n: reason, ...)'.  Exit: 0 ok, 64 usage, 65 bad data\n"
    "(wrong format: missing fields, or 90% of the rows malformed; --strict;\n"
    "truncated gzip), 66 cannot open input.\n";

enum { O_PAIRS = 1000, O_EMIT, O_TIES, O_MULTI, O_TQA, O_STRICT, O_MAP, O_SEED, O_LIST, O_PROGRESS, O_SOURCE, O_GT };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"pairs", no_argument, 0, O_PAIRS},    {"emit", required_argument, 0, O_EMIT},
        {"keep-ties", no_argument, 0, O_TIES}, {"keep-multiturn", no_argument, 0, O_MULTI},
        {"keep-truthfulqa", no_argument, 0, O_TQA}, {"strict", no_argument, 0, O_STRICT},
        {"map", required_argument, 0, O_MAP},  {"seed", required_argument, 0, O_SEED},
        {"list-formats", no_argument, 0, O_LIST}, {"progress", no_argument, 0, O_PROGRESS},
        {"source", required_argument, 0, O_SOURCE}, {"chosen-ground-truth", no_argument, 0, O_GT},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},      {0, 0, 0, 0}};
    ds_opts o = {0};
    const char *fmt = NULL, *out = "-";
    int c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "f:o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'o': out = optarg; break;
        case O_PAIRS: o.emit = EMIT_PAIR; break;
        case O_EMIT:
            if (strcmp(optarg, "pair") == 0) o.emit = EMIT_PAIR;
            else if (strcmp(optarg, "rated") == 0) o.emit = EMIT_RATED;
            else if (strcmp(optarg, "prompt") == 0) o.emit = EMIT_PROMPT;
            else cli_usage_error("--emit: '%s' is not pair, rated or prompt", optarg);
            break;
        case O_TIES: o.keep_ties = 1; break;
        case O_MULTI: o.keep_multiturn = 1; break;
        case O_TQA: o.keep_truthfulqa = 1; break;
        case O_STRICT: o.strict = 1; break;
        case O_GT: o.chosen_ground_truth = 1; break;
        case O_MAP: o.map = optarg; break;
        case O_SEED: o.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case O_LIST: ds_list(stdout); return 0;
        case O_PROGRESS: o.progress = 1; break;
        case O_SOURCE:
            if (!*optarg)
                cli_usage_error("--source needs a name");
            o.source = optarg;
            break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (!fmt)
        cli_usage_error("--format NAME is required (pref-load --list-formats)");
    const ds_format *f = ds_find(fmt);
    if (!f)
        cli_usage_error("unknown format '%s' (pref-load --list-formats)", fmt);
    if (o.map && strcmp(fmt, "generic") != 0)
        cli_usage_error("--map only applies to --format generic");
    rstream *os = rs_open_write(out);
    if (optind == argc)
        ds_run(f, "-", &o, os);
    for (int i = optind; i < argc; i++)
        ds_run(f, argv[i], &o, os);
    rs_close(os);
    return 0;
}
