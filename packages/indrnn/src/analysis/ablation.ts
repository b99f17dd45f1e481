/**
 * Single-neuron ablation (CVPR 2018 §5.1.1, Fig. 4): after a 2-layer IndRNN has learned the adding
 * problem, keep only ONE neuron of the last layer (the long-memory one) and a 1→1 output layer, and
 * fine-tune only that output layer. The paper finds this single neuron still solves the task, which is
 * possible only because IndRNN neurons are independent.
 */
import type { SequenceModel } from '../nn/models.js';
import { PlainIndRNN } from '../nn/indrnn.js';
import { Linear } from '../nn/layers.js';
import { Adam } from '../optim/optimizer.js';
import { indrnnScan } from '../ops/recurrent.js';
import { linear } from '../ops/matmul.js';
import { mseLoss } from '../ops/loss.js';
import { noGrad } from '../autograd/tape.js';
import { addingBatch } from '../data/adding.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';
import { fail } from '../util/errors.js';

export interface AblationOptions {
  seqLen: number;
  /** Fine-tuning steps of the 1→1 output layer (it starts at the least-squares readout). */
  steps?: number;
  lr?: number;
  batchSize?: number;
  /** Sequences used to pick the neuron and to measure the final MSE. */
  evalSize?: number;
  seed?: number;
  /** Pick a specific neuron instead of the best one. */
  neuron?: number;
}

export interface AblationResult {
  /** Index of the kept neuron in the last layer. */
  neuron: number;
  /** Its recurrent weight u. */
  u: number;
  /** Test MSE of the full model. */
  fullMse: number;
  /** Test MSE of the single-neuron model after fine-tuning the output layer. */
  singleMse: number;
  /** The fine-tuning curve: [step, training MSE]. */
  curve: [number, number][];
  /** Per-neuron MSE of the best linear readout of that neuron alone (how the neuron was picked). */
  readoutMse: number[];
}

/** Last-step activation [B, N] of the last layer, and the encoder's input to that layer. */
function lastLayerStates(enc: PlainIndRNN, x: Tensor): { below: Tensor; hLast: Tensor } {
  let h = x;
  for (let i = 0; i < enc.layers.length - 1; i++) h = enc.layers.at(i).forward(h, null, null, 0).output;
  const last = enc.layers.at(enc.layers.length - 1).forward(h, null, null, 0);
  return { below: h, hLast: last.state };
}

/** Least-squares fit y ≈ a·h + c: [a, c]. */
function leastSquares(h: ArrayLike<number>, y: ArrayLike<number>): [number, number] {
  const n = y.length;
  let mh = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mh += h[i]!;
    my += y[i]!;
  }
  mh /= n;
  my /= n;
  let shh = 0;
  let shy = 0;
  for (let i = 0; i < n; i++) {
    shh += (h[i]! - mh) ** 2;
    shy += (h[i]! - mh) * (y[i]! - my);
  }
  const a = shh > 0 ? shy / shh : 0;
  return [a, my - a * mh];
}

/** MSE of the least-squares readout y ≈ a·h + c of one column h. */
function readoutMse(h: ArrayLike<number>, y: ArrayLike<number>): number {
  const [a, c] = leastSquares(h, y);
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (y[i]! - a * h[i]! - c) ** 2;
  return sum / y.length;
}

export function singleNeuronAblation(model: SequenceModel, opts: AblationOptions): AblationResult {
  const enc = model.encoder;
  if (!(enc instanceof PlainIndRNN) || enc.layers.length < 2) fail('singleNeuronAblation: needs a plain IndRNN with at least 2 layers (train with --model indrnn --layers 2)');
  if (enc.inputSize !== 2 || model.head.outFeatures !== 1) fail('singleNeuronAblation: needs an adding-problem model (input 2, one output)');
  const last = enc.layers.at(enc.layers.length - 1);
  if (last.rec.norm) fail('singleNeuronAblation: the last layer has batch norm; the ablation reads raw neuron states');
  const N = last.rec.hiddenSize;
  const gen = new Generator(opts.seed ?? 7);
  const evalSize = opts.evalSize ?? 1000;
  model.eval();
  const test = addingBatch({ seqLen: opts.seqLen, batchSize: evalSize, generator: gen });
  const { fullMse, hLast } = noGrad(() => ({
    fullMse: mseLoss(model.forward(test.x), test.y).item(),
    hLast: lastLayerStates(enc, test.x).hLast.data(),
  }));
  const y = test.y.data();
  const readout = Array.from({ length: N }, (_, n) => readoutMse(Array.from({ length: evalSize }, (_, b) => hLast[b * N + n]!), y));
  const neuron = opts.neuron ?? readout.indexOf(Math.min(...readout));
  if (!(neuron >= 0 && neuron < N)) fail(`singleNeuronAblation: neuron ${neuron} is outside 0..${N - 1}`);

  // the kept neuron's own weights: row `neuron` of W and b, and u[neuron]
  const W = last.proj.weight.data();
  const H = last.proj.inFeatures;
  const w = tensor(W.slice(neuron * H, (neuron + 1) * H), [1, H]);
  const b = tensor(Float32Array.of(last.proj.bias ? last.proj.bias.data()[neuron]! : 0), [1]);
  const u = tensor(Float32Array.of(last.rec.weightHh.data()[neuron]!), [1]);
  const neuronState = (x: Tensor): Tensor => noGrad(() => {
    const below = lastLayerStates(enc, x).below;
    const h = indrnnScan(linear(below, w, b), u, null, null, last.rec.activation);
    const T = h.shape[0]!;
    return h.slice([T - 1, 0, 0], [1, -1, 1]).reshape([x.shape[1]!, 1]);
  });

  // start the 1→1 output layer at the least-squares readout of a training batch, then fine-tune it
  const head = new Linear(1, 1);
  const fitBatch = addingBatch({ seqLen: opts.seqLen, batchSize: evalSize, generator: gen });
  const [a, c] = leastSquares(neuronState(fitBatch.x).data(), fitBatch.y.data());
  head.weight.assign(tensor(Float32Array.of(a), [1, 1]));
  head.bias!.assign(tensor(Float32Array.of(c), [1]));
  const opt = new Adam(head.parameters(), { lr: opts.lr ?? 1e-3 });
  const curve: [number, number][] = [];
  const steps = opts.steps ?? 500;
  for (let s = 1; s <= steps; s++) {
    const batch = addingBatch({ seqLen: opts.seqLen, batchSize: opts.batchSize ?? 64, generator: gen });
    const loss = mseLoss(head.forward(neuronState(batch.x)), batch.y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (s % 10 === 0 || s === 1) curve.push([s, loss.item()]);
  }
  const singleMse = noGrad(() => mseLoss(head.forward(neuronState(test.x)), test.y).item());
  return { neuron, u: u.item(), fullMse, singleMse, curve, readoutMse: readout };
}
