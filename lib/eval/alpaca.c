/*
 * alpaca.c — the alpaca-eval scorer (alpaca.h): raw and length-controlled
 * AlpacaEval win rates from annotation records.
 *
 * A record is either an alpaca_eval annotation ({instruction, output_1,
 * output_2, preference}) or a rollout of bench-load's alpaca-eval prompts
 * whose judge wrote scores.KEY (a boolean win, or a number in [0, 1]); its
 * baseline is then gold.reference and its output the response.  The
 * preferences are kept in input order, as the leaderboard summed them.
 *
 * Why NumPy's order: the leaderboard is pandas' mean, whose sum is NumPy's
 * add.reduce — the first element, plus the pairwise sum (8 accumulators
 * below 128 values, halves above) of the rest.  A plain or compensated sum
 * differs in the last bits on the shipped annotations.
 */
#include "eval/alpaca.h"
#include "eval/boot.h"
#include "eval/common.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double pairwise(const double *a, size_t n)
{
    if (n < 8) {
        double r = 0.;
        for (size_t i = 0; i < n; i++)
            r += a[i];
        return r;
    }
    if (n <= 128) {
        double r[8];
        memcpy(r, a, sizeof r);
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

double numpy_sum(const double *x, size_t n) { return n ? x[0] + pairwise(x + 1, n - 1) : 0.0; }

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* Solve the k x k system H s = g in place (Gaussian elimination, partial
 * pivoting); 0 on success. */
static int solve(double H[3][3], double *g, int k)
{
    for (int c = 0; c < k; c++) {
        int p = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(H[r][c]) > fabs(H[p][c]))
                p = r;
        if (fabs(H[p][c]) < 1e-300)
            return -1;
        for (int j = 0; j < k; j++) {
            double t = H[c][j]; H[c][j] = H[p][j]; H[p][j] = t;
        }
        double t = g[c]; g[c] = g[p]; g[p] = t;
        for (int r = 0; r < k; r++)
            if (r != c) {
                double f = H[r][c] / H[c][c];
                for (int j = c; j < k; j++)
                    H[r][j] -= f * H[c][j];
                g[r] -= f * g[c];
            }
    }
    for (int c = 0; c < k; c++)
        g[c] /= H[c][c];
    return 0;
}

double alpaca_lc_fit(const double *y, const double *tl, const double *d, const uint32_t *wt, size_t n,
                     double w[3])
{
    /* features: 0 length, 1 difficulty (if any), 2 constant; k active */
    int idx[3] = {0, 1, 2}, k = 3;
    if (!d)
        idx[1] = 2, k = 2;
    double b[3] = {0, 0, 0};
    for (int it = 0; it < 100; it++) {
        double g[3] = {0}, H[3][3] = {{0}};
        for (size_t i = 0; i < n; i++) {
            double x[3] = {tl[i], d ? d[i] : 0, 1}, z = 0;
            for (int a = 0; a < k; a++)
                z += b[a] * x[idx[a]];
            /* times 1.0 when unweighted: the same bits as no weight */
            double cw = wt ? (double)wt[i] : 1.0, p = sigmoid(z), v = cw * (p * (1 - p));
            for (int a = 0; a < k; a++) {
                g[a] += cw * (p - y[i]) * x[idx[a]];
                for (int c = 0; c < k; c++)
                    H[a][c] += v * x[idx[a]] * x[idx[c]];
            }
        }
        for (int a = 0; a < k; a++)
            H[a][a] += 1e-9; /* keeps a separable fit finite */
        if (solve(H, g, k) < 0)
            return NAN;
        double step = 0;
        for (int a = 0; a < k; a++)
            b[a] -= g[a], step = fmax(step, fabs(g[a]));
        if (step < 1e-12)
            break;
    }
    w[0] = b[0];
    w[1] = d ? b[1] : 0;
    w[2] = d ? b[2] : b[1];
    double s = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double c = wt ? (double)wt[i] : 1.0;
        s += c * sigmoid(w[1] * (d ? d[i] : 0) + w[2]);
        m += c;
    }
    return m > 0 ? s / m : NAN;
}

double alpaca_lc(const double *y, const double *dlen, const double *d, const uint32_t *wt, size_t n, double w[3])
{
    double mean = 0, var = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double c = wt ? (double)wt[i] : 1.0;
        mean += c * dlen[i];
        m += c;
    }
    mean = m > 0 ? mean / m : 0;
    for (size_t i = 0; i < n; i++) {
        double c = wt ? (double)wt[i] : 1.0;
        var += c * ((dlen[i] - mean) * (dlen[i] - mean));
    }
    double sd = m > 1 ? sqrt(var / (m - 1)) : 0;
    if (!(sd > 0))
        return NAN;
    double *tl = xmalloc((n ? n : 1) * sizeof *tl);
    for (size_t i = 0; i < n; i++)
        tl[i] = tanh(dlen[i] / sd);
    double lc = alpaca_lc_fit(y, tl, d, wt, n, w);
    free(tl);
    return lc;
}

/* ---- the scorer ---- */

typedef struct {
    const eval_cfg *cfg;
    double *pref, *dlen, *diff;
    size_t n, cap;
    int have_len, no_len, have_diff;
    strmap dindex;          /* instruction -> index into dvals */
    double *dvals;
    size_t nd;
} al_state;

static size_t code_points(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void load_difficulty(al_state *st, const char *uri)
{
    rstream *in = rs_open_read(uri);
    msgpack_object rec;
    while (rs_next(in, &rec) == RS_OK) {
        const char *ins;
        size_t il;
        double v;
        if (rec_get_str(&rec, "instruction", &ins, &il) != 1 || rec_get_f64(&rec, "difficulty", &v) != 1 ||
            !isfinite(v))
            die(EX_DATAERR, "%s: record %llu: needs string 'instruction' and number 'difficulty'", uri,
                (unsigned long long)rs_count(in));
        int ins_new;
        uint64_t *slot = strmap_get(&st->dindex, ins, il, st->nd, &ins_new);
        if (ins_new) {
            st->dvals = xrealloc(st->dvals, (st->nd + 1) * sizeof *st->dvals);
            st->nd++;
        }
        st->dvals[*slot] = v;
    }
    rs_close(in);
}

static void *al_create(const eval_cfg *cfg)
{
    al_state *st = xcalloc(1, sizeof *st);
    st->cfg = cfg;
    strmap_init(&st->dindex);
    if (cfg->difficulty) {
        load_difficulty(st, cfg->difficulty);
        st->have_diff = 1;
    }
    return st;
}

static int get_pref(const al_state *st, const msgpack_object *rec, double *p, char *err, size_t errcap)
{
    const msgpack_object *v = rec_get(rec, "preference");
    if (v) {
        if (v->type == MSGPACK_OBJECT_STR) {
            char buf[64], *end;
            size_t l = v->via.str.size < 63 ? v->via.str.size : 63;
            memcpy(buf, v->via.str.ptr, l), buf[l] = 0;
            *p = strtod(buf, &end);
            if (end == buf || *end)
                goto bad;
        } else if (!obj_to_f64(v, p)) {
            goto bad;
        }
        if (*p == 0)
            *p = 1.5;
        if (!(*p >= 1 && *p <= 2))
            goto bad;
        return 0;
    bad:
        snprintf(err, errcap, "preference must be a number in [1, 2] (or 0 for a draw)");
        return -1;
    }
    const msgpack_object *s = rec_get(rec, "scores");
    v = s && s->type == MSGPACK_OBJECT_MAP ? rec_get(s, st->cfg->judge_key) : NULL;
    double d;
    if (v && v->type == MSGPACK_OBJECT_BOOLEAN)
        d = v->via.boolean;
    else if (!v || !obj_to_f64(v, &d) || !(d >= 0 && d <= 1)) {
        snprintf(err, errcap, "no 'preference' and no boolean or [0,1] number scores.%s (written by the judge)",
                 st->cfg->judge_key);
        return -1;
    }
    *p = 1 + d;
    return 0;
}

static int al_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    al_state *st = vst;
    double p;
    if (get_pref(st, rec, &p, err, errcap) < 0)
        return -1;
    const char *o1, *o2, *ins = NULL;
    size_t l1, l2, il = 0;
    int has = rec_get_str(rec, "output_1", &o1, &l1) == 1 && rec_get_str(rec, "output_2", &o2, &l2) == 1;
    if (!has) {
        const msgpack_object *g = eval_gold(rec);
        has = g && rec_get_str(g, "reference", &o1, &l1) == 1 && rec_get_str(rec, "response", &o2, &l2) == 1;
    }
    double dv = 0;
    if (st->have_diff) {
        if (rec_get_str(rec, "instruction", &ins, &il) != 1) {
            const msgpack_object *g = eval_gold(rec);
            if (!g || rec_get_str(g, "instruction", &ins, &il) != 1) {
                snprintf(err, errcap, "--difficulty needs the record's 'instruction'");
                return -1;
            }
        }
        int miss;
        uint64_t *slot = strmap_get(&st->dindex, ins, il, UINT64_MAX, &miss);
        if (miss || *slot == UINT64_MAX) {
            *slot = UINT64_MAX;
            snprintf(err, errcap, "the instruction has no difficulty in the --difficulty file");
            return -1;
        }
        dv = st->dvals[*slot];
    }
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 1024;
        st->pref = xrealloc(st->pref, st->cap * sizeof *st->pref);
        st->dlen = xrealloc(st->dlen, st->cap * sizeof *st->dlen);
        st->diff = xrealloc(st->diff, st->cap * sizeof *st->diff);
    }
    st->pref[st->n] = p - 1;
    st->dlen[st->n] = has ? (double)code_points(o1, l1) - (double)code_points(o2, l2) : 0;
    st->diff[st->n] = dv;
    st->n++;
    st->have_len |= has;
    st->no_len |= !has;
    (void)sc; /* records pass through unchanged */
    return 0;
}

/* --bootstrap of the LC rate: the fit redone on each resample (its
 * length sd included), the same draws as the raw rate's interval. */
static double lc_reweigh(void *vst, const uint32_t *w)
{
    al_state *st = vst;
    double wts[3];
    return alpaca_lc(st->pref, st->dlen, st->have_diff ? st->diff : NULL, w, st->n, wts);
}

static void al_finish(void *vst, kvbuf *s)
{
    al_state *st = vst;
    size_t n = st->n, wins = 0, base = 0, draws = 0;
    for (size_t i = 0; i < n; i++)
        wins += st->pref[i] > 0.5, base += st->pref[i] < 0.5, draws += st->pref[i] == 0.5;
    double m = n ? numpy_sum(st->pref, n) / (double)n : 0;
    kv_f64(s, "score", m);
    kv_f64(s, "mean", m);
    kv_str(s, "key", st->cfg->judge_key, strlen(st->cfg->judge_key));
    kv_f64(s, "win_rate", m * 100);
    kv_i64(s, "n_wins", (int64_t)wins);
    kv_i64(s, "n_wins_base", (int64_t)base);
    kv_i64(s, "n_draws", (int64_t)draws);
    /* length control needs every record's two outputs and some spread */
    if (!st->have_len || st->no_len)
        return;
    double w[3], lc = alpaca_lc(st->pref, st->dlen, st->have_diff ? st->diff : NULL, NULL, n, w);
    if (lc != lc)
        return;
    kv_f64(s, "lc_win_rate", lc * 100);
    kv_bool(s, "lc_difficulty", st->have_diff);
    msgpack_packer *pk = kv_key(s, "lc_weights");
    msgpack_pack_map(pk, 3);
    pack_str(pk, "length"), msgpack_pack_double(pk, w[0]);
    pack_str(pk, "difficulty"), msgpack_pack_double(pk, w[1]);
    pack_str(pk, "constant"), msgpack_pack_double(pk, w[2]);
    if (st->cfg->bootstrap) {
        boot_result br;
        if (boot_fn_interval(n, lc_reweigh, st, st->cfg->bootstrap, st->cfg->boot_seed, &br) == 0) {
            kv_f64(s, "lc_ci_low", br.lo * 100);
            kv_f64(s, "lc_ci_high", br.hi * 100);
        } else {
            warnx_("--bootstrap: the length-controlled fit failed on a resample; no lc interval");
        }
    }
}

static void al_destroy(void *vst)
{
    al_state *st = vst;
    free(st->pref), free(st->dlen), free(st->diff), free(st->dvals);
    strmap_free(&st->dindex);
    free(st);
}

/* --bootstrap resamples the raw win rate (the headline) here; the
 * length-controlled rate's interval is refitted per resample in al_finish. */
static size_t al_units(void *vst) { return ((al_state *)vst)->n; }
static double al_reweigh(void *vst, const uint32_t *w)
{
    al_state *st = vst;
    double s = 0, n = 0;
    for (size_t i = 0; i < st->n; i++)
        s += w[i] * st->pref[i], n += w[i];
    return n ? s / n : 0;
}

const eval_task eval_task_alpaca = {"alpaca-eval", "AlpacaEval", al_create, al_score, al_finish,
                                    al_destroy,    al_units,     al_reweigh, NULL};
