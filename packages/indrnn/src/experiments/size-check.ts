/**
 * Sizes that settings imply, checked before anything is allocated: the largest weight matrix and
 * the largest per-layer activation of a batch. A setting that makes either larger than one array can
 * hold fails naming the flag and the size, instead of "Invalid typed array length" from deep inside
 * a layer (or after the run folder was made).
 */
import type { EncoderConfig, ModelConfig } from '../nn/models.js';
import type { Settings } from './settings.js';
import { fail } from '../util/errors.js';

/** The most values one tensor may hold: 2³¹ − 1 (8 GiB of float32; kernels index with 32-bit ints in places). */
export const MAX_TENSOR_VALUES = 2 ** 31 - 1;

interface Sizes {
  /** Largest weight matrix: rows × cols, and the flags that set it. */
  weight: { rows: number; cols: number; what: string; flags: string };
  /** Widest layer output (a step's features) and the flags that set it. */
  width: { value: number; flags: string };
  /** Approximate parameter count (weight matrices). */
  parameters: number;
}

function encoderSizes(e: EncoderConfig, s: Settings): Sizes {
  const big = (rows: number, cols: number, what: string, flags: string) => ({ rows, cols, what, flags });
  switch (e.type) {
    case 'indrnn':
    case 'res-indrnn': {
      const H = e.hiddenSize;
      const n = e.type === 'indrnn' ? e.numLayers : 2 * e.numBlocks + 1;
      return { weight: big(H, Math.max(e.inputSize, H), 'a layer\'s input weights', `--hidden ${H}`), width: { value: H, flags: `--hidden ${H}` }, parameters: H * e.inputSize + (n - 1) * H * H };
    }
    case 'lstm':
    case 'rnn': {
      const H = e.hiddenSize;
      const g = e.type === 'lstm' ? 4 : 1;
      const n = e.numLayers ?? 1;
      return { weight: big(g * H, Math.max(e.inputSize, H), 'a layer\'s weights', `--hidden ${H}`), width: { value: g * H, flags: `--hidden ${H}` }, parameters: n * g * H * (Math.max(e.inputSize, H) + H) };
    }
    case 'dense-indrnn': {
      const k = e.growthRate;
      const bottleneck = (e.bottleneckFactor ?? 4) * k;
      let width = (e.firstSize ?? 6 * k) || e.inputSize;
      let widest = Math.max(width, bottleneck);
      const dense = `--growth ${k} with --block-config ${e.blockConfig.join(',')}`;
      let weight = big(width, e.inputSize, 'the first layer\'s weights', dense);
      let params = width * e.inputSize;
      const consider = (rows: number, cols: number, what: string): void => {
        params += rows * cols;
        if (rows * cols > weight.rows * weight.cols) weight = big(rows, cols, what, dense);
      };
      e.blockConfig.forEach((n, bi) => {
        for (let i = 0; i < n; i++) {
          consider(bottleneck, width, 'a dense layer\'s bottleneck weights');
          consider(k, bottleneck, 'a dense layer\'s weights');
          width += k;
        }
        widest = Math.max(widest, width);
        if (bi < e.blockConfig.length - 1 || (e.addLastLayer ?? true)) {
          consider(Math.floor(width / 2), width, 'a transition\'s weights');
          width = Math.floor(width / 2);
        }
      });
      return { weight, width: { value: widest, flags: dense }, parameters: params };
    }
    case 'conv-indrnn': {
      const positions = e.inputShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const widest = Math.max(...e.channels);
      const K = (e.kernelSize ?? 3) ** (e.inputShape.length - 1);
      return { weight: big(widest, K * widest, 'a convolution\'s weights', `--channels ${e.channels.join(',')}`), width: { value: positions * widest, flags: `--channels ${e.channels.join(',')}` }, parameters: e.channels.length * widest * K * widest };
    }
    default:
      return { weight: big(s.hidden, s.hidden, 'a layer\'s weights', `--hidden ${s.hidden}`), width: { value: s.hidden, flags: `--hidden ${s.hidden}` }, parameters: s.hidden * s.hidden };
  }
}

function modelSizes(config: ModelConfig, s: Settings): Sizes {
  const enc = encoderSizes(config.encoder, s);
  if (config.kind === 'lm') {
    const table = config.vocabSize * config.embedSize;
    const parameters = enc.parameters + table;
    // the decoder's logits [T, B, V] are the widest activation of a language model
    if (config.vocabSize > enc.width.value) enc.width = { value: config.vocabSize, flags: 'the vocabulary' };
    if (table > enc.weight.rows * enc.weight.cols) {
      return { ...enc, parameters, weight: { rows: config.vocabSize, cols: config.embedSize, what: 'the embedding table (vocabulary × embedding)', flags: `--embed-size ${config.embedSize}` } };
    }
    return { ...enc, parameters };
  }
  return { ...enc, parameters: enc.parameters + config.outputSize * enc.width.value };
}

const n = (v: number): string => (v >= 1e7 ? v.toExponential(2) : v.toLocaleString('en-US'));

/**
 * Throws, naming the flags, when the model for these settings or one batch of its activations is
 * larger than a tensor can be. Returns the approximate parameter count (for a memory estimate).
 */
export function checkSettingsFit(s: Settings, config: ModelConfig): number {
  const sz = modelSizes(config, s);
  const w = sz.weight;
  const values = w.rows * w.cols;
  if (values > MAX_TENSOR_VALUES) {
    fail(`${w.flags} makes the model too large: ${w.what} would be ${n(w.rows)} × ${n(w.cols)} = ${n(values)} values, and one tensor holds at most ${n(MAX_TENSOR_VALUES)}; reduce ${w.flags.split(' ')[0]}`);
  }
  const T = s.seqLen;
  const B = s.batchSize;
  const act = T * B * sz.width.value;
  if (act > MAX_TENSOR_VALUES) {
    fail(`--seq-len ${T} with --batch-size ${B} makes a batch too large: one layer's activations would be ${n(T)} × ${n(B)} × ${n(sz.width.value)} (${sz.width.flags}) = ${n(act)} values, and one tensor holds at most ${n(MAX_TENSOR_VALUES)}; reduce --seq-len or --batch-size`);
  }
  return sz.parameters;
}
