// llama_gen.mjs — the llama.cpp side of tests/bench/rollout.sh: sample NEW
// tokens after a P-token prompt on B sequences at once, through
// node-llama-cpp's prebuilt CPU build, and print one line
//   tok_s=... tok_cpu_s=... tokens=...
// (new tokens per wall second and per CPU-second of this process).
//
//   node llama_gen.mjs MODEL.gguf THREADS B P NEW
//   (NODE_LLAMA_CPP_DIR = a directory whose node_modules holds
//    node-llama-cpp, as tests/parity/llamacpp/llama-logprob.mjs)
//
// Like prefpipe's rollout: fp32 weights (the GGUF holds F32 tensors) and an
// F32 KV cache, temperature 0.7, no other sampler step, the B sequences of
// one context decoded together (node-llama-cpp batches the sequences'
// pending tokens into one llama_decode per step).  Timing starts after
// the model is loaded and the context made, like rollout's own count
// (which excludes loading the checkpoint); prompts are part of it on both
// sides.  Generation never stops early: end-of-generation tokens are not
// looked at (prefpipe's side runs a checkpoint without an EOS).
import {createRequire} from "node:module";
import {join, resolve} from "node:path";
import {pathToFileURL} from "node:url";

const [modelPath, threadsArg, bArg, pArg, newArg] = process.argv.slice(2);
if (!newArg) {
    console.error("usage: node llama_gen.mjs MODEL.gguf THREADS B P NEW");
    process.exit(64);
}
const threads = +threadsArg, B = +bArg, P = +pArg, NEW = +newArg;
const base = resolve(process.env.NODE_LLAMA_CPP_DIR ?? ".");
let entry;
try {
    entry = createRequire(join(base, "noop.js")).resolve("node-llama-cpp");
} catch {
    entry = join(base, "node_modules", "node-llama-cpp", "dist", "index.js");
}
const {getLlama} = await import(pathToFileURL(entry).href);

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: resolve(modelPath), gpuLayers: 0});
const size = B * (P + NEW + 8);
const context = await model.createContext({
    contextSize: size,
    batchSize: Math.max(B * P, 512),
    sequences: B,
    threads,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
});
// fixed pseudo-random prompts: ids 3..1002 (no special token, any vocabulary)
let s = 7;
const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648);
const prompts = Array.from({length: B}, () => Array.from({length: P}, () => 3 + (rnd() % 1000)));

const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
let tokens = 0;
await Promise.all(prompts.map(async (p) => {
    const seq = context.getSequence();
    let n = 0;
    for await (const tok of seq.evaluate(p, {temperature: 0.7})) {
        void tok;
        tokens++;
        if (++n >= NEW) break;
    }
}));
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6;
console.log(`tok_s=${(tokens / wall).toFixed(1)} tok_cpu_s=${(tokens / cpu).toFixed(1)} tokens=${tokens}`);
await context.dispose();
await model.dispose();
await llama.dispose();
