/*
 * lang.c — script + function-word language identifier (lang.h).
 *
 * One pass decodes UTF-8, counts letters per script block and a few
 * distinguishing letters, and splits words (runs of letters of any
 * supported script).  Each word, lower-cased (ASCII, Latin-1, Cyrillic),
 * is looked up in a hash table of function words -> bitmask of languages,
 * built once.  Invalid UTF-8 bytes are skipped.
 */
#include "eval/lang.h"
#include "eval/common.h"
#include "base/util.h"

#include <string.h>

enum { S_NONE, S_LATIN, S_CYR, S_ARAB, S_DEVA, S_BENG, S_GURU, S_GUJR, S_TAML, S_TELU, S_KNDA, S_THAI, S_HANG,
       S_GREK, S_HEBR, S_HAN, S_KANA, S_N };

enum { L_EN, L_DE, L_FI, L_IT, L_PT, L_SW, L_ES, L_FR, L_NL, L_RU, L_BG, L_HI, L_MR, L_NE, L_NW };
static const char *const wl_code[L_NW] = {"en", "de", "fi", "it", "pt", "sw", "es", "fr", "nl", "ru", "bg", "hi", "mr", "ne"};

static const char *const stopwords[L_NW] = {
    "the and of to is in that it for you with this are was be on as have not your will can my we an or from by at "
    "what how they their there which would about if do has been these more",
    "der die das und ist nicht ein eine zu den mit sich des auf für im dem von es ich sie wir auch oder wie werden "
    "wird sind einen bei nach aus noch",
    "ja on ei että se oli ovat tai kun mutta hän myös joka ole kuin niin sen voi tämä mitä jos minä sinä olla ovat "
    "hyvä kanssa mukaan",
    "il di che è e la per un una non sono del della le con si da gli come anche ma più questo al nel alla delle "
    "questa essere",
    "o de que e a do da em um uma para com não os as se no na por mais é são ao seu sua você também isso pelo "
    "pela",
    "na ya wa kwa ni za katika la kuwa hii ili au lakini pia yake hiyo sana watu kama kwamba cha vya kila yako "
    "wako",
    "el la de que y en los las por con para es un una no se del al lo como más pero sus su está este esta",
    "le la les de des et est un une que qui dans pour pas sur ce il elle avec au du je vous nous sont cette",
    "de het een en van is dat niet op te zijn met voor er ik je maar ook als wordt dit aan naar",
    "что это как он она мы я так все было они если его для был уже вы", "е са ще това като че се които тя те "
    "също към ако",
    "है हैं के में और से का यह था नहीं लिए पर भी कि इस", "आहे आणि हे या च्या ला मध्ये आहेत नाही होते तर त्या "
    "करण्यासाठी",
    "छ छन् र मा हो गर्न पनि भएको लागि यो गर्छ थियो हुन्छ भने"};

static strmap words;
static int words_ready;

static void build_words(void)
{
    strmap_init(&words);
    for (int l = 0; l < L_NW; l++) {
        const char *p = stopwords[l];
        while (*p) {
            const char *e = strchr(p, ' ');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            *strmap_get(&words, p, len, 0, NULL) |= 1ull << l;
            p += len;
            while (*p == ' ')
                p++;
        }
    }
    words_ready = 1;
}

static int script_of(unsigned c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
        (c >= 0x1E00 && c <= 0x1EFF))
        return S_LATIN;
    if (c >= 0x400 && c <= 0x4FF) return S_CYR;
    if ((c >= 0x620 && c <= 0x64A) || (c >= 0x66E && c <= 0x6D3) || (c >= 0x750 && c <= 0x77F)) return S_ARAB;
    if (c >= 0x900 && c <= 0x963) return S_DEVA;
    if (c >= 0x980 && c <= 0x9E3) return S_BENG;
    if (c >= 0xA00 && c <= 0xA63) return S_GURU;
    if (c >= 0xA80 && c <= 0xAE3) return S_GUJR;
    if (c >= 0xB80 && c <= 0xBE5) return S_TAML;
    if (c >= 0xC00 && c <= 0xC63) return S_TELU;
    if (c >= 0xC80 && c <= 0xCE3) return S_KNDA;
    if (c >= 0xE00 && c <= 0xE4E) return S_THAI;
    if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F)) return S_HANG;
    if (c >= 0x370 && c <= 0x3FF) return S_GREK;
    if (c >= 0x5D0 && c <= 0x5EA) return S_HEBR;
    if (c >= 0x4E00 && c <= 0x9FFF) return S_HAN;
    if (c >= 0x3040 && c <= 0x30FF) return S_KANA;
    return S_NONE;
}

static unsigned lower_cp(unsigned c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x410 && c <= 0x42F))
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    return c;
}

static size_t put_utf8(char *o, unsigned c)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decode one code point at s[*i]; advances; returns 0xFFFFFFFF on a bad byte. */
static unsigned next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[(*i)++];
    int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0)
        return 0xFFFFFFFFu;
    c &= extra == 0 ? 0x7F : extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07;
    for (int k = 0; k < extra; k++) {
        if (*i >= n || (s[*i] & 0xC0) != 0x80)
            return 0xFFFFFFFFu;
        c = (c << 6) | (s[(*i)++] & 0x3F);
    }
    return c;
}

typedef struct {
    size_t script[S_N];
    double wl[L_NW];
    size_t ur, fa, ar, ru, bg, mr, vi, de, pt, es, uml, fr, acute;
} lang_counts;

static void count_letter(lang_counts *k, unsigned c)
{
    switch (c) {
    case 0x679: case 0x688: case 0x691: case 0x6BA: case 0x6D2: case 0x6C1: k->ur++; break;
    case 0x6A9: case 0x6CC: k->fa++; break;
    case 0x643: case 0x64A: case 0x629: k->ar++; break;
    case 0x44B: case 0x44D: case 0x451: k->ru++; break;
    case 0x44A: k->bg++; break;
    case 0x933: k->mr++; break;
    case 0x111: case 0x1A1: case 0x1B0: case 0x103: k->vi++; break;
    case 0xDF: case 0xFC: k->de++; break;
    case 0xE4: case 0xF6: k->uml++; break;
    case 0xE8: case 0xEA: case 0xE7: case 0xF9: case 0xFB: case 0xEE: case 0x153: k->fr++; break;
    case 0xE1: case 0xED: case 0xF3: case 0xFA: k->acute++; break;
    case 0xE3: case 0xF5: k->pt++; break;
    case 0xF1: k->es++; break;
    default:
        if (c >= 0x1EA0 && c <= 0x1EF9)
            k->vi++;
    }
}

static void count_word(lang_counts *k, const char *w, size_t len)
{
    uint64_t *m = len ? strmap_get(&words, w, len, 0, NULL) : NULL;
    if (!m || !*m)
        return;
    int nl = __builtin_popcountll(*m);
    for (int l = 0; l < L_NW; l++)
        if (*m >> l & 1)
            k->wl[l] += 1.0 / nl;
}

static int best_of(const lang_counts *k, int lo, int hi, double *best)
{
    int b = lo;
    for (int l = lo + 1; l <= hi; l++)
        if (k->wl[l] > k->wl[b])
            b = l;
    *best = k->wl[b];
    return b;
}

const char *lang_detect(const char *s, size_t n)
{
    if (!words_ready)
        build_words();
    lang_counts k;
    memset(&k, 0, sizeof k);
    char word[256];
    size_t wl = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i <= n;) {
        unsigned c = i < n ? next_cp(u, n, &i) : (i++, 0);
        int sc = c == 0xFFFFFFFFu ? S_NONE : script_of(c);
        if (sc != S_NONE) {
            k.script[sc]++;
            count_letter(&k, c);
            if (wl + 4 < sizeof word)
                wl += put_utf8(word + wl, lower_cp(c));
        } else {
            if (wl)
                count_word(&k, word, wl);
            wl = 0;
        }
    }
    int top = S_NONE;
    for (int t = 1; t < S_N; t++)
        if (k.script[t] > k.script[top])
            top = t;
    double best;
    switch (top) {
    case S_NONE: return "und";
    case S_BENG: return "bn";
    case S_GURU: return "pa";
    case S_GUJR: return "gu";
    case S_TAML: return "ta";
    case S_TELU: return "te";
    case S_KNDA: return "kn";
    case S_THAI: return "th";
    case S_HANG: return "ko";
    case S_GREK: return "el";
    case S_HEBR: return "he";
    case S_HAN: return k.script[S_KANA] ? "ja" : "zh";
    case S_KANA: return "ja";
    case S_ARAB:
        if (k.ur)
            return "ur";
        return k.fa > k.ar ? "fa" : "ar";
    case S_CYR:
        k.wl[L_RU] += 3.0 * (double)k.ru;
        k.wl[L_BG] += 3.0 * (double)k.bg;
        return k.wl[L_BG] > k.wl[L_RU] ? "bg" : "ru";
    case S_DEVA: {
        k.wl[L_MR] += 0.5 * (double)k.mr;
        int b = best_of(&k, L_HI, L_NE, &best);
        return wl_code[b];
    }
    default: /* Latin */
        if ((double)k.vi > 0.03 * (double)k.script[S_LATIN])
            return "vi";
        k.wl[L_DE] += 0.5 * (double)k.de;
        /* ä/ö without ü/ß lean Finnish (its words are rarely function words) */
        if (!k.de)
            k.wl[L_FI] += 0.5 * (double)k.uml;
        /* French's grave/circumflex/cedilla, Spanish/Portuguese acutes:
         * weak evidence for text with few function words */
        k.wl[L_FR] += 0.3 * (double)k.fr;
        k.wl[L_ES] += 0.2 * (double)k.acute;
        k.wl[L_PT] += 0.1 * (double)k.acute;
        k.wl[L_PT] += 0.5 * (double)k.pt;
        k.wl[L_ES] += 0.5 * (double)k.es;
        int b = best_of(&k, L_EN, L_NL, &best);
        return best > 0 ? wl_code[b] : "en";
    }
}

static const char supported[] = "en de fi it pt sw vi es fr nl ru bg ar fa ur hi mr ne bn gu pa ta te kn th ko el he zh ja";

int lang_supported(const char *code)
{
    size_t l = strlen(code);
    if (l != 2)
        return 0;
    for (size_t i = 0; i + 2 < sizeof supported; i += 3)
        if (memcmp(supported + i, code, 2) == 0)
            return 1;
    return 0;
}

const char *lang_supported_list(void) { return supported; }
