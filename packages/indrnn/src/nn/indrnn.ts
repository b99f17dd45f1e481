/**
 * IndRNN layers and the deep architectures of the papers.
 *
 *   h_t = σ(W x_t + b + u ⊙ h_{t-1})          (CVPR 2018, eq. 2)
 *
 * Equivalent to the following loop, but computed as one GEMM over all T·B rows plus one fused scan:
 *   for t in 0..T-1:
 *     z = x[t] · Wᵀ + b                        // [B, N]
 *     h = act(z + u * h)                       // u: [N], elementwise
 *     out[t] = h
 *
 * Shape: x [T, B, F] time-major; out [T, B, N]; u [N]; states [B, N].
 */
import { Module, Parameter, ModuleList, parameter } from './module.js';
import { BatchNorm, Dropout, Linear, type BatchNormOptions } from './layers.js';
import { Encoder, type EncodeOptions, type EncodeResult } from './encoder.js';
import { initTensor, recurrentBound, type InitSpec } from '../init/init.js';
import { indrnnScan, indrnnScanProjected } from '../ops/recurrent.js';
import { linear } from '../ops/matmul.js';
import { concat } from '../ops/layout.js';
import type { Activation } from '../backend/backend.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/tape.js';
import { checkChoice, checkInt, checkNumber, fail } from '../util/errors.js';

export type BnMode = 'none' | 'sequence' | 'frame';
export type BnPosition = 'before' | 'after';

/** Knobs of one IndRNN recurrence (all optional; defaults follow the papers' code). */
export interface IndRecurrentOptions {
  /** relu (default, used in every experiment of the papers), tanh or identity. */
  activation?: Activation;
  /** Explicit bound for |u|; overrides gamma/seqLen. */
  uBound?: number;
  /** γ of the bound |u| <= γ^(1/T) (default 2 when seqLen is given). */
  gamma?: number;
  /** T of the bound: the training sequence length. */
  seqLen?: number;
  /** Clamp u to ±bound after each optimizer step (default: true when a bound is known). */
  constrain?: boolean;
  /** Init of u; default U(0, bound) (U(0, 1) without a bound). */
  recurrentInit?: InitSpec;
  /** Batch norm: none (default), sequence-wise (stats over T·B) or frame-wise (per step). */
  bn?: BnMode;
  /** BN before the recurrence (on W x + b) or after the activation (default 'after'). */
  bnPosition?: BnPosition;
  bnOptions?: BatchNormOptions;
  /**
   * Convolutional IndRNN: the hidden state is `positions` × channels (channels-last); BN statistics and,
   * unless perPositionU, the recurrent weight are per channel, shared by all positions (CVPR 2018 §4).
   */
  positions?: number;
  perPositionU?: boolean;
}

/** The bound on |u| implied by options, or null for unconstrained. */
export function boundFromOptions(o: IndRecurrentOptions): number | null {
  if (o.uBound !== undefined) return checkNumber('IndRNN', 'uBound', o.uBound, 0);
  if (o.seqLen !== undefined) {
    checkInt('IndRNN', 'seqLen', o.seqLen, 1);
    return recurrentBound(checkNumber('IndRNN', 'gamma', o.gamma ?? 2, Number.MIN_VALUE), o.seqLen);
  }
  return null;
}

/**
 * The recurrent part of an IndRNN layer (the authors' IndRNNwithBN): optional BN, the elementwise
 * recurrence with weight `weightHh` (u), optional BN after. Its input is already W x + b.
 */
export class IndRecurrent extends Module {
  readonly weightHh: Parameter;
  readonly norm: BatchNorm | null;
  readonly activation: Activation;
  readonly bound: number | null;
  readonly constrain: boolean;
  readonly bnPosition: BnPosition;

  /** Spatial positions sharing one recurrent weight per channel (1 for ordinary layers). */
  readonly positions: number;
  readonly channels: number;

  constructor(readonly hiddenSize: number, opts: IndRecurrentOptions = {}) {
    super();
    checkInt('IndRNN', 'hiddenSize', hiddenSize, 1);
    this.positions = checkInt('IndRNN', 'positions', opts.positions ?? 1, 1);
    if (hiddenSize % this.positions !== 0) fail(`IndRNN: hiddenSize ${hiddenSize} is not a multiple of positions ${this.positions}`);
    this.channels = hiddenSize / this.positions;
    this.activation = checkChoice('IndRNN', 'activation', opts.activation ?? 'relu', ['relu', 'tanh', 'identity']);
    const bn = checkChoice('IndRNN', 'bn', opts.bn ?? 'none', ['none', 'sequence', 'frame']);
    this.bnPosition = checkChoice('IndRNN', 'bnPosition', opts.bnPosition ?? 'after', ['before', 'after']);
    this.bound = boundFromOptions(opts);
    this.constrain = opts.constrain ?? this.bound !== null;
    if (this.constrain && this.bound === null) fail('IndRNN: constrain is set but no bound is given (pass uBound, or gamma and seqLen)');
    const uSize = opts.perPositionU || this.positions === 1 ? hiddenSize : this.channels;
    this.weightHh = this.registerParameter('weightHh', parameter([uSize]));
    initTensor(this.weightHh, opts.recurrentInit ?? { kind: 'uniform', low: 0, high: this.bound ?? 1 });
    this.norm = bn === 'none' ? null : this.registerModule('norm', new BatchNorm(this.channels, { ...opts.bnOptions, mode: bn }));
    this.applyConstraint();
  }

  /** Called with every hidden-state sequence h [T, B, N] this layer computes (neuron analysis). */
  onHidden: ((h: Tensor) => void) | null = null;

  /** z: [T, B, N] pre-activations (W x + b). Returns the output and the last state [B, N]. */
  forward(
    z: Tensor, h0: Tensor | null, lengths: Tensor | null, position: number, bias: Tensor | null = null,
  ): { output: Tensor; state: Tensor } {
    let input = z;
    let scanBias = bias;
    if (this.norm && this.bnPosition === 'before') {
      input = this.normalize(bias ? input.add(bias) : input, position, lengths);
      scanBias = null;
    }
    // a per-unit bias folds into the scan kernel; per-channel conv biases are added by the caller
    return this.finish(indrnnScan(input, this.fullU(), h0, lengths, this.activation, scanBias), position, lengths);
  }

  /**
   * The layer from its input: h = act(x · Wᵀ + b + u ⊙ h[t-1]). Narrow inputs go through the fused
   * projection scan (z is never stored); otherwise this is forward(x · Wᵀ, ..., b).
   */
  forwardProjected(
    x: Tensor, weight: Tensor, bias: Tensor | null, h0: Tensor | null, lengths: Tensor | null, position: number,
  ): { output: Tensor; state: Tensor } {
    if (!bias || (this.norm && this.bnPosition === 'before') || this.positions !== 1) {
      return this.forward(linear(x, weight, null), h0, lengths, position, bias);
    }
    return this.finish(indrnnScanProjected(x, weight, bias, this.fullU(), h0, lengths, this.activation), position, lengths);
  }

  /** Records the hidden states, takes the last state and applies BN after the recurrence. */
  private finish(h: Tensor, position: number, lengths: Tensor | null): { output: Tensor; state: Tensor } {
    this.onHidden?.(h);
    const T = h.shape[0]!;
    const state = h.slice([T - 1, 0, 0], [1, -1, -1]).reshape(h.shape.slice(1));
    const output = this.norm && this.bnPosition === 'after' ? this.normalize(h, position, lengths) : h;
    return { output, state };
  }

  /**
   * BN per channel over valid steps: positions are folded into the rows the statistics run over
   * (each position of a sequence has the sequence's length).
   */
  private normalize(x: Tensor, position: number, lengths: Tensor | null): Tensor {
    if (this.positions === 1) return this.norm!.forward(x, position, lengths);
    const [T, B] = x.shape as [number, number];
    const rowLengths = lengths ? repeatEach(lengths, this.positions) : null;
    return this.norm!.forward(x.reshape([T, B * this.positions, this.channels]), position, rowLengths).reshape(x.shape);
  }

  /** u for every hidden unit: per-channel weights repeated over positions (differentiably). */
  private fullU(): Tensor {
    if (this.weightHh.size === this.hiddenSize) return this.weightHh;
    return this.weightHh.reshape([1, this.channels]).broadcastTo([this.positions, this.channels]).reshape([this.hiddenSize]);
  }

  /** The |u| bound the layer enforces, or null when it enforces none. */
  get enforcedBound(): number | null {
    return this.constrain ? this.bound : null;
  }

  /** Clamps u to [-bound, bound] (the papers' constraint; not gradient clipping). */
  applyConstraint(): void {
    const b = this.enforcedBound;
    if (b === null) return;
    noGrad(() => this.weightHh.backend.clampInPlace(this.weightHh.storage, -b, b));
  }

  protected override extraRepr(): string {
    const parts = [String(this.hiddenSize)];
    if (this.activation !== 'relu') parts.push(this.activation);
    if (this.bound !== null) parts.push(`|u| <= ${this.bound.toFixed(6)}${this.constrain ? '' : ' (not enforced)'}`);
    if (this.norm) parts.push(`bn ${this.bnPosition}`);
    return parts.join(', ');
  }
}

/** int32 [B·k]: each of lengths [B] repeated k times in a row. */
function repeatEach(lengths: Tensor, k: number): Tensor {
  const host = lengths.data();
  const out = new Int32Array(host.length * k);
  for (let b = 0; b < host.length; b++) out.fill(host[b]!, b * k, (b + 1) * k);
  return tensor(out, [out.length], 'int32', lengths.backend);
}

/**
 * The bound of every enforced recurrent-weight constraint in a model, by parameter, for
 * Optimizer.step({ bounds }) (which clamps inside the update instead of one call per layer).
 */
export function recurrentBounds(model: Module): Map<Parameter, number> {
  const bounds = new Map<Parameter, number>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof IndRecurrent && m.enforcedBound !== null) bounds.set(m.weightHh, m.enforcedBound);
  }
  return bounds;
}

/** Applies the recurrent-weight constraint of every IndRNN layer in a model. */
export function applyRecurrentConstraints(model: Module): void {
  for (const [, m] of model.namedModules()) if (m instanceof IndRecurrent) m.applyConstraint();
}

/** Options shared by the IndRNN stacks. */
export interface IndRNNStackOptions extends IndRecurrentOptions {
  /** Init of the input weights W; default kaiming_uniform(a = 8) as the authors' PyTorch nets. */
  inputInit?: InitSpec;
  /** Init of the projection bias; default 0. */
  biasInit?: InitSpec;
  /**
   * Init of the last layer's u for tasks that read only the last step: U(γ^(-1/T), γ^(1/T)) per
   * Deep IndRNN §3.2 when true (needs gamma/seqLen), or an explicit spec.
   */
  lastLayerInit?: boolean | InitSpec;
}

function projection(inF: number, outF: number, o: IndRNNStackOptions): Linear {
  return new Linear(inF, outF, {
    weightInit: o.inputInit ?? { kind: 'kaimingUniform', a: 8 },
    biasInit: o.biasInit ?? { kind: 'constant', value: 0 },
  });
}

/** rec(proj(x)) with the projection's bias folded into the scan (one pass and one buffer less). */
function projectAndRecur(
  proj: Linear, rec: IndRecurrent, x: Tensor, h0: Tensor | null, lengths: Tensor | null, position: number,
): { output: Tensor; state: Tensor } {
  return rec.forwardProjected(x, proj.weight, proj.bias, h0, lengths, position);
}

function recurrentOptions(o: IndRNNStackOptions, last: boolean): IndRecurrentOptions {
  if (!last || !o.lastLayerInit) return o;
  if (typeof o.lastLayerInit === 'object') return { ...o, recurrentInit: o.lastLayerInit };
  if (o.seqLen === undefined) fail('IndRNN: lastLayerInit needs seqLen (and gamma) to compute U(γ^(-1/T), γ^(1/T))');
  const gamma = o.gamma ?? 2;
  const high = boundFromOptions(o)!;
  return { ...o, recurrentInit: { kind: 'uniform', low: Math.pow(gamma, -1 / o.seqLen), high } };
}

/** One IndRNN layer: projection W x + b over all steps, the recurrence (with BN), time-shared dropout. */
export class IndRNNLayer extends Module {
  readonly proj: Linear;
  readonly rec: IndRecurrent;
  readonly drop: Dropout;

  constructor(inputSize: number, hiddenSize: number, opts: IndRNNStackOptions & { dropout?: number } = {}, last = false) {
    super();
    this.proj = this.registerModule('proj', projection(inputSize, hiddenSize, opts));
    this.rec = this.registerModule('rec', new IndRecurrent(hiddenSize, recurrentOptions(opts, last)));
    this.drop = this.registerModule('drop', new Dropout(opts.dropout ?? 0));
  }

  forward(x: Tensor, h0: Tensor | null, lengths: Tensor | null, position: number): { output: Tensor; state: Tensor } {
    const r = projectAndRecur(this.proj, this.rec, x, h0, lengths, position);
    return { output: this.drop.forward(r.output), state: r.state };
  }
}

export interface PlainIndRNNConfig extends IndRNNStackOptions {
  type: 'indrnn';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Time-shared dropout after every layer (the authors' plain net drops after the last one too). */
  dropout?: number;
  /** Dropout after the last layer instead (the authors' PTB nets' dropout_last); default `dropout`. */
  dropoutLast?: number;
}

/** A plain stack of IndRNN layers (Fig. 1a / Deep IndRNN Fig. 3a). */
export class PlainIndRNN extends Encoder {
  readonly layers: ModuleList<IndRNNLayer>;
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly config: PlainIndRNNConfig) {
    super();
    this.inputSize = checkInt('IndRNN', 'inputSize', config.inputSize, 1);
    this.outputSize = checkInt('IndRNN', 'hiddenSize', config.hiddenSize, 1);
    const n = checkInt('IndRNN', 'numLayers', config.numLayers, 1);
    const layers: IndRNNLayer[] = [];
    for (let i = 0; i < n; i++) {
      const last = i === n - 1;
      const opts = last && config.dropoutLast !== undefined ? { ...config, dropout: config.dropoutLast } : config;
      layers.push(new IndRNNLayer(i === 0 ? config.inputSize : config.hiddenSize, config.hiddenSize, opts, last));
    }
    this.layers = this.registerModule('layers', new ModuleList(layers));
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const states: Tensor[] = [];
    let h = x;
    this.layers.items.forEach((layer, i) => {
      const r = layer.forward(h, this.stateAt(opts, i, this.layers.length), opts?.lengths ?? null, opts?.position ?? 0);
      h = r.output;
      states.push(r.state);
    });
    return { output: h, states };
  }
}

export interface ResidualIndRNNConfig extends IndRNNStackOptions {
  type: 'res-indrnn';
  inputSize: number;
  hiddenSize: number;
  numBlocks: number;
  dropout?: number;
  /** Dropout after the last recurrence instead (the authors' PTB res net's dropout_last); default `dropout`. */
  dropoutLast?: number;
}

/** Pre-activation residual block (the authors' _residualBlock_preact): x + fc2(rec2(fc1(rec1(x)))). */
export class ResidualBlock extends Module {
  readonly rec1: IndRecurrent;
  readonly drop1: Dropout;
  readonly fc1: Linear;
  readonly rec2: IndRecurrent;
  readonly drop2: Dropout;
  readonly fc2: Linear;

  constructor(hidden: number, opts: IndRNNStackOptions & { dropout?: number }) {
    super();
    this.rec1 = this.registerModule('rec1', new IndRecurrent(hidden, opts));
    this.drop1 = this.registerModule('drop1', new Dropout(opts.dropout ?? 0));
    this.fc1 = this.registerModule('fc1', projection(hidden, hidden, opts));
    this.rec2 = this.registerModule('rec2', new IndRecurrent(hidden, opts));
    this.drop2 = this.registerModule('drop2', new Dropout(opts.dropout ?? 0));
    this.fc2 = this.registerModule('fc2', projection(hidden, hidden, opts));
  }

  forward(x: Tensor, h0: [Tensor | null, Tensor | null], lengths: Tensor | null, position: number): { output: Tensor; states: Tensor[] } {
    const a = this.rec1.forward(x, h0[0], lengths, position);
    const b = projectAndRecur(this.fc1, this.rec2, this.drop1.forward(a.output), h0[1], lengths, position);
    const y2 = this.fc2.forward(this.drop2.forward(b.output));
    return { output: x.add(y2), states: [a.state, b.state] };
  }
}

/**
 * Residual IndRNN (Deep IndRNN Fig. 3b): fc0 → numBlocks pre-activation blocks → a last IndRNN
 * recurrence. numBlocks = 5 gives the paper's "res-IndRNN (12 layers)" (11 recurrences).
 */
export class ResidualIndRNN extends Encoder {
  readonly fc0: Linear;
  readonly blocks: ModuleList<ResidualBlock>;
  readonly recLast: IndRecurrent;
  readonly dropLast: Dropout;
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly config: ResidualIndRNNConfig) {
    super();
    this.inputSize = checkInt('ResidualIndRNN', 'inputSize', config.inputSize, 1);
    this.outputSize = checkInt('ResidualIndRNN', 'hiddenSize', config.hiddenSize, 1);
    const n = checkInt('ResidualIndRNN', 'numBlocks', config.numBlocks, 0);
    this.fc0 = this.registerModule('fc0', projection(config.inputSize, config.hiddenSize, config));
    const blocks: ResidualBlock[] = [];
    for (let i = 0; i < n; i++) blocks.push(new ResidualBlock(config.hiddenSize, config));
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.recLast = this.registerModule('recLast', new IndRecurrent(config.hiddenSize, recurrentOptions(config, true)));
    this.dropLast = this.registerModule('dropLast', new Dropout(config.dropoutLast ?? config.dropout ?? 0));
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const total = 2 * this.blocks.length + 1;
    const lengths = opts?.lengths ?? null;
    const position = opts?.position ?? 0;
    const states: Tensor[] = [];
    let h = this.fc0.forward(x);
    this.blocks.items.forEach((block, i) => {
      const r = block.forward(h, [this.stateAt(opts, 2 * i, total), this.stateAt(opts, 2 * i + 1, total)], lengths, position);
      h = r.output;
      states.push(...r.states);
    });
    const last = this.recLast.forward(h, this.stateAt(opts, total - 1, total), lengths, position);
    states.push(last.state);
    return { output: this.dropLast.forward(last.output), states };
  }
}

export interface DenseIndRNNConfig extends IndRNNStackOptions {
  type: 'dense-indrnn';
  inputSize: number;
  /** k: neurons each dense layer adds. */
  growthRate: number;
  /** Dense layers per block; the papers use [8, 6, 4]. */
  blockConfig: number[];
  /** Width of the first IndRNN layer (default 6k); 0 feeds the input straight into block 1 (PTB). */
  firstSize?: number;
  /** Bottleneck width = factor · k (default 4). */
  bottleneckFactor?: number;
  /** Adds a transition after the last block too (the authors' --add_last_layer; default true). */
  addLastLayer?: boolean;
  /** Dropout after the first layer / each dense layer / its bottleneck / transitions / last transition. */
  dropoutFirst?: number;
  dropout?: number;
  dropoutBottleneck?: number;
  dropoutTransition?: number;
  dropoutLast?: number;
}

/** Dense layer: bottleneck fc1 (f → 4k) + recurrence, fc2 (4k → k) + recurrence; output concat([x, new]). */
export class DenseLayer extends Module {
  readonly fc1: Linear;
  readonly rec1: IndRecurrent;
  readonly drop1: Dropout;
  readonly fc2: Linear;
  readonly rec2: IndRecurrent;
  readonly drop2: Dropout;

  constructor(inWidth: number, k: number, bottleneck: number, c: DenseIndRNNConfig) {
    super();
    this.fc1 = this.registerModule('fc1', projection(inWidth, bottleneck, c));
    this.rec1 = this.registerModule('rec1', new IndRecurrent(bottleneck, c));
    this.drop1 = this.registerModule('drop1', new Dropout(c.dropoutBottleneck ?? 0));
    this.fc2 = this.registerModule('fc2', projection(bottleneck, k, c));
    this.rec2 = this.registerModule('rec2', new IndRecurrent(k, c));
    this.drop2 = this.registerModule('drop2', new Dropout(c.dropout ?? 0));
  }

  forward(x: Tensor, h0: [Tensor | null, Tensor | null], lengths: Tensor | null, position: number): { output: Tensor; states: Tensor[] } {
    const a = projectAndRecur(this.fc1, this.rec1, x, h0[0], lengths, position);
    const b = projectAndRecur(this.fc2, this.rec2, this.drop1.forward(a.output), h0[1], lengths, position);
    return { output: concat([x, this.drop2.forward(b.output)], 2), states: [a.state, b.state] };
  }
}

/** Transition: fc (f → f/2) + recurrence + dropout. */
export class TransitionLayer extends Module {
  readonly fc: Linear;
  readonly rec: IndRecurrent;
  readonly drop: Dropout;

  constructor(inWidth: number, outWidth: number, c: DenseIndRNNConfig, p: number, last: boolean) {
    super();
    this.fc = this.registerModule('fc', projection(inWidth, outWidth, c));
    this.rec = this.registerModule('rec', new IndRecurrent(outWidth, recurrentOptions(c, last)));
    this.drop = this.registerModule('drop', new Dropout(p));
  }

  forward(x: Tensor, h0: Tensor | null, lengths: Tensor | null, position: number): { output: Tensor; state: Tensor } {
    const r = projectAndRecur(this.fc, this.rec, x, h0, lengths, position);
    return { output: this.drop.forward(r.output), state: r.state };
  }
}

/**
 * Densely connected IndRNN (Deep IndRNN Fig. 3c): first layer (6k), dense blocks whose layers append
 * k features each, transitions halving the width between blocks (and after the last with addLastLayer).
 */
export class DenseIndRNN extends Encoder {
  readonly fc0: Linear | null;
  readonly rec0: IndRecurrent | null;
  readonly drop0: Dropout | null;
  readonly blocks: ModuleList<ModuleList<DenseLayer>>;
  readonly transitions: ModuleList<TransitionLayer>;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly stateCount: number;

  constructor(readonly config: DenseIndRNNConfig) {
    super();
    const c = config;
    this.inputSize = checkInt('DenseIndRNN', 'inputSize', c.inputSize, 1);
    const k = checkInt('DenseIndRNN', 'growthRate', c.growthRate, 1);
    if (!Array.isArray(c.blockConfig) || c.blockConfig.length === 0) fail(`DenseIndRNN: blockConfig must be a non-empty list of layer counts, got ${JSON.stringify(c.blockConfig)}`);
    c.blockConfig.forEach((n, i) => checkInt('DenseIndRNN', `blockConfig[${i}]`, n, 1));
    const first = checkInt('DenseIndRNN', 'firstSize', c.firstSize ?? 6 * k, 0);
    const bottleneck = checkInt('DenseIndRNN', 'bottleneckFactor', c.bottleneckFactor ?? 4, 1) * k;
    const addLast = c.addLastLayer ?? true;
    let states = 0;
    if (first > 0) {
      this.fc0 = this.registerModule('fc0', projection(c.inputSize, first, c));
      this.rec0 = this.registerModule('rec0', new IndRecurrent(first, c));
      this.drop0 = this.registerModule('drop0', new Dropout(c.dropoutFirst ?? 0));
      states++;
    } else {
      this.fc0 = this.rec0 = this.drop0 = null;
    }
    let width = first > 0 ? first : c.inputSize;
    const blocks: ModuleList<DenseLayer>[] = [];
    const transitions: TransitionLayer[] = [];
    c.blockConfig.forEach((n, bi) => {
      const layers: DenseLayer[] = [];
      for (let i = 0; i < n; i++) {
        layers.push(new DenseLayer(width, k, bottleneck, c));
        width += k;
        states += 2;
      }
      blocks.push(new ModuleList(layers));
      const lastBlock = bi === c.blockConfig.length - 1;
      if (!lastBlock || addLast) {
        const out = Math.floor(width / 2);
        const p = lastBlock ? (c.dropoutLast ?? c.dropoutTransition ?? 0) : (c.dropoutTransition ?? 0);
        transitions.push(new TransitionLayer(width, out, c, p, lastBlock));
        width = out;
        states++;
      }
    });
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.transitions = this.registerModule('transitions', new ModuleList(transitions));
    this.outputSize = width;
    this.stateCount = states;
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    this.checkInput(x);
    const lengths = opts?.lengths ?? null;
    const position = opts?.position ?? 0;
    const states: Tensor[] = [];
    const next = (): Tensor | null => this.stateAt(opts, states.length, this.stateCount);
    let h = x;
    if (this.fc0 && this.rec0 && this.drop0) {
      const r = projectAndRecur(this.fc0, this.rec0, h, next(), lengths, position);
      h = this.drop0.forward(r.output);
      states.push(r.state);
    }
    this.blocks.items.forEach((block, bi) => {
      for (const layer of block.items) {
        const s0 = next();
        const s1 = opts?.states ? this.stateAt(opts, states.length + 1, this.stateCount) : null;
        const r = layer.forward(h, [s0, s1], lengths, position);
        h = r.output;
        states.push(...r.states);
      }
      const tr = this.transitions.items[bi];
      if (tr) {
        const r = tr.forward(h, next(), lengths, position);
        h = r.output;
        states.push(r.state);
      }
    });
    return { output: h, states };
  }
}
