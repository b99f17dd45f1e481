/**
 * Channels-last convolutions as im2col + one GEMM: conv2d over [N, H, W, C] images and conv1d over
 * [N, L, C] sequences of positions (e.g. the pixels of an image row, the joints of a skeleton).
 * Padding 'same' keeps the spatial size for odd kernels at stride 1.
 */
import type { ConvGeometry } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { referenceBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { convOutputSize } from '../backend/reference/conv.js';
import { fail, fmtShape } from '../util/errors.js';
import { checkFloat, checkRank, sameBackend, wrap } from './util.js';
import { matmul } from './matmul.js';

function kernelsFor(x: Tensor): { im2col: (s: unknown, g: ConvGeometry) => unknown; col2im: (s: unknown, g: ConvGeometry) => unknown } {
  const b = x.backend;
  // host backends share storage with the reference backend, so its kernels are a correct fallback
  const ref = referenceBackend();
  return {
    im2col: b.im2col ? b.im2col.bind(b) : ref.im2col!.bind(ref),
    col2im: b.col2im ? b.col2im.bind(b) : ref.col2im!.bind(ref),
  };
}

/** x [N, H, W, C] → cols [N·OH·OW, KH·KW·C]; backward is col2im. */
export function im2col(x: Tensor, g: ConvGeometry): Tensor {
  const k = kernelsFor(x);
  const [OH, OW] = convOutputSize(g);
  const cols = wrap(k.im2col(x.storage, g), [g.N * OH * OW, g.KH * g.KW * g.C], x);
  record('im2col', [x], [cols], ([d]) => [wrap(k.col2im(d!.storage, g), x.shape, x)]);
  return cols;
}

export interface ConvOptions {
  stride?: number;
  /** 'same' (default; odd kernels at stride 1 keep the size) or an explicit padding. */
  padding?: 'same' | number;
}

/** im2col + GEMM + bias for 4-D channels-last input, once the geometry is fixed. */
function convCore(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry, Cout: number): Tensor {
  const [OH, OW] = convOutputSize(g);
  if (OH < 1 || OW < 1) fail(`conv: a ${g.KH}×${g.KW} kernel does not fit ${g.H}×${g.W} inputs with padding ${g.padH}×${g.padW}`);
  let y = matmul(im2col(x, g), weight.reshape([Cout, g.KH * g.KW * g.C]), false, true);
  if (bias) y = y.add(bias);
  return y.reshape([g.N, OH, OW, Cout]);
}

function padFor(k: number, padding: ConvOptions['padding']): number {
  return padding === undefined || padding === 'same' ? (k - 1) >> 1 : padding;
}

/** 2-D convolution: x [N, H, W, C], weight [Cout, KH, KW, C], bias [Cout] → [N, OH, OW, Cout]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions = {}): Tensor {
  checkRank('conv2d', 'input', x, 4, '[N, H, W, C] channels-last');
  checkRank('conv2d', 'weight', weight, 4, '[Cout, KH, KW, C]');
  checkFloat('conv2d', 'input', x);
  sameBackend('conv2d', x, weight, ...(bias ? [bias] : []));
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [Cout, KH, KW, Cw] = weight.shape as [number, number, number, number];
  if (Cw !== C) fail(`conv2d: input has ${C} channels in ${fmtShape(x.shape)}, but the weight ${fmtShape(weight.shape)} expects ${Cw}`);
  const stride = opts.stride ?? 1;
  const g: ConvGeometry = { N, H, W, C, KH, KW, padH: padFor(KH, opts.padding), padW: padFor(KW, opts.padding), strideH: stride, strideW: stride };
  return convCore(x, weight, bias, g, Cout);
}

/** 1-D convolution: x [N, L, C], weight [Cout, K, C], bias [Cout] → [N, OL, Cout]. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions = {}): Tensor {
  checkRank('conv1d', 'input', x, 3, '[N, L, C] channels-last');
  checkRank('conv1d', 'weight', weight, 3, '[Cout, K, C]');
  checkFloat('conv1d', 'input', x);
  sameBackend('conv1d', x, weight, ...(bias ? [bias] : []));
  const [N, L, C] = x.shape as [number, number, number];
  const [Cout, K, Cw] = weight.shape as [number, number, number];
  if (Cw !== C) fail(`conv1d: input has ${C} channels in ${fmtShape(x.shape)}, but the weight ${fmtShape(weight.shape)} expects ${Cw}`);
  const g: ConvGeometry = { N, H: 1, W: L, C, KH: 1, KW: K, padH: 0, padW: padFor(K, opts.padding), strideH: 1, strideW: opts.stride ?? 1 };
  const y = convCore(x.reshape([N, 1, L, C]), weight.reshape([Cout, 1, K, C]), bias, g, Cout);
  return y.reshape([N, y.shape[2]!, Cout]);
}
