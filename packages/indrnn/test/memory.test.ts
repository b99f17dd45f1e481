/** tidy scopes recycle kernel outputs, and never the storage of returned, kept or assigned tensors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parameter, allocOutput, clearPool, pooledBytes, randn, setBackend, tidy, zeros } from '../src/index.js';

describe('tidy and the output pool', () => {
  it('recycles outputs that do not escape, and reuses them zero-filled', () => {
    setBackend('reference');
    clearPool();
    const n = 64 * 512; // large enough to recycle
    let dirty = null as Float32Array | null; // assigned in the scope below
    tidy(() => {
      dirty = allocOutput('float32', n) as Float32Array;
      dirty.fill(7.5); // a kernel's result, left behind when the scope closes
      return 1;
    });
    assert.equal(pooledBytes(), n * 4, 'the output went back to the pool');
    const reused = tidy(() => allocOutput('float32', n)) as Float32Array;
    assert.ok(reused === dirty, 'the same array is handed out again');
    assert.equal(pooledBytes(), 0);
    assert.ok(reused.every((v) => v === 0), 'and it comes back zero-filled');
    // zeroed = false is for kernels that overwrite every element: the array is handed out as it is
    let left = null as Float32Array | null;
    tidy(() => {
      left = allocOutput('float32', n) as Float32Array;
      left.fill(-3);
      return 1;
    });
    const raw = tidy(() => allocOutput('float32', n, false)) as Float32Array;
    assert.ok(raw === left, 'the same array again');
    assert.ok(raw.every((v) => v === -3));
  });

  it('ops inside a later scope reuse the freed outputs and still compute the right values', () => {
    setBackend('reference');
    clearPool();
    const x = randn([64, 512]);
    let inner: Float32Array | null = null;
    tidy(() => {
      inner = x.relu().data() as Float32Array; // 32768 elements: recycled
      return 1;
    });
    assert.equal(pooledBytes(), 64 * 512 * 4);
    let took = false;
    const z = tidy(() => {
      const zeroed = x.mul(0);
      took = zeroed.storage === inner; // the freed relu output, holding x's relu values
      return zeroed.add(x).relu().neg();
    });
    assert.ok(took, 'the first output of the next scope took the freed array');
    assert.equal(pooledBytes(), 3 * 64 * 512 * 4, 'mul, add and relu went back; neg was returned');
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
