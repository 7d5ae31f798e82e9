#!/usr/bin/env node
/*
 * gen-chat-fixtures.js — record what the reference Jinja renderer
 * (@huggingface/jinja, the one transformers.js renders chat templates with)
 * makes of each chat template in tests/parity/chat-templates/, for
 * tests/unit/text/test_jinja_parity.c, which runs without Node.
 *
 *   node gen-chat-fixtures.js DIR     for each DIR/NAME.jinja write
 *                                     DIR/NAME.expected.jsonl
 *
 * The module is found as require("@huggingface/jinja"), else
 * $JINJA_MODULE (e.g. /tmp/j/node_modules/@huggingface/jinja).
 * Each line is {"context": {...}, "output": "..."} or, when the template
 * raised, {"context": {...}, "error": "..."}.  strftime_now formats the
 * fixed date 2024-07-26, as prefpipe does by default, so the fixtures do
 * not depend on the day they were recorded.
 */
"use strict";
const fs = require("fs");
const path = require("path");
let jinja;
try { jinja = require("@huggingface/jinja"); } catch (e) { jinja = require(process.env.JINJA_MODULE); }

const tokens = {
  "llama2": ["<s>", "</s>"], "llama3": ["<|begin_of_text|>", "<|eot_id|>"],
  "llama3.2": ["<|begin_of_text|>", "<|eot_id|>"], "mistral": ["<s>", "</s>"], "mistral-v3": ["<s>", "</s>"],
  "qwen2": ["", "<|im_end|>"], "qwen3": ["", "<|im_end|>"], "chatml": ["", "<|im_end|>"],
  "zephyr": ["<s>", "</s>"], "tulu2": ["<s>", "</s>"], "olmo2": ["<|endoftext|>", "<|endoftext|>"],
  "phi3": ["<s>", "<|endoftext|>"], "gemma": ["<bos>", "<eos>"], "gemma3": ["<bos>", "<eos>"],
};

const tools = [{ type: "function", function: { name: "get_weather", description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string", description: "the city" }, days: { type: "integer" } },
                required: ["city"] } } }];

const conversations = [
  { messages: [{ role: "user", content: "Hello" }] },
  { messages: [{ role: "system", content: "You are terse." }, { role: "user", content: "Hi there" },
               { role: "assistant", content: "Hello! How can I help?" }, { role: "user", content: "What is 2+2?" }] },
  { messages: [{ role: "user", content: " padded \n" }, { role: "assistant", content: "  spaced answer  " },
               { role: "user", content: "ünïcödé ✓ \"quotes\" 'single' <tags> {{ not a tag }} \\n" }] },
  { messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] },
  { messages: [{ role: "system", content: "sys" }, { role: "user", content: "q" }, { role: "assistant", content: "r" }] },
  { messages: [{ role: "assistant", content: "first" }] },
  { messages: [{ role: "user", content: "Weather in Paris?" }], tools },
  { messages: [{ role: "user", content: "think?" }, { role: "assistant", content: "<think>\nhmm\n</think>\n\nyes" },
               { role: "user", content: "again" }], enable_thinking: false },
  { messages: [{ role: "system", content: "S" }, { role: "user", content: "u1" }, { role: "assistant", content: "a1" },
               { role: "user", content: "u2" }, { role: "assistant", content: "a2" }] },
];

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function strftime_now(fmt) {
  return fmt.replace(/%([dbYmB])/g, (_, c) => ({ d: "26", b: months[6], Y: "2024", m: "07", B: "July" })[c]);
}

/* Template.render with our strftime_now in place of the clock's (the
 * globals are those of the library's setupGlobals) */
function render(tpl, context) {
  const env = new jinja.Environment();
  const globals = { false: false, true: true, none: null, False: false, True: true, None: null,
                    raise_exception: (m) => { throw new Error(m); }, range: (...a) => {
                      const [lo, hi, st] = a.length === 1 ? [0, a[0], 1] : [a[0], a[1], a[2] || 1];
                      const r = []; for (let i = lo; st > 0 ? i < hi : i > hi; i += st) r.push(i); return r; },
                    strftime_now };
  for (const [k, v] of Object.entries(Object.assign(globals, context))) env.set(k, v);
  return new jinja.Interpreter(env).run(tpl.parsed).value;
}

const dir = process.argv[2];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".jinja")).sort()) {
  const name = f.slice(0, -6);
  const tpl = new jinja.Template(fs.readFileSync(path.join(dir, f), "utf8"));
  const [bos, eos] = tokens[name] || ["<s>", "</s>"];
  const lines = [];
  for (const conv of conversations)
    for (const gen of [false, true]) {
      const context = Object.assign({}, conv, { add_generation_prompt: gen, bos_token: bos, eos_token: eos });
      let rec;
      try { rec = { context, output: render(tpl, context) }; }
      catch (e) { rec = { context, error: String(e.message || e) }; }
      lines.push(JSON.stringify(rec));
    }
  fs.writeFileSync(path.join(dir, name + ".expected.jsonl"), lines.join("\n") + "\n");
  console.log(name + ": " + lines.length + " renders");
}
