/*
 * load.c — the benchmark loaders (see load.h).
 *
 * Records are packed into a per-group list (one group per file, or per
 * BBH task) and written when the group ends, so --limit can choose by hash
 * without a second pass.  The data files are a few MB at most.
 *
 * Every record is checked as a reader of the stream will check it (size
 * limit, depth, UTF-8 strings, string keys) when it is added, so a file
 * with, say, invalid UTF-8 in a CSV cell or a field over PREFPIPE_MAX_RECORD
 * fails here (exit 65, naming the line) instead of writing records the next
 * stage rejects.
 */
#include "eval/load.h"
#include "base/inputs.h"
#include "eval/load_int.h"
#include "eval/bench_prompts.h"
#include "io/bytesrc.h"
#include "eval/common.h"
#include "eval/gsm8k.h"
#include "eval/ifeval.h"
#include "io/jsonconv.h"
#include "io/mpscan.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void group_init(group *g)
{
    memset(g, 0, sizeof *g);
    msgpack_sbuffer_init(&g->sb);
    msgpack_packer_init(&g->pk, &g->sb, msgpack_sbuffer_write);
}

/* The records packed in d[0..n) (MMLU packs four at once) must pass the
 * checks every reader applies; else die naming the input and place. */
static void check_packed(const char *d, size_t n, const char *path, const char *where)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    for (size_t off = 0; off < n;) {
        size_t end = 0, used = 0;
        int r = mpscan((const unsigned char *)d + off, n - off, rs_max_record(), rs_max_depth(), &end);
        if (r == MPSCAN_BIG || (r == MPSCAN_OK && end > rs_max_record()))
            die(EX_DATAERR, "%s: %s: the record would be over the limit of %zu bytes (PREFPIPE_MAX_RECORD)",
                cli_input_name(path), where, rs_max_record());
        if (r == MPSCAN_DEEP)
            die(EX_DATAERR, "%s: %s: the record would be nested too deep (PREFPIPE_MAX_DEPTH)", cli_input_name(path),
                where);
        if (r != MPSCAN_OK || msgpack_unpack_next(&u, d + off, end, &used) != MSGPACK_UNPACK_SUCCESS)
            die(EX_SOFTWARE, "%s: %s: packed an invalid record", cli_input_name(path), where);
        const char *e = rs_check_record(&u.data, rs_max_depth());
        if (e)
            die(EX_DATAERR, "%s: %s: %s", cli_input_name(path), where, e);
        off += end;
    }
    msgpack_unpacked_destroy(&u);
}

/* Take the record packed in g->sb under `id`. */
void group_add(group *g, const char *id, uint64_t seed, const char *path, const char *where)
{
    check_packed(g->sb.data, g->sb.size, path, where);
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 256;
        g->v = xrealloc(g->v, g->cap * sizeof *g->v);
    }
    pending *p = &g->v[g->n];
    p->key = hash64(id, strlen(id), seed);
    p->idx = g->n++;
    p->raw = xmalloc(g->sb.size);
    memcpy(p->raw, g->sb.data, g->sb.size);
    p->len = g->sb.size;
    msgpack_sbuffer_clear(&g->sb);
}

static int by_key(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_idx(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void group_flush(group *g, const bench_opts *o, rstream *out)
{
    size_t keep = g->n;
    long long limit = o->limit;
    if (limit >= 0 && (size_t)limit < g->n && o->python) {
        size_t *pick = xmalloc(((size_t)limit + 1) * sizeof *pick);
        pyrandom_sample(o->python, g->n, (size_t)limit, pick);
        for (size_t i = 0; i < (size_t)limit; i++) {
            rs_write(out, g->v[pick[i]].raw, g->v[pick[i]].len);
        }
        for (size_t i = 0; i < g->n; i++)
            free(g->v[i].raw);
        free(pick);
        g->n = 0;
        return;
    }
    if (limit >= 0 && (size_t)limit < g->n) {
        qsort(g->v, g->n, sizeof *g->v, by_key);
        for (size_t i = (size_t)limit; i < g->n; i++)
            free(g->v[i].raw);
        keep = (size_t)limit;
        qsort(g->v, keep, sizeof *g->v, by_idx);
    }
    for (size_t i = 0; i < keep; i++) {
        rs_write(out, g->v[i].raw, g->v[i].len);
        free(g->v[i].raw);
    }
    g->n = 0;
}

void group_free(group *g)
{
    free(g->v);
    msgpack_sbuffer_destroy(&g->sb);
}

/* ---- record layout ---- */

/* Pack id, source, prompt, meta; then the "gold" key and a map header of
 * ngold entries that the caller fills. */
void begin_record(msgpack_packer *pk, const char *id, const char *source, const char *user,
                         const char *asst_prefix, const bench_opts *o, uint32_t ngold)
{
    int with_prefix = asst_prefix && !o->plain;
    msgpack_pack_map(pk, 5);
    pack_str(pk, "id"), pack_str(pk, id);
    pack_str(pk, "source"), pack_str(pk, source);
    pack_str(pk, "prompt");
    msgpack_pack_array(pk, with_prefix ? 2 : 1);
    msgpack_pack_map(pk, 2);
    pack_str(pk, "role"), pack_str(pk, "user");
    pack_str(pk, "content"), pack_str(pk, user);
    if (with_prefix) {
        msgpack_pack_map(pk, 2);
        pack_str(pk, "role"), pack_str(pk, "assistant");
        pack_str(pk, "content"), pack_str(pk, asst_prefix);
    }
    pack_str(pk, "meta");
    msgpack_pack_map(pk, 1);
    pack_str(pk, "format"), pack_str(pk, o->plain ? "plain" : "chat");
    pack_str(pk, "gold");
    msgpack_pack_map(pk, ngold);
}

const char *shown(const char *p) { return strcmp(p, "-") == 0 ? "stdin" : p; }

bsrc *open_src(const char *path)
{
    bsrc *s = bsrc_open(path);
    if (!s)
        die(EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    return s;
}

static json_t *line_json(const char *path, bsrc *s, const char *line, size_t len)
{
    json_error_t je;
    json_t *v = json_loadb(line, len, 0, &je);
    if (!v || !json_is_object(v))
        die(EX_DATAERR, "%s: line %llu: not a JSON object%s%s", cli_input_name(path), (unsigned long long)bsrc_lineno(s),
            v ? "" : ": ", v ? "" : je.text);
    return v;
}

static const char *jstr(json_t *o, const char *key, const char *path, const char *where)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        die(EX_DATAERR, "%s: %s: no string field '%s'", cli_input_name(path), where, key);
    return json_string_value(v);
}

char *slurp(const char *path, size_t *n)
{
    bsrc *s = open_src(path);
    char *t = bsrc_slurp(s, n, (size_t)1 << 30);
    if (!t)
        die(EX_DATAERR, "%s: %s", cli_input_name(path), bsrc_error(s));
    bsrc_close(s);
    return t;
}

/* ---- GSM8K ---- */

void bench_load_gsm8k(const char *path, const bench_opts *o, rstream *out)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t bl = strcspn(base, ".");
    char split[64];
    snprintf(split, sizeof split, "%.*s", (int)(bl ? bl : 1), bl ? base : "-");
    bsrc *s = open_src(path);
    group g;
    group_init(&g);
    char *line, where[64], id[128];
    size_t len;
    int r;
    uint64_t n = 0;
    int shots = o->shots < 0 ? GSM8K_MAX_SHOTS : o->shots;
    while ((r = bsrc_getline(s, &line, &len, 0)) == 1) {
        if (strspn(line, " \t") == len)
            continue;
        snprintf(where, sizeof where, "line %llu", (unsigned long long)bsrc_lineno(s));
        json_t *v = line_json(path, s, line, len);
        const char *q = jstr(v, "question", path, where), *a = jstr(v, "answer", path, where);
        size_t an = strlen(a);
        char *gold = xmalloc(an + 1);
        long gn = gsm8k_gold_from_solution(a, an, gold);
        if (gn <= 0)
            die(EX_DATAERR, "%s: %s: the answer has no '#### N' gold number", cli_input_name(path), where);
        snprintf(id, sizeof id, "gsm8k:%s:%llu", split, (unsigned long long)n++);
        char *prompt = gsm8k_prompt(q, shots, o->plain);
        begin_record(&g.pk, id, "gsm8k", prompt, "Answer:", o, 2);
        pack_str(&g.pk, "answer"), pack_strn(&g.pk, gold, (size_t)gn);
        pack_str(&g.pk, "solution"), pack_str(&g.pk, a);
        group_add(&g, id, o->seed, path, where);
        free(prompt);
        free(gold);
        json_decref(v);
    }
    if (r < 0)
        die(EX_DATAERR, "%s: %s", cli_input_name(path), bsrc_error(s));
    bsrc_close(s);
    group_flush(&g, o, out);
    group_free(&g);
}

/* ---- BBH ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int task_wanted(const bench_opts *o, const char *task)
{
    if (!o->tasks)
        return 1;
    for (const char **t = o->tasks; *t; t++)
        if (strcmp(*t, task) == 0)
            return 1;
    return 0;
}

static void bbh_task(const char *dir, const char *task, const bench_opts *o, group *g, rstream *out)
{
    char path[4096], cot[4096], where[64], id[256];
    snprintf(path, sizeof path, "%s/bbh/%s.json", dir, task);
    snprintf(cot, sizeof cot, "%s/cot-prompts/%s.txt", dir, task);
    char *block = NULL;
    if (o->shots != 0) {
        size_t cn;
        char *ct = slurp(cot, &cn);
        block = bbh_fewshot_block(ct, cn);
        free(ct);
    }
    size_t n;
    char *text = slurp(path, &n);
    json_error_t je;
    json_t *root = json_loadb(text, n, 0, &je), *ex;
    if (!root || !json_is_array(ex = json_object_get(root, "examples")))
        die(EX_DATAERR, "%s: not a BBH task file (an object with an 'examples' array)%s%s", path, root ? "" : ": ",
            root ? "" : je.text);
    for (size_t i = 0; i < json_array_size(ex); i++) {
        json_t *e = json_array_get(ex, i);
        snprintf(where, sizeof where, "examples[%zu]", i);
        if (!json_is_object(e))
            die(EX_DATAERR, "%s: %s: not an object", path, where);
        const char *input = jstr(e, "input", path, where), *target = jstr(e, "target", path, where);
        snprintf(id, sizeof id, "bbh:%s:%zu", task, i);
        char *prompt = bbh_prompt(block, input, o->plain);
        begin_record(&g->pk, id, "bbh", prompt, "A:", o, 2);
        pack_str(&g->pk, "task"), pack_str(&g->pk, task);
        pack_str(&g->pk, "target"), pack_str(&g->pk, target);
        group_add(g, id, o->seed, path, where);
        free(prompt);
    }
    group_flush(g, o, out);
    json_decref(root);
    free(text);
    free(block);
}

void bench_load_bbh(const char *dir, const bench_opts *o, rstream *out)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/bbh", dir);
    DIR *d = opendir(sub);
    if (!d)
        die(EX_NOINPUT, "%s: cannot open: %s (give the BBH root, with bbh/ and cot-prompts/)", sub, strerror(errno));
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        if (nn == cap)
            names = xrealloc(names, (cap = cap ? 2 * cap : 32) * sizeof *names);
        names[nn++] = xstrndup(de->d_name, l - 5);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    if (o->tasks)
        for (const char **t = o->tasks; *t; t++) {
            size_t i;
            for (i = 0; i < nn && strcmp(names[i], *t) != 0; i++)
                ;
            if (i == nn)
                die(EX_USAGE, "no BBH task '%s' in %s", *t, sub);
        }
    group g;
    group_init(&g);
    for (size_t i = 0; i < nn; i++) {
        if (task_wanted(o, names[i]))
            bbh_task(dir, names[i], o, &g, out);
        free(names[i]);
    }
    free(names);
    group_free(&g);
}

/* ---- IFEval ---- */

/* Every instruction of the packed record in g->sb must parse. */
static void ifeval_validate(const group *g, const char *path, const char *where)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, g->sb.data, g->sb.size, &off) != MSGPACK_UNPACK_SUCCESS)
        die(EX_SOFTWARE, "internal: cannot unpack a record just packed");
    const msgpack_object *gold = rec_get(&u.data, "gold");
    const msgpack_object *ids = rec_get(gold, "instruction_id_list"), *kw = rec_get(gold, "kwargs");
    for (uint32_t i = 0; i < ids->via.array.size; i++) {
        const msgpack_object *id = &ids->via.array.ptr[i];
        ifeval_inst in;
        char err[256];
        if (id->type != MSGPACK_OBJECT_STR ||
            ifeval_parse(id->via.str.ptr, id->via.str.size, &kw->via.array.ptr[i], &in, err, sizeof err) < 0)
            die(EX_DATAERR, "%s: %s: instruction %u: %s", cli_input_name(path), where, i,
                id->type == MSGPACK_OBJECT_STR ? err : "not a string");
        ifeval_inst_free(&in);
    }
    msgpack_unpacked_destroy(&u);
}

void bench_load_ifeval(const char *path, const bench_opts *o, rstream *out)
{
    bsrc *s = open_src(path);
    group g;
    group_init(&g);
    char *line, where[64], id[128], err[128];
    size_t len;
    int r;
    while ((r = bsrc_getline(s, &line, &len, 0)) == 1) {
        if (strspn(line, " \t") == len)
            continue;
        snprintf(where, sizeof where, "line %llu", (unsigned long long)bsrc_lineno(s));
        json_t *v = line_json(path, s, line, len);
        json_t *key = json_object_get(v, "key"), *ids = json_object_get(v, "instruction_id_list");
        json_t *kw = json_object_get(v, "kwargs");
        const char *prompt = jstr(v, "prompt", path, where);
        if (!json_is_integer(key) && !json_is_string(key))
            die(EX_DATAERR, "%s: %s: no integer 'key'", cli_input_name(path), where);
        if (!json_is_array(ids) || !json_is_array(kw) || json_array_size(ids) != json_array_size(kw))
            die(EX_DATAERR, "%s: %s: instruction_id_list and kwargs must be lists of the same length", cli_input_name(path),
                where);
        if (json_is_integer(key))
            snprintf(id, sizeof id, "ifeval:%lld", (long long)json_integer_value(key));
        else
            snprintf(id, sizeof id, "ifeval:%s", json_string_value(key));
        begin_record(&g.pk, id, "ifeval", prompt, NULL, o, 2);
        pack_str(&g.pk, "instruction_id_list");
        if (json_to_msgpack(ids, &g.pk, 0, 8, err, sizeof err) < 0)
            die(EX_DATAERR, "%s: %s: %s", cli_input_name(path), where, err);
        pack_str(&g.pk, "kwargs");
        if (json_to_msgpack(kw, &g.pk, 0, 8, err, sizeof err) < 0)
            die(EX_DATAERR, "%s: %s: %s", cli_input_name(path), where, err);
        ifeval_validate(&g, path, where);
        group_add(&g, id, o->seed, path, where);
        json_decref(v);
    }
    if (r < 0)
        die(EX_DATAERR, "%s: %s", cli_input_name(path), bsrc_error(s));
    bsrc_close(s);
    group_flush(&g, o, out);
    group_free(&g);
}

/* ---- XSTest (CSV) ---- */

/* One CSV row (RFC 4180 quoting, fields may span lines) from t[*pos..n);
 * fields are malloc'd into f (up to cap).  Returns the field count, 0 at
 * the end, -1 on an unterminated quote. */
int csv_row(const char *t, size_t n, size_t *pos, char **f, int cap)
{
    size_t i = *pos;
    if (i >= n)
        return 0;
    int nf = 0;
    obuf b = {0};
    for (;;) {
        b.n = 0;
        if (i < n && t[i] == '"') {
            i++;
            for (;;) {
                if (i >= n) {
                    obuf_free(&b);
                    return -1;
                }
                if (t[i] == '"') {
                    if (i + 1 < n && t[i + 1] == '"') {
                        obuf_putc(&b, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                obuf_putc(&b, t[i++]);
            }
        }
        while (i < n && t[i] != ',' && t[i] != '\n' && t[i] != '\r')
            obuf_putc(&b, t[i++]);
        if (nf < cap)
            f[nf++] = xstrndup(b.p ? b.p : "", b.n);
        if (i < n && t[i] == ',') {
            i++;
            continue;
        }
        if (i < n && t[i] == '\r')
            i++;
        if (i < n && t[i] == '\n')
            i++;
        break;
    }
    obuf_free(&b);
    *pos = i;
    return nf;
}

void bench_load_xstest(const char *path, const bench_opts *o, rstream *out)
{
    size_t n, pos = 0;
    char *t = slurp(path, &n);
    char *hdr[16], *f[16], id[128], where[64];
    int nh = csv_row(t, n, &pos, hdr, 16), c_id = -1, c_id1 = -1, c_type = -1, c_prompt = -1;
    for (int i = 0; i < nh; i++) {
        if (strcmp(hdr[i], "id_v2") == 0) c_id = i;
        if (strcmp(hdr[i], "id") == 0 || strcmp(hdr[i], "id_v1") == 0) c_id1 = i;
        if (strcmp(hdr[i], "type") == 0) c_type = i;
        if (strcmp(hdr[i], "prompt") == 0) c_prompt = i;
    }
    if (c_id < 0)
        c_id = c_id1;
    if (c_type < 0 || c_prompt < 0)
        die(EX_DATAERR, "%s: the CSV header needs 'type' and 'prompt' columns", cli_input_name(path));
    group g;
    group_init(&g);
    int nf;
    size_t line = 1;
    for (size_t i = 0; i < pos; i++)
        line += t[i] == '\n';
    for (uint64_t row = 1;; row++) {
        size_t start = pos, at = line; /* a quoted cell may span lines */
        if ((nf = csv_row(t, n, &pos, f, 16)) == 0)
            break;
        for (size_t i = start; i < pos; i++)
            line += t[i] == '\n';
        snprintf(where, sizeof where, "line %zu (row %llu)", at, (unsigned long long)row);
        if (nf < 0)
            die(EX_DATAERR, "%s: %s: unterminated quoted field", cli_input_name(path), where);
        if (nf == 1 && f[0][0] == 0) {
            free(f[0]);
            continue;
        }
        if (nf != nh)
            die(EX_DATAERR, "%s: %s: %d fields, the header has %d", cli_input_name(path), where, nf, nh);
        if (c_id >= 0 && f[c_id][0])
            snprintf(id, sizeof id, "xstest:%s", f[c_id]);
        else
            snprintf(id, sizeof id, "xstest:row%llu", (unsigned long long)row);
        int unsafe = strstr(f[c_type], "contrast") != NULL;
        begin_record(&g.pk, id, "xstest", f[c_prompt], NULL, o, 2);
        pack_str(&g.pk, "label"), pack_str(&g.pk, unsafe ? "unsafe" : "safe");
        pack_str(&g.pk, "type"), pack_str(&g.pk, f[c_type]);
        group_add(&g, id, o->seed, path, where);
        for (int i = 0; i < nf; i++)
            free(f[i]);
    }
    for (int i = 0; i < nh; i++)
        free(hdr[i]);
    free(t);
    group_flush(&g, o, out);
    group_free(&g);
}

/* ---- AlpacaEval ---- */

void bench_load_alpaca(const char *path, const bench_opts *o, rstream *out)
{
    size_t n;
    char *t = slurp(path, &n);
    json_error_t je;
    json_t *root = json_loadb(t, n, 0, &je);
    if (!root || !json_is_array(root))
        die(EX_DATAERR, "%s: not a JSON array%s%s", cli_input_name(path), root ? "" : ": ", root ? "" : je.text);
    group g;
    group_init(&g);
    char id[64], where[64];
    for (size_t i = 0; i < json_array_size(root); i++) {
        json_t *e = json_array_get(root, i);
        snprintf(where, sizeof where, "element %zu", i);
        if (!json_is_object(e))
            die(EX_DATAERR, "%s: %s: not an object", cli_input_name(path), where);
        const char *ins = jstr(e, "instruction", path, where), *ref = jstr(e, "output", path, where);
        json_t *ds = json_object_get(e, "dataset");
        snprintf(id, sizeof id, "alpaca-eval:%zu", i);
        begin_record(&g.pk, id, "alpaca-eval", ins, NULL, o, json_is_string(ds) ? 2 : 1);
        pack_str(&g.pk, "reference"), pack_str(&g.pk, ref);
        if (json_is_string(ds))
            pack_str(&g.pk, "dataset"), pack_str(&g.pk, json_string_value(ds));
        group_add(&g, id, o->seed, path, where);
    }
    json_decref(root);
    free(t);
    group_flush(&g, o, out);
    group_free(&g);
}
