/**
 * Dynamic evaluation of a language model (Krause et al., "Dynamic Evaluation of Neural Sequence
 * Models", ICML 2018), as the IndRNN authors ran it on word-level PTB (PT PTB/dynamiceval.py;
 * Deep IndRNN Table 4: 56.37 → 50.97): the test stream is scored one window at a time, and after
 * each window the weights take a step on that window's loss, so the model adapts to the recent text.
 *
 * The update is the RMS-normalised one with a decay toward the trained weights θ₀:
 *   θ ← θ + λ·r ⊙ (θ₀ − θ) − η · g / (ms + ε)
 * where ms is the RMS of each weight's gradient over the training stream (computed once, in eval
 * mode), r = ms / mean(ms) scales the decay per weight (clipped at 1/λ so it never overshoots), g
 * the window's gradient clamped to ±clip, and |u| is clamped to its bound after each step. Scoring
 * uses batch 1 and carries the recurrent state across windows, as static evaluation does.
 */
import type { LanguageModel } from '../nn/models.js';
import type { Parameter } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import { batchify, BpttIterator } from '../data/text.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { clipGradValue } from '../optim/clip.js';
import { applyRecurrentConstraints } from '../nn/indrnn.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../backend/memory.js';
import { checkInt, checkNumber, fail } from '../util/errors.js';

export interface DynamicEvalOptions {
  /** η, the step size (authors' grid best on word PTB with 20-token windows: 2.4e-6). */
  lr: number;
  /** λ, the pull back toward the trained weights (authors' best: 0.016). */
  decay: number;
  /** ε of the RMS normalisation (default 2e-5, the authors'). */
  epsilon?: number;
  /** Tokens per adaptation window (default 20, the authors'). */
  windowLength?: number;
  /** Element-wise gradient clamp (default 10, as in training). */
  gradClip?: number;
  /** Batch size of the pass over the training stream that measures gradient RMS (default 32). */
  statBatchSize?: number;
  /** Use at most this many training tokens for the gradient RMS (default 0 = all). */
  statTokens?: number;
  /** Frame-wise BN: the last stream position with its own statistics (the training run's cap, 2·T). */
  positionCap?: number;
}

export interface DynamicEvalResult {
  /** Mean cross-entropy per scored token (nats). */
  loss: number;
  tokens: number;
  windows: number;
}

interface WindowResult {
  loss: number;
  states: Tensor[];
}

/** One window: forward from the carried state, backward of the mean loss (weights' grads set). */
function forwardBackward(model: LanguageModel, input: Tensor, target: Tensor, states: Tensor[] | null, position: number, clip: number): WindowResult {
  model.zeroGrad();
  const out = model.forward(input, { states, position });
  const loss = softmaxCrossEntropy(out.logits, target);
  loss.backward();
  if (clip > 0) clipGradValue(model.parameters(), clip);
  return { loss: loss.item(), states: out.states.map((s) => s.detach()) };
}

/** RMS of each weight's gradient over (a prefix of) the training stream, in eval mode. */
export function gradientRms(model: LanguageModel, trainIds: Int32Array, opts: DynamicEvalOptions): Map<Parameter, Tensor> {
  const window = opts.windowLength ?? 20;
  const B = opts.statBatchSize ?? 32;
  const cap = opts.positionCap ?? Infinity;
  const ids = opts.statTokens ? trainIds.subarray(0, Math.min(trainIds.length, opts.statTokens)) : trainIds;
  if (ids.length < 2 * B) fail(`dynamic evaluation: ${ids.length} training tokens are too few for gradient statistics with batch ${B}`);
  const params = model.parameters();
  const sums = new Map<Parameter, Float64Array>(params.map((p) => [p, new Float64Array(p.size)]));
  let batches = 0;
  let states: Tensor[] | null = null;
  let position = 0;
  model.eval();
  for (const w of new BpttIterator(batchify(ids, B), { seqLen: window })) {
    states = tidy(() => {
      const r = forwardBackward(model, w.input, w.target, states, position, opts.gradClip ?? 10);
      for (const p of params) {
        const g = p.grad?.data();
        if (!g) continue;
        const s = sums.get(p)!;
        for (let i = 0; i < s.length; i++) s[i] += g[i]! * g[i]!;
      }
      return r.states;
    });
    position = Math.min(position + w.length, cap);
    batches++;
  }
  model.zeroGrad();
  const rms = new Map<Parameter, Tensor>();
  for (const p of params) {
    const s = sums.get(p)!;
    rms.set(p, tensor(Float32Array.from(s, (v) => Math.sqrt(v / batches)), p.shape));
  }
  return rms;
}

/**
 * Scores `evalIds` with dynamic evaluation. The model's weights change as it goes; they are put
 * back to the trained values before returning.
 */
export function dynamicEvaluate(model: LanguageModel, evalIds: Int32Array, trainIds: Int32Array, opts: DynamicEvalOptions): DynamicEvalResult {
  const lr = checkNumber('dynamicEvaluate', 'lr', opts.lr, 0);
  const decay = checkNumber('dynamicEvaluate', 'decay', opts.decay, 0);
  if (lr === 0) fail('dynamicEvaluate: lr must be > 0 (with 0 the weights never adapt; use static evaluation)');
  const eps = checkNumber('dynamicEvaluate', 'epsilon', opts.epsilon ?? 2e-5, Number.MIN_VALUE);
  const window = checkInt('dynamicEvaluate', 'windowLength', opts.windowLength ?? 20, 1);
  const clip = checkNumber('dynamicEvaluate', 'gradClip', opts.gradClip ?? 10, 0);
  const cap = opts.positionCap ?? Infinity;
  if (evalIds.length < 2) fail(`dynamicEvaluate: the evaluation stream has ${evalIds.length} tokens; at least 2 are needed`);

  const params = model.parameters();
  const trained = params.map((p) => p.clone());
  const rms = gradientRms(model, trainIds, opts);
  // r = ms / mean over parameters of mean(ms), clipped at 1/λ; then the two per-weight factors
  let meanRms = 0;
  for (const p of params) {
    const ms = rms.get(p)!.data();
    let sum = 0;
    for (let i = 0; i < ms.length; i++) sum += ms[i]!;
    meanRms += sum / p.size;
  }
  meanRms /= params.length;
  const pull = new Map<Parameter, Tensor>();
  const stepScale = new Map<Parameter, Tensor>();
  for (const p of params) {
    const ms = rms.get(p)!.data();
    const maxRate = decay > 0 ? 1 / decay : Infinity;
    pull.set(p, tensor(Float32Array.from(ms, (m) => decay * Math.min(meanRms > 0 ? m / meanRms : 0, maxRate)), p.shape));
    stepScale.set(p, tensor(Float32Array.from(ms, (m) => lr / (m + eps)), p.shape));
  }

  let total = 0;
  let tokens = 0;
  let windows = 0;
  let states: Tensor[] | null = null;
  let position = 0;
  model.eval();
  try {
    for (const w of new BpttIterator(batchify(evalIds, 1), { seqLen: window })) {
      states = tidy(() => {
        const r = forwardBackward(model, w.input, w.target, states, position, clip);
        // score first (the loss of weights that have not seen this window), then adapt
        total += r.loss * w.length;
        noGrad(() => {
          params.forEach((p, i) => {
            const g = p.grad;
            if (!g) return;
            p.assign(p.add(pull.get(p)!.mul(trained[i]!.sub(p))).sub(stepScale.get(p)!.mul(g)));
          });
        });
        applyRecurrentConstraints(model);
        return r.states;
      });
      tokens += w.length;
      windows++;
      position = Math.min(position + w.length, cap);
    }
  } finally {
    model.zeroGrad();
    noGrad(() => params.forEach((p, i) => p.assign(trained[i]!)));
  }
  return { loss: total / tokens, tokens, windows };
}
