#!/usr/bin/env node
// Prints how far padding moves a model's outputs and gradients (issue 13), for every case of
// indrnn/testing's PADDING_CHECK_CASES, in training and eval mode. 0 (or float rounding) is right.
//
//   node packages/indrnn/scripts/padding-drift.mjs [--backend reference|native|wasm] [--json]
//
// Build first (npm run build). Training mode: the same valid steps zero-padded to T = 9 and
// noise-padded (N(3, 4²)) to T = 14; eval mode: each sequence alone vs. inside a padded batch.
import { trainPaddingDrift, evalPaddingDrift, PADDING_CHECK_CASES } from 'indrnn/testing';

const args = process.argv.slice(2);
const at = args.indexOf('--backend');
const backend = at >= 0 ? args[at + 1] : 'reference';
if (backend === 'native') await import('@indrnn/native');
if (backend === 'wasm') await import('@indrnn/wasm');
const rows = [];
for (const c of PADDING_CHECK_CASES) {
  for (const [mode, fn] of [['train', trainPaddingDrift], ['eval', evalPaddingDrift]]) {
    rows.push({ case: c.name, mode, ...fn(backend, c.config, c.shape) });
  }
}
if (args.includes('--json')) {
  console.log(JSON.stringify({ backend, rows }));
} else {
  const fmt = (v) => (v === 0 ? '0' : v.toExponential(2));
  console.log(`padding drift on ${backend} (max |change|; 0 or float rounding is right)`);
  console.log(['case', 'mode', 'output', 'inputGrad', 'paddedGrad', 'paramGrad', 'running'].join(' | '));
  for (const r of rows) {
    console.log([r.case, r.mode, fmt(r.output), fmt(r.inputGrad), fmt(r.paddedGrad), fmt(r.paramGrad), fmt(r.running)].join(' | '));
  }
}
