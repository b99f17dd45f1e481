/**
 * Debian's Python for the PyTorch and numpy baselines. OpenBLAS only reaches its AVX-512 speed with
 * OPENBLAS_CORETYPE unset (this machine's default pins it to Haswell), so every baseline and every
 * BLAS-using run of ours gets the same environment without it; OPENBLAS_NUM_THREADS bounds OpenBLAS's
 * own pool, which torch.set_num_threads does not.
 */
import { SYSTEM_PYTHON } from '../paths.js';
import { runProcess } from '../proc.js';

export const TORCH_INSTALL = 'apt-get install -y python3-torch libopenblas0-pthread';
export const NUMPY_INSTALL = 'apt-get install -y python3-numpy libopenblas0-pthread';

/** Variables removed for every child (see the header). */
export const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export function cleanBlasEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const k of OPENBLAS_OVERRIDES) delete env[k];
  return env;
}

export function pythonEnv(threads: number): NodeJS.ProcessEnv {
  return { ...cleanBlasEnv(), OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
}

/** Python source that names the BLAS library this process mapped (after one product has run). */
export const BLAS_PROBE_PY = `
def loaded_blas():
    maps = open('/proc/self/maps').read()
    for name in ('openblas', 'blis', 'mkl'):
        if name in maps:
            return name
    return 'reference'
`;

export interface PythonProbe {
  ok: boolean;
  /** Parsed JSON answer when ok; the error text otherwise. */
  value: Record<string, unknown>;
  error: string;
}

/** Runs a short Python program that prints one JSON object as its last line. */
export async function runPythonJson(code: string, args: readonly string[], threads: number, timeoutMs: number): Promise<PythonProbe> {
  const r = await runProcess(SYSTEM_PYTHON, ['-c', code, ...args], { env: pythonEnv(threads), timeoutMs });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code === 0) {
    try {
      return { ok: true, value: JSON.parse(last) as Record<string, unknown>, error: '' };
    } catch {
      // fall through
    }
  }
  const err = r.timedOut ? 'timed out' : (r.stderr.trim().split('\n').pop() ?? `exit code ${r.code}`);
  return { ok: false, value: {}, error: err || `exit code ${r.code}` };
}
