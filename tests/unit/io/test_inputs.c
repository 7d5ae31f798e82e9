/*
 * test_inputs.c — the per-record loop over a filter's inputs: operands in
 * order, stdin when none, records numbered per input in "FILE: record N",
 * raw bytes for relaying, early stop, and inputs_read handing back a
 * malformed record instead of ending the program.
 */
#include "check.h"
#include "base/inputs.h"
#include "io/inputs.h"
#include "io/record.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write n records {"id": "<tag><i>"} to path; bad_at (1-based) gets an
 * invalid UTF-8 id instead. */
static void write_records(const char *path, const char *tag, int n, int bad_at)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int i = 1; i <= n; i++) {
        char id[32];
        int k = i == bad_at ? snprintf(id, sizeof id, "\xff%d", i) : snprintf(id, sizeof id, "%s%d", tag, i);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "id", 2);
        msgpack_pack_str_with_body(&pk, id, (size_t)k);
    }
    FILE *f = fopen(path, "wb");
    if (sb.size)   /* no records: an empty file (sb.data is NULL) */
        fwrite(sb.data, 1, sb.size, f);
    fclose(f);
    msgpack_sbuffer_destroy(&sb);
}

static int id_is(const msgpack_object *rec, const char *want)
{
    const char *id;
    size_t n;
    return rec_get_str(rec, "id", &id, &n) == 1 && n == strlen(want) && memcmp(id, want, n) == 0;
}

int main(void)
{
    char dir[] = "/tmp/test_inputs.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char a[64], b[64], e[64], bad[64];
    snprintf(a, sizeof a, "%s/a.mp", dir);
    snprintf(b, sizeof b, "%s/b.mp", dir);
    snprintf(e, sizeof e, "%s/empty.mp", dir);
    snprintf(bad, sizeof bad, "%s/bad.mp", dir);
    write_records(a, "a", 3, 0);
    write_records(e, "e", 0, 0);
    write_records(b, "b", 2, 0);
    write_records(bad, "x", 3, 2);

    /* operands, or stdin */
    char *argv[] = {"prog", "-o", "out", a, e, b, NULL};
    int n;
    char **ops = cli_inputs(6, argv, 3, &n);
    CHECK(n == 3 && ops == argv + 3);
    ops = cli_inputs(3, argv, 3, &n);
    CHECK(n == 1 && strcmp(ops[0], "-") == 0);
    CHECK(strcmp(cli_input_name("-"), "stdin") == 0 && strcmp(cli_input_name(a), a) == 0);

    /* every record of every input, in order, numbered per input */
    inputs in;
    inputs_open(&in, 6, argv, 3);
    const char *want[] = {"a1", "a2", "a3", "b1", "b2"};
    int got = 0, order = 1;
    char where[128];
    while (inputs_next(&in)) {
        order &= got < 5 && id_is(&in.rec, want[got]);
        msgpack_unpacked u;   /* the raw bytes are this record's */
        msgpack_unpacked_init(&u);
        size_t off = 0;
        order &= msgpack_unpack_next(&u, in.raw, in.len, &off) == MSGPACK_UNPACK_SUCCESS && off == in.len &&
                 id_is(&u.data, want[got]);
        msgpack_unpacked_destroy(&u);
        got++;
        if (got == 5) snprintf(where, sizeof where, "%s", inputs_where(&in));
    }
    inputs_close(&in);
    CHECK(got == 5 && order);
    char expect[128];
    snprintf(expect, sizeof expect, "%s: record 2", b);
    CHECK(strcmp(where, expect) == 0);

    /* a label replaces the name; stopping early closes cleanly */
    char *one[] = {a};
    inputs_open(&in, 1, one, 0);
    in.label = "judge output";
    CHECK(inputs_next(&in) && strcmp(inputs_where(&in), "judge output: record 1") == 0);
    inputs_close(&in);
    CHECK(in.stream == NULL && !inputs_next(&in));

    /* inputs_read gives a malformed record back as -1 and carries on */
    char *bads[] = {bad};
    inputs_open(&in, 1, bads, 0);
    const char *why = NULL;
    int r1 = inputs_read(&in, &why), r2 = inputs_read(&in, &why);
    char whyb[256];   /* *why lives until the next read: keep a copy */
    snprintf(whyb, sizeof whyb, "%s", why ? why : "");
    snprintf(where, sizeof where, "%s", inputs_where(&in));
    int r3 = inputs_read(&in, &why), r4 = inputs_read(&in, &why);
    inputs_close(&in);
    snprintf(expect, sizeof expect, "%s: record 2", bad);
    CHECK(r1 == 1 && r2 == -1 && strstr(whyb, "UTF-8") && strcmp(where, expect) == 0);
    CHECK(r3 == 1 && r4 == 0);

    unlink(a), unlink(b), unlink(e), unlink(bad);
    rmdir(dir);
    return check_done("test_inputs");
}
