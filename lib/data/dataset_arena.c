/*
 * dataset_arena.c — Chatbot Arena votes: lmsys/chatbot_arena_conversations
 * (2023; conversations as message lists, `winner` names the side) and
 * lmsys/lmsys-arena-human-preference-55k (2024; CSV or JSON lines, prompt
 * and responses as JSON-encoded lists of strings, one-hot winner columns).
 *
 * The paper's conversion: ties are dropped ("tie") and so are multi-turn
 * conversations ("multi-turn"), because the two sides diverge after the
 * first turn while the vote rates the whole conversation.  --keep-ties
 * keeps a tie as a pair with margin 0 (side A as "chosen");
 * --keep-multiturn keeps the first exchange only (the first user turn and
 * each side's first reply).
 */
#include "data/dataset.h"
#include "base/util.h"

#include <string.h>

static void put_models(ds_pair *p, json_t *row, int a_wins)
{
    const char *ma = NULL, *mb = NULL;
    size_t na = 0, nb = 0;
    if (ds_str(row, "model_a", &ma, &na) != 1)
        ma = NULL;
    if (ds_str(row, "model_b", &mb, &nb) != 1)
        mb = NULL;
    p->chosen_model = a_wins ? ma : mb;
    p->cmlen = a_wins ? na : nb;
    p->rejected_model = a_wins ? mb : ma;
    p->rmlen = a_wins ? nb : na;
}

/* ---- 2023 conversations ---- */

static void arena_row(ds_ctx *c, json_t *row)
{
    const char *w, *why;
    size_t nw;
    if (ds_str(row, "winner", &w, &nw) != 1) {
        ds_malformed(c, "'winner' must be a string");
        return;
    }
    int a_wins;
    if (nw == 7 && memcmp(w, "model_a", 7) == 0)
        a_wins = 1;
    else if (nw == 7 && memcmp(w, "model_b", 7) == 0)
        a_wins = 0;
    else if (nw >= 3 && memcmp(w, "tie", 3) == 0) {
        if (!c->opt.keep_ties) {
            ds_drop(c, "tie");
            return;
        }
        a_wins = -1;
    } else {
        ds_malformed(c, "unknown winner '%.*s'", (int)(nw > 40 ? 40 : nw), w);
        return;
    }
    if (ds_msgs(json_object_get(row, "conversation_a"), &c->m1, &why) < 0 ||
        ds_msgs(json_object_get(row, "conversation_b"), &c->m2, &why) < 0) {
        ds_malformed(c, "conversation: %s", why);
        return;
    }
    double turn = 1;
    ds_num(row, "turn", &turn);
    if (turn > 1 || c->m1.n > 2 || c->m2.n > 2) {
        if (!c->opt.keep_multiturn) {
            ds_drop(c, "multi-turn");
            return;
        }
        if (c->m1.n > 2)
            c->m1.n = 2;
        if (c->m2.n > 2)
            c->m2.n = 2;
    }
    ds_pair p = {0};
    char buf[32];
    p.id = ds_id(row, "question_id", buf, sizeof buf, &p.idlen);
    put_models(&p, row, a_wins != 0);
    if (a_wins < 0) {
        p.margin = 0;
        p.has_margin = 1;
    }
    if (a_wins == 0)
        ds_emit_conv_pair(c, &p, &c->m2, &c->m1);
    else
        ds_emit_conv_pair(c, &p, &c->m1, &c->m2);
}

const ds_format ds_fmt_chatbot_arena = {
    .name = "chatbot-arena", .summary = "lmsys/chatbot_arena_conversations (2023): conversation_a/b, winner",
    .required = "winner conversation_a conversation_b", .row = arena_row};

/* ---- 2024 55k ---- */

/* A JSON-encoded list of strings (or a list already), decoded. */
static json_t *turn_list(json_t *row, const char *key, const char **why)
{
    json_t *v = json_object_get(row, key);
    if (json_is_array(v))
        return json_incref(v);
    if (!json_is_string(v)) {
        *why = "must be a list of strings or its JSON text";
        return NULL;
    }
    json_error_t je;
    json_t *l = json_loadb(json_string_value(v), json_string_length(v), JSON_ALLOW_NUL, &je);
    if (!json_is_array(l)) {
        json_decref(l);
        *why = "is not a JSON-encoded list";
        return NULL;
    }
    return l;
}

static int turn_text(json_t *l, size_t i, const char **s, size_t *n)
{
    json_t *e = json_array_get(l, i);
    if (json_is_null(e)) {
        *s = "";
        *n = 0;
        return 0;
    }
    if (!json_is_string(e))
        return -1;
    *s = json_string_value(e);
    *n = json_string_length(e);
    return 0;
}

static void arena55k_row(ds_ctx *c, json_t *row)
{
    double wa, wb, wt;
    if (ds_num(row, "winner_model_a", &wa) != 1 || ds_num(row, "winner_model_b", &wb) != 1 ||
        ds_num(row, "winner_tie", &wt) != 1 || wa + wb + wt != 1 || (wa != 0 && wa != 1) || (wb != 0 && wb != 1)) {
        ds_malformed(c, "winner_model_a/winner_model_b/winner_tie must be one-hot 0/1");
        return;
    }
    if (wt == 1 && !c->opt.keep_ties) {
        ds_drop(c, "tie");
        return;
    }
    const char *why = NULL, *bad = "prompt";
    json_t *pl = turn_list(row, "prompt", &why), *ra = NULL, *rb = NULL;
    if (pl && (bad = "response_a", ra = turn_list(row, "response_a", &why)) &&
        (bad = "response_b", rb = turn_list(row, "response_b", &why))) {
        size_t nt = json_array_size(pl);
        if (nt == 0 || json_array_size(ra) != nt || json_array_size(rb) != nt) {
            ds_malformed(c, "prompt and responses must be non-empty lists of the same length");
        } else if (nt > 1 && !c->opt.keep_multiturn) {
            ds_drop(c, "multi-turn");
        } else {
            const char *u, *x, *y;
            size_t nu, nx, ny;
            if (turn_text(pl, 0, &u, &nu) < 0 || turn_text(ra, 0, &x, &nx) < 0 || turn_text(rb, 0, &y, &ny) < 0) {
                ds_malformed(c, "a turn is neither a string nor null");
            } else {
                msgs_clear(&c->m1);
                msgs_push(&c->m1, ROLE_USER, u, nu);
                int a_wins = wb != 1;
                ds_pair p = {.prompt = &c->m1, .nprompt = 1, .chosen = a_wins ? x : y, .clen = a_wins ? nx : ny,
                             .rejected = a_wins ? y : x, .rlen = a_wins ? ny : nx};
                char buf[32];
                p.id = ds_id(row, "id", buf, sizeof buf, &p.idlen);
                put_models(&p, row, a_wins);
                if (wt == 1) {
                    p.margin = 0;
                    p.has_margin = 1;
                }
                ds_emit_pair(c, &p);
            }
        }
    } else {
        ds_malformed(c, "'%s' %s", bad, why);
    }
    json_decref(pl);
    json_decref(ra);
    json_decref(rb);
}

const ds_format ds_fmt_arena_55k = {
    .name = "arena-55k", .summary = "lmsys/lmsys-arena-human-preference-55k (2024), CSV or JSON lines",
    .required = "prompt response_a response_b winner_model_a winner_model_b winner_tie", .csv = 1,
    .row = arena55k_row};
