/** The threaded GEMM (Node worker_threads on a shared memory) against the reference backend. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Generator } from 'indrnn';
import { createThreadedWasmBackend, type ThreadedWasmBackend } from '../src/threads.js';
import { assertClose, randn, ref } from './helpers.js';

const gen = new Generator(77);

for (const threads of [2, 3]) {
  describe(`threaded wasm GEMM, ${threads} threads`, () => {
    let backend: ThreadedWasmBackend;
    before(async () => {
      // minFlops 0: split even the small products, so every band boundary is exercised
      backend = await createThreadedWasmBackend({ threads, minFlops: 0 });
    });
    after(() => backend.close());

    const shapes: [number, number, number][] = [
      [9, 7, 5],
      [37, 19, 300],
      [130, 9, 257],
      [1001, 33, 64],
    ];
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          it(`[${m}, ${k}]${transA ? 'ᵀ' : ''} · [${k}, ${n}]${transB ? 'ᵀ' : ''}`, () => {
            const a = randn(gen, m * k);
            const b = randn(gen, k * n);
            const got = backend.matmul(a, b, m, n, k, transA, transB);
            const want = ref.matmul(a, b, m, n, k, transA, transB);
            assertClose(got, want, { atol: 1e-6 * k, rtol: 1e-5 }, 'threaded matmul');
          });
        }
      }
    }

    it('other kernels run on the shared memory too (IndRNN scan)', () => {
      assert.equal(backend.threads, threads);
      const [T, B, N] = [5, 3, 7];
      const z = randn(gen, T * B * N);
      const u = randn(gen, N, 0.5);
      const h0 = randn(gen, B * N);
      const got = backend.indrnnScan(z, u, h0, null, T, B, N, 'relu');
      assertClose(
        got,
        ref.indrnnScan(z, u, h0, null, T, B, N, 'relu'),
        { atol: 1e-5, rtol: 1e-5 },
        'scan',
      );
    });
  });
}
