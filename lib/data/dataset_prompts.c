/*
 * dataset_prompts.c — prompt sources, the corpora App. J mined for
 * unlabelled prompts: WildChat (allenai/WildChat, WildChat-1M) and
 * LMSYS-Chat-1M (lmsys/lmsys-chat-1m), as JSON lines (the Hub ships
 * parquet: convert with any parquet reader, one row per line).
 *
 * Both hold whole conversations: `conversation`, a list of {role, content}
 * messages (WildChat adds per-turn language, turn_identifier, ...).  The
 * paper kept "only the prompts and throw[s] away the accompanying model
 * responses"; it does not say what it did with later turns, which depend
 * on the responses it threw away, so a record's prompt is the FIRST user
 * turn alone (whitespace stripped).  Conversations without a non-empty
 * user turn are dropped ("no user turn").  Ids are the source's
 * conversation_hash (WildChat) or conversation_id (LMSYS).  These formats
 * write prompt records only; tagging, selecting and deduplicating them is
 * pref-tag's job (pipelines/mine-prompts.sh).
 */
#include "data/dataset.h"
#include "base/util.h"

#include <string.h>

static void first_user_turn(ds_ctx *c, json_t *row, const char *idkey)
{
    json_t *conv = json_object_get(row, "conversation");
    if (!json_is_array(conv)) {
        ds_malformed(c, "'conversation' is not a list of messages");
        return;
    }
    const char *why;
    if (ds_msgs(conv, &c->m1, &why) < 0) {
        ds_malformed(c, "'conversation': %s", why);
        return;
    }
    size_t i = 0;
    while (i < c->m1.n && c->m1.m[i].role != ROLE_USER)
        i++;
    const char *s = i < c->m1.n ? c->m1.m[i].s : "";
    size_t n = i < c->m1.n ? c->m1.m[i].n : 0;
    str_strip(&s, &n);
    if (n == 0) {
        ds_drop(c, "no user turn");
        return;
    }
    msgs_clear(&c->m2);
    msgs_push(&c->m2, ROLE_USER, s, n);
    ds_pair p = {.prompt = &c->m2, .nprompt = 1};
    char buf[32];
    p.id = ds_id(row, idkey, buf, sizeof buf, &p.idlen);
    ds_emit_pair(c, &p);
}

static void wildchat_row(ds_ctx *c, json_t *row) { first_user_turn(c, row, "conversation_hash"); }
static void lmsys_row(ds_ctx *c, json_t *row) { first_user_turn(c, row, "conversation_id"); }

const ds_format ds_fmt_wildchat = {
    .name = "wildchat", .summary = "allenai/WildChat(-1M) conversations: first user turn as a prompt (App. J)",
    .required = "conversation", .prompts = 1, .row = wildchat_row};

const ds_format ds_fmt_lmsys_chat_1m = {
    .name = "lmsys-chat-1m", .summary = "lmsys/lmsys-chat-1m conversations: first user turn as a prompt (App. J)",
    .required = "conversation", .prompts = 1, .row = lmsys_row};
