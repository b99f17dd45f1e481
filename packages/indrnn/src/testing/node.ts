/**
 * `indrnn/testing/node`: Node-only test helpers. Backend registration happens once per process, so
 * tests of automatic backend selection run their code in a fresh Node process; and skips for a
 * missing prerequisite (the native addon, Chromium, ../shared data) turn into failures under CI.
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

/** Whether this is a CI run: CI=true (or 1), as .ci/run and the common CI services set it. */
export function underCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['CI']?.toLowerCase();
  return v === 'true' || v === '1';
}

/**
 * The `skip` option of a test (or suite) whose prerequisite may be missing: `missing` says what is
 * missing and how to get it, or is false when everything is there. On a user's machine the test is
 * then skipped with that reason. Under CI (`underCI`), where .ci/run installs every prerequisite, a
 * missing one is a defect of the CI setup, not a reason to pass quietly: this throws an Error that
 * names it, so the test file or suite fails.
 */
export function skipOrFailInCI(missing: string | false, env: NodeJS.ProcessEnv = process.env): string | false {
  if (!missing) return false;
  if (underCI(env)) throw new Error(`CI=true, so this is a failure, not a skip: ${missing}`);
  return missing;
}
