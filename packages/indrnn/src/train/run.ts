/**
 * Node-side runs: a run directory with config.json, metrics.jsonl and checkpoints (last, previous,
 * best), a progress line or JSON lines, SIGINT/SIGTERM handling (checkpoint, then exit), exact
 * resume, and the final test evaluation of the best weights.
 *
 * Layout of a run directory:
 *   config.json              settings, model config, backend and compute record, notes
 *   metrics.jsonl            one JSON object a line: {step, loss, lr} and {step, val_*}, last {event: "done", test_*}
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
  const say = (line: string): void => {
    if (!opts.json) stdout.write(line + '\n');
  };
  const notes: string[] = [];

  // ---- what the folder holds, and the settings of this invocation (nothing is written yet) ----
  const found = inspectRunFolder(out);
  let ckpt: DecodedCheckpoint<RunConfig> | null = null;
  let settings = opts.settings;
  let clearFirst = false;
  if (opts.force && opts.resume) fail('--force starts a new run and --resume continues one; pass one of them');
  if (opts.resume) {
    if (!found.hasConfig && !found.hasCheckpoint) {
      fail(`--resume: ${out} holds no run to continue (no ${RUN_FILES.config}, no checkpoint); start the run without --resume`);
    }
    if (found.hasCheckpoint) {
      ckpt = readResumeCheckpoint(out, opts.resumeFrom ?? 'last', notes);
      settings = applyResumeChanges(ckpt.meta.config.settings, opts.changes ?? {});
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
  const approxParameters = checkSettingsFit(settings, opts.definition.modelConfig(settings));
  // weights, gradients and two Adam moments, in float32
  const needBytes = approxParameters * 4 * 4;
  if (needBytes > os.totalmem()) {
    fail(`the model for these settings has ~${(approxParameters / 1e6).toFixed(0)}M parameters, needing ~${(needBytes / GiB).toFixed(1)} GiB for weights, gradients and Adam state; this machine has ${(os.totalmem() / GiB).toFixed(1)} GiB. Reduce --hidden (or the model's width)`);
  }

  manualSeed(settings.seed);
  const task = opts.definition.create(settings);
  const steps = settings.epochs !== null && task.stepsPerEpoch
    ? Math.max(1, Math.ceil(settings.epochs * task.stepsPerEpoch))
    : settings.steps;
  const trainer = new Trainer(task, trainOptionsFromSettings(settings, steps));
  const backend = getBackend().name;
  const compute = describeCompute(getBackend());
  const config: RunConfig = {
    format: 'indrnn-run', version: 1, settings, model: task.model.config, steps, backend, compute,
    notes: [...task.notes], parameters: task.model.numParameters(),
    started: ckpt?.meta.config.started ?? new Date().toISOString(),
  };
  let elapsedBefore = 0;
  if (ckpt) {
    restoreTrainer(trainer, ckpt);
    elapsedBefore = ckpt.meta.elapsed;
    const before = ckpt.meta.config.compute;
    const changed = before ? computeDifferences(before, compute) : [];
    if (changed.length) notes.push(`resuming with different compute settings (${changed.join(', ')}): the result will not be bit-identical to an uninterrupted run`);
  }

  // ---- the folder: created only now, and locked for this process ----
  fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
  const lock = acquireRunLock(out);
  if (lock.note) notes.push(lock.note);
  let metricsFd: number | null = null;
  const handlers: [string, () => void][] = [];
  try {
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

    const fd = fs.openSync(file(RUN_FILES.metrics), 'a');
    metricsFd = fd;
    const log = (rec: object, echo: boolean): void => {
      const line = JSON.stringify(rec);
      fs.writeSync(fd, line + '\n');
      if (opts.json && echo) stdout.write(line + '\n');
    };

    const startedAt = Date.now();
    const elapsed = (): number => elapsedBefore + (Date.now() - startedAt) / 1000;
    const encode = (): Uint8Array => encodeCheckpoint(config, trainer, elapsed());
    const saveLast = (): void => writeLastCheckpoint(out, encode());
    const saveBest = (): void => writeFileAtomic(file(RUN_FILES.best), encode());
    let lastCheckpointAt = Date.now();

    let stopSignal: string | null = null;
    const onSignal = (sig: string) => () => {
      stopSignal = sig;
    };
    if (opts.handleSignals !== false) handlers.push(['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')]);
    for (const [sig, h] of handlers) process.on(sig, h);

    say(`${ckpt ? 'resuming' : 'training'} ${task.name} (${settings.preset} preset): ${settings.model}, ${config.parameters.toLocaleString('en-US')} parameters, ${steps} steps, backend ${backend} (${compute.threads ?? 1} threads${compute.blas ? `, BLAS ${compute.blas}${compute.blasCore ? ` ${compute.blasCore}` : ''} ${compute.blasMode}` : ''}), run dir ${out}${ckpt ? `, from step ${trainer.step}` : ''}`);
    for (const n of [...notes, ...task.notes]) say(`note: ${n}`);
    if (opts.json) for (const n of notes) stderr.write(`note: ${n}\n`);
    const progress = new ProgressLine(stderr, steps, trainer.step, { plainEvery: opts.json ? 0 : (opts.progressEvery ?? 10) });
    const logEvery = Math.max(1, opts.logEvery ?? 10);
    let ranThisInvocation = 0;
    let timeLimitHit = false;
    while (!trainer.done) {
      if (settings.timeLimit > 0 && elapsed() >= settings.timeLimit * 60) {
        timeLimitHit = true;
        break;
      }
      // yield to the event loop so signals are delivered between steps
      if (trainer.step % 10 === 0) await new Promise((r) => setImmediate(r));
      if (stopSignal || (opts.maxStepsThisRun !== undefined && ranThisInvocation >= opts.maxStepsThisRun)) break;
      const rec = trainer.trainStep();
      ranThisInvocation++;
      const epoch = task.epoch?.();
      log({ step: rec.step, loss: rec.loss, lr: rec.lr, ...rec.metrics, ...(epoch !== undefined ? { epoch: round(epoch) } : {}) }, rec.step % logEvery === 0);
      progress.update(rec.step, rec.loss);
      if (trainer.evalDue) {
        const ev = trainer.validate();
        log({ step: ev.step, ...ev.metrics, lr: trainer.optimizer.lr, ...(ev.lrReduced ? { lr_reduced: true } : {}) }, true);
        const [name, value] = [task.monitor.metric, ev.metrics[task.monitor.metric]!];
        progress.setMetric(name, value);
        if (ev.improved) {
          saveBest();
          saveModel(file(RUN_FILES.model), task.model);
        }
      }
      const minutes = (Date.now() - lastCheckpointAt) / 60000;
      if ((settings.checkpointEvery > 0 && rec.step % settings.checkpointEvery === 0) || (settings.checkpointMinutes > 0 && minutes >= settings.checkpointMinutes)) {
        saveLast();
        lastCheckpointAt = Date.now();
      }
    }
    progress.finish();
    if (timeLimitHit) say(`time limit of ${settings.timeLimit} min reached at step ${trainer.step} of ${steps}; testing the best weights`);
    if (!trainer.done && !timeLimitHit) {
      saveLast();
      const why = stopSignal ? `${stopSignal} received` : 'step limit of this invocation reached';
      log({ step: trainer.step, event: 'interrupted', reason: why }, true);
      say(`${why}: checkpoint written at step ${trainer.step}; continue with --resume`);
      return { status: 'interrupted', step: trainer.step, test: {}, best: trainer.best, outDir: out };
    }
    // final: test the best weights by validation (or the last ones when nothing was validated)
    saveLast();
    if (trainer.best && fs.existsSync(file(RUN_FILES.best))) {
      const best = readCheckpointFile(file(RUN_FILES.best));
      task.model.loadStateDict(checkpointWeights(best));
    }
    const test = trainer.evaluate('test');
    saveModel(file(RUN_FILES.model), task.model as Model);
    log({ step: trainer.step, event: 'done', ...test, ...(timeLimitHit ? { stopped: 'time limit' } : {}), ...(trainer.best ? { [`best_${trainer.best.metric}`]: trainer.best.value, best_step: trainer.best.step } : {}), elapsed_s: elapsed() }, true);
    say(`done in ${formatDuration(elapsed())}: ${Object.entries(test).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}${trainer.best ? ` (best ${trainer.best.metric} ${trainer.best.value.toFixed(4)} at step ${trainer.best.step})` : ''}`);
    return { status: 'done', step: trainer.step, test, best: trainer.best, outDir: out };
  } finally {
    if (metricsFd !== null) fs.closeSync(metricsFd);
    for (const [sig, h] of handlers) process.off(sig, h);
    lock.release();
  }
}
