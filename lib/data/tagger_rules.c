/*
 * tagger_rules.c — the rule-based tagger: one case-insensitive PCRE2
 * pattern per category (keywords and cue phrases), plus signals that
 * patterns express badly:
 *
 *   Math          strong math words, an arithmetic expression ("3 * 4",
 *                 "x^2", "12%") or equation ("3x = 12", "2x + 7 = 19"), or a quantity question ("how many",
 *                 "how much", "total", ...) in a text with >= 2 numbers;
 *   Coding        code fences, language and tooling names, code tokens
 *                 ("def f(", "#include", "console.log", "=>", braces);
 *   Multilingual  >= 30% of letters outside the Latin script, or several
 *                 frequent non-English function words (es/fr/de/pt/it);
 *   Unclear       an empty or letter-less prompt, or one of at most three
 *                 words (space-separated scripts) with no question and no
 *                 other tag;
 *   fallback      a prompt no rule tags becomes Open Question Answering
 *                 when it asks something, else Unclear.
 *
 * Patterns compile once per tagger (JIT where available); tagging is a
 * handful of regex scans over the text, thousands of prompts a second.
 */
#include "data/tagger.h"
#include "base/util.h"
#include "text/relimit.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const patterns[TAG_COUNT] = {
    [TAG_CODING] =
        "```|\\b(python|javascript|typescript|java|c\\+\\+|c#|golang|rust|php|ruby|kotlin|swift|sql|html|css|"
        "bash|shell script|powershell|regex|regular expression|json|yaml|api|numpy|pandas|react|django|"
        "node\\.?js|dockerfile|docker|kubernetes|linux command|code|coding|program|programming|programmer|"
        "function|compile[rd]?|debug|debugging|script|algorithm|source code|variable|array|recursion|"
        "syntax|stack trace|runtime error|exception|unit tests?|git)\\b|\\bdef \\w+\\(|#include|console\\.log|"
        "\\w+\\([^()\\n]*\\)\\s*[{;]|=>|\\bimport \\w+|\\breturn \\w+;|<\\/?(div|span|html|body)>",
    [TAG_MATH] =
        "\\b(math|maths|mathematics|mathematical|equations?|integral|integrate|derivative|differentiate|"
        "algebra|algebraic|geometry|trigonometry|calculus|probability|arithmetic|polynomial|matri(x|ces)|"
        "theorem|prove that|factorial|square root|sqrt|logarithm|calculate|compute the|solve for|solve the|"
        "simplify the expression|prime numbers?|divisible|remainder when|quadratic|perimeter|hypotenuse|"
        "area of|volume of|expected value|variance)\\b|\\d\\s*[-+*/×÷^]\\s*\\(?-?\\d|\\b[a-z]\\s*\\^\\s*\\d|"
        "\\d\\s*%|\\b\\d+\\s*/\\s*\\d+\\b|\\b\\d*[a-z]\\s*[-+]\\s*\\d+\\s*=|\\b\\d+[a-z]\\s*=\\s*-?\\d",
    [TAG_ADVICE] =
        "\\b(advice|advise|should i|what should (i|we)|recommend|recommendations?|tips|how (can|do|should) i|"
        "what('s| is) the best way|help me (decide|choose)|is it (a good idea|worth)|how to deal with|"
        "what can i do)\\b",
    [TAG_BRAINSTORMING] =
        "\\b(brainstorm|brainstorming|ideas?|come up with|list of (possible|creative|fun|unique)|names for|"
        "think of|possible (ways|names|titles)|suggestions for|creative ways|generate (a list|some|\\d+))\\b",
    [TAG_CLASSIFICATION] =
        "\\b(classify|classification|categori[sz]e|which (category|class|type|genre)|"
        "positive,? (or|negative)|negative or positive|sentiment|label (each|the following|these|this)|"
        "is (this|the following|it) (spam|positive|negative|sarcastic|toxic)|sort (these|the following) into)\\b",
    [TAG_CLOSED_QA] =
        "^\\W*(who|when|where|which|whom|what year|what is the (capital|name|date|population|boiling|"
        "chemical|largest|smallest|tallest|longest)|how (many|old|tall|far|long) (is|was|are|did|does))\\b|"
        "\\b(yes or no|true or false|answer with (one|a single) word|multiple[- ]choice|choose the correct|"
        "select the correct|options?:|answer:$)|\\n\\s*\\(?[a-d]\\)\\s",
    [TAG_CREATIVE_WRITING] =
        "\\b(story|stories|poem|poems|poetry|haiku|sonnet|limerick|lyrics|song|rap|fiction|fictional|"
        "novel|screenplay|fairy tale|fable|short story|write a (letter|speech|toast|joke|blog post|essay|"
        "tweet|slogan|tagline|review)|jokes?|creative writing|narrative|plot)\\b",
    [TAG_EXTRACTION] =
        "\\b(extract|extraction|pull out|find all (the )?|list all (the )?(names|dates|entities|emails|"
        "numbers|people|places|locations)|named entit(y|ies)|identify (all )?(the )?(names|entities|dates|"
        "keywords|people)|keywords from|from the (following|given|above) (text|passage|article|paragraph|"
        "document|email|review)|according to the (text|passage|article))\\b",
    [TAG_PERSONA] =
        "\\b(act as|acting as|pretend (to be|you are|you're)|role-?play|imagine (you are|you're)|"
        "play the role|take on the (role|persona)|persona|stay in character|in the voice of|"
        "you are now|from now on you are|speak like a|talk like a)\\b",
    [TAG_OPEN_QA] =
        "\\b(explain|explanation|why (is|are|do|does|did)|describe|what are (the|some)|how does|how do|"
        "what is the (difference|meaning|purpose|role|impact|significance|history)|discuss|elaborate|"
        "tell me about|what do you think|compare|pros and cons|what happens (when|if))\\b",
    [TAG_REWRITING] =
        "\\b(rewrite|re-write|rephrase|paraphrase|reword|proofread|edit (this|the following|my)|"
        "correct (the|my|this) (grammar|spelling|sentence|text)|fix (the |my )?(grammar|spelling)|"
        "make (it|this) (more|less|sound)|translate|simplify (this|the following)|polish|"
        "improve (this|the following|my) (text|paragraph|sentence|email|essay|writing)|convert (this|the following) "
        "(text|sentence|paragraph))\\b",
    [TAG_SUMMARIZATION] =
        "\\b(summari[sz]e|summary|summarization|tl;?dr|condense|in (a few|one|two|three) sentences|"
        "key points|main points|gist|brief overview|shorten)\\b",
};

static const char stopwords_re[] =
    "\\b(el|la|las|los|de|es|en|y|una|por|para|que|del|est|les|une|pour|avec|dans|der|das|und|nicht|ist|ein|eine|mit|"
    "sie|wie|ich|não|você|uma|com|che|della|sono|per|è|qué|cómo|está|wie|kann|ça|c'est|je|tu|nous|vous|"
    "pero|muy|también|porque|auch|oder|aber|et|sur|il|al|lo|ma)\\b";

static const char quantity_re_src[] = "\\b(how many|how much|total|altogether|in all|each|per|left|remaining|"
                                      "more than|less than|twice|half|percent|average|sum|difference|product|"
                                      "cost|price|profit|earn|spend|speed|minutes|hours|add|plus|minus|times|multiply|multiplied|"
                                      "divide|divided|subtract)\\b";

struct tagger {
    pcre2_code *re[TAG_COUNT];
    pcre2_code *stop, *quantity;
    pcre2_match_data *md;
};

static pcre2_code *compile(const char *pat, char *err, size_t cap)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_NO_UTF_CHECK, &ec, &off,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, cap, "tagger rule at offset %zu: %s", (size_t)off, (char *)msg);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

static void rules_close(tagger *t)
{
    if (!t)
        return;
    for (int i = 0; i < TAG_COUNT; i++)
        pcre2_code_free(t->re[i]);
    pcre2_code_free(t->stop);
    pcre2_code_free(t->quantity);
    pcre2_match_data_free(t->md);
    free(t);
}

static tagger *rules_open(const char *arg, char *err, size_t cap)
{
    (void)arg;
    tagger *t = xcalloc(1, sizeof *t);
    for (int i = 0; i < TAG_COUNT; i++)
        if (patterns[i] && !(t->re[i] = compile(patterns[i], err, cap))) {
            rules_close(t);
            return NULL;
        }
    if (!(t->stop = compile(stopwords_re, err, cap)) || !(t->quantity = compile(quantity_re_src, err, cap))) {
        rules_close(t);
        return NULL;
    }
    t->md = pcre2_match_data_create(4, NULL);
    return t;
}

/* 1 a match, 0 none, -1 the match failed (a limit of text/relimit.h:
 * the record is too costly to tag, which is not "no match"), with the
 * rule named in err. */
static int match_failed(int rc, const char *rule, char *err, size_t cap)
{
    char m[128];
    snprintf(err, cap, "tagger rule '%s': %s", rule, relimit_message(rc, m, sizeof m));
    return -1;
}

static int matches(tagger *t, pcre2_code *re, const char *rule, const char *s, size_t n, char *err, size_t cap)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, t->md, relimit_context());
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : match_failed(rc, rule, err, cap);
}

static int count_matches(tagger *t, pcre2_code *re, const char *rule, const char *s, size_t n, char *err,
                         size_t cap)
{
    int k = 0, rc;
    PCRE2_SIZE at = 0;
    while (at < n && (rc = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, t->md, relimit_context())) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
        k++;
        at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    if (at < n && rc != PCRE2_ERROR_NOMATCH)
        return match_failed(rc, rule, err, cap);
    return k;
}

typedef struct {
    size_t latin, other, digits_runs, words;
    int question;
} text_stats;

/* Letters by script (decoding UTF-8), number runs, words, a '?'. */
static void scan(const char *s, size_t n, text_stats *st)
{
    memset(st, 0, sizeof *st);
    int in_word = 0, in_num = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xf0 && i + 3 < n) {
            cp = (uint32_t)(c & 7) << 18 | (uint32_t)(s[i + 1] & 63) << 12 | (uint32_t)(s[i + 2] & 63) << 6 |
                 (uint32_t)(s[i + 3] & 63);
            len = 4;
        } else if (c >= 0xe0 && i + 2 < n) {
            cp = (uint32_t)(c & 15) << 12 | (uint32_t)(s[i + 1] & 63) << 6 | (uint32_t)(s[i + 2] & 63);
            len = 3;
        } else if (c >= 0xc0 && i + 1 < n) {
            cp = (uint32_t)(c & 31) << 6 | (uint32_t)(s[i + 1] & 63);
            len = 2;
        }
        i += len;
        int letter = 0;
        if ((cp | 32) >= 'a' && (cp | 32) <= 'z') {
            st->latin++;
            letter = 1;
        } else if (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7) {
            st->latin++;
            letter = 1;
        } else if (cp >= 0x370 && !(cp >= 0x2000 && cp <= 0x2bff) && !(cp >= 0x3000 && cp <= 0x303f) &&
                   !(cp >= 0xfe00 && cp <= 0xfe6f) && !(cp >= 0xff00 && cp <= 0xff20) && cp < 0x1f000) {
            st->other++;
            letter = 1;
        }
        if (cp == '?' || cp == 0xff1f)
            st->question = 1;
        int digit = cp >= '0' && cp <= '9';
        if (digit && !in_num)
            st->digits_runs++;
        in_num = digit || (in_num && (cp == '.' || cp == ','));
        if ((letter || digit) && !in_word)
            st->words++;
        in_word = letter || digit || cp == '\'';
    }
}

static int rules_tag(tagger *t, const char *s, size_t n, uint32_t *mask, char *err, size_t cap)
{
    uint32_t m = 0;
    text_stats st;
    scan(s, n, &st);
    size_t letters = st.latin + st.other;
    if (letters < 2) {
        *mask = 1u << TAG_UNCLEAR;
        return 0;
    }
    for (int i = 0; i < TAG_COUNT; i++) {
        int r = t->re[i] ? matches(t, t->re[i], tag_names[i], s, n, err, cap) : 0;
        if (r < 0)
            return TAGGER_BAD_TEXT;
        if (r)
            m |= 1u << i;
    }
    if (!(m & (1u << TAG_MATH)) && st.digits_runs >= 2) {
        int r = matches(t, t->quantity, "Math (quantity words)", s, n, err, cap);
        if (r < 0)
            return TAGGER_BAD_TEXT;
        if (r)
            m |= 1u << TAG_MATH;
    }
    if (st.other * 10 >= letters * 3)
        m |= 1u << TAG_MULTILINGUAL;
    else if (st.words >= 4) {
        int k = count_matches(t, t->stop, "Multilingual (function words)", s, n, err, cap);
        if (k < 0)
            return TAGGER_BAD_TEXT;
        if (k >= 3 && (size_t)k * 100 >= st.words * 12)
            m |= 1u << TAG_MULTILINGUAL;
    }
    if ((m & ~(1u << TAG_MULTILINGUAL)) == 0) {
        if (st.words <= 3 && !st.question && st.other < 4) /* scripts without spaces have few "words" */
            m |= 1u << TAG_UNCLEAR;
        else if (st.question || st.words > 3)
            m |= 1u << TAG_OPEN_QA;
    }
    *mask = m;
    return 0;
}

const tagger_kind tagger_rules = {"rules", "keyword and pattern rules (fast, no model)", rules_open, rules_tag,
                                  rules_close};
