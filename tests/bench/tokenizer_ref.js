#!/usr/bin/env node
/*
 * tokenizer_ref.js — the reference side of tests/bench/tokenizer.sh: the
 * Hugging Face tokenizers library (Rust, through its Node binding) encoding
 * every line of a text file, one line at a time on one thread, as
 * lm-tokenize does.
 *
 *   node tokenizer_ref.js TOKENIZER.json[.gz] TEXT [ADD_SPECIAL 0|1]
 *
 * Prints "load encode ids checksum": the seconds to parse the tokenizer,
 * the seconds of the encode loop (reading the file not counted), the number of ids, and
 * a checksum of the ids (sum of (i+1)*id mod 2^32 over the id stream) that
 * the shell script compares with lm-tokenize's, so both sides did the same
 * work.  The module is require("tokenizers"), else $TOKENIZERS_MODULE.
 */
"use strict";
const fs = require("fs");
let tk;
try { tk = require("tokenizers"); } catch (e) { tk = require(process.env.TOKENIZERS_MODULE); }

(async () => {
  const [tokPath, textPath, add] = process.argv.slice(2);
  const l0 = process.hrtime.bigint();
  const raw = fs.readFileSync(tokPath);
  const json = tokPath.endsWith(".gz") ? require("zlib").gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  const t = tk.Tokenizer.fromString(json);
  const load = Number(process.hrtime.bigint() - l0) / 1e9;
  const lines = fs.readFileSync(textPath, "utf8").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const opts = { addSpecialTokens: add !== "0" };
  let n = 0, sum = 0, idx = 0;
  const t0 = process.hrtime.bigint();
  for (const line of lines) {
    const ids = (await t.encode(line, null, opts)).getIds();
    n += ids.length;
    for (const id of ids) { idx++; sum = (sum + ((idx * id) >>> 0)) >>> 0; }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${load.toFixed(3)} ${s.toFixed(3)} ${n} ${sum}`);
})().catch((e) => { console.error(e); process.exit(1); });
