/*
 * rec — the record multi-tool: JSON <-> msgpack, relay, head, count,
 * validate, sample, shuffle, split, and keygen (CURVE keys for ZeroMQ).  Every subcommand reads record URIs
 * (default "-") and writes to -o URI (default stdout); see man 1 rec.
 *
 * Relaying subcommands copy each record's raw bytes (inputs.raw) rather
 * than re-packing, so a relay never changes a record.  The work is the
 * library's: io/inputs.h (the input loop), io/jsonl.h (JSON lines),
 * io/schema.h (validate), base/reservoir.h (sample), base/spool.h and
 * base/shuffle.h (shuffle).  This file is longer than a filter should be
 * because it is ten commands: their help texts, options and glue.
 */
#include "base/cli.h"
#include "base/inputs.h"
#include "base/reservoir.h"
#include "base/shuffle.h"
#include "base/spool.h"
#include "base/util.h"
#include "io/inputs.h"
#include "io/jsonl.h"
#include "io/record.h"
#include "io/schema.h"
#include "io/stream.h"
#include "io/zcurve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
    "usage: rec COMMAND [OPTIONS] [INPUT...]\n"
    "\n"
    "The record multi-tool of prefpipe.  Inputs and -o take stream URIs:\n"
    "'-', a file (gzip detected on read, written for *.gz), '@tcp://IP:PORT'\n"
    "(bind) or '>tcp://HOST:PORT' (connect); ipc:// works too.  Binding other\n"
    "than loopback needs CURVE keys ('rec keygen --help') or insecure=1.\n"
    "\n"
    "commands:\n"
    "  from-json   JSON lines -> records\n"
    "  to-json     records -> JSON lines (for jq)\n"
    "  cat         relay records from any inputs to any output\n"
    "  head        the first N records (-n N, default 10)\n"
    "  count       print the number of records\n"
    "  validate    check records against a kind's schema (pair, rated, ...)\n"
    "  sample      N records chosen uniformly, reproducibly (-n N --seed S)\n"
    "  shuffle     all records in a seeded random order\n"
    "  split       train/test split by a hash of each record's id\n"
    "  schema      print the JSON Schema of a record kind\n"
    "  keygen      make a CURVE key pair for ZeroMQ endpoints (NAME.key, NAME.pub)\n"
    "\n"
    "'rec COMMAND --help' describes each command.  Exit status: 0 ok,\n"
    "64 usage, 65 bad input data, 66 cannot open input, 74 I/O error.\n";

/* ---- shared option parsing ---- */

typedef struct {
    const char *out;
    long long n;
    uint64_t seed;
    int seed_given;
    int typed;
    int check_only;
    int skip_invalid;
    double fraction;
    const char *train, *test;
    int progress;
    int force;
    char **inputs;
    int ninputs;
} opts_t;

enum { O_SEED = 1000, O_NO_TYPED, O_CHECK, O_SKIP, O_FRACTION, O_TRAIN, O_TEST, O_PROGRESS, O_FORCE };

static void parse_opts(int argc, char **argv, const char *usage, const char *shortopts, opts_t *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},      {"version", no_argument, 0, 'V'},
        {"output", required_argument, 0, 'o'}, {"lines", required_argument, 0, 'n'},
        {"seed", required_argument, 0, O_SEED}, {"no-typed", no_argument, 0, O_NO_TYPED},
        {"check", no_argument, 0, O_CHECK}, {"skip-invalid", no_argument, 0, O_SKIP},
        {"test-fraction", required_argument, 0, O_FRACTION}, {"train", required_argument, 0, O_TRAIN},
        {"test", required_argument, 0, O_TEST}, {"progress", no_argument, 0, O_PROGRESS},
        {"force", no_argument, 0, O_FORCE},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'o': o->out = optarg; break;
        case 'n': o->n = parse_ll("-n", optarg, 0, (long long)1 << 50); break;
        case O_SEED: o->seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); o->seed_given = 1; break;
        case O_NO_TYPED: o->typed = 0; break;
        case O_CHECK: o->check_only = 1; break;
        case O_SKIP: o->skip_invalid = 1; break;
        case O_FRACTION: o->fraction = parse_double("--test-fraction", optarg); break;
        case O_TRAIN: o->train = optarg; break;
        case O_TEST: o->test = optarg; break;
        case O_PROGRESS: o->progress = 1; break;
        case O_FORCE: o->force = 1; break;
        default: cli_bad_option(argv, longopts);
        }
    }
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
}

/* The key that decides sample and split for a record: hash(seed, id),
 * or of its bytes when it has no string id. */
static uint64_t record_key(const msgpack_object *rec, const char *raw, size_t len, uint64_t seed)
{
    const char *id;
    size_t idlen;
    if (rec_get_str(rec, "id", &id, &idlen) == 1)
        return hash64(id, idlen, seed);
    return hash64(raw, len, seed ^ 0x5eedULL);
}

/* ---- from-json / to-json ---- */

static const char usage_from_json[] =
    "usage: rec from-json [-o OUT] [--no-typed] [FILE...]\n"
    "\n"
    "Read JSON lines (one object per line; gzip detected) and write one\n"
    "record per object, keys and number values kept.  Arrays under typed\n"
    "fields of the schemas (tokens, logprobs, ...) become little-endian\n"
    "bins when that is lossless; --no-typed keeps every array as an array.\n"
    "Blank lines are skipped.  A line that is not a JSON object is an error\n"
    "naming the line (exit 65); with -o FILE nothing is left behind.\n"
    "Lines are parsed by a strict two-pass transcoder; anything it does not\n"
    "handle exactly like jansson (and every error) goes through jansson.\n";

static int cmd_from_json(int argc, char **argv)
{
    opts_t o = {.out = "-", .typed = 1};
    parse_opts(argc, argv, usage_from_json, "ho:V", &o);
    int n;
    char **paths = cli_inputs(o.ninputs, o.inputs, 0, &n);
    rstream *out = rs_open_write(o.out);
    for (int i = 0; i < n; i++)
        jsonl_to_records(paths[i], out, o.typed);
    rs_close(out);
    return 0;
}

static const char usage_to_json[] =
    "usage: rec to-json [-o FILE] [INPUT...]\n"
    "\n"
    "Write each record as one line of compact JSON, keys in record order.\n"
    "Bins under typed fields print as arrays of numbers (int32 or float32,\n"
    "per the schemas); other bins as base64 strings; NaN/Inf as null.\n";

static int cmd_to_json(int argc, char **argv)
{
    opts_t o = {.out = "-"};
    parse_opts(argc, argv, usage_to_json, "ho:V", &o);
    if (rs_is_zmq_uri(o.out))
        cli_usage_error("to-json writes text; its output cannot be a ZeroMQ endpoint");
    jsonl_writer w;
    jsonl_writer_init(&w, rs_open_text_out(o.out));
    inputs in;
    inputs_open(&in, o.ninputs, o.inputs, 0);
    while (inputs_next(&in))
        jsonl_put(&w, &in.rec);
    inputs_close(&in);
    jsonl_writer_flush(&w);
    rs_close(w.out);
    return 0;
}

/* ---- cat / head / count ---- */

static const char usage_cat[] =
    "usage: rec cat [-o OUT] [INPUT...]\n"
    "\n"
    "Relay records unchanged from the inputs, in order, to OUT: e.g. a file\n"
    "to a ZeroMQ endpoint ('rec cat data.mp -o @tcp://127.0.0.1:5555') or back.\n";

static const char usage_head[] =
    "usage: rec head [-n N] [-o OUT] [INPUT...]\n"
    "\n"
    "The first N records (default 10) of the concatenated inputs.\n";

/* The first `limit` records (all when limit < 0) of the inputs to -o. */
static int relay(opts_t *o, long long limit)
{
    rstream *out = rs_open_write(o->out);
    inputs in;
    inputs_open(&in, o->ninputs, o->inputs, 0);
    for (long long n = 0; (limit < 0 || n < limit) && inputs_next(&in); n++)
        rs_write(out, in.raw, in.len);
    inputs_close(&in);
    rs_close(out);
    return 0;
}

static int cmd_cat(int argc, char **argv)
{
    opts_t o = {.out = "-"};
    parse_opts(argc, argv, usage_cat, "ho:V", &o);
    return relay(&o, -1);
}

static int cmd_head(int argc, char **argv)
{
    opts_t o = {.out = "-", .n = 10};
    parse_opts(argc, argv, usage_head, "hn:o:V", &o);
    return relay(&o, o.n);
}

static const char usage_count[] =
    "usage: rec count [INPUT...]\n"
    "\n"
    "Print the number of records in the concatenated inputs (every record\n"
    "is checked as it is read).\n";

static int cmd_count(int argc, char **argv)
{
    opts_t o = {0};
    parse_opts(argc, argv, usage_count, "hV", &o);
    uint64_t n = 0;
    inputs in;
    inputs_open(&in, o.ninputs, o.inputs, 0);
    while (inputs_next(&in))
        n++;
    inputs_close(&in);
    printf("%llu\n", (unsigned long long)n);
    return 0;
}
/* ---- validate ---- */

static const char usage_validate[] =
    "usage: rec validate KIND [--check] [--skip-invalid] [-o OUT] [INPUT...]\n"
    "\n"
    "Check every record against the JSON Schema of KIND (rec schema KIND\n"
    "prints it).  Valid records pass through to OUT (stdout, unless it is a\n"
    "terminal or --check is given), so validate can sit in a pipeline.  The\n"
    "first invalid record is an error naming it and what is wrong (exit 65);\n"
    "with --skip-invalid, invalid records are dropped, each reported, and\n"
    "counted in the summary.\n";

static int cmd_validate(int argc, char **argv)
{
    opts_t o = {0};
    parse_opts(argc, argv, usage_validate, "ho:V", &o);
    if (o.ninputs < 1)
        cli_usage_error("validate needs a record KIND (one of: pair, rated, prompt, sft, rollout, metrics)");
    const char *kind = o.inputs[0];
    if (!schema_text(kind)) {
        char e[8];
        schema_validate(kind, NULL, e, sizeof e); /* dies listing the kinds */
    }
    rstream *out = NULL;
    if (o.out)
        out = rs_open_write(o.out);
    else if (!o.check_only && !isatty(1))
        out = rs_open_write("-");
    uint64_t ok = 0, bad = 0;
    inputs in;
    inputs_open(&in, o.ninputs - 1, o.inputs + 1, 0);
    const char *why;
    int r;
    while ((r = o.skip_invalid ? inputs_read(&in, &why) : inputs_next(&in))) {
        char err[512];
        if (r > 0) why = schema_validate(kind, &in.rec, err, sizeof err) < 0 ? err : NULL;
        if (why && !o.skip_invalid)
            die(EX_DATAERR, "%s: not a valid %s: %s", inputs_where(&in), kind, why);
        if (why) {
            warnx_("%s: skipped, not a valid %s: %s", inputs_where(&in), kind, why);
            bad++;
            continue;
        }
        ok++;
        if (out) {
            rs_write(out, in.raw, in.len);
        }
    }
    inputs_close(&in);
    if (out)
        rs_close(out);
    fprintf(stderr, "%s: validate %s: %llu valid, %llu invalid\n", progname, kind, (unsigned long long)ok,
            (unsigned long long)bad);
    return 0;
}

/* ---- sample / shuffle / split ---- */

static const char usage_sample[] =
    "usage: rec sample -n N [--seed S] [-o OUT] [INPUT...]\n"
    "\n"
    "Keep N records chosen uniformly at random, reproducibly: each record\n"
    "gets the key hash(seed, id) (its 'id' field, else its bytes) and the N\n"
    "smallest keys are kept, written in input order.  The choice depends\n"
    "only on the seed and the ids, not on the input order.  Memory: N\n"
    "records.\n";
static const char usage_shuffle[] =
    "usage: rec shuffle [--seed S] [-o OUT] [INPUT...]\n"
    "\n"
    "All records in a random order fixed by the seed (default 0): the same\n"
    "input and seed always give the same bytes.  Records are spooled to an\n"
    "unlinked temporary file (in TMPDIR), so memory holds only their offsets.\n";
static const char usage_split[] =
    "usage: rec split --test-fraction F --train OUT --test OUT [--seed S] [INPUT...]\n"
    "\n"
    "Send each record to the test output when hash(seed, id) / 2^64 < F,\n"
    "else to the train output.  The split depends only on the ids and the\n"
    "seed, so re-running it (or adding records) never moves a record between\n"
    "sides.  Records without an 'id' are hashed by their bytes.\n";

static int cmd_sample(int argc, char **argv)
{
    opts_t o = {.out = "-", .n = -1};
    parse_opts(argc, argv, usage_sample, "hn:o:V", &o);
    if (o.n < 0)
        cli_usage_error("sample needs -n N");
    rstream *out = rs_open_write(o.out);
    reservoir r;
    reservoir_init(&r, (size_t)o.n);
    inputs in;
    inputs_open(&in, o.ninputs, o.inputs, 0);
    while (inputs_next(&in))
        reservoir_offer(&r, record_key(&in.rec, in.raw, in.len, o.seed), in.raw, in.len);
    inputs_close(&in);
    const reservoir_item *kept = reservoir_in_order(&r);
    for (size_t i = 0; i < r.n; i++)
        rs_write(out, kept[i].data, kept[i].len);
    reservoir_free(&r);
    rs_close(out);
    return 0;
}

static int cmd_shuffle(int argc, char **argv)
{
    opts_t o = {.out = "-"};
    parse_opts(argc, argv, usage_shuffle, "ho:V", &o);
    rstream *out = rs_open_write(o.out);
    bspool sp;
    bspool_open(&sp);
    inputs in;
    inputs_open(&in, o.ninputs, o.inputs, 0);
    while (inputs_next(&in))
        bspool_add(&sp, in.raw, in.len);
    inputs_close(&in);
    size_t *perm = xmalloc((sp.n ? sp.n : 1) * sizeof *perm);
    rng_t rng;
    rng_seed(&rng, o.seed);
    rng_permutation(&rng, perm, sp.n);
    for (size_t i = 0; i < sp.n; i++) {
        size_t len;
        const char *raw = bspool_get(&sp, perm[i], &len);
        rs_write(out, raw, len);
    }
    free(perm);
    bspool_close(&sp);
    rs_close(out);
    return 0;
}

static int cmd_split(int argc, char **argv)
{
    opts_t o = {.fraction = -1};
    parse_opts(argc, argv, usage_split, "hV", &o);
    if (o.fraction < 0 || o.fraction > 1)
        cli_usage_error("split needs --test-fraction F with 0 <= F <= 1");
    if (!o.train || !o.test)
        cli_usage_error("split needs --train OUT and --test OUT");
    rstream *train = rs_open_write(o.train), *test = rs_open_write(o.test);
    uint64_t ntrain = 0, ntest = 0;
    inputs in;
    inputs_open(&in, o.ninputs, o.inputs, 0);
    while (inputs_next(&in)) {
        int to_test = (double)(record_key(&in.rec, in.raw, in.len, o.seed) >> 11) * 0x1.0p-53 < o.fraction;
        rs_write(to_test ? test : train, in.raw, in.len);
        to_test ? ntest++ : ntrain++;
    }
    inputs_close(&in);
    rs_close(train);
    rs_close(test);
    fprintf(stderr, "%s: split: %llu train, %llu test\n", progname, (unsigned long long)ntrain,
            (unsigned long long)ntest);
    return 0;
}

/* ---- schema ---- */

static const char usage_schema[] =
    "usage: rec schema [KIND]\n"
    "\n"
    "Print the JSON Schema of a record kind, or list the kinds.\n";

static int cmd_schema(int argc, char **argv)
{
    opts_t o = {0};
    parse_opts(argc, argv, usage_schema, "hV", &o);
    if (o.ninputs == 0) {
        for (const char *const *k = schema_kinds(); *k; k++)
            printf("%s\n", *k);
        return 0;
    }
    const char *t = schema_text(o.inputs[0]);
    if (!t) {
        char e[8];
        schema_validate(o.inputs[0], NULL, e, sizeof e);
    }
    fputs(t, stdout);
    return 0;
}

/* ---- keygen ---- */

static const char usage_keygen[] =
    "usage: rec keygen [--force] NAME\n"
    "\n"
    "Make a CURVE key pair for ZeroMQ endpoints: NAME.key (both keys, mode\n"
    "0600; keep it secret) and NAME.pub (the public key, to give to peers).\n"
    "Prints the public key.  Existing files are kept unless --force.\n"
    "\n"
    "A server binds with '@tcp://*:P?key=server.key&allow=clients.pub'; a\n"
    "client connects with '>tcp://HOST:P?curve=server.pub&key=client.key'.\n"
    "An allow file lists public keys, one per line ('cat a.pub b.pub').\n"
    "See prefpipe(7), SECURITY MODEL.\n";

static int cmd_keygen(int argc, char **argv)
{
    opts_t o = {0};
    parse_opts(argc, argv, usage_keygen, "hV", &o);
    if (o.ninputs != 1)
        cli_usage_error("keygen needs one NAME (writes NAME.key and NAME.pub)");
    char err[512], pub[41];
    int rc = zcurve_keygen(o.inputs[0], o.force, pub, err, sizeof err);
    if (rc != 0)
        die(rc, "%s", err);
    printf("%s\n", pub);
    return 0;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        {"from-json", cmd_from_json}, {"to-json", cmd_to_json}, {"cat", cmd_cat},
        {"head", cmd_head}, {"count", cmd_count}, {"validate", cmd_validate},
        {"sample", cmd_sample}, {"shuffle", cmd_shuffle}, {"split", cmd_split},
        {"schema", cmd_schema}, {"keygen", cmd_keygen}};
    if (argc < 2)
        cli_usage_error("missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        cli_help(usage_main);
    if (strcmp(argv[1], "--version") == 0)
        cli_version();
    if (argv[1][0] == '-' && argv[1][1]) {   /* an option before any command: as getopt's, with a suggestion */
        static const char *const own[] = {"help", "version"};
        const char *o = argv[1] + 1 + (argv[1][1] == '-');
        const char *near = argv[1][1] == '-' ? cli_nearest(o, strlen(o), own, 2) : NULL;
        if (near) cli_usage_error("unrecognized option '%s'; did you mean '--%s'?", argv[1], near);
        cli_usage_error("%s option '%s'", argv[1][1] == '-' ? "unrecognized" : "invalid", argv[1]);
    }
    const char *names[sizeof cmds / sizeof cmds[0]];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        names[i] = cmds[i].name;
        if (strcmp(argv[1], cmds[i].name) == 0) {
            static char pn[64];   /* every message of a command names it: "rec head: ..." */
            snprintf(pn, sizeof pn, "%s %s", progname, cmds[i].name);
            progname = pn;
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    const char *near = cli_nearest(argv[1], strlen(argv[1]), names, sizeof names / sizeof *names);
    if (near) cli_usage_error("unknown command '%s'; did you mean '%s'?", argv[1], near);
    cli_usage_error("unknown command '%s'", argv[1]);
}
