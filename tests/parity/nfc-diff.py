#!/usr/bin/env python3
"""nfc-diff.py — our NFC against Python's unicodedata.normalize('NFC', ...).

    python3 tests/parity/nfc-diff.py BUILD [--count N] [--seed S]
    python3 tests/parity/nfc-diff.py BUILD --emit-c K [--seed S]   (lines for test_unicode_norm.c)

Draws random strings rich in what NFC is about: starters that take marks,
combining marks of many classes (reordering), Hangul jamo L/V/T and
syllables, composition exclusions and singletons, two-part Indic and other
vowels that compose across a starter, Tibetan vowels that decompose into
marks, long runs of marks (past the 48-byte chunk limit that once broke
compositions), CJK and ASCII.  Only characters assigned in Python's Unicode
version are drawn (ours is 15.0, Python's may be older; normalization is
stable across versions for characters assigned in both).

Each string goes through BUILD/tests/test_unicode_norm --nfc, which prints
un_nfc, tok_encode and tok_encode_offsets (a byte-level tokenizer with an
NFC normalizer) in hex; all three must equal Python's NFC.  Exit 1 on any
difference (the first ones are printed).  --emit-c prints K short cases as
C string pairs (input, NFC in hex) to paste into tests/unit/
test_unicode_norm.c (recorded[]), so CI checks them
without Python.
"""
import random
import subprocess
import sys
import unicodedata

POOLS = {
    'ascii': [chr(c) for c in range(0x20, 0x7f)],
    'latin': [chr(c) for c in list(range(0xc0, 0x250)) + list(range(0x1e00, 0x1f00))],
    'greek': [chr(c) for c in list(range(0x391, 0x3d0)) + list(range(0x1f00, 0x2000))],
    'marks': [chr(c) for c in list(range(0x300, 0x370)) + list(range(0x483, 0x488)) + list(range(0x591, 0x5c8)) +
              list(range(0x610, 0x61b)) + list(range(0x64b, 0x660)) + list(range(0x1dc0, 0x1e00)) +
              list(range(0x20d0, 0x20f1)) + list(range(0x302a, 0x3030)) + [0x3099, 0x309a, 0x93c, 0x94d, 0xb3c,
              0xb4d, 0xe38, 0xe39, 0xe48, 0xf71, 0xf72, 0xf74, 0xf7a, 0xf80, 0x1d165, 0x1d16e, 0x1e94a]],
    'hangul_l': [chr(c) for c in range(0x1100, 0x1113)],
    'hangul_v': [chr(c) for c in range(0x1161, 0x1176)],
    'hangul_t': [chr(c) for c in range(0x11a8, 0x11c3)],
    'hangul_s': [chr(0xac00 + 28 * k) for k in range(0, 399, 7)] + [chr(c) for c in range(0xac00, 0xd7a4, 97)],
    'exclusions': [chr(c) for c in list(range(0x958, 0x960)) + list(range(0x9dc, 0x9e0)) +
                   [0xf43, 0xf4d, 0xf52, 0xf57, 0xf5c, 0xf69, 0xf73, 0xf75, 0xf76, 0xf78, 0xf81, 0xfb1d, 0xfb1f,
                    0xfb2a, 0xfb2b, 0xfb4e, 0x2adc, 0x1d15e, 0x1d164, 0x1d1bb]],
    'singletons': [chr(c) for c in [0x212b, 0x2126, 0x212a, 0x340, 0x341, 0x343, 0x344, 0x374, 0x37e, 0x387,
                                    0x1f71, 0x1ffd, 0x2000, 0x2001, 0x2329, 0x232a] +
                   list(range(0xf900, 0xfada, 37)) + list(range(0x2f800, 0x2fa1e, 41))],
    'twopart': [chr(c) for c in [0x9c7, 0x9be, 0x9d7, 0xb47, 0xb3e, 0xb56, 0xb57, 0xb92, 0xbd7, 0xbc6, 0xbc7,
                                 0xbbe, 0xc46, 0xc56, 0xcbf, 0xcc6, 0xcc2, 0xcd5, 0xcd6, 0xcca, 0xd46, 0xd47,
                                 0xd3e, 0xd57, 0xdd9, 0xdcf, 0xddf, 0xddc, 0x1025, 0x102e, 0x1b05, 0x1b35,
                                 0x1b3a, 0x1b3c, 0x1b3e, 0x1b3f, 0x1b42, 0x11099, 0x110ba, 0x11131, 0x11132,
                                 0x11127, 0x11347, 0x1133e, 0x11357, 0x114b9, 0x114b0, 0x114ba, 0x114bd,
                                 0x115b8, 0x115b9, 0x115af, 0x11935, 0x11930, 0x627, 0x648, 0x64a, 0x6d5, 0x6c1,
                                 0x6d2, 0x653, 0x654, 0x655, 0x3046, 0x304b, 0x30a6, 0x30ab, 0x30f0]],
    'cjk': [chr(c) for c in list(range(0x4e00, 0x9fff, 211)) + [0x3000, 0x3001, 0xff01, 0x20000, 0x2a700]],
    'misc': [chr(c) for c in [0x2018, 0x2019, 0x201c, 0x201d, 0x2014, 0x2026, 0x1f600, 0x1f44d, 0x200d, 0xfe0f,
                              0x430, 0x439, 0x419, 0x451, 0x415, 0x308, 0x306, 0x21d, 0x22a, 0x1e9b, 0x1ea0]],
}
WEIGHTS = {'ascii': 3, 'latin': 3, 'greek': 2, 'marks': 8, 'hangul_l': 2, 'hangul_v': 2, 'hangul_t': 2,
           'hangul_s': 1, 'exclusions': 1, 'singletons': 1, 'twopart': 3, 'cjk': 1, 'misc': 2}


def assigned(c):
    return unicodedata.category(c) != 'Cn'


for k in POOLS:
    POOLS[k] = [c for c in POOLS[k] if assigned(c)]


def draw(rng):
    """one random string: mostly short, sometimes a long run of marks"""
    names = list(WEIGHTS)
    w = [WEIGHTS[n] for n in names]
    n = rng.choice([1, 2, 3, 4, 6, 8, 12, 20, 40])
    out = []
    for _ in range(n):
        pool = rng.choices(names, w)[0]
        out.append(rng.choice(POOLS[pool]))
        r = rng.random()
        if r < 0.05:    # a long run of marks (of one class or mixed)
            m = rng.choice(POOLS['marks'])
            out.extend(rng.choice([m, rng.choice(POOLS['marks'])]) for _ in range(rng.randint(10, 40)))
        elif r < 0.10:  # jamo L V (T) then marks
            out += [rng.choice(POOLS['hangul_l']), rng.choice(POOLS['hangul_v'])]
            if rng.random() < 0.5:
                out.append(rng.choice(POOLS['hangul_t']))
            out.extend(rng.choice(POOLS['marks']) for _ in range(rng.randint(0, 30)))
    return ''.join(out)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    build = args[0]
    count, seed, emit = 20000, 1, 0
    i = 1
    while i < len(args):
        if args[i] == '--count':
            count = int(args[i + 1]); i += 2
        elif args[i] == '--seed':
            seed = int(args[i + 1]); i += 2
        elif args[i] == '--emit-c':
            emit = int(args[i + 1]); i += 2
        else:
            print('unknown argument', args[i], file=sys.stderr)
            return 2
    rng = random.Random(seed)
    if emit:
        print('/* GENERATED by tests/parity/nfc-diff.py --emit-c %d --seed %d (Python %s, Unicode %s) */'
              % (emit, seed, sys.version.split()[0], unicodedata.unidata_version))
        shown = 0
        while shown < emit:
            s = draw(rng)
            b = s.encode()
            want = unicodedata.normalize('NFC', s).encode()
            if len(b) > 90:
                continue
            print('{"%s", "%s"},' % (b.hex(), want.hex()))
            shown += 1
        return 0
    cases = [draw(rng) for _ in range(count)]
    inp = ''.join(c.encode().hex() + '\n' for c in cases)
    res = subprocess.run([build + '/tests/test_unicode_norm', '--nfc'], input=inp.encode(),
                         stdout=subprocess.PIPE, check=True)
    lines = res.stdout.decode().splitlines()
    if len(lines) != len(cases):
        print('expected %d lines, got %d' % (len(cases), len(lines)))
        return 1
    bad = 0
    for s, line in zip(cases, lines):
        want = unicodedata.normalize('NFC', s).encode().hex()
        got = line.split(' ')
        for name, g in zip(('un_nfc', 'tok_encode', 'tok_encode_offsets'), got):
            if g != want:
                bad += 1
                if bad <= 10:
                    print('DIFF %s: input %s\n  python %s\n  ours   %s' % (name, s.encode().hex(), want, g))
    print('%d strings (seed %d, Python Unicode %s): %d differences'
          % (len(cases), seed, unicodedata.unidata_version, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
