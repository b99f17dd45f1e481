/**
 * `indrnn train sequences` and `indrnn predict` as a user runs them: a tiny run on JSON Lines, its
 * predictions as JSON lines and CSV (with the metric), the stream against the file predictions,
 * report/analyze/eval/summary on the run, and bad input failing with the file and line named and
 * nothing left half-written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel } from 'indrnn';
import { saveModel } from 'indrnn/node';
import { CLI, runCli } from './helpers.js';

/** Noisy waves of 2 features, 4..9 steps; 'up' or 'down' by the slope of the first feature. */
function waves(n: number, seed: number): { x: number[][]; y: string; id: string }[] {
  let state = seed;
  const rand = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => {
    const up = i % 2 === 0;
    const len = 4 + Math.floor(rand() * 6);
    const x = Array.from({ length: len }, (_, t) => [Math.round(((up ? t : -t) * 0.3 + rand()) * 1e3) / 1e3, Math.round(rand() * 1e3) / 1e3]);
    return { x, y: up ? 'up' : 'down', id: `w${i}` };
  });
}

const jsonl = (rows: { x: number[][]; y?: string }[]): string => rows.map(({ x, y }) => JSON.stringify(y === undefined ? { x } : { x, y }) + '\n').join('');
const csv = (rows: { x: number[][]; y: string; id: string }[]): string =>
  ['id,a,b,label', ...rows.flatMap((r) => r.x.map((step) => [r.id, ...step, r.y].join(',')))].join('\n') + '\n';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-cli-seq-'));
const file = (name: string, text: string): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
const train = file('train.jsonl', jsonl(waves(40, 1)));
const val = file('val.jsonl', jsonl(waves(10, 2)));
const testRows = waves(10, 3);
const test = file('test.jsonl', jsonl(testRows));
const run = path.join(tmp, 'run');
const TINY = ['--hidden', '8', '--batch-size', '8', '--steps', '6', '--eval-every', '3', '--backend', 'reference'];

type Line = { index: number; id?: string; step?: number; prediction: string; probabilities: Record<string, number> };
const parseLines = (text: string): Line[] => text.trim().split('\n').map((l) => JSON.parse(l) as Line);

function predictStream(lines: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'predict', run, '--stream', '--backend', 'reference'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('indrnn train sequences / predict', () => {
  it('trains on JSON Lines and ends with test_acc', () => {
    const r = runCli(['train', 'sequences', '--train', train, '--val', val, '--test', test, '--out', run, ...TINY, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const done = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(done['event'], 'done');
    assert.equal(typeof done['test_acc'], 'number');
    assert.ok(fs.existsSync(path.join(run, 'model', 'sequences.json')));
  });

  it('predict writes a JSON line per sequence in input order and prints the accuracy', () => {
    const r = runCli(['predict', run, '--input', test, '--backend', 'reference']);
    assert.equal(r.code, 0, r.stderr);
    const lines = parseLines(r.stdout);
    assert.deepEqual(lines.map((l) => l.index), testRows.map((_, i) => i));
    for (const l of lines) assert.deepEqual(Object.keys(l.probabilities).sort(), ['down', 'up']);
    const correct = lines.filter((l, i) => l.prediction === testRows[i]!.y).length;
    assert.match(r.stderr, new RegExp(`^accuracy ${(correct / 10).toFixed(4)} \\(${correct} of 10 labelled sequences\\)$`, 'm'));
    // the run's own test accuracy, on the same file
    const done = JSON.parse(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!) as { test_acc: number };
    assert.equal(correct / 10, done.test_acc);
  });

  it('predict reads long-form CSV from a model directory and writes CSV with --top-k and --output', () => {
    const out = path.join(tmp, 'pred.csv');
    const r = runCli(['predict', path.join(run, 'model'), '--input', file('test.csv', csv(testRows)), '--format', 'csv', '--top-k', '1', '--output', out, '--backend', 'reference']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pred\.csv: 10 predictions\naccuracy \d\.\d{4}/);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'index,id,prediction,class_1,p_1');
    assert.equal(rows.length, 11);
    const fromJsonl = parseLines(runCli(['predict', run, '--input', test, '--backend', 'reference']).stdout);
    rows.slice(1).forEach((row, i) => {
      const [index, id, prediction, top] = row.split(',');
      assert.deepEqual([index, id, prediction, top], [String(i), `w${i}`, fromJsonl[i]!.prediction, fromJsonl[i]!.prediction]);
    });
  });

  it('--stream predicts after every step; the last step of each sequence matches the file prediction', () => {
    const fromFile = parseLines(runCli(['predict', run, '--input', test, '--backend', 'reference']).stdout);
    const input: string[] = [];
    const longest = Math.max(...testRows.map((r) => r.x.length));
    for (let t = 0; t < longest; t++) testRows.forEach((r) => t < r.x.length && input.push(JSON.stringify({ id: r.id, x: r.x[t] })));
    testRows.forEach((r) => input.push(JSON.stringify({ id: r.id, end: true })));
    input.push(JSON.stringify({ id: 'w0', x: testRows[0]!.x[0] })); // after end, w0 starts over
    const r = predictStream(input);
    assert.equal(r.code, 0, r.stderr);
    const out = parseLines(r.stdout);
    assert.equal(out.length, testRows.reduce((n, row) => n + row.x.length, 0) + 1);
    testRows.forEach((row, i) => {
      const last = out.filter((l) => l.id === row.id && l.step === row.x.length - 1)[0]!;
      assert.equal(last.prediction, fromFile[i]!.prediction, row.id);
      for (const c of ['up', 'down']) assert.ok(Math.abs(last.probabilities[c]! - fromFile[i]!.probabilities[c]!) < 1e-5, `${row.id} p(${c})`);
    });
    assert.deepEqual(out.at(-1)!.step, 0);
    assert.deepEqual(out.at(-1)!.probabilities, out.find((l) => l.id === 'w0' && l.step === 0)!.probabilities);
  });

  it('report, analyze, eval and summary work on sequences runs', () => {
    let r = runCli(['report', run]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(run, 'report.md')));
    r = runCli(['analyze', run, '--no-ablation']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(run, 'analysis.md')));
    r = runCli(['eval', run, '--json', '--backend', 'reference']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(typeof (JSON.parse(r.stdout) as { test_acc: unknown }).test_acc, 'number');
    r = runCli(['summary', 'sequences', '--train', train, '--hidden', '8']);
    assert.equal(r.code, 0, r.stderr);
    // 2 layers of 8: (2·8 + 8 + 8) + (8·8 + 8 + 8) + BN 2·(2·8) + head 8·2 + 2
    assert.match(r.stdout, /total parameters: 162\n/);
  });

  it('--per-step: a label per step in training, a prediction per step from predict', () => {
    // each step labelled by whether the first feature rose into it
    const stepRows = (rows: ReturnType<typeof waves>) => rows.map(({ x, id }) => ({ x, id, y: x.map((r, t) => (t > 0 && r[0]! > x[t - 1]![0]! ? 'rise' : 'fall')) }));
    const trainSteps = file('steps-train.jsonl', stepRows(waves(30, 5)).map(({ x, y }) => JSON.stringify({ x, y }) + '\n').join(''));
    const testSteps = stepRows(waves(6, 6));
    const testFile = file('steps-test.csv', ['id,a,b,label', ...testSteps.flatMap((r) => r.x.map((step, t) => [r.id, ...step, r.y[t]].join(',')))].join('\n') + '\n');
    const dir = path.join(tmp, 'per-step');
    let r = runCli(['train', 'sequences', '--per-step', '--train', trainSteps, '--test', testFile, '--out', dir, ...TINY, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(typeof (JSON.parse(r.stdout.trim().split('\n').pop()!) as { test_acc: unknown }).test_acc, 'number');
    r = runCli(['predict', dir, '--input', testFile, '--format', 'csv', '--backend', 'reference']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    const steps = testSteps.reduce((n, row) => n + row.x.length, 0);
    assert.equal(rows[0], 'index,id,step,prediction,p_fall,p_rise');
    assert.equal(rows.length, 1 + steps);
    assert.match(r.stderr, new RegExp(`^accuracy \\d\\.\\d{4} \\(\\d+ of ${steps} labelled steps\\)$`, 'm'));
  });

  it('--resume continues a sequences run without the data flags', () => {
    const dir = path.join(tmp, 'resumed');
    let r = runCli(['train', 'sequences', '--train', train, '--out', dir, ...TINY, '--checkpoint-every', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    r = runCli(['train', 'sequences', '--out', dir, '--resume', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"event":"done"/);
  });
});

describe('indrnn train sequences / predict: bad input', () => {
  it('a bad training file names the file and line, and no run directory is left behind', () => {
    const bad = file('bad.jsonl', jsonl(waves(3, 4)) + '{"x": [[1, 2], [3]], "y": "up"}\n');
    const out = path.join(tmp, 'never');
    const r = runCli(['train', 'sequences', '--train', bad, '--out', out, ...TINY]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.jsonl: line 4: step 1 has 1 feature, step 0 has 2 \(ragged rows\)/);
    assert.equal(fs.existsSync(out), false);
    const mixed = file('mixed.jsonl', '{"x": [[1, 2]], "y": "up"}\n{"x": [[1, 2]], "y": 3}\n');
    assert.match(runCli(['train', 'sequences', '--train', mixed, ...TINY]).stderr, /mixed\.jsonl: line 2: "y" is a number \(3\), but line 1's is a string; labels of mixed type/);
    const empty = file('empty.csv', '');
    assert.match(runCli(['train', 'sequences', '--train', empty, ...TINY]).stderr, /empty\.csv: no rows \(the file is empty\)/);
    assert.match(runCli(['train', 'sequences', ...TINY]).stderr, /pass the training data with --train FILE/);
    assert.match(runCli(['train', 'adding', '--train', train]).stderr, /--train is for the sequences task, not 'adding'/);
    assert.match(runCli(['train', 'sequences', '--train', train, '--test', file('three.jsonl', '{"x": [[1, 2, 3]], "y": "up"}\n'), ...TINY]).stderr, /three\.jsonl: 3 features a step, but the training data \(.*train\.jsonl\) reads 2/);
    assert.match(runCli(['train', 'sequences', '--train', train, '--test', file('zebra.jsonl', '{"x": [[1, 2]], "y": "zebra"}\n'), ...TINY]).stderr, /zebra\.jsonl: line 1: label "zebra" is not one of the 2 classes of the training data \("down", "up"\)/);
  });

  it('predict: a feature count that differs from the model\'s is an error, and no output file is written', () => {
    const out = path.join(tmp, 'never.jsonl');
    const r = runCli(['predict', run, '--input', file('wide.jsonl', '{"x": [[1, 2, 3]]}\n'), '--output', out, '--backend', 'reference']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /wide\.jsonl: 3 features a step, but the model \(.*model\) reads 2/);
    assert.equal(fs.existsSync(out), false);
    assert.match(runCli(['predict', path.join(tmp, 'nothing'), '--input', test]).stderr, /nothing: no such run or model directory/);
    assert.match(runCli(['predict', run]).stderr, /pass --input FILE \(or --stream/);
    // a model of another task has no sequences.json to read files with
    const other = path.join(tmp, 'other-model');
    saveModel(other, buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 1 } }));
    assert.match(runCli(['predict', other, '--input', test]).stderr, /other-model: no sequences\.json, so this model was not trained by `indrnn train sequences`/);
  });

  it('--stream: a bad line is an error naming it', () => {
    const r = predictStream(['{"id": "a", "x": [1, 2]}', '{"id": "a", "x": [1, "x"]}']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stdin line 2: x\[1\] is "x", not a finite number/);
    assert.match(predictStream(['{"x": [1, 2]}']).stderr, /stdin line 1: "id" must be a string or a number/);
    assert.match(predictStream(['{"id": 1, "x": [1, 2, 3]}']).stderr, /stdin line 1: 3 features, but the model reads 2 a step/);
  });
});
