/**
 * `indrnn/testing/node`: Node-only test helpers. Backend registration happens once per process, so
 * tests of automatic backend selection run their code in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';

export interface SnippetOptions {
  /** Directory the snippet resolves packages from (a test directory inside the backend's package). */
  cwd: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** A CommonJS file to --require first (e.g. one that hides a package from require). */
  preload?: string;
}

/** Runs an ES-module snippet in a fresh Node process; throws with its stderr unless it exits 0. */
export function runNodeSnippet(code: string, options: SnippetOptions): { stdout: string; stderr: string } {
  const args = [...(options.preload ? ['--require', options.preload] : []), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed (exit ${r.status}): ${r.stderr}`);
  return { stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}
