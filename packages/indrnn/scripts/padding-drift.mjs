#!/usr/bin/env node
// Issue 13's figures: how far padding moves a model's outputs and gradients, for every case of
// indrnn/testing's PADDING_CHECK_CASES in training and eval mode (0, or float rounding, is right),
// and how far a backend's masked batch-norm kernels are from the reference on random inputs.
//
//   node packages/indrnn/scripts/padding-drift.mjs [--backend reference|native|wasm|cuda] [--bn-only] [--kernels] [--json]
//
// Build first (npm run build). Training mode: the same valid steps zero-padded to T = 9 and
// noise-padded (N(3, 4²)) to T = 14; eval mode: the shortest and longest sequence alone vs. inside
// a padded batch of other sequences. --bn-only: the four batch-norm cases (PADDING_BN_CASES).
// --kernels: max |backend - reference| of batchNormTrainMasked / batchNormGradMasked outputs.
// cuda on the CPU emulator: INDRNN_CUDA_ADDON=$PWD/packages/cuda/build-emu/indrnn_cuda.node.
import { Generator, getBackend, referenceBackend, setBackend } from 'indrnn';
import {
  PADDING_BN_CASES, PADDING_CHECK_CASES, evalPaddingDrift, nonZeroNormal, trainPaddingDrift,
} from 'indrnn/testing';

const args = process.argv.slice(2);
const at = args.indexOf('--backend');
const backend = at >= 0 ? args[at + 1] : 'reference';
if (backend === 'wasm') await (await import('@indrnn/wasm')).initWasm();
const fmt = (v) => (v === 0 ? '0' : v.toExponential(2));

function driftRows() {
  const rows = [];
  for (const c of args.includes('--bn-only') ? PADDING_BN_CASES : PADDING_CHECK_CASES) {
    for (const [mode, fn] of [['train', trainPaddingDrift], ['eval', evalPaddingDrift]]) {
      rows.push({ case: c.name, mode, ...fn(backend, c.config, c.shape) });
    }
  }
  return rows;
}

/** Max abs differences of the masked BN kernels against the reference, over a few random shapes. */
function kernelErrors() {
  setBackend(backend);
  const be = getBackend();
  const ref = referenceBackend();
  const gen = new Generator(5);
  const err = {};
  const note = (key, got, want) => {
    const g = be.toHost(got);
    let m = 0;
    for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(g[i] - want[i]));
    err[key] = Math.max(err[key] ?? 0, m);
  };
  for (const [T, R, C] of [[7, 5, 3], [40, 33, 37], [60, 90, 9]]) {
    for (const perStep of [true, false]) {
      const x = nonZeroNormal(gen, T * R * C, 2, 3);
      const lengths = Int32Array.from({ length: R }, (_, r) => (r === 0 ? T - 2 : gen.int(T + 1)));
      const gamma = nonZeroNormal(gen, C, 0.5, 1);
      const beta = nonZeroNormal(gen, C);
      const dy = nonZeroNormal(gen, T * R * C);
      const up = (a) => be.fromHost(a.slice());
      const want = ref.batchNormTrainMasked(x, T, R, C, lengths, perStep, gamma, beta, 1e-5);
      const got = be.batchNormTrainMasked(up(x), T, R, C, up(lengths), perStep, up(gamma), up(beta), 1e-5);
      for (const k of ['y', 'mean', 'variance', 'invStd']) note(k, got[k], want[k]);
      const dwant = ref.batchNormGradMasked(dy, x, T, R, C, lengths, perStep, want.mean, want.invStd, gamma);
      const dgot = be.batchNormGradMasked(up(dy), up(x), T, R, C, up(lengths), perStep, up(want.mean), up(want.invStd), up(gamma));
      for (const k of ['dx', 'dgamma', 'dbeta']) note(k, dgot[k], dwant[k]);
    }
  }
  return err;
}

const result = { backend, ...(args.includes('--kernels') ? { kernels: kernelErrors() } : { rows: driftRows() }) };
if (args.includes('--json')) {
  console.log(JSON.stringify(result));
} else if (result.kernels) {
  console.log(`masked batch norm on ${backend}: max |${backend} - reference| over 6 random cases`);
  console.log(Object.entries(result.kernels).map(([k, v]) => `${k} ${fmt(v)}`).join(', '));
} else {
  console.log(`padding drift on ${backend} (max |change|; 0 or float rounding is right)`);
  console.log(['case', 'mode', 'output', 'inputGrad', 'paddedGrad', 'paramGrad', 'running'].join(' | '));
  for (const r of result.rows) {
    console.log([r.case, r.mode, fmt(r.output), fmt(r.inputGrad), fmt(r.paddedGrad), fmt(r.paramGrad), fmt(r.running)].join(' | '));
  }
}
