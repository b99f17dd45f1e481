/**
 * Node-side runs: a run directory with config.json, metrics.jsonl and checkpoints (last, previous,
 * best), a progress line or JSON lines, SIGINT/SIGTERM handling (checkpoint, then exit), exact
 * resume, and the final test evaluation of the best weights.
 *
 * Layout of a run directory:
 *   config.json              settings, model config, backend and compute record, notes
 *   metrics.jsonl            one JSON object a line: {step, loss, lr} and {step, val_*, elapsed_s}, last {event: "done", test_*}
 *   run.lock                 the pid of the process running it (train/run-lock.ts)
 *   checkpoints/last.ckpt    written every checkpointEvery steps / checkpointMinutes, on signals and at the end
 *   checkpoints/previous.ckpt  the last.ckpt before it (a fallback if last.ckpt is damaged)
 *   checkpoints/best.ckpt    the best validation result so far
 *   model/                   the best model as model.json + model.safetensors (for `indrnn eval`)
 *
 * Every setting is checked, and the task's data loaded, before the directory is created or touched.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Trainer } from './trainer.js';
import { decodeCheckpoint, encodeCheckpoint, restoreTrainer, checkpointWeights, type DecodedCheckpoint } from './checkpoint.js';
import { SINGLE_PROCESS, type Communicator } from '../distributed/communicator.js';
import { DataParallel } from '../distributed/data-parallel.js';
import { agree, broadcastBytes, fromRoot } from '../distributed/collective.js';
import { WHOLE_BATCH } from '../distributed/shard.js';
import { ProgressLine, formatDuration } from './progress.js';
import { acquireRunLock } from './run-lock.js';
import { applyResumeChanges } from './resume-changes.js';
import { RUN_FILES, clearRunFiles, inspectRunFolder, removeStaleTemps, writeLastCheckpoint, type CheckpointName } from './run-folder.js';
import { writeFileAtomic, saveModel } from '../io/files.js';
import { manualSeed } from '../util/random.js';
import { getBackend } from '../backend/registry.js';
import { computeDifferences, describeCompute, type ComputeRecord } from '../backend/describe.js';
import { fail, IndrnnError } from '../util/errors.js';
import { trainOptionsFromSettings, validateSettings, type Settings } from '../experiments/settings.js';
import { checkSettingsFit } from '../experiments/size-check.js';
import { activeStages } from '../experiments/curriculum.js';
import type { TaskDefinition } from '../experiments/task-definition.js';
import type { Model } from '../nn/models.js';

export { RUN_FILES } from './run-folder.js';

export interface RunConfig {
  format: 'indrnn-run';
  version: 1;
  settings: Settings;
  model: ReturnType<TaskDefinition['modelConfig']>;
  /** Total steps after resolving epochs. */
  steps: number;
  backend: string;
  /** What decides bit-identity: backend, threads, SIMD, BLAS library, core and choice (absent in older runs). */
  compute?: ComputeRecord;
  notes: string[];
  parameters: number;
  /** When the run was first started (ISO 8601, UTC; kept across resumes; absent in older runs). */
  started?: string;
  /** Ranks that trained together (data-parallel); 1 for one process (absent in older runs). */
  world_size?: number;
}

export interface RunOptions {
  definition: TaskDefinition;
  /** The settings of a new run (ignored on resume, where the run's own settings apply). */
  settings: Settings;
  /**
   * The settings the user set explicitly (flags). A resume applies the safe ones (steps, epochs,
   * timeLimit, dataDir, evalEvery, checkpointEvery) and refuses any other that differs from the run.
   */
  changes?: Partial<Settings>;
  outDir: string;
  /** Continue the run in outDir from a checkpoint (`resumeFrom`, default last.ckpt). */
  resume?: boolean;
  /** Which checkpoint a resume starts from: last (default), previous or best. */
  resumeFrom?: CheckpointName;
  /** Replace a run already in outDir (its config, metrics, checkpoints and model) with a new one. */
  force?: boolean;
  /** JSON lines on stdout instead of human-readable output. */
  json?: boolean;
  /** Print a train line to stdout every this many steps with --json (metrics.jsonl has every step). */
  logEvery?: number;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Seconds between plain progress lines when stderr is not a terminal (default 10; 0 = none). */
  progressEvery?: number;
  /** Stop after this many steps of this invocation (tests use it to simulate an interruption). */
  maxStepsThisRun?: number;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
  /**
   * Data-parallel training over these ranks (from distributed/mpi.ts under mpirun or srun): each
   * rank runs this same call; rank 0 alone reads and writes the run directory and prints.
   * Default: one process.
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

function readRunConfigFile(file: string): RunConfig {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig;
    if (c?.format !== 'indrnn-run' || !c.settings) fail('not an indrnn run config');
    return c;
  } catch (e) {
    fail(`${file}: cannot be read as a run config (${(e as Error).message}); pass --force to replace the run, or choose another --out`);
  }
}

/**
 * The checkpoint a resume starts from. A damaged last.ckpt is named with the alternatives the
 * folder holds (previous.ckpt, best.ckpt), which the user picks with resumeFrom.
 */
function readResumeCheckpoint(out: string, from: CheckpointName, notes: string[]): DecodedCheckpoint<RunConfig> {
  const file = path.join(out, RUN_FILES[from]);
  const state = inspectRunFolder(out);
  if (from === 'last' && !state.checkpoints.last && state.checkpoints.previous) {
    // killed between keeping the previous checkpoint and writing the new one
    notes.push(`${RUN_FILES.last} is missing (the process died while replacing it); resuming from ${RUN_FILES.previous}`);
    return readCheckpointFile(path.join(out, RUN_FILES.previous));
  }
  try {
    if (!fs.existsSync(file)) fail(`--resume: ${file} does not exist`);
    return readCheckpointFile(file);
  } catch (e) {
    if (!(e instanceof IndrnnError)) throw e;
    const offers: string[] = [];
    for (const alt of ['previous', 'best'] as const) {
      if (alt === from || !state.checkpoints[alt]) continue;
      try {
        const c = readCheckpointFile(path.join(out, RUN_FILES[alt]));
        offers.push(`--resume-from ${alt} (${RUN_FILES[alt]}, step ${c.meta.state.step})`);
      } catch {
        // damaged too: not offered
      }
    }
    fail(`${e.message}\n${offers.length ? `resume from another checkpoint instead: ${offers.join(', or ')}` : 'no other checkpoint of this run is intact; start again with --force'}`);
  }
}

const round = (v: number): number => Math.round(v * 1e4) / 1e4;
const GiB = 1024 ** 3;

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
  const notes: string[] = [];

  // ---- what the folder holds, and the settings of this invocation (nothing is written yet) ----
  // Rank 0 reads the folder; the other ranks get its settings and its checkpoint's bytes.
  let ckpt = null as DecodedCheckpoint<RunConfig> | null;
  let clearFirst = false;
  const settings = fromRoot(comm, () => {
    const found = inspectRunFolder(out);
    let settings = opts.settings; // this invocation's, or the run's on resume
    if (opts.force && opts.resume) fail('--force starts a new run and --resume continues one; pass one of them');
    if (opts.resume) {
      if (!found.hasConfig && !found.hasCheckpoint) {
        fail(`--resume: ${out} holds no run to continue (no ${RUN_FILES.config}, no checkpoint); start the run without --resume`);
      }
      if (found.hasCheckpoint) {
        ckpt = readResumeCheckpoint(out, opts.resumeFrom ?? 'last', notes);
        // runs from before --bn-sync existed had it on
        settings = applyResumeChanges({ ...ckpt.meta.config.settings, bnSync: ckpt.meta.config.settings.bnSync ?? true }, opts.changes ?? {});
      } else {
        // it died before its first checkpoint: start that run again
        settings = applyResumeChanges(readRunConfigFile(file(RUN_FILES.config)).settings, opts.changes ?? {});
        notes.push(`${out} has no checkpoint yet (the run stopped before its first one); starting it again from step 0`);
        clearFirst = true;
      }
    } else if (opts.force) {
      clearFirst = found.hasConfig || found.hasCheckpoint;
      if (clearFirst) notes.push(`--force: replacing the run in ${out}`);
    } else if (found.hasCheckpoint) {
      fail(`${out} already holds a run; pass --resume to continue it, --force to replace it, or choose another --out`);
    } else if (found.hasConfig) {
      notes.push(`${out} holds a run that stopped before its first checkpoint; starting it again`);
      clearFirst = true;
    }
    validateSettings(settings);
    if (activeStages(settings.curriculum ?? [], settings.seqLen).length > 0 && !opts.definition.lengthCurriculum) {
      fail(`--curriculum: task '${opts.definition.name}' trains on sequences of its data's own length; a length curriculum applies to generated sequences (the adding task) only`);
    }
    const approxParameters = checkSettingsFit(settings, opts.definition.modelConfig(settings));
    // weights, gradients and two Adam moments, in float32
    const needBytes = approxParameters * 4 * 4;
    if (needBytes > os.totalmem()) {
      fail(`the model for these settings has ~${(approxParameters / 1e6).toFixed(0)}M parameters, needing ~${(needBytes / GiB).toFixed(1)} GiB for weights, gradients and Adam state; this machine has ${(os.totalmem() / GiB).toFixed(1)} GiB. Reduce --hidden (or the model's width)`);
    }
    if (comm.size > 1) {
      if (!opts.definition.dataParallel) fail(`task '${opts.definition.name}' cannot train on several ranks (it does not split its batches); run it in one process`);
      if (settings.batchSize < comm.size) fail(`the batch size (${settings.batchSize}) is smaller than the number of ranks (${comm.size}); every rank needs at least one row: raise --batch-size or run fewer ranks`);
    }
    return settings;
  });
  if (comm.size > 1) {
    // the checkpoint rank 0 chose, as bytes (the other ranks' disks need not hold the run)
    const bytes = broadcastBytes(comm, writer && ckpt ? new Uint8Array(fs.readFileSync(ckpt.source)) : null);
    if (!writer && bytes.length > 0) ckpt = decodeCheckpoint<RunConfig>(bytes, path.join(out, RUN_FILES.last));
  }

  const parallel = comm.size > 1 ? new DataParallel(comm, { bnSync: settings.bnSync ?? true }) : null;
  manualSeed(settings.seed);
  const task = opts.definition.create(settings, { shard: parallel?.shard ?? WHOLE_BATCH });
  const steps = settings.epochs !== null && task.stepsPerEpoch
    ? Math.max(1, Math.ceil(settings.epochs * task.stepsPerEpoch))
    : settings.steps;
  const trainer = new Trainer(task, trainOptionsFromSettings(settings, steps), parallel);
  parallel?.attach(task.model);
  const backend = getBackend().name;
  const compute = describeCompute(getBackend());
  const config: RunConfig = {
    format: 'indrnn-run', version: 1, settings, model: task.model.config, steps, backend, compute,
    notes: [...task.notes], parameters: task.model.numParameters(), world_size: comm.size,
    started: ckpt?.meta.config.started ?? new Date().toISOString(),
  };
  let elapsedBefore = 0;
  if (ckpt) {
    restoreTrainer(trainer, ckpt);
    elapsedBefore = ckpt.meta.elapsed;
    const before = ckpt.meta.config.compute;
    const changed = before ? computeDifferences(before, compute) : [];
    if (changed.length) notes.push(`resuming with different compute settings (${changed.join(', ')}): the result will not be bit-identical to an uninterrupted run`);
    const ranksBefore = ckpt.meta.config.world_size ?? 1;
    if (ranksBefore !== comm.size) notes.push(`resuming on ${comm.size} rank(s) a run that had ${ranksBefore}: the batches are the same, the float32 sums are split differently`);
  }
  // every rank starts from rank 0's weights and optimizer state
  parallel?.broadcastState(task.model, trainer.optimizer);

  // ---- the folder: created only now, and locked for this process (rank 0's) ----
  let lock = null as ReturnType<typeof acquireRunLock> | null;
  fromRoot(comm, () => {
    fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
    lock = acquireRunLock(out);
    return null;
  });
  if (lock?.note) notes.push(lock.note);
  let metricsFd = null as number | null;
  const handlers: [string, () => void][] = [];
  try {
    fromRoot(comm, () => {
      if (!opts.resume && !opts.force && inspectRunFolder(out).hasCheckpoint) {
        fail(`${out} already holds a run (another process started it meanwhile); pass --resume to continue it, or choose another --out`);
      }
      if (clearFirst) clearRunFiles(out, Object.keys(task.artifacts ?? {}));
      const stale = removeStaleTemps(out);
      if (stale.length) notes.push(`removed ${stale.length} temporary file(s) left by an interrupted write: ${stale.join(', ')}`);
      if (ckpt && opts.resumeFrom && opts.resumeFrom !== 'last' && fs.existsSync(file(RUN_FILES.last))) {
        // out of the way of the next checkpoint's rotation (which would make it previous.ckpt), but kept
        let damaged = false;
        try {
          readCheckpointFile(file(RUN_FILES.last));
        } catch {
          damaged = true;
        }
        const aside = `${RUN_FILES.last}.${damaged ? 'damaged' : 'unused'}`;
        fs.renameSync(file(RUN_FILES.last), file(aside));
        notes.push(`moved ${RUN_FILES.last} aside to ${aside}`);
      }
      if (ckpt) truncateMetrics(file(RUN_FILES.metrics), trainer.step);
      fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
      writeFileAtomic(file(RUN_FILES.config), JSON.stringify(config, null, 2) + '\n');
      for (const [name, content] of Object.entries(task.artifacts ?? {})) writeFileAtomic(file(name), content);
      metricsFd = fs.openSync(file(RUN_FILES.metrics), 'a');
      return null;
    });

    const fd = metricsFd;
    const log = (rec: object, echo: boolean): void => {
      if (fd === null) return;
      const line = JSON.stringify(rec);
      fs.writeSync(fd, line + '\n');
      if (opts.json && echo) stdout.write(line + '\n');
    };

    const startedAt = Date.now();
    const elapsed = (): number => elapsedBefore + (Date.now() - startedAt) / 1000;
    // every rank encodes (a task's carried state is gathered from all ranks); rank 0 writes
    const encode = (): Uint8Array => {
      const drifted = parallel?.resync(task.model, trainer.optimizer);
      if (drifted && writer) stderr.write(`warning: the ranks' weights had drifted apart (${drifted}); rank 0's were given to all\n`);
      return encodeCheckpoint(config, trainer, elapsed());
    };
    const saveLast = (): void => {
      const bytes = encode();
      if (writer) writeLastCheckpoint(out, bytes);
    };
    const saveBest = (): void => {
      const bytes = encode();
      if (writer) writeFileAtomic(file(RUN_FILES.best), bytes);
    };
    /** Flags every rank acts on alike (one rank's clock or signal stops all of them at the same step). */
    const together = (flags: boolean[]): boolean[] => (parallel ? agree(comm, flags) : flags);
    let lastCheckpointAt = Date.now();

    let stopSignal: string | null = null;
    const onSignal = (sig: string) => () => {
      stopSignal = sig;
    };
    if (opts.handleSignals !== false) handlers.push(['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')]);
    for (const [sig, h] of handlers) process.on(sig, h);

    say(`${ckpt ? 'resuming' : 'training'} ${task.name} (${settings.preset} preset): ${settings.model}, ${config.parameters.toLocaleString('en-US')} parameters, ${steps} steps, backend ${backend} (${compute.threads ?? 1} threads${compute.blas ? `, BLAS ${compute.blas}${compute.blasCore ? ` ${compute.blasCore}` : ''} ${compute.blasMode}` : ''})${comm.size > 1 ? `, ${comm.size} ranks (${comm.description})` : ''}, run dir ${out}${ckpt ? `, from step ${trainer.step}` : ''}`);
    for (const n of [...notes, ...task.notes]) say(`note: ${n}`);
    if (opts.json && writer) for (const n of notes) stderr.write(`note: ${n}\n`);
    const progress = writer ? new ProgressLine(stderr, steps, trainer.step, { plainEvery: opts.json ? 0 : (opts.progressEvery ?? 10) }) : null;
    const logEvery = Math.max(1, opts.logEvery ?? 10);
    let ranThisInvocation = 0;
    let timeLimitHit = false;
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
        log({ step: ev.step, ...ev.metrics, lr: trainer.optimizer.lr, ...(ev.lrReduced ? { lr_reduced: true } : {}), elapsed_s: Math.round(elapsed() * 10) / 10 }, true);
        const [name, value] = [task.monitor.metric, ev.metrics[task.monitor.metric]!];
        progress?.setMetric(name, value);
        if (ev.improved) {
          saveBest();
          if (writer) saveModel(file(RUN_FILES.model), task.model);
        }
      }
      const minutes = (Date.now() - lastCheckpointAt) / 60000;
      const [minutesDue] = together([settings.checkpointMinutes > 0 && minutes >= settings.checkpointMinutes]);
      if ((settings.checkpointEvery > 0 && rec.step % settings.checkpointEvery === 0) || minutesDue) {
        saveLast();
        lastCheckpointAt = Date.now();
      }
    }
    progress?.finish();
    if (timeLimitHit) say(`time limit of ${settings.timeLimit} min reached at step ${trainer.step} of ${steps}; testing the best weights`);
    if (!trainer.done && !timeLimitHit) {
      saveLast();
      const why = stopSignal
        ? `${stopSignal} received`
        : opts.maxStepsThisRun !== undefined && ranThisInvocation >= opts.maxStepsThisRun ? 'step limit of this invocation reached' : 'another rank received a signal';
      log({ step: trainer.step, event: 'interrupted', reason: why }, true);
      say(`${why}: checkpoint written at step ${trainer.step}; continue with --resume`);
      return { status: 'interrupted', step: trainer.step, test: {}, best: trainer.best, outDir: out };
    }
    // final: test the best weights by validation (or the last ones when nothing was validated)
    saveLast();
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
    for (const [sig, h] of handlers) process.off(sig, h);
    lock?.release();
    parallel?.detach();
  }
}
