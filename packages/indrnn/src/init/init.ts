/**
 * Initialisers: every scheme the IndRNN papers and code use, as data (InitSpec) so that model configs
 * can name them. All draw from the seeded generator.
 */
import { arrayFor } from '../tensor/dtype.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { fail } from '../util/errors.js';

export type InitSpec =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean?: number; std: number }
  | { kind: 'constant'; value: number }
  /** PyTorch kaiming_uniform_(a, mode='fan_in'): bound = sqrt(2 / (1 + a²)) · sqrt(3 / fan_in). */
  | { kind: 'kaimingUniform'; a?: number }
  /** PyTorch kaiming_normal_(a, mode='fan_in'): std = sqrt(2 / (1 + a²)) / sqrt(fan_in). */
  | { kind: 'kaimingNormal'; a?: number }
  | { kind: 'xavierUniform' }
  /** Identity matrix (IRNN recurrent weights); square 2-D only. */
  | { kind: 'identity'; scale?: number };

/** fan_in of a weight: the second axis of a 2-D [out, in] weight, else the size. */
function fanIn(shape: readonly number[]): number {
  return shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[0] ?? 1;
}

function fanOut(shape: readonly number[]): number {
  return shape[0] ?? 1;
}

/** Fills t in place according to spec. */
export function initTensor(t: Tensor, spec: InitSpec, generator?: Generator): Tensor {
  const gen = generator ?? defaultGenerator();
  const data = arrayFor(t.dtype, t.size);
  const uniform = (lo: number, hi: number): void => {
    for (let i = 0; i < data.length; i++) data[i] = gen.uniform(lo, hi);
  };
  switch (spec.kind) {
    case 'uniform':
      if (!(spec.high >= spec.low)) fail(`init uniform: high (${spec.high}) must be >= low (${spec.low})`);
      uniform(spec.low, spec.high);
      break;
    case 'normal':
      if (!(spec.std >= 0)) fail(`init normal: std must be >= 0, got ${spec.std}`);
      for (let i = 0; i < data.length; i++) data[i] = gen.normal(spec.mean ?? 0, spec.std);
      break;
    case 'constant':
      data.fill(spec.value);
      break;
    case 'kaimingUniform': {
      const a = spec.a ?? Math.sqrt(5);
      const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn(t.shape));
      uniform(-bound, bound);
      break;
    }
    case 'kaimingNormal': {
      const a = spec.a ?? 0;
      const std = Math.sqrt(2 / (1 + a * a)) / Math.sqrt(fanIn(t.shape));
      for (let i = 0; i < data.length; i++) data[i] = gen.normal(0, std);
      break;
    }
    case 'xavierUniform': {
      const bound = Math.sqrt(6 / (fanIn(t.shape) + fanOut(t.shape)));
      uniform(-bound, bound);
      break;
    }
    case 'identity': {
      if (t.rank !== 2 || t.shape[0] !== t.shape[1]) fail(`init identity: needs a square 2-D weight, got [${t.shape.join(', ')}]`);
      const n = t.shape[0]!;
      for (let i = 0; i < n; i++) data[i * n + i] = spec.scale ?? 1;
      break;
    }
    default:
      fail(`init: unknown scheme ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
  return t.assign(tensor(data, t.shape, t.dtype, t.backend));
}

/** The papers' recurrent-weight bound |u| <= γ^(1/T). */
export function recurrentBound(gamma: number, seqLen: number): number {
  if (!(gamma > 0) || !(seqLen >= 1)) fail(`recurrentBound: need gamma > 0 and seqLen >= 1, got gamma ${gamma}, seqLen ${seqLen}`);
  return Math.pow(gamma, 1 / seqLen);
}
