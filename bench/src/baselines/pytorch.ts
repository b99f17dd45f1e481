/**
 * PyTorch baseline: ../shared/baselines/torch_rnn_step.py (the authors' IndRNN as it runs on CPU: one
 * Linear over all steps, a Python loop for the recurrence), same flags as our config, Debian's
 * python3-torch on OpenBLAS.
 */
import { existsSync } from 'node:fs';
import type { StepConfig } from '../configs.js';
import { SYSTEM_PYTHON, torchScript } from '../paths.js';
import { failureReason, lastJsonLine, runProcess } from '../proc.js';
import { skippedStep, type StepLine } from '../results.js';
import { BLAS_PROBE_PY, pythonEnv, runPythonJson, TORCH_INSTALL } from './python.js';

const PROBE = `${BLAS_PROBE_PY}
import json, torch
a = torch.randn(256, 256); a @ a
print(json.dumps({'torch': torch.__version__, 'blas': loaded_blas()}))
`;

export interface TorchAvailability {
  ok: boolean;
  /** torch version and BLAS when ok; the reason (with the install command) when not. */
  detail: string;
}

let cached: Promise<TorchAvailability> | null = null;

/** Whether python3-torch imports and runs on OpenBLAS (checked once per run). */
export function torchAvailability(threads: number): Promise<TorchAvailability> {
  cached ??= (async () => {
    if (!existsSync(torchScript())) return { ok: false, detail: `the baseline script ${torchScript()} is missing` };
    if (!existsSync(SYSTEM_PYTHON)) return { ok: false, detail: `${SYSTEM_PYTHON} not found; install: ${TORCH_INSTALL}` };
    const p = await runPythonJson(PROBE, [], threads, 120_000);
    if (!p.ok) return { ok: false, detail: `PyTorch does not import (${p.error}); install: ${TORCH_INSTALL}` };
    if (p.value['blas'] !== 'openblas') {
      return {
        ok: false,
        detail: `PyTorch runs on the ${String(p.value['blas'])} BLAS (~8 GFLOP/s), not OpenBLAS; install: ${TORCH_INSTALL}`,
      };
    }
    return { ok: true, detail: `torch ${String(p.value['torch'])} on OpenBLAS` };
  })();
  return cached;
}

/**
 * For --cpu-time: run the unchanged script with time.perf_counter replaced by time.process_time, so
 * its per-step timer reads this process's CPU time (all its threads).
 */
const CPU_CLOCK_PY =
  "import runpy, sys, time; time.perf_counter = time.process_time; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')";

export async function runTorch(config: StepConfig, threads: number, cpuClock = false): Promise<StepLine> {
  const avail = await torchAvailability(threads);
  if (!avail.ok) return skippedStep('pytorch-cpu', config.name, avail.detail);
  const s = config.shape;
  const args = [
    ...(cpuClock ? ['-c', CPU_CLOCK_PY] : []), torchScript(), '--model', 'indrnn', '--layers', String(s.layers), '--T', String(s.T), '--B', String(s.B),
    '--hidden', String(s.hidden), '--input', String(s.input), '--threads', String(threads),
    '--steps', String(config.steps.torch), ...(s.bn ? ['--bn'] : []),
  ];
  const r = await runProcess(SYSTEM_PYTHON, args, { env: pythonEnv(threads), timeoutMs: 600_000 });
  const out = lastJsonLine(r.stdout);
  if (r.code !== 0 || !out || typeof out['ms_per_step'] !== 'number') {
    return skippedStep('pytorch-cpu', config.name, failureReason(r, 'torch_rnn_step.py'));
  }
  return {
    impl: 'pytorch-cpu',
    config: config.name,
    ms_per_step: out['ms_per_step'],
    steps: Number(out['steps']),
    warmup: 2,
    min_ms: Number(out['min']),
    max_ms: Number(out['max']),
    threads: Number(out['threads']),
    blas: 'openblas',
    note: `${avail.detail}; recurrence as a Python loop over time (the authors' CPU path), no gradient clipping`,
  };
}
