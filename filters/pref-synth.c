/*
 * pref-synth — write records of the built-in synthetic world (synth.h):
 * prompts with gold fields, SFT demonstrations from one responder, or
 * rated records (several responders per prompt, rated per aspect and
 * overall, the UltraFeedback situation), made by data/synth_emit.h.
 */
#include "base/cli.h"
#include "io/record.h"
#include "io/stream.h"
#include "data/synth.h"
#include "data/synth_emit.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_SPLIT = 1000 };

static const char usage[] =
    "usage: pref-synth --emit KIND --split SPLIT [-n N] [--seed S] [OPTIONS]\n"
    "\n"
    "Write records of the built-in synthetic world: prompts in five\n"
    "categories (math, instruction, safety, truthfulness, factuality) with\n"
    "verifiable gold fields, answered by a zoo of responders of graded\n"
    "quality (strong, verbose, middle, cautious, reckless, weak).\n"
    "\n"
    "  -e, --emit KIND        prompt (with gold), sft (one responder's answers),\n"
    "                         rated (several responders, rated per aspect) or\n"
    "                         text (sft records answered by a responder drawn\n"
    "                         per record from --responders: world text for\n"
    "                         pretraining a language model)\n"
    "      --split SPLIT      train, pool (PPO prompts) or eval (held out; old\n"
    "                         spelling -s, until the next release: then -s is --seed);\n"
    "                         a prompt's split is its item's (below)\n"
    "  -n, --count N          records to write (default 1000)\n"
    "      --seed S           the world's seed (default 0)\n"
    "      --categories LIST  comma-separated subset of the categories\n"
    "      --responder NAME   sft: who answers (default middle)\n"
    "      --responders LIST  rated, text: the pool to draw from (default: the zoo)\n"
    "      --per-prompt K     rated: completions per prompt (default 4)\n"
    "      --overall-noise X  rated: sd of the holistic rating's noise (default 1.5)\n"
    "      --length-bias X    rated: added to the holistic rating of padded\n"
    "                         answers (default 2.5)\n"
    "      --aspect-noise P   rated: chance of a +-1 error in an aspect rating\n"
    "                         (default 0.1)\n"
    "      --rater LIST       rated: who rates (--list-raters; default standard,\n"
    "                         the three knobs above); several, comma-separated,\n"
    "                         make a mix: each record's rater drawn from LIST and\n"
    "                         named in meta.rater\n"
    "      --list-raters      print the raters' noise profiles and exit\n"
    "      --list-responders  print the zoo and exit\n"
    "      --list-pools       print each category's items per split under\n"
    "                         --seed and exit\n"
    "  -o, --output URI       output (default stdout)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "What a prompt asks is an item from a pool generated from tables (math:\n"
    "a six-level arithmetic curriculum, half asking for worked steps); an\n"
    "item's split is fixed by a hash of its id and the seed, so evaluation\n"
    "items are never training or pool items (gold.item_id names the item).\n"
    "Aspect ratings (helpfulness, instruction_following, honesty,\n"
    "harmlessness; 1-5) follow the gold judge with rare +-1 noise; the\n"
    "'overall' rating (1-10) is noisier and favours padded answers, like a\n"
    "holistic judge: the world's built-in outcomes (man pref-synth, THE\n"
    "WORLD'S KNOBS).  Prompt records carry 'gold'; sft and rated records\n"
    "carry it as meta.gold (kept by pref-binarize).  Score with gold-judge.\n";

static void parse_list(const char *s, int (*lookup)(const char *), int *out, int *n, int max, const char *what)
{
    char *copy = xstrdup(s);
    *n = 0;
    for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
        int v = lookup(t);
        if (v < 0)
            cli_usage_error("unknown %s '%s'", what, t);
        if (*n < max)
            out[(*n)++] = v;
    }
    free(copy);
    if (*n == 0)
        cli_usage_error("empty %s list", what);
}

static int rater_index(const char *s)
{
    const synth_rater *r = synth_find_rater(s);
    return r ? (int)(r - synth_raters) : -1;
}

static int responder_index(const char *s)
{
    const synth_responder *r = synth_find_responder(s);
    return r ? (int)(r - synth_zoo) : -1;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    synth_opts o = {.emit = -1, .split = -1, .n = 1000, .seed = 0, .per_prompt = 4, .overall_noise = 1.5,
                   .length_bias = 2.5, .aspect_noise = 0.1};
    const char *out_uri = "-";
    const char *responder = "middle";
    static const struct option lo[] = {
        {"emit", required_argument, 0, 'e'}, {"split", required_argument, 0, O_SPLIT},
        {"count", required_argument, 0, 'n'}, {"seed", required_argument, 0, 1},
        {"categories", required_argument, 0, 2}, {"responder", required_argument, 0, 3},
        {"responders", required_argument, 0, 4}, {"per-prompt", required_argument, 0, 5},
        {"overall-noise", required_argument, 0, 6}, {"list-responders", no_argument, 0, 7},
        {"length-bias", required_argument, 0, 8}, {"aspect-noise", required_argument, 0, 9},
        {"list-pools", no_argument, 0, 10}, {"rater", required_argument, 0, 11},
        {"list-raters", no_argument, 0, 12},
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int c, pool_idx[16], list_pools = 0;
    o.ncats = SYNTH_NCAT;
    for (int i = 0; i < SYNTH_NCAT; i++)
        o.cats[i] = i;
    for (int i = 0; i < synth_zoo_size; i++)
        o.pool[o.npool++] = &synth_zoo[i];
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "e:s:n:o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'e':
            o.emit = !strcmp(optarg, "prompt") ? 0 : !strcmp(optarg, "sft") ? 1 : !strcmp(optarg, "rated") ? 2
                   : !strcmp(optarg, "text") ? 3 : -2;
            if (o.emit == -2)
                cli_usage_error("--emit: '%s' is not prompt, sft, rated or text", optarg);
            break;
        case 's': cli_old_spelling("-s", "--split", "--seed"); /* fall through */
        case O_SPLIT:
            o.split = synth_split_from_name(optarg);
            if (o.split < 0)
                cli_usage_error("--split: '%s' is not train, pool or eval", optarg);
            break;
        case 'n': o.n = (long)parse_ll("--count", optarg, 0, 100000000); break;
        case 1: o.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 2: parse_list(optarg, synth_cat_from_name, o.cats, &o.ncats, SYNTH_NCAT, "category"); break;
        case 3: responder = optarg; break;
        case 4: {
            int n;
            parse_list(optarg, responder_index, pool_idx, &n, 16, "responder");
            o.npool = n;
            for (int i = 0; i < n; i++)
                o.pool[i] = &synth_zoo[pool_idx[i]];
            break;
        }
        case 5: o.per_prompt = (int)parse_ll("--per-prompt", optarg, 2, 16); break;
        case 6: o.overall_noise = parse_double("--overall-noise", optarg); break;
        case 7:
            printf("%-9s %8s %7s %7s %8s %8s %8s\n", "name", "correct", "follow", "refuse", "overref", "premise", "verbose");
            for (int i = 0; i < synth_zoo_size; i++) {
                const synth_responder *z = &synth_zoo[i];
                printf("%-9s %8.2f %7.2f %7.2f %8.2f %8.2f %8.2f\n", z->name, z->p_correct, z->p_follow,
                       z->p_refuse_harmful, z->p_overrefuse, z->p_correct_premise, z->p_verbose);
            }
            return 0;
        case 8: o.length_bias = parse_double("--length-bias", optarg); break;
        case 9:
            o.aspect_noise = parse_double("--aspect-noise", optarg);
            if (!(o.aspect_noise >= 0 && o.aspect_noise <= 1))
                cli_usage_error("--aspect-noise is a probability in [0, 1]");
            break;
        case 10: list_pools = 1; break;
        case 11: {
            int idx[8], n;
            parse_list(optarg, rater_index, idx, &n, 8, "rater");
            o.nraters = n;
            for (int i = 0; i < n; i++)
                o.raters[i] = &synth_raters[idx[i]];
            break;
        }
        case 12:
            printf("%-9s %7s %8s %7s %8s %10s   %s\n", "name", "aspect", "overall", "length", "asp-len", "unchecked",
                   "who");
            for (int i = 0; i < synth_nraters; i++) {
                const synth_rater *t = &synth_raters[i];
                double an = i ? t->aspect_noise : 0.1, on = i ? t->overall_noise : 1.5, lb = i ? t->length_bias : 2.5;
                printf("%-9s %7.2f %8.2f %7.2f %8.2f %10.2f   %s\n", t->name, an, on, lb, t->aspect_length_bias,
                       t->unchecked, t->what);
            }
            return 0;
        case 'o': out_uri = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (list_pools) { /* after the loop: --seed may come later */
        printf("%-13s %7s %7s %7s %7s   (items; seed %llu)\n", "category", "all", "train", "pool", "eval",
               (unsigned long long)o.seed);
        for (int k = 0; k < SYNTH_NCAT; k++) {
            long n[SYNTH_NSPLIT], all = synth_count_items((synth_cat)k, o.seed, n);
            printf("%-13s %7ld %7ld %7ld %7ld\n", synth_cat_name((synth_cat)k), all, n[0], n[1], n[2]);
        }
        return 0;
    }
    if (o.emit < 0 || o.split < 0)
        cli_usage_error("--emit and --split are required");
    o.responder = synth_find_responder(responder);
    if (!o.responder)
        cli_usage_error("--responder: unknown responder '%s' (see --list-responders)", responder);

    rstream *out = rs_open_write(out_uri);
    recb b;
    recb_init(&b);
    synth_emitter em;
    synth_emitter_init(&em, &o);
    for (long i = 0; i < o.n; i++) {
        synth_emit_record(&em, i, &b);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(out, buf, len);
    }
    rs_close(out);
    if (em.dups)
        warnx_("%ld prompts repeat an earlier one (a category's %s split has fewer distinct prompts)", em.dups,
               synth_split_name((synth_split)o.split));
    recb_free(&b);
    synth_emitter_free(&em);
    return 0;
}
