/**
 * NTU RGB+D skeleton action recognition (CVPR 2018 §5.4, Deep IndRNN §5.4): 20 frames sampled one per
 * equal segment of each clip, 2 bodies × 25 joints × xyz = 150 features a step, 60 classes; the test
 * prediction sums the logits of several random samplings of each clip.
 */
import type { Task } from '../train/task.js';
import { buildModel, type SequenceModel } from '../nn/models.js';
import { recalibrateBatchNorm } from '../nn/recalibrate.js';
import { NTU_BODIES, NTU_JOINTS, NTU_FEATURES, NTU_CLASSES, NTU_SEQ_LEN, ntuBatch, ntuEvalBatches, type ClipSet, type NtuDataset } from '../data/ntu.js';
import { loadNtu } from '../data/node/ntu.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { argmax } from '../ops/reduce.js';
import { Generator } from '../util/random.js';
import { fail } from '../util/errors.js';
import { tidy } from '../backend/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_SETTINGS, encoderFromSettings, type Settings } from './settings.js';
import { ClassificationMeter, EpochSampler, type SamplerState } from './sampler.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import { WHOLE_BATCH, type BatchShard } from '../distributed/shard.js';

function ntuTask(model: SequenceModel, ds: NtuDataset, s: Settings, shard: BatchShard): Task & { stepsPerEpoch: number } {
  const sampler = new EpochSampler(ds.train.clips.length, s.batchSize, s.seed);
  const frameGen = new Generator(s.seed * 1000 + 31);
  const evaluate = (set: ClipSet, prefix: string, samplings: number): Record<string, number> => {
    // the same samplings at every evaluation, so validation curves compare like with like
    const gen = new Generator(s.seed * 1000 + (prefix === 'val' ? 32 : 33));
    const single = new ClassificationMeter();
    const averaged = new ClassificationMeter();
    // every rank draws every sampling (the same random stream) and scores its rows
    for (const b of ntuEvalBatches(set, { batchSize: Math.max(s.batchSize, 64), samplings, seqLen: s.seqLen, generator: gen })) tidy(() => {
      if (shard.localCount(b.labels.size) === 0) return;
      const labels = shard.take(b.labels, 0);
      let sum: Tensor | null = null;
      b.xs.forEach((x, i) => {
        const logits = model.forward(shard.take(x, 1));
        if (i === 0) single.add(softmaxCrossEntropy(logits, labels).item(), argmax(logits).data(), labels.data());
        sum = sum ? sum.add(logits) : logits;
      });
      const mean = sum!.mul(1 / samplings);
      averaged.add(softmaxCrossEntropy(mean, labels).item(), argmax(mean).data(), labels.data());
    });
    const first = single.result(prefix, shard);
    return samplings > 1 ? { ...first, [`${prefix}_acc_avg${samplings}`]: averaged.result(prefix, shard)[`${prefix}_acc`]! } : first;
  };
  return {
    name: 'ntu',
    model,
    monitor: { metric: 'val_acc', mode: 'max' },
    notes: [ds.note, ...(ds.skipped.length ? [`skipped ${ds.skipped.length} clips: ${ds.skipped.slice(0, 3).join('; ')}${ds.skipped.length > 3 ? '; …' : ''}`] : [])],
    stepsPerEpoch: sampler.batchesPerEpoch,
    recalibrate(batches) {
      const gen = new Generator(s.seed * 1000 + 41);
      const order = gen.permutation(ds.train.clips.length);
      const B = s.batchSize;
      recalibrateBatchNorm(model, Math.min(batches, Math.floor(ds.train.clips.length / B)), (i) => {
        model.forward(shard.take(ntuBatch(ds.train, order.slice(i * B, (i + 1) * B), { seqLen: s.seqLen, generator: gen }).x, 1));
      });
    },
    trainLoss() {
      const b = ntuBatch(ds.train, sampler.next(), { seqLen: s.seqLen, generator: frameGen });
      return { loss: softmaxCrossEntropy(model.forward(shard.take(b.x, 1)), shard.take(b.labels, 0)) };
    },
    evaluate(split) {
      return split === 'val' ? evaluate(ds.valid, 'val', 1) : evaluate(ds.test, 'test', s.testSamples);
    },
    epoch: () => sampler.epoch,
    getState: () => ({ json: { sampler: sampler.getState(), frames: frameGen.getState() } }),
    setState(st) {
      const j = st.json as { sampler: SamplerState; frames: number[] };
      sampler.setState(j.sampler);
      frameGen.setState(j.frames);
    },
  };
}

/** conv-indrnn convolves over the 50 joints (2 bodies × 25) with xyz as channels. */
function ntuEncoder(s: Settings) {
  return encoderFromSettings(s, NTU_FEATURES, true, [NTU_BODIES * NTU_JOINTS, 3]);
}

export const ntuTaskDefinition: TaskDefinition = {
  name: 'ntu',
  description: 'NTU RGB+D skeleton action recognition: raw .skeleton files or the authors\' .npy arrays; --benchmark cs|cv',
  needsData: true,
  dataParallel: true,
  defaultDataDir: null,
  presets: {
    // CVPR §5.4 / PT action_recognition: 6 × 512, BN after, dropout 0.5 (CS), batch 128, Adam 2e-4, weight
    // decay 1e-4, |u| ≤ 5^(1/20), last-layer init, lr ÷10 on plateau with best restore; test = mean of 20
    // samplings.
    paper: {
      ...BASE_SETTINGS, task: 'ntu', preset: 'paper', layers: 6, hidden: 512, bn: 'sequence', bnPosition: 'after',
      dropout: 0.5, gamma: 5, seqLen: NTU_SEQ_LEN, batchSize: 128, lr: 2e-4, weightDecay: 1e-4, schedule: 'plateau',
      decayFactor: 0.1, patience: 100, minLr: 1e-6, steps: 1_000_000, evalEvery: 20, evalSize: 0, testSamples: 20,
      checkpointEvery: 1000,
    },
    quick: {
      ...BASE_SETTINGS, task: 'ntu', preset: 'quick', layers: 4, hidden: 128, bn: 'sequence', bnPosition: 'after',
      dropout: 0.2, gamma: 5, seqLen: NTU_SEQ_LEN, batchSize: 32, lr: 2e-3, schedule: 'step', decayEvery: 2000,
      decayFactor: 0.3, steps: 3000, evalEvery: 200, evalSize: 0, testSamples: 5, checkpointEvery: 500, bnCalibration: 20,
    },
  },
  modelPresets: {
    // PT action_recognition/run*.sh: res `--num_blocks 5 --dropout 0.5 --pThre 150`; dense `--num_first 6
    // --add_last_layer --u_lastlayer_ini --growth_rate 48 --dropout 0.5 --dropout_sec 0.1 --dropout_trans 0.3
    // --dropout_first 0.5 --dropout_last 0.3` (Deep IndRNN §5.4; 2,314,428 parameters in their logs)
    paper: {
      'res-indrnn': { blocks: 5, dropout: 0.5, patience: 150 },
      'dense-indrnn': { growth: 48, dropoutFirst: 0.5, dropout: 0.5, dropoutBottleneck: 0.1, dropoutTransition: 0.3, dropoutLast: 0.3 },
    },
  },
  modelConfig(s: Settings) {
    return { kind: 'sequence', encoder: ntuEncoder(s), outputSize: NTU_CLASSES };
  },
  create(s: Settings, context?: TaskContext) {
    if (!s.dataDir) fail('ntu: pass --data-dir with NTU RGB+D .skeleton files (SsssCcccPpppRrrrAaaa.skeleton) or the authors\' .npy arrays (train_ntus.npy, train_ntus_label.npy, train_ntus_len.npy, test_ntus*.npy)');
    const ds = loadNtu(s.dataDir, { benchmark: s.benchmark === 'cv' ? 'cross-view' : 'cross-subject', generator: new Generator(s.seed * 1000 + 30) });
    const model = buildModel({ kind: 'sequence', encoder: ntuEncoder(s), outputSize: ds.numClasses }) as SequenceModel;
    return ntuTask(model, ds, s, context?.shard ?? WHOLE_BATCH);
  },
};
