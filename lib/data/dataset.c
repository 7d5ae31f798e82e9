/*
 * dataset.c — the pref-load driver: the format table, container
 * detection (JSON lines, JSON array, CSV), the first-row format check,
 * per-row dispatch, drop accounting and the summary line (contracts in
 * dataset.h; the emitters are in dataset_emit.c).
 */
#include "data/dataset.h"
#include "base/inputs.h"
#include "io/bytesrc.h"
#include "base/cli.h"
#include "io/csv.h"
#include "io/json_elide.h"
#include "io/json_fast.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

extern const ds_format ds_fmt_tulu, ds_fmt_trl, ds_fmt_shp, ds_fmt_stack_exchange, ds_fmt_prm800k,
    ds_fmt_chatbot_arena, ds_fmt_arena_55k, ds_fmt_alpaca_farm, ds_fmt_hh_rlhf, ds_fmt_helpsteer,
    ds_fmt_capybara, ds_fmt_orca_pairs, ds_fmt_nectar, ds_fmt_ultrafeedback, ds_fmt_ultrafeedback_binarized,
    ds_fmt_generic, ds_fmt_wildchat, ds_fmt_lmsys_chat_1m;

static const ds_format *const formats[] = {
    &ds_fmt_tulu,          &ds_fmt_trl,          &ds_fmt_shp,       &ds_fmt_stack_exchange,
    &ds_fmt_prm800k,       &ds_fmt_chatbot_arena, &ds_fmt_arena_55k, &ds_fmt_alpaca_farm,
    &ds_fmt_hh_rlhf,       &ds_fmt_helpsteer,    &ds_fmt_capybara,  &ds_fmt_orca_pairs,
    &ds_fmt_nectar,        &ds_fmt_ultrafeedback, &ds_fmt_ultrafeedback_binarized, &ds_fmt_generic,
    &ds_fmt_wildchat,      &ds_fmt_lmsys_chat_1m, NULL};

#define WARN_LIMIT 10

const ds_format *ds_find(const char *name)
{
    for (size_t i = 0; formats[i]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

void ds_list(FILE *f)
{
    for (size_t i = 0; formats[i]; i++)
        fprintf(f, "%-24s %s%s\n", formats[i]->name, formats[i]->summary,
                formats[i]->rated ? " [rated]" : formats[i]->prompts ? " [prompts]" : "");
}

/* ---- accounting ---- */

void ds_drop(ds_ctx *c, const char *reason)
{
    c->dropped++;
    for (size_t i = 0; i < c->ndrops; i++)
        if (strcmp(c->drops[i].reason, reason) == 0) {
            c->drops[i].n++;
            return;
        }
    if (c->ndrops < DS_MAX_REASONS) {
        c->drops[c->ndrops].reason = reason;
        c->drops[c->ndrops++].n = 1;
    }
}


void ds_malformed(ds_ctx *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->opt.strict)
        die(EX_DATAERR, "%s: %s: %s: %s (--strict)", c->fmt->name, cli_input_name(c->path), c->where, msg);
    if (c->warned++ < WARN_LIMIT)
        warnx_("%s: %s: %s: skipped malformed row: %s", c->fmt->name, cli_input_name(c->path), c->where, msg);
    if (c->malformed < DS_FIRST_REASONS)
        snprintf(c->first_why[c->malformed], sizeof c->first_why[0], "%.47s: %.100s", c->where, msg);
    c->malformed++;
    ds_drop(c, "malformed row");
}

/* ---- the driver ---- */

static void check_required(ds_ctx *c, json_t *row)
{
    const char *req = c->required;
    if (!req || !*req)
        return;
    char missing[256] = "", best[256] = "";
    int best_n = 1 << 30;
    const char *p = req;
    while (*p) {
        const char *alt_end = strchr(p, '|');
        if (!alt_end)
            alt_end = p + strlen(p);
        int n = 0;
        missing[0] = 0;
        const char *q = p;
        while (q < alt_end) {
            while (q < alt_end && *q == ' ')
                q++;
            const char *e = q;
            while (e < alt_end && *e != ' ')
                e++;
            if (e > q) {
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(e - q), q);
                if (!json_object_get(row, key)) {
                    size_t l = strlen(missing);
                    snprintf(missing + l, sizeof missing - l, "%s'%s'", n ? ", " : "", key);
                    n++;
                }
            }
            q = e;
        }
        if (n == 0)
            return;
        if (n < best_n) {
            best_n = n;
            snprintf(best, sizeof best, "%s", missing);
        }
        p = *alt_end ? alt_end + 1 : alt_end;
    }
    char found[256] = "";
    const char *key;
    json_t *v;
    int k = 0;
    json_object_foreach(row, key, v) {
        size_t l = strlen(found);
        if (k++ == 8) {
            snprintf(found + l, sizeof found - l, ", ...");
            break;
        }
        snprintf(found + l, sizeof found - l, "%s%s", l ? ", " : "", key);
    }
    die(EX_DATAERR, "%s: %s: not a %s record: missing field%s %s (the row has: %s)", cli_input_name(c->path), c->where,
        c->fmt->name, best_n > 1 ? "s" : "", best, found[0] ? found : "nothing");
}

static progress_t prog;

static void handle_row(ds_ctx *c, json_t *row, int *first)
{
    c->read++;
    progress_add(&prog, 1);
    if (!json_is_object(row)) {
        ds_malformed(c, "not a JSON object");
        return;
    }
    if (*first) {
        check_required(c, row);
        *first = 0;
    }
    c->fmt->row(c, row);
}

typedef struct {
    bsrc *src;
    char *pending;   /* the first line, already read */
    size_t plen;
    int have_pending;
} line_src;

static int next_line(void *ctx, char **line, size_t *len)
{
    line_src *ls = ctx;
    if (ls->have_pending) {
        ls->have_pending = 0;
        *line = ls->pending;
        *len = ls->plen;
        return 1;
    }
    return bsrc_getline(ls->src, line, len, 0);
}

static void read_error(ds_ctx *c, bsrc *src)
{
    die(EX_DATAERR, "%s: %s: %s", c->fmt->name, cli_input_name(c->path), bsrc_error(src));
}

/* nesting the fast JSON path takes (deeper rows: jansson's parser) */
#define FAST_DEPTH 64

static void run_jsonl(ds_ctx *c, bsrc *src, char *line, size_t len)
{
    int first = 1, r = 1;
    size_t max = rs_max_record(), cap = 0;
    char *short_line = NULL;
    do {
        if (str_is_blank(line, len))
            continue;
        snprintf(c->where, sizeof c->where, "line %llu", (unsigned long long)bsrc_lineno(src));
        if (c->fmt->elide) {
            if (len + 1 > cap) {
                cap = 2 * (len + 1);
                short_line = xrealloc(short_line, cap);
            }
            len = json_elide(line, len, short_line, c->fmt->elide);
            line = short_line;
        }
        /* the fast parser takes the usual rows (the same tree, io/json_fast.h);
         * jansson the rest, and says what is wrong with a bad one */
        json_error_t je;
        json_t *row = json_fast_to_jansson(line, len, FAST_DEPTH);
        if (!row)
            row = json_loadb(line, len, JSON_ALLOW_NUL, &je);
        if (!row) {
            c->read++;
            ds_malformed(c, "invalid JSON: %s (column %d)", je.text, je.column);
            continue;
        }
        handle_row(c, row, &first);
        json_decref(row);
    } while ((r = bsrc_getline(src, &line, &len, max)) == 1);
    free(short_line);
    if (r < 0)
        read_error(c, src);
}

static void run_array(ds_ctx *c, bsrc *src, char *line, size_t len)
{
    obuf all = {0};
    int r;
    do {
        obuf_put(&all, line, len);
        obuf_putc(&all, '\n');
    } while ((r = bsrc_getline(src, &line, &len, 0)) == 1);
    if (r < 0)
        read_error(c, src);
    json_error_t je;
    json_t *arr = json_loadb(all.p, all.n, JSON_ALLOW_NUL, &je);
    obuf_free(&all);
    if (!arr || !json_is_array(arr))
        die(EX_DATAERR, "%s: %s: line %d: invalid JSON array: %s", c->fmt->name, cli_input_name(c->path), je.line,
            arr ? "not an array" : je.text);
    int first = 1;
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row) {
        snprintf(c->where, sizeof c->where, "element %zu", i + 1);
        handle_row(c, row, &first);
    }
    json_decref(arr);
}

/* A stream of JSON values that are not one per line (jq's and json.dump's
 * indent output): the input is read whole, then parsed value after value.
 * One object holding a list of rows is refused with a message saying so
 * (it would otherwise fail as "missing fields"). */
static void run_values(ds_ctx *c, bsrc *src, char *line, size_t len)
{
    obuf all = {0};
    int r;
    do {
        obuf_put(&all, line, len);
        obuf_putc(&all, '\n');
    } while ((r = bsrc_getline(src, &line, &len, 0)) == 1);
    if (r < 0)
        read_error(c, src);
    int first = 1;
    size_t off = 0, k = 0;
    while (off < all.n) {
        while (off < all.n && (all.p[off] == ' ' || all.p[off] == '\n' || all.p[off] == '\t' || all.p[off] == '\r'))
            off++;
        if (off == all.n)
            break;
        json_error_t je;
        json_t *row = json_loadb(all.p + off, all.n - off, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je);
        if (!row) {
            size_t ln = 1;
            for (size_t i = 0; i < off; i++)
                ln += all.p[i] == '\n';
            die(EX_DATAERR, "%s: %s: line %zu: invalid JSON in a pretty-printed file: %s", c->fmt->name,
                cli_input_name(c->path), ln + (size_t)(je.line > 0 ? je.line - 1 : 0), je.text);
        }
        off += je.position;
        snprintf(c->where, sizeof c->where, "object %zu", ++k);
        if (k == 1 && json_is_object(row) && json_object_size(row) == 1) {
            const char *key = json_object_iter_key(json_object_iter(row));
            json_t *v = json_object_iter_value(json_object_iter(row));
            if (json_is_array(v) && json_is_object(json_array_get(v, 0)))
                die(EX_DATAERR, "%s: %s: one JSON object holding a list under '%s', not rows: pref-load reads "
                    "JSON lines, a JSON array of rows or a stream of (pretty-printed) row objects; extract the "
                    "list first (jq -c '.%s[]')", c->fmt->name, cli_input_name(c->path), key, key);
        }
        handle_row(c, row, &first);
        json_decref(row);
    }
    obuf_free(&all);
}

static void run_csv(ds_ctx *c, bsrc *src, char *line, size_t len)
{
    line_src ls = {src, line, len, 1};
    csv_reader cr;
    csv_init(&cr, next_line, &ls);
    if (csv_next(&cr) != 1)
        die(EX_DATAERR, "%s: %s: no CSV header: %s", c->fmt->name, cli_input_name(c->path), csv_error(&cr));
    size_t nh = csv_nfields(&cr);
    char **head = xmalloc(nh * sizeof *head);
    for (size_t i = 0; i < nh; i++)
        head[i] = xstrdup(csv_field(&cr, i, NULL));
    int first = 1, r;
    while ((r = csv_next(&cr)) == 1) {
        snprintf(c->where, sizeof c->where, "line %llu", (unsigned long long)cr.record_line);
        if (csv_nfields(&cr) != nh) {
            c->read++;
            ds_malformed(c, "%zu CSV fields where the header has %zu", csv_nfields(&cr), nh);
            continue;
        }
        json_t *row = json_object();
        for (size_t i = 0; i < nh; i++) {
            size_t fl;
            const char *f = csv_field(&cr, i, &fl);
            json_object_set_new(row, head[i], json_stringn(f, fl));
        }
        handle_row(c, row, &first);
        json_decref(row);
    }
    if (r < 0) {
        if (bsrc_error(src)[0])
            read_error(c, src);
        die(EX_DATAERR, "%s: %s: %s", c->fmt->name, cli_input_name(c->path), csv_error(&cr));
    }
    for (size_t i = 0; i < nh; i++)
        free(head[i]);
    free(head);
    csv_free(&cr);
}

/* Nothing, or almost nothing, of the input was a row of this format. */
static void refuse_if_unusable(const ds_ctx *c)
{
    if (c->read == 0 || c->malformed * 100 < c->read * DS_MALFORMED_PCT)
        return;
    char why[DS_FIRST_REASONS * 170] = "";
    for (uint64_t i = 0; i < c->malformed && i < DS_FIRST_REASONS; i++) {
        size_t l = strlen(why);
        snprintf(why + l, sizeof why - l, "%s%s", i ? "; " : "", c->first_why[i]);
    }
    die(EX_DATAERR, "%s: %s: %llu of %llu rows malformed (%d%% or more refuses the input): is this a %s file? "
        "first reasons: %s", c->fmt->name, cli_input_name(c->path), (unsigned long long)c->malformed,
        (unsigned long long)c->read, DS_MALFORMED_PCT, c->fmt->name, why);
}

static void print_summary(const ds_ctx *c)
{
    fprintf(stderr, "%s: %s: %llu read, %llu written, %llu dropped", progname, c->fmt->name,
            (unsigned long long)c->read, (unsigned long long)c->written, (unsigned long long)c->dropped);
    if (c->ndrops) {
        fputs(" (", stderr);
        for (size_t i = 0; i < c->ndrops; i++)
            fprintf(stderr, "%s%llu: %s", i ? ", " : "", (unsigned long long)c->drops[i].n, c->drops[i].reason);
        fputc(')', stderr);
    }
    if (c->empty_completions)
        fprintf(stderr, "; %llu empty completions removed", (unsigned long long)c->empty_completions);
    if (c->bst.na_ratings)
        fprintf(stderr, "; %llu N/A ratings excluded", (unsigned long long)c->bst.na_ratings);
    fputc('\n', stderr);
}

int ds_run(const ds_format *f, const char *path, const ds_opts *o, rstream *out)
{
    ds_ctx c;
    memset(&c, 0, sizeof c);
    c.fmt = f;
    c.opt = *o;
    c.out = out;
    c.path = path;
    c.required = f->required;
    c.emit = o->emit != EMIT_DEFAULT ? o->emit : f->rated ? EMIT_RATED : EMIT_PAIR;
    if (f->prompts && c.emit != EMIT_PROMPT) {
        if (o->emit != EMIT_DEFAULT)
            die(EX_USAGE, "--format %s is a prompt source (conversations, no preferences): it writes prompt records only",
                f->name);
        c.emit = EMIT_PROMPT;
    }
    if (c.emit == EMIT_RATED && !f->rated)
        die(EX_USAGE, "--format %s has pairwise preferences: it writes pair or prompt records, not rated", f->name);
    recb_init(&c.b);
    msgs_init(&c.m1);
    msgs_init(&c.m2);
    msgs_init(&c.m3);
    rated_init(&c.rated);
    bin_config_default(&c.bcfg);
    if (f->pair_config)
        f->pair_config(&c.bcfg);
    c.bcfg.keep_ties = o->keep_ties;
    c.bcfg.seed = o->seed;
    c.bp = xcalloc(c.bcfg.pairs_per_prompt ? c.bcfg.pairs_per_prompt : 1, sizeof *c.bp);
    if (f->init)
        f->init(&c);

    bsrc *src = bsrc_open(path);
    if (!src)
        die(EX_NOINPUT, "%s: cannot open: %s", cli_input_name(path), strerror(errno));
    progress_init(&prog, "rows", 0, o->progress);
    char *line;
    size_t len;
    int r;
    while ((r = bsrc_getline(src, &line, &len, rs_max_record())) == 1 && str_is_blank(line, len))
        ;
    if (r < 0)
        read_error(&c, src);
    if (r == 1) {
        const char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\xef' || *p == '\xbb' || *p == '\xbf')
            p++;
        const char *e = line + len;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            e--;
        if (*p == '[')
            run_array(&c, src, line, len);
        else if (*p == '{' && e == p + 1)
            run_values(&c, src, line, len);
        else if (*p == '{' || !f->csv)
            run_jsonl(&c, src, line, len);
        else
            run_csv(&c, src, line, len);
    }
    if (f->finish)
        f->finish(&c);
    bsrc_close(src);
    refuse_if_unusable(&c);
    progress_finish(&prog);
    print_summary(&c);
    free(c.bp);
    rated_free(&c.rated);
    msgs_free(&c.m1);
    msgs_free(&c.m2);
    msgs_free(&c.m3);
    recb_free(&c.b);
    return 0;
}
