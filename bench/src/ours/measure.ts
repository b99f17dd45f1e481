/** Our rows: one measuring child per (config, backend), turned into result lines. */
import { describeShape, type GemmConfig, type StepConfig } from '../configs.js';
import { cleanBlasEnv } from '../baselines/python.js';
import { skippedGemm, skippedStep, type GemmLine, type Impl, type StepLine } from '../results.js';
import { round } from '../stats.js';
import { runChild } from './run.js';
import type { BackendInfo } from './backend.js';

export interface OurOptions {
  threads: number;
  /** Timed steps for indrnn-native (null: the config's count). */
  nativeSteps: number | null;
  /** Folder for V8 CPU profiles of the measuring children (null: none). */
  profileDir: string | null;
  /** Time every backend kernel (--kernels) and report where the step's time goes. */
  kernels: boolean;
  /** Process CPU time instead of wall time (--cpu-time). */
  cpuClock: boolean;
}

const MIB = 2 ** 20;

function backendOf(impl: Impl): 'native' | 'wasm' | 'reference' {
  if (impl === 'indrnn-reference') return 'reference';
  return impl === 'indrnn-wasm' ? 'wasm' : 'native';
}

/** INDRNN_BLAS for the native addon: off, on (forced), or its default (auto: used where it times faster). */
type BlasMode = 'off' | 'on' | 'default';

function ourEnv(threads: number, blas: BlasMode): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...cleanBlasEnv(), INDRNN_NUM_THREADS: String(threads) };
  if (blas === 'default') delete env['INDRNN_BLAS'];
  else env['INDRNN_BLAS'] = blas;
  // the child measures one backend by name; an inherited override must not pick another one
  delete env['INDRNN_BACKEND'];
  return env;
}

function describeInfo(info: BackendInfo, threads: number): string {
  if (!info.reported) {
    return `${info.name} backend (it reports no info(): threads and BLAS unknown; INDRNN_NUM_THREADS=${threads} was set)`;
  }
  return `${info.name} backend${info.simd ? ` (${info.simd})` : ''}, ${info.threads ?? '?'} thread(s), BLAS ${info.blas ?? 'none'}`;
}

export async function ourStep(config: StepConfig, impl: Impl, opts: OurOptions): Promise<StepLine> {
  const backend = backendOf(impl);
  const native = backend === 'native';
  const reference = backend === 'reference';
  // --steps sets the count for native; wasm times half the native count (it runs on one thread)
  const nativeSteps = opts.nativeSteps ?? config.steps.native;
  const steps = reference ? config.steps.reference : native ? nativeSteps : Math.max(2, Math.ceil(nativeSteps / 2));
  const warmup = reference ? 1 : backend === 'wasm' ? 2 : 3;
  const reply = await runChild(
    { kind: 'step', backend, shape: config.shape, steps, warmup, kernels: opts.kernels },
    {
      env: ourEnv(opts.threads, 'default'),
      // the reference backend may take minutes per step on the long configs
      timeoutMs: reference ? 900_000 : 600_000,
      profileDir: opts.profileDir,
      profileName: `${config.name}-${backend}.cpuprofile`,
      cpuClock: opts.cpuClock,
    },
  );
  if (!reply.ok) return skippedStep(impl, config.name, reply.reason);
  if (reply.kind !== 'step') return skippedStep(impl, config.name, 'the measuring child answered with the wrong kind');
  const m = reply.step;
  const rssMb = round(reply.maxRssBytes / MIB, 0);
  const line: StepLine = {
    impl,
    config: config.name,
    ms_per_step: round(m.medianMs, 2),
    steps,
    warmup,
    min_ms: round(m.minMs, 2),
    max_ms: round(m.maxMs, 2),
    peak_rss_mb: rssMb,
    ...(reply.info.threads !== null ? { threads: reply.info.threads } : {}),
    blas: reply.info.blas,
    note: describeInfo(reply.info, opts.threads) +
      (reference ? `; the reference backend is slow, so only ${steps} timed step(s) after ${warmup} warm-up` : ''),
  };
  if (reply.breakdown) {
    const mean = m.samplesMs.reduce((a, b) => a + b, 0) / m.samplesMs.length;
    const kernels = reply.breakdown.kernels.map(([kernel, s]) => ({
      kernel, calls: round(s.calls, 1), ms: round(s.ms, 3), alloc_mb: round(s.bytesOut / MIB, 2),
    }));
    const inKernels = kernels.reduce((a, k) => a + k.ms, 0);
    line.breakdown = {
      step_ms: round(mean, 2), kernels, outside_kernels_ms: round(mean - inKernels, 2), gc_ms: round(reply.breakdown.gcMs, 2),
    };
  }
  if (config.rssLimitBytes !== null) {
    line.rss_limit_mb = round(config.rssLimitBytes / MIB, 0);
    line.rss_ok = reply.maxRssBytes < config.rssLimitBytes;
  }
  return line;
}

export async function ourGemm(config: GemmConfig, impl: Impl, opts: OurOptions): Promise<GemmLine[]> {
  const backend = backendOf(impl);
  const blasOn = impl === 'indrnn-native-blas';
  const reps = backend === 'native' ? config.reps : config.referenceReps;
  const shapes = config.shapes.map(describeShape);
  const reply = await runChild(
    { kind: 'gemm', backend, shapes: config.shapes, reps },
    { env: ourEnv(opts.threads, backend !== 'native' ? 'default' : blasOn ? 'on' : 'off'), timeoutMs: 600_000, cpuClock: opts.cpuClock },
  );
  if (!reply.ok) return shapes.map((s) => skippedGemm(impl, s, reply.reason));
  if (reply.kind !== 'gemm') return shapes.map((s) => skippedGemm(impl, s, 'the measuring child answered with the wrong kind'));
  if (blasOn && (!reply.info.blas || reply.info.blas === 'off')) {
    return shapes.map((s) => skippedGemm(impl, s, 'the native backend found no system BLAS to load (install libopenblas0-pthread)'));
  }
  return reply.gemm.map(({ shape, result }) => ({
    impl,
    config: 'gemm',
    shape: describeShape(shape),
    gflops: round(result.gflops, 1),
    ms: round(result.medianMs, 3),
    reps: result.reps,
    ...(reply.info.threads !== null ? { threads: reply.info.threads } : {}),
    // with INDRNN_BLAS=off the addon hides the library, so say what was asked for
    blas: backend === 'native' && !blasOn && reply.info.blas === null ? 'off' : reply.info.blas,
    note: describeInfo(reply.info, opts.threads) + (blasOn ? '; INDRNN_BLAS=on: large products go to the system BLAS' : ''),
  }));
}
