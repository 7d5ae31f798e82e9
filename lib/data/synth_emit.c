/*
 * synth_emit.c — records of the synthetic world (see synth_emit.h).
 */
#include "data/synth_emit.h"

#include "base/shuffle.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hset_add(hset *h, uint64_t k)
{
    if (!k)
        k = 1;
    if (2 * (h->n + 1) > h->cap) {
        hset old = *h;
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->slot = xcalloc(h->cap, sizeof *h->slot);
        h->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i])
                hset_add(h, old.slot[i]);
        free(old.slot);
    }
    size_t i = k & (h->cap - 1);
    while (h->slot[i]) {
        if (h->slot[i] == k)
            return 0;
        i = (i + 1) & (h->cap - 1);
    }
    h->slot[i] = k;
    h->n++;
    return 1;
}

static int hset_has(const hset *h, uint64_t k)
{
    if (!k)
        k = 1;
    if (!h->cap)
        return 0;
    for (size_t i = k & (h->cap - 1); h->slot[i]; i = (i + 1) & (h->cap - 1))
        if (h->slot[i] == k)
            return 1;
    return 0;
}

static void draw_in_split(synth_emitter *e, long i, synth_prompt *p)
{
    const synth_opts *o = e->o;
    uint64_t key[3] = {o->seed, (uint64_t)o->split, (uint64_t)i};
    rng_t r;
    rng_seed(&r, hash64(key, sizeof key, 0x5e17));
    synth_cat cat = (synth_cat)o->cats[i % o->ncats];
    /* a new item while the category's split has unused ones, then only a
     * new phrasing: n prompts of a category ask min(n, items) items */
    int want_item = e->items_used[cat] < e->items[cat];
    for (int tries = 0;; tries++) {
        synth_draw_prompt(cat, &r, p);
        if (synth_split_of(p, o->seed) != (synth_split)o->split)
            continue;
        char id[64];
        synth_item_id(p, id, sizeof id);
        uint64_t item = hash64(id, strlen(id), o->seed ^ 0x17e3);
        if (want_item && tries < 100000) {
            if (hset_has(&e->seen_items, item))
                continue;
            hset_add(&e->seen_items, item);
            e->items_used[cat]++;
            hset_add(&e->seen, hash64(p->text, strlen(p->text), o->seed));
            return;
        }
        if (hset_add(&e->seen, hash64(p->text, strlen(p->text), o->seed)))
            return;
        if (tries > 2000) { /* this category's split is used up: repeat a prompt */
            e->dups++;
            return;
        }
    }
}

static void pack_prompt_msgs(msgpack_packer *pk, const char *text)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    pack_str(pk, "role");
    pack_str(pk, "user");
    pack_str(pk, "content");
    pack_str(pk, text);
}

/*                  name        aspect overall length asp-len unchecked */
const synth_rater synth_raters[] = {
    {"standard", 0,    0,   0,   0, 0,   "the --aspect-noise/--overall-noise/--length-bias knobs (0.1, 1.5, 2.5)"},
    {"careful",  0.02, 0.5, 0,   0, 0,   "an expert: rare aspect errors, a near-exact holistic rating"},
    {"crowd",    0.35, 3.0, 2.5, 0, 0,   "hurried crowd workers: frequent aspect errors, a very noisy holistic rating"},
    {"lengthy",  0.1,  1.5, 4.0, 1, 0,   "likes long answers: padded ones get +1 helpfulness and instruction following"},
    {"judge",    0.05, 1.0, 1.0, 0, 0.5, "a model judge: consistent, but half the time it does not check facts or sums"},
};
const int synth_nraters = (int)(sizeof synth_raters / sizeof synth_raters[0]);

const synth_rater *synth_find_rater(const char *name)
{
    for (int i = 0; i < synth_nraters; i++)
        if (strcmp(synth_raters[i].name, name) == 0)
            return &synth_raters[i];
    return NULL;
}

static int clampi(long v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : (int)v; }

static double gauss(rng_t *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static void emit_rated(recb *b, const synth_opts *o, const synth_rater *who, const synth_prompt *p, rng_t *r)
{
    /* standard (or no --rater): the options' knobs, and no extra draws */
    double an = o->aspect_noise, on = o->overall_noise, lb = o->length_bias, alb = 0, unchecked = 0;
    if (who && strcmp(who->name, "standard") != 0)
        an = who->aspect_noise, on = who->overall_noise, lb = who->length_bias, alb = who->aspect_length_bias,
        unchecked = who->unchecked;
    int verifiable = p->cat == CAT_MATH || p->cat == CAT_FACT || p->cat == CAT_TRUTH;
    int order[16];
    for (int i = 0; i < o->npool; i++)
        order[i] = i;
    rng_shuffle(r, order, (size_t)o->npool, sizeof *order);
    int k = o->per_prompt < o->npool ? o->per_prompt : o->npool;
    char text[16][200];
    synth_score sc[16];
    for (int c = 0; c < k; c++) {
        size_t n = synth_respond(p, o->pool[order[c]], r, text[c], sizeof text[c]);
        synth_judge(p, text[c], n, &sc[c]);
    }
    msgpack_packer *pk = recb_begin(b, "completions");
    msgpack_pack_array(pk, (size_t)k);
    for (int c = 0; c < k; c++) {
        int rank = 1;
        for (int d = 0; d < k; d++)
            rank += sc[d].total > sc[c].total || (sc[d].total == sc[c].total && d < c);
        msgpack_pack_map(pk, 5);
        pack_str(pk, "text");
        pack_str(pk, text[c]);
        pack_str(pk, "ratings");
        msgpack_pack_map(pk, SYNTH_NASPECT);
        int padded = strstr(text[c], "hope this helps") != NULL;
        int skip = unchecked > 0 && verifiable && rng_uniform(r) < unchecked;
        for (int a = 0; a < SYNTH_NASPECT; a++) {
            long v = lround(1 + 4 * sc[c].aspect[a]);
            if (skip && (a == ASPECT_HELPFUL || a == ASPECT_HONEST))
                v = 4;
            if (padded && (a == ASPECT_HELPFUL || a == ASPECT_INSTRUCTION))
                v += lround(alb);
            if (rng_uniform(r) < an)
                v += rng_below(r, 2) ? 1 : -1;
            pack_str(pk, synth_aspect_names[a]);
            msgpack_pack_int(pk, clampi(v, 1, 5));
        }
        long overall = lround(1 + 9 * sc[c].total + on * gauss(r) + lb * padded);
        pack_str(pk, "overall");
        msgpack_pack_int(pk, clampi(overall, 1, 10));
        pack_str(pk, "rank");
        msgpack_pack_int(pk, rank);
        pack_str(pk, "model");
        pack_str(pk, o->pool[order[c]]->name);
    }
    recb_end(b);
}

void synth_emitter_init(synth_emitter *e, const synth_opts *o)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    for (int k = 0; k < o->ncats; k++) {
        long n[SYNTH_NSPLIT];
        synth_count_items((synth_cat)o->cats[k], o->seed, n);
        e->items[o->cats[k]] = n[o->split];
    }
}

void synth_emit_record(synth_emitter *e, long i, recb *b)
{
    const synth_opts *o = e->o;
    synth_prompt p;
    draw_in_split(e, i, &p);
    uint64_t key[3] = {o->seed, (uint64_t)o->split + 100, (uint64_t)i};
    rng_t r;
    rng_seed(&r, hash64(key, sizeof key, 0xa115));
    const synth_rater *rater = o->nraters ? o->raters[0] : NULL;
    char id[64];
    snprintf(id, sizeof id, "synth:%s:%ld", synth_split_name((synth_split)o->split), i);
    recb_reset(b);
    recb_put_str(b, "id", id);
    pack_prompt_msgs(recb_begin(b, "prompt"), p.text);
    recb_end(b);
    if (o->emit == 1 || o->emit == 3) { /* text: whoever of the pool, per record */
        const synth_responder *who = o->emit == 3 ? o->pool[rng_below(&r, (uint64_t)o->npool)] : o->responder;
        char text[200];
        size_t n = synth_respond(&p, who, &r, text, sizeof text);
        recb_put_strn(b, "response", text, n);
    } else if (o->emit == 2) {
        if (o->nraters > 1)
            rater = o->raters[rng_below(&r, (uint64_t)o->nraters)];
        emit_rated(b, o, rater, &p, &r);
    }
    recb_put_str(b, "source", "pref-synth");
    msgpack_packer *pk = recb_begin(b, "tags");
    msgpack_pack_array(pk, 1);
    pack_str(pk, synth_cat_name(p.cat));
    recb_end(b);
    if (o->emit == 0) { /* the prompt schema's gold field */
        synth_pack_gold(recb_begin(b, "gold"), &p);
    } else { /* sft/rated keep it in meta, which pref-binarize carries into pairs */
        pk = recb_begin(b, "meta");
        int named = o->emit == 2 && rater;  /* a source named with --rater */
        msgpack_pack_map(pk, 1 + named);
        pack_str(pk, "gold");
        synth_pack_gold(pk, &p);
        if (named) {
            pack_str(pk, "rater");
            pack_str(pk, rater->name);
        }
    }
    recb_end(b);
}

void synth_emitter_free(synth_emitter *e)
{
    free(e->seen.slot);
    free(e->seen_items.slot);
    memset(e, 0, sizeof *e);
}
