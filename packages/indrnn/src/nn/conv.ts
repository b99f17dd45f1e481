/**
 * Convolutional IndRNN (CVPR 2018 §4): the input projection is a convolution instead of a dense map,
 *   h_t = σ(W ∗ x_t + b + u ⊙ h_{t-1}),
 * computed for all T·B frames at once (im2col + one GEMM), followed by the usual elementwise recurrence
 * with one recurrent weight per channel (optionally per channel and position), batch norm per channel
 * and optional residual connections.
 *
 * Shape: x [T, B, F] with F = prod(inputShape), each step laid out channels-last as inputShape
 * ([L, C] for a 1-D convolution over L positions, [H, W, C] for 2-D); output [T, B, P·Cout] where
 * P = the number of output positions.
 */
import { Module, ModuleList, Parameter, parameter } from './module.js';
import { Dropout } from './layers.js';
import { Encoder, type EncodeOptions, type EncodeResult } from './encoder.js';
import { IndRecurrent, boundFromOptions, type IndRNNStackOptions } from './indrnn.js';
import { initTensor, type InitSpec } from '../init/init.js';
import { conv1d, conv2d } from '../ops/conv.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInt, fail } from '../util/errors.js';

export interface ConvIndRNNConfig extends IndRNNStackOptions {
  type: 'conv-indrnn';
  /** One step's input, channels-last: [L, C] (1-D convolution) or [H, W, C] (2-D). */
  inputShape: number[];
  /** Output channels of each layer. */
  channels: number[];
  /** Odd kernel size (same padding keeps the spatial size); default 3. */
  kernelSize?: number;
  /** x + layer(x) for layers whose input and output channels match. */
  residual?: boolean;
  /** One u per (channel, position) instead of per channel. */
  perPositionU?: boolean;
  dropout?: number;
}

/** Channels-last convolution weight [Cout, K(, K), Cin] and bias [Cout]. */
export class ConvProjection extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(readonly spatial: number[], readonly inChannels: number, readonly outChannels: number, readonly kernel: number, init: InitSpec) {
    super();
    const kdims = spatial.map(() => kernel);
    this.weight = this.registerParameter('weight', parameter([outChannels, ...kdims, inChannels]));
    this.bias = this.registerParameter('bias', parameter([outChannels]));
    initTensor(this.weight, init);
    initTensor(this.bias, { kind: 'constant', value: 0 });
  }

  /** x [N, ...spatial, Cin] → [N, ...spatial, Cout]. */
  forward(x: Tensor): Tensor {
    return this.spatial.length === 1 ? conv1d(x, this.weight, this.bias) : conv2d(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `${this.inChannels} → ${this.outChannels}, kernel ${this.spatial.map(() => this.kernel).join('×')}`;
  }
}

export class ConvIndRNNLayer extends Module {
  readonly conv: ConvProjection;
  readonly rec: IndRecurrent;
  readonly drop: Dropout;

  constructor(spatial: number[], cin: number, cout: number, c: ConvIndRNNConfig, last: boolean) {
    super();
    const k = c.kernelSize ?? 3;
    this.conv = this.registerModule('conv', new ConvProjection(spatial, cin, cout, k, c.inputInit ?? { kind: 'kaimingUniform', a: 8 }));
    const positions = spatial.reduce((a, b) => a * b, 1);
    let recOpts = { ...c, positions, perPositionU: c.perPositionU ?? false };
    if (last && c.lastLayerInit && c.seqLen !== undefined) {
      const gamma = c.gamma ?? 2;
      recOpts = { ...recOpts, recurrentInit: { kind: 'uniform', low: Math.pow(gamma, -1 / c.seqLen), high: boundFromOptions(c)! } };
    }
    this.rec = this.registerModule('rec', new IndRecurrent(positions * cout, recOpts));
    this.drop = this.registerModule('drop', new Dropout(c.dropout ?? 0));
  }
}

export class ConvIndRNN extends Encoder {
  readonly layers: ModuleList<ConvIndRNNLayer>;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly spatial: number[];
  private readonly inChannels: number;

  constructor(readonly config: ConvIndRNNConfig) {
    super();
    const shape = config.inputShape;
    if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3)) {
      fail(`ConvIndRNN: inputShape must be [L, C] or [H, W, C], got ${JSON.stringify(shape)}`);
    }
    shape.forEach((d, i) => checkInt('ConvIndRNN', `inputShape[${i}]`, d, 1));
    if (!Array.isArray(config.channels) || config.channels.length === 0) fail(`ConvIndRNN: channels must list each layer's output channels, got ${JSON.stringify(config.channels)}`);
    config.channels.forEach((c, i) => checkInt('ConvIndRNN', `channels[${i}]`, c, 1));
    const k = checkInt('ConvIndRNN', 'kernelSize', config.kernelSize ?? 3, 1);
    if (k % 2 === 0) fail(`ConvIndRNN: kernelSize must be odd (same padding), got ${k}`);
    this.spatial = shape.slice(0, -1);
    this.inChannels = shape[shape.length - 1]!;
    const positions = this.spatial.reduce((a, b) => a * b, 1);
    this.inputSize = positions * this.inChannels;
    const layers: ConvIndRNNLayer[] = [];
    let cin = this.inChannels;
    config.channels.forEach((cout, i) => {
      layers.push(new ConvIndRNNLayer(this.spatial, cin, cout, config, i === config.channels.length - 1));
      cin = cout;
    });
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.outputSize = positions * cin;
  }

  forward(x: Tensor, opts?: EncodeOptions): EncodeResult {
    const [T, B] = this.checkInput(x);
    const states: Tensor[] = [];
    let h = x;
    let cin = this.inChannels;
    this.layers.items.forEach((layer, i) => {
      const cout = layer.conv.outChannels;
      // all T·B frames through the convolution at once
      const frames = h.reshape([T * B, ...this.spatial, cin]);
      const z = layer.conv.forward(frames).reshape([T, B, -1]);
      const r = layer.rec.forward(z, this.stateAt(opts, i, this.layers.length), opts?.lengths ?? null, opts?.position ?? 0);
      let out = layer.drop.forward(r.output);
      if (this.config.residual && cin === cout) out = h.add(out);
      h = out;
      cin = cout;
      states.push(r.state);
    });
    return { output: h, states };
  }
}
