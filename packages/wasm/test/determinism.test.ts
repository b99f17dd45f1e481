/**
 * Bit-for-bit determinism of the wasm backend: the same seeded training of every model case of
 * indrnn/testing, run twice, gives the same losses and the same parameters to the last bit, in
 * one process and in two fresh processes (the kernels are single-threaded and take no decision
 * from timing; the threaded GEMM of threads.test.ts splits its rows statically).
 */
import { describe, it } from 'node:test';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSameRun, MODEL_CHECK_CASES, seededTraining } from 'indrnn/testing';
import { seededTrainingInFreshProcess } from 'indrnn/testing/node';
import { wasm } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('wasm determinism', () => {
  it('every model case trains to the same bits twice in one process', () => {
    void wasm; // the compiled backend is registered (helpers compile it synchronously)
    for (const c of MODEL_CHECK_CASES) assertSameRun(seededTraining('wasm', c), seededTraining('wasm', c), c.name);
  });

  it('two fresh processes train every model case to the same bits', () => {
    const setup = "import { initWasm } from '@indrnn/wasm';\nawait initWasm();";
    const first = seededTrainingInFreshProcess('wasm', { cwd: here, setup });
    const second = seededTrainingInFreshProcess('wasm', { cwd: here, setup });
    for (const c of MODEL_CHECK_CASES) assertSameRun(second.get(c.name)!, first.get(c.name)!, c.name);
  });
});
