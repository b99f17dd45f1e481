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
