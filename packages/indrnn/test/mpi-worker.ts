/**
 * Run by distributed.mpi.test.ts under `mpirun -np N` (it does nothing when no launcher started
 * it): each rank computes, for several models, the gradients of one global batch twice, once alone
 * on the whole batch (one process's answer) and once data-parallel on its rows (batch-norm
 * statistics summed over the ranks, dropout masks drawn for the whole batch, gradients summed with
 * the rank weights), and reports the largest difference. Also checks the collectives the trainer
 * uses: gather ∘ take, broadcasts of weights and optimizer state, agreement on flags, and an error
 * on rank 0 reaching every rank. Rank 0 prints one JSON line.
 */
import {
  Adam, buildModel, distributed, Generator, manualSeed, ops, setBackend, tensor, type ModelConfig, type SequenceModel, type Tensor,
} from '../src/index.js';
import { initDistributed } from '../src/node.js';

const comm = initDistributed();
if (comm) {
  setBackend(process.env['INDRNN_BACKEND'] ?? 'native');
  const results: Record<string, unknown> = { size: comm.size };

  /** One batch: x [T, B, F] with lengths when `padded`, y [B, 1]. The same on every rank. */
  function batch(T: number, B: number, F: number, padded: boolean): { x: Tensor; y: Tensor; lengths: Tensor | null } {
    const gen = new Generator(77);
    const x = new Float32Array(T * B * F);
    for (let i = 0; i < x.length; i++) x[i] = gen.normal() * 0.8 + 0.2;
    const y = Float32Array.from({ length: B }, () => gen.normal());
    const lengths = padded ? Int32Array.from({ length: B }, (_, b) => T - (b % 4)) : null;
    return { x: tensor(x, [T, B, F]), y: tensor(y, [B, 1]), lengths: lengths ? tensor(lengths, [B], 'int32') : null };
  }

  /** Gradients (and loss) of the model for the batch: alone on every row, or data-parallel on this rank's rows. */
  function gradients(config: ModelConfig, T: number, B: number, padded: boolean, parallel: boolean, bnSync = true): { loss: number; grads: Float32Array[] } {
    manualSeed(5);
    const model = buildModel(config) as SequenceModel;
    model.train();
    const dp = parallel ? new distributed.DataParallel(comm!, { bnSync }) : null;
    try {
      dp?.attach(model);
      dp?.beginStep();
      const shard = dp?.shard ?? distributed.WHOLE_BATCH;
      const { x, y, lengths } = batch(T, B, model.encoder.inputSize, padded);
      manualSeed(9); // the same dropout draws in both runs
      const out = model.forward(shard.take(x, 1), lengths ? { lengths: shard.take(lengths, 0) } : {});
      const loss = ops.mseLoss(out, shard.take(y, 0));
      loss.backward();
      let value = loss.item();
      if (dp) value = dp.reduceStep(model.parameters(), value, {}).loss;
      return { loss: value, grads: model.parameters().map((p) => Float32Array.from(p.grad?.data() ?? [])) };
    } finally {
      dp?.detach();
    }
  }

  /**
   * Largest |a - b| over every gradient element, relative to the largest |b| of the model (a
   * gradient that is 0 in exact arithmetic, such as a bias before batch norm, is rounding noise
   * in both runs, so a per-tensor scale would measure noise against noise).
   */
  function worst(a: Float32Array[], b: Float32Array[]): number {
    let diff = 0;
    let scale = 0;
    a.forEach((g, i) => {
      const ref = b[i]!;
      for (let k = 0; k < g.length; k++) {
        diff = Math.max(diff, Math.abs(g[k]! - ref[k]!));
        scale = Math.max(scale, Math.abs(ref[k]!));
      }
    });
    return diff / scale;
  }

  const indrnn = (extra: object): ModelConfig => ({
    kind: 'sequence', outputSize: 1,
    encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 8, numLayers: 3, activation: 'relu', uBound: 1.1, biasInit: { kind: 'normal', std: 0.3 }, ...extra },
  } as ModelConfig);
  const cases: [string, ModelConfig, number, number, boolean][] = [
    ['relu IndRNN, no BN', indrnn({}), 12, 8, false],
    ['sequence-wise BN after', indrnn({ bn: 'sequence', bnPosition: 'after' }), 12, 8, false],
    ['sequence-wise BN before', indrnn({ bn: 'sequence', bnPosition: 'before' }), 12, 8, false],
    ['frame-wise BN', indrnn({ bn: 'frame', bnPosition: 'after', bnOptions: { maxPositions: 16 } }), 12, 8, false],
    ['BN and dropout, 7 rows (uneven split)', indrnn({ bn: 'sequence', dropout: 0.3 }), 12, 7, false],
  ];
  cases.push(
    ['sequence-wise BN, padded sequences', indrnn({ bn: 'sequence', bnPosition: 'before' }), 12, 8, true],
    ['frame-wise BN, padded sequences', indrnn({ bn: 'frame', bnPosition: 'after', bnOptions: { maxPositions: 16 } }), 12, 8, true],
  );
  const gradientErrors: Record<string, { grad: number; loss: number }> = {};
  for (const [name, config, T, B, padded] of cases) {
    const alone = gradients(config, T, B, padded, false);
    const split = gradients(config, T, B, padded, true);
    gradientErrors[name] = { grad: worst(split.grads, alone.grads), loss: Math.abs(split.loss - alone.loss) / Math.abs(alone.loss) };
  }
  results['gradients'] = gradientErrors;
  // bn-sync off must differ (each rank normalises with its own rows): the check above can fail
  const off = gradients(cases[1]![1], 12, 8, false, true, false);
  results['bnSyncOffDiffers'] = worst(off.grads, gradients(cases[1]![1], 12, 8, false, false).grads) > 1e-3;

  // gather(take(x)) is x on every rank
  const shard = new distributed.BatchShard(comm);
  const full = tensor(Float32Array.from({ length: 7 * 5 }, (_, i) => i + 0.5), [7, 5]);
  const back = shard.gather(shard.take(full, 0), 0, 7);
  results['gatherTake'] = Array.from(back.data()).every((v, i) => v === full.data()[i]);

  // rank 0's weights and optimizer state reach every rank
  manualSeed(100 + comm.rank);
  const model = buildModel(indrnn({ bn: 'sequence' })) as SequenceModel;
  const opt = new Adam(model.parameters(), { lr: 0.01 + comm.rank });
  for (const p of model.parameters()) p.grad = p.onesLike();
  opt.step();
  distributed.broadcastModel(comm, model);
  distributed.broadcastOptimizer(comm, opt);
  results['diverged'] = distributed.divergedParameter(comm, model);
  const lrs = comm.allgather(new Float64Array([opt.lr]));
  results['sameLr'] = Array.from(lrs).every((v) => v === lrs[0]);

  // one rank's flag stops all; rank 0's error reaches every rank
  results['agree'] = distributed.agree(comm, [comm.rank === comm.size - 1, false]);
  try {
    distributed.fromRoot(comm, () => {
      throw new Error('checked on rank 0');
    });
    results['fromRoot'] = 'no error';
  } catch (e) {
    results['fromRoot'] = `${(e as Error).message}${(e as { fromRoot?: boolean }).fromRoot ? ' (shared)' : ''}`;
  }
  const everyone = distributed.gatherJson(comm, results);
  if (comm.rank === 0) process.stdout.write(JSON.stringify(everyone) + '\n');
}
