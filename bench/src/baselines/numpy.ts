/** numpy baseline for the gemm config: np.matmul on Debian's numpy + OpenBLAS, median of N. */
import type { GemmConfig } from '../configs.js';
import { describeShape } from '../configs.js';
import { skippedGemm, type GemmLine } from '../results.js';
import { round } from '../stats.js';
import { BLAS_PROBE_PY, NUMPY_INSTALL, runPythonJson } from './python.js';

const SCRIPT = `${BLAS_PROBE_PY}
import json, sys, time, statistics
import numpy as np
shapes = json.loads(sys.argv[1]); reps = int(sys.argv[2])
clock = time.process_time if sys.argv[3] == 'cpu' else time.perf_counter
rng = np.random.default_rng(0)
out = []
for s in shapes:
    m, n, k = s['m'], s['n'], s['k']
    a = rng.standard_normal((m, k), dtype=np.float32); b = rng.standard_normal((k, n), dtype=np.float32)
    np.matmul(a, b)  # warm-up (thread pool start, page faults)
    ts = []
    for _ in range(reps):
        t0 = clock(); np.matmul(a, b); ts.append(clock() - t0)
    ms = statistics.median(ts) * 1e3
    out.append({'m': m, 'n': n, 'k': k, 'ms': ms, 'gflops': 2 * m * n * k / (ms * 1e6)})
print(json.dumps({'numpy': np.__version__, 'blas': loaded_blas(), 'results': out}))
`;

interface NumpyRow {
  m: number;
  n: number;
  k: number;
  ms: number;
  gflops: number;
}

export async function runNumpyGemm(config: GemmConfig, threads: number, cpuClock = false): Promise<GemmLine[]> {
  const args = [JSON.stringify(config.shapes), String(config.reps), cpuClock ? 'cpu' : 'wall'];
  const p = await runPythonJson(SCRIPT, args, threads, 600_000);
  const shapes = config.shapes.map(describeShape);
  if (!p.ok) return shapes.map((s) => skippedGemm('numpy-openblas', s, `numpy failed (${p.error}); install: ${NUMPY_INSTALL}`));
  if (p.value['blas'] !== 'openblas') {
    const why = `numpy runs on the ${String(p.value['blas'])} BLAS, not OpenBLAS; install: ${NUMPY_INSTALL}`;
    return shapes.map((s) => skippedGemm('numpy-openblas', s, why));
  }
  const rows = p.value['results'] as NumpyRow[];
  return rows.map((r) => ({
    impl: 'numpy-openblas',
    config: 'gemm',
    shape: describeShape(r),
    gflops: round(r.gflops, 1),
    ms: round(r.ms, 3),
    reps: config.reps,
    threads,
    blas: 'openblas',
    note: `numpy ${String(p.value['numpy'])}, OPENBLAS_NUM_THREADS=${threads}, OPENBLAS_CORETYPE unset`,
  }));
}
