/**
 * The length curriculum (experiments/curriculum.ts): parsing, the length at each step, the adding
 * task training at those lengths while it validates at the full one, the quick preset at T = 5000,
 * and the refusals (other tasks, a changed curriculum on --resume).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed, setBackend, type Tensor } from '../src/index.js';
import { applyResumeChanges, getTask, parseCurriculum, presetSettings, runExperiment, trainingLength, describeCurriculum } from '../src/node.js';

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

describe('length curriculum', () => {
  it('parses LEN:STEPS stages and rejects malformed ones with the accepted form', () => {
    assert.deepEqual(parseCurriculum('1000:4000, 2000:1000'), [{ lengths: [1000], steps: 4000 }, { lengths: [2000], steps: 1000 }]);
    assert.deepEqual(parseCurriculum('400/600:5000'), [{ lengths: [400, 600], steps: 5000 }]);
    assert.deepEqual(parseCurriculum('none'), []);
    for (const bad of ['1000', '1000:0', '1:5', '400/1:5', 'a:b', '1000:4000,', '/600:5']) {
      assert.throws(() => parseCurriculum(bad), /curriculum: .*(LEN:STEPS|>= 1|>= 2)/, bad);
    }
  });

  it('gives each step its stage length, then the full length; lengths not shorter than T are dropped', () => {
    const mixed = parseCurriculum('400/600:4,3000:1');
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((s) => trainingLength(mixed, 5000, s)), [400, 600, 400, 600, 3000, 5000]);
    assert.deepEqual([1, 2, 3, 4, 5].map((s) => trainingLength(mixed, 500, s)), [400, 400, 400, 400, 500]);
    assert.equal(describeCurriculum(mixed, 5000), 'T=400/600 (alternating) for 4 steps, then T=3000 for 1 steps, then T=5000');
    const stages = parseCurriculum('1000:3,2000:2');
    assert.deepEqual([1, 2, 3, 4, 5, 6, 100].map((s) => trainingLength(stages, 5000, s)), [1000, 1000, 1000, 2000, 2000, 5000, 5000]);
    assert.deepEqual([1, 3, 4, 5, 6].map((s) => trainingLength(stages, 2000, s)), [1000, 1000, 2000, 2000, 2000]);
    assert.deepEqual([1, 4].map((s) => trainingLength(stages, 1000, s)), [1000, 1000]);
    assert.equal(describeCurriculum(stages, 5000), 'T=1000 for 3 steps, then T=2000 for 2 steps, then T=5000');
    assert.equal(describeCurriculum(stages, 1000), null);
  });

  it('the adding task trains at the curriculum lengths and validates at the full length', () => {
    setBackend('reference');
    manualSeed(1);
    const def = getTask('adding');
    const task = def.create({ ...def.presets.quick, seqLen: 40, hidden: 8, evalSize: 3, curriculum: parseCurriculum('10/12:2,20:1') });
    const lengths: number[] = [];
    const forward = task.model.forward.bind(task.model);
    (task.model as unknown as { forward: (x: Tensor) => unknown }).forward = (x: Tensor) => {
      lengths.push(x.shape[0]!);
      return forward(x);
    };
    for (let step = 1; step <= 4; step++) task.trainLoss(step);
    assert.deepEqual(lengths, [10, 12, 20, 40]);
    lengths.length = 0;
    task.evaluate('val');
    assert.deepEqual(lengths, [40]);
    assert.ok(task.notes.some((n) => n.includes('T=10/12 (alternating) for 2 steps, then T=20 for 1 steps, then T=40')), task.notes.join('; '));
  });

  it('the quick preset uses it beyond T = 1000 only; the paper preset never', () => {
    const def = getTask('adding');
    const at5000 = presetSettings(def, 'quick', undefined, 5000);
    assert.deepEqual(at5000.curriculum, [{ lengths: [400, 600], steps: 5000 }]);
    assert.equal(at5000.timeLimit, 45);
    assert.equal(presetSettings(def, 'quick', 'lstm', 5000).timeLimit, 45, 'the LSTM baseline gets the same schedule');
    assert.deepEqual(presetSettings(def, 'quick', undefined, 1000).curriculum, []);
    assert.equal(presetSettings(def, 'quick', undefined, 1000).timeLimit, 12);
    assert.deepEqual(presetSettings(def, 'paper', undefined, 5000).curriculum, []);
  });

  it('is refused for tasks that read their sequences from data, before anything is written', async () => {
    setBackend('reference');
    const def = getTask('mnist');
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-curriculum-')), 'run');
    await assert.rejects(
      runExperiment({ definition: def, settings: { ...def.presets.quick, curriculum: parseCurriculum('100:5') }, outDir: dir, stdout: quiet, stderr: quiet, handleSignals: false }),
      /--curriculum: task 'mnist'.*\(the adding task\) only/,
    );
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== '.lock') : [], []);
  });

  it('--resume refuses a changed curriculum, naming old and new', () => {
    const run = { ...getTask('adding').presets.quick, seqLen: 5000, curriculum: parseCurriculum('1000:4000') };
    assert.throws(() => applyResumeChanges(run, { curriculum: parseCurriculum('400/500:100') }), /--curriculum: the run has 1000:4000, given 400\/500:100/);
    assert.throws(() => applyResumeChanges({ ...run, curriculum: [] }, { curriculum: parseCurriculum('500:100') }), /--curriculum: the run has none, given 500:100/);
  });
});
