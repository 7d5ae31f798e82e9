/*
 * test_fsreplace.c — fs_rm_tree_sigsafe, the tree removal a fatal-signal
 * handler may run (no allocation): it removes nested directories with
 * more entries than one getdents64 buffer holds, never follows a symlink
 * (the target survives), succeeds on a missing path, and removes a plain
 * file given as PATH.  Also run from inside a real SIGTERM handler.
 */
#include "check.h"
#include "base/fsreplace.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void touch(const char *p)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "x", 1) == 1);
    close(fd);
}

static void build(const char *root, const char *keep)
{
    char p[512];
    CHECK(mkdir(root, 0755) == 0);
    for (int i = 0; i < 300; i++) { /* > one 4 KiB getdents64 batch */
        snprintf(p, sizeof p, "%s/file-with-a-longish-name-%03d.safetensors", root, i);
        touch(p);
    }
    snprintf(p, sizeof p, "%s/a", root);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/a/b", root);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/a/b/deep.json", root);
    touch(p);
    snprintf(p, sizeof p, "%s/link", root);
    CHECK(symlink(keep, p) == 0);
}

static char g_root[256];
static volatile int g_rc = 99;
static void on_term(int sig) { (void)sig; g_rc = fs_rm_tree_sigsafe(g_root); }

int main(void)
{
    char tmpl[] = "/tmp/test_fsreplace.XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    char root[256], keep[256], file[256];
    snprintf(keep, sizeof keep, "%s/keep", dir);
    CHECK(mkdir(keep, 0755) == 0);
    snprintf(file, sizeof file, "%s/keep/precious", dir);
    touch(file);

    snprintf(root, sizeof root, "%s/ckpt.tmp.1", dir);
    build(root, keep);
    CHECK(fs_rm_tree_sigsafe(root) == 0);
    CHECK(access(root, F_OK) != 0);
    CHECK(access(file, F_OK) == 0); /* the symlink's target survives */

    CHECK(fs_rm_tree_sigsafe(root) == 0); /* missing: nothing to do */
    touch(root);
    CHECK(fs_rm_tree_sigsafe(root) == 0); /* a plain file */
    CHECK(access(root, F_OK) != 0);

    /* from a signal handler */
    snprintf(g_root, sizeof g_root, "%s/ckpt.tmp.2", dir);
    build(g_root, keep);
    signal(SIGTERM, on_term);
    raise(SIGTERM);
    CHECK(g_rc == 0);
    CHECK(access(g_root, F_OK) != 0);

    unlink(file);
    rmdir(keep);
    rmdir(dir);
    return check_done("test_fsreplace");
}
