/*
 * dataset_pairs.c — formats that already hold a chosen and a rejected
 * response: Tulu 2.5 unified, TRL (standard/conversational, explicit or
 * implicit prompt), the generic field mapping, Capybara, Orca pairs,
 * UltraFeedback binarized (argilla and H4 shapes), AlpacaFarm, SHP.
 *
 * Every conversational shape is normalised to two whole conversations
 * (prompt + chosen, prompt + rejected) and handed to ds_emit_conv_pair,
 * which takes the common prefix as the prompt and requires exactly one
 * differing final assistant message on each side.  Ties (equal ratings,
 * Orca's "tie" status) are dropped unless --keep-ties.
 */
#include "data/dataset.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static msgs_t tmp;
static obuf joined;

/* Append a string (as one message of `role`) or a message list to dst. */
static int append_turns(msgs_t *dst, json_t *v, int role, const char **why)
{
    if (json_is_string(v)) {
        msgs_push(dst, role, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (json_is_array(v)) {
        if (ds_msgs(v, &tmp, why) < 0)
            return -1;
        for (size_t i = 0; i < tmp.n; i++)
            msgs_push_raw(dst, tmp.m[i].role, tmp.m[i].s, tmp.m[i].n);
        return 0;
    }
    *why = json_is_null(v) || !v ? "a required field is null or missing" : "expected a string or a list of messages";
    return -1;
}

static void put_margin(ds_pair *p, json_t *row, const char *a, const char *b)
{
    double x, y;
    if (ds_num(row, a, &x) == 1 && ds_num(row, b, &y) == 1) {
        p->margin = x - y;
        p->has_margin = 1;
    }
}

static void put_models(ds_pair *p, json_t *row, const char *a, const char *b)
{
    if (ds_str(row, a, &p->chosen_model, &p->cmlen) != 1)
        p->chosen_model = NULL;
    if (ds_str(row, b, &p->rejected_model, &p->rmlen) != 1)
        p->rejected_model = NULL;
}

/* Does a message list already start with the prompt (a non-assistant
 * turn)?  Then a separate prompt field beside it is only a copy. */
static int list_has_prompt(json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return 0;
    json_t *r = json_object_get(json_array_get(v, 0), "role");
    if (!r)
        r = json_object_get(json_array_get(v, 0), "from");
    return json_is_string(r) && role_parse(json_string_value(r), json_string_length(r)) != ROLE_ASSISTANT;
}

/* Shared by trl, generic and capybara: prompt (optional) + chosen/rejected. */
static void conv_row(ds_ctx *c, json_t *row, ds_pair *p, const char *kp, const char *kc, const char *kr)
{
    const char *why = NULL;
    json_t *pr = kp ? json_object_get(row, kp) : NULL;
    json_t *ch = json_object_get(row, kc), *rj = json_object_get(row, kr);
    if (!ch || json_is_null(ch) || !rj || json_is_null(rj)) {
        ds_malformed(c, "'%s' or '%s' is missing or null", kc, kr);
        return;
    }
    msgs_clear(&c->m1);
    msgs_clear(&c->m2);
    if (pr && !json_is_null(pr) && !list_has_prompt(ch)) {
        if (append_turns(&c->m1, pr, ROLE_USER, &why) < 0) {
            ds_malformed(c, "'%s': %s", kp, why);
            return;
        }
        for (size_t i = 0; i < c->m1.n; i++)
            msgs_push_raw(&c->m2, c->m1.m[i].role, c->m1.m[i].s, c->m1.m[i].n);
    } else if (json_is_string(ch) && json_is_string(rj)) {
        /* implicit prompt in plain strings: the common prefix, cut at a space */
        const char *a = json_string_value(ch), *b = json_string_value(rj);
        size_t na = json_string_length(ch), nb = json_string_length(rj), k = 0;
        while (k < na && k < nb && a[k] == b[k])
            k++;
        while (k > 0 && a[k - 1] != ' ' && a[k - 1] != '\n')
            k--;
        msgs_push(&c->m1, ROLE_USER, a, k);
        msgs_push(&c->m1, ROLE_ASSISTANT, a + k, na - k);
        msgs_push(&c->m2, ROLE_USER, b, k);
        msgs_push(&c->m2, ROLE_ASSISTANT, b + k, nb - k);
        ds_emit_conv_pair(c, p, &c->m1, &c->m2);
        return;
    }
    if (append_turns(&c->m1, ch, ROLE_ASSISTANT, &why) < 0 || append_turns(&c->m2, rj, ROLE_ASSISTANT, &why) < 0) {
        ds_malformed(c, "'%s'/'%s': %s", kc, kr, why);
        return;
    }
    ds_emit_conv_pair(c, p, &c->m1, &c->m2);
}

static int is_tie(ds_ctx *c, const ds_pair *p)
{
    if (p->has_margin && p->margin == 0 && !c->opt.keep_ties) {
        ds_drop(c, "tie");
        return 1;
    }
    return 0;
}

/* ---- tulu ---- */

static void tulu_row(ds_ctx *c, json_t *row)
{
    const char *why;
    if (ds_msgs(json_object_get(row, "chosen"), &c->m1, &why) < 0 ||
        ds_msgs(json_object_get(row, "rejected"), &c->m2, &why) < 0) {
        ds_malformed(c, "%s", why);
        return;
    }
    ds_pair p = {0};
    char buf[32];
    p.id = ds_id(row, "id", buf, sizeof buf, &p.idlen);
    if (ds_str(row, "source", &p.source, &p.slen) != 1)
        p.source = NULL;
    if (ds_num(row, "margin", &p.margin) == 1)
        p.has_margin = 1;
    ds_emit_conv_pair(c, &p, &c->m1, &c->m2);
}

const ds_format ds_fmt_tulu = {
    .name = "tulu", .summary = "Tulu 2.5 unified: chosen/rejected message lists, source, margin",
    .required = "chosen rejected", .row = tulu_row};

/* ---- trl ---- */

static void trl_row(ds_ctx *c, json_t *row)
{
    ds_pair p = {0};
    char buf[32];
    p.id = ds_id(row, "id", buf, sizeof buf, &p.idlen);
    conv_row(c, row, &p, "prompt", "chosen", "rejected");
}

const ds_format ds_fmt_trl = {
    .name = "trl", .summary = "TRL preference: prompt/chosen/rejected, strings or messages, explicit or implicit prompt",
    .required = "chosen rejected", .row = trl_row};

/* ---- generic ---- */

static struct {
    char *prompt, *chosen, *rejected, *id, *margin, *source;
    char required[256];
} gmap;

static void generic_init(ds_ctx *c)
{
    free(gmap.prompt), free(gmap.chosen), free(gmap.rejected), free(gmap.id), free(gmap.margin), free(gmap.source);
    memset(&gmap, 0, sizeof gmap);
    gmap.prompt = xstrdup("prompt");
    gmap.chosen = xstrdup("chosen");
    gmap.rejected = xstrdup("rejected");
    const char *m = c->opt.map ? c->opt.map : "";
    while (*m) {
        const char *e = strchr(m, ',');
        size_t n = e ? (size_t)(e - m) : strlen(m);
        const char *eq = memchr(m, '=', n);
        if (!eq || eq == m || eq == m + n - 1)
            die(EX_USAGE, "--map: '%.*s' is not FIELD=NAME", (int)n, m);
        size_t kn = (size_t)(eq - m);
        char *val = xstrndup(eq + 1, n - kn - 1);
        char **slot = kn == 6 && !memcmp(m, "prompt", 6)     ? &gmap.prompt
                      : kn == 6 && !memcmp(m, "chosen", 6)   ? &gmap.chosen
                      : kn == 8 && !memcmp(m, "rejected", 8) ? &gmap.rejected
                      : kn == 2 && !memcmp(m, "id", 2)       ? &gmap.id
                      : kn == 6 && !memcmp(m, "margin", 6)   ? &gmap.margin
                      : kn == 6 && !memcmp(m, "source", 6)   ? &gmap.source
                                                             : NULL;
        if (!slot)
            die(EX_USAGE, "--map: unknown field '%.*s' (prompt, chosen, rejected, id, margin, source)", (int)kn, m);
        free(*slot);
        *slot = val;
        m += n + (e ? 1 : 0);
    }
    snprintf(gmap.required, sizeof gmap.required, "%s %s", gmap.chosen, gmap.rejected);
    c->required = gmap.required;
}

static void generic_row(ds_ctx *c, json_t *row)
{
    ds_pair p = {0};
    char buf[32];
    if (gmap.id)
        p.id = ds_id(row, gmap.id, buf, sizeof buf, &p.idlen);
    if (gmap.margin && ds_num(row, gmap.margin, &p.margin) == 1)
        p.has_margin = 1;
    if (gmap.source && ds_str(row, gmap.source, &p.source, &p.slen) != 1)
        p.source = NULL;
    conv_row(c, row, &p, gmap.prompt, gmap.chosen, gmap.rejected);
}

const ds_format ds_fmt_generic = {
    .name = "generic", .summary = "any pairwise JSON: fields named by --map prompt=F,chosen=F,rejected=F[,id=F,margin=F,source=F]",
    .init = generic_init, .row = generic_row};

/* ---- capybara ---- */

static void capybara_row(ds_ctx *c, json_t *row)
{
    ds_pair p = {0};
    put_margin(&p, row, "rating_chosen", "rating_rejected");
    put_models(&p, row, "chosen_model", "rejected_model");
    if (is_tie(c, &p))
        return;
    conv_row(c, row, &p, "prompt", "chosen", "rejected");
}

const ds_format ds_fmt_capybara = {
    .name = "capybara", .summary = "argilla/distilabel-capybara-dpo-7k-binarized: full dialogues, ratings",
    .required = "chosen rejected", .row = capybara_row};

/* ---- orca pairs ---- */

static void orca_row(ds_ctx *c, json_t *row)
{
    const char *st;
    size_t sn;
    if (ds_str(row, "status", &st, &sn) == 1 && sn == 3 && memcmp(st, "tie", 3) == 0 && !c->opt.keep_ties) {
        ds_drop(c, "tie");
        return;
    }
    json_t *in = json_object_get(row, "input");
    if (!json_is_string(in)) {
        ds_malformed(c, "'input' is not a string");
        return;
    }
    ds_pair p = {0};
    /* The paper names only the release (App. B) and is silent on the system
     * prompt and on ties; dropping `system` is prefpipe's choice (every other
     * source's prompt is user turns only).  Its 12,859 pairs are the whole
     * release, so --keep-ties matches its count. */
    conv_row(c, row, &p, "input", "chosen", "rejected");
}

const ds_format ds_fmt_orca_pairs = {
    .name = "orca-pairs", .summary = "argilla/distilabel-intel-orca-dpo-pairs: input, chosen, rejected, status",
    .required = "input chosen rejected", .row = orca_row};

/* ---- ultrafeedback binarized ---- */

static void ufb_row(ds_ctx *c, json_t *row)
{
    ds_pair p = {0};
    char buf[32];
    p.id = ds_id(row, "prompt_id", buf, sizeof buf, &p.idlen);
    put_margin(&p, row, "chosen-rating", "rejected-rating");
    if (!p.has_margin)
        put_margin(&p, row, "score_chosen", "score_rejected");
    put_models(&p, row, "chosen-model", "rejected-model");
    if (is_tie(c, &p))
        return;
    conv_row(c, row, &p, "prompt", "chosen", "rejected");
}

const ds_format ds_fmt_ultrafeedback_binarized = {
    .name = "ultrafeedback-binarized",
    .summary = "argilla ultrafeedback-binarized-preferences-cleaned or HuggingFaceH4/ultrafeedback_binarized",
    .required = "prompt chosen rejected", .row = ufb_row};

/* ---- alpaca farm ---- */

static void alpaca_row(ds_ctx *c, json_t *row)
{
    const char *ins, *inp = "", *o1, *o2;
    size_t ni, np = 0, n1, n2;
    double pref;
    if (ds_str(row, "instruction", &ins, &ni) != 1 || ds_str(row, "output_1", &o1, &n1) != 1 ||
        ds_str(row, "output_2", &o2, &n2) != 1) {
        ds_malformed(c, "'instruction', 'output_1' and 'output_2' must be strings");
        return;
    }
    if (ds_str(row, "input", &inp, &np) < 0) {
        ds_malformed(c, "'input' is not a string");
        return;
    }
    if (ds_num(row, "preference", &pref) != 1 || (pref != 1 && pref != 2)) {
        ds_malformed(c, "'preference' must be 1 or 2");
        return;
    }
    str_strip(&ins, &ni);
    str_strip(&inp, &np);
    joined.n = 0;
    obuf_put(&joined, ins, ni);
    if (np) {
        obuf_put(&joined, "\n\n", 2);
        obuf_put(&joined, inp, np);
    }
    msgs_clear(&c->m1);
    msgs_push(&c->m1, ROLE_USER, joined.p ? joined.p : "", joined.n);
    ds_pair p = {.prompt = &c->m1, .nprompt = 1};
    p.chosen = pref == 1 ? o1 : o2;
    p.clen = pref == 1 ? n1 : n2;
    p.rejected = pref == 1 ? o2 : o1;
    p.rlen = pref == 1 ? n2 : n1;
    ds_emit_pair(c, &p);
}

const ds_format ds_fmt_alpaca_farm = {
    .name = "alpaca-farm", .summary = "tatsu-lab/alpaca_farm human or GPT-4 preference (JSON array or lines)",
    .required = "instruction output_1 output_2 preference", .row = alpaca_row};

/* ---- SHP ---- */

static void shp_row(ds_ctx *c, json_t *row)
{
    const char *h, *a, *b;
    size_t nh, na, nb;
    double label;
    if (ds_str(row, "history", &h, &nh) != 1 || ds_str(row, "human_ref_A", &a, &na) != 1 ||
        ds_str(row, "human_ref_B", &b, &nb) != 1) {
        ds_malformed(c, "'history', 'human_ref_A' and 'human_ref_B' must be strings");
        return;
    }
    if (ds_num(row, "labels", &label) != 1 || (label != 0 && label != 1)) {
        ds_malformed(c, "'labels' must be 0 or 1");
        return;
    }
    msgs_clear(&c->m1);
    msgs_push(&c->m1, ROLE_USER, h, nh);
    ds_pair p = {.prompt = &c->m1, .nprompt = 1};
    int a_wins = label == 1;
    p.chosen = a_wins ? a : b;
    p.clen = a_wins ? na : nb;
    p.rejected = a_wins ? b : a;
    p.rlen = a_wins ? nb : na;
    double sa, sb;
    if (ds_num(row, "score_A", &sa) == 1 && ds_num(row, "score_B", &sb) == 1) {
        p.margin = a_wins ? sa - sb : sb - sa;
        p.has_margin = 1;
    }
    const char *pid, *ca, *cb;
    size_t npid, nca, ncb;
    char idbuf[256];
    if (ds_str(row, "post_id", &pid, &npid) == 1 && ds_str(row, "c_root_id_A", &ca, &nca) == 1 &&
        ds_str(row, "c_root_id_B", &cb, &ncb) == 1 && npid + nca + ncb < 200) {
        p.idlen = (size_t)snprintf(idbuf, sizeof idbuf, "%.*s/%.*s/%.*s", (int)npid, pid, (int)nca, ca, (int)ncb, cb);
        p.id = idbuf;
    }
    ds_emit_pair(c, &p);
}

const ds_format ds_fmt_shp = {
    .name = "shp", .summary = "stanfordnlp/SHP-2: history, human_ref_A/B, labels, scores",
    .required = "history human_ref_A human_ref_B labels", .row = shp_row};
