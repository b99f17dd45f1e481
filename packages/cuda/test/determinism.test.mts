/**
 * Bit-for-bit determinism of the cuda backend: the same seeded training of every model case of
 * indrnn/testing, run twice, gives the same losses and parameters to the last bit. The kernels use
 * no atomics (reductions split work by fixed chunks; the embedding gradient's row scatter sums
 * each row's positions in a fixed order from a host plan, layout.ts scatterPlan), so their results
 * do not depend on the order threads run in. On the CPU emulator (how npm test runs this file) the
 * second check changes exactly that: INDRNN_EMU_SEED runs the threads of every block in another
 * order. On a GPU it runs two fresh processes. cuBLAS is deterministic for one GPU model and
 * library version (its documentation); across GPU models or versions the bits may differ.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { assertSameRun, LANGUAGE_MODEL_CASES, MODEL_CHECK_CASES, seededTraining } from 'indrnn/testing';
import { seededTrainingInFreshProcess } from 'indrnn/testing/node';
import { gpuFile } from './helpers.mjs';

const gpuDescribe = gpuFile('determinism.test');
const here = path.dirname(fileURLToPath(import.meta.url));

gpuDescribe('cuda determinism', () => {
  it('every model case trains to the same bits twice in one process', () => {
    for (const c of MODEL_CHECK_CASES) assertSameRun(seededTraining('cuda', c), seededTraining('cuda', c), c.name);
  });

  it('two fresh processes (on the emulator: two thread orders) train to the same bits, embedding gradients included', () => {
    // the language models (repeated token ids: their rows are summed by the scatter), plain and dense IndRNN
    const cases = [...LANGUAGE_MODEL_CASES.map((c) => c.name), MODEL_CHECK_CASES[0]!.name, MODEL_CHECK_CASES[4]!.name];
    const first = seededTrainingInFreshProcess('cuda', { cwd: here, cases, env: { INDRNN_EMU_SEED: '1' } });
    const second = seededTrainingInFreshProcess('cuda', { cwd: here, cases, env: { INDRNN_EMU_SEED: '2' } });
    for (const name of cases) assertSameRun(second.get(name)!, first.get(name)!, name);
  });
});
