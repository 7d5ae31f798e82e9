#!/usr/bin/env node
/* gen-regex-classes.js — the library's members of each class, as JSON
 * {class: [[first, last], ...]} (see gen-regex-classes.sh). */
"use strict";
let tk;
try { tk = require("tokenizers"); } catch (e) { tk = require(process.env.TOKENIZERS_MODULE); }
const CLASSES = ["L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "S"];
const out = { version: require((process.env.TOKENIZERS_MODULE || "tokenizers") + "/package.json").version };
for (const c of CLASSES) {
  const j = { version: "1.0", added_tokens: [], normalizer: null, post_processor: null, decoder: null,
    pre_tokenizer: { type: "Split", pattern: { Regex: "\\p{" + c + "}" }, behavior: "Removed", invert: false },
    model: { type: "BPE", vocab: {}, merges: [] } };
  const pt = tk.Tokenizer.fromString(JSON.stringify(j)).getPreTokenizer();
  const runs = [];
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    if (pt.preTokenizeString("!" + String.fromCodePoint(cp) + "!").length !== 2) continue;   /* kept: not in the class */
    const l = runs[runs.length - 1];
    if (l && l[1] === cp - 1) l[1] = cp; else runs.push([cp, cp]);
  }
  out[c] = runs;
}
console.log(JSON.stringify(out));
