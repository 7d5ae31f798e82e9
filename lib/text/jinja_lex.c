/*
 * jinja_lex.c — template source to tokens.
 *
 * Text outside tags becomes JT_TEXT with the whitespace rules already
 * applied, so the parser never sees whitespace control:
 *   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`,
 *     `-#}` strip all whitespace after it;
 *   - lstrip_blocks: spaces and tabs between the start of a line and a
 *     `{%` or `{#` go (not before `{{`, not after `{%+`);
 *   - trim_blocks: one newline right after `%}` or `#}` goes;
 *   - one trailing newline of the source goes (Jinja's keep_trailing_newline
 *     off).
 * Inside a tag: names, string literals (Python escapes), integers, floats
 * and operators; `}}` closes an expression only outside braces, so dict
 * literals may nest.  Every token carries its source line for messages.
 */
#include "text/jinja_int.h"
#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { jtok *v; int n, cap; } tokv;

static void push(tokv *tv, jtok t)
{
    if (tv->n == tv->cap) { tv->cap = tv->cap ? tv->cap * 2 : 64; tv->v = xrealloc(tv->v, sizeof(jtok) * (size_t)tv->cap); }
    tv->v[tv->n++] = t;
}

void jinja_toks_free(jtok *toks, int n)
{
    for (int i = 0; i < n; i++)
        if (toks[i].type == JT_STR) free((char *)toks[i].s);
    free(toks);
}

static int isws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static int lines_upto(const char *src, size_t from, size_t to, int line)
{
    for (size_t i = from; i < to; i++) line += src[i] == '\n';
    return line;
}

/* utf-8 of code point c into o; returns bytes */
static int utf8(unsigned c, char *o)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | c >> 6); o[1] = (char)(0x80 | (c & 63)); return 2; }
    if (c < 0x10000) { o[0] = (char)(0xE0 | c >> 12); o[1] = (char)(0x80 | (c >> 6 & 63)); o[2] = (char)(0x80 | (c & 63)); return 3; }
    o[0] = (char)(0xF0 | c >> 18); o[1] = (char)(0x80 | (c >> 12 & 63)); o[2] = (char)(0x80 | (c >> 6 & 63)); o[3] = (char)(0x80 | (c & 63));
    return 4;
}

static int hexval(const char *p, int k, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < k; i++) {
        int c = p[i];
        if (c >= '0' && c <= '9') v = v * 16 + (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v = v * 16 + (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* a string literal starting at src[*pos] (the quote); unescaped text in a
 * malloc'd buffer */
static int lex_string(const char *src, size_t len, size_t *pos, int *line, jtok *t, char *err, size_t el)
{
    char q = src[*pos];
    size_t i = *pos + 1;
    char *o = xmalloc(len - *pos + 4);
    size_t k = 0;
    int start = *line;
    while (i < len && src[i] != q) {
        char c = src[i];
        if (c == '\n') (*line)++;
        if (c != '\\' || i + 1 >= len) { o[k++] = c; i++; continue; }
        char e = src[i + 1];
        i += 2;
        unsigned cp;
        switch (e) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'v': o[k++] = '\v'; break;
        case '0': o[k++] = '\0'; break;
        case '\\': case '\'': case '"': o[k++] = e; break;
        case '\n': (*line)++; break;
        case 'x': case 'u': {
            int d = e == 'x' ? 2 : 4;
            if (i + (size_t)d > len || hexval(src + i, d, &cp)) {
                free(o);
                snprintf(err, el, "line %d: bad \\%c escape in a string", *line, e);
                return -1;
            }
            i += (size_t)d;
            k += (size_t)utf8(cp, o + k);
            break;
        }
        default: o[k++] = '\\'; o[k++] = e;   /* Python keeps unknown escapes */
        }
    }
    if (i >= len) {
        free(o);
        snprintf(err, el, "line %d: unterminated string", start);
        return -1;
    }
    o[k] = 0;
    *t = (jtok){.type = JT_STR, .line = start, .s = o, .n = k};
    *pos = i + 1;
    return 0;
}

static const char *ops2[] = {"//", "**", "==", "!=", "<=", ">=", NULL};
static const char ops1[] = "+-*/%~|.,:()[]{}<>=!";

int jinja_lex(const char *src, size_t len, jtok **toks, int *ntoks, char *err, size_t el)
{
    tokv tv = {0};
    if (len && src[len - 1] == '\n') len--;
    size_t pos = 0;
    int line = 1;
    int strip_next = 0, trim_nl = 0;   /* from the previous tag's close */
    while (pos < len) {
        /* text up to the next tag */
        size_t t = pos;
        while (t + 1 < len && !(src[t] == '{' && (src[t + 1] == '{' || src[t + 1] == '%' || src[t + 1] == '#'))) t++;
        if (t + 1 >= len) t = len;
        size_t a = pos, b = t;
        if (strip_next) while (a < b && isws(src[a])) a++;
        else if (trim_nl && a < b && src[a] == '\n') a++;
        if (t < len) {
            char kind = src[t + 1], mod = t + 2 < len ? src[t + 2] : 0;
            if (mod == '-') while (b > a && isws(src[b - 1])) b--;
            else if ((kind == '%' || kind == '#') && mod != '+') {
                /* lstrip_blocks looks at the source: the blanks must run
                 * back to the start of a line, not to another tag */
                size_t c = t;
                while (c > pos && (src[c - 1] == ' ' || src[c - 1] == '\t')) c--;
                if ((c == 0 || src[c - 1] == '\n') && c < b) b = c < a ? a : c;
            }
        }
        if (b > a) push(&tv, (jtok){.type = JT_TEXT, .line = lines_upto(src, pos, a, line), .s = src + a, .n = b - a});
        line = lines_upto(src, pos, t, line);
        strip_next = trim_nl = 0;
        if (t >= len) break;
        char kind = src[t + 1];
        pos = t + 2;
        if (pos < len && (src[pos] == '-' || src[pos] == '+')) pos++;
        if (kind == '#') {
            size_t e = pos;
            while (e + 1 < len && !(src[e] == '#' && src[e + 1] == '}')) e++;
            if (e + 1 >= len) { snprintf(err, el, "line %d: unterminated comment", line); goto fail; }
            strip_next = e > pos && src[e - 1] == '-';
            trim_nl = !strip_next;
            line = lines_upto(src, pos, e, line);
            pos = e + 2;
            continue;
        }
        int open_line = line;
        push(&tv, (jtok){.type = kind == '{' ? JT_VAR_OPEN : JT_STMT_OPEN, .line = line});
        int depth = 0, closed = 0;
        while (pos < len) {
            char c = src[pos];
            if (isws(c)) { line += c == '\n'; pos++; continue; }
            /* the close: -}} / }} or -%} / %} */
            size_t p = pos + (c == '-');
            if (kind == '{' && depth == 0 && p + 1 < len && src[p] == '}' && src[p + 1] == '}') {
                strip_next = c == '-';
                pos = p + 2;
                push(&tv, (jtok){.type = JT_VAR_CLOSE, .line = line});
                closed = 1;
                break;
            }
            if (kind == '%' && p + 1 < len && src[p] == '%' && src[p + 1] == '}') {
                strip_next = c == '-';
                trim_nl = !strip_next;
                pos = p + 2;
                push(&tv, (jtok){.type = JT_STMT_CLOSE, .line = line});
                closed = 1;
                break;
            }
            if (isalpha((unsigned char)c) || c == '_') {
                size_t e = pos;
                while (e < len && (isalnum((unsigned char)src[e]) || src[e] == '_')) e++;
                push(&tv, (jtok){.type = JT_NAME, .line = line, .s = src + pos, .n = e - pos});
                pos = e;
                continue;
            }
            if (isdigit((unsigned char)c)) {
                size_t e = pos;
                int isf = 0;
                while (e < len && (isdigit((unsigned char)src[e]) || src[e] == '_')) e++;
                if (e + 1 < len && src[e] == '.' && isdigit((unsigned char)src[e + 1])) {
                    isf = 1;
                    e++;
                    while (e < len && isdigit((unsigned char)src[e])) e++;
                }
                if (e < len && (src[e] == 'e' || src[e] == 'E')) {
                    size_t f = e + 1;
                    if (f < len && (src[f] == '+' || src[f] == '-')) f++;
                    if (f < len && isdigit((unsigned char)src[f])) {
                        isf = 1;
                        e = f;
                        while (e < len && isdigit((unsigned char)src[e])) e++;
                    }
                }
                char buf[64];
                size_t k = 0;
                for (size_t i = pos; i < e && k < sizeof buf - 1; i++)
                    if (src[i] != '_') buf[k++] = src[i];
                buf[k] = 0;
                jtok tk = {.type = isf ? JT_FLOAT : JT_INT, .line = line};
                if (isf) tk.f = strtod(buf, NULL);
                else tk.i = strtoll(buf, NULL, 10);
                push(&tv, tk);
                pos = e;
                continue;
            }
            if (c == '\'' || c == '"') {
                jtok tk;
                if (lex_string(src, len, &pos, &line, &tk, err, el)) goto fail;
                push(&tv, tk);
                continue;
            }
            int k2 = 0;
            for (int i = 0; ops2[i]; i++)
                if (pos + 1 < len && src[pos] == ops2[i][0] && src[pos + 1] == ops2[i][1]) k2 = 2;
            if (!k2 && strchr(ops1, c)) k2 = 1;
            if (!k2) { snprintf(err, el, "line %d: unexpected character '%c'", line, c); goto fail; }
            if (c == '{' || c == '[' || c == '(') depth++;
            if ((c == '}' || c == ']' || c == ')') && depth > 0) depth--;
            push(&tv, (jtok){.type = JT_OP, .line = line, .s = src + pos, .n = (size_t)k2});
            pos += (size_t)k2;
        }
        if (!closed) { snprintf(err, el, "line %d: unclosed %s", open_line, kind == '{' ? "{{" : "{%"); goto fail; }
    }
    push(&tv, (jtok){.type = JT_EOF, .line = line});
    *toks = tv.v;
    *ntoks = tv.n;
    return 0;
fail:
    jinja_toks_free(tv.v, tv.n);
    return -1;
}
