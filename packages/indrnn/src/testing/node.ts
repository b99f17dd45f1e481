/**
 * `indrnn/testing/node`: Node-only test helpers. Backend registration happens once per process, so
 * tests of automatic backend selection run their code in a fresh Node process; and skips for a
 * missing prerequisite (the native addon, Chromium, ../shared data) turn into failures under CI.
 */
import { spawnSync } from 'node:child_process';
import type { TrainingRun } from './model-check.js';
import type { ModelCheckCase } from './model-cases.js';

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
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`child failed (exit ${r.status}): ${r.stderr}`);
  return { stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

export interface MpiLaunch {
  /** mpirun and its arguments up to the program: `[...prefix, process.execPath, script, ...]`. */
  prefix: string[];
  /** Environment for the launch (this process's, loopback transports, one thread per rank). */
  env: NodeJS.ProcessEnv;
}

/**
 * How to start `ranks` ranks of a Node program with Open MPI's mpirun on this machine, or why
 * that cannot be done here (no mpirun, no libmpi the native addon can open): the 2-rank tests
 * skip with that reason. Oversubscribed (more ranks than cores is fine for tests), run as root
 * where needed, traffic kept on loopback.
 */
export function mpiLaunch(ranks: number, moduleDir: string): MpiLaunch | { skip: string } {
  const which = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) return { skip: 'mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev) to run the multi-rank tests' };
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e',
    "import { createRequire } from 'node:module'; const r = createRequire(process.cwd() + '/x.js'); const n = r('@indrnn/native'); console.log(JSON.stringify(n.mpiBinding().mpiLibrary()));"],
  { cwd: moduleDir, encoding: 'utf8' });
  if (probe.status !== 0) return { skip: `the native addon (which binds MPI) is unavailable: ${probe.stderr.trim().split('\n').pop()}` };
  const lib = JSON.parse(probe.stdout) as { loaded: boolean; error: string };
  if (!lib.loaded) return { skip: `libmpi cannot be opened (${lib.error.split('\n')[0]}): install libopenmpi-dev` };
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return {
    prefix: ['mpirun', ...(root ? ['--allow-run-as-root'] : []), '--oversubscribe', '-np', String(ranks)],
    env: {
      ...process.env,
      OMPI_MCA_btl_tcp_if_include: 'lo',
      OMPI_MCA_oob_tcp_if_include: 'lo',
      INDRNN_NUM_THREADS: '1',
    },
  };
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

/** Options of seededTrainingInFreshProcess. */
export interface FreshTrainingOptions {
  /** A directory inside the repository (packages resolve from it). */
  cwd: string;
  /** The cases to run: names of MODEL_CHECK_CASES, or cases of their own (JSON-able); default all of MODEL_CHECK_CASES. */
  cases?: readonly (string | ModelCheckCase)[];
  steps?: number;
  /** Added to the environment of the child (e.g. another thread order of the CUDA emulator). */
  env?: Record<string, string>;
  /** Statements run first in the child (ES module code, e.g. `await initWasm()` with its import). */
  setup?: string;
}

/**
 * seededTraining of each case in a fresh Node process (its own thread pool, allocator, BLAS shape
 * timings and module state, as a second `indrnn train` would have), decoded back to TrainingRuns by
 * case name.
 */
export function seededTrainingInFreshProcess(backendName: string, options: FreshTrainingOptions): Map<string, TrainingRun> {
  const code = `${options.setup ?? ''}
import { MODEL_CHECK_CASES, seededTraining } from 'indrnn/testing';
const wanted = ${JSON.stringify(options.cases ?? null)};
const cases = wanted ? wanted.map((w) => typeof w === 'string' ? MODEL_CHECK_CASES.find((c) => c.name === w) ?? { name: w, missing: true } : w) : MODEL_CHECK_CASES;
const out = {};
for (const c of cases) {
  if (c.missing) continue;
  const run = seededTraining(${JSON.stringify(backendName)}, c, ${options.steps ?? 3});
  const params = {};
  for (const [name, p] of run.params) params[name] = Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64');
  out[c.name] = { losses: run.losses, params };
}
console.log(JSON.stringify(out));`;
  const { stdout } = runNodeSnippet(code, { cwd: options.cwd, ...(options.env ? { env: options.env } : {}) });
  const parsed = JSON.parse(stdout.split('\n').pop()!) as Record<string, { losses: number[]; params: Record<string, string> }>;
  const runs = new Map<string, TrainingRun>();
  for (const [name, r] of Object.entries(parsed)) {
    const params = new Map<string, Float32Array>();
    for (const [k, b64] of Object.entries(r.params)) {
      const bytes = Buffer.from(b64, 'base64');
      params.set(k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
    runs.set(name, { losses: r.losses, params });
  }
  if (options.cases) {
    const missing = options.cases.map((c) => (typeof c === 'string' ? c : c.name)).filter((c) => !runs.has(c));
    if (missing.length) throw new Error(`no model case named ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  }
  return runs;
}
