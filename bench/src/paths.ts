/**
 * Where things are. The harness runs from bench/dist/src (compiled), so paths are resolved from this
 * file: the bench package is two folders up, the repository one more, and the shared baselines sit
 * beside the repository (../shared), unless INDRNN_SHARED_DIR says otherwise.
 */
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** bench/ (the package folder). */
export const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The repository root. */
export const REPO_DIR = path.resolve(BENCH_DIR, '..');

/** The shared folder holding baselines/ (never committed to this repository). */
export function sharedDir(): string {
  return process.env['INDRNN_SHARED_DIR'] ?? path.resolve(REPO_DIR, '..', 'shared');
}

/** The PyTorch baseline script. */
export function torchScript(): string {
  return path.join(sharedDir(), 'baselines', 'torch_rnn_step.py');
}

/** The TF.js baseline script as shipped; it is copied into CACHE_DIR before it runs. */
export function tfjsScriptSource(): string {
  return path.join(sharedDir(), 'baselines', 'tfjs_rnn_step.mjs');
}

/**
 * Ignored (.gitignore) scratch folder inside bench/: a script copied here resolves its bare imports
 * (@tensorflow/tfjs) from bench/node_modules and then the hoisted root node_modules.
 */
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');

/** The compiled child-process entry that measures our implementation. */
export const CHILD_ENTRY = fileURLToPath(new URL('./ours/child.js', import.meta.url));

/** Preload that turns performance.now() into process CPU time (--cpu-time). */
export const CPU_CLOCK_ENTRY = fileURLToPath(new URL('./cpuClock.js', import.meta.url));

/** The compiled command-line entry. */
export const MAIN_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));

/** Debian's Python, which sees python3-torch / python3-numpy (a pyenv python3 may be first on PATH). */
export const SYSTEM_PYTHON = process.env['INDRNN_BENCH_PYTHON'] ?? '/usr/bin/python3';
