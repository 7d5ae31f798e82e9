/*
 * fuzz_records.c — libFuzzer target for the record reader: arbitrary bytes
 * go through the stream layer (via a memfd, so the real buffering and
 * truncation paths run), every record is structurally checked, converted
 * to JSON and validated against every schema.  Nothing may crash, leak or
 * read out of bounds.  Build and run: make fuzz; make fuzz-run.
 */
#include "io/jsonconv.h"
#include "io/schema.h"
#include "io/stream.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    lseek(fd, 0, SEEK_SET);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    rstream *s = rs_open_read(path);
    msgpack_object rec;
    obuf out = {0};
    char err[256];
    for (int n = 0; n < 1000; n++) {
        int r = rs_read(s, &rec);
        if (r == RS_EOF || (r == RS_ERR && !rs_recoverable(s)))
            break;
        if (r == RS_ERR)
            continue;
        out.n = 0;
        msgpack_to_json(&rec, &out);
        for (const char *const *k = schema_kinds(); *k; k++)
            schema_validate(*k, &rec, err, sizeof err);
    }
    obuf_free(&out);
    rs_close(s);
    close(fd);
    return 0;
}
