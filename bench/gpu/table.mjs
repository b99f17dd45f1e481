#!/usr/bin/env node
// Reads the JSON lines of bench/gpu/run.sh (ours: impl 'indrnn-cuda'; PyTorch: 'pytorch-indrnn')
// and prints a Markdown table of ms per step and the ratio ours / PyTorch per configuration, with
// the target (<= 0.5), then each configuration's profile ('indrnn-cuda-profile': GPU ms
// per kernel entry point). Lines that are not JSON are ignored.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/gpu/table.mjs steps.jsonl');
  process.exit(2);
}
const rows = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  try {
    rows.push(JSON.parse(line));
  } catch {
    // progress output and blank lines
  }
}
const key = (r) => `${r.layers}x${r.hidden ?? 128} T=${r.T} B=${r.B} input ${r.input ?? '?'}`;
const configs = [...new Set(rows.map(key))];
const fmt = (x) => (typeof x === 'number' ? x.toFixed(2) : '—');
console.log(
  '| config | ours (cuda) ms | ours pipelined ms | PyTorch ms | ours / PyTorch | target ≤ 0.5 |',
);
console.log('|---|---|---|---|---|---|');
let missed = 0;
for (const c of configs) {
  const ours = rows.find((r) => key(r) === c && r.impl === 'indrnn-cuda');
  const torch = rows.find((r) => key(r) === c && r.impl === 'pytorch-indrnn');
  const ratio =
    ours?.ms_per_step && torch?.ms_per_step ? ours.ms_per_step / torch.ms_per_step : undefined;
  const verdict = ratio === undefined ? 'no result' : ratio <= 0.5 ? 'met' : 'missed';
  if (verdict !== 'met') missed++;
  console.log(
    `| ${c} | ${fmt(ours?.ms_per_step)} | ${fmt(ours?.ms_pipelined)} | ` +
      `${fmt(torch?.ms_per_step)} | ${fmt(ratio)} | ${verdict} |`,
  );
}
console.log(`\n${configs.length - missed} of ${configs.length} configurations meet the target.`);

// where the GPU time of a step goes (step.mjs --profile), the largest entry points first
for (const c of configs) {
  const p = rows.find((r) => key(r) === c && r.impl === 'indrnn-cuda-profile');
  if (!p) continue;
  const top = p.kernels
    .slice(0, 8)
    .map((k) => `${k.name} ${fmt(k.ms)} ms (${k.calls}×)`)
    .join(', ');
  console.log(`\n${c}: GPU ${fmt(p.gpu_ms_per_step)} ms per step; ${top}`);
}
