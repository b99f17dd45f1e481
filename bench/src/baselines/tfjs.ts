/**
 * TensorFlow.js baseline: ../shared/baselines/tfjs_rnn_step.mjs (2-layer tf.layers.simpleRNN(relu) +
 * dense(1), trainOnBatch with MSE and Adam) on tfjs's cpu and wasm backends. The script is not ours to
 * commit: it is copied into bench/.cache/ so that its bare imports resolve from this package's
 * dependencies (@tensorflow/tfjs, @tensorflow/tfjs-backend-wasm), then run with node.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { StepConfig } from '../configs.js';
import { CACHE_DIR, CPU_CLOCK_ENTRY, tfjsScriptSource } from '../paths.js';
import { failureReason, lastJsonLine, runProcess } from '../proc.js';
import { skippedStep, type Impl, type StepLine } from '../results.js';
import { round } from '../stats.js';

export type TfjsBackend = 'cpu' | 'wasm';

export function tfjsImpl(b: TfjsBackend): Impl {
  return b === 'cpu' ? 'tfjs-cpu-simplernn' : 'tfjs-wasm-simplernn';
}

/** Copies the script into the cache folder; returns its path, or null when the source is missing. */
export function stageTfjsScript(): string | null {
  const src = tfjsScriptSource();
  if (!existsSync(src)) return null;
  mkdirSync(CACHE_DIR, { recursive: true });
  const dest = path.join(CACHE_DIR, path.basename(src));
  copyFileSync(src, dest);
  return dest;
}

export interface TfjsOptions {
  /** Run configs that are skipped by default for taking minutes per step. */
  slow: boolean;
  /** Preload the CPU clock: the script's performance.now() then reads process CPU time. */
  cpuClock: boolean;
  onProgress?: (line: string) => void;
}

export async function runTfjs(config: StepConfig, backend: TfjsBackend, opts: TfjsOptions): Promise<StepLine> {
  const impl = tfjsImpl(backend);
  if (!config.tfjsPossible) return skippedStep(impl, config.name, config.tfjsSkip ?? 'not supported by the TF.js script');
  if (config.tfjsSkip && !opts.slow) return skippedStep(impl, config.name, config.tfjsSkip);
  if (config.shape.bn) return skippedStep(impl, config.name, 'the TF.js script has no batch norm');
  const script = stageTfjsScript();
  if (!script) return skippedStep(impl, config.name, `the baseline script ${tfjsScriptSource()} is missing`);
  const s = config.shape;
  const steps = config.steps.tfjs;
  const args = [...(opts.cpuClock ? ['--import', CPU_CLOCK_ENTRY] : []), script, backend, 'simplernn', String(steps), String(s.T), String(s.B), String(s.hidden), String(s.input)];
  // the script stops a case after any step longer than 60 s; allow that plus loading
  const timeoutMs = (steps + 1) * 240_000 + 60_000;
  const r = await runProcess(process.execPath, args, {
    timeoutMs,
    onStdoutLine: (l) => {
      if (l.startsWith('step ')) opts.onProgress?.(`${impl} ${config.name}: ${l}`);
    },
  });
  const out = lastJsonLine(r.stdout, 'JSON ');
  if (r.code !== 0 || !out || typeof out['median_s'] !== 'number') {
    return skippedStep(impl, config.name, failureReason(r, `tfjs_rnn_step.mjs (${backend})`));
  }
  const stopped = r.stdout.includes('step > 60 s');
  // the script stops after any step over 60 s; if that was step 0, its time is the warm-up step's
  const warmupOnly = stopped && !/^step 1:/m.test(r.stdout);
  const timed = warmupOnly ? 'only the warm-up step ran (it took over 60 s, so the script stopped): its time is shown'
    : `${Number(out['steps'])} timed step(s) after 1 warm-up` + (stopped ? '; a step took over 60 s, so the script stopped early' : '');
  return {
    impl,
    config: config.name,
    ms_per_step: round(out['median_s'] * 1000, 1),
    steps: Number(out['steps']),
    warmup: warmupOnly ? 0 : 1,
    min_ms: round(Number(out['min_s']) * 1000, 1),
    max_ms: round(Number(out['max_s']) * 1000, 1),
    threads: 1,
    blas: null,
    note: `TF.js 2-layer tf.layers.simpleRNN(relu), ${timed}`,
  };
}
