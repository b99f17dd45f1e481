#!/usr/bin/env node
// The figures of bench/gpu/reproduce.sh, read from its run directories (plain `indrnn train` runs):
//   --progress NAME DIR         one progress line: newest step of planned, loss, newest validation metric
//   --run NAME DIR DEVICE       one JSON line per run: steps, the first step where val_mse < 0.01,
//                               the test metrics of the done line, epochs, time, why it stopped
//   --lm FILE DEVICE            one JSON line from the LM-sized step timings (ours and PyTorch's)
//   --table SUMMARY             the Markdown table of those lines (bench/gpu/results/ keeps it)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [mode, ...args] = process.argv.slice(2);

function jsonLines(file) {
  if (!existsSync(file)) return [];
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object') out.push(v);
    } catch {
      // a line cut by a kill, or progress text
    }
  }
  return out;
}

const configOf = (dir) => {
  const file = join(dir, 'config.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
const valKey = (rec) => Object.keys(rec).find((k) => k.startsWith('val_'));
const fmt = (v) => (typeof v !== 'number' ? '—' : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

function progress(name, dir) {
  const recs = jsonLines(join(dir, 'metrics.jsonl'));
  const planned = configOf(dir)?.steps ?? '?';
  const train = recs.filter((r) => typeof r.loss === 'number');
  const vals = recs.filter((r) => valKey(r));
  if (train.length === 0) return `  [${name}] starting`;
  const last = train[train.length - 1];
  const v = vals[vals.length - 1];
  const epoch = last.epoch !== undefined ? `, epoch ${last.epoch}` : '';
  return `  [${name}] step ${last.step}/${planned}${epoch}, loss ${fmt(last.loss)}${v ? `, ${valKey(v)} ${fmt(v[valKey(v)])} (step ${v.step})` : ''}`;
}

function runSummary(name, dir, device) {
  const recs = jsonLines(join(dir, 'metrics.jsonl'));
  const config = configOf(dir);
  const done = recs.find((r) => r.event === 'done');
  const train = recs.filter((r) => typeof r.loss === 'number');
  const below = recs.find((r) => typeof r.val_mse === 'number' && r.val_mse < 0.01);
  const lastTrain = train[train.length - 1];
  const test = done ? Object.fromEntries(Object.entries(done).filter(([k]) => k.startsWith('test_'))) : {};
  return {
    kind: 'run', name, device, task: config?.settings?.task, preset: config?.settings?.preset,
    seq_len: config?.settings?.seqLen, steps_planned: config?.steps ?? null, steps_done: lastTrain?.step ?? 0,
    ...(below ? { first_step_val_mse_below_0_01: below.step } : config?.settings?.task === 'adding' ? { first_step_val_mse_below_0_01: null } : {}),
    ...test,
    ...(lastTrain?.epoch !== undefined ? { epochs: lastTrain.epoch } : {}),
    elapsed_s: done?.elapsed_s ?? null,
    stopped: done ? (done.stopped ?? 'finished') : 'no done line',
  };
}

function lmSummary(file, device) {
  const recs = jsonLines(file);
  const ours = (bn) => recs.find((r) => r.impl === 'indrnn-cuda' && r.bn === bn && typeof r.ms_per_step === 'number');
  const torch = recs.find((r) => r.impl !== 'indrnn-cuda' && typeof r.ms_per_step === 'number');
  const frame = ours('frame');
  const seq = ours('sequence');
  const ratio = (a) => (a && torch ? Math.round((a.ms_per_step / torch.ms_per_step) * 1000) / 1000 : null);
  return {
    kind: 'lm', name: 'lm-6x2000', device,
    ours_frame_bn_ms: frame?.ms_per_step ?? null, ours_sequence_bn_ms: seq?.ms_per_step ?? null,
    pytorch_sequence_bn_ms: torch?.ms_per_step ?? null,
    ratio_frame_vs_pytorch: ratio(frame), ratio_sequence_vs_pytorch: ratio(seq),
  };
}

function table(file) {
  const recs = jsonLines(file);
  const lines = [];
  const runs = recs.filter((r) => r.kind === 'run');
  if (runs.length) {
    lines.push('| run | device | steps done / planned | first step val MSE < 0.01 | test | epochs | time s | stopped |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const r of runs) {
      const test = Object.entries(r).filter(([k]) => k.startsWith('test_')).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || '—';
      const first = 'first_step_val_mse_below_0_01' in r ? (r.first_step_val_mse_below_0_01 ?? 'never') : '—';
      lines.push(`| ${r.name} | ${r.device} | ${r.steps_done} / ${r.steps_planned} | ${first} | ${test} | ${r.epochs ?? '—'} | ${r.elapsed_s === null ? '—' : Math.round(r.elapsed_s)} | ${r.stopped} |`);
    }
  }
  for (const r of recs.filter((x) => x.kind === 'lm')) {
    lines.push('', '| LM-sized step, 6x2000 T=50 B=128 input 600 | device | ms per step | ours / PyTorch |', '|---|---|---|---|');
    lines.push(`| ours, frame-wise BN | ${r.device} | ${fmt(r.ours_frame_bn_ms)} | ${r.ratio_frame_vs_pytorch ?? '—'} |`);
    lines.push(`| ours, sequence-wise BN | ${r.device} | ${fmt(r.ours_sequence_bn_ms)} | ${r.ratio_sequence_vs_pytorch ?? '—'} |`);
    lines.push(`| PyTorch (fused kernel), sequence-wise BN | ${r.device} | ${fmt(r.pytorch_sequence_bn_ms)} | 1 |`);
  }
  return lines.join('\n');
}

if (mode === '--progress') console.log(progress(args[0], args[1]));
else if (mode === '--run') console.log(JSON.stringify(runSummary(args[0], args[1], args[2] ?? 'unknown')));
else if (mode === '--lm') console.log(JSON.stringify(lmSummary(args[0], args[1] ?? 'unknown')));
else if (mode === '--table') console.log(table(args[0]));
else {
  console.error('usage: repro-summary.mjs --progress NAME DIR | --run NAME DIR DEVICE | --lm FILE DEVICE | --table SUMMARY');
  process.exit(2);
}
