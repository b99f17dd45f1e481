#!/usr/bin/env node
// Times our training step on the cuda backend and prints one JSON line, shaped like the output
// of torch_rnn_step.py. The step is the bench harness's (bench/src/ours/step.ts: the model of
// `torch_rnn_step.py --model indrnn` built with the library's defaults, a fixed batch, and
// Trainer.trainStep: forward, MSE, backward, clip, Adam, the recurrent-weight constraint).
//
//   ms_per_step   median over --steps of one step followed by a device synchronisation, as the
//                 PyTorch script times it (torch.cuda.synchronize() inside its step)
//   ms_pipelined  --steps steps back to back, one synchronisation at the end, divided by --steps
//                 (a training loop's throughput: the host queues step k+1 while the GPU runs k)
//
//   node bench/gpu/step.mjs --layers 2 --T 1024 --B 128 --hidden 128 --input 2 \
//     [--steps 20] [--warmup 3]
//   --bn none|sequence|frame   batch norm on W x + b before the recurrence (default none); the
//                 PyTorch script's --bn is the sequence-wise one (statistics over all T·B rows)
//   node bench/gpu/step.mjs --scan-only --T 1024 --B 128 --hidden 128   (the scan kernels alone)
//   --profile K   after the timing, K more steps with CUDA events around every kernel call, and a
//                 second JSON line (impl 'indrnn-cuda-profile') with the GPU ms per step of each
//                 entry point, largest first: what to optimise when a ratio misses its target
// Runs from the built tree: bench/dist (npm run build), or what run.sh restores from .gpu/.
import { manualSeed, setBackend, Trainer, Generator } from 'indrnn';
import { trainOptionsFromSettings } from 'indrnn/node';
import { benchSettings, fixedBatchTask } from '../dist/src/ours/step.js';

function parseArgs(argv) {
  const o = {
    layers: 2,
    T: 1024,
    B: 128,
    hidden: 128,
    input: 2,
    steps: 20,
    warmup: 3,
    profile: 0,
    scanOnly: false,
    bn: 'none',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scan-only') {
      o.scanOnly = true;
      continue;
    }
    const key = a.replace(/^--/, '');
    if (!(key in o) || i + 1 >= argv.length)
      throw new Error(`step.mjs: unknown or incomplete option ${a}`);
    if (key === 'bn') {
      o.bn = argv[++i];
      if (!['none', 'sequence', 'frame'].includes(o.bn))
        throw new Error(`step.mjs: --bn takes none, sequence or frame, got '${o.bn}'`);
      continue;
    }
    o[key] = Number(argv[++i]);
    if (!Number.isInteger(o[key]) || o[key] < 0)
      throw new Error(`step.mjs: ${a} needs a non-negative integer`);
  }
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 1000) / 1000;

const o = parseArgs(process.argv.slice(2));
const backend = setBackend('cuda');
const device = backend.info().name;

if (o.scanOnly) {
  // the fused recurrence alone, forward and backward, median of 20 synchronised calls each
  const { T, B, hidden: N } = o;
  const gen = new Generator(1);
  const rnd = (n, s = 1) => Float32Array.from({ length: n }, () => s * gen.normal());
  const z = backend.fromHost(rnd(T * B * N));
  const u = backend.fromHost(rnd(N, 0.5));
  const h0 = backend.alloc('float32', B * N);
  const dh = backend.fromHost(rnd(T * B * N));
  const time = (fn) => {
    const ts = [];
    for (let i = 0; i < 23; i++) {
      const t0 = performance.now();
      const out = fn();
      backend.synchronize();
      if (i >= 3) ts.push(performance.now() - t0);
      for (const s of Object.values(out)) backend.free(s);
    }
    return median(ts);
  };
  const h = backend.indrnnScan(z, u, h0, null, T, B, N, 'relu');
  const fwd = time(() => ({ h: backend.indrnnScan(z, u, h0, null, T, B, N, 'relu') }));
  const bwd = time(() => backend.indrnnScanGrad(dh, z, h, u, h0, null, T, B, N, 'relu'));
  const bytes = 2 * T * B * N * 4; // forward: read z, write h
  console.log(
    JSON.stringify({
      impl: 'indrnn-cuda-scan',
      device,
      T,
      B,
      hidden: N,
      fwd_ms: round(fwd),
      bwd_ms: round(bwd),
      fwd_GBps: round(bytes / fwd / 1e6),
      bwd_GBps: round((2 * bytes) / bwd / 1e6),
    }),
  );
  process.exit(0);
}

const shape = { layers: o.layers, hidden: o.hidden, T: o.T, B: o.B, input: o.input, bn: o.bn !== 'none' };
manualSeed(0);
const settings = benchSettings(shape, o.warmup + 2 * o.steps);
if (o.bn === 'frame') settings.bn = 'frame';
const trainer = new Trainer(
  fixedBatchTask(shape, settings, backend),
  trainOptionsFromSettings(settings),
);
let loss = Number.NaN;
for (let i = 0; i < o.warmup; i++) loss = trainer.trainStep().loss;
backend.synchronize();

const before = backend.memoryStats();
const samples = [];
for (let i = 0; i < o.steps; i++) {
  const t0 = performance.now();
  loss = trainer.trainStep().loss;
  backend.synchronize();
  samples.push(performance.now() - t0);
}
const t0 = performance.now();
for (let i = 0; i < o.steps; i++) loss = trainer.trainStep().loss;
backend.synchronize();
const pipelined = (performance.now() - t0) / Math.max(o.steps, 1);
const after = backend.memoryStats();

console.log(
  JSON.stringify({
    impl: 'indrnn-cuda',
    device,
    model: 'indrnn',
    layers: o.layers,
    T: o.T,
    B: o.B,
    hidden: o.hidden,
    input: o.input,
    bn: o.bn,
    ms_per_step: round(median(samples)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    ms_pipelined: round(pipelined),
    steps: o.steps,
    warmup: o.warmup,
    last_loss: loss,
    minor_gcs: after.minorGcs - before.minorGcs,
    major_gcs: after.majorGcs - before.majorGcs,
    peak_MiB: Math.round(after.peakBytes / 2 ** 20),
  }),
);

if (o.profile > 0) {
  backend.synchronize();
  backend.setProfiling(true);
  for (let i = 0; i < o.profile; i++) trainer.trainStep();
  const totals = backend.takeProfile();
  backend.setProfiling(false);
  const perStep = totals.map((t) => ({
    name: t.name,
    calls: round(t.calls / o.profile),
    ms: round(t.ms / o.profile),
  }));
  console.log(
    JSON.stringify({
      impl: 'indrnn-cuda-profile',
      device,
      layers: o.layers,
      T: o.T,
      B: o.B,
      hidden: o.hidden,
      input: o.input,
      steps: o.profile,
      gpu_ms_per_step: round(perStep.reduce((a, t) => a + t.ms, 0)),
      kernels: perStep,
    }),
  );
}
