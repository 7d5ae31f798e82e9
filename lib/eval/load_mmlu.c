/*
 * load_mmlu.c — MMLU (the HF cais/mmlu export: DIR/test/SUBJECT_test.csv
 * and DIR/dev/SUBJECT_dev.csv, header question,choice0..3,answer with the
 * answer an index 0-3) -> one record per (question, letter) for scoring
 * the letters' log-probabilities (bench-load --format mmlu).
 *
 * The prompt is the official evaluation script's: "The following are
 * multiple choice questions (with answers) about SUBJECT.\n\n", the --shots
 * first dev examples of the subject each as "Q\nA. a\nB. b\nC. c\nD. d\n
 * Answer: X\n\n", then the question with its choices; chat format puts it
 * in the user turn and opens the assistant turn with "Answer:", plain ends
 * the text with "\nAnswer:".  Each question gives four records, ids
 * mmlu:SUBJECT:N#L with prompt_id mmlu:SUBJECT:N and response " L" (what
 * lm-logprob scores); they travel together, so --limit counts questions
 * (per subject).  Subjects are read in name order.
 */
#include "eval/load_int.h"
#include "io/record.h"
#include "base/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct { char *s; size_t n, cap; } tbuf;
static void tput(tbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap)
        b->s = xrealloc(b->s, b->cap = 2 * (b->n + l + 1));
    memcpy(b->s + b->n, s, l + 1);
    b->n += l;
}

/* "question\nA. c0\nB. c1\nC. c2\nD. c3" */
static void put_question(tbuf *b, char **f)
{
    tput(b, f[0]);
    for (int i = 0; i < 4; i++) {
        char h[8];
        snprintf(h, sizeof h, "\n%c. ", 'A' + i);
        tput(b, h);
        tput(b, f[1 + i]);
    }
}

/* A record's head, as begin_record's plus prompt_id and response, ending
 * with the "gold" key and a 3-entry map header. */
static void pack_choice(msgpack_packer *pk, const char *id, const char *qid, const char *resp, const char *user,
                        const bench_opts *o)
{
    msgpack_pack_map(pk, 7);
    pack_str(pk, "id"), pack_str(pk, id);
    pack_str(pk, "prompt_id"), pack_str(pk, qid);
    pack_str(pk, "source"), pack_str(pk, "mmlu");
    pack_str(pk, "prompt");
    msgpack_pack_array(pk, o->plain ? 1 : 2);
    msgpack_pack_map(pk, 2);
    pack_str(pk, "role"), pack_str(pk, "user");
    pack_str(pk, "content"), pack_str(pk, user);
    if (!o->plain) {
        msgpack_pack_map(pk, 2);
        pack_str(pk, "role"), pack_str(pk, "assistant");
        pack_str(pk, "content"), pack_str(pk, "Answer:");
    }
    pack_str(pk, "response"), pack_str(pk, resp);
    pack_str(pk, "meta");
    msgpack_pack_map(pk, 1);
    pack_str(pk, "format"), pack_str(pk, o->plain ? "plain" : "chat");
    pack_str(pk, "gold");
    msgpack_pack_map(pk, 3);
}

static int answer_index(const char *a) { return a[0] >= '0' && a[0] <= '3' && !a[1] ? a[0] - '0' : -1; }

static void free_fields(char **f, int k)
{
    for (int i = 0; i < k; i++)
        free(f[i]);
}

void bench_load_mmlu(const char *dir, const bench_opts *o, rstream *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/test", dir);
    DIR *d = opendir(path);
    if (!d)
        die(EX_NOINPUT, "%s: cannot open (want the MMLU root with test/ and dev/)", path);
    char **subj = NULL;
    size_t ns = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 9 && !strcmp(e->d_name + l - 9, "_test.csv")) {
            subj = xrealloc(subj, (ns + 1) * sizeof *subj);
            subj[ns++] = xstrndup(e->d_name, l - 9);
        }
    }
    closedir(d);
    qsort(subj, ns, sizeof *subj, by_name);
    int shots = o->shots < 0 ? 0 : o->shots;
    group g;
    group_init(&g);
    for (size_t s = 0; s < ns; s++) {
        tbuf head = {0};
        char *words = xstrdup(subj[s]);
        for (char *c = words; *c; c++)
            if (*c == '_')
                *c = ' ';
        tput(&head, "The following are multiple choice questions (with answers) about ");
        tput(&head, words);
        tput(&head, ".\n\n");
        char *f[8];
        size_t n, pos = 0;
        int k, row = 0;
        if (shots) {
            snprintf(path, sizeof path, "%s/dev/%s_dev.csv", dir, subj[s]);
            char *t = slurp(path, &n);
            csv_row(t, n, &pos, f, 8) > 0 ? free_fields(f, 6) : (void)0; /* header */
            for (int i = 0; i < shots && (k = csv_row(t, n, &pos, f, 8)) > 0; i++) {
                int a = k == 6 ? answer_index(f[5]) : -1;
                if (a < 0)
                    die(EX_DATAERR, "%s: row %d: want question,choice0..3,answer (0-3)", path, i + 2);
                put_question(&head, f);
                char ans[16];
                snprintf(ans, sizeof ans, "\nAnswer: %c\n\n", 'A' + a);
                tput(&head, ans);
                free_fields(f, k);
            }
            free(t);
        }
        snprintf(path, sizeof path, "%s/test/%s_test.csv", dir, subj[s]);
        char *t = slurp(path, &n);
        pos = 0;
        if ((k = csv_row(t, n, &pos, f, 8)) > 0)
            free_fields(f, k); /* header */
        while ((k = csv_row(t, n, &pos, f, 8)) != 0) {
            row++;
            int a = k == 6 ? answer_index(f[5]) : -1;
            if (k < 0 || a < 0)
                die(EX_DATAERR, "%s: row %d: want question,choice0..3,answer (0-3)", path, row + 1);
            tbuf q = {0};
            tput(&q, head.s);
            put_question(&q, f);
            if (o->plain)
                tput(&q, "\nAnswer:");
            char qid[512], id[520], gold[2] = {(char)('A' + a), 0};
            snprintf(qid, sizeof qid, "mmlu:%s:%d", subj[s], row - 1);
            for (int L = 0; L < 4; L++) {
                char letter[2] = {(char)('A' + L), 0}, resp[3] = {' ', (char)('A' + L), 0};
                snprintf(id, sizeof id, "%s#%s", qid, letter);
                pack_choice(&g.pk, id, qid, resp, q.s, o);
                pack_str(&g.pk, "answer"), pack_str(&g.pk, gold);
                pack_str(&g.pk, "choice"), pack_str(&g.pk, letter);
                pack_str(&g.pk, "subject"), pack_str(&g.pk, subj[s]);
            }
            char where[32];
            snprintf(where, sizeof where, "row %d", row + 1);
            group_add(&g, qid, o->seed, path, where);
            free(q.s);
            free_fields(f, k);
        }
        free(t);
        free(head.s);
        free(words);
        group_flush(&g, o, out);
        free(subj[s]);
    }
    free(subj);
    group_free(&g);
}
