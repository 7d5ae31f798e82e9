/*
 * test_rm_stats.c — the reward-model statistics contract (rm_stats.c):
 *  - what rm-train stores reads back to the same doubles (format_double
 *    round-trips), inside a trainer_state.json with other members;
 *  - nothing is stored before the statistics exist;
 *  - reading refuses, with a message naming the file, a missing file,
 *    text that is not JSON, missing keys, non-numbers, a zero, negative or
 *    infinite std — and a file without reward_count still reads (count 0);
 *  - normalisation is (r - mean) / std.
 */
#include "check.h"
#include "train/rm_stats.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void put_state(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int refuses(const char *text, const char *needle)
{
    put_state(text);
    rm_stats s;
    char why[512] = "";
    int r = rm_stats_read(dir, &s, why, sizeof why);
    int ok = r == -1 && !s.have && strstr(why, "trainer_state.json") && strstr(why, needle);
    if (!ok) fprintf(stderr, "for %s: r %d, why '%s'\n", text, r, why);
    return ok;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_rm_stats.XXXXXX");
    if (!mkdtemp(dir)) return 1;

    rm_stats w = {0}, r;
    CHECK(rm_stats_state_members(&w) == NULL);
    w = (rm_stats){.have = 1, .mean = -0.1234567890123, .std = 1.0 / 3.0, .count = 128};
    char *members = rm_stats_state_members(&w);
    CHECK(members && strstr(members, "\"reward_count\": 128"));
    char text[512];
    snprintf(text, sizeof text, "{\"stage\": \"rm-train\", \"step\": 3, %s}\n", members);
    free(members);
    put_state(text);
    char why[512];
    CHECK(rm_stats_read(dir, &r, why, sizeof why) == 0);
    CHECK(r.have && r.mean == w.mean && r.std == w.std && r.count == 128);
    CHECK_NEAR(rm_stats_normalize(&r, w.mean + 2 * w.std), 2.0, 1e-12);

    put_state("{\"reward_mean\": 0.25, \"reward_std\": 0.5}");
    CHECK(rm_stats_read(dir, &r, why, sizeof why) == 0 && r.count == 0 && r.mean == 0.25 && r.std == 0.5);
    CHECK(rm_stats_normalize(&r, 1.25) == 2.0);

    CHECK(refuses("{\"reward_mean\": 0.25", "trainer_state.json"));
    CHECK(refuses("{\"reward_std\": 0.5}", "no usable reward_mean/reward_std"));
    CHECK(refuses("{\"reward_mean\": \"0.25\", \"reward_std\": 0.5}", "no usable"));
    CHECK(refuses("{\"reward_mean\": 0.25, \"reward_std\": 0}", "positive"));
    CHECK(refuses("{\"reward_mean\": 0.25, \"reward_std\": -1}", "positive"));
    CHECK(refuses("{\"reward_mean\": 0.25, \"reward_std\": 1e999}", "trainer_state.json"));

    char path[128];
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    unlink(path);
    CHECK(rm_stats_read(dir, &r, why, sizeof why) == -1 && strstr(why, dir) && strstr(why, "no trainer_state.json"));
    rmdir(dir);
    return check_done("test_rm_stats");
}
