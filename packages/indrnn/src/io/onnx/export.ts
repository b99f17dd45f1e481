/**
 * ONNX export: a model's inference (eval-mode) forward as an ONNX graph, opset 17, IR version 8.
 *
 * The graph mirrors the library's forward op for op, so ONNX Runtime computes what `model.forward`
 * computes: each input projection is one MatMul over all T·B rows, BN uses its running statistics
 * (Sub, Div by sqrt(var + eps), Mul, Add, exactly as BatchNorm.forward in eval mode; frame-wise BN
 * gathers the statistics of positions 0..T-1), and each IndRNN recurrence is a Scan over time whose
 * body is h = act(z_t + u ⊙ h_{t-1}). LSTM and RNN layers use ONNX's LSTM/RNN operators (gates
 * reordered from PyTorch's i,f,g,o to ONNX's i,o,f,c), or Scans with `recurrentOps: 'scan'`.
 * Dropout is the identity at inference and is left out.
 *
 * Inputs: `input` float32 [T, B, F] (sequence models) or `ids` int64 [T, B] (language models), both
 * time-major with dynamic T and B; with the `lengths` option also `lengths` int64 [B]: steps at
 * t >= lengths[b] keep the state, as `forward(x, { lengths })` does, and an empty tensor means
 * "every sequence has length T". Outputs: `output` [B, outputSize] (read at step lengths[b] - 1) or
 * `logits` [T, B, vocabSize].
 */
import type { Parameter } from '../../nn/module.js';
import { BatchNorm, Linear } from '../../nn/layers.js';
import { Encoder } from '../../nn/encoder.js';
import { DenseIndRNN, IndRecurrent, PlainIndRNN, ResidualIndRNN } from '../../nn/indrnn.js';
import { ConvIndRNN } from '../../nn/conv.js';
import { Bidirectional, LSTM, RNN } from '../../nn/rnn.js';
import { LanguageModel, SequenceModel, type Model } from '../../nn/models.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fail } from '../../util/errors.js';
import { attr, GraphBuilder, tensorProto, valueInfo } from './graph.js';
import { encodeModelProto, OnnxDataType, type ModelProto } from './proto.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export interface OnnxExportOptions {
  /**
   * Add a `lengths` input, int64 [B] (default false: every sequence runs all T steps). ONNX Runtime
   * has no optional graph inputs in every binding, so it is an input the caller must feed; an empty
   * tensor stands for "all T".
   */
  lengths?: boolean;
  /** LSTM/RNN layers as ONNX LSTM/RNN operators ('native', default) or as Scans ('scan'). */
  recurrentOps?: 'native' | 'scan';
  /** Written into the model's doc_string. */
  docString?: string;
  /** producer_version (default the indrnn format version). */
  producerVersion?: string;
}

const FLOAT = OnnxDataType.FLOAT;
const INT64 = OnnxDataType.INT64;
const BOOL = OnnxDataType.BOOL;

const SUPPORTED = 'indrnn, res-indrnn, dense-indrnn, conv-indrnn, lstm, rnn and bidirectional encoders in SequenceModel and LanguageModel';

/** Everything the emitters share: the graph, the dynamic sizes and the sequence mask. */
interface Ctx {
  g: GraphBuilder;
  /** T as an int64 scalar. */
  T: string;
  /** B as int64 [1]. */
  B: string;
  /** [T, B] as int64 [2]. */
  TB: string;
  /** int64 [B]: lengths, or T for every sequence. */
  lens: string;
  /** bool [T, B, 1]: t < lengths[b]; null when the export has no lengths input. */
  mask: string | null;
  recurrentOps: 'native' | 'scan';
  /** Parameter and buffer names by tensor, and the initializers made so far. */
  names: Map<Tensor, string>;
  made: Map<Tensor, string>;
  constants: Map<string, string>;
}

/** The model's forward as ONNX bytes (protobuf). Browser-safe: no file system, no Node APIs. */
export function exportOnnx(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  return encodeModelProto(buildOnnxModel(model, options));
}

/** The ONNX ModelProto of exportOnnx, before serialization. */
export function buildOnnxModel(model: Model, options: OnnxExportOptions = {}): ModelProto {
  if (!(model instanceof SequenceModel) && !(model instanceof LanguageModel)) {
    fail(`exportOnnx: ${describe(model)} has no ONNX form yet; supported: ${SUPPORTED}`);
  }
  for (const [name, t] of model.stateDict()) {
    if (t.dtype !== 'float32') fail(`exportOnnx: '${name}' is ${t.dtype}; ONNX export writes float32 models (convert with model.to('float32'))`);
  }
  const recurrentOps = options.recurrentOps ?? 'native';
  if (recurrentOps !== 'native' && recurrentOps !== 'scan') fail(`exportOnnx: recurrentOps must be 'native' or 'scan', got ${JSON.stringify(recurrentOps)}`);
  const g = new GraphBuilder('indrnn');
  const lm = model instanceof LanguageModel;
  const x = lm
    ? g.input('ids', INT64, ['T', 'B'], 'token ids, time-major [T, B]')
    : g.input('input', FLOAT, ['T', 'B', model.encoder.inputSize], 'time-major [T, B, F]');
  const ctx = prologue(g, x, options.lengths ?? false, recurrentOps, model);
  if (model instanceof SequenceModel) {
    const out = encoder(ctx, model.encoder, x, 'encoder');
    const last = lastValidStep(ctx, out);
    const y = linear(ctx, model.head, last, 'head');
    g.output('output', y, FLOAT, ['B', model.head.outFeatures], 'the head on each sequence\'s last valid step [B, outputSize]');
  } else {
    const emb = g.op('Gather', [param(ctx, model.embedding.weight), x], [attr.int('axis', 0)], 'embedding');
    let h = encoder(ctx, model.encoder, emb, 'encoder');
    if (model.outputLayer) {
      h = recurrence(ctx, model.outputLayer.rec, linear(ctx, model.outputLayer.proj, h, 'outputLayer.proj'), 'outputLayer.rec');
    }
    if (model.outputNorm) h = batchNorm(ctx, model.outputNorm, h, 'outputNorm');
    let logits: string;
    if (model.decoder) {
      logits = linear(ctx, model.decoder, h, 'decoder');
    } else {
      const wt = g.op('Transpose', [param(ctx, model.embedding.weight)], [attr.ints('perm', [1, 0])], 'embedding.weight_t');
      logits = g.op('Add', [g.op('MatMul', [h, wt], [], 'decoder_matmul'), param(ctx, model.decoderBias!)], [], 'decoder');
    }
    g.output('logits', logits, FLOAT, ['T', 'B', model.config.vocabSize], 'logits for every step [T, B, vocabSize]');
  }
  const doc = options.docString ?? `indrnn ${lm ? 'language' : 'sequence'} model (${model.encoder.constructor.name}), eval mode`;
  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'indrnn',
    producerVersion: options.producerVersion ?? '1',
    docString: doc,
    graph: g.build(doc),
    metadataProps: [{ key: 'indrnn.config', value: JSON.stringify(model.config) }],
  };
}

function describe(m: unknown): string {
  return m && typeof m === 'object' ? `${(m as object).constructor.name}` : String(m);
}

/** Shapes, effective lengths and the step mask, computed once from the input. */
function prologue(g: GraphBuilder, x: string, withLengths: boolean, recurrentOps: 'native' | 'scan', model: Model): Ctx {
  const names = new Map<Tensor, string>();
  for (const [name, t] of model.stateDict()) names.set(t, name);
  const ctx: Ctx = { g, T: '', B: '', TB: '', lens: '', mask: null, recurrentOps, names, made: new Map(), constants: new Map() };
  const shape = g.op('Shape', [x], [], 'input_shape');
  ctx.T = g.op('Gather', [shape, ints(ctx, [0], true)], [attr.int('axis', 0)], 'T');
  ctx.B = g.op('Slice', [shape, ints(ctx, [1]), ints(ctx, [2])], [], 'B');
  ctx.TB = g.op('Slice', [shape, ints(ctx, [0]), ints(ctx, [2])], [], 'TB');
  const full = g.op('Expand', [g.op('Unsqueeze', [ctx.T, ints(ctx, [0])], [], 'T_1d'), ctx.B], [], 'full_lengths');
  ctx.lens = full;
  if (withLengths) {
    // concat + slice picks the given lengths, or T for all when lengths is empty
    g.input('lengths', INT64, [null], 'int64 [B]: true lengths (t >= lengths[b] keeps the state), or [] for all T');
    const both = g.op('Concat', ['lengths', full], [attr.int('axis', 0)], 'lengths_or_full');
    ctx.lens = g.op('Slice', [both, ints(ctx, [0]), ctx.B], [], 'lens');
    const steps = g.op('Range', [ints(ctx, [0], true), ctx.T, ints(ctx, [1], true)], [], 'steps');
    const stepCol = g.op('Unsqueeze', [steps, ints(ctx, [1])], [], 'steps_col');
    const lensRow = g.op('Unsqueeze', [ctx.lens, ints(ctx, [0])], [], 'lens_row');
    ctx.mask = g.op('Unsqueeze', [g.op('Less', [stepCol, lensRow], [], 'valid'), ints(ctx, [2])], [], 'mask');
  }
  return ctx;
}

/** The initializer of a model tensor, named as in the state dict; added on first use. */
function param(ctx: Ctx, t: Tensor | Parameter): string {
  const made = ctx.made.get(t);
  if (made) return made;
  const name = ctx.names.get(t);
  if (!name) fail('exportOnnx: internal error, a tensor the forward uses is not in the state dict');
  ctx.made.set(t, ctx.g.tensor(name, t));
  return name;
}

/** A shared int64 [n] constant. */
function ints(ctx: Ctx, values: number[], scalar = false): string {
  const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
  let name = ctx.constants.get(key);
  if (!name) {
    name = ctx.g.int64(scalar ? `c${values[0]}` : `c[${values.join(',')}]`, values, scalar);
    ctx.constants.set(key, name);
  }
  return name;
}

function linear(ctx: Ctx, lin: Linear, x: string, path: string): string {
  const g = ctx.g;
  const wt = g.op('Transpose', [param(ctx, lin.weight)], [attr.ints('perm', [1, 0])], `${path}.weight_t`);
  const y = g.op('MatMul', [x, wt], [], `${path}.matmul`);
  return lin.bias ? g.op('Add', [y, param(ctx, lin.bias)], [], path) : y;
}

/** Eval-mode batch norm over the last axis, as BatchNorm.forward computes it. */
/** Padded rows (t >= lengths[b]) of a [T, B, ...] tensor set to 0, as BatchNorm does with lengths. */
function zeroPadded(ctx: Ctx, y: string, path: string): string {
  if (!ctx.mask) return y;
  return ctx.g.op('Where', [ctx.mask, y, ctx.g.float(`${path}.zero`, 0)], [], `${path}.masked`);
}

/** Eval-mode BN of x [T, B, C] (or rows folded into B); `mask` zeroes padded rows as the library does. */
function batchNorm(ctx: Ctx, bn: BatchNorm, x: string, path: string, mask = true): string {
  const g = ctx.g;
  let mean = param(ctx, bn.runningMean);
  let variance = param(ctx, bn.runningVar);
  if (bn.mode === 'frame') {
    // statistics of positions 0..T-1, the later ones sharing the last stored position
    const positions = g.op('Min', [
      g.op('Range', [ints(ctx, [0], true), ctx.T, ints(ctx, [1], true)], [], `${path}.steps`),
      g.int64(`${path}.last_position`, [bn.maxPositions - 1], true),
    ], [], `${path}.positions`);
    const atSteps = (stat: string, what: string): string =>
      g.op('Unsqueeze', [g.op('Gather', [stat, positions], [attr.int('axis', 0)], `${path}.${what}_t`), ints(ctx, [1])], [], `${path}.${what}_t1c`);
    mean = atSteps(mean, 'mean');
    variance = atSteps(variance, 'var');
  }
  const scale = g.op('Sqrt', [g.op('Add', [variance, g.float(`${path}.eps`, bn.eps)], [], `${path}.var_eps`)], [], `${path}.std`);
  const normed = g.op('Div', [g.op('Sub', [x, mean], [], `${path}.centred`), scale], [], `${path}.normed`);
  const y = g.op('Add', [g.op('Mul', [normed, param(ctx, bn.weight)], [], `${path}.scaled`), param(ctx, bn.bias)], [], mask && ctx.mask ? `${path}.all_rows` : path);
  return mask ? zeroPadded(ctx, y, path) : y;
}

function zerosState(ctx: Ctx, width: number, path: string): string {
  const g = ctx.g;
  const shape = g.op('Concat', [ctx.B, ints(ctx, [width])], [attr.int('axis', 0)], `${path}.h0_shape`);
  return g.op('ConstantOfShape', [shape], [attr.tensor('value', tensorProto('', [1], FLOAT, [0]))], `${path}.h0`);
}

const ACTIVATION_OPS = { relu: 'Relu', tanh: 'Tanh', identity: 'Identity' } as const;

/** One IndRNN recurrence (with its BN) on pre-activations z [T, B, N]: a Scan over time. */
function recurrence(ctx: Ctx, rec: IndRecurrent, z: string, path: string): string {
  const g = ctx.g;
  const N = rec.hiddenSize;
  let input = z;
  if (rec.norm && rec.bnPosition === 'before') input = recNorm(ctx, rec, input, `${path}.norm`);
  let u = param(ctx, rec.weightHh);
  if (rec.weightHh.size !== N) {
    // one u per channel, repeated over the positions of a convolutional layer
    const row = g.op('Reshape', [u, ints(ctx, [1, rec.channels])], [], `${path}.u_row`);
    const grid = g.op('Expand', [row, ints(ctx, [rec.positions, rec.channels])], [], `${path}.u_grid`);
    u = g.op('Reshape', [grid, ints(ctx, [N])], [], `${path}.u`);
  }
  const body = new GraphBuilder(`${path}.step`, g);
  const hPrev = body.freshInput(`${path}.h_prev`, FLOAT, [null, N]);
  const zt = body.freshInput(`${path}.z_t`, FLOAT, [null, N]);
  const mt = ctx.mask ? body.freshInput(`${path}.mask_t`, BOOL, [null, 1]) : null;
  const pre = body.op('Add', [zt, body.op('Mul', [u, hPrev], [], `${path}.uh`)], [], `${path}.pre`);
  let h = body.op(ACTIVATION_OPS[rec.activation], [pre], [], `${path}.h_new`);
  if (mt) h = body.op('Where', [mt, h, hPrev], [], `${path}.h_kept`);
  const ht = body.op('Identity', [h], [], `${path}.h_t`);
  body.outputs.push(valueInfo(h, FLOAT, [null, N]), valueInfo(ht, FLOAT, [null, N]));
  const inputs = [zerosState(ctx, N, path), input, ...(ctx.mask ? [ctx.mask] : [])];
  const [, hs] = g.opN('Scan', inputs, 2, [attr.graph('body', body.build()), attr.int('num_scan_inputs', inputs.length - 1)], [`${path}.h_last`, `${path}.h`]);
  return rec.norm && rec.bnPosition === 'after' ? recNorm(ctx, rec, hs!, `${path}.norm`) : hs!;
}

/** BN per channel; a convolutional layer's positions are folded into the rows, as IndRecurrent does. */
function recNorm(ctx: Ctx, rec: IndRecurrent, x: string, path: string): string {
  if (rec.positions === 1) return batchNorm(ctx, rec.norm!, x, path);
  const g = ctx.g;
  const folded = g.op('Reshape', [x, ints(ctx, [0, -1, rec.channels])], [], `${path}.by_channel`);
  return zeroPadded(ctx, g.op('Reshape', [batchNorm(ctx, rec.norm!, folded, path, false), g.op('Shape', [x], [], `${path}.shape`)], [], `${path}.out`), `${path}.out`);
}

function encoder(ctx: Ctx, enc: Encoder, x: string, path: string): string {
  if (enc instanceof PlainIndRNN) {
    let h = x;
    enc.layers.items.forEach((layer, i) => {
      const p = `${path}.layers.${i}`;
      h = recurrence(ctx, layer.rec, linear(ctx, layer.proj, h, `${p}.proj`), `${p}.rec`);
    });
    return h;
  }
  if (enc instanceof ResidualIndRNN) {
    const g = ctx.g;
    let h = linear(ctx, enc.fc0, x, `${path}.fc0`);
    enc.blocks.items.forEach((block, i) => {
      const p = `${path}.blocks.${i}`;
      const a = recurrence(ctx, block.rec1, h, `${p}.rec1`);
      const b = recurrence(ctx, block.rec2, linear(ctx, block.fc1, a, `${p}.fc1`), `${p}.rec2`);
      h = g.op('Add', [h, linear(ctx, block.fc2, b, `${p}.fc2`)], [], p);
    });
    return recurrence(ctx, enc.recLast, h, `${path}.recLast`);
  }
  if (enc instanceof DenseIndRNN) {
    const g = ctx.g;
    let h = x;
    if (enc.fc0 && enc.rec0) h = recurrence(ctx, enc.rec0, linear(ctx, enc.fc0, h, `${path}.fc0`), `${path}.rec0`);
    enc.blocks.items.forEach((block, bi) => {
      block.items.forEach((layer, i) => {
        const p = `${path}.blocks.${bi}.${i}`;
        const a = recurrence(ctx, layer.rec1, linear(ctx, layer.fc1, h, `${p}.fc1`), `${p}.rec1`);
        const b = recurrence(ctx, layer.rec2, linear(ctx, layer.fc2, a, `${p}.fc2`), `${p}.rec2`);
        h = g.op('Concat', [h, b], [attr.int('axis', 2)], p);
      });
      const tr = enc.transitions.items[bi];
      if (tr) {
        const p = `${path}.transitions.${bi}`;
        h = recurrence(ctx, tr.rec, linear(ctx, tr.fc, h, `${p}.fc`), `${p}.rec`);
      }
    });
    return h;
  }
  if (enc instanceof ConvIndRNN) return convIndRNN(ctx, enc, x, path);
  if (enc instanceof LSTM) {
    let h = x;
    enc.layers.items.forEach((layer, i) => {
      const p = `${path}.layers.${i}`;
      h = ctx.recurrentOps === 'native' ? lstmNative(ctx, layer.weightIh, layer.weightHh, layer.bias, h, p) : lstmScan(ctx, layer.weightIh, layer.weightHh, layer.bias, h, p);
    });
    return h;
  }
  if (enc instanceof RNN) {
    let h = x;
    enc.layers.items.forEach((layer, i) => {
      const p = `${path}.layers.${i}`;
      h = ctx.recurrentOps === 'native'
        ? rnnNative(ctx, layer.weightIh, layer.weightHh, layer.bias, layer.nonlinearity, h, p)
        : rnnScan(ctx, layer.weightIh, layer.weightHh, layer.bias, layer.nonlinearity, h, p);
    });
    return h;
  }
  if (enc instanceof Bidirectional) {
    const g = ctx.g;
    const reverse = (v: string, name: string): string =>
      g.op('ReverseSequence', [v, ctx.lens], [attr.int('batch_axis', 1), attr.int('time_axis', 0)], name);
    const f = encoder(ctx, enc.fwd, x, `${path}.fwd`);
    const b = encoder(ctx, enc.bwd, reverse(x, `${path}.reversed_input`), `${path}.bwd`);
    return g.op('Concat', [f, reverse(b, `${path}.bwd_output`)], [attr.int('axis', 2)], path);
  }
  fail(`exportOnnx: the encoder at '${path}' (${describe(enc)}) has no ONNX form yet; supported: ${SUPPORTED}`);
}

/** Convolutional IndRNN: all T·B frames through one Conv (channels-first inside ONNX), then the recurrence. */
function convIndRNN(ctx: Ctx, enc: ConvIndRNN, x: string, path: string): string {
  const g = ctx.g;
  const spatial = enc.config.inputShape.slice(0, -1);
  const r = spatial.length;
  const toFirst = r === 1 ? [0, 2, 1] : [0, 3, 1, 2];
  const toLast = r === 1 ? [0, 2, 1] : [0, 2, 3, 1];
  const k = enc.config.kernelSize ?? 3;
  const pad = (k - 1) / 2;
  let h = x;
  let cin = enc.config.inputShape[r]!;
  enc.layers.items.forEach((layer, i) => {
    const p = `${path}.layers.${i}`;
    const cout = layer.conv.outChannels;
    const frames = g.op('Reshape', [h, ints(ctx, [-1, ...spatial, cin])], [], `${p}.frames`);
    const w = g.op('Transpose', [param(ctx, layer.conv.weight)], [attr.ints('perm', toFirst)], `${p}.conv.weight_oihw`);
    const conv = g.op('Conv', [g.op('Transpose', [frames], [attr.ints('perm', toFirst)], `${p}.frames_cf`), w, param(ctx, layer.conv.bias)], [
      attr.ints('kernel_shape', spatial.map(() => k)),
      attr.ints('pads', [...spatial.map(() => pad), ...spatial.map(() => pad)]),
      attr.ints('strides', spatial.map(() => 1)),
    ], `${p}.conv`);
    const back = g.op('Transpose', [conv], [attr.ints('perm', toLast)], `${p}.conv_cl`);
    const zShape = g.op('Concat', [ctx.TB, ints(ctx, [-1])], [attr.int('axis', 0)], `${p}.z_shape`);
    const z = g.op('Reshape', [back, zShape], [], `${p}.z`);
    let out = recurrence(ctx, layer.rec, z, `${p}.rec`);
    if (enc.config.residual && cin === cout) out = g.op('Add', [h, out], [], `${p}.residual`);
    h = out;
    cin = cout;
  });
  return h;
}

/** Rows of a [4H, ...] PyTorch-order (i, f, g, o) matrix in ONNX order (i, o, f, c). */
function iofc(data: ArrayLike<number>, H: number, cols: number): Float32Array {
  const out = new Float32Array(4 * H * cols);
  [0, 3, 1, 2].forEach((src, dst) => {
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < cols; c++) out[(dst * H + r) * cols + c] = data[(src * H + r) * cols + c]!;
    }
  });
  return out;
}

/** A native ONNX recurrent op's Y [T, 1, B, H] as [T, B, H]; masked steps keep the last valid state. */
function nativeOutput(ctx: Ctx, y: string, yh: string, path: string): string {
  const g = ctx.g;
  const seq = g.op('Squeeze', [y, ints(ctx, [1])], [], `${path}.y`);
  // ONNX writes zeros after a sequence's end; the library keeps the state there (h of the last valid step)
  return ctx.mask ? g.op('Where', [ctx.mask, seq, yh], [], `${path}.h`) : seq;
}

function lengths32(ctx: Ctx): string {
  let name = ctx.constants.get('lens32');
  if (!name) {
    name = ctx.g.op('Cast', [ctx.lens], [attr.int('to', OnnxDataType.INT32)], 'lens_int32');
    ctx.constants.set('lens32', name);
  }
  return name;
}

function lstmNative(ctx: Ctx, wih: Tensor, whh: Tensor, bias: Tensor, x: string, path: string): string {
  const g = ctx.g;
  const H = whh.shape[1]!;
  const I = wih.shape[1]!;
  const W = g.constant(`${path}.W_iofc`, [1, 4 * H, I], FLOAT, iofc(wih.data(), H, I));
  const R = g.constant(`${path}.R_iofc`, [1, 4 * H, H], FLOAT, iofc(whh.data(), H, H));
  const b = new Float32Array(8 * H);
  b.set(iofc(bias.data(), H, 1));
  const Bn = g.constant(`${path}.B_iofc`, [1, 8 * H], FLOAT, b);
  const [y, yh] = g.opN('LSTM', [x, W, R, Bn, ctx.mask ? lengths32(ctx) : ''], 3, [attr.int('hidden_size', H)], [`${path}.Y`, `${path}.Y_h`, `${path}.Y_c`]);
  return nativeOutput(ctx, y!, yh!, path);
}

const RNN_ACTIVATIONS = { tanh: ['Tanh'], relu: ['Relu'], identity: ['Affine'] } as const;

function rnnNative(ctx: Ctx, wih: Tensor, whh: Tensor, bias: Tensor, act: 'tanh' | 'relu' | 'identity', x: string, path: string): string {
  const g = ctx.g;
  const H = whh.shape[1]!;
  const I = wih.shape[1]!;
  const W = g.constant(`${path}.W`, [1, H, I], FLOAT, wih.data());
  const R = g.constant(`${path}.R`, [1, H, H], FLOAT, whh.data());
  const b = new Float32Array(2 * H);
  b.set(bias.data());
  const Bn = g.constant(`${path}.B`, [1, 2 * H], FLOAT, b);
  const attrs = [attr.int('hidden_size', H), attr.strings('activations', [...RNN_ACTIVATIONS[act]])];
  // Affine(x) = alpha·x + beta: the identity
  if (act === 'identity') attrs.push(attr.floats('activation_alpha', [1]), attr.floats('activation_beta', [0]));
  const [y, yh] = g.opN('RNN', [x, W, R, Bn, ctx.mask ? lengths32(ctx) : ''], 2, attrs, [`${path}.Y`, `${path}.Y_h`]);
  return nativeOutput(ctx, y!, yh!, path);
}

/**
 * The parts of an Elman RNN or LSTM Scan outside the loop: z = x Wihᵀ + b for every step at once,
 * and Whhᵀ for the loop body.
 */
function recurrentProjections(ctx: Ctx, wih: Tensor, whh: Tensor, bias: Tensor, x: string, path: string): { z: string; whhT: string } {
  const g = ctx.g;
  const z = g.op('Add', [g.op('MatMul', [x, g.op('Transpose', [param(ctx, wih)], [attr.ints('perm', [1, 0])], `${path}.weightIh_t`)], [], `${path}.xw`), param(ctx, bias)], [], `${path}.z`);
  const whhT = g.op('Transpose', [param(ctx, whh)], [attr.ints('perm', [1, 0])], `${path}.weightHh_t`);
  return { z, whhT };
}

/** Elman RNN as a Scan: h = act(x Wihᵀ + b + h_{t-1} Whhᵀ). */
function rnnScan(ctx: Ctx, wih: Tensor, whh: Tensor, bias: Tensor, act: 'tanh' | 'relu' | 'identity', x: string, path: string): string {
  const g = ctx.g;
  const H = whh.shape[1]!;
  const { z, whhT } = recurrentProjections(ctx, wih, whh, bias, x, path);
  const body = new GraphBuilder(`${path}.step`, g);
  const hPrev = body.freshInput(`${path}.h_prev`, FLOAT, [null, H]);
  const zt = body.freshInput(`${path}.z_t`, FLOAT, [null, H]);
  const mt = ctx.mask ? body.freshInput(`${path}.mask_t`, BOOL, [null, 1]) : null;
  const pre = body.op('Add', [zt, body.op('MatMul', [hPrev, whhT], [], `${path}.rec`)], [], `${path}.pre`);
  let h = body.op(ACTIVATION_OPS[act], [pre], [], `${path}.h_new`);
  if (mt) h = body.op('Where', [mt, h, hPrev], [], `${path}.h_kept`);
  const ht = body.op('Identity', [h], [], `${path}.h_t`);
  body.outputs.push(valueInfo(h, FLOAT, [null, H]), valueInfo(ht, FLOAT, [null, H]));
  const inputs = [zerosState(ctx, H, path), z, ...(ctx.mask ? [ctx.mask] : [])];
  return g.opN('Scan', inputs, 2, [attr.graph('body', body.build()), attr.int('num_scan_inputs', inputs.length - 1)], [`${path}.h_last`, `${path}.h`])[1]!;
}

/** LSTM as a Scan with PyTorch's gate order: gates = x Wihᵀ + b + h Whhᵀ split into i, f, g, o. */
function lstmScan(ctx: Ctx, wih: Tensor, whh: Tensor, bias: Tensor, x: string, path: string): string {
  const g = ctx.g;
  const H = whh.shape[1]!;
  const { z, whhT } = recurrentProjections(ctx, wih, whh, bias, x, path);
  const body = new GraphBuilder(`${path}.step`, g);
  const hPrev = body.freshInput(`${path}.h_prev`, FLOAT, [null, H]);
  const cPrev = body.freshInput(`${path}.c_prev`, FLOAT, [null, H]);
  const zt = body.freshInput(`${path}.z_t`, FLOAT, [null, 4 * H]);
  const mt = ctx.mask ? body.freshInput(`${path}.mask_t`, BOOL, [null, 1]) : null;
  const gates = body.op('Add', [zt, body.op('MatMul', [hPrev, whhT], [], `${path}.rec`)], [], `${path}.gates`);
  const [gi, gf, gg, go] = body.opN('Split', [gates], 4, [attr.int('axis', 1)], ['i', 'f', 'g', 'o'].map((s) => `${path}.${s}_pre`));
  const i = body.op('Sigmoid', [gi!], [], `${path}.i`);
  const f = body.op('Sigmoid', [gf!], [], `${path}.f`);
  const gc = body.op('Tanh', [gg!], [], `${path}.g`);
  const o = body.op('Sigmoid', [go!], [], `${path}.o`);
  let c = body.op('Add', [body.op('Mul', [f, cPrev], [], `${path}.fc`), body.op('Mul', [i, gc], [], `${path}.ig`)], [], `${path}.c_new`);
  let h = body.op('Mul', [o, body.op('Tanh', [c], [], `${path}.tanh_c`)], [], `${path}.h_new`);
  if (mt) {
    h = body.op('Where', [mt, h, hPrev], [], `${path}.h_kept`);
    c = body.op('Where', [mt, c, cPrev], [], `${path}.c_kept`);
  }
  const ht = body.op('Identity', [h], [], `${path}.h_t`);
  body.outputs.push(valueInfo(h, FLOAT, [null, H]), valueInfo(c, FLOAT, [null, H]), valueInfo(ht, FLOAT, [null, H]));
  const h0 = zerosState(ctx, H, path);
  const inputs = [h0, h0, z, ...(ctx.mask ? [ctx.mask] : [])];
  return g.opN('Scan', inputs, 3, [attr.graph('body', body.build()), attr.int('num_scan_inputs', inputs.length - 2)], [`${path}.h_last`, `${path}.c_last`, `${path}.h`])[2]!;
}

/** output[lengths[b] - 1, b] for every b: [B, H]. */
function lastValidStep(ctx: Ctx, out: string): string {
  const g = ctx.g;
  const batchFirst = g.op('Transpose', [out], [attr.ints('perm', [1, 0, 2])], 'encoder_output_bth');
  const idx = g.op('Unsqueeze', [g.op('Sub', [ctx.lens, ints(ctx, [1])], [], 'last_step'), ints(ctx, [1])], [], 'last_step_idx');
  return g.op('GatherND', [batchFirst, idx], [attr.int('batch_dims', 1)], 'last_valid');
}

