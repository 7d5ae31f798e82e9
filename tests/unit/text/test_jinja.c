/*
 * test_jinja.c — the Jinja subset against the reference renderer, and
 * against hostile templates.
 *
 * Parity: for every tests/parity/chat-templates/NAME.jinja (the public chat
 * templates of Llama 2/3/3.2, Mistral v0.1/v0.3, Qwen 2/3, Gemma 1-2/3,
 * Phi-3, OLMo 2, Tülu 2, Zephyr, ChatML), each line of NAME.expected.jsonl
 * is a context and what @huggingface/jinja rendered
 * (tests/parity/gen-chat-fixtures.js): our output must be byte-identical,
 * and where the reference raised, we must fail with the same
 * raise_exception text.
 *
 * Semantics: whitespace control and trim/lstrip_blocks, scoping, loop
 * variables, slicing, filters and tests, Python text forms.
 * Hostile: infinite-looking loops, huge outputs, deep nesting, memory —
 * each stops with a message naming the template line.
 */
#include "text/jinja.h"
#include "check.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = 0;
    fclose(f);
    return s;
}

/* render src with a JSON context; NULL + err on failure */
static char *render(const char *src, const char *ctx, const jinja_limits *lim, char *err, size_t el)
{
    jinja_template *t = jinja_parse(src, strlen(src), err, el);
    if (!t) return NULL;
    json_error_t je;
    json_t *c = json_loads(ctx ? ctx : "{}", 0, &je);
    size_t len;
    char *out = jinja_render(t, c, lim, &len, err, el);
    json_decref(c);
    jinja_free(t);
    return out;
}

static void expect(const char *src, const char *ctx, const char *want)
{
    char err[512] = "";
    char *got = render(src, ctx, NULL, err, sizeof err);
    int ok = got && !strcmp(got, want);
    if (!ok) fprintf(stderr, "template %s\n  want [%s]\n  got  [%s] %s\n", src, want, got ? got : "(null)", err);
    CHECK(ok);
    free(got);
}

static void expect_error(const char *src, const char *ctx, const jinja_limits *lim, const char *want)
{
    char err[512] = "";
    char *got = render(src, ctx, lim, err, sizeof err);
    int ok = !got && strstr(err, want);
    if (!ok) fprintf(stderr, "template %s\n  want error containing [%s]\n  got [%s] err [%s]\n", src, want, got ? got : "(null)", err);
    CHECK(ok);
    free(got);
}

static void semantics(void)
{
    const char *msgs = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}";
    expect("{% for m in messages %}{{ loop.index0 }}{{ m.role[0] }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{% endfor %}",
           msgs, "0uF1aL");
    expect("a  \n  {%- if true -%}  \n b {%- endif %}\n c", NULL, "ab c");
    expect("x\n    {% if true %}\ny\n    {% endif %}\nz", NULL, "x\ny\nz");          /* lstrip + trim blocks */
    expect("{% set n = 1 %}{% for i in [1,2] %}{% set n = n + i %}{% endfor %}{{ n }}", NULL, "1");   /* loop scope */
    expect("{% set ns = namespace(n=1) %}{% for i in [1,2] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", NULL, "4");
    expect("{{ 'abc'[::-1] }}{{ [1,2,3][1:] }}{{ 'héllo'[::-1] }}", NULL, "cba[2, 3]olléh");
    expect("{{ '  a b  ' | trim }}|{{ 'A' | lower }}{{ 'b' | upper }}|{{ [3,4] | length }}|{{ 'x' ~ 1 ~ none }}", NULL,
           "a b|aB|2|x1None");
    expect("{{ {'a': [1, 2.5, true, none, 'q\"']} | tojson }}", NULL, "{\"a\": [1, 2.5, true, null, \"q\\\"\"]}");
    expect("{{ {'a': 1} | tojson(indent=2) }}", NULL, "{\n  \"a\": 1\n}");
    expect("{{ x | default('d') }}{{ '' | default('e', true) }}{{ [1,2] | first }}{{ [1,2] | last }}", NULL, "de12");
    expect("{{ ['a','b'] | join(', ') }}|{{ 'aXbX' | replace('X', '-') }}|{% for k, v in {'p': 1} | items %}{{ k }}={{ v }}{% endfor %}",
           NULL, "a, b|a-b-|p=1");
    expect("{{ x is defined }}{{ none is none }}{{ 'a' is string }}{{ 1 is not string }}{{ 3 is odd }}", NULL,
           "FalseTrueTrueTrueTrue");
    expect("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-5 }}", NULL,
           "3 -4 2 3.5 1024 1.0 0.30000000000000004 1e-05");
    expect("{{ 'a' if false else 'b' }}{{ 'x' in 'xyz' }}{{ 2 not in [1] }}{{ not 0 and 1 or 2 }}", NULL, "bTrueTrue1");
    expect("{{ ' A b '.strip() }}|{{ 'a,b'.split(',') }}|{{ 'abc'.startswith('ab') }}|{{ {'k': 'v'}.get('k') }}", NULL,
           "A b|['a', 'b']|True|v");
    expect("{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", NULL, "02");
    expect("{% for m in messages if m.role == 'assistant' %}{{ m.content }}{% else %}none{% endfor %}", msgs, "yo");
    expect("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }}", msgs, "['hi']");
    expect("{{ '12' | int + 1 }} {{ '2.5' | float }} {{ 'x' | int }} {{ 3.9 | int }} {{ 2 | float }} {{ 'q' | float(7) }}", NULL,
           "13 2.5 0 3 2.0 7");
    expect("{{ strftime_now('%Y-%m-%d %b') }}", NULL, "2024-07-26 Jul");
    jinja_limits date = {.year = 2025, .month = 1, .day = 2};
    char err[256];
    char *s = render("{{ strftime_now('%d %B %Y') }}", NULL, &date, err, sizeof err);
    CHECK(s && !strcmp(s, "02 January 2025"));
    free(s);
    expect("{# a comment #}\n{{ 'after' }}\n", NULL, "after");   /* one trailing newline dropped */
}

static void hostile(void)
{
    jinja_limits small = {.max_output = 1000, .max_iterations = 5000, .max_memory = 1 << 20};
    expect_error("{{ raise_exception('no system role') }}", NULL, NULL, "line 1: raise_exception: no system role");
    expect_error("\n\n{% for i in range(100000) %}x{% endfor %}", NULL, &small, "line 3:");
    jinja_limits iters = {.max_iterations = 5000};
    expect_error("{% for i in range(10) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", NULL, &iters, "line 1: more than 5000 loop iterations");
    expect_error("{% for i in range(900) %}xx{% endfor %}", NULL, &small, "output is longer than 1000 bytes");
    expect_error("{% set s = 'x' * 100000 %}", NULL, &small, "longer than");
    expect_error("{% set ns = namespace(s='ab') %}{% for i in range(4000) %}{% set ns.s = ns.s + ns.s[:64] %}{% endfor %}",
                 NULL, &small, "bytes of memory");
    /* deep nesting is refused at parse time, before the stack is at risk */
    char deep[4096];
    size_t k = 0;
    k += (size_t)snprintf(deep + k, sizeof deep - k, "{{ ");
    for (int i = 0; i < 1000; i++) deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 1000; i++) deep[k++] = ')';
    snprintf(deep + k, sizeof deep - k, " }}");
    expect_error(deep, NULL, NULL, "nesting deeper");
    expect_error("line one\n{% macro f() %}{% endmacro %}", NULL, NULL, "line 2: unsupported statement 'macro'");
    expect_error("{% if x %}", NULL, NULL, "unexpected end of template");
    expect_error("{{ 'unterminated }}", NULL, NULL, "line 1: unterminated string");
    expect_error("{{ x | nosuchfilter }}", NULL, NULL, "unknown filter 'nosuchfilter'");
    expect_error("a\nb\n{{ 1 + 'a' }}", NULL, NULL, "line 3: unsupported operand types");
    expect_error("{{ none.attr() }}", NULL, NULL, "has no method");
}

static void parity(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *p = strstr(dir, "unit/text/test_jinja.c");
    if (p) strcpy(p, "parity/chat-templates");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *e;
    int templates = 0, renders = 0, errors = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".jinja")) continue;
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        char *src = slurp(path, &n);
        jinja_template *t = src ? jinja_parse(src, n, err, sizeof err) : NULL;
        if (!t) { fprintf(stderr, "%s: %s\n", path, src ? err : "unreadable"); CHECK(0); free(src); continue; }
        snprintf(path, sizeof path, "%s/%.*s.expected.jsonl", dir, (int)(l - 6), e->d_name);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        while (f && getline(&line, &cap, f) > 0) {
            lineno++;
            json_error_t je;
            json_t *rec = json_loads(line, 0, &je);
            CHECK(rec != NULL);
            if (!rec) continue;
            json_t *ctx = json_object_get(rec, "context");
            const char *want = json_string_value(json_object_get(rec, "output"));
            const char *werr = json_string_value(json_object_get(rec, "error"));
            size_t len;
            char *got = jinja_render(t, ctx, NULL, &len, err, sizeof err);
            int ok;
            if (want) ok = got && len == json_string_length(json_object_get(rec, "output")) && !memcmp(got, want, len);
            else ok = !got && werr && strstr(err, werr);
            if (!ok)
                fprintf(stderr, "%s:%d: want %s [%s]\n  got [%s] %s\n", path, lineno, want ? "output" : "error",
                        want ? want : werr, got ? got : "(null)", got ? "" : err);
            CHECK(ok);
            renders += want != NULL;
            errors += werr != NULL;
            free(got);
            json_decref(rec);
        }
        free(line);
        if (f) fclose(f);
        jinja_free(t);
        free(src);
        templates++;
    }
    closedir(d);
    printf("parity: %d templates, %d renders, %d errors as the reference\n", templates, renders, errors);
    CHECK(templates >= 14);
}

int main(void)
{
    semantics();
    hostile();
    parity();
    return check_done("test_jinja");
}
