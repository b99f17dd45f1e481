/**
 * The sequences task end to end on small files written by the test: classification with class names
 * and regression, the held-out validation split, every model family, exact resume, and the same
 * model from JSON Lines, .npy and long-form CSV copies of the same data.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { data, setBackend } from '../src/index.js';
import { DEFAULT_SEQUENCE_SETTINGS, MODEL_FAMILIES, getTask, readDataFile, runExperiment, type SequenceSettings, type Settings } from '../src/node.js';
import { SHARED_DATA, skipUnless } from './data.helpers.js';
import { toCsv, toJsonl, toNpy, waves, type Sequences } from './sequences.helpers.js';

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `indrnn-seq-${name}-`));
}

/** Writes train/val/test files of `sets` in one format; returns the sequences settings that read them. */
function writeSplits(dir: string, format: 'jsonl' | 'npy' | 'csv', sets: Record<'train' | 'val' | 'test', Sequences>, perStep = false): SequenceSettings {
  const files: Record<string, string> = {};
  for (const [split, s] of Object.entries(sets)) {
    if (format === 'jsonl') fs.writeFileSync((files[split] = path.join(dir, `${split}.jsonl`)), toJsonl(s));
    else if (format === 'csv') fs.writeFileSync((files[split] = path.join(dir, `${split}.csv`)), toCsv(s, { perStep }));
    else {
      const b = toNpy(s);
      fs.writeFileSync((files[split] = path.join(dir, `${split}_x.npy`)), b.x);
      fs.writeFileSync(path.join(dir, `${split}_y.npy`), b.y);
      fs.writeFileSync(path.join(dir, `${split}_len.npy`), b.lengths);
    }
  }
  return { ...DEFAULT_SEQUENCE_SETTINGS, train: files['train']!, val: files['val']!, test: files['test']!, perStep };
}

const TINY: Partial<Settings> = { hidden: 8, layers: 2, batchSize: 8, epochs: null, steps: 6, evalEvery: 3, checkpointEvery: 0 };

async function train(sequences: SequenceSettings, overrides: Partial<Settings> = {}, opts: { outDir?: string; maxStepsThisRun?: number; resume?: boolean } = {}) {
  setBackend('reference');
  const def = getTask('sequences');
  const outDir = opts.outDir ?? tmp('run');
  const settings: Settings = { ...def.presets.quick, ...TINY, ...overrides, sequences };
  const r = await runExperiment({ definition: def, settings, outDir, stdout: quiet, stderr: quiet, handleSignals: false, ...opts });
  const lines = fs.readFileSync(path.join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const config = JSON.parse(fs.readFileSync(path.join(outDir, 'config.json'), 'utf8')) as { notes: string[]; model: { encoder: { uBound?: number; seqLen?: number; lastLayerInit?: boolean } } };
  return { r, outDir, lines, done: lines.at(-1)!, config };
}

function weightsOf(dir: string): Buffer {
  return fs.readFileSync(path.join(dir, 'model', 'model.safetensors'));
}

const dropTimes = (lines: Record<string, unknown>[]): Record<string, unknown>[] => lines.map(({ elapsed_s: _e, ...rest }) => rest);

describe('indrnn train sequences', () => {
  const dir = tmp('data');
  const named = writeSplits(fs.mkdtempSync(path.join(dir, 'n')), 'jsonl', { train: waves(48, 1), val: waves(16, 2), test: waves(16, 3) });

  it('classifies string labels: test_acc in the done line, class names and standardisation saved with the model', async () => {
    const { done, outDir, config } = await train(named);
    assert.equal(done['event'], 'done');
    assert.equal(typeof done['test_acc'], 'number');
    assert.equal(typeof done['test_loss'], 'number');
    const spec = data.parseSequenceSpec(fs.readFileSync(path.join(outDir, 'model', 'sequences.json'), 'utf8'), 'spec');
    assert.deepEqual(spec.target, { kind: 'classify', numClasses: 2, classNames: ['fast', 'slow'] });
    assert.equal(spec.features, 2);
    assert.equal(spec.longestTraining, Math.max(...waves(48, 1).x.map((x) => x.length)));
    // the second feature is about 3 ± 0.1: its mean and std come from the training steps
    assert.ok(Math.abs(spec.standardization!.mean[1]! - 3) < 0.05 && spec.standardization!.std[1]! < 0.2);
    const notes = config.notes.join('\n');
    assert.match(notes, /train: train\.jsonl, 48 sequences of 5\.\.12 steps, 2 features a step/);
    assert.match(notes, /classification, 2 classes \(fast, slow\), inferred from string labels/);
    assert.match(notes, /\|u\| bound from the longest training sequence: \|u\| <= 2\^\(1\/12\)/);
    // |u| <= 2^(1/T) with T the longest training sequence
    assert.equal(config.model.encoder.seqLen, 12);
  });

  it('regresses numbers: test_mse in the done line; --no-standardize keeps the raw features', async () => {
    const reg = writeSplits(fs.mkdtempSync(path.join(dir, 'r')), 'jsonl', { train: waves(40, 4, { labels: 'regress' }), val: waves(8, 5, { labels: 'regress' }), test: waves(8, 6, { labels: 'regress' }) });
    const { done, outDir, config } = await train({ ...reg, standardize: false });
    assert.equal(typeof done['test_mse'], 'number');
    assert.equal(done['test_acc'], undefined);
    assert.match(config.notes.join('\n'), /regression, 1 target a sequence, inferred from non-integer labels/);
    const spec = JSON.parse(fs.readFileSync(path.join(outDir, 'model', 'sequences.json'), 'utf8')) as { standardization: unknown };
    assert.equal(spec.standardization, null);
  });

  it('without --val holds out a seeded 10%, without --test reports no test metric, and says both', async () => {
    const { done, config, lines } = await train({ ...named, val: null, test: null });
    const notes = config.notes.join('\n');
    assert.match(notes, /no --val file, so a seeded 10% of the training file is held out \(5 sequences; 43 sequences left to train on\)/);
    assert.match(notes, /no --test file, so the run reports no test metric/);
    assert.equal(done['event'], 'done');
    assert.equal(Object.keys(done).filter((k) => k.startsWith('test_')).length, 0);
    assert.ok(lines.some((l) => typeof l['val_acc'] === 'number'));
  });

  it('one label per step (--per-step): the model predicts every step, and the metrics count every step', async () => {
    const steps = writeSplits(fs.mkdtempSync(path.join(dir, 's')), 'jsonl', { train: waves(64, 41, { labels: 'steps' }), val: waves(16, 42, { labels: 'steps' }), test: waves(16, 43, { labels: 'steps' }) }, true);
    const { done, outDir, config } = await train(steps, { hidden: 16, steps: 60, evalEvery: 20, lr: 1e-2 });
    // rising or falling is read from two consecutive steps: learnt in a few dozen steps
    assert.ok((done['test_acc'] as number) > 0.8, `test_acc ${String(done['test_acc'])}`);
    const spec = data.parseSequenceSpec(fs.readFileSync(path.join(outDir, 'model', 'sequences.json'), 'utf8'), 'spec');
    assert.equal(spec.perStep, true);
    assert.deepEqual(spec.target, { kind: 'classify', numClasses: 2, classNames: ['down', 'up'] });
    assert.equal(config.model.encoder.lastLayerInit, false);
    assert.match(config.notes.join('\n'), /one label per step \(--per-step\)/);
    const reg = writeSplits(fs.mkdtempSync(path.join(dir, 't')), 'jsonl', { train: waves(24, 44, { labels: 'steps-numeric' }), val: waves(8, 45, { labels: 'steps-numeric' }), test: waves(8, 46, { labels: 'steps-numeric' }) }, true);
    const r = await train({ ...reg, target: 'regress' }, { steps: 4, evalEvery: 2 });
    assert.equal(typeof r.done['test_mse'], 'number');
  });

  it('every model family trains (and --bn frame, dropout, --u-bound)', async () => {
    for (const model of MODEL_FAMILIES) {
      const { done } = await train(named, { model, hidden: 4, layers: 1, blocks: 1, growth: 2, blockConfig: [1], convChannels: [2], steps: 2, evalEvery: 2, bn: model.endsWith('indrnn') ? 'frame' : 'none', dropout: 0.1 });
      assert.equal(typeof done['test_acc'], 'number', model);
    }
    const { config } = await train(named, { uBound: 0.9, steps: 1, evalEvery: 1 });
    assert.equal(config.model.encoder.uBound, 0.9);
  });

  it('an interrupted run resumed from its checkpoint repeats the uninterrupted run exactly', async () => {
    const overrides: Partial<Settings> = { steps: 8, evalEvery: 2, checkpointEvery: 2, dropout: 0.2, bn: 'sequence' };
    const whole = await train(named, overrides);
    const outDir = tmp('resume');
    const first = await train(named, overrides, { outDir, maxStepsThisRun: 5 });
    assert.equal(first.r.status, 'interrupted');
    const resumed = await train(named, overrides, { outDir, resume: true });
    assert.deepEqual(dropTimes(resumed.lines), dropTimes(whole.lines));
    assert.deepEqual(weightsOf(outDir), weightsOf(whole.outDir));
  });
});

describe('the same data as JSON Lines, .npy and long-form CSV gives the same model', () => {
  const overrides: Partial<Settings> = { steps: 6, evalEvery: 3, bn: 'sequence', dropout: 0.1 };

  async function trainEachFormat(sets: Record<'train' | 'val' | 'test', Sequences>): Promise<Awaited<ReturnType<typeof train>>[]> {
    const runs = [];
    for (const format of ['jsonl', 'npy', 'csv'] as const) runs.push(await train(writeSplits(tmp(format), format, sets), overrides));
    return runs;
  }

  it('variable-length waves', async () => {
    const [jsonl, npy, csv] = await trainEachFormat({ train: waves(40, 7, { labels: 'numeric' }), val: waves(8, 8, { labels: 'numeric' }), test: waves(8, 9, { labels: 'numeric' }) });
    for (const other of [npy!, csv!]) {
      assert.deepEqual(dropTimes(other.lines), dropTimes(jsonl!.lines));
      assert.ok(weightsOf(other.outDir).equals(weightsOf(jsonl!.outDir)), 'bit-identical weights');
    }
  });

  it('one label per step', async () => {
    const sets = { train: waves(32, 51, { labels: 'steps-numeric' }), val: waves(8, 52, { labels: 'steps-numeric' }), test: waves(8, 53, { labels: 'steps-numeric' }) };
    const runs = [];
    for (const format of ['jsonl', 'npy', 'csv'] as const) runs.push(await train(writeSplits(tmp(format), format, sets, true), overrides));
    const [jsonl, npy, csv] = runs;
    assert.equal(typeof jsonl!.done['test_acc'], 'number');
    for (const other of [npy!, csv!]) {
      assert.deepEqual(dropTimes(other.lines), dropTimes(jsonl!.lines));
      assert.ok(weightsOf(other.outDir).equals(weightsOf(jsonl!.outDir)), 'bit-identical weights');
    }
  });

  const mnist = path.join(SHARED_DATA, 'mnist');
  it('MNIST digits as 28 rows of 28 pixels (a subset of the shipped test set)', { skip: skipUnless(mnist) }, async () => {
    const images = data.parseIdxImages(readDataFile(path.join(mnist, 't10k-images-idx3-ubyte.gz')), 'images');
    const labels = data.parseIdxLabels(readDataFile(path.join(mnist, 't10k-labels-idx1-ubyte.gz')), 'labels');
    const digits = (from: number, n: number): Sequences => ({
      x: Array.from({ length: n }, (_, i) => Array.from({ length: 28 }, (_, r) => Array.from(images.pixels.subarray((from + i) * 784 + r * 28, (from + i) * 784 + (r + 1) * 28)))),
      y: Array.from(labels.subarray(from, from + n)),
    });
    const [jsonl, npy, csv] = await trainEachFormat({ train: digits(0, 48), val: digits(48, 16), test: digits(64, 16) });
    assert.match(jsonl!.config.notes.join('\n'), /48 sequences of 28 steps, 28 features a step/);
    for (const other of [npy!, csv!]) {
      assert.deepEqual(dropTimes(other.lines), dropTimes(jsonl!.lines));
      assert.ok(weightsOf(other.outDir).equals(weightsOf(jsonl!.outDir)), 'bit-identical weights');
    }
  });
});
