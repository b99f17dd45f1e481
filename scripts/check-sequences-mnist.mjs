#!/usr/bin/env node
/**
 * The issue-13 check: MNIST digits as row sequences (T = 28, F = 28) written as JSON Lines from the
 * shipped test set (8,000 train, 1,000 val, 1,000 test), `indrnn train sequences` with its default
 * preset, then `indrnn predict` on the test file. Passes when the test accuracy is at least 90%,
 * training took at most 10 minutes, and predict reproduces the run's test accuracy exactly.
 *
 *   npm run build && node scripts/check-sequences-mnist.mjs [--out DIR] [--backend native]
 *
 * Prints the machine's load (other work on shared cores slows the run) and the figures.
 */
import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'packages', 'cli', 'bin', 'indrnn.js');
const { values } = parseArgs({ options: { out: { type: 'string' }, backend: { type: 'string' } } });
const out = values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-mnist-sequences-'));
const dataDir = path.join(out, 'data');
const runDir = path.join(out, 'run');
if (fs.existsSync(runDir)) throw new Error(`${runDir} exists; pass another --out`);
const backend = values.backend ? ['--backend', values.backend] : [];
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');

const made = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'mnist-sequences.mjs'), '--out', dataDir, '--formats', 'jsonl'], { stdio: 'inherit' });
if (made.status !== 0) process.exit(1);
const files = Object.fromEntries(['train', 'val', 'test'].map((s) => [s, path.join(dataDir, `${s}.jsonl`)]));

console.log(`cores: ${os.cpus().length}; load average before training (1, 5, 15 min): ${load()}`);
const samples = [];
const sampler = setInterval(() => samples.push(os.loadavg()[0]), 10_000);
const t0 = Date.now();
const train = spawn(process.execPath, [CLI, 'train', 'sequences', '--train', files.train, '--val', files.val, '--test', files.test, '--out', runDir, ...backend], { stdio: ['ignore', 'inherit', 'inherit'] });
const code = await new Promise((resolve) => train.on('exit', resolve));
const wall = (Date.now() - t0) / 1000;
clearInterval(sampler);
if (code !== 0) process.exit(1);
const done = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop());
const meanLoad = samples.length ? (samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(2) : 'n/a';

const predictions = path.join(out, 'predictions.jsonl');
const pred = spawnSync(process.execPath, [CLI, 'predict', runDir, '--input', files.test, '--output', predictions, ...backend], { encoding: 'utf8' });
process.stdout.write(pred.stdout);
process.stderr.write(pred.stderr);
if (pred.status !== 0) process.exit(1);
// the accuracy recomputed here from the predictions and the test file's labels
const labels = fs.readFileSync(files.test, 'utf8').trim().split('\n').map((l) => JSON.parse(l).y);
const predicted = fs.readFileSync(predictions, 'utf8').trim().split('\n').map((l) => JSON.parse(l).prediction);
const predictAcc = predicted.filter((p, i) => p === labels[i]).length / labels.length;

const checks = [
  [`test accuracy ${done.test_acc.toFixed(4)} >= 0.90`, done.test_acc >= 0.9],
  [`training wall time ${wall.toFixed(0)} s <= 600 s (run's own clock: ${done.elapsed_s.toFixed(0)} s, ${done.step} steps)`, wall <= 600],
  [`predict accuracy ${predictAcc.toFixed(4)} == the run's test accuracy ${done.test_acc.toFixed(4)}`, predictAcc === done.test_acc],
];
console.log(`\nload average during training: mean ${meanLoad} (1-min, sampled every 10 s), after: ${load()}`);
for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
console.log(`files: ${out}`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
