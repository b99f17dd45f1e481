/**
 * Baseline recurrent encoders with fused time loops: LSTM and Elman RNN (tanh/relu, IRNN init),
 * plus the bidirectional wrapper for any encoder.
 *
 * LSTM (gate order i, f, g, o as PyTorch), per layer:
 *   gates = x_t · W_ihᵀ + b + h_{t-1} · W_hhᵀ;  c_t = σ(f) c_{t-1} + σ(i) tanh(g);  h_t = σ(o) tanh(c_t)
 * RNN: h_t = act(x_t · W_ihᵀ + b + h_{t-1} · W_hhᵀ)
 * The input product is one GEMM over all steps; the recurrent product runs inside the scan kernel.
 */
import { Module, ModuleList, Parameter, parameter } from './module.js';
import { Dropout } from './layers.js';
import { Encoder, reverseSequences, type EncodeOptions, type EncodeResult } from './encoder.js';
import { initTensor } from '../init/init.js';
import { linear } from '../ops/matmul.js';
import { concat } from '../ops/layout.js';
import { lstmScan, rnnScan } from '../ops/recurrent.js';
import { arrayFor } from '../tensor/dtype.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { checkChoice, checkInt, checkNumber } from '../util/errors.js';

function lastStep(seq: Tensor): Tensor {
  const T = seq.shape[0]!;
  return seq.slice([T - 1, 0, 0], [1, -1, -1]).reshape(seq.shape.slice(1));
}

export class LSTMLayer extends Module {
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly bias: Parameter;

  constructor(inputSize: number, readonly hiddenSize: number, forgetBias: number) {
    super();
    const H = hiddenSize;
    this.weightIh = this.registerParameter('weightIh', parameter([4 * H, inputSize]));
    this.weightHh = this.registerParameter('weightHh', parameter([4 * H, H]));
    this.bias = this.registerParameter('bias', parameter([4 * H]));
    // PyTorch's LSTM init: U(±1/sqrt(H)) for every weight and bias
    const k = 1 / Math.sqrt(H);
    for (const p of [this.weightIh, this.weightHh, this.bias]) initTensor(p, { kind: 'uniform', low: -k, high: k });
    if (forgetBias !== 0) {
      const b = arrayFor(this.bias.dtype, 4 * H);
      b.set(this.bias.data());
      for (let j = H; j < 2 * H; j++) b[j] = forgetBias;
      this.bias.assign(tensor(b, [4 * H], undefined, this.bias.backend));
    }
  }

  forward(x: Tensor, h0: Tensor | null, c0: Tensor | null, lengths: Tensor | null): { output: Tensor; h: Tensor; c: Tensor } {
    const gx = linear(x, this.weightIh, this.bias);
    const { h, c } = lstmScan(gx, this.weightHh, h0, c0, lengths);
    return { output: h, h: lastStep(h), c: lastStep(c) };
  }
}

export interface LSTMConfig {
  type: 'lstm';
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  /** Time-shared dropout between layers. */
  dropout?: number;
  /** Initial forget-gate bias (1 in the authors' adding baseline; PyTorch's default init otherwise). */
  forgetBias?: number;
}

/** Multi-layer LSTM; states are [h_0, c_0, h_1, c_1, ...]. */
export class LSTM extends Encoder {
  readonly layers: ModuleList<LSTMLayer>;
  readonly drop: Dropout;
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly config: LSTMConfig) {
    super();
    this.inputSize = checkInt('LSTM', 'inputSize', config.inputSize, 1);
    this.outputSize = checkInt('LSTM', 'hiddenSize', config.hiddenSize, 1);
    const n = checkInt('LSTM', 'numLayers', config.numLayers ?? 1, 1);
    const fb = checkNumber('LSTM', 'forgetBias', config.forgetBias ?? 0);
    const layers: LSTMLayer[] = [];
    for (let i = 0; i < n; i++) layers.push(new LSTMLayer(i === 0 ? config.inputSize : config.hiddenSize, config.hiddenSize, fb));
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.drop = this.registerModule('drop', new Dropout(config.dropout ?? 0));
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const n = this.layers.length;
    const states: Tensor[] = [];
    let h = x;
    this.layers.items.forEach((layer, i) => {
      if (i > 0) h = this.drop.forward(h);
      const r = layer.forward(h, this.stateAt(opts, 2 * i, 2 * n), this.stateAt(opts, 2 * i + 1, 2 * n), opts?.lengths ?? null);
      h = r.output;
      states.push(r.h, r.c);
    });
    return { output: h, states };
  }
}

export class RNNLayer extends Module {
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly bias: Parameter;

  constructor(inputSize: number, readonly hiddenSize: number, readonly nonlinearity: 'tanh' | 'relu' | 'identity', irnn: boolean) {
    super();
    const H = hiddenSize;
    this.weightIh = this.registerParameter('weightIh', parameter([H, inputSize]));
    this.weightHh = this.registerParameter('weightHh', parameter([H, H]));
    this.bias = this.registerParameter('bias', parameter([H]));
    if (irnn) {
      // IRNN (Le et al. 2015) as the authors' baseline: W_hh = I, W_ih ~ N(0, 0.001), b = 0
      initTensor(this.weightHh, { kind: 'identity' });
      initTensor(this.weightIh, { kind: 'normal', std: 0.001 });
    } else {
      const k = 1 / Math.sqrt(H);
      for (const p of [this.weightIh, this.weightHh, this.bias]) initTensor(p, { kind: 'uniform', low: -k, high: k });
    }
  }

  forward(x: Tensor, h0: Tensor | null, lengths: Tensor | null): { output: Tensor; h: Tensor } {
    const h = rnnScan(linear(x, this.weightIh, this.bias), this.weightHh, h0, lengths, this.nonlinearity);
    return { output: h, h: lastStep(h) };
  }
}

export interface RNNConfig {
  type: 'rnn';
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  /** tanh (default), relu, or identity (a linear RNN, e.g. for the CVPR §4 equivalence). */
  nonlinearity?: 'tanh' | 'relu' | 'identity';
  /** IRNN: identity recurrent init with relu (Le et al. 2015). */
  irnn?: boolean;
  dropout?: number;
}

/** Multi-layer Elman RNN; states are [h_0, h_1, ...]. */
export class RNN extends Encoder {
  readonly layers: ModuleList<RNNLayer>;
  readonly drop: Dropout;
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly config: RNNConfig) {
    super();
    this.inputSize = checkInt('RNN', 'inputSize', config.inputSize, 1);
    this.outputSize = checkInt('RNN', 'hiddenSize', config.hiddenSize, 1);
    const n = checkInt('RNN', 'numLayers', config.numLayers ?? 1, 1);
    const act = checkChoice('RNN', 'nonlinearity', config.nonlinearity ?? (config.irnn ? 'relu' : 'tanh'), ['tanh', 'relu', 'identity']);
    const layers: RNNLayer[] = [];
    for (let i = 0; i < n; i++) layers.push(new RNNLayer(i === 0 ? config.inputSize : config.hiddenSize, config.hiddenSize, act, config.irnn ?? false));
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.drop = this.registerModule('drop', new Dropout(config.dropout ?? 0));
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const states: Tensor[] = [];
    let h = x;
    this.layers.items.forEach((layer, i) => {
      if (i > 0) h = this.drop.forward(h);
      const r = layer.forward(h, this.stateAt(opts, i, this.layers.length), opts?.lengths ?? null);
      h = r.output;
      states.push(r.h);
    });
    return { output: h, states };
  }
}

/**
 * Runs one encoder forward in time and a second one on each sequence reversed within its length,
 * concatenating their outputs: [T, B, 2·H]. States: the forward encoder's, then the backward one's.
 */
export class Bidirectional extends Encoder {
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly config: { type: 'bidirectional'; encoder: object }, readonly fwd: Encoder, readonly bwd: Encoder) {
    super();
    this.registerModule('fwd', fwd);
    this.registerModule('bwd', bwd);
    this.inputSize = fwd.inputSize;
    this.outputSize = fwd.outputSize + bwd.outputSize;
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const lengths = opts?.lengths ?? null;
    const s = opts?.states;
    const half = s ? s.length / 2 : 0;
    const f = this.fwd.forward(x, { ...opts, states: s ? s.slice(0, half) : null });
    const b = this.bwd.forward(reverseSequences(x, lengths), { ...opts, states: s ? s.slice(half) : null });
    return { output: concat([f.output, reverseSequences(b.output, lengths)], 2), states: [...f.states, ...b.states] };
  }
}
