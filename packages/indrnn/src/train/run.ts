/**
 * Node-side runs: a run directory with config.json, metrics.jsonl and checkpoints (last, best,
 * periodic), a progress line or JSON lines, SIGINT/SIGTERM handling (checkpoint, then exit), exact
 * resume, and the final test evaluation of the best weights.
 *
 * Layout of a run directory:
 *   config.json              settings, model config, backend, notes
 *   metrics.jsonl            one JSON object a line: {step, loss, lr} and {step, val_*}, last {event: "done", test_*}
 *   checkpoints/last.ckpt    written every checkpointEvery steps / checkpointMinutes, on signals and at the end
 *   checkpoints/best.ckpt    the best validation result so far
 *   model/                   the best model as model.json + model.safetensors (for `indrnn eval`)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Trainer } from './trainer.js';
import { decodeCheckpoint, encodeCheckpoint, restoreTrainer, checkpointWeights, type DecodedCheckpoint } from './checkpoint.js';
import { SINGLE_PROCESS, type Communicator } from '../distributed/communicator.js';
import { DataParallel } from '../distributed/data-parallel.js';
import { agree, broadcastBytes, fromRoot } from '../distributed/collective.js';
import { WHOLE_BATCH } from '../distributed/shard.js';
import { ProgressLine, formatDuration } from './progress.js';
import { writeFileAtomic, saveModel } from '../io/files.js';
import { manualSeed } from '../util/random.js';
import { getBackend } from '../backend/registry.js';
import { fail } from '../util/errors.js';
import { trainOptionsFromSettings, validateSettings, type Settings } from '../experiments/settings.js';
import type { TaskDefinition } from '../experiments/task-definition.js';
import type { Model } from '../nn/models.js';

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  last: path.join('checkpoints', 'last.ckpt'),
  best: path.join('checkpoints', 'best.ckpt'),
  model: 'model',
} as const;

export interface RunConfig {
  format: 'indrnn-run';
  version: 1;
  settings: Settings;
  model: ReturnType<TaskDefinition['modelConfig']>;
  /** Total steps after resolving epochs. */
  steps: number;
  backend: string;
  notes: string[];
  parameters: number;
  /** Ranks that trained together (data-parallel); 1 for one process. */
  world_size: number;
}

export interface RunOptions {
  definition: TaskDefinition;
  settings: Settings;
  outDir: string;
  /** Continue the run in outDir from checkpoints/last.ckpt. */
  resume?: boolean;
  /** JSON lines on stdout instead of human-readable output. */
  json?: boolean;
  /** Print a train line to stdout every this many steps with --json (metrics.jsonl has every step). */
  logEvery?: number;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Stop after this many steps of this invocation (tests use it to simulate an interruption). */
  maxStepsThisRun?: number;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
  /**
   * Data-parallel training over these ranks (from distributed/mpi.ts under mpirun or srun): each
   * rank runs this same call; rank 0 alone writes the run directory and prints. Default: one process.
   */
  communicator?: Communicator;
}

export interface RunResult {
  status: 'done' | 'interrupted';
  step: number;
  test: Record<string, number>;
  best: Trainer['best'];
  outDir: string;
}

export function readCheckpointFile(file: string): DecodedCheckpoint<RunConfig> {
  if (!fs.existsSync(file)) fail(`checkpoint ${file} does not exist`);
  return decodeCheckpoint<RunConfig>(new Uint8Array(fs.readFileSync(file)), file);
}

/** Keeps metrics lines up to `step` (a resumed run rewrites what came after its checkpoint). */
function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs.readFileSync(file, 'utf8').split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      const rec = JSON.parse(line) as { step?: number; event?: string };
      return rec.event === undefined && typeof rec.step === 'number' && rec.step <= step;
    } catch {
      return false; // a line cut by a crash
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

const round = (v: number): number => Math.round(v * 1e4) / 1e4;

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const out = opts.outDir;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const file = (name: string): string => path.join(out, name);
  // data-parallel: every rank runs this function; rank 0 alone touches the run directory and prints
  const comm = opts.communicator ?? SINGLE_PROCESS;
  const writer = comm.rank === 0;
  const say = (line: string): void => {
    if (!opts.json && writer) stdout.write(line + '\n');
  };

  const last = file(RUN_FILES.last);
  const fromDisk: { ckpt: DecodedCheckpoint<RunConfig> | null; bytes: Uint8Array | null } = { ckpt: null, bytes: null };
  fromRoot(comm, () => {
    if (opts.resume) {
      if (!fs.existsSync(last)) fail(`--resume: no checkpoint to resume at ${last}; start the run without --resume`);
      fromDisk.bytes = new Uint8Array(fs.readFileSync(last));
      fromDisk.ckpt = decodeCheckpoint<RunConfig>(fromDisk.bytes, last);
    } else if (fs.existsSync(file(RUN_FILES.last)) || fs.existsSync(file(RUN_FILES.config))) {
      fail(`${out} already holds a run; pass --resume to continue it, or choose another --out`);
    }
    return null;
  });
  // the other ranks resume from rank 0's copy of the checkpoint (their disks need not hold it)
  if (opts.resume && !writer) fromDisk.ckpt = decodeCheckpoint<RunConfig>(broadcastBytes(comm, null), last);
  else if (opts.resume && comm.size > 1) broadcastBytes(comm, fromDisk.bytes);
  const ckpt = fromDisk.ckpt;
  const settings = ckpt ? ckpt.meta.config.settings : opts.settings;
  validateSettings(settings);

  const parallel = comm.size > 1 ? new DataParallel(comm, { bnSync: settings.bnSync ?? true }) : null;
  // the same answer on every rank; rank 0 alone says it
  fromRoot(comm, () => {
    if (parallel && !opts.definition.dataParallel) fail(`task '${opts.definition.name}' cannot train on several ranks (it does not split its batches); run it in one process`);
    parallel?.checkBatch(settings.batchSize);
    return null;
  });
  manualSeed(settings.seed);
  const task = opts.definition.create(settings, { shard: parallel?.shard ?? WHOLE_BATCH });
  const steps = settings.epochs !== null && task.stepsPerEpoch
    ? Math.max(1, Math.ceil(settings.epochs * task.stepsPerEpoch))
    : settings.steps;
  const trainer = new Trainer(task, trainOptionsFromSettings(settings, steps), parallel);
  parallel?.attach(task.model);
  const backend = getBackend().name;
  const config: RunConfig = {
    format: 'indrnn-run', version: 1, settings, model: task.model.config, steps, backend,
    notes: [...task.notes], parameters: task.model.numParameters(), world_size: comm.size,
  };
  let elapsedBefore = 0;
  if (ckpt) {
    restoreTrainer(trainer, ckpt);
    elapsedBefore = ckpt.meta.elapsed;
    if (writer) truncateMetrics(file(RUN_FILES.metrics), trainer.step);
  }
  // every rank starts from rank 0's weights and optimizer state
  parallel?.broadcastState(task.model, trainer.optimizer);
  if (writer) {
    fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
    writeFileAtomic(file(RUN_FILES.config), JSON.stringify(config, null, 2) + '\n');
    for (const [name, content] of Object.entries(task.artifacts ?? {})) writeFileAtomic(file(name), content);
  }

  const metricsFd = writer ? fs.openSync(file(RUN_FILES.metrics), 'a') : null;
  const log = (rec: object, echo: boolean): void => {
    if (metricsFd === null) return;
    const line = JSON.stringify(rec);
    fs.writeSync(metricsFd, line + '\n');
    if (opts.json && echo) stdout.write(line + '\n');
  };

  const startedAt = Date.now();
  const elapsed = (): number => elapsedBefore + (Date.now() - startedAt) / 1000;
  // every rank encodes (a task's carried state is gathered from all ranks); rank 0 writes
  const saveCheckpoint = (name: string): void => {
    const drifted = parallel?.resync(task.model, trainer.optimizer);
    if (drifted && writer) stderr.write(`warning: the ranks' weights had drifted apart (${drifted}); rank 0's were given to all\n`);
    const bytes = encodeCheckpoint(config, trainer, elapsed());
    if (writer) writeFileAtomic(file(name), bytes);
  };
  /** Flags every rank acts on alike (one rank's clock or signal stops all of them at the same step). */
  const together = (flags: boolean[]): boolean[] => (parallel ? agree(comm, flags) : flags);
  let lastCheckpointAt = Date.now();

  let stopSignal: string | null = null;
  const onSignal = (sig: string) => () => {
    stopSignal = sig;
  };
  const handlers: [string, () => void][] = opts.handleSignals === false ? [] : [['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')]];
  for (const [sig, h] of handlers) process.on(sig, h);

  say(`${ckpt ? 'resuming' : 'training'} ${task.name} (${settings.preset} preset): ${settings.model}, ${config.parameters.toLocaleString('en-US')} parameters, ${steps} steps, backend ${backend}${comm.size > 1 ? `, ${comm.size} ranks (${comm.description})` : ''}, run dir ${out}${ckpt ? `, from step ${trainer.step}` : ''}`);
  for (const n of task.notes) say(`note: ${n}`);
  const progress = writer ? new ProgressLine(stderr, steps, trainer.step) : null;
  const logEvery = Math.max(1, opts.logEvery ?? 10);
  let ranThisInvocation = 0;
  let timeLimitHit = false;
  try {
    while (!trainer.done) {
      // yield to the event loop so signals are delivered between steps
      if (trainer.step % 10 === 0) await new Promise((r) => setImmediate(r));
      const [timeUp, stop] = together([
        settings.timeLimit > 0 && elapsed() >= settings.timeLimit * 60,
        stopSignal !== null || (opts.maxStepsThisRun !== undefined && ranThisInvocation >= opts.maxStepsThisRun),
      ]);
      if (timeUp) {
        timeLimitHit = true;
        break;
      }
      if (stop) break;
      const rec = trainer.trainStep();
      ranThisInvocation++;
      const epoch = task.epoch?.();
      log({ step: rec.step, loss: rec.loss, lr: rec.lr, ...rec.metrics, ...(epoch !== undefined ? { epoch: round(epoch) } : {}) }, rec.step % logEvery === 0);
      progress?.update(rec.step, rec.loss);
      if (trainer.evalDue) {
        const ev = trainer.validate();
        log({ step: ev.step, ...ev.metrics, lr: trainer.optimizer.lr, ...(ev.lrReduced ? { lr_reduced: true } : {}) }, true);
        const [name, value] = [task.monitor.metric, ev.metrics[task.monitor.metric]!];
        progress?.setMetric(name, value);
        if (ev.improved) {
          saveCheckpoint(RUN_FILES.best);
          if (writer) saveModel(file(RUN_FILES.model), task.model);
        }
      }
      const minutes = (Date.now() - lastCheckpointAt) / 60000;
      const [minutesDue] = together([settings.checkpointMinutes > 0 && minutes >= settings.checkpointMinutes]);
      if ((settings.checkpointEvery > 0 && rec.step % settings.checkpointEvery === 0) || minutesDue) {
        saveCheckpoint(RUN_FILES.last);
        lastCheckpointAt = Date.now();
      }
    }
    progress?.finish();
    if (timeLimitHit) say(`time limit of ${settings.timeLimit} min reached at step ${trainer.step} of ${steps}; testing the best weights`);
    if (!trainer.done && !timeLimitHit) {
      saveCheckpoint(RUN_FILES.last);
      const why = stopSignal
        ? `${stopSignal} received`
        : opts.maxStepsThisRun !== undefined && ranThisInvocation >= opts.maxStepsThisRun ? 'step limit of this invocation reached' : 'another rank received a signal';
      log({ step: trainer.step, event: 'interrupted', reason: why }, true);
      say(`${why}: checkpoint written at step ${trainer.step}; continue with --resume`);
      return { status: 'interrupted', step: trainer.step, test: {}, best: trainer.best, outDir: out };
    }
    // final: test the best weights by validation (or the last ones when nothing was validated)
    saveCheckpoint(RUN_FILES.last);
    // the best weights, from rank 0's file
    const bestFile = file(RUN_FILES.best);
    const best = broadcastBytes(comm, writer && trainer.best && fs.existsSync(bestFile) ? new Uint8Array(fs.readFileSync(bestFile)) : null);
    if (best.length > 0) task.model.loadStateDict(checkpointWeights(decodeCheckpoint(best, bestFile)));
    const test = trainer.evaluate('test');
    if (writer) saveModel(file(RUN_FILES.model), task.model as Model);
    log({ step: trainer.step, event: 'done', ...test, world_size: comm.size, ...(timeLimitHit ? { stopped: 'time limit' } : {}), ...(trainer.best ? { [`best_${trainer.best.metric}`]: trainer.best.value, best_step: trainer.best.step } : {}), elapsed_s: elapsed() }, true);
    say(`done in ${formatDuration(elapsed())}: ${Object.entries(test).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}${trainer.best ? ` (best ${trainer.best.metric} ${trainer.best.value.toFixed(4)} at step ${trainer.best.step})` : ''}`);
    return { status: 'done', step: trainer.step, test, best: trainer.best, outDir: out };
  } finally {
    if (metricsFd !== null) fs.closeSync(metricsFd);
    parallel?.detach();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
