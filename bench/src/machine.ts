/** What the numbers were measured on, printed above the table and kept with the results. */
import * as os from 'node:os';
import { OPENBLAS_OVERRIDES } from './baselines/python.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the machine skews times. */
  loadAtStart: number;
  date: string;
  /** OpenBLAS variables of the calling shell that the harness removes for every child. */
  removedEnv: string[];
  gpu: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
    loadAtStart: Math.round(os.loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
    removedEnv: OPENBLAS_OVERRIDES.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`),
    gpu: 'none used (CPU-only harness)',
  };
}

export function formatMachine(m: MachineInfo, threads: number, cpuTime = false): string {
  const removed = m.removedEnv.length
    ? `unset for every child process (was ${m.removedEnv.join(', ')} in this shell)`
    : 'not set';
  return [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, node ${m.node}; GPU: ${m.gpu}`,
    `threads: ${threads} for every implementation that can use more than one (TF.js runs on one)`,
    ...(cpuTime ? ['clock: process CPU time (--cpu-time), not wall time'] : []),
    `OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: ${removed}`,
    `load average at start: ${m.loadAtStart} (times are skewed if other work runs; compare ratios from one run)`,
    `date: ${m.date}`,
  ].join('\n');
}
