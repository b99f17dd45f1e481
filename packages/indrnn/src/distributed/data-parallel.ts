/**
 * Data-parallel training over a Communicator, as the Trainer sees it: the batch shard the task
 * takes its rows with, the one all-reduce of gradients (and loss and metrics) per step, batch-norm
 * statistics summed over the ranks (bn-sync on) or rank 0's running statistics before evaluating
 * (bn-sync off, as DDP broadcasts buffers), and rank 0's weights and optimizer state on every rank
 * at start and on resume.
 */
import type { Module, Parameter } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { setDropoutSharding } from '../ops/normalization.js';
import { fail } from '../util/errors.js';
import type { Communicator } from './communicator.js';
import { BatchShard } from './shard.js';
import { GradientReducer, type ReducedStep } from './gradients.js';
import { broadcastModel, broadcastOptimizer, divergedParameter } from './collective.js';
import { installBatchNormSync } from './batchnorm-sync.js';
import { tensor } from '../tensor/tensor.js';

export interface DataParallelOptions {
  /** Batch-norm statistics over the whole batch, summed over the ranks (default true). */
  bnSync?: boolean;
}

export class DataParallel {
  readonly shard: BatchShard;
  readonly bnSync: boolean;
  private readonly reducer: GradientReducer;

  constructor(readonly comm: Communicator, opts: DataParallelOptions = {}) {
    this.shard = new BatchShard(comm);
    this.bnSync = opts.bnSync ?? true;
    this.reducer = new GradientReducer(comm);
    const shard = this.shard;
    setDropoutSharding((local) => {
      const global = shard.lastGlobalRows;
      return global > 0 && shard.localCount(global) === local ? { global, mine: shard.rows(global) } : null;
    });
  }

  get rank(): number {
    return this.comm.rank;
  }

  get size(): number {
    return this.comm.size;
  }

  /** Prepares a model: batch-norm layers sum their statistics over the ranks when bnSync is on. */
  attach(model: Module): void {
    if (this.bnSync) installBatchNormSync(model, this.shard);
  }

  /** Fails unless a global batch of `rows` gives every rank at least one row. */
  checkBatch(rows: number, what = 'the batch size'): void {
    if (rows < this.size) fail(`${what} (${rows}) is smaller than the number of ranks (${this.size}); every rank needs at least one row: raise --batch-size or run fewer ranks`);
  }

  /** Called before the step's forward pass. */
  beginStep(): void {
    this.shard.resetStep();
  }

  /** After the backward pass: gradients, loss and metrics summed over the ranks, weighted by the rank's share. */
  reduceStep(params: readonly Parameter[], loss: number, metrics: Record<string, number>): ReducedStep {
    if (this.shard.lastGlobalRows === 0) fail('data-parallel: the task did not split its batch over the ranks (BatchShard.take); it cannot train on several ranks');
    return this.reducer.reduce(params, this.shard.share(), loss, metrics);
  }

  /** Before evaluating: with per-rank statistics (bn-sync off), every rank scores with rank 0's running statistics. */
  beforeEvaluate(model: Module): void {
    if (this.bnSync) return;
    const buffers = model.namedBuffers();
    if (buffers.length === 0) return;
    const data = buffers.map(([, t]) => t.data().slice());
    for (const d of data) this.comm.broadcast(d, 0);
    buffers.forEach(([, t], i) => t.assign(tensor(data[i]!, t.shape, t.dtype, t.backend)));
  }

  /** Rank 0's weights, buffers and optimizer state on every rank (at start and after a resume). */
  broadcastState(model: Module, optimizer: Optimizer): void {
    broadcastModel(this.comm, model);
    broadcastOptimizer(this.comm, optimizer);
  }

  /**
   * Before a checkpoint: the ranks must hold the same weights. Where they drifted (an MPI whose
   * all-reduce differs in the last bit between ranks), rank 0's state is given to all and the
   * parameter that differed is returned for a warning; else null.
   */
  resync(model: Module, optimizer: Optimizer): string | null {
    const where = divergedParameter(this.comm, model);
    if (where) this.broadcastState(model, optimizer);
    return where;
  }

  /** Stops drawing dropout masks for a sharded batch (the end of training in this process). */
  detach(): void {
    setDropoutSharding(null);
  }
}
