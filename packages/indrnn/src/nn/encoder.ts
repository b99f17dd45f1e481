/**
 * The contract shared by every sequence encoder (IndRNN stacks, LSTM, RNN, bidirectional):
 * time-major input [T, B, F] in, output [T, B, outputSize] and per-layer final states out.
 */
import { Module } from './module.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';
import { gatherRows } from '../ops/layout.js';

export interface EncodeOptions {
  /** Initial states, as returned in `states` by a previous call (stateful models, streaming). */
  states?: readonly Tensor[] | null;
  /** int32 [B]: true lengths; later steps keep each sequence's state and get no gradient. */
  lengths?: Tensor | null;
  /** Absolute position of step 0 in a carried-over stream (frame-wise BN running statistics). */
  position?: number;
}

export interface EncodeResult {
  /** [T, B, outputSize] */
  output: Tensor;
  /** Final states, one or more per recurrent layer, each [B, width]; feed back as `states`. */
  states: Tensor[];
}

/**
 * Throws unless x is a Tensor of the given rank with at least one time step (axis 0): `where` names
 * the method, `name` the argument.
 */
export function checkSequenceArg(where: string, name: string, x: unknown, rank: number, layout: string): Tensor {
  // duck-typed as well: a second copy of the library makes Tensors that fail instanceof
  const isTensor = x instanceof Tensor || (typeof x === 'object' && x !== null && Array.isArray((x as Tensor).shape) && 'storage' in x && 'backend' in x);
  if (!isTensor) {
    fail(`${where}: ${name} must be a Tensor ${layout}, got ${x === null ? 'null' : Array.isArray(x) ? 'an array (wrap it with tensor(data, shape))' : typeof x}`);
  }
  const t = x as Tensor;
  // a wrong rank is reported by the layer that reads x, with a hint on the layout
  if (t.rank === rank && t.shape[0] === 0) fail(`${where}: ${name} has 0 time steps (shape ${fmtShape(t.shape)}); a sequence needs T >= 1`);
  return t;
}

export abstract class Encoder extends Module {
  abstract readonly inputSize: number;
  abstract readonly outputSize: number;
  /** A JSON config that rebuilds this encoder with buildEncoder. */
  abstract readonly config: object;

  abstract forward(x: Tensor, opts?: EncodeOptions): EncodeResult;

  /**
   * One time step for streaming inference: x [B, F] → output [B, outputSize]. Pass the returned states
   * (and position + 1 for frame-wise BN) to the next call.
   */
  step(x: Tensor, states: readonly Tensor[] | null = null, position = 0): EncodeResult {
    if (x.rank !== 2) fail(`step: input must be [B, F] for one time step, got ${fmtShape(x.shape)}`);
    const r = this.forward(x.reshape([1, ...x.shape]), { states, position });
    return { output: r.output.reshape([x.shape[0]!, this.outputSize]), states: r.states };
  }

  protected checkInput(x: Tensor): [number, number] {
    if (!(x instanceof Tensor) || x.rank < 1 || x.shape[0] === 0) checkSequenceArg(`${this.constructor.name}.forward`, 'x', x, 3, 'time-major [T, B, F]');
    if (x.rank !== 3) fail(`${this.constructor.name}: input must be time-major [T, B, F], got ${fmtShape(x.shape)} (for batch-first [B, T, F] data set batchFirst: true on the model, or convert with ops.toTimeMajor(x))`);
    if (x.shape[2] !== this.inputSize) {
      fail(`${this.constructor.name}: expected input size ${this.inputSize}, got ${x.shape[2]} in ${fmtShape(x.shape)}`);
    }
    return [x.shape[0]!, x.shape[1]!];
  }

  /** The initial state for layer i from opts.states, checking the count. */
  protected stateAt(opts: EncodeOptions | undefined, i: number, expected: number): Tensor | null {
    const s = opts?.states;
    if (!s) return null;
    if (s.length !== expected) fail(`${this.constructor.name}: expected ${expected} initial states, got ${s.length}`);
    return s[i]!;
  }
}

/**
 * Row indices that reverse each sequence within its length on a [T·B, F] view: row t·B + b reads
 * (len_b - 1 - t)·B + b for t < len_b; padded rows stay in place.
 */
export function reverseIndex(T: number, B: number, lengths: Tensor | null): Tensor {
  const idx = new Int32Array(T * B);
  const lens = lengths?.data();
  for (let b = 0; b < B; b++) {
    const len = lens ? lens[b]! : T;
    for (let t = 0; t < T; t++) idx[t * B + b] = (t < len ? len - 1 - t : t) * B + b;
  }
  return tensor(idx, [T * B], 'int32', lengths?.backend);
}

/** Reverses each sequence of x [T, B, F] within its length. */
export function reverseSequences(x: Tensor, lengths: Tensor | null): Tensor {
  const [T, B, F] = x.shape as [number, number, number];
  const idx = reverseIndex(T, B, lengths);
  const moved = idx.backend === x.backend ? idx : tensor(idx.data(), idx.shape, 'int32', x.backend);
  return gatherRows(x.reshape([T * B, F]), moved).reshape([T, B, F]);
}
