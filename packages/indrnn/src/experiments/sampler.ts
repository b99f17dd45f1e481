/**
 * A resumable epoch sampler: each epoch's order is a permutation drawn from a generator seeded by
 * (seed, epoch), so the state is just (epoch, position) and a resumed run continues the same order.
 */
import { Generator } from '../util/random.js';
import { checkInt, fail } from '../util/errors.js';
import { WHOLE_BATCH, type BatchShard } from '../distributed/shard.js';

export interface SamplerState {
  epoch: number;
  position: number;
}

export class EpochSampler {
  private epochIndex = 0;
  private position = 0;
  private order: Int32Array;

  constructor(readonly size: number, readonly batchSize: number, private readonly seed: number) {
    checkInt('EpochSampler', 'batchSize', batchSize, 1);
    if (size < batchSize) fail(`the training split has ${size} items, fewer than one batch of ${batchSize}; lower --batch-size`);
    this.order = this.orderFor(0);
  }

  private orderFor(epoch: number): Int32Array {
    return new Generator(this.seed * 7919 + epoch).permutation(this.size);
  }

  /** Full batches per epoch (the remainder is dropped, as the order changes every epoch). */
  get batchesPerEpoch(): number {
    return Math.floor(this.size / this.batchSize);
  }

  /** Fractional epochs done. */
  get epoch(): number {
    return this.epochIndex + this.position / (this.batchesPerEpoch * this.batchSize);
  }

  next(): Int32Array {
    if (this.position + this.batchSize > this.size) {
      this.epochIndex++;
      this.position = 0;
      this.order = this.orderFor(this.epochIndex);
    }
    const batch = this.order.slice(this.position, this.position + this.batchSize);
    this.position += this.batchSize;
    return batch;
  }

  getState(): SamplerState {
    return { epoch: this.epochIndex, position: this.position };
  }

  setState(s: SamplerState): void {
    this.epochIndex = s.epoch;
    this.position = s.position;
    this.order = this.orderFor(s.epoch);
  }
}

/** Accumulates loss and accuracy over evaluation batches. */
export class ClassificationMeter {
  private lossSum = 0;
  private correct = 0;
  private count = 0;

  add(meanLoss: number, predicted: ArrayLike<number>, labels: ArrayLike<number>): void {
    this.lossSum += meanLoss * labels.length;
    for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) this.correct++;
    this.count += labels.length;
  }

  /** Loss and accuracy; with a shard, over every rank's items (collective). */
  result(prefix: string, shard: BatchShard = WHOLE_BATCH): Record<string, number> {
    const [lossSum, correct, count] = shard.sum([this.lossSum, this.correct, this.count]) as [number, number, number];
    return { [`${prefix}_loss`]: lossSum / count, [`${prefix}_acc`]: correct / count };
  }
}
