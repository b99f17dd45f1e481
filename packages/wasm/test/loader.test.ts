/** Loading and registration: initWasm, registry order, the embedded bytes, arena growth. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Generator, getBackend, listBackends, setBackend, tensor } from 'indrnn';
import { embeddedKernels, initWasm, wasmUnsupportedReason, WASM_PRIORITY } from '../src/index.js';
import { assertClose, randn, ref } from './helpers.js';

describe('wasm backend loading and registration', () => {
  it('this Node runs WebAssembly SIMD', () => {
    assert.equal(wasmUnsupportedReason(), null);
  });

  it('the embedded kernels are the committed kernels/kernels.wasm', () => {
    const file = readFileSync(new URL('../../kernels/kernels.wasm', import.meta.url));
    assert.deepEqual(Buffer.from(embeddedKernels()), file);
  });

  it('initWasm registers "wasm" between native and reference, once', async () => {
    const a = await initWasm();
    const b = await initWasm();
    assert.equal(a, b);
    assert.equal(WASM_PRIORITY, 10);
    const order = listBackends();
    assert.ok(order.indexOf('wasm') < order.indexOf('reference'), `order ${order.join(', ')}`);
    if (order.includes('native')) assert.ok(order.indexOf('native') < order.indexOf('wasm'));
    const chosen = setBackend('wasm');
    assert.equal(chosen, a);
    assert.equal(getBackend().name, 'wasm');
    const t = tensor([1, 2, 3]).mul(tensor([4, 5, 6]));
    assert.equal(t.backend.name, 'wasm');
    assert.deepEqual(t.toArray(), [4, 10, 18]);
  });

  it('results stay right after the arena grows (no stale views across memory.grow)', async () => {
    const backend = await initWasm();
    const gen = new Generator(5);
    const small = randn(gen, 12);
    const before = backend.memoryBytes();
    // 1100 x 1100 operands need ~15 MiB of arena: forces memory.grow in the middle of a call
    const n = 1100;
    const a = randn(gen, n * 3);
    const b = randn(gen, 3 * n);
    const big = backend.matmul(a, b, n, n, 3, false, false);
    assert.ok(backend.memoryBytes() > before, 'memory should have grown');
    assertClose(
      big,
      ref.matmul(a, b, n, n, 3, false, false),
      { atol: 1e-5, rtol: 1e-5 },
      'matmul after grow',
    );
    assertClose(
      backend.unary('exp', small),
      ref.unary('exp', small),
      { atol: 1e-7, rtol: 1e-5 },
      'exp after grow',
    );
  });
});
