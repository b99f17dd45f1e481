/**
 * Character- and word-level language modelling (CVPR 2018 §5.3, Deep IndRNN §5.3): stateful truncated
 * BPTT over a batchified stream, the hidden state of every layer carried across batches (detached),
 * frame-wise batch norm with running statistics per stream position, cross-entropy per step.
 * Metrics: bits per character (char-lm) and perplexity (word-lm).
 */
import type { Task } from '../train/task.js';
import { buildModel, type LanguageModel, type LanguageModelConfig } from '../nn/models.js';
import { batchify, BpttIterator, type TextDataset } from '../data/text.js';
import { loadTextDataset } from '../data/node/text.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { Generator } from '../util/random.js';
import { fail } from '../util/errors.js';
import { tidy } from '../backend/memory.js';
import { dynamicEvaluate } from '../train/dynamic-eval.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_SETTINGS, encoderFromSettings, type ModelFamily, type Settings } from './settings.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import { WHOLE_BATCH, type BatchShard } from '../distributed/shard.js';

type LmKind = 'char-lm' | 'word-lm';

/** The authors cap the carried BN position at 2·T (PT train_language.py). */
const positionCap = (s: Settings): number => 2 * s.seqLen;

export function lmModelConfig(s: Settings, vocabSize: number): LanguageModelConfig {
  const indrnn = s.model !== 'lstm' && s.model !== 'rnn';
  // the encoder reads embeddings; its recurrences run on a carried stream, so u uses an explicit bound
  const base = encoderFromSettings(s, s.embedSize, false);
  // the authors' PTB dense net feeds the embedding straight into block 1 and ends at the last block;
  // their plain and res nets drop with dropout_last after the last recurrent layer
  const encoder = base.type === 'dense-indrnn'
    ? { ...base, firstSize: 0, addLastLayer: false }
    : base.type === 'indrnn' || base.type === 'res-indrnn' ? { ...base, dropoutLast: s.dropoutLast } : base;
  const needsOutputLayer = s.tieWeights && indrnn && encoderWidth(s) !== s.embedSize;
  return {
    kind: 'lm',
    vocabSize,
    embedSize: s.embedSize,
    encoder,
    tieWeights: s.tieWeights,
    dropoutWords: s.dropoutWords,
    dropoutEmbedding: s.dropoutEmbedding,
    dropoutOutput: s.dropoutOutput,
    ...(needsOutputLayer
      ? {
          // last_fc + last_indrnn (res, plain) or the extra transition (dense), then extra_bn and the
          // output dropout (dropout_extrafc): no dropout of its own in the authors' code
          outputLayer: {
            bn: s.bn, bnPosition: s.bnPosition,
            bnOptions: { maxPositions: 4 * s.seqLen + 1, ...((s.bnGammaInit ?? 1) !== 1 ? { gammaInit: s.bnGammaInit } : {}) },
            dropout: 0, ...(s.uBound !== null ? { uBound: s.uBound } : { gamma: s.gamma, seqLen: s.seqLen }),
            ...(s.inputInit ? { inputInit: s.inputInit } : {}),
          },
          outputNorm: s.bn !== 'none' && s.bnPosition === 'before',
        }
      : {}),
  };
}

function encoderWidth(s: Settings): number {
  if (s.model === 'dense-indrnn') return -1; // computed by the model; only tied via outputLayer
  return s.hidden;
}

/** Carried-state training stream with exact save/restore (replays the epoch's windows on restore). */
class StatefulStream {
  private iter: BpttIterator;
  private readonly iterGen: Generator;
  private epochStartRng: number[];
  private windowsDone = 0;
  private needEpochStart = true;
  epochs = 0;

  constructor(private readonly ids: Int32Array, private readonly s: Settings, seed: number) {
    this.iterGen = new Generator(seed);
    this.epochStartRng = this.iterGen.getState();
    this.iter = this.makeIterator();
  }

  private makeIterator(): BpttIterator {
    return new BpttIterator(batchify(this.ids, this.s.batchSize), {
      seqLen: this.s.seqLen, variableLength: this.s.variableBptt, randomStart: this.s.variableBptt ? 5 * this.s.seqLen : 0,
      generator: this.iterGen,
    });
  }

  get windowsPerEpoch(): number {
    return this.iter.windowsPerEpoch;
  }

  /** The next window; `fresh` is true at the start of an epoch (carried state must be reset). */
  next(): { input: Tensor; target: Tensor; fresh: boolean } {
    let fresh = false;
    for (;;) {
      if (this.needEpochStart) {
        this.epochStartRng = this.iterGen.getState();
        this.windowsDone = 0;
        this.needEpochStart = false;
        this.epochs++;
        fresh = true;
      }
      const w = this.iter.next();
      if (w) {
        this.windowsDone++;
        return { input: w.input, target: w.target, fresh };
      }
      this.needEpochStart = true;
    }
  }

  getState(): object {
    return { epochStartRng: this.epochStartRng, windowsDone: this.windowsDone, needEpochStart: this.needEpochStart, epochs: this.epochs };
  }

  setState(st: { epochStartRng: number[]; windowsDone: number; needEpochStart: boolean; epochs: number }): void {
    this.iterGen.setState(st.epochStartRng);
    this.iter = this.makeIterator();
    for (let i = 0; i < st.windowsDone; i++) this.iter.next();
    this.epochStartRng = st.epochStartRng;
    this.windowsDone = st.windowsDone;
    this.needEpochStart = st.needEpochStart;
    this.epochs = st.epochs;
  }
}

function lmTask(kind: LmKind, model: LanguageModel, ds: TextDataset, s: Settings, shard: BatchShard): Task & { stepsPerEpoch: number } {
  const stream = new StatefulStream(ds.train, s, s.seed * 1000 + 21);
  const resetGen = new Generator(s.seed * 1000 + 22);
  let states: Tensor[] | null = null;
  let position = 0;
  const evalBatch = Math.min(10, s.batchSize);

  const evaluateIds = (ids: Int32Array, prefix: string): Record<string, number> => {
    const limited = s.evalSize > 0 ? ids.subarray(0, Math.min(ids.length, s.evalSize)) : ids;
    const iter = new BpttIterator(batchify(limited, Math.min(evalBatch, Math.floor(limited.length / 2))), { seqLen: s.seqLen });
    let carried: Tensor[] | null = null;
    let pos = 0;
    let lossSum = 0;
    let tokens = 0;
    for (let w = iter.next(); w; w = iter.next()) {
      const window = w;
      // each rank scores its streams (columns) of the batchified text
      if (shard.localCount(window.input.shape[1]!) === 0) continue;
      // one window per scope; the carried states are returned, so they survive it
      carried = tidy(() => {
        const target = shard.take(window.target, 1);
        const out = model.forward(shard.take(window.input, 1), { states: carried, position: pos });
        lossSum += softmaxCrossEntropy(out.logits, target, { reduction: 'sum' }).item();
        tokens += target.size;
        return out.states;
      });
      pos = Math.min(pos + w.length, positionCap(s));
    }
    const [totalLoss, totalTokens] = shard.sum([lossSum, tokens]);
    const loss = totalLoss! / totalTokens!;
    return kind === 'char-lm'
      ? { [`${prefix}_loss`]: loss, [`${prefix}_bpc`]: loss / Math.LN2 }
      : { [`${prefix}_loss`]: loss, [`${prefix}_ppl`]: Math.exp(loss) };
  };

  return {
    name: kind,
    model,
    monitor: { metric: kind === 'char-lm' ? 'val_bpc' : 'val_ppl', mode: 'min' },
    notes: [ds.note],
    stepsPerEpoch: stream.windowsPerEpoch,
    artifacts: { 'vocab.json': JSON.stringify(ds.vocab.toJSON()) + '\n' },
    trainLoss() {
      const w = stream.next();
      // a new epoch, or the authors' random reset (1 in 10 batches), starts from a zero state
      if (w.fresh || resetGen.random() < s.stateResetProb) {
        states = null;
        position = 0;
      }
      const out = model.forward(shard.take(w.input, 1), { states, position });
      // carried into the next step: keep their storage out of the step's tidy scope
      states = out.states.map((t) => t.detach().keep());
      position = Math.min(position + w.input.shape[0]!, positionCap(s));
      const loss = softmaxCrossEntropy(out.logits, shard.take(w.target, 1));
      const metrics: Record<string, number> = kind === 'char-lm' ? { bpc: loss.item() / Math.LN2 } : {};
      return { loss, metrics };
    },
    evaluate(split) {
      return evaluateIds(split === 'val' ? ds.valid : ds.test, split);
    },
    dynamicEvaluate(split, options) {
      const ids = split === 'val' ? ds.valid : ds.test;
      const limited = s.evalSize > 0 ? ids.subarray(0, Math.min(ids.length, s.evalSize)) : ids;
      const r = dynamicEvaluate(model, limited, ds.train, { positionCap: positionCap(s), ...options });
      return kind === 'char-lm'
        ? { [`${split}_dyn_loss`]: r.loss, [`${split}_dyn_bpc`]: r.loss / Math.LN2 }
        : { [`${split}_dyn_loss`]: r.loss, [`${split}_dyn_ppl`]: Math.exp(r.loss) };
    },
    epoch: () => stream.epochs,
    getState() {
      const tensors = new Map<string, Tensor>();
      // the whole batch's states (rows of every rank: collective), so any number of ranks can resume
      (states ?? []).forEach((t, i) => tensors.set(`state.${i}`, shard.gather(t, 0, s.batchSize)));
      return { json: { stream: stream.getState(), reset: resetGen.getState(), position, stateCount: states?.length ?? 0 }, tensors };
    },
    setState(st) {
      const j = st.json as { stream: Parameters<StatefulStream['setState']>[0]; reset: number[]; position: number; stateCount: number };
      stream.setState(j.stream);
      resetGen.setState(j.reset);
      position = j.position;
      states = j.stateCount > 0 ? Array.from({ length: j.stateCount }, (_, i) => shard.take(st.tensors!.get(`state.${i}`)!, 0).keep()) : null;
    },
  };
}

/** The authors' --small_normini: input weights kaiming_uniform(a = 0) and BN γ starting at 0.1. */
const SMALL_NORM_INIT: Partial<Settings> = { inputInit: { kind: 'kaimingUniform', a: 0 }, bnGammaInit: 0.1 };

/**
 * Char PTB by architecture. CVPR §5.3.1: the 21-layer res-IndRNN (10 blocks) with dropout 0.3 at T = 50.
 * PT PTB/README.md (dense, Deep IndRNN §5.3.1): `--growth_rate 256 --dropout 0.5 --dropout_sec 0.1
 * --dropout_trans 0.4 --w_tying --dropout_extrafc 0.2 --embed_size 600 --pThre 200 --small_normini`
 * (the paper's "last transition 0.3"; the code drops 0.2 after the extra transition).
 */
const CHAR_PAPER_MODELS: Partial<Record<ModelFamily, Partial<Settings>>> = {
  'res-indrnn': { blocks: 10, dropout: 0.3, dropoutLast: 0.3 },
  'dense-indrnn': {
    growth: 256, embedSize: 600, tieWeights: true, dropout: 0.5, dropoutBottleneck: 0.1, dropoutTransition: 0.4,
    dropoutOutput: 0.2, patience: 200, ...SMALL_NORM_INIT,
  },
};

/**
 * Word PTB by architecture. PT PTB/run_dense_wptb.sh (Deep IndRNN §5.3.2): dense k = 256 `--dropout 0.5
 * --dropout_sec 0.1 --dropout_trans 0.4 --dropout_words 0.65 --dropout_extrafc 0.65 --dropout_embedding 0.2
 * --small_normini --pThre 200`, the rest as the res preset.
 */
const WORD_PAPER_MODELS: Partial<Record<ModelFamily, Partial<Settings>>> = {
  'dense-indrnn': { growth: 256, dropout: 0.5, dropoutBottleneck: 0.1, dropoutTransition: 0.4, ...SMALL_NORM_INIT },
};

function makeDefinition(kind: LmKind): TaskDefinition {
  const char = kind === 'char-lm';
  const source = char ? 'ptb-char' : 'ptb-word';
  return {
    name: kind,
    description: char
      ? 'character-level language model: PTB char files (ptb.char.{train,valid,test}.txt) or any text file / dir with input.txt; reports bits per character'
      : 'word-level language model on PTB word files (ptb.{train,valid,test}.txt); reports perplexity',
    needsData: true,
    dataParallel: true,
    defaultDataDir: null,
    presets: {
      paper: char
        // CVPR §5.3.1: 6 × 2000 IndRNN, frame-wise BN, dropout 0.25, batch 128, T = 50, Adam 2e-4 ÷5 on
        // plateau (patience 20); PT PTB scripts: BN before the recurrence, |u| ≤ 0.99, random state resets.
        ? {
            ...BASE_SETTINGS, task: kind, preset: 'paper', model: 'indrnn', layers: 6, hidden: 2000, embedSize: 2000,
            bn: 'frame', bnPosition: 'before', dropout: 0.25, dropoutLast: 0.25, uBound: 0.99, lastLayerInit: false, seqLen: 50,
            batchSize: 128, lr: 2e-4, weightDecay: 1e-4, schedule: 'plateau', decayFactor: 0.2, patience: 20,
            minLr: 1e-6, steps: 2_000_000, evalEvery: 1000, evalSize: 0, variableBptt: true, stateResetProb: 0.1,
            vocabSize: 50,
          }
        // Deep IndRNN §5.3.2 / PT run_res.sh: res-IndRNN 5 blocks × 2000, embedding 600, tied decoder
        // through a last 2000→600 layer, dropout 0.45 (last 0.5), words 0.65, output 0.65, embedding 0.2.
        : {
            ...BASE_SETTINGS, task: kind, preset: 'paper', model: 'res-indrnn', blocks: 5, hidden: 2000, embedSize: 600,
            tieWeights: true, bn: 'frame', bnPosition: 'before', dropout: 0.45, dropoutLast: 0.5, dropoutWords: 0.65, dropoutOutput: 0.65,
            dropoutEmbedding: 0.2, uBound: 0.99, lastLayerInit: false, seqLen: 50, batchSize: 128, lr: 2e-4,
            weightDecay: 1e-4, schedule: 'plateau', decayFactor: 0.2, patience: 200, minLr: 1e-6, steps: 2_000_000,
            evalEvery: 1000, evalSize: 0, variableBptt: true, stateResetProb: 0.1, vocabSize: 10000,
          },
      quick: char
        ? {
            ...BASE_SETTINGS, task: kind, preset: 'quick', model: 'indrnn', layers: 3, hidden: 256, embedSize: 128,
            bn: 'frame', bnPosition: 'before', dropout: 0, uBound: 0.99, lastLayerInit: false, seqLen: 50,
            batchSize: 64, lr: 2e-3, schedule: 'step', decayEvery: 7000, decayFactor: 0.3, steps: 10000,
            evalEvery: 250, evalSize: 20000, checkpointEvery: 500, stateResetProb: 0.1, vocabSize: 65,
          }
        : {
            ...BASE_SETTINGS, task: kind, preset: 'quick', model: 'indrnn', layers: 2, hidden: 256, embedSize: 256,
            tieWeights: true, bn: 'frame', bnPosition: 'before', dropout: 0.2, dropoutLast: 0.2, dropoutWords: 0.2, uBound: 0.99,
            lastLayerInit: false, seqLen: 35, batchSize: 32, lr: 2e-3, schedule: 'step', decayEvery: 2000,
            decayFactor: 0.3, steps: 3000, evalEvery: 250, evalSize: 20000, checkpointEvery: 500, stateResetProb: 0.1,
            vocabSize: 10000,
          },
    },
    modelPresets: { paper: char ? CHAR_PAPER_MODELS : WORD_PAPER_MODELS },
    modelConfig(s: Settings) {
      return lmModelConfig(s, s.vocabSize);
    },
    create(s: Settings, context?: TaskContext) {
      if (!s.dataDir) fail(`${kind}: pass --data-dir with ${char ? 'PTB char files (ptb.char.train.txt, ptb.char.valid.txt, ptb.char.test.txt), a text file, or a directory holding input.txt' : 'PTB word files (ptb.train.txt, ptb.valid.txt, ptb.test.txt)'}`);
      // a standard PTB folder holds both the word and the char files: char-lm takes the char ones
      const ds = loadTextDataset(s.dataDir, { source: char ? 'auto' : source, prefer: char ? 'ptb-char' : 'ptb-word', fileKind: 'chars' });
      if (char && ds.kind === 'ptb-word') fail(`char-lm: ${s.dataDir} holds word-level PTB files; pass the char files (ptb.char.*.txt) or use the word-lm task`);
      if (!char && ds.kind !== 'ptb-word') fail(`word-lm: ${s.dataDir} does not hold word-level PTB files (ptb.train.txt, ptb.valid.txt, ptb.test.txt)`);
      const model = buildModel(lmModelConfig(s, ds.vocab.size)) as LanguageModel;
      return lmTask(kind, model, ds, s, context?.shard ?? WHOLE_BATCH);
    },
  };
}

export const charLmTask = makeDefinition('char-lm');
export const wordLmTask = makeDefinition('word-lm');
