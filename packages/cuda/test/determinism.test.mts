/**
 * Bit-for-bit determinism of the cuda backend: the same seeded training of every model case of
 * indrnn/testing, run twice, gives the same losses and parameters to the last bit. The kernels use
 * no atomics (reductions split work by fixed chunks; the embedding gradient's row scatter sums
 * each row's positions in a fixed order from a host plan, layout.ts scatterPlan), so their results
 * do not depend on the order threads run in. On the CPU emulator (how npm test runs this file) the
 * two runs differ in exactly that: INDRNN_EMU_SEED runs the threads of every block in another order
 * (with the atomicAdd scatter this project had before, the language models' embedding gradients
 * then differed). On a GPU the two runs are two fresh processes. cuBLAS is deterministic for one GPU model and
 * library version (its documentation); across GPU models or versions the bits may differ.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { assertSameRun, MODEL_CHECK_CASES } from 'indrnn/testing';
import { seededTrainingInFreshProcess } from 'indrnn/testing/node';
import { gpuFile } from './helpers.mjs';

const gpuDescribe = gpuFile('determinism.test');
const here = path.dirname(fileURLToPath(import.meta.url));

gpuDescribe('cuda determinism', () => {
  it('two fresh processes (on the emulator: two thread orders) train every model case to the same bits', () => {
    // two steps: the second starts from the first's Adam moments and, in the language models,
    // carried states; fresh processes cost less on the emulator than a second in-process pass would
    // add over it (there one process runs its threads in one fixed order)
    const first = seededTrainingInFreshProcess('cuda', { cwd: here, steps: 2, env: { INDRNN_EMU_SEED: '1' } });
    const second = seededTrainingInFreshProcess('cuda', { cwd: here, steps: 2, env: { INDRNN_EMU_SEED: '2' } });
    for (const c of MODEL_CHECK_CASES) assertSameRun(second.get(c.name)!, first.get(c.name)!, c.name);
  });
});
