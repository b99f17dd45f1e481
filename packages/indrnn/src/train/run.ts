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
  const say = (line: string): void => {
    if (!opts.json) stdout.write(line + '\n');
  };

  let ckpt: DecodedCheckpoint<RunConfig> | null = null;
  let settings = opts.settings;
  if (opts.resume) {
    const last = file(RUN_FILES.last);
    if (!fs.existsSync(last)) fail(`--resume: no checkpoint to resume at ${last}; start the run without --resume`);
    ckpt = readCheckpointFile(last);
    settings = ckpt.meta.config.settings;
  } else if (fs.existsSync(file(RUN_FILES.last)) || fs.existsSync(file(RUN_FILES.config))) {
    fail(`${out} already holds a run; pass --resume to continue it, or choose another --out`);
  }
  validateSettings(settings);

  manualSeed(settings.seed);
  const task = opts.definition.create(settings);
  const steps = settings.epochs !== null && task.stepsPerEpoch
    ? Math.max(1, Math.ceil(settings.epochs * task.stepsPerEpoch))
    : settings.steps;
  const trainer = new Trainer(task, trainOptionsFromSettings(settings, steps));
  const backend = getBackend().name;
  const config: RunConfig = {
    format: 'indrnn-run', version: 1, settings, model: task.model.config, steps, backend,
    notes: [...task.notes], parameters: task.model.numParameters(),
  };
  let elapsedBefore = 0;
  if (ckpt) {
    restoreTrainer(trainer, ckpt);
    elapsedBefore = ckpt.meta.elapsed;
    truncateMetrics(file(RUN_FILES.metrics), trainer.step);
  }
  fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
  writeFileAtomic(file(RUN_FILES.config), JSON.stringify(config, null, 2) + '\n');
  for (const [name, content] of Object.entries(task.artifacts ?? {})) writeFileAtomic(file(name), content);

  const metricsFd = fs.openSync(file(RUN_FILES.metrics), 'a');
  const log = (rec: object, echo: boolean): void => {
    const line = JSON.stringify(rec);
    fs.writeSync(metricsFd, line + '\n');
    if (opts.json && echo) stdout.write(line + '\n');
  };

  const startedAt = Date.now();
  const elapsed = (): number => elapsedBefore + (Date.now() - startedAt) / 1000;
  const saveCheckpoint = (name: string): void => writeFileAtomic(file(name), encodeCheckpoint(config, trainer, elapsed()));
  let lastCheckpointAt = Date.now();

  let stopSignal: string | null = null;
  const onSignal = (sig: string) => () => {
    stopSignal = sig;
  };
  const handlers: [string, () => void][] = opts.handleSignals === false ? [] : [['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')]];
  for (const [sig, h] of handlers) process.on(sig, h);

  say(`${ckpt ? 'resuming' : 'training'} ${task.name} (${settings.preset} preset): ${settings.model}, ${config.parameters.toLocaleString('en-US')} parameters, ${steps} steps, backend ${backend}, run dir ${out}${ckpt ? `, from step ${trainer.step}` : ''}`);
  for (const n of task.notes) say(`note: ${n}`);
  const progress = new ProgressLine(stderr, steps, trainer.step);
  const logEvery = Math.max(1, opts.logEvery ?? 10);
  let ranThisInvocation = 0;
  let timeLimitHit = false;
  try {
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
          saveCheckpoint(RUN_FILES.best);
          saveModel(file(RUN_FILES.model), task.model);
        }
      }
      const minutes = (Date.now() - lastCheckpointAt) / 60000;
      if ((settings.checkpointEvery > 0 && rec.step % settings.checkpointEvery === 0) || (settings.checkpointMinutes > 0 && minutes >= settings.checkpointMinutes)) {
        saveCheckpoint(RUN_FILES.last);
        lastCheckpointAt = Date.now();
      }
    }
    progress.finish();
    if (timeLimitHit) say(`time limit of ${settings.timeLimit} min reached at step ${trainer.step} of ${steps}; testing the best weights`);
    if (!trainer.done && !timeLimitHit) {
      saveCheckpoint(RUN_FILES.last);
      const why = stopSignal ? `${stopSignal} received` : 'step limit of this invocation reached';
      log({ step: trainer.step, event: 'interrupted', reason: why }, true);
      say(`${why}: checkpoint written at step ${trainer.step}; continue with --resume`);
      return { status: 'interrupted', step: trainer.step, test: {}, best: trainer.best, outDir: out };
    }
    // final: test the best weights by validation (or the last ones when nothing was validated)
    saveCheckpoint(RUN_FILES.last);
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
    fs.closeSync(metricsFd);
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
