#!/usr/bin/env node
/*
 * gen-tokenizer-fixtures.js — build tokenizer.json fixtures and record what
 * the real Hugging Face tokenizers library (its Node binding, npm package
 * "tokenizers") does with them, for the parity tests that run without Node
 * (tests/unit/test_tokenizer_parity.c, tests/tokenizer-parity.bats).
 *
 *   node gen-tokenizer-fixtures.js build  DIR       write DIR/NAME.json
 *   node gen-tokenizer-fixtures.js record DIR OUT   for each DIR/NAME.json write
 *                                                   OUT/NAME.expected.jsonl,
 *                                                   OUT/NAME.decode.jsonl and
 *                                                   OUT/NAME.chat.jsonl
 *   node gen-tokenizer-fixtures.js all    DIR       both, OUT = DIR
 *   node gen-tokenizer-fixtures.js spm    DIR MODEL write DIR/t5-precompiled.json.gz
 *                                                   from a SentencePiece .model
 *
 * The module is found as require("tokenizers"), else $TOKENIZERS_MODULE
 * (e.g. /tmp/tk/node_modules/tokenizers).
 *
 * Fixtures (small vocabularies; merges from a tiny deterministic trainer
 * below, except "trained", which the library trains itself):
 *   llama2-sp        Llama 2 / Mistral / Tülu 2: normalizer Prepend("▁") +
 *                    Replace(" " -> "▁"), no pre-tokenizer, BPE with
 *                    byte_fallback (<0xNN>), unk_token, fuse_unk, decoder
 *                    Replace + ByteFallback + Fuse + Strip, TemplateProcessing BOS
 *   metaspace-first  newer Llama conversions: Metaspace pre-tokenizer with
 *                    prepend_scheme "first", split false; Metaspace decoder
 *   metaspace-legacy Metaspace in the legacy form (add_prefix_space, no
 *                    prepend_scheme: "always", split), legacy decoder form
 *   qwen2            NFC, Split(Qwen2 regex) + ByteLevel(no regex), added
 *                    tokens (special and not), ByteLevel decoder/post-processor
 *   llama3           Split(Llama 3 regex) + ByteLevel, ignore_merges,
 *                    TemplateProcessing <|begin_of_text|>, an lstrip/rstrip
 *                    added token
 *   sp-unk           no byte fallback: unk_token with fuse_unk (runs of
 *                    unknown characters become one <unk>)
 *   sp-unk-nofuse    the same without fuse_unk, Metaspace "always" + split
 *   sp-misc          normalizer Strip + Replace(Regex "\s+") + Prepend +
 *                    Replace, RobertaProcessing
 *   gpt2-prefix      ByteLevel pre-tokenizer with add_prefix_space (GPT-2 /
 *                    RoBERTa), normalized and lstrip/rstrip added tokens
 *   trained          byte-level BPE trained by the library (tokenizer.train)
 *                    on train.txt: its vocabulary lacks most bytes, so the
 *                    library drops characters it cannot encode
 * Production files (tokenizer.json of real models, from npm packages that
 * ship them; see tests/fixtures/tokenizer/SOURCES.md) are committed as
 * NAME.json.gz and recorded the same way.
 *   nfkd-trim        nfkd with the ByteLevel post-processor's trim_offsets
 *   t5-precompiled   (built by `spm DIR MODEL`, not by `build`): a
 *                    SentencePiece Unigram model trained by spm_train with
 *                    its built-in nmt_nfkc rules, converted as transformers
 *                    converts T5's spiece.model: Precompiled(charsmap) +
 *                    Strip(right) + Replace(" {2,}" -> "▁"), Metaspace,
 *                    TemplateProcessing "$A </s>" / "$A </s> $B </s>"
 * A fixture may add texts of its own in NAME.corpus.jsonl (appended to the
 * corpus for it alone).
 * Records (one JSON object per line): for each corpus text, the ids with
 * and without the post-processor (addSpecialTokens), the offsets of the
 * first as byte offsets into the UTF-8 text (the binding gives character
 * offsets: converted here), and decode(ids, false / true); decodes of
 * pseudo-random id lists (fixed seed); and for each conversation of
 * DIR/chat.jsonl the Tülu rendering (as lib/text/chat_template.c writes it, EOS
 * the tokenizer's first of </s> <|im_end|> <|eot_id|> <|endoftext|>
 * <|end_of_text|>, or a special <eos> before them all, as Gemma has it), its ids and byte offsets without the post-processor,
 * the assistant mask those offsets give (a token is marked iff its start
 * lies in an assistant content + EOS span) and the decode of each
 * assistant turn's marked ids.  Pairs (NAME.pair.jsonl, for every
 * tokenizer the library lets encode a pair): corpus texts taken two at a
 * time, encode(a, b) with and without special tokens: ids, type ids, and
 * byte offsets into the text each token comes from (seq 0: a, 1: b, null:
 * a special token).
 */
"use strict";
const fs = require("fs");
const path = require("path");

let tk;
try { tk = require("tokenizers"); } catch (e) {
  if (!process.env.TOKENIZERS_MODULE) throw new Error("tokenizers module not found; set TOKENIZERS_MODULE");
  tk = require(process.env.TOKENIZERS_MODULE);
}

const here = __dirname;
const trainText = fs.readFileSync(path.join(here, "train.txt"), "utf8");
const SP = "\u2581";

/* GPT-2's byte -> character map */
function byteChars() {
  const keep = (b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(keep(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + n++));
  return out;
}

/* Tiny BPE trainer: words (arrays of symbols, with counts); the most
 * frequent adjacent pair merges first, ties by the pair's text; stops at
 * nMerges or when no pair occurs twice.  Deterministic. */
function trainBpe(wordCounts, nMerges) {
  const words = [...wordCounts.entries()].map(([w, c]) => ({ sym: Array.from(w), c }));
  const merges = [];
  for (let m = 0; m < nMerges; m++) {
    const counts = new Map();
    for (const w of words)
      for (let i = 0; i + 1 < w.sym.length; i++) {
        const k = w.sym[i] + "\u0000" + w.sym[i + 1];
        counts.set(k, (counts.get(k) || 0) + w.c);
      }
    let best = null, bc = 1;
    for (const [k, c] of counts) if (c > bc || (c === bc && best !== null && k < best)) { best = k; bc = c; }
    if (best === null) break;
    const [a, b] = best.split("\u0000");
    merges.push([a, b]);
    for (const w of words) {
      const s = [];
      for (let i = 0; i < w.sym.length; i++)
        if (i + 1 < w.sym.length && w.sym[i] === a && w.sym[i + 1] === b) { s.push(a + b); i++; }
        else s.push(w.sym[i]);
      w.sym = s;
    }
  }
  return merges;
}

function addTok(id, content, special, extra) {
  return Object.assign({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special }, extra || {});
}

function tokenizerJson(o) {
  return {
    version: "1.0", truncation: null, padding: null, added_tokens: o.added, normalizer: o.normalizer || null,
    pre_tokenizer: o.pre || null, post_processor: o.post || null, decoder: o.decoder || null,
    model: {
      type: "BPE", dropout: null, unk_token: o.unk || null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: !!o.fuseUnk, byte_fallback: !!o.byteFallback, ignore_merges: !!o.ignoreMerges,
      vocab: o.vocab, merges: o.merges.map(([a, b]) => [a, b]),
    },
  };
}

function template(name, id) {
  return {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: name, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: name, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
           { SpecialToken: { id: name, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { [name]: { id: name, ids: [id], tokens: [name] } },
  };
}

/* SentencePiece-style vocabulary: <unk> <s> </s>, 256 byte tokens, the
 * training text's characters, then merges of "▁word" pieces. */
function spVocab() {
  const wc = new Map();
  for (const w of trainText.split(/\s+/).filter(Boolean)) wc.set(SP + w, (wc.get(SP + w) || 0) + 1);
  const merges = trainBpe(wc, 220);
  const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  let id = 3;
  for (let b = 0; b < 256; b++) vocab["<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">"] = id++;
  const chars = [...new Set(Array.from(trainText.replace(/\s+/g, SP)))].sort();
  for (const c of chars) if (!(c in vocab)) vocab[c] = id++;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  return { vocab, merges };
}

function spBase(extra) {
  const { vocab, merges } = spVocab();
  return tokenizerJson(Object.assign({
    added: [addTok(0, "<unk>", true), addTok(1, "<s>", true), addTok(2, "</s>", true)],
    unk: "<unk>", fuseUnk: true, byteFallback: true, vocab, merges, post: template("<s>", 1),
  }, extra));
}

function byteLevelVocab(preTok, normalize, nMerges) {
  const wc = new Map();
  for (const line of trainText.split("\n")) {
    const text = normalize ? normalize(line + "\n") : line + "\n";
    for (const [w] of preTok.preTokenizeString(text)) wc.set(w, (wc.get(w) || 0) + 1);
  }
  const merges = trainBpe(wc, nMerges);
  const vocab = {};
  const bc = byteChars();
  for (let b = 0; b < 256; b++) vocab[bc[b]] = b;
  let id = 256;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  return { vocab, merges, next: id };
}

const QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function splitBytelevel(re) {
  return {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: re }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  };
}

function build(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const out = {};
  const spDecoder = { type: "Sequence", decoders: [
    { type: "Replace", pattern: { String: SP }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" },
    { type: "Strip", content: " ", start: 1, stop: 0 } ] };
  out["llama2-sp"] = spBase({
    normalizer: { type: "Sequence", normalizers: [
      { type: "Prepend", prepend: SP }, { type: "Replace", pattern: { String: " " }, content: SP } ] },
    decoder: spDecoder,
  });
  out["metaspace-first"] = spBase({
    pre: { type: "Metaspace", replacement: SP, prepend_scheme: "first", split: false },
    decoder: { type: "Sequence", decoders: [
      { type: "Metaspace", replacement: SP, prepend_scheme: "first", split: false }, { type: "ByteFallback" }, { type: "Fuse" } ] },
  });
  out["metaspace-legacy"] = spBase({
    pre: { type: "Metaspace", replacement: SP, str_rep: SP, add_prefix_space: true },
    decoder: { type: "Metaspace", replacement: SP, str_rep: SP, add_prefix_space: true },
    post: { type: "Sequence", processors: [template("<s>", 1)] },
  });

  out["sp-unk"] = spBase({
    byteFallback: false,
    normalizer: out["llama2-sp"].normalizer, decoder: spDecoder,
  });
  out["sp-unk-nofuse"] = spBase({
    byteFallback: false, fuseUnk: false,
    pre: { type: "Metaspace", replacement: SP, prepend_scheme: "always", split: true },
    decoder: { type: "Metaspace", replacement: SP, prepend_scheme: "always", split: true },
  });
  out["sp-misc"] = spBase({
    normalizer: { type: "Sequence", normalizers: [
      { type: "Strip", strip_left: true, strip_right: true },
      { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
      { type: "Prepend", prepend: SP }, { type: "Replace", pattern: { String: " " }, content: SP } ] },
    post: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 1], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "Sequence", decoders: [
      { type: "Replace", pattern: { String: SP }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 } ] },   /* stop > 0 panics in the library on an empty string */
  });

  const gpre = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };
  const g = byteLevelVocab(tk.Tokenizer.fromString(JSON.stringify(tokenizerJson({
    added: [], pre: gpre, vocab: {}, merges: [] }))).getPreTokenizer(), null, 200);
  out["gpt2-prefix"] = tokenizerJson({
    added: [addTok(g.next, "<|endoftext|>", true), addTok(g.next + 1, "<mask>", true, { lstrip: true }),
            addTok(g.next + 2, "</s>", false, { rstrip: true }), addTok(g.next + 3, "hello world", false)],
    pre: gpre, vocab: g.vocab, merges: g.merges,
    post: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  });

  const qpre = splitBytelevel(QWEN2_RE);
  const nfc = tk.nfcNormalizer();
  const q = byteLevelVocab(tk.Tokenizer.fromString(JSON.stringify(tokenizerJson({
    added: [], pre: qpre, vocab: {}, merges: [] }))).getPreTokenizer(), (s) => nfc.normalizeString(s), 260);
  out["qwen2"] = tokenizerJson({
    added: [addTok(q.next, "<|endoftext|>", true), addTok(q.next + 1, "<|im_start|>", true),
            addTok(q.next + 2, "<|im_end|>", true), addTok(q.next + 3, "<think>", false, { normalized: false }),
            addTok(q.next + 4, "</think>", false, { normalized: true })],
    normalizer: { type: "NFC" }, pre: qpre, vocab: q.vocab, merges: q.merges,
    post: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  });

  const lpre = splitBytelevel(LLAMA3_RE);
  const l = byteLevelVocab(tk.Tokenizer.fromString(JSON.stringify(tokenizerJson({
    added: [], pre: lpre, vocab: {}, merges: [] }))).getPreTokenizer(), null, 260);
  out["llama3"] = tokenizerJson({
    added: [addTok(l.next, "<|begin_of_text|>", true), addTok(l.next + 1, "<|end_of_text|>", true),
            addTok(l.next + 2, "<|eot_id|>", true), addTok(l.next + 3, "<mask>", true, { lstrip: true, rstrip: true })],
    pre: lpre, vocab: l.vocab, merges: l.merges, ignoreMerges: true,
    post: { type: "Sequence", processors: [
      { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true }, template("<|begin_of_text|>", l.next) ] },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  });

  /* trained by the library itself */
  const tmp = fs.mkdtempSync(path.join(require("os").tmpdir(), "tokfix-"));
  const t = new tk.Tokenizer(tk.BPE.empty());
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  t.train([path.join(here, "train.txt")]);
  t.addSpecialTokens(["<|endoftext|>"]);
  t.save(path.join(tmp, "t.json"));
  const trained = JSON.parse(fs.readFileSync(path.join(tmp, "t.json"), "utf8"));
  fs.rmSync(tmp, { recursive: true });
  /* the binding has no ByteLevel decoder constructor: write the JSON one */
  trained.decoder = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };
  out["trained"] = trained;

  /* Split behaviours on a byte-level BPE: spaces glued to the word before,
   * numbers to what follows, punctuation runs kept whole, then the GPT-2
   * split inverted and removed (o200k style) */
  out["split-behaviours"] = tokenizerJson({
    added: [addTok(g.next, "<|endoftext|>", true)],
    pre: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
      { type: "Split", pattern: { Regex: "\\p{N}+" }, behavior: "MergedWithNext", invert: false },
      { type: "Split", pattern: { Regex: "[!-/:-@]" }, behavior: "Contiguous", invert: false },
      { type: "Split", pattern: { Regex: "\\s" }, behavior: "Removed", invert: true },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false } ] },
    vocab: g.vocab, merges: g.merges,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  });
  /* the normalization forms and character maps */
  out["nfkc-lower"] = tokenizerJson({
    added: [addTok(q.next, "<|endoftext|>", true), addTok(q.next + 1, "<think>", false, { normalized: true })],
    normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] },
    pre: qpre, vocab: q.vocab, merges: q.merges,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  });
  out["nfd-strip"] = spBase({
    normalizer: { type: "Sequence", normalizers: [
      { type: "NFD" }, { type: "StripAccents" }, { type: "Prepend", prepend: SP },
      { type: "Replace", pattern: { String: " " }, content: SP } ] },
    decoder: spDecoder,
  });
  out["nfkd"] = tokenizerJson({
    added: [addTok(q.next, "<|endoftext|>", true)],
    normalizer: { type: "NFKD" }, pre: qpre, vocab: q.vocab, merges: q.merges,
    /* trim_offsets: see nfkd-trim */
    post: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  });
  /* NFKD with the ByteLevel post-processor's trim_offsets: where NFKD
   * makes " " of a multi-byte space the trimmed offsets move by characters */
  out["nfkd-trim"] = Object.assign({}, out["nfkd"], {
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: false } });
  /* the character-class pre-tokenizers on a SentencePiece vocabulary */
  out["ws-punct"] = spBase({
    pre: { type: "Sequence", pretokenizers: [
      { type: "WhitespaceSplit" }, { type: "Punctuation", behavior: "Contiguous" },
      { type: "Digits", individual_digits: true } ] },
    decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] },
  });
  out["whitespace-merged"] = spBase({
    pre: { type: "Sequence", pretokenizers: [
      { type: "Whitespace" }, { type: "Punctuation", behavior: "MergedWithNext" },
      { type: "Split", pattern: { Regex: "e" }, behavior: "MergedWithPrevious", invert: true } ] },
    decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] },
  });

  /* WordPiece trained by the library, BERT's specials in front */
  {
    const w = new tk.Tokenizer(tk.WordPiece.empty());
    w.setPreTokenizer(tk.bertPreTokenizer());
    const tmpw = fs.mkdtempSync(path.join(require("os").tmpdir(), "tokfix-"));
    w.train([path.join(here, "train.txt")]);
    w.save(path.join(tmpw, "w.json"));
    const wj = JSON.parse(fs.readFileSync(path.join(tmpw, "w.json"), "utf8"));
    fs.rmSync(tmpw, { recursive: true });
    const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    const vocab = {};
    specials.forEach((sp, i) => { vocab[sp] = i; });
    for (const [k, v] of Object.entries(wj.model.vocab)) vocab[k] = v + specials.length;
    const bert = (norm, pre) => ({
      version: "1.0", truncation: null, padding: null,
      added_tokens: specials.map((sp, i) => addTok(i, sp, true)),
      normalizer: norm, pre_tokenizer: pre,
      post_processor: { type: "TemplateProcessing",
        single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
                 { SpecialToken: { id: "[SEP]", type_id: 0 } }],
        pair: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
               { SpecialToken: { id: "[SEP]", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } },
               { SpecialToken: { id: "[SEP]", type_id: 1 } }],
        special_tokens: { "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] },
                          "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] } } },
      decoder: { type: "WordPiece", prefix: "##", cleanup: true },
      model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
               max_input_chars_per_word: 12, vocab },
    });
    out["wordpiece"] = bert(null, { type: "BertPreTokenizer" });
    out["bert"] = bert({ type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null,
                         lowercase: true }, { type: "BertPreTokenizer" });
    out["bert-cased"] = bert({ type: "BertNormalizer", clean_text: true, handle_chinese_chars: false,
                               strip_accents: true, lowercase: false }, { type: "Whitespace" });
  }

  /* Unigram trained by the library; <unk> and the byte pieces added */
  {
    const u = new tk.Tokenizer(tk.Unigram.empty());
    u.setPreTokenizer(tk.metaspacePreTokenizer());
    const tmpu = fs.mkdtempSync(path.join(require("os").tmpdir(), "tokfix-"));
    u.train([path.join(here, "train.txt")]);
    u.save(path.join(tmpu, "u.json"));
    const uj = JSON.parse(fs.readFileSync(path.join(tmpu, "u.json"), "utf8"));
    fs.rmSync(tmpu, { recursive: true });
    const vocab = [["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0]];
    for (let b = 0; b < 256; b++) vocab.push(["<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">", 0.0]);
    for (const [p, sc] of uj.model.vocab) if (!vocab.some(([q]) => q === p)) vocab.push([p, sc]);
    const uni = (byteFallback) => ({
      version: "1.0", truncation: null, padding: null,
      added_tokens: [addTok(0, "<unk>", true), addTok(1, "<s>", true), addTok(2, "</s>", true)],
      normalizer: null,
      pre_tokenizer: { type: "Metaspace", replacement: SP, prepend_scheme: "always", split: true },
      post_processor: { type: "TemplateProcessing",
        single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
        pair: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } },
               { Sequence: { id: "B", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
        special_tokens: { "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] } } },
      decoder: { type: "Sequence", decoders: [
        { type: "Metaspace", replacement: SP, prepend_scheme: "always", split: true },
        { type: "ByteFallback" }, { type: "Fuse" }] },
      model: { type: "Unigram", unk_id: 0, vocab, byte_fallback: byteFallback },
    });
    out["unigram"] = uni(true);
    out["unigram-unk"] = uni(false);
  }

  for (const [name, j] of Object.entries(out)) {
    tk.Tokenizer.fromString(JSON.stringify(j));   /* the library must accept it */
    fs.writeFileSync(path.join(dir, name + ".json"), JSON.stringify(j) + "\n");
  }
  return Object.keys(out);
}

/* deterministic pseudo-random ids (LCG) */
function idLists(vocabSize, specials, n) {
  let x = 12345;
  const rnd = (k) => { x = (x * 1103515245 + 12345) % 2147483648; return x % k; };
  const lists = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rnd(8), ids = [];
    for (let j = 0; j < len; j++) ids.push(specials.length && rnd(5) === 0 ? specials[rnd(specials.length)] : rnd(vocabSize));
    lists.push(ids);
  }
  return lists;
}

/* character offsets (code points) -> byte offsets into the UTF-8 text */
function byteOffsets(text, offs) {
  const pre = [0];
  for (const c of Array.from(text)) pre.push(pre[pre.length - 1] + Buffer.byteLength(c));
  return offs.map(([a, b]) => [pre[a], pre[b]]);
}

const EOS_NAMES = ["</s>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end_of_text|>"];

/* the Tülu template of lib/text/chat_template.c; spans: byte [begin, end) of
 * each assistant content + EOS */
function renderTulu(msgs, eos, gen) {
  let s = "";
  const spans = [];
  msgs.forEach((m, i) => {
    if (m.role === "assistant") {
      s += "<|assistant|>\n";
      const b = Buffer.byteLength(s);
      s += m.content + eos;
      spans.push([b, Buffer.byteLength(s)]);
      if (i + 1 < msgs.length) s += "\n";
    } else s += (m.role === "user" ? "<|user|>\n" : "<|system|>\n") + m.content + "\n";
  });
  if (gen) s += "<|assistant|>\n";
  return { text: s, spans };
}

async function recordChat(t, dir, json) {
  const f = path.join(dir, "chat.jsonl");
  if (!fs.existsSync(f)) return [];
  const gemma = json.added_tokens.some((a) => a.content === "<eos>" && a.special);   /* as tokenizer_bpe.c */
  const eos = gemma ? "<eos>" : EOS_NAMES.find((n) => t.tokenToId(n) !== undefined && t.tokenToId(n) !== null);
  if (!eos) return [];
  const lines = [];
  for (const conv of fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))) {
    const { text, spans } = renderTulu(conv.messages, eos, !!conv.gen);
    const e = await t.encode(text, null, { addSpecialTokens: false });
    const ids = e.getIds(), offsets = byteOffsets(text, e.getOffsets());
    const mask = offsets.map(([a]) => (spans.some(([b, en]) => a >= b && a < en) ? 1 : 0));
    const turns = [];
    for (const [b, en] of spans) {
      const sel = ids.filter((_, i) => offsets[i][0] >= b && offsets[i][0] < en);
      turns.push(await t.decode(sel, false));
    }
    lines.push(JSON.stringify({ messages: conv.messages, gen: !!conv.gen, eos, text, ids, offsets, mask,
                                assistant_decoded: turns }));
  }
  return lines;
}

/* texts two at a time (deterministic), encoded as pairs */
async function recordPairs(t, corpus) {
  const lines = [];
  for (let i = 0; i < corpus.length; i += 5) {
    const a = corpus[i], b = corpus[(i * 7 + 3) % corpus.length];
    let e, r;
    try {
      e = await t.encode(a, b, { addSpecialTokens: true });
      r = await t.encode(a, b, { addSpecialTokens: false });
    } catch (err) { return []; }
    const seq = e.getSequenceIds(), offs = e.getOffsets();
    const bo = offs.map((o, k) => (seq[k] === 0 ? byteOffsets(a, [o])[0] : seq[k] === 1 ? byteOffsets(b, [o])[0] : o));
    lines.push(JSON.stringify({ a, b, ids: e.getIds(), type_ids: e.getTypeIds(),
                                seq: seq.map((x) => (x === undefined ? null : x)), offsets: bo,
                                ids_no_add: r.getIds(), type_ids_no_add: r.getTypeIds() }));
  }
  return lines;
}

/* a SentencePiece ModelProto (protobuf): pieces {piece, score, type} and
 * normalizer_spec {name, precompiled_charsmap, add_dummy_prefix, ...} */
function readSpm(buf) {
  function fields(b) {
    const out = [];
    let i = 0;
    const varint = () => { let v = 0n, sh = 0n; for (;;) { const x = b[i++]; v |= BigInt(x & 0x7f) << sh; sh += 7n; if (!(x & 0x80)) return v; } };
    while (i < b.length) {
      const key = Number(varint()), f = key >> 3, w = key & 7;
      if (w === 0) out.push([f, varint()]);
      else if (w === 1) { out.push([f, b.subarray(i, i + 8)]); i += 8; }
      else if (w === 2) { const n = Number(varint()); out.push([f, b.subarray(i, i + n)]); i += n; }
      else if (w === 5) { out.push([f, b.readFloatLE(i)]); i += 4; }
      else throw new Error("protobuf wire type " + w);
    }
    return out;
  }
  const pieces = [], norm = {};
  for (const [f, v] of fields(buf)) {
    if (f === 1) {
      const p = { piece: "", score: 0, type: 1 };
      for (const [g, x] of fields(v)) {
        if (g === 1) p.piece = x.toString("utf8");
        else if (g === 2) p.score = x;
        else if (g === 3) p.type = Number(x);
      }
      pieces.push(p);
    } else if (f === 3) {
      for (const [g, x] of fields(v)) {
        if (g === 1) norm.name = x.toString("utf8");
        else if (g === 2) norm.charsmap = Buffer.from(x);
        else if (g === 3) norm.addDummyPrefix = !!Number(x);
      }
    }
  }
  return { pieces, norm };
}

/* transformers' T5 conversion of a SentencePiece model */
function spmToT5(model) {
  const { pieces, norm } = readSpm(model);
  const unk = pieces.findIndex((p) => p.type === 2);
  const eos = pieces.findIndex((p) => p.piece === "</s>");
  const added = [];
  pieces.forEach((p, id) => { if (p.type === 2 || p.type === 3) added.push(addTok(id, p.piece, true)); });
  const scheme = norm.addDummyPrefix === false ? "never" : "always";
  return {
    version: "1.0", truncation: null, padding: null, added_tokens: added,
    normalizer: { type: "Sequence", normalizers: [
      { type: "Precompiled", precompiled_charsmap: norm.charsmap.toString("base64") },
      { type: "Strip", strip_left: false, strip_right: true },
      { type: "Replace", pattern: { Regex: " {2,}" }, content: SP } ] },
    pre_tokenizer: { type: "Metaspace", replacement: SP, prepend_scheme: scheme, split: true },
    post_processor: { type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } },
             { Sequence: { id: "B", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      special_tokens: { "</s>": { id: "</s>", ids: [eos], tokens: ["</s>"] } } },
    decoder: { type: "Metaspace", replacement: SP, prepend_scheme: scheme, split: true },
    model: { type: "Unigram", unk_id: unk, vocab: pieces.map((p) => [p.piece, p.score]), byte_fallback: false },
  };
}

async function record(dir, outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const corpus0 = fs.readFileSync(path.join(dir, "corpus.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  /* NAME.json, or NAME.json.gz (the production files, committed compressed) */
  const names = fs.readdirSync(dir).filter((f) => f.endsWith(".json") || f.endsWith(".json.gz"))
    .map((f) => f.replace(/\.json(\.gz)?$/, "")).sort();
  for (const name of names) {
    const plain = path.join(dir, name + ".json");
    const json = JSON.parse(fs.existsSync(plain) ? fs.readFileSync(plain, "utf8")
      : require("zlib").gunzipSync(fs.readFileSync(plain + ".gz")).toString("utf8"));
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    const own = path.join(dir, name + ".corpus.jsonl");
    const corpus = corpus0.concat(fs.existsSync(own)
      ? fs.readFileSync(own, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
    const lines = [];
    for (const text of corpus) {
      const enc = await t.encode(text, null, { addSpecialTokens: true });
      const ids = enc.getIds(), offsets = byteOffsets(text, enc.getOffsets());
      const raw = (await t.encode(text, null, { addSpecialTokens: false })).getIds();
      lines.push(JSON.stringify({ text, ids, ids_no_add: raw, offsets, decoded: await t.decode(ids, false),
                                  decoded_skip: await t.decode(ids, true) }));
    }
    fs.writeFileSync(path.join(outDir, name + ".expected.jsonl"), lines.join("\n") + "\n");
    const specials = json.added_tokens.filter((a) => a.special).map((a) => a.id);
    const dl = [];
    for (const ids of idLists(t.getVocabSize(true), specials, 60))
      dl.push(JSON.stringify({ ids, decoded: await t.decode(ids, false), decoded_skip: await t.decode(ids, true) }));
    fs.writeFileSync(path.join(outDir, name + ".decode.jsonl"), dl.join("\n") + "\n");
    const chat = await recordChat(t, dir, json);
    if (chat.length) fs.writeFileSync(path.join(outDir, name + ".chat.jsonl"), chat.join("\n") + "\n");
    const pairs = await recordPairs(t, corpus0);
    if (pairs.length) fs.writeFileSync(path.join(outDir, name + ".pair.jsonl"), pairs.join("\n") + "\n");
    console.error(`${name}: ${corpus.length} texts, ${dl.length} id lists, ${chat.length} conversations, ` +
                  `${pairs.length} pairs`);
  }
}

(async () => {
  const [mode, dir, out] = process.argv.slice(2);
  if (!mode || !dir) { console.error("usage: gen-tokenizer-fixtures.js build|record|all DIR [OUT]"); process.exit(64); }
  if (mode === "spm") {
    const j = spmToT5(fs.readFileSync(out));
    tk.Tokenizer.fromString(JSON.stringify(j));   /* the library must accept it */
    fs.writeFileSync(path.join(dir, "t5-precompiled.json.gz"), require("zlib").gzipSync(JSON.stringify(j) + "\n", { level: 9 }));
    return;
  }
  if (mode === "build" || mode === "all") build(dir);
  if (mode === "record" || mode === "all") await record(dir, out || dir);
})().catch((e) => { console.error(e); process.exit(1); });
