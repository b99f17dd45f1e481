/**
 * End to end on the GPU: the same seeded models trained one step on the cuda and the reference
 * backends give the same loss and the same gradient for every parameter; a few SGD steps keep
 * them together; and a training loop that never disposes a tensor stays within its memory budget
 * (device memory is reclaimed by garbage collection). Skips with the reason when no GPU is usable.
 *
 * Tolerance: atol 1e-4, rtol 1e-3 (float32 GEMMs and scans through a few layers vs the reference's
 * float64 sums).
 */
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { it } from 'node:test';
import { randn, setBackend, tidy, zeros } from 'indrnn';
import { assertModelStepMatchesReference, MODEL_CHECK_CASES, PADDING_BN_CASES, assertPaddingInvariant } from 'indrnn/testing';
import { cuda, gpuFile, smallIndrnnTrainer } from './helpers.mjs';

const gpuDescribe = gpuFile('model.test');
import type { CudaBackend, CudaStorage } from '../lib/index.js';

gpuDescribe('cuda end to end: loss, every parameter gradient and the parameters after 3 SGD steps match the reference', () => {
    for (const c of MODEL_CHECK_CASES) {
      it(c.name, () => assertModelStepMatchesReference('cuda', c.config, c.shape, { sgdSteps: 3 }));
    }
  },
);

// padding invariance (issue 13): padded steps change no valid output, gradient or running statistic,
// in training and eval mode, up to float rounding (row chunks of the BN sums follow the batch
// size). The four BN cases (sequence- and frame-wise, before and after the recurrence): the other
// model kinds add no GPU kernel of their own, and each case costs a minute on the CPU emulator.
gpuDescribe('cuda padding invariance: outputs, gradients and running statistics do not move with padding (atol 1e-5)', () => {
  for (const c of PADDING_BN_CASES) it(c.name, () => assertPaddingInvariant('cuda', c, 1e-5));
});

gpuDescribe('cuda memory', () => {
  it('a loop that never disposes stays bounded: garbage collection returns device memory', () => {
    const C = cuda!;
    setBackend('cuda');
    const before = C.memoryStats();
    // tensors of 256 MiB (1/64 of the device where that is smaller: the CPU emulator's is 1 GiB),
    // 4× the budget allocated in total: without collections this would pass the soft limit (half
    // the device) and then run out of memory. V8 keeps the previous iteration's `t` alive until
    // it is overwritten, so a few tensors are live at each allocation.
    const n = Math.min(64 << 20, Math.floor(before.totalBytes / 64 / 4));
    const count = Math.ceil((4 * before.softLimitBytes) / (n * 4));
    let last = 0;
    for (let i = 0; i < count; i++) {
      const t = zeros([n], 'float32', C).add(1);
      last = t.size;
    }
    assert.equal(last, n);
    const after = C.memoryStats();
    const collected = after.minorGcs + after.majorGcs - before.minorGcs - before.majorGcs;
    assert.ok(collected > 0, 'the allocator asked for collections');
    assert.ok(
      after.liveBytes <= Math.max(after.softLimitBytes, before.liveBytes) + 4 * n * 4,
      `live ${after.liveBytes} B stays within the budget ${after.softLimitBytes} B ` +
        `(collections: ${collected})`,
    );
  });

  it('tidy frees the kernel outputs it neither returns nor keeps, at once; a freed one cannot be used', () => {
    const C = cuda!; // created directly: its outputs join the core's scopes through the default track
    collectGarbage();
    const x = randn([1 << 16], { backend: C });
    const live0 = C.memoryStats().liveBytes;
    let dropped = x;
    const out = tidy(() => {
      dropped = x.relu();
      x.neg().add(1); // garbage, never named (and the scalar 1 it made)
      return { y: x.add(1), kept: x.mul(2).keep() };
    });
    assert.equal(C.memoryStats().liveBytes - live0, 2 * (4 << 16), 'only y and kept are live');
    assert.throws(() => C.toHost(dropped.storage as CudaStorage), /after free/);
    const xs = C.toHost(x.storage as CudaStorage);
    assert.equal(C.toHost(out.y.storage as CudaStorage)[7], Math.fround(xs[7]! + 1)); // float32 addition
    assert.equal(C.toHost(out.kept.storage as CudaStorage)[7], xs[7]! * 2);
  });

  it('a training step returns the device memory it used: only parameters and optimizer state stay', () => {
    const C = setBackend('cuda') as CudaBackend; // the registry's instance, which the model uses
    const { trainer } = smallIndrnnTrainer(C, 24, 4, 16, 3);
    trainer.trainStep(); // creates Adam's moments
    collectGarbage();
    const live0 = C.memoryStats().liveBytes;
    for (let i = 0; i < 3; i++) trainer.trainStep();
    // no collection ran in between: without tidy freeing them, three steps' activations and
    // gradients would still be held here
    assert.equal(C.memoryStats().liveBytes, live0);
  });

  it('dispose() frees at once', () => {
    const C = cuda!;
    collectGarbage(); // no finalizer of an earlier test's tensors may run between the readings
    const live0 = C.memoryStats().liveBytes;
    const t = randn([1 << 20], { backend: C });
    assert.equal(C.memoryStats().liveBytes - live0, 4 << 20);
    t.dispose();
    assert.equal(C.memoryStats().liveBytes, live0);
  });
});

gpuDescribe('cuda profiling', () => {
  it('times each entry point while on, nothing while off, and resets on take', () => {
    const C = cuda!;
    const [T, B, N] = [6, 3, 40];
    const z = C.fromHost(Float32Array.from({ length: T * B * N }, (_, i) => Math.sin(i)));
    const u = C.fromHost(Float32Array.from({ length: N }, (_, i) => 0.5 + 0.01 * i));
    const h0 = C.alloc('float32', B * N);
    C.indrnnScan(z, u, h0, null, T, B, N, 'relu'); // before profiling: not counted
    C.setProfiling(true);
    for (let i = 0; i < 2; i++) C.indrnnScan(z, u, h0, null, T, B, N, 'relu');
    C.matmul(z, u, T * B, 1, N, false, false);
    const totals = C.takeProfile();
    C.setProfiling(false);
    const byName = new Map(totals.map((t) => [t.name, t]));
    assert.equal(byName.get('indrnnScan')?.calls, 2, JSON.stringify(totals));
    assert.equal(byName.get('matmul')?.calls, 1, JSON.stringify(totals));
    for (const t of totals) assert.ok(Number.isFinite(t.ms) && t.ms >= 0, JSON.stringify(t));
    assert.deepEqual(C.takeProfile(), [], 'taken totals are reset');
    C.indrnnScan(z, u, h0, null, T, B, N, 'relu');
    assert.deepEqual(C.takeProfile(), [], 'nothing is timed while off');
  });
});

/** A full garbage collection (the same function the backend's allocator uses). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
