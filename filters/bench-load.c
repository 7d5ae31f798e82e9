/*
 * bench-load — benchmark files -> `prompt` records with gold fields and
 * the paper's prompt formats (man 1 bench-load).  The loaders live in
 * lib/eval/load.c; this file parses options only.
 */
#include "base/cli.h"
#include "eval/load.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bench-load --format NAME [OPTIONS] PATH\n"
    "\n"
    "Turn a benchmark file into prompt records carrying their gold fields.\n"
    "  gsm8k        PATH = test.jsonl (8-shot chain-of-thought prompt)\n"
    "  bbh          PATH = the BBH root with bbh/ and cot-prompts/ (3-shot)\n"
    "  ifeval       PATH = input_data.jsonl (every instruction is checked)\n"
    "  xstest       PATH = xstest_v2_prompts.csv\n"
    "  alpaca-eval  PATH = a JSON array with instruction and output\n"
    "  humaneval-plus  PATH = HumanEvalPlus-v0.1.9.jsonl.gz (EvalPlus; run with code-exec)\n"
    "  mbpp-plus    PATH = MbppPlus-v0.1.0.jsonl.gz (EvalPlus; run with code-exec)\n"
    "  mmlu         PATH = the MMLU root with test/ and dev/ (4 records per\n"
    "               question, one per answer letter: score with lm-logprob)\n"
    "  truthfulqa   PATH = TruthfulQA.csv (generation; QA primer prompt)\n"
    "  truthfulqa-mc  PATH = mc_task.json (one record per mc2 answer: score\n"
    "               with lm-logprob, then eval-score --task truthfulqa-mc)\n"
    "  toxigen      PATH = the ToxiGen prompts/ directory (hateful prompts of\n"
    "               14 groups; --limit is per group, the paper's 500)\n"
    "\n"
    "options:\n"
    "  -f, --format NAME   one of the above (required)\n"
    "  -o, --output URI    output (default stdout)\n"
    "  -n, --limit N       keep N records (BBH: N per task), chosen by\n"
    "                      hash(seed, id), in file order\n"
    "      --seed S        the subsampling seed (default 42)\n"
    "      --python-sample draw --limit as Python's random.seed(S);\n"
    "                      random.sample(records, N) does, in its order: the\n"
    "                      paper's subsets (BBH: one generator, tasks by name;\n"
    "                      ToxiGen: random.shuffle per group, the first N)\n"
    "      --plain         one plain-text user message ending in \"Answer:\"/\"A:\"\n"
    "                      (default: chat, the prefix as an assistant turn)\n"
    "      --shots N       GSM8K: 0..8 exemplars (default 8); BBH: 0 or 3;\n"
    "                      MMLU: 0..5 (default 0)\n"
    "      --task NAME     BBH: only this task (repeatable)\n"
    "  -h, --help / -V, --version\n";

static void load_humaneval(const char *p, const bench_opts *o, rstream *out) { bench_load_code(p, 0, o, out); }
static void load_mbpp(const char *p, const bench_opts *o, rstream *out) { bench_load_code(p, 1, o, out); }

enum { O_SEED = 1000, O_PLAIN, O_SHOTS, O_TASK, O_PYSAMPLE };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"limit", required_argument, 0, 'n'},  {"seed", required_argument, 0, O_SEED},
        {"plain", no_argument, 0, O_PLAIN},    {"shots", required_argument, 0, O_SHOTS},
        {"task", required_argument, 0, O_TASK}, {"python-sample", no_argument, 0, O_PYSAMPLE},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},      {0, 0, 0, 0}};
    const char *format = NULL, *out_uri = "-";
    bench_opts o = {.shots = -1, .limit = -1, .seed = 42};
    const char **tasks = xcalloc((size_t)argc + 1, sizeof *tasks);
    int ntasks = 0, pysample = 0, c;
    pyrandom pyr;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "f:o:n:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'o': out_uri = optarg; break;
        case 'n': o.limit = parse_ll("--limit", optarg, 0, (long long)1 << 50); break;
        case O_SEED: o.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case O_PLAIN: o.plain = 1; break;
        case O_SHOTS: o.shots = (int)parse_ll("--shots", optarg, 0, 8); break;
        case O_TASK: tasks[ntasks++] = optarg; break;
        case O_PYSAMPLE: pysample = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (!format)
        cli_usage_error("--format is required (gsm8k, bbh, ifeval, xstest, alpaca-eval, humaneval-plus, mbpp-plus, mmlu, "
                        "truthfulqa, truthfulqa-mc, toxigen)");
    if (argc - optind != 1)
        cli_usage_error("give exactly one PATH (a benchmark file, or the BBH root directory)");
    const char *path = argv[optind];
    if (ntasks) {
        if (strcmp(format, "bbh") != 0)
            cli_usage_error("--task applies to --format bbh only");
        o.tasks = tasks;
    }
    void (*load)(const char *, const bench_opts *, rstream *) = NULL;
    if (strcmp(format, "gsm8k") == 0)
        load = bench_load_gsm8k;
    else if (strcmp(format, "bbh") == 0) {
        load = bench_load_bbh;
        if (o.shots > 0 && o.shots != 3)
            cli_usage_error("--shots for BBH is 0 or 3 (the cot-prompts files hold 3 examples)");
    } else if (strcmp(format, "ifeval") == 0)
        load = bench_load_ifeval;
    else if (strcmp(format, "xstest") == 0)
        load = bench_load_xstest;
    else if (strcmp(format, "alpaca-eval") == 0)
        load = bench_load_alpaca;
    else if (strcmp(format, "humaneval-plus") == 0)
        load = load_humaneval;
    else if (strcmp(format, "mbpp-plus") == 0)
        load = load_mbpp;
    else if (strcmp(format, "mmlu") == 0) {
        load = bench_load_mmlu;
        if (o.shots > 5)
            cli_usage_error("--shots for MMLU is 0..5 (the dev split holds 5 per subject)");
    } else if (strcmp(format, "truthfulqa") == 0)
        load = bench_load_truthfulqa;
    else if (strcmp(format, "truthfulqa-mc") == 0)
        load = bench_load_truthfulqa_mc;
    else if (strcmp(format, "toxigen") == 0)
        load = bench_load_toxigen;
    else
        cli_usage_error("unknown format '%s' (gsm8k, bbh, ifeval, xstest, alpaca-eval, humaneval-plus, mbpp-plus, mmlu, truthfulqa, truthfulqa-mc, toxigen)",
                        format);
    if (o.shots >= 0 && load != bench_load_gsm8k && load != bench_load_bbh && load != bench_load_mmlu)
        cli_usage_error("--shots applies to gsm8k, bbh and mmlu only");
    if (pysample) {
        if (o.limit < 0)
            cli_usage_error("--python-sample needs --limit N");
        pyrandom_seed(&pyr, o.seed);
        o.python = &pyr;
    }
    rstream *out = rs_open_write(out_uri);
    load(path, &o, out);
    rs_close(out);
    free(tasks);
    return 0;
}
