/**
 * The harness: for each selected config, our rows (child processes) then the baselines, in one run,
 * so the ratios compare numbers measured minutes apart on the same machine. Results stream out
 * through `onLine` as they finish; the caller prints JSON lines or tables.
 */
import * as os from 'node:os';
import { selectConfigs, type BenchConfig, type GemmConfig, type StepConfig } from './configs.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { ourGemm, ourStep, type OurOptions } from './ours/measure.js';
import { runTorch } from './baselines/pytorch.js';
import { runTfjs } from './baselines/tfjs.js';
import { runNumpyGemm } from './baselines/numpy.js';
import { ALL_IMPLS, GEMM_IMPLS, OUR_IMPLS, STEP_BASELINES, type Impl, type ResultLine } from './results.js';

export interface BenchOptions {
  /** Config names; empty: the default set. */
  configs: readonly string[];
  /** Implementations to run; null: all that apply. */
  impls: readonly Impl[] | null;
  threads: number;
  /** Timed steps for indrnn-native (null: each config's count). */
  nativeSteps: number | null;
  /** Also run baselines skipped by default for taking minutes (TF.js on adding-5000). */
  slow: boolean;
  profileDir: string | null;
  /** Time each backend kernel inside our step and print the breakdown. */
  kernels: boolean;
  /** Every row times process CPU time instead of wall time (robust to other load; use one thread). */
  cpuTime: boolean;
  onLine?: (line: ResultLine) => void;
  onConfigDone?: (config: BenchConfig, lines: readonly ResultLine[]) => void;
  onProgress?: (message: string) => void;
}

export interface BenchReport {
  machine: MachineInfo;
  threads: number;
  configs: BenchConfig[];
  lines: ResultLine[];
}

export function defaultOptions(): BenchOptions {
  return { configs: [], impls: null, threads: os.availableParallelism(), nativeSteps: null, slow: false, profileDir: null, kernels: false, cpuTime: false };
}

export function parseImpls(list: readonly string[]): Impl[] {
  for (const i of list) {
    if (!(ALL_IMPLS as readonly string[]).includes(i)) {
      throw new Error(`unknown implementation '${i}'; expected one of ${ALL_IMPLS.join(', ')}`);
    }
  }
  return list as Impl[];
}

function wanted(opts: BenchOptions, impl: Impl): boolean {
  return opts.impls === null || opts.impls.includes(impl);
}

async function stepConfig(config: StepConfig, opts: BenchOptions, emit: (l: ResultLine) => void): Promise<void> {
  const ours: OurOptions = { threads: opts.threads, nativeSteps: opts.nativeSteps, profileDir: opts.profileDir, kernels: opts.kernels, cpuClock: opts.cpuTime };
  for (const impl of OUR_IMPLS) {
    if (!wanted(opts, impl)) continue;
    opts.onProgress?.(`${config.name}: ${impl} ...`);
    emit(await ourStep(config, impl, ours));
  }
  for (const impl of STEP_BASELINES) {
    if (!wanted(opts, impl)) continue;
    opts.onProgress?.(`${config.name}: ${impl} ...`);
    if (impl === 'pytorch-cpu') emit(await runTorch(config, opts.threads, opts.cpuTime));
    else {
      const backend = impl === 'tfjs-cpu-simplernn' ? 'cpu' : 'wasm';
      emit(await runTfjs(config, backend, { slow: opts.slow, cpuClock: opts.cpuTime, onProgress: opts.onProgress }));
    }
  }
}

async function gemmConfig(config: GemmConfig, opts: BenchOptions, emit: (l: ResultLine) => void): Promise<void> {
  const ours: OurOptions = { threads: opts.threads, nativeSteps: null, profileDir: null, kernels: false, cpuClock: opts.cpuTime };
  for (const impl of GEMM_IMPLS) {
    if (!wanted(opts, impl)) continue;
    opts.onProgress?.(`gemm: ${impl} ...`);
    const lines = impl === 'numpy-openblas' ? await runNumpyGemm(config, opts.threads, opts.cpuTime) : await ourGemm(config, impl, ours);
    for (const l of lines) emit(l);
  }
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const configs = selectConfigs(opts.configs);
  const report: BenchReport = { machine: machineInfo(), threads: opts.threads, configs, lines: [] };
  for (const config of configs) {
    const lines: ResultLine[] = [];
    const emit = (l: ResultLine): void => {
      if (l.skipped === undefined) {
        l.load_1m = Math.round(os.loadavg()[0]! * 100) / 100;
        l.clock = opts.cpuTime ? 'cpu' : 'wall';
      }
      lines.push(l);
      report.lines.push(l);
      opts.onLine?.(l);
    };
    if (config.kind === 'step') await stepConfig(config, opts, emit);
    else await gemmConfig(config, opts, emit);
    opts.onConfigDone?.(config, lines);
  }
  return report;
}
