/**
 * Each experiment builds, trains a few steps and evaluates on small real-format data written by the
 * test (NTU .skeleton files) or on the shipped data sets when present.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Generator, setBackend } from '../src/index.js';
import { getTask, runExperiment, type Settings } from '../src/node.js';
import { randomJoints, SHARED_DATA, skeletonText, skipUnless } from './data.helpers.js';

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

async function train(task: string, overrides: Partial<Settings>): Promise<{ done: Record<string, unknown>; dir: string }> {
  setBackend('reference');
  const def = getTask(task);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `indrnn-${task}-`));
  const settings = { ...def.presets.quick, ...overrides };
  const r = await runExperiment({ definition: def, settings, outDir: dir, stdout: quiet, stderr: quiet, handleSignals: false });
  assert.equal(r.status, 'done');
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return { done: JSON.parse(lines.at(-1)!) as Record<string, unknown>, dir };
}

describe('NTU RGB+D from .skeleton files written by the test', () => {
  it('loads [20, B, 150] batches and trains a few steps with test-time averaging', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-ntu-data-'));
    const gen = new Generator(3);
    // performers 1 and 2 are cross-subject training subjects, 3 is a test subject
    for (const performer of [1, 2, 3]) {
      for (const action of [1, 2, 3]) {
        for (const rep of [1, 2]) {
          const frames = Array.from({ length: 25 + action * 3 }, (_, f) => {
            const bodies = [{ id: '72057594037931101', xyz: randomJoints(gen, action) }];
            if (action === 3 && f % 2 === 0) bodies.push({ id: '72057594037931102', xyz: randomJoints(gen, -action) });
            return bodies;
          });
          const name = `S001C002P${String(performer).padStart(3, '0')}R${String(rep).padStart(3, '0')}A${String(action).padStart(3, '0')}.skeleton`;
          fs.writeFileSync(path.join(dataDir, name), skeletonText(frames));
        }
      }
    }
    const { done, dir } = await train('ntu', { dataDir, steps: 6, batchSize: 4, hidden: 16, layers: 2, evalEvery: 3, testSamples: 3 });
    assert.equal(done['event'], 'done');
    for (const k of ['test_acc', 'test_loss', 'test_acc_avg3']) assert.equal(typeof done[k], 'number', `${k} reported`);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { notes: string[] };
    assert.match(config.notes.join(' '), /cross-subject/);
  });
});

describe('shipped data sets (skipped when ../shared/data is absent, failed under CI=true)', () => {
  const mnistDir = path.join(SHARED_DATA, 'mnist');
  const textDir = path.join(SHARED_DATA, 'tinyshakespeare');
  const ptbDir = path.join(SHARED_DATA, 'ptb');

  it('mnist in test-only mode trains and states it in the run notes', { skip: skipUnless(mnistDir) }, async () => {
    const { done, dir } = await train('mnist', { dataDir: mnistDir, steps: 3, batchSize: 8, hidden: 8, layers: 1, evalEvery: 0, evalSize: 50 });
    assert.equal(typeof done['test_acc'], 'number');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { notes: string[] };
    assert.match(config.notes.join(' '), /TEST-ONLY/);
  });

  it('pmnist saves its permutation with the run', { skip: skipUnless(mnistDir) }, async () => {
    const { dir } = await train('pmnist', { dataDir: mnistDir, steps: 2, batchSize: 8, hidden: 8, layers: 1, evalEvery: 0, evalSize: 20 });
    const perm = JSON.parse(fs.readFileSync(path.join(dir, 'permutation.json'), 'utf8')) as number[];
    assert.equal(perm.length, 784);
    assert.deepEqual([...perm].sort((a, b) => a - b), Array.from({ length: 784 }, (_, i) => i));
  });

  it('char-lm on Tiny Shakespeare reports bits per character', { skip: skipUnless(textDir) }, async () => {
    const { done } = await train('char-lm', { dataDir: textDir, steps: 3, batchSize: 4, hidden: 16, layers: 1, embedSize: 8, seqLen: 10, evalEvery: 0, evalSize: 500 });
    assert.ok((done['test_bpc'] as number) > 0 && (done['test_bpc'] as number) < 10);
  });

  it('word-lm on the PTB fallback reports perplexity', { skip: skipUnless(ptbDir) }, async () => {
    const { done } = await train('word-lm', { dataDir: ptbDir, steps: 2, batchSize: 4, hidden: 16, embedSize: 16, layers: 1, seqLen: 8, evalEvery: 0, evalSize: 300 });
    assert.ok((done['test_ppl'] as number) > 1);
  });
});
