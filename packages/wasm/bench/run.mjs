#!/usr/bin/env node
// Benchmarks of the wasm backend against TensorFlow.js 4.22's wasm backend (XNNPACK), same process
// and same run, single-threaded on both sides. Prints one JSON line per measurement, then a ratio
// table. Run from the repository root: `npm run bench:wasm` (builds first).
//   1. GEMM GFLOP/s on 512³ and (32768×128)·(128×128). Ours copies the operands into its arena and
//      the product out on every call; tfjs is timed with dataSync(), i.e. reading the product back.
//   2. One training step (forward, backward, clip, Adam) of a 2×128 IndRNN on the adding problem,
//      T = 1000, B = 32, against tf.layers.simpleRNN (relu) ×2 on tfjs-wasm, run by the shared
//      baseline script (copied at run time into bench/.cache/, never committed).
// Options: --quick (fewer repetitions), --no-tfjs-rnn (skip the minute-long tfjs training steps).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildModel, data, Generator, manualSeed, ops, setBackend, Trainer } from 'indrnn';
import { createWasmBackendSync } from '../dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const results = [];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function emit(record) {
  results.push(record);
  console.log(JSON.stringify(record));
}

/**
 * Runs fn untimed for at least `calls` calls and `seconds` seconds. V8 first runs WebAssembly in
 * its baseline compiler and swaps in optimised code for later calls, compiled in the background
 * (slower on a busy machine): a short warm-up times baseline code (ours and tfjs's alike).
 */
function warmUp(fn, calls, seconds) {
  const t0 = performance.now();
  for (let i = 0; i < calls || performance.now() - t0 < seconds * 1e3; i++) fn();
}

/** Median seconds of `reps` calls after `warm` untimed ones. */
function timeIt(fn, warm, reps) {
  for (let i = 0; i < warm; i++) fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1e3);
  }
  return { median: median(times), min: Math.min(...times) };
}

async function gemm() {
  const wasm = createWasmBackendSync();
  await tf.setBackend('wasm');
  await tf.ready();
  const gen = new Generator(1);
  const rand = (n) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  for (const [m, k, n] of [
    [512, 512, 512],
    [32768, 128, 128],
  ]) {
    const a = rand(m * k);
    const b = rand(k * n);
    const flop = 2 * m * n * k;
    const ta = tf.tensor2d(a, [m, k]);
    const tb = tf.tensor2d(b, [k, n]);
    const reps = quick ? 5 : 15;
    const ourCall = () => wasm.matmul(a, b, m, n, k, false, false);
    const theirCall = () => {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    };
    warmUp(ourCall, 100, quick ? 1 : 3);
    warmUp(theirCall, 100, quick ? 1 : 3);
    // interleave the two sides in rounds so load from other processes hits both alike
    const ours = [];
    const theirs = [];
    for (let round = 0; round < 3; round++) {
      ours.push(timeIt(ourCall, 2, reps).median);
      theirs.push(timeIt(theirCall, 2, reps).median);
    }
    const shape = `${m}x${k}x${n}`;
    const best = (xs) => Math.min(...xs);
    emit({
      bench: 'gemm',
      impl: 'indrnn-wasm',
      shape,
      seconds: best(ours),
      gflops: +(flop / best(ours) / 1e9).toFixed(2),
    });
    emit({
      bench: 'gemm',
      impl: 'tfjs-wasm',
      shape,
      seconds: best(theirs),
      gflops: +(flop / best(theirs) / 1e9).toFixed(2),
    });
    ta.dispose();
    tb.dispose();
  }
}

function ourTrainingStep() {
  const T = 1000;
  const B = 32;
  setBackend('wasm');
  manualSeed(1);
  const model = buildModel({
    kind: 'sequence',
    outputSize: 1,
    encoder: {
      type: 'indrnn',
      inputSize: 2,
      hiddenSize: 128,
      numLayers: 2,
      gamma: 2,
      seqLen: T,
      lastLayerInit: true,
    },
  });
  const gen = new Generator(2);
  const task = {
    name: 'adding',
    model,
    monitor: { metric: 'val_mse', mode: 'min' },
    notes: [],
    trainLoss() {
      const { x, y } = data.addingBatch({ seqLen: T, batchSize: B, generator: gen });
      return { loss: ops.mseLoss(model.forward(x), y) };
    },
    evaluate: () => ({}),
    getState: () => ({ json: null }),
    setState: () => {},
  };
  const trainer = new Trainer(task, {
    steps: 1e9,
    evalEvery: 0,
    optimizer: 'adam',
    lr: 2e-4,
    weightDecay: 0,
    gradClip: 10,
    gradNorm: 0,
    schedule: 'none',
    decayFactor: 0.1,
  });
  const { median: s, min } = timeIt(() => trainer.trainStep(), 5, quick ? 5 : 15);
  emit({
    bench: 'train-step',
    impl: 'indrnn-wasm',
    model: 'indrnn 2x128',
    T,
    B,
    seconds: +s.toFixed(4),
    min_seconds: +min.toFixed(4),
  });
}

function tfjsTrainingStep() {
  const source = join(repo, '..', 'shared', 'baselines', 'tfjs_rnn_step.mjs');
  if (!existsSync(source)) {
    console.log(`# skipped tfjs simpleRNN: ${source} not found`);
    return;
  }
  // the baseline resolves @tensorflow/* from its own folder upwards: run it from inside the repo
  const cache = join(here, '.cache');
  mkdirSync(cache, { recursive: true });
  const script = join(cache, 'tfjs_rnn_step.mjs');
  copyFileSync(source, script);
  const out = execFileSync(
    process.execPath,
    [script, 'wasm', 'simplernn', quick ? '1' : '2', '1000', '32', '128', '2'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // the baseline's own lines (per-step times, RESULT) as comments, so a reader sees the samples
  for (const l of out.split('\n')) if (l && !l.startsWith('JSON ')) console.log(`# tfjs: ${l}`);
  const line = out.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`the tfjs baseline printed no JSON line:\n${out}`);
  const r = JSON.parse(line.slice(5));
  emit({
    bench: 'train-step',
    impl: 'tfjs-wasm',
    model: 'simpleRNN(relu) 2x128',
    T: r.T,
    B: r.B,
    seconds: r.median_s,
    min_seconds: r.min_s,
    // the baseline stops a case after a step over 60 s; then its only sample is the warm-up step
    samples: r.samples,
  });
}

function ratioTable() {
  const find = (bench, impl, key) =>
    results.find((r) => r.bench === bench && r.impl === impl && (!key || r.shape === key));
  const rows = [];
  for (const shape of ['512x512x512', '32768x128x128']) {
    const o = find('gemm', 'indrnn-wasm', shape);
    const t = find('gemm', 'tfjs-wasm', shape);
    if (o && t)
      rows.push([
        `GEMM ${shape}`,
        `${o.gflops} GFLOP/s`,
        `${t.gflops} GFLOP/s`,
        (o.gflops / t.gflops).toFixed(2),
        '>= 1.0',
      ]);
  }
  const o = find('train-step', 'indrnn-wasm');
  const t = find('train-step', 'tfjs-wasm');
  if (o && t)
    rows.push([
      'train step adding T=1000 B=32 2x128',
      `${o.seconds} s`,
      `${t.seconds} s`,
      (t.seconds / o.seconds).toFixed(1),
      '>= 20',
    ]);
  const header = ['measurement', 'indrnn wasm', 'tfjs wasm', 'speed-up', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log([fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n'));
}

console.log(
  `# node ${process.version}, tfjs ${tf.version.tfjs}; single-threaded on both sides; ` +
    `load average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')} (other processes slow both sides)`,
);
await gemm();
ourTrainingStep();
if (!args.has('--no-tfjs-rnn')) tfjsTrainingStep();
ratioTable();
