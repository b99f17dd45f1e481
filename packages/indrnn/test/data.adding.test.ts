/** The adding problem: the authors' two-marker scheme, seeded, with the 0.167 trivial baseline. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, data } from '../src/index.js';
import { assertIndrnnError } from './data.helpers.js';

describe('adding problem', () => {
  it('x [T, B, 2], y [B, 1]; exactly two markers, one per half, y = the sum of the marked values', () => {
    const T = 11; // odd: halves are [0, 5) and [5, 10)
    const B = 64;
    const { x, y, markers } = data.addingBatch({
      seqLen: T,
      batchSize: B,
      generator: new Generator(5),
    });
    assert.deepEqual(x.shape, [T, B, 2]);
    assert.deepEqual(y.shape, [B, 1]);
    assert.equal(x.dtype, 'float32');
    const xs = x.data();
    const ys = y.data();
    for (let b = 0; b < B; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const value = xs[(t * B + b) * 2]!;
        const marker = xs[(t * B + b) * 2 + 1]!;
        assert.ok(value >= 0 && value < 1, `value ${value} outside [0, 1)`);
        assert.ok(marker === 0 || marker === 1);
        if (marker === 1) {
          marked.push(t);
          sum += value;
        }
      }
      assert.deepEqual(marked, [markers[2 * b], markers[2 * b + 1]]);
      assert.ok(
        marked[0]! < 5 && marked[1]! >= 5 && marked[1]! < 10,
        `markers ${marked} not one per half`,
      );
      assert.equal(ys[b], Math.fround(sum));
    }
  });

  it("draws values time-major first, so the first value is the generator's first random()", () => {
    const { x } = data.addingBatch({ seqLen: 4, batchSize: 3, generator: new Generator(9) });
    const g = new Generator(9);
    const expected = Array.from({ length: 12 }, () => Math.fround(g.random()));
    assert.deepEqual(
      Array.from({ length: 12 }, (_, i) => x.data()[2 * i]),
      expected,
    );
  });

  it('same seed, same batches; another seed, other batches', () => {
    const a = new Generator(1);
    const b = new Generator(1);
    for (let k = 0; k < 3; k++) {
      const ba = data.addingBatch({ seqLen: 50, batchSize: 8, generator: a });
      const bb = data.addingBatch({ seqLen: 50, batchSize: 8, generator: b });
      assert.deepEqual(ba.x.toArray(), bb.x.toArray());
      assert.deepEqual(ba.y.toArray(), bb.y.toArray());
    }
    const c = data.addingBatch({ seqLen: 50, batchSize: 8, generator: new Generator(2) });
    assert.notDeepEqual(
      c.y.toArray(),
      data.addingBatch({ seqLen: 50, batchSize: 8, generator: new Generator(1) }).y.toArray(),
    );
  });

  it('predicting 1 scores MSE ≈ 1/6 ≈ 0.167; markers cover both halves', () => {
    const gen = new Generator(123);
    let se = 0;
    let n = 0;
    const T = 100;
    const seen = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const { y, markers } = data.addingBatch({ seqLen: T, batchSize: 500, generator: gen });
      for (const v of y.data()) {
        se += (v - 1) ** 2;
        n++;
      }
      markers.forEach((m) => seen.add(m));
    }
    assert.ok(Math.abs(data.ADDING_TRIVIAL_MSE - 0.1667) < 1e-4);
    assert.ok(Math.abs(se / n - 1 / 6) < 0.005, `trivial MSE ${se / n}`);
    assert.equal(seen.size, T, 'every step 0..99 should be marked at some point');
  });

  it('T = 2 marks both steps; bad sizes fail naming the option', () => {
    const { x } = data.addingBatch({ seqLen: 2, batchSize: 1, generator: new Generator(0) });
    assert.deepEqual([x.data()[1], x.data()[3]], [1, 1]);
    assertIndrnnError(
      () => data.addingBatch({ seqLen: 1, batchSize: 4 }),
      'seqLen must be an integer >= 2, got 1',
    );
    assertIndrnnError(() => data.addingBatch({ seqLen: 10, batchSize: 0 }), 'batchSize');
  });
});
