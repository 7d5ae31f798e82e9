// llama-logprob.mjs — per-token log-probs of token id sequences under a GGUF
// model, computed by llama.cpp through node-llama-cpp (v3 API).
//
//   node llama-logprob.mjs MODEL.gguf IN.jsonl > OUT.jsonl
//   (NODE_LLAMA_CPP_DIR = a directory whose node_modules holds
//    node-llama-cpp; default: the current directory)
//
// IN: JSON lines {"id", "tokens": [ids]}.  OUT: the same records with
// "logprobs": [null, lp_1, ..., lp_{n-1}], lp_t = log p(tokens[t] |
// tokens[0..t-1]) — the quantity prefpipe's lm-logprob writes (it writes 0
// for the first token, which has no context).
//
// Design and invariants:
//  * The forward pass is llama.cpp's own (ggml CPU backend, prebuilt by the
//    node-llama-cpp project); nothing of prefpipe runs here, so agreement
//    with lm-logprob is an independent check of prefpipe's model maths.
//  * Everything is fp32: the GGUF holds F32 tensors and the KV cache is
//    forced to F32 (node-llama-cpp's default is F16, which alone would cost
//    ~1e-3 in log-probs).  Flash attention is off.  No GPU.
//  * We ask for the RAW logits of every position (controlledEvaluate with
//    generateNext.logits = true; no sampling options, so no temperature or
//    penalties touch them) and do the log-softmax here in float64, so no
//    sampler transformation is involved.
//  * Each record starts from an empty sequence (positions 0..n-1); no BOS
//    or other token is added — exactly the ids given are evaluated.
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {join, resolve} from "node:path";
import {pathToFileURL} from "node:url";

const [modelPath, inPath] = process.argv.slice(2);
if (!modelPath || !inPath) {
    console.error("usage: node llama-logprob.mjs MODEL.gguf IN.jsonl");
    process.exit(64);
}

const base = resolve(process.env.NODE_LLAMA_CPP_DIR ?? ".");
let entry;
try {
    entry = createRequire(join(base, "noop.js")).resolve("node-llama-cpp");
} catch {
    entry = join(base, "node_modules", "node-llama-cpp", "dist", "index.js");
}
const {getLlama} = await import(pathToFileURL(entry).href);

const records = readFileSync(inPath, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
const maxLen = Math.max(...records.map((r) => r.tokens.length));

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: resolve(modelPath), gpuLayers: 0});
const context = await model.createContext({
    contextSize: Math.max(256, maxLen + 8),
    batchSize: Math.max(256, maxLen + 8),
    sequences: 1,
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
});
const seq = context.getSequence();

for (const r of records) {
    await seq.clearHistory();
    const n = r.tokens.length;
    const input = r.tokens.map((t, i) => (i < n - 1 ? [t, {generateNext: {logits: true}}] : t));
    const out = await seq.controlledEvaluate(input);
    const logprobs = [null];
    for (let i = 0; i < n - 1; i++) {
        const logits = out[i]?.next?.logits;
        if (!logits) throw new Error(`${r.id}: no logits for position ${i}`);
        let mx = -Infinity;
        for (const v of logits.values()) mx = Math.max(mx, v);
        let s = 0;
        for (const v of logits.values()) s += Math.exp(v - mx);
        const target = logits.get(r.tokens[i + 1]);
        if (target === undefined) throw new Error(`${r.id}: token ${r.tokens[i + 1]} missing from logits (size ${logits.size})`);
        logprobs.push(target - mx - Math.log(s));
    }
    const sizes = new Set(out.filter(Boolean).map((o) => o.next.logits.size));
    process.stdout.write(JSON.stringify({id: r.id, tokens: r.tokens, logprobs, n_logits: [...sizes]}) + "\n");
}
await context.dispose();
await model.dispose();
await llama.dispose();
