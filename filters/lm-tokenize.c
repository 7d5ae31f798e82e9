/*
 * lm-tokenize — look at what a tokenizer does.
 *
 *   text mode (default): each input line -> its token ids, space separated
 *   --show: one "id<TAB>piece" line per token (piece C-escaped), blank line
 *           between input lines
 *   --decode: each line of ids -> the decoded text
 *   --pair: each line "A<TAB>B" -> the pair's ids (encode(A, B): the
 *           post-processor's pair template), or with --show its tokens
 *   --chat: records with `prompt` (messages) and optional `response` ->
 *           the same records plus `prompt_tokens` (the Tülu-templated prompt
 *           ending in "<|assistant|>\n") and `tokens` (the response + EOS),
 *           exactly as the trainers and samplers tokenize them.
 * The tokenizer comes from --checkpoint DIR, --tokenizer FILE, or the
 * built-in byte tokenizer (--byte, the default).  Special tokens in text
 * are split out unless --no-special.
 *
 * Text mode is Hugging Face's tokenizer.encode(text).ids: the
 * post-processor's tokens (Llama's BOS) are added unless --no-add-special
 * (add_special_tokens=False).  --decode is tokenizer.decode(ids) with
 * skip_special_tokens as --skip-special says; the result is UTF-8 with
 * U+FFFD for invalid bytes as the library's String is, except with the
 * built-in byte tokenizer, which gives back the exact bytes.  --chat
 * encodes through chat_encode: the post-processor's leading tokens (BOS),
 * then the templated conversation.
 */
#include "text/chat_template.h"
#include "train/checkpoint.h"
#include "io/bytesrc.h"
#include "base/cli.h"
#include "base/inputs.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: lm-tokenize [OPTIONS] [INPUT]\n"
    "\n"
    "Encode text lines to token ids (default), show tokens, decode ids, or\n"
    "tokenize conversation records with the chat template.\n"
    "\n"
    "  -c, --checkpoint DIR   use DIR/tokenizer.json\n"
    "  -t, --tokenizer FILE   use a tokenizer.json\n"
    "      --byte             the built-in byte tokenizer (default)\n"
    "      --show             one line per token: id, TAB, piece (old spelling -s,\n"
    "                         until the next release: -s is --seed elsewhere)\n"
    "  -d, --decode           input lines are ids; print the text\n"
    "      --chat             records in (prompt [+ response]), records out\n"
    "                         with prompt_tokens [+ tokens]\n"
    "      --no-special       encode special-token text as ordinary text\n"
    "      --no-add-special   do not add the post-processor's tokens (BOS ...)\n"
    "      --skip-special     --decode: leave special tokens out\n"
    "      --pair             each line is two texts A<TAB>B (split at the first\n"
    "                         TAB), encoded as a pair: the post-processor's\n"
    "                         pair template ([CLS] A [SEP] B [SEP], ...)\n"
    "  -o, --output OUT       output (default stdout)\n"
    "  -h, --help             this help\n"
    "  -V, --version          version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input or tokenizer, 66 cannot open.\n";

static void put_escaped(rstream *o, const char *s, size_t n)
{
    char b[8];
    int raw_utf8 = utf8_valid(s, n);   /* a partial character is shown as \xNN */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') rs_write_bytes(o, "\\n", 2);
        else if (c == '\t') rs_write_bytes(o, "\\t", 2);
        else if (c == '\\') rs_write_bytes(o, "\\\\", 2);
        else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !raw_utf8)) { snprintf(b, sizeof b, "\\x%02x", c); rs_write_bytes(o, b, 4); }
        else rs_write_bytes(o, (const char *)&s[i], 1);
    }
}

static void chat_mode(const tokenizer *tok, int argc, char **argv, const char *outp)
{
    rstream *w = rs_open_write(outp);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    recb b;
    recb_init(&b);
    char err[256];
    while (inputs_next(&in)) {
        const msgpack_object *rec = &in.rec;
        chat_msg *msgs;
        int n = chat_from_msgpack(rec_get(rec, "prompt"), &msgs, err, sizeof err);
        if (n < 0) die(EX_DATAERR, "%s: prompt: %s", inputs_where(&in), err);
        recb_reset(&b);
        recb_copy_fields(&b, rec);
        const char *resp;
        size_t rl;
        int has = rec_get_str(rec, "response", &resp, &rl);
        if (has < 0) die(EX_DATAERR, "%s: response is not a string", inputs_where(&in));
        int32_t *pids, *rids = NULL;
        long np, nr = 0;
        if (has == 1) {
            nr = chat_encode_response(tok, msgs, n, resp, rl, &pids, &np, &rids, err, sizeof err);
            if (nr < 0) die(EX_DATAERR, "%s: %s", inputs_where(&in), err);
        } else {
            np = chat_encode(tok, msgs, n, 1, &pids, NULL, err, sizeof err);
            if (np < 0) die(EX_DATAERR, "%s: %s", inputs_where(&in), err);
        }
        recb_put_i32_array(&b, "prompt_tokens", pids, (size_t)np);
        if (has == 1) recb_put_i32_array(&b, "tokens", rids, (size_t)nr);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(w, buf, len);
        free(pids); free(rids); free(msgs);
    }
    recb_free(&b);
    inputs_close(&in);
    rs_close(w);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    enum { O_BYTE = 1000, O_CHAT, O_NOSPECIAL, O_NOADD, O_SKIP, O_SHOW, O_PAIR };
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"checkpoint", required_argument, 0, 'c'}, {"tokenizer", required_argument, 0, 't'},
        {"byte", no_argument, 0, O_BYTE}, {"show", no_argument, 0, O_SHOW}, {"decode", no_argument, 0, 'd'},
        {"chat", no_argument, 0, O_CHAT}, {"no-special", no_argument, 0, O_NOSPECIAL},
        {"no-add-special", no_argument, 0, O_NOADD}, {"skip-special", no_argument, 0, O_SKIP},
        {"pair", no_argument, 0, O_PAIR}, {"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    const char *ckpt = NULL, *tokpath = NULL, *out = "-";
    int show = 0, decode = 0, chat = 0, special = 1, add = 1, skip = 0, pair = 0, c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "c:dho:st:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'c': ckpt = optarg; break;
        case 't': tokpath = optarg; break;
        case O_BYTE: ckpt = tokpath = NULL; break;
        case 's': cli_old_spelling("-s", "--show", NULL); /* fall through */
        case O_SHOW: show = 1; break;
        case 'd': decode = 1; break;
        case O_CHAT: chat = 1; break;
        case O_NOSPECIAL: special = 0; break;
        case O_NOADD: add = 0; break;
        case O_SKIP: skip = 1; break;
        case O_PAIR: pair = 1; break;
        case 'o': out = optarg; break;
        default: cli_bad_option(argv, lo);
        }
    }
    if (argc - optind > 1) cli_usage_error("at most one input");
    if (show + decode + chat > 1) cli_usage_error("--show, --decode and --chat exclude each other");
    if (pair && (decode || chat)) cli_usage_error("--pair encodes text: not with --decode or --chat");
    int nin;
    const char *in = cli_inputs(argc, argv, optind, &nin)[0], *name = cli_input_name(in);
    tokenizer *tok;
    char err[512];
    if (ckpt) tok = ckpt_load_tokenizer(ckpt);
    else if (tokpath) {
        tok = tok_load(tokpath, err, sizeof err);
        if (!tok) die(strstr(err, "cannot open") ? EX_NOINPUT : EX_DATAERR, "%s: %s", tokpath, err);
        if (chat_template_load_beside(tok, tokpath, err, sizeof err) < 0) die(EX_DATAERR, "%s", err);
    } else tok = tok_byte_new();
    if (chat) { chat_mode(tok, argc, argv, out); tok_free(tok); return 0; }
    int eflags = (special ? TOK_SPLIT_SPECIAL : 0) | (add ? TOK_ADD_SPECIAL : 0);
    int dflags = (skip ? TOK_SKIP_SPECIAL : 0) | (strcmp(tok_kind(tok), "byte") ? TOK_DECODE_UTF8 : 0);
    if (pair) {   /* refused before any output when the tokenizer cannot */
        int32_t *ids;
        if (tok_encode_pair(tok, "", 0, "", 0, eflags, &ids, NULL, NULL, err, sizeof err) < 0)
            die(EX_DATAERR, "--pair: %s", err);
        free(ids);
    }

    bsrc *src = bsrc_open(in);
    if (!src) die(EX_NOINPUT, "%s: cannot open: %s", in, strerror(errno));
    bsrc_keep_last_cr(src);   /* only "\n" or "\r\n" ends a line: any other "\r" is text */
    rstream *o = rs_open_text_out(out);
    char *line;
    size_t len;
    int r;
    unsigned long lineno = 0;
    while ((r = bsrc_getline(src, &line, &len, 64u << 20)) == 1) {
        lineno++;
        if (len && line[len - 1] == '\n') len--;
        if (decode) {
            size_t n = 0, cap = 64;
            int32_t *ids = xmalloc(cap * sizeof *ids);
            char *p = line, *end = line + len;
            while (p < end) {
                while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
                if (p >= end) break;
                char *q;
                errno = 0;
                long v = strtol(p, &q, 10);
                if (q == p || errno || v < 0 || v > INT32_MAX || (q < end && *q != ' ' && *q != '\t' && *q != ','))
                    die(EX_DATAERR, "%s: line %lu: not a list of token ids", name, lineno);
                if (v >= tok_vocab_size(tok)) die(EX_DATAERR, "%s: line %lu: id %ld outside the vocabulary", name, lineno, v);
                if (n == cap) ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
                ids[n++] = (int32_t)v;
                p = q;
            }
            size_t dl;
            char *text = tok_decode(tok, ids, n, dflags, &dl);
            rs_write_bytes(o, text, dl);
            rs_write_bytes(o, "\n", 1);
            free(text);
            free(ids);
            continue;
        }
        int32_t *ids;
        long n;
        if (pair) {
            const char *tab = memchr(line, '\t', len);
            if (!tab) die(EX_DATAERR, "%s: line %lu: --pair needs two texts separated by a TAB", name, lineno);
            size_t al = (size_t)(tab - line);
            n = tok_encode_pair(tok, line, al, tab + 1, len - al - 1, eflags, &ids, NULL, NULL, err, sizeof err);
        } else n = tok_encode(tok, line, len, eflags, &ids, err, sizeof err);
        if (n < 0) die(EX_DATAERR, "%s: line %lu: %s", name, lineno, err);
        char num[32];
        for (long i = 0; i < n; i++) {
            if (show) {
                size_t pl = 0;
                const char *piece = tok_piece(tok, ids[i], &pl);
                int k = snprintf(num, sizeof num, "%d\t", ids[i]);
                rs_write_bytes(o, num, (size_t)k);
                put_escaped(o, piece ? piece : "", pl);
                rs_write_bytes(o, "\n", 1);
            } else {
                int k = snprintf(num, sizeof num, i ? " %d" : "%d", ids[i]);
                rs_write_bytes(o, num, (size_t)k);
            }
        }
        rs_write_bytes(o, "\n", 1);
        free(ids);
    }
    if (r < 0) {   /* the reader's own messages may already name the line */
        const char *e = bsrc_error(src);
        if (!strncmp(e, "line ", 5)) die(EX_DATAERR, "%s: %s", name, e);
        die(EX_DATAERR, "%s: line %lu: %s", name, lineno + 1, e);
    }
    bsrc_close(src);
    rs_close(o);
    tok_free(tok);
    return 0;
}
