/**
 * Online inference on live signals: each call feeds one time step of one sequence (by id) through
 * the encoder's step() with that sequence's carried state, and predicts from the output at that
 * step. The prediction at step t equals the full-sequence prediction of the sequence cut after t.
 */
import type { SequencePredictor, PredictedValue } from './predictor.js';
import { Bidirectional } from '../nn/rnn.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../backend/memory.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { fail } from '../util/errors.js';

interface StreamState {
  states: Tensor[] | null;
  /** Steps seen so far (the next step's position, for frame-wise BN). */
  position: number;
}

/** The prediction after step `step` (0-based) of sequence `id`. */
export type StreamPrediction = { id: string; step: number } & PredictedValue;

export class PredictionStream {
  private readonly open = new Map<string, StreamState>();

  constructor(private readonly predictor: SequencePredictor, private readonly opts: { topK?: number } = {}) {
    if (predictor.model.encoder instanceof Bidirectional) {
      fail(`${predictor.source}: a bidirectional model reads each sequence backwards too, so it cannot predict step by step`);
    }
  }

  /** Sequences with a state held. */
  get size(): number {
    return this.open.size;
  }

  /** Feeds one step of sequence `id` (F raw features) and predicts from it. */
  step(id: string, features: ArrayLike<number>): StreamPrediction {
    const { predictor } = this;
    const F = predictor.spec.features;
    if (features.length !== F) fail(`stream: sequence ${JSON.stringify(id)}: ${features.length} feature${features.length === 1 ? '' : 's'} a step, but the model reads ${F}`);
    const x = predictor.prepare(Float32Array.from(features));
    const st = this.open.get(id) ?? { states: null, position: 0 };
    const model = predictor.model;
    model.eval();
    const r = tidy(() => noGrad(() => {
      const enc = model.encoder.step(tensor(x, [1, F]), st.states, st.position);
      return { out: model.head.forward(enc.output), states: enc.states };
    }));
    this.open.set(id, { states: r.states, position: st.position + 1 });
    return { id, step: st.position, ...predictor.format(r.out.data(), this.opts.topK) };
  }

  /** Drops the state of sequence `id`; false when it had none. */
  end(id: string): boolean {
    const st = this.open.get(id);
    if (!st) return false;
    this.open.delete(id);
    return true;
  }
}
