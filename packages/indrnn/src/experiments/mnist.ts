/**
 * Sequential and permuted MNIST (and Fashion-MNIST): classify a 28×28 image read one pixel per step
 * (T = 784, one feature). CVPR 2018 §5.2, Deep IndRNN §5.2.2.
 */
import type { Task } from '../train/task.js';
import { buildModel, type SequenceModel } from '../nn/models.js';
import { recalibrateBatchNorm } from '../nn/recalibrate.js';
import { imageBatch, FASHION_MNIST_DEFAULT_DIR, type ImageSplit, type MnistDataset } from '../data/mnist.js';
import { loadMnist } from '../data/node/mnist.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { argmax } from '../ops/reduce.js';
import { Generator } from '../util/random.js';
import { fail } from '../util/errors.js';
import { tidy } from '../backend/memory.js';
import { BASE_SETTINGS, encoderFromSettings, type Settings } from './settings.js';
import { ClassificationMeter, EpochSampler, type SamplerState } from './sampler.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import { WHOLE_BATCH, type BatchShard } from '../distributed/shard.js';

const PIXELS = 784;
const ROWS = 28;

/** Deep IndRNN §5.2.2 / PT pixelMNIST/run*.sh: 6 × 128, BN after each layer, dropout 0.1, Adam 2e-4,
 * weight decay 1e-4, gradient clamp 10, batch 32, |u| ≤ 5^(1/784) (PT opts MAG 5), last-layer init,
 * lr ÷10 on plateau with best restore (pThre 100), stop below 1e-6. */
function paperPreset(task: string): Settings {
  return {
    ...BASE_SETTINGS, task, preset: 'paper', layers: 6, hidden: 128, bn: 'sequence', bnPosition: 'after',
    dropout: 0.1, gamma: 5, seqLen: PIXELS, batchSize: 32, lr: 2e-4, weightDecay: 1e-4, gradClip: 10,
    schedule: 'plateau', decayFactor: 0.1, patience: 100, minLr: 1e-6, steps: 2_000_000, evalEvery: 1700,
    evalSize: 0, checkpointEvery: 5000,
  };
}

/**
 * Minutes here: 9,000 training digits, 3 × 128 (or conv-indrnn on rows), a larger learning rate, and BN
 * statistics recalibrated before each evaluation (at this lr the running averages lag the weights).
 */
function quickPreset(task: string): Settings {
  return {
    ...BASE_SETTINGS, task, preset: 'quick', layers: 3, hidden: 128, bn: 'sequence', bnPosition: 'after',
    dropout: 0, gamma: 5, seqLen: PIXELS, batchSize: 32, lr: 2e-3, weightDecay: 0, gradClip: 10,
    schedule: 'step', decayEvery: 3500, decayFactor: 0.3, steps: 5000, evalEvery: 250, evalSize: 0, checkpointEvery: 500,
    bnCalibration: 20,
  };
}

function makeDefinition(name: 'mnist' | 'pmnist' | 'fashion-mnist'): TaskDefinition {
  const permute = name === 'pmnist';
  return {
    name,
    description: name === 'pmnist'
      ? 'permuted sequential MNIST: pixels in one fixed random order (saved with the run), 784 steps'
      : name === 'fashion-mnist'
        ? 'sequential Fashion-MNIST, 784 steps (default data dir /usr/share/datasets/fashion-mnist)'
        : 'sequential MNIST: one pixel per step, 784 steps, 10 classes',
    needsData: true,
    dataParallel: true,
    defaultDataDir: name === 'fashion-mnist' ? FASHION_MNIST_DEFAULT_DIR : null,
    presets: { paper: paperPreset(name), quick: quickPreset(name) },
    modelPresets: {
      // Deep IndRNN §5.2.2: dense k = 16, dropout first 0.2, dense layers 0.2, bottleneck 0.1,
      // transitions 0.1; the authors' Indrnn_densenet.py drops after the last transition with
      // dropout_trans (its drop_rate_last is never used). Res: 5 blocks, the plain net's settings.
      paper: {
        'dense-indrnn': { growth: 16, dropoutFirst: 0.2, dropout: 0.2, dropoutBottleneck: 0.1, dropoutTransition: 0.1, dropoutLast: 0.1 },
        'res-indrnn': { blocks: 5 },
      },
    },
    modelConfig(s: Settings) {
      // conv-indrnn reads one 28-pixel row per step (T = 28) through a 1-D convolution over the row
      const conv = s.model === 'conv-indrnn';
      const enc = conv
        ? encoderFromSettings({ ...s, seqLen: ROWS }, ROWS, true, [ROWS, 1])
        : encoderFromSettings({ ...s, seqLen: PIXELS }, 1, true);
      return { kind: 'sequence', encoder: enc, outputSize: 10 };
    },
    create(s: Settings, context?: TaskContext) {
      if (!s.dataDir) fail(`${name}: pass --data-dir DIR with the MNIST-format files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])`);
      const ds = loadMnist(s.dataDir, { name, permute, generator: new Generator(s.seed * 1000 + 11) });
      const model = buildModel(this.modelConfig(s)) as SequenceModel;
      return classificationTask(name, model, ds, s, context?.shard ?? WHOLE_BATCH);
    },
  };
}

function classificationTask(name: string, model: SequenceModel, ds: MnistDataset, s: Settings, shard: BatchShard): Task & { stepsPerEpoch: number } {
  const sampler = new EpochSampler(ds.train.count, s.batchSize, s.seed);
  const layout = s.model === 'conv-indrnn' ? 'row' : 'pixel';
  const evalSplit = (split: ImageSplit, prefix: string): Record<string, number> => {
    const meter = new ClassificationMeter();
    const n = s.evalSize > 0 ? Math.min(s.evalSize, split.count) : split.count;
    const chunk = Math.max(s.batchSize, 100);
    for (let i = 0; i < n; i += chunk) {
      // each rank scores its rows of every chunk
      const idx = shard.takeItems(Int32Array.from({ length: Math.min(chunk, n - i) }, (_, j) => i + j));
      if (idx.length === 0) continue;
      tidy(() => {
        const b = imageBatch(split, idx, layout);
        const logits = model.forward(b.x);
        meter.add(softmaxCrossEntropy(logits, b.labels).item(), argmax(logits).data(), b.labels.data());
      });
    }
    return meter.result(prefix, shard);
  };
  const notes = [ds.note];
  if (ds.permutation) notes.push(`pixel permutation drawn with seed ${s.seed} (first entries ${Array.from(ds.permutation.subarray(0, 8)).join(', ')}, …); saved as permutation.json`);
  return {
    name,
    model,
    monitor: { metric: 'val_acc', mode: 'max' },
    notes,
    stepsPerEpoch: sampler.batchesPerEpoch,
    artifacts: ds.permutation ? { 'permutation.json': JSON.stringify(Array.from(ds.permutation)) + '\n' } : {},
    recalibrate(batches) {
      // the same training batches every time, drawn apart from the training order
      const order = new Generator(s.seed * 1000 + 41).permutation(ds.train.count);
      const B = s.batchSize;
      recalibrateBatchNorm(model, Math.min(batches, Math.floor(ds.train.count / B)), (i) => {
        model.forward(imageBatch(ds.train, shard.takeItems(order.slice(i * B, (i + 1) * B)), layout).x);
      });
    },
    trainLoss() {
      const b = imageBatch(ds.train, shard.takeItems(sampler.next()), layout);
      const logits = model.forward(b.x);
      const loss = softmaxCrossEntropy(logits, b.labels);
      return { loss };
    },
    evaluate(split) {
      return evalSplit(split === 'val' ? ds.valid : ds.test, split);
    },
    epoch: () => sampler.epoch,
    getState: () => ({ json: sampler.getState() }),
    setState: (st) => sampler.setState(st.json as SamplerState),
  };
}

export const mnistTask = makeDefinition('mnist');
export const pmnistTask = makeDefinition('pmnist');
export const fashionMnistTask = makeDefinition('fashion-mnist');
