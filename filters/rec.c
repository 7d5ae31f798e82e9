/*
 * rec — the record multi-tool: JSON <-> msgpack, relay, head, count,
 * validate, sample, shuffle, split.  Every subcommand reads record URIs
 * (default "-") and writes to -o URI (default stdout); see man 1 rec.
 *
 * Relaying subcommands copy each record's raw bytes (rs_last_raw) rather
 * than re-packing, so a relay never changes a record.
 */
#include "base/cli.h"
#include "io/json_fast.h"
#include "io/jsonconv.h"
#include "io/record.h"
#include "io/schema.h"
#include "io/stream.h"
#include "io/bytesrc.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
    "usage: rec COMMAND [OPTIONS] [INPUT...]\n"
    "\n"
    "The record multi-tool of prefpipe.  Inputs and -o take stream URIs:\n"
    "'-', a file (gzip detected on read, written for *.gz), '@tcp://*:PORT'\n"
    "(bind) or '>tcp://HOST:PORT' (connect); ipc:// works too.\n"
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
    char **inputs;
    int ninputs;
} opts_t;

enum { O_SEED = 1000, O_NO_TYPED, O_CHECK, O_SKIP, O_FRACTION, O_TRAIN, O_TEST, O_PROGRESS };

static void parse_opts(int argc, char **argv, const char *usage, const char *shortopts, opts_t *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, 0, 'h'},      {"version", no_argument, 0, 'V'},
        {"output", required_argument, 0, 'o'}, {"lines", required_argument, 0, 'n'},
        {"seed", required_argument, 0, O_SEED}, {"no-typed", no_argument, 0, O_NO_TYPED},
        {"check", no_argument, 0, O_CHECK}, {"skip-invalid", no_argument, 0, O_SKIP},
        {"test-fraction", required_argument, 0, O_FRACTION}, {"train", required_argument, 0, O_TRAIN},
        {"test", required_argument, 0, O_TEST}, {"progress", no_argument, 0, O_PROGRESS},
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
        default: cli_bad_option(argv, longopts);
        }
    }
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
}

static char *stdin_only[] = {"-", NULL};

static void default_inputs(opts_t *o)
{
    if (o->ninputs == 0) {
        o->inputs = stdin_only;
        o->ninputs = 1;
    }
}

static const char *shown(const char *uri) { return strcmp(uri, "-") == 0 ? "stdin" : uri; }

/* Call fn for every record of every input, in order, until it returns
 * nonzero.  Any bad record ends the program (exit 65, naming it). */
typedef int (*record_fn)(const msgpack_object *rec, const char *raw, size_t len, void *ctx);

static void each_record(opts_t *o, record_fn fn, void *ctx)
{
    default_inputs(o);
    int stop = 0;
    for (int i = 0; i < o->ninputs && !stop; i++) {
        rstream *in = rs_open_read(o->inputs[i]);
        msgpack_object rec;
        while (!stop && rs_next(in, &rec) == RS_OK) {
            const char *raw;
            size_t len;
            rs_last_raw(in, &raw, &len);
            stop = fn(&rec, raw, len, ctx);
        }
        rs_close(in);
    }
}

/* ---- from-json ---- */

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

static void from_json_one(const char *path, rstream *out, opts_t *o, msgpack_sbuffer *sb, msgpack_packer *pk)
{
    bsrc *src = bsrc_open(path);
    if (!src)
        die(EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t max = rs_max_record();
    int depth = rs_max_depth();
    char *line;
    size_t len;
    int r;
    while ((r = bsrc_getline(src, &line, &len, max)) == 1) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            continue;
        msgpack_sbuffer_clear(sb);
        if (o->typed && json_fast_to_msgpack(line, len, pk, depth) == 0) {
            if (sb->size > max)
                die(EX_DATAERR, "%s: line %llu: record of %zu bytes is over the limit of %zu (PREFPIPE_MAX_RECORD)",
                    shown(path), (unsigned long long)bsrc_lineno(src), sb->size, max);
            rs_write(out, sb->data, sb->size);
            continue;
        }
        /* the jansson path: unusual lines, and every error message */
        json_error_t je;
        json_t *v = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        uint64_t ln = bsrc_lineno(src);
        if (!v)
            die(EX_DATAERR, "%s: line %llu: invalid JSON: %s (column %d)", shown(path),
                (unsigned long long)ln, je.text, je.column);
        if (!json_is_object(v))
            die(EX_DATAERR, "%s: line %llu: top-level value is not an object (a record must be an object)",
                shown(path), (unsigned long long)ln);
        char err[128];
        msgpack_sbuffer_clear(sb);
        if (json_to_msgpack(v, pk, o->typed, depth, err, sizeof err) < 0)
            die(EX_DATAERR, "%s: line %llu: %s", shown(path), (unsigned long long)ln, err);
        json_decref(v);
        if (sb->size > max)
            die(EX_DATAERR, "%s: line %llu: record of %zu bytes is over the limit of %zu (PREFPIPE_MAX_RECORD)",
                shown(path), (unsigned long long)ln, sb->size, max);
        rs_write(out, sb->data, sb->size);
    }
    if (r < 0)
        die(EX_DATAERR, "%s: %s", shown(path), bsrc_error(src));
    bsrc_close(src);
}

static int cmd_from_json(int argc, char **argv)
{
    opts_t o = {.out = "-", .typed = 1};
    parse_opts(argc, argv, usage_from_json, "ho:V", &o);
    default_inputs(&o);
    rstream *out = rs_open_write(o.out);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int i = 0; i < o.ninputs; i++)
        from_json_one(o.inputs[i], out, &o, &sb, &pk);
    rs_close(out);
    msgpack_sbuffer_destroy(&sb);
    return 0;
}

/* ---- to-json ---- */

static const char usage_to_json[] =
    "usage: rec to-json [-o FILE] [INPUT...]\n"
    "\n"
    "Write each record as one line of compact JSON, keys in record order.\n"
    "Bins under typed fields print as arrays of numbers (int32 or float32,\n"
    "per the schemas); other bins as base64 strings; NaN/Inf as null.\n";

struct to_json_ctx {
    rstream *out;
    obuf b;
};

static int to_json_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    struct to_json_ctx *c = ctx;
    msgpack_to_json(rec, &c->b);
    obuf_putc(&c->b, '\n');
    if (c->b.n >= 1 << 18) {
        rs_write_bytes(c->out, c->b.p, c->b.n);
        c->b.n = 0;
    }
    return 0;
}

static int cmd_to_json(int argc, char **argv)
{
    opts_t o = {.out = "-"};
    parse_opts(argc, argv, usage_to_json, "ho:V", &o);
    default_inputs(&o);
    if (rs_is_zmq_uri(o.out))
        cli_usage_error("to-json writes text; its output cannot be a ZeroMQ endpoint");
    struct to_json_ctx c = {rs_open_text_out(o.out), {0}};
    each_record(&o, to_json_one, &c);
    rs_write_bytes(c.out, c.b.p, c.b.n);
    obuf_free(&c.b);
    rs_close(c.out);
    return 0;
}

/* ---- cat / head / count ---- */

static const char usage_cat[] =
    "usage: rec cat [-o OUT] [INPUT...]\n"
    "\n"
    "Relay records unchanged from the inputs, in order, to OUT: e.g. a file\n"
    "to a ZeroMQ endpoint ('rec cat data.mp -o @tcp://*:5555') or back.\n";

static const char usage_head[] =
    "usage: rec head [-n N] [-o OUT] [INPUT...]\n"
    "\n"
    "The first N records (default 10) of the concatenated inputs.\n";

struct relay_ctx {
    rstream *out;
    long long n, limit;
};

static int relay_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    struct relay_ctx *c = ctx;
    if (c->limit >= 0 && c->n >= c->limit)
        return 1;
    rs_write(c->out, raw, len);
    c->n++;
    return c->limit >= 0 && c->n >= c->limit;
}

static int relay(opts_t *o, long long limit)
{
    struct relay_ctx c = {rs_open_write(o->out), 0, limit};
    if (limit != 0)
        each_record(o, relay_one, &c);
    rs_close(c.out);
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

static int count_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    ++*(uint64_t *)ctx;
    return 0;
}

static int cmd_count(int argc, char **argv)
{
    opts_t o = {0};
    parse_opts(argc, argv, usage_count, "hV", &o);
    uint64_t n = 0;
    each_record(&o, count_one, &n);
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
    o.inputs++;
    o.ninputs--;
    if (!schema_text(kind)) {
        char e[8];
        schema_validate(kind, NULL, e, sizeof e); /* dies listing the kinds */
    }
    default_inputs(&o);
    rstream *out = NULL;
    if (o.out)
        out = rs_open_write(o.out);
    else if (!o.check_only && !isatty(1))
        out = rs_open_write("-");
    uint64_t ok = 0, bad = 0;
    for (int i = 0; i < o.ninputs; i++) {
        rstream *in = rs_open_read(o.inputs[i]);
        msgpack_object rec;
        for (;;) {
            int r = rs_read(in, &rec);
            if (r == RS_EOF)
                break;
            char err[512];
            const char *why = NULL;
            if (r == RS_ERR) {
                if (!o.skip_invalid || !rs_recoverable(in))
                    die(EX_DATAERR, "%s: record %llu: %s", shown(o.inputs[i]),
                        (unsigned long long)rs_count(in), rs_error(in));
                why = rs_error(in);
            } else if (schema_validate(kind, &rec, err, sizeof err) < 0) {
                why = err;
            }
            if (why) {
                if (!o.skip_invalid)
                    die(EX_DATAERR, "%s: record %llu: not a valid %s: %s", shown(o.inputs[i]),
                        (unsigned long long)rs_count(in), kind, why);
                warnx_("%s: record %llu: skipped, not a valid %s: %s", shown(o.inputs[i]),
                       (unsigned long long)rs_count(in), kind, why);
                bad++;
                continue;
            }
            ok++;
            if (out) {
                const char *raw;
                size_t len;
                rs_last_raw(in, &raw, &len);
                rs_write(out, raw, len);
            }
        }
        rs_close(in);
    }
    if (out)
        rs_close(out);
    fprintf(stderr, "%s: validate %s: %llu valid, %llu invalid\n", progname, kind, (unsigned long long)ok,
            (unsigned long long)bad);
    return 0;
}

/* ---- sample ---- */

static const char usage_sample[] =
    "usage: rec sample -n N [--seed S] [-o OUT] [INPUT...]\n"
    "\n"
    "Keep N records chosen uniformly at random, reproducibly: each record\n"
    "gets the key hash(seed, id) (its 'id' field, else its bytes) and the N\n"
    "smallest keys are kept, written in input order.  The choice depends\n"
    "only on the seed and the ids, not on the input order.  Memory: N\n"
    "records.\n";

typedef struct {
    uint64_t key, index;
    char *raw;
    size_t len;
} held_t;

static uint64_t record_key(const msgpack_object *rec, const char *raw, size_t len, uint64_t seed)
{
    const char *id;
    size_t idlen;
    if (rec_get_str(rec, "id", &id, &idlen) == 1)
        return hash64(id, idlen, seed);
    return hash64(raw, len, seed ^ 0x5eedULL);
}

static void heap_sift_down(held_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].key > h[m].key) m = l;
        if (r < n && h[r].key > h[m].key) m = r;
        if (m == i) return;
        held_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static void heap_sift_up(held_t *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].key >= h[i].key) return;
        held_t t = h[i]; h[i] = h[p]; h[p] = t;
        i = p;
    }
}

static int by_index(const void *a, const void *b)
{
    const held_t *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

struct sample_ctx {
    held_t *h;       /* max-heap on key of the n smallest keys so far */
    size_t nh, n;
    uint64_t index, seed;
};

static int sample_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    struct sample_ctx *c = ctx;
    uint64_t key = record_key(rec, raw, len, c->seed);
    c->index++;
    if (c->nh < c->n) {
        c->h[c->nh] = (held_t){key, c->index, xstrndup(raw, len), len};
        heap_sift_up(c->h, c->nh++);
    } else if (c->nh > 0 && key < c->h[0].key) {
        free(c->h[0].raw);
        c->h[0] = (held_t){key, c->index, xstrndup(raw, len), len};
        heap_sift_down(c->h, c->nh, 0);
    }
    return 0;
}

static int cmd_sample(int argc, char **argv)
{
    opts_t o = {.out = "-", .n = -1};
    parse_opts(argc, argv, usage_sample, "hn:o:V", &o);
    if (o.n < 0)
        cli_usage_error("sample needs -n N");
    rstream *out = rs_open_write(o.out);
    struct sample_ctx c = {xcalloc((size_t)o.n + 1, sizeof(held_t)), 0, (size_t)o.n, 0, o.seed};
    each_record(&o, sample_one, &c);
    qsort(c.h, c.nh, sizeof *c.h, by_index);
    for (size_t i = 0; i < c.nh; i++) {
        rs_write(out, c.h[i].raw, c.h[i].len);
        free(c.h[i].raw);
    }
    free(c.h);
    rs_close(out);
    return 0;
}

/* ---- shuffle ---- */

static const char usage_shuffle[] =
    "usage: rec shuffle [--seed S] [-o OUT] [INPUT...]\n"
    "\n"
    "All records in a random order fixed by the seed (default 0): the same\n"
    "input and seed always give the same bytes.  Records are spooled to an\n"
    "unlinked temporary file (in TMPDIR), so memory holds only their offsets.\n";

struct spool_ctx {
    FILE *spool;
    uint64_t *off;   /* start of each record in the spool; one extra slot */
    size_t n, cap;
    uint64_t pos;
};

static int spool_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    struct spool_ctx *c = ctx;
    if (fwrite(raw, 1, len, c->spool) != len)
        die(EX_IOERR, "temporary file: write error: %s", strerror(errno));
    if (c->n + 1 >= c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->off = xrealloc(c->off, c->cap * sizeof *c->off);
    }
    c->off[c->n++] = c->pos;
    c->pos += len;
    return 0;
}

static int cmd_shuffle(int argc, char **argv)
{
    opts_t o = {.out = "-"};
    parse_opts(argc, argv, usage_shuffle, "ho:V", &o);
    rstream *out = rs_open_write(o.out);
    struct spool_ctx c = {tmpfile(), NULL, 0, 0, 0};
    if (!c.spool)
        die(EX_CANTCREAT, "cannot create a temporary file: %s", strerror(errno));
    each_record(&o, spool_one, &c);
    FILE *spool = c.spool;
    uint64_t *off = c.off, pos = c.pos;
    size_t n = c.n;
    if (n == 0) {
        fclose(spool);
        rs_close(out);
        return 0;
    }
    off[n] = pos;
    if (fflush(spool) != 0)
        die(EX_IOERR, "temporary file: write error: %s", strerror(errno));
    size_t *perm = xmalloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    rng_t rng;
    rng_seed(&rng, o.seed);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(&rng, i + 1);
        size_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    int fd = fileno(spool);
    char *buf = NULL;
    size_t bcap = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = perm[i], len = (size_t)(off[k + 1] - off[k]);
        if (len > bcap) {
            bcap = len;
            buf = xrealloc(buf, bcap);
        }
        if (pread(fd, buf, len, (off_t)off[k]) != (ssize_t)len)
            die(EX_IOERR, "temporary file: read error");
        rs_write(out, buf, len);
    }
    free(buf);
    free(perm);
    free(off);
    fclose(spool);
    rs_close(out);
    return 0;
}

/* ---- split ---- */

static const char usage_split[] =
    "usage: rec split --test-fraction F --train OUT --test OUT [--seed S] [INPUT...]\n"
    "\n"
    "Send each record to the test output when hash(seed, id) / 2^64 < F,\n"
    "else to the train output.  The split depends only on the ids and the\n"
    "seed, so re-running it (or adding records) never moves a record between\n"
    "sides.  Records without an 'id' are hashed by their bytes.\n";

struct split_ctx {
    rstream *train, *test;
    uint64_t ntrain, ntest, seed;
    double fraction;
};

static int split_one(const msgpack_object *rec, const char *raw, size_t len, void *ctx)
{
    struct split_ctx *c = ctx;
    double u = (double)(record_key(rec, raw, len, c->seed) >> 11) * 0x1.0p-53;
    if (u < c->fraction) {
        rs_write(c->test, raw, len);
        c->ntest++;
    } else {
        rs_write(c->train, raw, len);
        c->ntrain++;
    }
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
    struct split_ctx c = {rs_open_write(o.train), rs_open_write(o.test), 0, 0, o.seed, o.fraction};
    each_record(&o, split_one, &c);
    rs_close(c.train);
    rs_close(c.test);
    fprintf(stderr, "%s: split: %llu train, %llu test\n", progname, (unsigned long long)c.ntrain,
            (unsigned long long)c.ntest);
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

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        {"from-json", cmd_from_json}, {"to-json", cmd_to_json}, {"cat", cmd_cat},
        {"head", cmd_head}, {"count", cmd_count}, {"validate", cmd_validate},
        {"sample", cmd_sample}, {"shuffle", cmd_shuffle}, {"split", cmd_split},
        {"schema", cmd_schema}};
    if (argc < 2)
        cli_usage_error("missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        cli_help(usage_main);
    if (strcmp(argv[1], "--version") == 0)
        cli_version();
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
