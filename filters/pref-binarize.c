/*
 * pref-binarize — rated records -> pair records.  Reads each rated record
 * into a rated_t that borrows the record's strings (rated_from_record),
 * lets lib/data/binarize.c choose the pairs, and writes each pair with the rated record's prompt,
 * source, tags and meta copied unchanged (pref-binarize(1)).
 */
#include "data/binarize.h"
#include "base/cli.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pref-binarize [OPTIONS] [INPUT...]\n"
    "\n"
    "Turn rated records (a prompt with several rated completions) into\n"
    "pair records: the best-scoring completion is chosen, a lower one\n"
    "rejected; margin = score(chosen) - score(rejected).\n"
    "\n"
    "  --score S              overall (default) | mean-aspects | aspect:NAME | rank\n"
    "  --exclude-aspect NAME  leave an aspect out of mean-aspects (repeatable, or a,b)\n"
    "  --rejected R           random (default) | worst | next-best\n"
    "  --ties drop|keep       pairs of equal score (default drop)\n"
    "  --min-margin X         only rejected completions at least X below the chosen\n"
    "  --pairs-per-prompt K   up to K pairs per prompt, distinct rejected (default 1)\n"
    "  --models LIST          only completions from these models (a,b,c; or @top,\n"
    "                         @middle, @bottom: the UltraFeedback groups of App. E)\n"
    "  --prompt-source LIST   only records whose meta.prompt_source is listed\n"
    "  --seed N               seed for random choices (default 0)\n"
    "  -o, --output OUT       output stream (default stdout)\n"
    "      --progress         records/s on stderr (default: only on a terminal)\n"
    "  -h, --help, -V, --version\n"
    "\n"
    "Ratings that are null or not numbers (\"N/A\") are left out of means and\n"
    "counted in the summary on stderr.  Exit: 0, 64 usage, 65 bad record.\n";

enum { O_SCORE = 1000, O_EXCL, O_REJ, O_TIES, O_MINM, O_K, O_MODELS, O_PSRC, O_SEED, O_PROGRESS };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"score", required_argument, 0, O_SCORE}, {"exclude-aspect", required_argument, 0, O_EXCL},
        {"rejected", required_argument, 0, O_REJ}, {"ties", required_argument, 0, O_TIES},
        {"min-margin", required_argument, 0, O_MINM}, {"pairs-per-prompt", required_argument, 0, O_K},
        {"models", required_argument, 0, O_MODELS}, {"prompt-source", required_argument, 0, O_PSRC},
        {"seed", required_argument, 0, O_SEED},   {"output", required_argument, 0, 'o'},
        {"progress", no_argument, 0, O_PROGRESS},
        {"help", no_argument, 0, 'h'},            {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    bin_config cfg;
    bin_config_default(&cfg);
    name_list excl = {0}, models = {0}, psrc = {0};
    const char *bad;
    size_t badlen;
    const char *out = "-";
    int c, have_models = 0, have_psrc = 0, progress = 0;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case O_SCORE:
            if (bin_parse_score(optarg, &cfg) < 0)
                cli_usage_error("--score: '%s' is not overall, mean-aspects, aspect:NAME or rank", optarg);
            break;
        case O_EXCL: name_list_parse(&excl, optarg, 0, &badlen); break;
        case O_REJ:
            if ((cfg.rejected = bin_parse_rejected(optarg)) < 0)
                cli_usage_error("--rejected: '%s' is not random, worst or next-best", optarg);
            break;
        case O_TIES:
            if (strcmp(optarg, "drop") == 0) cfg.keep_ties = 0;
            else if (strcmp(optarg, "keep") == 0) cfg.keep_ties = 1;
            else cli_usage_error("--ties: '%s' is not drop or keep", optarg);
            break;
        case O_MINM:
            cfg.min_margin = parse_double("--min-margin", optarg);
            if (cfg.min_margin < 0)
                cli_usage_error("--min-margin must be >= 0");
            break;
        case O_K: cfg.pairs_per_prompt = (size_t)parse_ll("--pairs-per-prompt", optarg, 1, 1 << 20); break;
        case O_MODELS:
            if ((bad = name_list_parse(&models, optarg, 1, &badlen)))
                cli_usage_error("--models: unknown group '%.*s' (@top, @middle, @bottom)", (int)badlen, bad);
            have_models = 1;
            break;
        case O_PSRC: name_list_parse(&psrc, optarg, 0, &badlen); have_psrc = 1; break;
        case O_SEED: cfg.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case O_PROGRESS: progress = 1; break;
        case 'o': out = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    cfg.exclude = (const char *const *)excl.v;
    cfg.nexclude = excl.n;
    if (have_models) {
        cfg.models = (const char *const *)models.v;
        cfg.nmodels = models.n;
        if (!models.v)
            cli_usage_error("--models: empty list");
    }
    rstream *os = rs_open_write(out);
    rated_t r;
    rated_init(&r);
    recb b;
    recb_init(&b);
    bin_stats st = {0};
    bin_pair *pairs = xcalloc(cfg.pairs_per_prompt, sizeof *pairs);
    uint64_t skipped_source = 0;
    progress_t prog;
    progress_init(&prog, "records", 0, progress);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        progress_add(&prog, 1);
        char err[160];
        const char *id;
        size_t idlen;
        if (rec_get_str(&in.rec, "id", &id, &idlen) != 1 || !rec_get(&in.rec, "prompt"))
            die(EX_DATAERR, "%s: a rated record needs a string 'id' and a 'prompt'", inputs_where(&in));
        const char *why = rated_from_record(&in.rec, &r, err, sizeof err);
        if (why)
            die(EX_DATAERR, "%s: %s", inputs_where(&in), why);
        if (have_psrc) {
            const char *ps;
            size_t pn;
            if (rec_get_str(rec_get(&in.rec, "meta"), "prompt_source", &ps, &pn) != 1 || !name_list_has(&psrc, ps, pn)) {
                skipped_source++;
                continue;
            }
        }
        size_t k = binarize(&cfg, &r, id, idlen, pairs, &st);
        for (size_t j = 0; j < k; j++) {
            const completion_t *ch = &r.c[pairs[j].chosen], *rj = &r.c[pairs[j].rejected];
            recb_reset(&b);
            if (k > 1 || cfg.pairs_per_prompt > 1) {
                char idk[64];
                int n = snprintf(idk, sizeof idk, "/%zu", j + 1);
                msgpack_packer *pk = recb_begin(&b, "id");
                msgpack_pack_str(pk, idlen + (size_t)n);
                msgpack_pack_str_body(pk, id, idlen);
                msgpack_pack_str_body(pk, idk, (size_t)n);
                recb_end(&b);
            } else {
                recb_put_obj(&b, "id", rec_get(&in.rec, "id"));
            }
            recb_put_obj(&b, "prompt", rec_get(&in.rec, "prompt"));
            recb_put_strn(&b, "chosen", ch->text, ch->tlen);
            recb_put_strn(&b, "rejected", rj->text, rj->tlen);
            const char *keep[] = {"source", "tags", "meta"};
            for (int q = 0; q < 3; q++)
                if (rec_get(&in.rec, keep[q]))
                    recb_put_obj(&b, keep[q], rec_get(&in.rec, keep[q]));
            recb_put_f64(&b, "margin", pairs[j].margin);
            if (ch->model)
                recb_put_strn(&b, "chosen_model", ch->model, ch->mlen);
            if (rj->model)
                recb_put_strn(&b, "rejected_model", rj->model, rj->mlen);
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(os, buf, len);
        }
    }
    inputs_close(&in);
    rs_close(os);
    progress_finish(&prog);
    bin_stats_print(&st, "pref-binarize: ");
    if (have_psrc)
        fprintf(stderr, "pref-binarize: %llu records skipped by --prompt-source\n", (unsigned long long)skipped_source);
    free(pairs);
    name_list_free(&excl);
    name_list_free(&models);
    name_list_free(&psrc);
    rated_free(&r);
    recb_free(&b);
    return 0;
}
