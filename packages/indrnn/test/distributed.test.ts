/**
 * Data-parallel pieces that run in one process: launcher detection, the batch split (rows r, r+N,
 * … partition every batch; weights add up to 1), dropout masks drawn for the whole batch, the
 * synchronised batch norm against ops.batchNormTrain (on one rank it must be the same function,
 * values and gradients, and pass a float64 gradcheck), and the gradient reducer on one rank. The
 * collectives across real ranks are tested under mpirun (distributed.mpi.test.ts, cli tests).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, manualSeed, ops, referenceBackend, tensor, distributed, parameter, Tensor, noGrad,
} from '../src/index.js';
import { assertClose, assertGradcheck, int32, rnd64 } from './helpers.js';

const { detectLauncher, BatchShard, WHOLE_BATCH, SINGLE_PROCESS, selectRows, syncBatchNormTrain, GradientReducer } = distributed;

/** A communicator that claims to be rank `rank` of `size` (no collective may be called). */
function fakeRank(rank: number, size: number): distributed.Communicator {
  const no = (): never => {
    throw new Error('no collective in this test');
  };
  return { rank, size, localRank: rank, localSize: size, description: 'fake', allreduce: no, broadcast: no, barrier: no, allgather: no, abort: no };
}

function rnd32(shape: number[], gen: Generator, scale = 1, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = offset + scale * gen.normal();
  return tensor(d, shape, 'float32', referenceBackend());
}

describe('launcher detection', () => {
  it('reads Open MPI, PMI, PMIx and srun variables, and nothing in a plain run', () => {
    assert.equal(detectLauncher({}), null);
    assert.deepEqual(detectLauncher({ OMPI_COMM_WORLD_RANK: '3', OMPI_COMM_WORLD_SIZE: '8', OMPI_COMM_WORLD_LOCAL_RANK: '1', OMPI_COMM_WORLD_LOCAL_SIZE: '4' }),
      { launcher: 'openmpi', rank: 3, size: 8, localRank: 1, localSize: 4 });
    assert.deepEqual(detectLauncher({ PMI_RANK: '2', PMI_SIZE: '4', MPI_LOCALRANKID: '0', MPI_LOCALNRANKS: '2' }),
      { launcher: 'pmi', rank: 2, size: 4, localRank: 0, localSize: 2 });
    assert.deepEqual(detectLauncher({ PMIX_RANK: '5', SLURM_STEP_NUM_TASKS: '16', SLURM_LOCALID: '1' }),
      { launcher: 'pmix', rank: 5, size: 16, localRank: 1, localSize: null });
    assert.deepEqual(detectLauncher({ SLURM_PROCID: '7', SLURM_STEP_NUM_TASKS: '8', SLURM_LOCALID: '3', SLURM_STEP_TASKS_PER_NODE: '4(x2)' }),
      { launcher: 'slurm', rank: 7, size: 8, localRank: 3, localSize: 4 });
  });

  it('a Slurm batch script (one process, no srun step) and INDRNN_MPI=off are not launches', () => {
    assert.equal(detectLauncher({ SLURM_PROCID: '0', SLURM_NTASKS: '8', SLURM_JOB_ID: '12' }), null);
    assert.equal(detectLauncher({ SLURM_PROCID: '0', SLURM_STEP_NUM_TASKS: '1' }), null);
    assert.equal(detectLauncher({ OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2', INDRNN_MPI: 'off' }), null);
    assert.equal(detectLauncher({ OMPI_COMM_WORLD_RANK: 'x', OMPI_COMM_WORLD_SIZE: '2' }), null);
  });
});

describe('the batch split', () => {
  it('rows r, r+N, … of every batch: each row on exactly one rank, weights summing to 1', () => {
    for (let size = 1; size <= 5; size++) {
      for (let B = size; B <= 13; B++) {
        const seen = new Int32Array(B);
        let weight = 0;
        for (let r = 0; r < size; r++) {
          const shard = new BatchShard(fakeRank(r, size));
          const rows = shard.rows(B);
          assert.equal(rows.length, shard.localCount(B));
          rows.forEach((row, j) => {
            assert.equal(row, r + j * size);
            seen[row]!++;
          });
          weight += shard.weight(B);
        }
        assert.deepEqual(Array.from(seen), new Array(B).fill(1), `B=${B}, N=${size}`);
        assert.ok(Math.abs(weight - 1) < 1e-12, `weights sum to ${weight}`);
      }
    }
  });

  it('take keeps the rank\'s rows of a time-major batch, labels and sample lists; one process keeps all', () => {
    const gen = new Generator(3);
    const x = rnd32([4, 7, 3], gen);
    const labels = int32([0, 1, 2, 3, 4, 5, 6]);
    const shard = new BatchShard(fakeRank(1, 3));
    const xs = shard.take(x, 1);
    assert.deepEqual(xs.shape, [4, 2, 3]);
    assert.equal(shard.lastGlobalRows, 7);
    for (let t = 0; t < 4; t++) {
      for (const [j, row] of [[0, 1], [1, 4]] as const) {
        for (let f = 0; f < 3; f++) assert.equal(xs.data()[(t * 2 + j) * 3 + f], x.data()[(t * 7 + row) * 3 + f]);
      }
    }
    assert.deepEqual(Array.from(shard.take(labels, 0).data()), [1, 4]);
    assert.deepEqual(Array.from(shard.takeItems(Int32Array.from([10, 11, 12, 13, 14, 15, 16]))), [11, 14]);
    assert.equal(WHOLE_BATCH.take(x, 1), x);
    assert.deepEqual(Array.from(selectRows(labels, 0, Int32Array.from([6, 0])).data()), [6, 0]);
    assert.deepEqual(WHOLE_BATCH.sum([1.5, 2]), [1.5, 2]);
  });

  it('dropout masks are the whole batch\'s mask, rows r, r+N, … (the draws one process makes)', () => {
    const gen = new Generator(5);
    const x = rnd32([3, 7, 4], gen, 1, 2);
    manualSeed(42);
    const full = ops.dropoutShared(x, 0.4).data();
    for (let r = 0; r < 3; r++) {
      const dp = new distributed.DataParallel(fakeRank(r, 3), { bnSync: false });
      try {
        const mine = dp.shard.take(x, 1);
        manualSeed(42);
        const y = ops.dropoutShared(mine, 0.4).data();
        const rows = dp.shard.rows(7);
        for (let t = 0; t < 3; t++) {
          rows.forEach((row, j) => {
            for (let c = 0; c < 4; c++) assert.equal(y[(t * rows.length + j) * 4 + c], full[(t * 7 + row) * 4 + c]);
          });
        }
      } finally {
        dp.detach();
      }
    }
  });
});

/**
 * Batch norm through syncBatchNormTrain on one rank (sync) or ops.batchNormTrain: y, mean, variance
 * and the gradients of Σ y·dy for x, gamma, beta, with the valid rows per group it counted.
 */
function batchNormRun(
  sync: boolean, x: Tensor, groups: number, gamma: Tensor, beta: Tensor, dy: Tensor, lengths: Tensor | null,
): { values: Float32Array[]; counts: number[] } {
  const xs = x.detach();
  const g = gamma.detach();
  const b = beta.detach();
  for (const t of [xs, g, b]) t.requiresGrad = true;
  const r = sync ? syncBatchNormTrain(WHOLE_BATCH, xs, groups, g, b, 1e-5, lengths) : ops.batchNormTrain(xs, groups, g, b, 1e-5, lengths);
  r.y.mul(dy).sum().backward();
  const values = [r.y, r.mean, r.variance, xs.grad!, g.grad!, b.grad!].map((t) => Float32Array.from(t.data()));
  return { values, counts: r.counts };
}

function assertSameBatchNorm(got: Float32Array[], want: Float32Array[]): void {
  ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => assertClose(got[i]!, want[i]!, 2e-5, 2e-5, name));
}

describe('synchronised batch norm on one rank is ops.batchNormTrain', () => {
  for (const [what, T, groups] of [['sequence-wise', 6, 1], ['frame-wise', 6, 6]] as const) {
    it(`${what}: outputs, statistics and gradients agree (float32, random inputs)`, () => {
      const gen = new Generator(17);
      const B = 5;
      const C = 4;
      const x = rnd32([T, B, C], gen, 2, 0.7);
      const gamma = rnd32([C], gen, 0.5, 1);
      const beta = rnd32([C], gen, 0.5, 0);
      const dy = rnd32([T, B, C], gen);
      const want = batchNormRun(false, x, groups, gamma, beta, dy, null);
      const got = batchNormRun(true, x, groups, gamma, beta, dy, null);
      assertSameBatchNorm(got.values, want.values);
    });

    it(`${what}, padded sequences: the same as ops.batchNormTrain with lengths (statistics over valid steps, padded rows 0)`, () => {
      const gen = new Generator(29);
      const B = 5;
      const C = 3;
      const x = rnd32([T, B, C], gen, 2, 0.7);
      const lengths = int32([6, 2, 4, 1, 5]);
      const gamma = rnd32([C], gen, 0.5, 1);
      const beta = rnd32([C], gen, 0.5, 0);
      const dy = rnd32([T, B, C], gen);
      const want = batchNormRun(false, x, groups, gamma, beta, dy, lengths);
      const got = batchNormRun(true, x, groups, gamma, beta, dy, lengths);
      const counts = groups === 1 ? [18] : [5, 4, 3, 3, 2, 1];
      assert.deepEqual(want.counts, counts);
      assert.deepEqual(got.counts, counts);
      assertSameBatchNorm(got.values, want.values);
    });

    it(`${what}: float64 gradcheck`, () => {
      const gen = new Generator(23);
      const x = rnd64([4, 3, 2], gen, 1.5, 0.3);
      const gamma = rnd64([2], gen, 0.4, 1);
      const beta = rnd64([2], gen, 0.4, 0.1);
      assertGradcheck(() => syncBatchNormTrain(WHOLE_BATCH, x, groups === 1 ? 1 : 4, gamma, beta, 1e-5).y, [x, gamma, beta]);
    });
  }
});

describe('the gradient reducer on one rank', () => {
  it('leaves gradients, loss and metrics as they are, and a parameter without a gradient without one', () => {
    const gen = new Generator(8);
    const a = parameter([3, 2]);
    const b = parameter([4]);
    a.assign(rnd32([3, 2], gen));
    b.assign(rnd32([4], gen));
    const ga = Float32Array.from(rnd32([3, 2], gen).data());
    a.grad = tensor(ga.slice(), [3, 2]);
    b.grad = null;
    const out = noGrad(() => new GradientReducer(SINGLE_PROCESS).reduce([a, b], 1, 0.75, { bpc: 1.25 }));
    assert.deepEqual(Array.from(a.grad.data()), Array.from(ga));
    assert.equal(b.grad, null);
    assert.equal(out.loss, 0.75);
    assert.deepEqual(out.metrics, { bpc: 1.25 });
  });
});
