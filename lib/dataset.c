/*
 * dataset.c — the pref-load driver: container detection, the first-row
 * format check, per-row dispatch, shared cleaning, drop accounting and the
 * summary line (contracts in dataset.h).
 */
#include "dataset.h"
#include "bytesrc.h"
#include "cli.h"
#include "csv.h"
#include "json_elide.h"
#include "jsonconv.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

extern const ds_format ds_fmt_tulu, ds_fmt_trl, ds_fmt_shp, ds_fmt_stack_exchange, ds_fmt_prm800k,
    ds_fmt_chatbot_arena, ds_fmt_arena_55k, ds_fmt_alpaca_farm, ds_fmt_hh_rlhf, ds_fmt_helpsteer,
    ds_fmt_capybara, ds_fmt_orca_pairs, ds_fmt_nectar, ds_fmt_ultrafeedback, ds_fmt_ultrafeedback_binarized,
    ds_fmt_generic;

static const ds_format *const formats[] = {
    &ds_fmt_tulu,          &ds_fmt_trl,          &ds_fmt_shp,       &ds_fmt_stack_exchange,
    &ds_fmt_prm800k,       &ds_fmt_chatbot_arena, &ds_fmt_arena_55k, &ds_fmt_alpaca_farm,
    &ds_fmt_hh_rlhf,       &ds_fmt_helpsteer,    &ds_fmt_capybara,  &ds_fmt_orca_pairs,
    &ds_fmt_nectar,        &ds_fmt_ultrafeedback, &ds_fmt_ultrafeedback_binarized, &ds_fmt_generic,
    NULL};

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
        fprintf(f, "%-24s %s%s\n", formats[i]->name, formats[i]->summary, formats[i]->rated ? " [rated]" : "");
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

static const char *shown(const char *path) { return strcmp(path, "-") == 0 ? "stdin" : path; }

void ds_malformed(ds_ctx *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->opt.strict)
        die(EX_DATAERR, "%s: %s: %s: %s (--strict)", c->fmt->name, shown(c->path), c->where, msg);
    if (c->warned++ < WARN_LIMIT)
        warnx_("%s: %s: %s: skipped malformed row: %s", c->fmt->name, shown(c->path), c->where, msg);
    ds_drop(c, "malformed row");
}

/* ---- JSON getters ---- */

int ds_str(json_t *o, const char *key, const char **s, size_t *n)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

int ds_num_value(json_t *v, double *out)
{
    if (!v || json_is_null(v))
        return 0;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || errno)
            return -1;
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end)
            return -1;
        *out = d;
        return 1;
    }
    return -1;
}

int ds_num(json_t *o, const char *key, double *v) { return ds_num_value(json_object_get(o, key), v); }

int ds_msgs(json_t *arr, msgs_t *out, const char **why)
{
    msgs_clear(out);
    if (!json_is_array(arr)) {
        *why = "expected a list of messages";
        return -1;
    }
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        if (!json_is_object(m)) {
            *why = "a message is not an object";
            return -1;
        }
        const char *r, *s = "";
        size_t rn, sn = 0;
        if (ds_str(m, "role", &r, &rn) != 1 && ds_str(m, "from", &r, &rn) != 1) {
            *why = "a message has no role";
            return -1;
        }
        int role = role_parse(r, rn);
        if (role < 0) {
            *why = "a message has an unknown role";
            return -1;
        }
        int k = ds_str(m, "content", &s, &sn);
        if (k == 0 && !json_object_get(m, "content"))
            k = ds_str(m, "value", &s, &sn);
        if (k < 0) {
            *why = "a message content is not a string";
            return -1;
        }
        if (k == 0)
            s = "", sn = 0;
        msgs_push(out, role, s, sn);
    }
    return 0;
}

const char *ds_id(json_t *o, const char *key, char *buf, size_t cap, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_length(v) > 0) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        *len = (size_t)snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* ---- emitting ---- */

static int prompt_ok(ds_ctx *c, const msgs_t *m, size_t n)
{
    if (n == 0) {
        ds_drop(c, "no prompt");
        return 0;
    }
    if (msgs_any_empty(m, n)) {
        ds_drop(c, "empty turn");
        return 0;
    }
    if (m->m[n - 1].role != ROLE_USER) {
        ds_drop(c, "prompt does not end with a user turn");
        return 0;
    }
    return 1;
}

static void write_record(ds_ctx *c)
{
    const char *buf;
    size_t len;
    recb_finish(&c->b, &buf, &len);
    rs_write(c->out, buf, len);
    c->written++;
}

static void emit_prompt(ds_ctx *c, const char *id, size_t idlen, const msgs_t *m, size_t n, const char *src,
                        size_t slen)
{
    char hex[17];
    if (!id) {
        id_hex(hash_msgs(0, m, n), hex);
        id = hex;
        idlen = 16;
    }
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), m, n);
    recb_end(&c->b);
    recb_put_strn(&c->b, "source", src, slen);
    write_record(c);
}

void ds_emit_pair(ds_ctx *c, const ds_pair *p)
{
    const char *ch = p->chosen, *rj = p->rejected;
    size_t cl = p->clen, rl = p->rlen;
    const char *src = c->opt.source ? c->opt.source : p->source ? p->source : c->fmt->name;
    size_t slen = c->opt.source ? strlen(c->opt.source) : p->source ? p->slen : strlen(c->fmt->name);
    if (!prompt_ok(c, p->prompt, p->nprompt))
        return;
    if (c->emit == EMIT_PROMPT) {
        emit_prompt(c, p->id, p->idlen, p->prompt, p->nprompt, src, slen);
        return;
    }
    if (!ch || !rj) {
        ds_drop(c, "no assistant reply");
        return;
    }
    str_strip(&ch, &cl);
    str_strip(&rj, &rl);
    if (cl == 0 || rl == 0) {
        ds_drop(c, "empty turn");
        return;
    }
    char hex[17];
    const char *id = p->id;
    size_t idlen = p->idlen;
    if (!id) {
        uint64_t h = hash_msgs(0, p->prompt, p->nprompt);
        h = hash_field(h, ch, cl);
        h = hash_field(h, rj, rl);
        id_hex(h, hex);
        id = hex;
        idlen = 16;
    }
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), p->prompt, p->nprompt);
    recb_end(&c->b);
    recb_put_strn(&c->b, "chosen", ch, cl);
    recb_put_strn(&c->b, "rejected", rj, rl);
    recb_put_strn(&c->b, "source", src, slen);
    if (p->has_margin)
        recb_put_f64(&c->b, "margin", p->margin);
    if (p->chosen_model)
        recb_put_strn(&c->b, "chosen_model", p->chosen_model, p->cmlen);
    if (p->rejected_model)
        recb_put_strn(&c->b, "rejected_model", p->rejected_model, p->rmlen);
    if (p->prompt_source) {
        msgpack_packer *pk = recb_begin(&c->b, "meta");
        msgpack_pack_map(pk, 1);
        pack_str(pk, "prompt_source");
        pack_strn(pk, p->prompt_source, p->pslen);
        recb_end(&c->b);
    }
    write_record(c);
}

void ds_emit_conv_pair(ds_ctx *c, ds_pair *p, const msgs_t *chosen, const msgs_t *rejected)
{
    if (msgs_any_empty(chosen, chosen->n) || msgs_any_empty(rejected, rejected->n)) {
        ds_drop(c, "empty turn");
        return;
    }
    if (chosen->n == 0 || rejected->n == 0 || chosen->m[chosen->n - 1].role != ROLE_ASSISTANT ||
        rejected->m[rejected->n - 1].role != ROLE_ASSISTANT) {
        ds_drop(c, "no assistant reply");
        return;
    }
    size_t k = msgs_common_prefix(chosen, rejected);
    if (k == chosen->n || k == rejected->n) {
        ds_drop(c, "identical conversations");
        return;
    }
    if (k + 1 != chosen->n || k + 1 != rejected->n) {
        ds_drop(c, "conversations diverge before the last turn");
        return;
    }
    p->prompt = chosen;
    p->nprompt = k;
    p->chosen = chosen->m[k].s;
    p->clen = chosen->m[k].n;
    p->rejected = rejected->m[k].s;
    p->rlen = rejected->m[k].n;
    ds_emit_pair(c, p);
}

static void pack_rated(ds_ctx *c, const char *id, size_t idlen, const msgs_t *prompt, const rated_t *r,
                       const char *ps, size_t pslen)
{
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), prompt, prompt->n);
    recb_end(&c->b);
    msgpack_packer *pk = recb_begin(&c->b, "completions");
    msgpack_pack_array(pk, r->n);
    for (size_t i = 0; i < r->n; i++) {
        const completion_t *cp = &r->c[i];
        int nk = 1 + (cp->rn > 0) + (cp->has_overall || cp->overall_na) + (cp->rank > 0) + (cp->model != NULL);
        msgpack_pack_map(pk, nk);
        pack_str(pk, "text");
        pack_strn(pk, cp->text, cp->tlen);
        if (cp->rn > 0) {
            pack_str(pk, "ratings");
            msgpack_pack_map(pk, cp->rn);
            for (size_t j = cp->r0; j < cp->r0 + cp->rn; j++) {
                pack_strn(pk, r->r[j].name, r->r[j].nlen);
                if (r->r[j].valid)
                    msgpack_pack_double(pk, r->r[j].v);
                else
                    msgpack_pack_nil(pk);
            }
        }
        if (cp->has_overall || cp->overall_na) {
            pack_str(pk, "overall");
            if (cp->has_overall)
                msgpack_pack_double(pk, cp->overall);
            else
                msgpack_pack_nil(pk);
        }
        if (cp->rank > 0) {
            pack_str(pk, "rank");
            msgpack_pack_int64(pk, cp->rank);
        }
        if (cp->model) {
            pack_str(pk, "model");
            pack_strn(pk, cp->model, cp->mlen);
        }
    }
    recb_end(&c->b);
    recb_put_str(&c->b, "source", c->opt.source ? c->opt.source : c->fmt->name);
    if (ps) {
        pk = recb_begin(&c->b, "meta");
        msgpack_pack_map(pk, 1);
        pack_str(pk, "prompt_source");
        pack_strn(pk, ps, pslen);
        recb_end(&c->b);
    }
    write_record(c);
}

void ds_emit_rated(ds_ctx *c, const char *id, size_t idlen, const msgs_t *prompt, rated_t *r, const char *ps,
                   size_t pslen)
{
    if (!prompt_ok(c, prompt, prompt->n))
        return;
    char hex[17];
    if (!id) {
        id_hex(hash_msgs(0, prompt, prompt->n), hex);
        id = hex;
        idlen = 16;
    }
    if (c->emit == EMIT_PROMPT) {
        const char *src = c->opt.source ? c->opt.source : c->fmt->name;
        emit_prompt(c, id, idlen, prompt, prompt->n, src, strlen(src));
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        completion_t cp = r->c[i];
        str_strip(&cp.text, &cp.tlen);
        if (cp.tlen == 0) {
            c->empty_completions++;
            continue;
        }
        r->c[w++] = cp;
    }
    r->n = w;
    if (r->n == 0) {
        ds_drop(c, "no completions");
        return;
    }
    if (c->emit == EMIT_RATED) {
        pack_rated(c, id, idlen, prompt, r, ps, pslen);
        return;
    }
    bin_stats before = c->bst;
    size_t k = binarize(&c->bcfg, r, id, idlen, c->bp, &c->bst);
    if (k == 0) {
        if (c->bst.too_few > before.too_few)
            ds_drop(c, "fewer than two scored completions");
        else if (c->bst.all_tied > before.all_tied)
            ds_drop(c, "all completions tie");
        else
            ds_drop(c, "no rejected candidate");
        return;
    }
    for (size_t j = 0; j < k; j++) {
        const completion_t *ch = &r->c[c->bp[j].chosen], *rj = &r->c[c->bp[j].rejected];
        char idk[256];
        ds_pair p = {.id = id, .idlen = idlen, .prompt = prompt, .nprompt = prompt->n,
                     .chosen = ch->text, .clen = ch->tlen, .rejected = rj->text, .rlen = rj->tlen,
                     .margin = c->bp[j].margin, .has_margin = 1,
                     .chosen_model = ch->model, .cmlen = ch->mlen, .rejected_model = rj->model, .rmlen = rj->mlen,
                     .prompt_source = ps, .pslen = pslen};
        if (k > 1 && idlen < 200) {
            p.idlen = (size_t)snprintf(idk, sizeof idk, "%.*s/%zu", (int)idlen, id, j + 1);
            p.id = idk;
        }
        ds_emit_pair(c, &p);
    }
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
    die(EX_DATAERR, "%s: %s: not a %s record: missing field%s %s (the row has: %s)", shown(c->path), c->where,
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
    die(EX_DATAERR, "%s: %s: %s", c->fmt->name, shown(c->path), bsrc_error(src));
}

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
        json_error_t je;
        json_t *row = json_loadb(line, len, JSON_ALLOW_NUL, &je);
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
        die(EX_DATAERR, "%s: %s: line %d: invalid JSON array: %s", c->fmt->name, shown(c->path), je.line,
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

static void run_csv(ds_ctx *c, bsrc *src, char *line, size_t len)
{
    line_src ls = {src, line, len, 1};
    csv_reader cr;
    csv_init(&cr, next_line, &ls);
    if (csv_next(&cr) != 1)
        die(EX_DATAERR, "%s: %s: no CSV header: %s", c->fmt->name, shown(c->path), csv_error(&cr));
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
        die(EX_DATAERR, "%s: %s: %s", c->fmt->name, shown(c->path), csv_error(&cr));
    }
    for (size_t i = 0; i < nh; i++)
        free(head[i]);
    free(head);
    csv_free(&cr);
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
        die(EX_NOINPUT, "%s: cannot open: %s", shown(path), strerror(errno));
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
        if (*p == '[')
            run_array(&c, src, line, len);
        else if (*p == '{' || !f->csv)
            run_jsonl(&c, src, line, len);
        else
            run_csv(&c, src, line, len);
    }
    if (f->finish)
        f->finish(&c);
    bsrc_close(src);
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
