/*
 * test_spool.c — the temporary-file spool behind rec shuffle: items come
 * back byte for byte (empty ones, NULs, one larger than any buffer so
 * far), in any order, while more are being added; the file lives in
 * $TMPDIR and is gone (unlinked) from the start.
 */
#include "check.h"
#include "base/spool.h"
#include "base/util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t make(size_t i, char *buf)
{
    size_t n = i % 7 == 0 ? 0 : (i * 37) % 300;
    if (i == 500) n = 200000;   /* larger than everything before */
    for (size_t j = 0; j < n; j++) buf[j] = (char)((i + j) % 5 == 0 ? 0 : (i * 31 + j) & 0xff);
    return n;
}

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n == 0;
}

int main(void)
{
    char tmpl[] = "/tmp/test_spool.XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    setenv("TMPDIR", dir, 1);

    static char want[200000], item[200000];
    bspool s;
    bspool_open(&s);
    CHECK(dir_is_empty(dir));   /* unlinked at once */
    size_t n = 1000;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = make(i, item);
        bspool_add(&s, item, len);
        if (i % 97 == 0) {   /* read back an earlier item while adding */
            size_t j = i / 2, got;
            size_t wl = make(j, want);
            const char *p = bspool_get(&s, j, &got);
            ok &= got == wl && memcmp(p, want, wl) == 0;
        }
    }
    CHECK(ok);
    CHECK(s.n == n);
    ok = 1;
    for (size_t i = n; i-- > 0;) {   /* backwards */
        size_t got, wl = make(i, want);
        const char *p = bspool_get(&s, i, &got);
        ok &= got == wl && memcmp(p, want, wl) == 0;
    }
    CHECK(ok);
    size_t got;
    bspool_get(&s, 500, &got);
    CHECK(got == 200000);
    bspool_close(&s);
    CHECK(s.f == NULL && s.n == 0);

    bspool_open(&s);   /* an empty spool */
    CHECK(s.n == 0);
    bspool_close(&s);
    CHECK(rmdir(dir) == 0);   /* nothing was left behind */
    return check_done("test_spool");
}
