/*
 * examples.c — records -> examples, the spool file and the shuffle (see
 * examples.h).  The spool format is private to one process: per example
 * a fixed header (counts, spans, reference numbers, record number) then
 * the int32 ids, then (all_turns only) the extra loss spans as int32
 * pairs, their count in the header's nseq above bit 8 — so an example
 * without them has the same bytes, and the same data hash in a
 * checkpoint's trainer state, as before they existed.  It is never read by
 * another program.
 */
#include "train/examples.h"

#include "text/chat_template.h"
#include "io/record.h"
#include "base/shuffle.h"
#include "base/spool.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int trunc_parse(const char *s, trunc_mode *m)
{
    if (!strcmp(s, "keep-start")) *m = TRUNC_KEEP_START;
    else if (!strcmp(s, "keep-end")) *m = TRUNC_KEEP_END;
    else if (!strcmp(s, "drop")) *m = TRUNC_DROP;
    else return -1;
    return 0;
}

void train_example_free(train_example *ex)
{
    for (int k = 0; k < 2; k++) free(ex->ids[k]);
    free(ex->span);
    memset(ex, 0, sizeof *ex);
}

int train_example_loss_tokens(const train_example *ex, int k)
{
    int n = ex->len[k] - ex->start[k];
    if (k == 0)
        for (int s = 0; s < ex->nspan; s++) n += ex->span[s][1] - ex->span[s][0];
    return n;
}

long train_example_tokens(const train_example *ex)
{
    long n = 0;
    for (int k = 0; k < ex->nseq; k++) n += ex->len[k];
    return n;
}

/* chat_encode_response plus the assistant spans before the response
 * (malloc'd in *span, count in *nspan): the same conversation encoded once
 * with its assistant mask, split where chat_encode_response splits it (the
 * start of the last masked run). */
static long encode_all_turns(const tokenizer *tok, const chat_msg *msgs, int nm, const char *r, size_t rl,
                             int32_t **pi, long *np, int32_t **ri, int32_t (**span)[2], int *nspan,
                             char *err, size_t el)
{
    chat_msg *all = xmalloc(sizeof *all * (size_t)(nm + 1));
    memcpy(all, msgs, sizeof *all * (size_t)nm);
    all[nm] = (chat_msg){"assistant", r, rl};
    int32_t *ids;
    uint8_t *mask;
    long k = chat_encode(tok, all, nm + 1, 0, &ids, &mask, err, el);
    free(all);
    if (k < 0) return -1;
    while (k > 0 && !mask[k - 1]) k--;   /* template text after the last turn (see chat_encode_response) */
    long start = k;
    while (start > 0 && mask[start - 1]) start--;
    *nspan = 0;
    *span = NULL;
    for (long t = 0; t < start; t++) {
        if (!mask[t] || (t > 0 && mask[t - 1])) continue;
        long e = t;
        while (e < start && mask[e]) e++;
        *span = xrealloc(*span, sizeof **span * (size_t)(*nspan + 1));
        (*span)[*nspan][0] = (int32_t)t;
        (*span)[(*nspan)++][1] = (int32_t)e;
    }
    *np = start;
    *pi = xmalloc(sizeof(int32_t) * (size_t)(start ? start : 1));
    memcpy(*pi, ids, sizeof(int32_t) * (size_t)start);
    *ri = xmalloc(sizeof(int32_t) * (size_t)(k - start ? k - start : 1));
    memcpy(*ri, ids + start, sizeof(int32_t) * (size_t)(k - start));
    free(ids);
    free(mask);
    return k - start;
}

/* Encode prompt + response into sequence k, truncating.  0 ok, 1 too long
 * (drop), 2 nothing of the response left, -1 encoding error. */
static int encode_side(const train_prep *p, const chat_msg *msgs, int nm, const char *r, size_t rl,
                       train_example *ex, int k, int no_eos, int *truncated, char *err, size_t el)
{
    int32_t *pi, *ri, (*span)[2] = NULL;
    int nspan = 0;
    long np, nr = p->all_turns && p->want == TD_SFT && k == 0
                      ? encode_all_turns(p->tok, msgs, nm, r, rl, &pi, &np, &ri, &span, &nspan, err, el)
                      : chat_encode_response(p->tok, msgs, nm, r, rl, &pi, &np, &ri, err, el);
    if (nr < 0) return -1;
    if (no_eos && nr > 1) nr--;   /* the template's EOS is the response's last id */
    long n = np + nr, cut = 0, keep = n;
    int rc = 0;
    if (p->max_len > 0 && n > p->max_len) {
        if (p->trunc == TRUNC_DROP) rc = 1;
        else if (p->trunc == TRUNC_KEEP_START && np >= p->max_len) rc = 2;
        else {
            keep = p->max_len;
            if (p->trunc == TRUNC_KEEP_END) cut = n - keep;
            *truncated = 1;
        }
    }
    if (rc == 0) {
        int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)n);
        memcpy(ids, pi, sizeof(int32_t) * (size_t)np);
        memcpy(ids + np, ri, sizeof(int32_t) * (size_t)nr);
        if (cut) memmove(ids, ids + cut, sizeof(int32_t) * (size_t)keep);
        ex->ids[k] = ids;
        ex->len[k] = (int)keep;
        ex->start[k] = np > cut ? (int)(np - cut) : 0;
        /* earlier turns: shifted by the cut (keep-end), emptied spans gone;
         * keep-start never cuts them (the prompt fits, see above) */
        int w = 0;
        for (int s = 0; s < nspan; s++) {
            long b = span[s][0] - cut, e = span[s][1] - cut;
            if (b < 0) b = 0;
            if (e > b) span[w][0] = (int32_t)b, span[w++][1] = (int32_t)e;
        }
        ex->nspan = w;
        ex->span = w ? span : NULL;
        if (!w) free(span);
        span = NULL;
    }
    free(span);
    free(pi);
    free(ri);
    return rc;
}

int train_example_from_record(const train_prep *p, const msgpack_object *rec, uint64_t recno,
                              train_example *ex, train_counts *c, const char **why)
{
    static char msg[320];
    char err[256];
    memset(ex, 0, sizeof *ex);
    ex->recno = recno;
    c->read++;
    const char *side[2];
    size_t sl[2];
    const char *keys[2];
    int ns;
    const msgpack_object *prompt = rec_get(rec, "prompt");
    if (p->want == TD_SFT && rec_get(rec, "response")) {
        keys[0] = "response";
        ns = 1;
    } else if (p->want == TD_SFT) {
        keys[0] = "chosen";
        ns = 1;
    } else {
        keys[0] = "chosen";
        keys[1] = "rejected";
        ns = 2;
    }
    if (!prompt) { c->missing++; *why = "missing field prompt"; return 0; }
    for (int k = 0; k < ns; k++) {
        int r = rec_get_str(rec, keys[k], &side[k], &sl[k]);
        if (r == 0) {
            c->missing++;
            snprintf(msg, sizeof msg, "missing field %s", p->want == TD_SFT ? "response (or chosen)" : keys[k]);
            *why = msg;
            return 0;
        }
        if (r < 0) { c->bad++; snprintf(msg, sizeof msg, "%s is not a string", keys[k]); *why = msg; return 0; }
        if (sl[k] == 0 && !p->allow_empty) { c->empty++; snprintf(msg, sizeof msg, "empty %s", keys[k]); *why = msg; return 0; }
    }
    if (p->read_ref && ns == 2) {
        int a = rec_get_f64(rec, "ref_logp_chosen", &ex->ref[0]);
        int b = rec_get_f64(rec, "ref_logp_rejected", &ex->ref[1]);
        if (a == 1 && b == 1) {
            const char *fp;
            size_t fpn;
            if (p->tok_fp && rec_get_str(rec, "ref_tokenizer", &fp, &fpn) == 1 &&
                !tok_fingerprint_is(p->tok_fp, fp, fpn))
                die(EX_DATAERR, "record %llu: ref_logp_chosen/ref_logp_rejected were computed with another "
                    "tokenizer (ref_tokenizer %.*s, the policy's is %s): rerun ref-score with a reference "
                    "that shares the policy's tokenizer", (unsigned long long)recno, (int)(fpn > 16 ? 16 : fpn),
                    fp, p->tok_fp);
            if (!isfinite(ex->ref[0]) || !isfinite(ex->ref[1])) {
                c->bad++; *why = "non-finite ref_logp_chosen/ref_logp_rejected"; return 0;
            }
            ex->has_ref = 1;
        } else if (a || b) {
            c->bad++; *why = "ref_logp_chosen and ref_logp_rejected must both be numbers"; return 0;
        }
    }
    double mg;
    if (rec_get_f64(rec, "margin", &mg) == 1 && isfinite(mg)) ex->margin = mg;
    chat_msg *msgs;
    int nm = chat_from_msgpack(prompt, &msgs, err, sizeof err);
    if (nm < 0) { c->bad++; snprintf(msg, sizeof msg, "prompt: %s", err); *why = msg; return 0; }
    int truncated = 0, no_eos = 0;
    if (p->truncated_as_is && p->want == TD_SFT) {
        const char *f;
        size_t fl;
        no_eos = rec_get_str(rec, "finish", &f, &fl) == 1 && fl == 6 && !memcmp(f, "length", 6);
    }
    ex->nseq = ns;
    for (int k = 0; k < ns; k++) {
        int r = encode_side(p, msgs, nm, side[k], sl[k], ex, k, no_eos, &truncated, err, sizeof err);
        if (r) {
            free(msgs);
            train_example_free(ex);
            if (r < 0) { c->bad++; snprintf(msg, sizeof msg, "%s: %s", keys[k], err); }
            else if (r == 1) { c->too_long++; snprintf(msg, sizeof msg, "longer than %d tokens (--truncation drop)", p->max_len); }
            else { c->too_long++; snprintf(msg, sizeof msg, "prompt alone fills the %d-token limit", p->max_len); }
            *why = msg;
            return 0;
        }
    }
    free(msgs);
    c->truncated += truncated;
    c->used++;
    return 1;
}

void train_counts_report(const char *label, const train_counts *c)
{
    fprintf(stderr, "%s: %s: %llu records, %llu used", progname, label, (unsigned long long)c->read,
            (unsigned long long)c->used);
    if (c->truncated) fprintf(stderr, ", %llu truncated", (unsigned long long)c->truncated);
    uint64_t sk = c->missing + c->empty + c->too_long + c->bad;
    if (sk)
        fprintf(stderr, "; skipped %llu (missing fields %llu, empty responses %llu, too long %llu, bad fields %llu)",
                (unsigned long long)sk, (unsigned long long)c->missing, (unsigned long long)c->empty,
                (unsigned long long)c->too_long, (unsigned long long)c->bad);
    fputc('\n', stderr);
}

/* ---- spool ---- */

typedef struct {
    int32_t nseq, len[2], start[2], has_ref;
    double ref[2], margin;
    uint64_t recno;
} spool_hdr;

void spool_open(train_spool *s)
{
    memset(s, 0, sizeof *s);
    s->f = spool_tmpfile();
    s->cap = 1024;
    s->off = xmalloc(sizeof(uint64_t) * s->cap);
    s->off[0] = 0;
    s->hash = 0x5eed;
}

void spool_add(train_spool *s, const train_example *ex)
{
    spool_hdr h;
    memset(&h, 0, sizeof h);
    h.nseq = ex->nseq | (ex->nspan << 8);
    for (int k = 0; k < 2; k++) { h.len[k] = ex->len[k]; h.start[k] = ex->start[k]; h.ref[k] = ex->ref[k]; }
    h.has_ref = ex->has_ref;
    h.margin = ex->margin;
    h.recno = ex->recno;
    if (ex->nseq > s->max_nseq) s->max_nseq = ex->nseq;
    for (int k = 0; k < ex->nseq; k++)
        if (ex->len[k] > s->max_len) s->max_len = ex->len[k];
    if (fseeko(s->f, (off_t)s->off[s->n], SEEK_SET) || fwrite(&h, sizeof h, 1, s->f) != 1)
        die(EX_IOERR, "spool: cannot write: %s", strerror(errno));
    s->hash = hash64(&h, sizeof h, s->hash);
    uint64_t end = s->off[s->n] + sizeof h;
    for (int k = 0; k < ex->nseq; k++) {
        if (fwrite(ex->ids[k], sizeof(int32_t), (size_t)ex->len[k], s->f) != (size_t)ex->len[k])
            die(EX_IOERR, "spool: cannot write: %s", strerror(errno));
        s->hash = hash64(ex->ids[k], sizeof(int32_t) * (size_t)ex->len[k], s->hash);
        end += sizeof(int32_t) * (uint64_t)ex->len[k];
    }
    if (ex->nspan) {
        size_t nb = sizeof *ex->span * (size_t)ex->nspan;
        if (fwrite(ex->span, nb, 1, s->f) != 1) die(EX_IOERR, "spool: cannot write: %s", strerror(errno));
        s->hash = hash64(ex->span, nb, s->hash);
        end += nb;
    }
    if (s->n + 2 > s->cap) {
        s->cap *= 2;
        s->off = xrealloc(s->off, sizeof(uint64_t) * s->cap);
    }
    s->off[++s->n] = end;
}

void spool_get(train_spool *s, size_t i, train_example *ex)
{
    spool_hdr h;
    memset(ex, 0, sizeof *ex);
    if (fseeko(s->f, (off_t)s->off[i], SEEK_SET) || fread(&h, sizeof h, 1, s->f) != 1)
        die(EX_IOERR, "spool: cannot read back example %zu", i);
    ex->nseq = h.nseq & 0xff;
    ex->nspan = h.nseq >> 8;
    ex->has_ref = h.has_ref;
    ex->margin = h.margin;
    ex->recno = h.recno;
    for (int k = 0; k < ex->nseq; k++) {
        ex->len[k] = h.len[k];
        ex->start[k] = h.start[k];
        ex->ref[k] = h.ref[k];
        ex->ids[k] = xmalloc(sizeof(int32_t) * (size_t)(h.len[k] ? h.len[k] : 1));
        if (fread(ex->ids[k], sizeof(int32_t), (size_t)h.len[k], s->f) != (size_t)h.len[k])
            die(EX_IOERR, "spool: cannot read back example %zu", i);
    }
    if (ex->nspan) {
        ex->span = xmalloc(sizeof *ex->span * (size_t)ex->nspan);
        if (fread(ex->span, sizeof *ex->span, (size_t)ex->nspan, s->f) != (size_t)ex->nspan)
            die(EX_IOERR, "spool: cannot read back example %zu", i);
    }
}

void spool_close(train_spool *s)
{
    if (s->f) fclose(s->f);
    free(s->off);
    memset(s, 0, sizeof *s);
}

void train_shuffle(size_t *perm, size_t n, uint64_t seed, long epoch)
{
    rng_t r;
    rng_seed(&r, mix64(seed ^ mix64((uint64_t)epoch + 0x9e3779b97f4a7c15ull)));
    rng_permutation(&r, perm, n);
}
