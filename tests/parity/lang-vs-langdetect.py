#!/usr/bin/env python3
"""lang-vs-langdetect.py — measure how often prefpipe's IFEval language
identifier (lib/eval/lang.c, through `eval-score --task ifeval` and the
language:response_language check) agrees with langdetect, the library the
IFEval reference uses (Debian: python3-langdetect; used here, in a test,
never by prefpipe itself).

Texts: real translated sentences from the system's gettext catalogues
(/usr/share/locale/LANG/LC_MESSAGES/*.mo), at most PER messages of at least
MINLEN characters per language, taken in sorted file/message order (so the
sample is the same on the same machine).  Format directives (%s, {0}) and
markup are removed.  langdetect is seeded (DetectorFactory.seed = 0).

usage: lang-vs-langdetect.py EVAL_SCORE REC [PER] [MINLEN]
prints one line per language and a last line
  "total N agree_langdetect A truth_ours T1 truth_langdetect T2"
"""
import gettext, glob, json, os, re, subprocess, sys

from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0
LANGS = "en de fi it pt sw es fr nl vi ru bg ar fa ur hi mr ne bn gu pa ta te kn th ko el he ja".split()


def texts(lang, per, minlen):
    out = []
    for mo in sorted(glob.glob(f"/usr/share/locale/{lang}/LC_MESSAGES/*.mo")):
        try:
            with open(mo, "rb") as f:
                cat = gettext.GNUTranslations(f)._catalog
        except Exception:
            continue
        for k in sorted(cat, key=str):
            v = cat[k]
            if not isinstance(v, str) or not k or v == (k if isinstance(k, str) else None):
                continue
            v = re.sub(r"%[-#0-9.]*[a-zA-Z]|\{[^}]*\}|<[^>]*>|&[a-z]+;|_", " ", v)
            v = " ".join(v.split())
            if len(v) >= minlen:
                out.append(v)
            if len(out) >= per:
                return out
    return out


def main():
    ev, rec = sys.argv[1], sys.argv[2]
    per = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    minlen = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    items = []
    for lang in LANGS:
        for t in texts(lang, per, minlen):
            try:
                ld = detect(t)
            except LangDetectException:
                ld = "und"
            items.append((lang, t, ld.split("-")[0]))
    recs = []
    for i, (lang, t, ld) in enumerate(items):
        for want, tag in ((ld, "ld"), (lang, "truth")):
            recs.append(json.dumps({"id": f"{i}:{tag}", "response": t, "gold": {
                "instruction_id_list": ["language:response_language"], "kwargs": [{"language": want}]}}))
    mp = subprocess.run([rec, "from-json"], input="\n".join(recs).encode(), capture_output=True, check=True).stdout
    sc = subprocess.run([ev, "--task", "ifeval", "--no-summary", "--skip-invalid"], input=mp,
                        capture_output=True, check=True).stdout
    js = subprocess.run([rec, "to-json"], input=sc, capture_output=True, check=True).stdout.decode().splitlines()
    ok = {}
    for line in js:
        r = json.loads(line)
        ok[r["id"]] = r["scores"]["inst_strict"][0]
    per_lang = {}
    tot = [0, 0, 0, 0]
    for i, (lang, t, ld) in enumerate(items):
        a = ok.get(f"{i}:ld", False)
        b = ok.get(f"{i}:truth", False)
        c = ld == lang
        s = per_lang.setdefault(lang, [0, 0, 0, 0])
        for v, x in ((s, None), (tot, None)):
            v[0] += 1
            v[1] += a
            v[2] += b
            v[3] += c
    for lang in LANGS:
        if lang in per_lang:
            s = per_lang[lang]
            print(f"{lang} n {s[0]} agree_langdetect {s[1]} truth_ours {s[2]} truth_langdetect {s[3]}")
    print(f"total {tot[0]} agree_langdetect {tot[1]} truth_ours {tot[2]} truth_langdetect {tot[3]}")


main()
