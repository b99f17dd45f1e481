/**
 * Data-parallel step time on this machine, and what a cluster would spend on the all-reduce.
 *
 *   node bench/dist/src/distributed.js [--config adding-1000,mnist-784] [--ranks 2] [--steps 10] [--rounds 2] [--bn-sync on|off]
 *     times one training step (the bench model: Trainer.trainStep on a fixed global batch) as
 *     1 process × R threads and as R MPI ranks × 1 thread (mpirun, loopback), alternating the two
 *     `--rounds` times so a load burst hits both; prints ms/step (median), the time inside MPI and
 *     the 1-minute load average around each measurement.
 *   node bench/dist/src/distributed.js --costs [--threads 1] > costs.jsonl
 *     per configuration (the bench ones and the word-level LM, 6×2000): parameters, all-reduce
 *     bytes per step and the measured compute time of one step in one process, as JSON lines.
 *   node bench/dist/src/distributed.js --scaling costs.jsonl
 *     the scaling model of docs/distributed.md from those lines: all-reduce time at 8, 64 and 512
 *     ranks on 25 Gb/s Ethernet and 200 Gb/s InfiniBand, and the batch per rank that keeps it
 *     under 10% of a step.
 *
 * A worker is the same file started with --worker (by mpirun, or alone for the 1-process rows).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  BatchNorm, buildModel, distributed, manualSeed, ops, randn, setBackend, tensor, Trainer, type SequenceModel, type LanguageModel, type Task,
} from 'indrnn';
import { initDistributed } from 'indrnn/node';
import { CONFIGS, type StepShape } from './configs.js';
import { benchSettings } from './ours/step.js';
import { trainOptionsFromSettings, encoderFromSettings } from 'indrnn/node';
import { median, round } from './stats.js';

const self = fileURLToPath(import.meta.url);

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** The word-level LM the scaling model covers: 6 × 2000 IndRNN, embedding 600, PTB's 10k words, tied decoder. */
const WORD_LM = { layers: 6, hidden: 2000, T: 50, B: 128, embed: 600, vocab: 10_000 };

interface WorkerReply {
  config: string;
  /** Global batch of the measured step. */
  batch: number;
  ranks: number;
  threads: number;
  parameters: number;
  allreduceBytes: number;
  /** With bn-sync on: the batch-norm statistics' all-reduces per step, and their bytes (float64). */
  bnAllreduces: number;
  bnBytes: number;
  msPerStep: number;
  mpiMsPerStep: number;
  samplesMs: number[];
  load: number;
}

/** A task over one fixed global batch, taking this rank's rows each step. */
function stepTask(shape: StepShape, shard: distributed.BatchShard): Task {
  const settings = benchSettings(shape, 1);
  const model = buildModel({ kind: 'sequence', encoder: encoderFromSettings(settings, shape.input, true), outputSize: 1 }) as SequenceModel;
  const x = randn([shape.T, shape.B, shape.input]);
  const y = randn([shape.B, 1]);
  return {
    name: 'bench', model, monitor: { metric: 'loss', mode: 'min' }, notes: [],
    trainLoss: () => ({ loss: ops.mseLoss(model.forward(shard.take(x, 1)), shard.take(y, 0)) }),
    evaluate: () => ({}), getState: () => ({ json: null }), setState: () => undefined,
  };
}

/** The word-level LM on one fixed batch of random word ids (shard: this rank's streams). */
function lmTask(shard: distributed.BatchShard): Task {
  const model = buildModel({
    kind: 'lm', vocabSize: WORD_LM.vocab, embedSize: WORD_LM.embed, tieWeights: true,
    encoder: { type: 'indrnn', inputSize: WORD_LM.embed, hiddenSize: WORD_LM.hidden, numLayers: WORD_LM.layers, bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 4 * WORD_LM.T + 1 }, uBound: 0.99 },
    outputLayer: { bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 4 * WORD_LM.T + 1 }, uBound: 0.99 },
  }) as LanguageModel;
  const n = WORD_LM.T * WORD_LM.B;
  const ids = tensor(Int32Array.from({ length: n }, (_, i) => (i * 7919) % WORD_LM.vocab), [WORD_LM.T, WORD_LM.B], 'int32');
  const next = tensor(Int32Array.from({ length: n }, (_, i) => (i * 104729 + 1) % WORD_LM.vocab), [WORD_LM.T, WORD_LM.B], 'int32');
  return {
    name: 'word-lm', model, monitor: { metric: 'loss', mode: 'min' }, notes: [],
    trainLoss: () => ({ loss: ops.softmaxCrossEntropy(model.forward(shard.take(ids, 1)).logits, shard.take(next, 1)) }),
    evaluate: () => ({}), getState: () => ({ json: null }), setState: () => undefined,
  };
}

function worker(): void {
  const name = flag('--worker', '');
  const steps = Number(flag('--steps', '10'));
  const warmup = Number(flag('--warmup', '2'));
  const comm = initDistributed();
  setBackend('native');
  // time spent inside MPI: wrap the communicator's collectives
  let mpiMs = 0;
  const timed = comm
    ? new Proxy(comm, {
        get(target, key, receiver) {
          const v = Reflect.get(target, key, receiver) as unknown;
          if (typeof v !== 'function' || !['allreduce', 'broadcast', 'allgather', 'barrier'].includes(String(key))) return v;
          return (...args: unknown[]) => {
            const t0 = performance.now();
            try {
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            } finally {
              mpiMs += performance.now() - t0;
            }
          };
        },
      })
    : null;
  const parallel = timed && timed.size > 1 ? new distributed.DataParallel(timed, { bnSync: flag('--bn-sync', 'on') === 'on' }) : null;
  const shard = parallel?.shard ?? distributed.WHOLE_BATCH;
  manualSeed(0);
  const shape = name === 'word-lm' ? null : (CONFIGS.find((c) => c.name === name && c.kind === 'step') as { shape: StepShape } | undefined)?.shape;
  if (name !== 'word-lm' && !shape) throw new Error(`unknown config '${name}'`);
  const task = shape ? stepTask(shape, shard) : lmTask(shard);
  const settings = { ...benchSettings(shape ?? { layers: 6, hidden: 2000, T: 50, B: 128, input: 600, bn: true }, steps + warmup), weightDecay: 0 };
  const trainer = new Trainer(task, trainOptionsFromSettings(settings), parallel);
  parallel?.attach(task.model);
  parallel?.broadcastState(task.model, trainer.optimizer);
  for (let i = 0; i < warmup; i++) trainer.trainStep();
  mpiMs = 0;
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.trainStep();
    samples.push(performance.now() - t0);
  }
  const params = task.model.numParameters();
  // per BN layer: Σx with the counts and Σ(x-μ)² in the forward, Σdy and Σdy·x̂ in the backward
  const T = shape?.T ?? WORD_LM.T;
  const norms = task.model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm => m instanceof BatchNorm);
  const bnBytes = norms.reduce((n, m) => {
    const G = m.mode === 'frame' ? T : 1;
    return n + 8 * ((G * m.channels + G) + G * m.channels + 2 * G * m.channels);
  }, 0);
  const reply: WorkerReply = {
    config: name, batch: shape?.B ?? WORD_LM.B, ranks: comm?.size ?? 1, threads: Number(process.env['INDRNN_NUM_THREADS'] ?? os.availableParallelism()),
    parameters: params,
    // the flat buffer: every gradient, one presence flag per parameter tensor, the loss (float32)
    allreduceBytes: 4 * (params + task.model.parameters().length + 1),
    bnAllreduces: 3 * norms.length, bnBytes,
    msPerStep: round(median(samples), 2), mpiMsPerStep: round(mpiMs / steps, 3), samplesMs: samples.map((s) => round(s, 2)),
    load: round(os.loadavg()[0]!, 2),
  };
  if (!comm || comm.rank === 0) process.stdout.write('REPLY ' + JSON.stringify(reply) + '\n');
}

function runWorker(config: string, ranks: number, threads: number, steps: number): WorkerReply {
  const env = { ...process.env, INDRNN_NUM_THREADS: String(threads), OMPI_MCA_btl_tcp_if_include: 'lo', OMPI_MCA_oob_tcp_if_include: 'lo' };
  const args = [self, '--worker', config, '--steps', String(steps), '--bn-sync', flag('--bn-sync', 'on')];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const r = ranks > 1
    ? spawnSync('mpirun', [...(root ? ['--allow-run-as-root'] : []), '--oversubscribe', '-np', String(ranks), process.execPath, ...args], { encoding: 'utf8', env })
    : spawnSync(process.execPath, args, { encoding: 'utf8', env });
  const line = r.stdout.split('\n').find((l) => l.startsWith('REPLY '));
  if (r.status !== 0 || !line) throw new Error(`worker ${config} (${ranks} ranks × ${threads} threads) failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(6)) as WorkerReply;
}

/** Links of the scaling model: effective bandwidth (90% of the line rate) and per-message latency. */
const LINKS = [
  { name: '25 Gb/s Ethernet', bytesPerS: 0.9 * 25e9 / 8, latencyS: 25e-6 },
  { name: '200 Gb/s InfiniBand', bytesPerS: 0.9 * 200e9 / 8, latencyS: 2e-6 },
];
const RANKS = [8, 64, 512];

/**
 * All-reduce of S bytes over N ranks (reduce-scatter + all-gather, as MPI libraries do for large
 * messages): every rank sends and receives 2(N-1)/N · S, in 2·log2(N) latency-bound rounds.
 */
export function allreduceSeconds(bytes: number, ranks: number, link: { bytesPerS: number; latencyS: number }): number {
  return (2 * (ranks - 1) / ranks) * bytes / link.bytesPerS + 2 * Math.log2(ranks) * link.latencyS;
}

/** The scaling tables of docs/distributed.md from --costs lines (file given after --scaling). */
function scaling(file: string): void {
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as WorkerReply & { batch: number });
  const out: string[] = [];
  for (const link of LINKS) {
    out.push('', `**${link.name}** (${(link.bytesPerS / 1e9).toFixed(2)} GB/s effective, ${link.latencyS * 1e6} µs a message)`, '',
      '| config | all-reduce per step (+ BN sync) | compute per step (batch, measured) | communication ms at 8 / 64 / 512 ranks | batch per rank for ≤10% at 8 / 64 / 512 |',
      '|---|---|---|---|---|');
    for (const r of rows) {
      // the gradient all-reduce, plus the BN statistics' (bn-sync on), each of its share of the bytes
      const bn = (n: number): number => (r.bnAllreduces > 0 ? r.bnAllreduces * allreduceSeconds(r.bnBytes / r.bnAllreduces, n, link) : 0);
      const ms = RANKS.map((n) => (allreduceSeconds(r.allreduceBytes, n, link) + bn(n)) * 1e3);
      // t_c(b) = t_ref · b / B_ref; communication ≤ 10% of the step when t_c ≥ 9 · t_ar
      const batch = ms.map((t) => Math.max(1, Math.ceil((9 * t * r.batch) / r.msPerStep)));
      const bnNote = r.bnAllreduces > 0 ? ` (+ ${r.bnAllreduces} × ${(r.bnBytes / r.bnAllreduces / 1e3).toFixed(1)} kB)` : '';
      out.push(`| ${r.config} | ${(r.allreduceBytes / 1e6).toFixed(3)} MB${bnNote} | ${r.msPerStep.toFixed(0)} ms (B=${r.batch}) | ${ms.map((t) => t.toFixed(t < 1 ? 3 : 1)).join(' / ')} | ${batch.join(' / ')} |`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

function main(): void {
  if (process.argv.includes('--worker')) return worker();
  if (process.argv.includes('--scaling')) return scaling(flag('--scaling', ''));
  const steps = Number(flag('--steps', '10'));
  if (process.argv.includes('--costs')) {
    const threads = Number(flag('--threads', '1'));
    for (const config of flag('--config', 'adding-1000,adding-5000,mnist-784,word-lm').split(',')) {
      const loadBefore = os.loadavg()[0]!;
      const r = runWorker(config, 1, threads, config === 'word-lm' ? Math.min(steps, 3) : steps);
      process.stdout.write(JSON.stringify({ ...r, samplesMs: undefined, loadBefore: round(loadBefore, 2) }) + '\n');
    }
    return;
  }
  const ranks = Number(flag('--ranks', '2'));
  const rounds = Number(flag('--rounds', '2'));
  for (const config of flag('--config', 'adding-1000,mnist-784').split(',')) {
    const single: WorkerReply[] = [];
    const multi: WorkerReply[] = [];
    for (let i = 0; i < rounds; i++) {
      // alternate the order, so a load burst does not always land on the same row
      if (i % 2 === 0) {
        single.push(runWorker(config, 1, ranks, steps));
        multi.push(runWorker(config, ranks, 1, steps));
      } else {
        multi.push(runWorker(config, ranks, 1, steps));
        single.push(runWorker(config, 1, ranks, steps));
      }
    }
    const best = (rs: WorkerReply[]): number => Math.min(...rs.map((r) => r.msPerStep));
    process.stdout.write(JSON.stringify({
      config,
      [`1x${ranks}threads_ms`]: single.map((r) => r.msPerStep),
      [`${ranks}ranksx1thread_ms`]: multi.map((r) => r.msPerStep),
      mpi_ms_per_step: multi.map((r) => r.mpiMsPerStep),
      ratio_best: round(best(multi) / best(single), 3),
      allreduce_bytes: multi[0]!.allreduceBytes,
      load_1m: [...single, ...multi].map((r) => r.load),
    }) + '\n');
  }
}

main();
