/*
 * test_csv.c — the RFC 4180 reader: quoting, doubled quotes, embedded
 * commas and newlines, empty fields, blank lines, and the two errors.
 */
#include "check.h"
#include "io/csv.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *const *lines;
    size_t i, n;
    char buf[512];
} src_t;

static int next_line(void *ctx, char **line, size_t *len)
{
    src_t *s = ctx;
    if (s->i == s->n)
        return 0;
    strcpy(s->buf, s->lines[s->i++]);
    *line = s->buf;
    *len = strlen(s->buf);
    return 1;
}

static int field_is(csv_reader *r, size_t i, const char *want)
{
    size_t n;
    const char *f = i < csv_nfields(r) ? csv_field(r, i, &n) : NULL;
    return f && n == strlen(want) && memcmp(f, want, n) == 0 && f[n] == 0;
}

int main(void)
{
    static const char *const l1[] = {"a,b,c", "1,\"x, y\",\"he said \"\"hi\"\"\"", "", ",,",
                                     "\"multi", "line\",end", "\"\",z"};
    src_t s = {l1, 0, sizeof l1 / sizeof *l1, ""};
    csv_reader r;
    csv_init(&r, next_line, &s);

    CHECK(csv_next(&r) == 1);
    CHECK(csv_nfields(&r) == 3 && field_is(&r, 0, "a") && field_is(&r, 2, "c"));

    CHECK(csv_next(&r) == 1);
    CHECK(csv_nfields(&r) == 3 && field_is(&r, 1, "x, y") && field_is(&r, 2, "he said \"hi\""));

    /* the blank line is skipped; ",," is three empty fields */
    CHECK(csv_next(&r) == 1);
    CHECK(csv_nfields(&r) == 3 && field_is(&r, 0, "") && field_is(&r, 2, ""));
    CHECK(r.record_line == 4);

    /* a quoted field across lines */
    CHECK(csv_next(&r) == 1);
    CHECK(csv_nfields(&r) == 2 && field_is(&r, 0, "multi\nline") && field_is(&r, 1, "end"));
    CHECK(r.record_line == 5);

    CHECK(csv_next(&r) == 1);
    CHECK(csv_nfields(&r) == 2 && field_is(&r, 0, "") && field_is(&r, 1, "z"));

    CHECK(csv_next(&r) == 0);
    csv_free(&r);

    /* unquoted fields take quotes literally */
    static const char *const l2[] = {"ab\"c,d"};
    src_t s2 = {l2, 0, 1, ""};
    csv_init(&r, next_line, &s2);
    CHECK(csv_next(&r) == 1 && field_is(&r, 0, "ab\"c") && field_is(&r, 1, "d"));
    csv_free(&r);

    /* errors */
    static const char *const l3[] = {"\"open", "still open"};
    src_t s3 = {l3, 0, 2, ""};
    csv_init(&r, next_line, &s3);
    CHECK(csv_next(&r) == -1);
    CHECK(strstr(csv_error(&r), "line 1") && strstr(csv_error(&r), "still open"));
    csv_free(&r);

    static const char *const l4[] = {"\"a\"b,c"};
    src_t s4 = {l4, 0, 1, ""};
    csv_init(&r, next_line, &s4);
    CHECK(csv_next(&r) == -1);
    CHECK(strstr(csv_error(&r), "after a closing quote") != NULL);
    csv_free(&r);

    return check_done("test_csv");
}
