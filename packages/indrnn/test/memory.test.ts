/** tidy scopes recycle kernel outputs, and never the storage of returned, kept or assigned tensors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parameter, clearPool, pooledBytes, randn, setBackend, tidy, zeros } from '../src/index.js';

describe('tidy and the output pool', () => {
  it('recycles outputs that do not escape, and reuses them zero-filled', () => {
    setBackend('reference');
    clearPool();
    const x = randn([64, 512]);
    let inner: Float32Array | null = null;
    tidy(() => {
      const y = x.relu(); // 32768 elements: large enough to recycle
      inner = y.data() as Float32Array;
      return 1;
    });
    assert.equal(pooledBytes(), 64 * 512 * 4);
    const z = tidy(() => x.mul(0).add(x).relu().neg()); // reuses the freed array for one of its steps
    assert.ok(inner!.every((v) => v === 0 || Number.isFinite(v)));
    assert.deepEqual(z.toArray(), x.relu().neg().toArray());
  });

  it('keeps returned tensors, kept tensors and assigned storage', () => {
    setBackend('reference');
    clearPool();
    const x = randn([64, 512]);
    const p = new Parameter(zeros([64, 512]));
    let kept: ReturnType<typeof x.relu> | null = null;
    const returned = tidy(() => {
      p.assign(x.relu()); // a parameter takes a kernel output: it must survive
      kept = x.neg().keep();
      x.abs(); // garbage: recycled
      return { list: [x.square()] };
    });
    assert.equal(pooledBytes(), 64 * 512 * 4, 'only the garbage output went back to the pool');
    const before = [p.toArray(), kept!.toArray(), returned.list[0]!.toArray()];
    tidy(() => {
      for (let i = 0; i < 4; i++) x.sqrt(); // reuse everything free
    });
    assert.deepEqual([p.toArray(), kept!.toArray(), returned.list[0]!.toArray()], before);
  });

  it('nested scopes hand surviving outputs to the parent', () => {
    setBackend('reference');
    clearPool();
    const x = randn([64, 512]);
    tidy(() => {
      const y = tidy(() => x.relu());
      assert.equal(pooledBytes(), 0);
      return y.sum().item();
    });
    assert.equal(pooledBytes(), 64 * 512 * 4);
  });
});
