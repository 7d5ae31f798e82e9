/*
 * ifeval_checks.c — the 25 IFEval checks on one text (ifeval.h).
 *
 * Fixed regular expressions are compiled once (PCRE2, UTF + UCP) and kept
 * with their match data in a static table; kwarg-dependent ones (keywords,
 * forbidden words, section splitters, postscript markers) are compiled per
 * check with the kwarg quoted, since the checks mean the words themselves
 * ("C++" is a keyword, not a pattern; the reference's unquoted re.search
 * would fail on it).  Every match runs under text/relimit.h's limits, and
 * a match that fails with an error (a limit hit) is recorded for the
 * scorer to report (ifeval_regex_error) rather than counted as no match.  "Count" means non-overlapping
 * matches scanned left to right (Python's re.findall).  Lower-casing for
 * comparisons is ASCII only.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "eval/ifeval.h"
#include "eval/common.h"
#include "eval/lang.h"
#include "base/util.h"
#include "text/relimit.h"

#include <jansson.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define RE_FLAGS (PCRE2_UTF | PCRE2_UCP)

typedef struct {
    pcre2_code *re;
    pcre2_match_data *md;
} regex_t_;

static int re_make(regex_t_ *r, const char *pat, size_t len, uint32_t flags)
{
    int e;
    PCRE2_SIZE off;
    r->re = pcre2_compile((PCRE2_SPTR)pat, len, RE_FLAGS | flags, &e, &off, NULL);
    if (!r->re)
        r->re = pcre2_compile((PCRE2_SPTR)pat, len, RE_FLAGS | PCRE2_LITERAL | flags, &e, &off, NULL);
    if (!r->re)
        return -1;
    r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
    return 0;
}

static void re_drop(regex_t_ *r)
{
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->re);
}

enum { R_CAPWORD, R_LOWER, R_UPPER_OR_TITLE, R_PLACEHOLDER, R_BULLET_STAR, R_BULLET_DASH, R_HL1, R_HL2, R_TITLE,
       R_WORD, R_PS_PPS, R_PS_PS, R_PARA_SEP, R_TITLECASE, R_N };

static const char *const fixed_pat[R_N] = {
    "\\w+(?:[-.]\\w+)*", "\\p{Ll}", "\\p{Lu}", "\\[.*?\\]", "^\\s*\\*[^\\*].*$", "^\\s*-.*$",
    "\\*[^\\n\\*]*\\*", "\\*\\*[^\\n\\*]*\\*\\*", "<<[^\\n]+>>", "\\w+", "\\s*p\\.\\s?p\\.\\s?s.*$",
    "\\s*p\\.\\s?s\\..*$", "\\s?\\*\\*\\*\\s?", "\\p{Lt}"};

static regex_t_ fixed[R_N];

/* The first regex error since the last ifeval_regex_error() (per thread:
 * scorers may run in parallel). */
static _Thread_local char re_err[200];

static void re_fail(const char *what, int rc)
{
    char m[160];
    if (!re_err[0])
        snprintf(re_err, sizeof re_err, "%s: %s", what, relimit_message(rc, m, sizeof m));
}

int ifeval_regex_error(char *buf, size_t cap)
{
    if (!re_err[0])
        return 0;
    snprintf(buf, cap, "%s", re_err);
    re_err[0] = 0;
    return 1;
}

/* w as a pattern matching exactly w: ASCII punctuation backslashed (in
 * PCRE2 a backslash before a non-alphanumeric is always that character);
 * out needs 2 * wl + 1 bytes.  Returns the length written. */
static size_t re_quote(const char *w, size_t wl, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < wl; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c < 0x80 && c > ' ' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9'))
            out[k++] = '\\';
        out[k++] = (char)c;
    }
    out[k] = 0;
    return k;
}

static regex_t_ *fx(int i)
{
    if (!fixed[i].re && re_make(&fixed[i], fixed_pat[i], PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE) < 0)
        die(EX_SOFTWARE, "internal: cannot compile %s", fixed_pat[i]);
    return &fixed[i];
}

/* Next match at or after *pos: 1 with [*b, *e), else 0. */
static int re_next(regex_t_ *r, const char *s, size_t n, size_t *pos, size_t *b, size_t *e)
{
    while (*pos <= n) {
        int rc = pcre2_match(r->re, (PCRE2_SPTR)s, n, *pos, PCRE2_NO_UTF_CHECK, r->md, relimit_context());
        if (rc < 0) {
            if (rc != PCRE2_ERROR_NOMATCH)
                re_fail("regex match", rc);
            return 0;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        *b = ov[0], *e = ov[1];
        if (ov[1] > ov[0]) {
            *pos = ov[1];
        } else { /* empty match: step one character */
            size_t p = ov[1] + 1;
            while (p < n && ((unsigned char)s[p] & 0xC0) == 0x80)
                p++;
            *pos = p;
        }
        return 1;
    }
    return 0;
}

static long re_count(regex_t_ *r, const char *s, size_t n)
{
    size_t pos = 0, b, e;
    long c = 0;
    while (re_next(r, s, n, &pos, &b, &e))
        c++;
    return c;
}

static int re_search(regex_t_ *r, const char *s, size_t n)
{
    size_t pos = 0, b, e;
    return re_next(r, s, n, &pos, &b, &e);
}

/* Compile a kwarg-built pattern, count (or search) and free. */
static long dyn_count(const char *pat, size_t len, uint32_t flags, const char *s, size_t n, int search_only)
{
    regex_t_ r;
    if (re_make(&r, pat, len, flags) < 0) {
        if (!re_err[0])
            snprintf(re_err, sizeof re_err, "cannot compile the pattern for a kwarg");
        return 0;
    }
    long c = search_only ? re_search(&r, s, n) : re_count(&r, s, n);
    re_drop(&r);
    return c;
}

/* Words in the manner of NLTK's word_tokenize, for counting: runs of \\w
 * joined by inner hyphens or periods ("STATE-OF-THE-ART", "U.S"), split at
 * apostrophes (like "DO" + "N'T").  A capital word has an upper-case letter
 * and no lower-case one (Python's str.isupper). */
static long count_capital_words(const char *s, size_t n)
{
    regex_t_ *tok = fx(R_CAPWORD), *lo = fx(R_LOWER), *up = fx(R_UPPER_OR_TITLE);
    size_t pos = 0, b, e;
    long c = 0;
    while (re_next(tok, s, n, &pos, &b, &e)) {
        size_t p1 = 0, p2 = 0, x, y;
        if (!re_next(lo, s + b, e - b, &p1, &x, &y) && re_next(up, s + b, e - b, &p2, &x, &y))
            c++;
    }
    return c;
}

static int cmp_rel(const ifeval_inst *in, long v) { return in->at_least ? v >= in->num : v < in->num; }

static char lc(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static int lang_ok(const char *s, size_t n, const char *want)
{
    const char *l = lang_detect(s, n);
    return strcmp(l, "und") == 0 || strcmp(l, want) == 0;
}

static int str_ieq_prefix(const char *s, size_t n, const char *p, size_t pn)
{
    if (pn > n)
        return 0;
    for (size_t i = 0; i < pn; i++)
        if (lc(s[i]) != lc(p[i]))
            return 0;
    return 1;
}

static int contains(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* ---- the checks that need more than a line ---- */

static int two_responses(const char *s, size_t n)
{
    const char *seg[3];
    size_t segn[3], nvalid = 0, nseg = 0, start = 0;
    size_t total = 1;
    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(s + i, "******", 6) == 0)
            total++, i += 5;
    for (size_t i = 0; i <= n; i++) {
        int end = i == n || (i + 6 <= n && memcmp(s + i, "******", 6) == 0);
        if (!end)
            continue;
        const char *p = s + start;
        size_t len = i - start, sl = len;
        py_strip(&p, &sl);
        if (sl == 0) {
            if (nseg != 0 && nseg != total - 1)
                return 0;
        } else {
            if (nvalid == 2)
                return 0;
            seg[nvalid] = p, segn[nvalid] = sl, nvalid++;
        }
        nseg++;
        if (i == n)
            break;
        start = i + 6;
        i += 5;
    }
    return nvalid == 2 && !(segn[0] == segn[1] && memcmp(seg[0], seg[1], segn[0]) == 0);
}

static int count_paragraphs_ok(const char *s, size_t n, long want)
{
    regex_t_ *r = fx(R_PARA_SEP);
    size_t pos = 0, b, e, start = 0;
    long segs = 0, total = re_count(r, s, n) + 1, num = total;
    int more = 1;
    while (more) {
        more = re_next(r, s, n, &pos, &b, &e);
        size_t end = more ? b : n;
        const char *p = s + start;
        size_t len = end - start;
        py_strip(&p, &len);
        if (len == 0) {
            if (segs == 0 || segs == total - 1)
                num--;
            else
                return 0;
        }
        segs++;
        start = more ? e : n;
    }
    return num == want;
}

static int nth_paragraph_first_word(const ifeval_inst *in, const char *s, size_t n)
{
    long total = 0, blank_free = 0;
    const char *nth = NULL;
    size_t nthn = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        int end = i == n || (i + 2 <= n && s[i] == '\n' && s[i + 1] == '\n');
        if (!end)
            continue;
        const char *p = s + start;
        size_t len = i - start;
        total++;
        if (total == in->num2)
            nth = p, nthn = len;
        py_strip(&p, &len);
        if (len)
            blank_free++;
        if (i == n)
            break;
        start = i + 2;
        i++;
    }
    if (in->num2 > blank_free || !nth)
        return 0;
    py_strip(&nth, &nthn);
    if (!nthn)
        return 0;
    size_t w = 0;
    while (w < nthn && !py_isspace((unsigned char)nth[w]))
        w++;
    size_t i = 0;
    while (i < w && nth[i] == '\'')
        i++;
    while (i < w && nth[i] == '"')
        i++;
    char first[256];
    size_t fl = 0;
    for (; i < w && fl + 1 < sizeof first; i++) {
        char c = nth[i];
        if (c == '.' || c == ',' || c == '?' || c == '!' || c == '\'' || c == '"')
            break;
        first[fl++] = lc(c);
    }
    first[fl] = 0;
    char want[256];
    size_t k;
    for (k = 0; in->str[k] && k + 1 < sizeof want; k++)
        want[k] = lc(in->str[k]);
    want[k] = 0;
    return blank_free == in->num && strcmp(first, want) == 0;
}

static int word_before_is(const char *s, size_t i, const char *const *list)
{
    size_t j = i;
    while (j > 0 && ((s[j - 1] >= 'a' && s[j - 1] <= 'z') || (s[j - 1] >= 'A' && s[j - 1] <= 'Z')))
        j--;
    size_t len = i - j;
    if (len == 1 && (j == 0 || py_isspace((unsigned char)s[j - 1]) || s[j - 1] == '.'))
        return 1; /* an initial or an acronym letter */
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, s + j, len) == 0)
            return 1;
    return 0;
}

/* A list item's number before the period at i: only digits (at most 3),
 * at the start of the text or of a line (after optional indentation). */
static int list_number_before(const char *s, size_t i)
{
    size_t j = i;
    while (j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9')
        j--;
    if (j == i || i - j > 3)
        return 0;
    while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t'))
        j--;
    return j == 0 || s[j - 1] == '\n';
}

/* The byte length of a closing quote or bracket at s (ASCII " ' ) ],
 * or the UTF-8 ” ’ »), else 0. */
static size_t closing_mark(const char *s, size_t n)
{
    if (s[0] == '"' || s[0] == '\'' || s[0] == ')' || s[0] == ']')
        return 1;
    if (n >= 3 && !memcmp(s, "\xe2\x80\x9d", 3))
        return 3;
    if (n >= 3 && !memcmp(s, "\xe2\x80\x99", 3))
        return 3;
    if (n >= 2 && !memcmp(s, "\xc2\xbb", 2))
        return 2;
    return 0;
}

/* Sentences as NLTK's punkt splits them, approximately: a sentence ends
 * at . ! ? (runs of them, and the closing quotes/brackets after them),
 * except a period inside a token (3.5, example.com), after a known
 * abbreviation or a single letter, or after a list item's number. */
static long count_sentences(const char *s, size_t n)
{
    static const char *const abbrev[] = {"Mr", "Mrs", "Ms", "Dr", "St", "Prof", "Inc", "Ltd", "Jr", "Sr", "Co",
                                         "vs", "etc", "Ph", NULL};
    long count = 0;
    int content = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' || c == '!' || c == '?') {
            if (c == '.' && i + 1 < n && !py_isspace((unsigned char)s[i + 1]) && s[i + 1] != '.' &&
                !closing_mark(s + i + 1, n - i - 1)) {
                content = 1; /* 3.5, e.g, example.com */
                continue;
            }
            if (c == '.' && i > 0 && word_before_is(s, i, abbrev) && i + 1 < n) {
                content = 1;
                continue;
            }
            if (c == '.' && list_number_before(s, i)) {
                content = 1; /* "1. first item": the item's number, not a sentence */
                continue;
            }
            while (i + 1 < n && (s[i + 1] == '.' || s[i + 1] == '!' || s[i + 1] == '?'))
                i++;
            /* closing quotes and brackets belong to the sentence they end,
             * as punkt keeps them: "\"One sentence here.\"" is one */
            size_t q;
            while (i + 1 < n && (q = closing_mark(s + i + 1, n - i - 1)) > 0)
                i += q;
            count += content;
            content = 0;
        } else if (!py_isspace((unsigned char)c)) {
            content = 1;
        }
    }
    return count + content;
}

static int json_ok(const char *s, size_t n)
{
    py_strip(&s, &n);
    static const char *const pre[] = {"```json", "```Json", "```JSON", "```"};
    for (int i = 0; i < 4; i++) {
        size_t l = strlen(pre[i]);
        if (n >= l && memcmp(s, pre[i], l) == 0)
            s += l, n -= l;
    }
    if (n >= 3 && memcmp(s + n - 3, "```", 3) == 0)
        n -= 3;
    py_strip(&s, &n);
    json_error_t je;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
    if (!v)
        return 0;
    json_decref(v);
    return 1;
}

static long count_nonempty_highlights(regex_t_ *r, const char *s, size_t n, size_t mark)
{
    size_t pos = 0, b, e;
    long c = 0;
    while (re_next(r, s, n, &pos, &b, &e)) {
        const char *p = s + b + mark;
        size_t len = e - b - 2 * mark;
        py_strip(&p, &len);
        c += len > 0;
    }
    return c;
}

static int has_title(const char *s, size_t n)
{
    regex_t_ *r = fx(R_TITLE);
    size_t pos = 0, b, e;
    while (re_next(r, s, n, &pos, &b, &e)) {
        while (b < e && s[b] == '<')
            b++;
        while (e > b && s[e - 1] == '>')
            e--;
        const char *p = s + b;
        size_t len = e - b;
        py_strip(&p, &len);
        if (len)
            return 1;
    }
    return 0;
}

static int postscript(const ifeval_inst *in, const char *s, size_t n)
{
    char *low = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        low[i] = lc(s[i]);
    int ok;
    if (strcmp(in->str, "P.P.S") == 0)
        ok = re_search(fx(R_PS_PPS), low, n);
    else if (strcmp(in->str, "P.S.") == 0)
        ok = re_search(fx(R_PS_PS), low, n);
    else {
        size_t ml = strlen(in->str);
        char *m = xmalloc(ml + 1), *pat = xmalloc(2 * ml + 8);
        for (size_t i = 0; i < ml; i++)
            m[i] = lc(in->str[i]);
        memcpy(pat, "\\s*", 3);
        size_t ql = re_quote(m, ml, pat + 3);
        memcpy(pat + 3 + ql, ".*$", 4);
        ok = dyn_count(pat, ql + 6, PCRE2_MULTILINE, low, n, 1) > 0;
        free(pat);
        free(m);
    }
    free(low);
    return ok;
}

static long count_sections(const ifeval_inst *in, const char *s, size_t n)
{
    size_t ml = strlen(in->str);
    char *pat = xmalloc(2 * ml + 16);
    memcpy(pat, "\\s?", 3);
    size_t ql = re_quote(in->str, ml, pat + 3);
    memcpy(pat + 3 + ql, "\\s?\\d+\\s?", 10);
    long c = dyn_count(pat, ql + 12, 0, s, n, 0);
    free(pat);
    return c;
}

static int keyword_hit(const char *w, const char *s, size_t n, int bounded, int count_all, long *count)
{
    size_t wl = strlen(w);
    char *pat = xmalloc(2 * wl + 8);
    size_t pl = 0;
    if (bounded)
        memcpy(pat, "\\b", 2), pl = 2;
    pl += re_quote(w, wl, pat + pl);
    if (bounded)
        memcpy(pat + pl, "\\b", 2), pl += 2;
    long c = dyn_count(pat, pl, PCRE2_CASELESS, s, n, !count_all);
    free(pat);
    if (count)
        *count = c;
    return c > 0;
}

int ifeval_check(const ifeval_inst *in, const char *s, size_t n)
{
    switch (in->kind) {
    case IF_CAPITAL_WORD_FREQ:
        return cmp_rel(in, count_capital_words(s, n));
    case IF_ENGLISH_CAPITAL:
        return !re_search(fx(R_LOWER), s, n) && !re_search(fx(R_TITLECASE), s, n) &&
               re_search(fx(R_UPPER_OR_TITLE), s, n) && lang_ok(s, n, "en");
    case IF_ENGLISH_LOWERCASE:
        return !re_search(fx(R_UPPER_OR_TITLE), s, n) && !re_search(fx(R_TITLECASE), s, n) &&
               re_search(fx(R_LOWER), s, n) && lang_ok(s, n, "en");
    case IF_REPEAT_PROMPT: {
        const char *p = in->str;
        size_t pl = strlen(p);
        py_strip(&s, &n);
        py_strip(&p, &pl);
        return str_ieq_prefix(s, n, p, pl);
    }
    case IF_TWO_RESPONSES:
        return two_responses(s, n);
    case IF_NUMBER_PLACEHOLDERS:
        return re_count(fx(R_PLACEHOLDER), s, n) >= in->num;
    case IF_POSTSCRIPT:
        return postscript(in, s, n);
    case IF_CONSTRAINED_RESPONSE:
        py_strip(&s, &n);
        return contains(s, n, "My answer is yes.") || contains(s, n, "My answer is no.") ||
               contains(s, n, "My answer is maybe.");
    case IF_JSON_FORMAT:
        return json_ok(s, n);
    case IF_MULTIPLE_SECTIONS:
        return count_sections(in, s, n) >= in->num;
    case IF_NUMBER_BULLETS:
        return re_count(fx(R_BULLET_STAR), s, n) + re_count(fx(R_BULLET_DASH), s, n) == in->num;
    case IF_NUMBER_HIGHLIGHTS:
        return count_nonempty_highlights(fx(R_HL1), s, n, 1) + count_nonempty_highlights(fx(R_HL2), s, n, 2) >=
               in->num;
    case IF_TITLE:
        return has_title(s, n);
    case IF_EXISTENCE:
        for (size_t i = 0; i < in->nwords; i++)
            if (!keyword_hit(in->words[i], s, n, 0, 0, NULL))
                return 0;
        return 1;
    case IF_FORBIDDEN_WORDS:
        for (size_t i = 0; i < in->nwords; i++)
            if (keyword_hit(in->words[i], s, n, 1, 0, NULL))
                return 0;
        return 1;
    case IF_FREQUENCY: {
        long c;
        keyword_hit(in->str, s, n, 0, 1, &c);
        return cmp_rel(in, c);
    }
    case IF_LETTER_FREQUENCY: {
        char l = lc(in->str[0]);
        long c = 0;
        for (size_t i = 0; i < n; i++)
            c += lc(s[i]) == l;
        return cmp_rel(in, c);
    }
    case IF_RESPONSE_LANGUAGE:
        return lang_ok(s, n, in->str);
    case IF_NTH_PARAGRAPH_FIRST_WORD:
        return nth_paragraph_first_word(in, s, n);
    case IF_NUMBER_PARAGRAPHS:
        return count_paragraphs_ok(s, n, in->num);
    case IF_NUMBER_SENTENCES:
        return cmp_rel(in, count_sentences(s, n));
    case IF_NUMBER_WORDS:
        return cmp_rel(in, re_count(fx(R_WORD), s, n));
    case IF_NO_COMMA:
        return memchr(s, ',', n) == NULL;
    case IF_END_CHECKER: {
        py_strip(&s, &n);
        while (n && *s == '"')
            s++, n--;
        while (n && s[n - 1] == '"')
            n--;
        const char *p = in->str;
        size_t pl = strlen(p);
        py_strip(&p, &pl);
        return pl <= n && str_ieq_prefix(s + n - pl, pl, p, pl);
    }
    case IF_QUOTATION:
        py_strip(&s, &n);
        return n > 1 && s[0] == '"' && s[n - 1] == '"';
    case IF_NKINDS:
        break;
    }
    return 0;
}
