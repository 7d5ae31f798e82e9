/*
 * test_train_data.c — records -> training examples, the spool and the
 * shuffle (lib/train/examples.c), and the batch layout (lib/train/batch.c):
 *  - a pair becomes two sequences whose response spans are exactly the
 *    ids chat_encode_response gives for the response;
 *  - keep-start keeps the first max_len ids, keep-end the last ones (the
 *    span start moves left by the cut), drop skips, and a prompt that fills
 *    the limit is skipped under keep-start; each is counted;
 *  - missing / empty / wrong-typed fields are skipped with their counter;
 *  - the spool gives back what was put in, and its hash depends on it;
 *  - the shuffle is a permutation, the same for the same (seed, epoch)
 *    and different across epochs and seeds;
 *  - a batch puts example i sequence k on row row0[i] + k, padded.
 */
#include "text/chat_template.h"
#include "check.h"
#include "io/record.h"
#include "train/batch.h"
#include "train/examples.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static msgpack_unpacked UP;

/* A pair/sft record; NULL fields are left out. */
static const msgpack_object *record(const char *user, const char *chosen, const char *rejected,
                                    const char *response)
{
    recb b;
    recb_init(&b);
    recb_put_str(&b, "id", "t");
    if (user) {
        msgpack_packer *pk = recb_begin(&b, "prompt");
        msgpack_pack_array(pk, 1);
        msgpack_pack_map(pk, 2);
        pack_str(pk, "role");
        pack_str(pk, "user");
        pack_str(pk, "content");
        pack_str(pk, user);
        recb_end(&b);
    }
    if (chosen) recb_put_str(&b, "chosen", chosen);
    if (rejected) recb_put_str(&b, "rejected", rejected);
    if (response) recb_put_str(&b, "response", response);
    const char *buf;
    size_t len, off = 0;
    recb_finish(&b, &buf, &len);
    static char copy[4096];
    memcpy(copy, buf, len);
    recb_free(&b);
    msgpack_unpacked_destroy(&UP);
    msgpack_unpacked_init(&UP);
    msgpack_unpack_next(&UP, copy, len, &off);
    return &UP.data;
}

static void examples(void)
{
    tokenizer *tok = tok_byte_new();
    train_prep p = {.tok = tok, .max_len = 1000, .trunc = TRUNC_KEEP_START, .want = TD_PAIR};
    train_counts c = {0};
    train_example ex;
    const char *why;
    /* reference encoding */
    chat_msg m = {"user", "hello", 5};
    int32_t *pi, *ri;
    long np, nr = chat_encode_response(tok, &m, 1, "yes!", 4, &pi, &np, &ri, NULL, 0);
    CHECK(nr == 5);   /* 4 bytes + EOS */
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 7, &ex, &c, &why) == 1);
    CHECK(ex.nseq == 2 && ex.recno == 7 && !ex.has_ref);
    CHECK(ex.start[0] == np && ex.len[0] == np + nr && ex.len[1] == np + 3);
    CHECK(memcmp(ex.ids[0], pi, sizeof(int32_t) * np) == 0);
    CHECK(memcmp(ex.ids[0] + np, ri, sizeof(int32_t) * nr) == 0);
    CHECK(train_example_tokens(&ex) == ex.len[0] + ex.len[1]);
    train_example_free(&ex);

    /* keep-start: first max_len ids, response shortened */
    p.max_len = (int)np + 2;
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &ex, &c, &why) == 1);
    CHECK(ex.len[0] == np + 2 && ex.start[0] == np && memcmp(ex.ids[0] + np, ri, 2 * sizeof(int32_t)) == 0);
    CHECK(c.truncated == 1);
    train_example_free(&ex);
    /* keep-end: last max_len ids */
    p.trunc = TRUNC_KEEP_END;
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &ex, &c, &why) == 1);
    CHECK(ex.len[0] == np + 2 && ex.start[0] == np - 3);
    CHECK(memcmp(ex.ids[0] + ex.start[0], ri, sizeof(int32_t) * nr) == 0);
    CHECK(c.truncated == 2);
    train_example_free(&ex);
    /* drop */
    p.trunc = TRUNC_DROP;
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &ex, &c, &why) == 0);
    CHECK(c.too_long == 1);
    /* the prompt alone fills the limit under keep-start */
    p.trunc = TRUNC_KEEP_START;
    p.max_len = (int)np;
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &ex, &c, &why) == 0);
    CHECK(c.too_long == 2 && strstr(why, "prompt alone"));
    p.max_len = 1000;
    /* missing, empty, wrong type */
    CHECK(train_example_from_record(&p, record("hello", "yes!", NULL, NULL), 1, &ex, &c, &why) == 0);
    CHECK(c.missing == 1 && strstr(why, "rejected"));
    CHECK(train_example_from_record(&p, record(NULL, "a", "b", NULL), 1, &ex, &c, &why) == 0);
    CHECK(c.missing == 2);
    CHECK(train_example_from_record(&p, record("hello", "", "b", NULL), 1, &ex, &c, &why) == 0);
    CHECK(c.empty == 1);
    p.allow_empty = 1;
    CHECK(train_example_from_record(&p, record("hello", "", "b", NULL), 1, &ex, &c, &why) == 1);
    CHECK(ex.len[0] - ex.start[0] == 1);   /* just EOS */
    train_example_free(&ex);
    /* sft: response, else the chosen side */
    p.want = TD_SFT;
    CHECK(train_example_from_record(&p, record("hello", NULL, NULL, "yes!"), 1, &ex, &c, &why) == 1);
    CHECK(ex.nseq == 1 && ex.len[0] == np + nr);
    train_example_free(&ex);
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &ex, &c, &why) == 1);
    CHECK(ex.nseq == 1 && memcmp(ex.ids[0] + np, ri, sizeof(int32_t) * nr) == 0);

    /* batch layout */
    train_example two[2];
    p.want = TD_PAIR;
    CHECK(train_example_from_record(&p, record("hello", "yes!", "no", NULL), 1, &two[1], &c, &why) == 1);
    two[0] = ex;
    train_batch b;
    train_batch_build(&b, two, 2);
    CHECK(b.sb.rows == 3 && b.row0[0] == 0 && b.row0[1] == 1 && b.sb.T == np + nr);
    CHECK(b.sb.valid[2 * b.sb.T + two[1].len[1] - 1] == 1 && b.sb.valid[2 * b.sb.T + two[1].len[1]] == 0);
    CHECK(b.sb.tokens[1 * b.sb.T + 0] == two[1].ids[0][0]);
    train_batch_free(&b);

    /* spool round trip */
    train_spool s;
    spool_open(&s);
    two[1].ref[0] = -3.5;
    two[1].ref[1] = -4.25;
    two[1].has_ref = 1;
    two[1].margin = 2;
    spool_add(&s, &two[0]);
    uint64_t h1 = s.hash;
    spool_add(&s, &two[1]);
    CHECK(s.n == 2 && s.hash != h1);
    /* the trainer reserves activations for the longest sequence once */
    int longest = two[0].len[0];
    for (int k = 0; k < 2; k++) if (two[1].len[k] > longest) longest = two[1].len[k];
    CHECK(s.max_nseq == 2 && s.max_len == longest);
    train_example back;
    spool_get(&s, 1, &back);
    CHECK(back.nseq == 2 && back.has_ref && back.ref[0] == -3.5 && back.ref[1] == -4.25 && back.margin == 2);
    CHECK(back.len[1] == two[1].len[1] && memcmp(back.ids[1], two[1].ids[1], sizeof(int32_t) * back.len[1]) == 0);
    train_example_free(&back);
    spool_get(&s, 0, &back);
    CHECK(back.nseq == 1 && back.len[0] == two[0].len[0] && memcmp(back.ids[0], two[0].ids[0], sizeof(int32_t) * back.len[0]) == 0);
    train_example_free(&back);
    spool_close(&s);
    train_example_free(&two[0]);
    train_example_free(&two[1]);

    tokenizer *t2 = tok_byte_new();
    char w[64];
    CHECK(tok_same(tok, t2, w, sizeof w) == 1);
    tok_free(t2);
    free(pi);
    free(ri);
    tok_free(tok);
    msgpack_unpacked_destroy(&UP);
}

static void shuffle(void)
{
    enum { N = 50 };
    size_t a[N], b[N], c[N], d[N];
    train_shuffle(a, N, 1, 0);
    train_shuffle(b, N, 1, 0);
    train_shuffle(c, N, 1, 1);
    train_shuffle(d, N, 2, 0);
    int seen[N] = {0}, ok = 1;
    for (int i = 0; i < N; i++) {
        if (a[i] >= N || seen[a[i]]++) ok = 0;
    }
    CHECK(ok);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    CHECK(memcmp(a, d, sizeof a) != 0);
    trunc_mode m;
    CHECK(trunc_parse("keep-end", &m) == 0 && m == TRUNC_KEEP_END);
    CHECK(trunc_parse("middle", &m) == -1);
}

int main(void)
{
    util_set_progname("test_train_data");
    msgpack_unpacked_init(&UP);
    examples();
    shuffle();
    return check_done("test_train_data");
}
