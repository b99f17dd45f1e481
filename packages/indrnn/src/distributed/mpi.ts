/**
 * MPI for data-parallel runs (Node): when a launcher started this process (mpirun, mpiexec, srun;
 * see launcher.ts), open libmpi through the native addon (dlopen at run time, so neither the build
 * nor a plain run needs MPI), initialise it and wrap it as a Communicator. Also sets what each rank
 * should use on a shared machine: its share of the cores (native threads) and one GPU by local rank.
 */
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { fail } from '../util/errors.js';
import type { Communicator } from './communicator.js';
import { detectLauncher, launcherName, type LaunchInfo } from './launcher.js';

/**
 * The MPI functions of the native addon (@indrnn/native's mpiBinding(), which implements this
 * interface; it is declared here because the addon depends on this package, not the reverse).
 * libmpi is opened with dlopen on first use (packages/native/src/mpi_loader.cc); every call throws naming
 * the MPI call that failed.
 */
export interface MpiFunctions {
  mpiLibrary(): { loaded: boolean; file: string; abi: string; version: string; error: string; cudaAware: boolean };
  mpiInit(): { rank: number; size: number };
  mpiFinalize(): void;
  mpiAllreduce(buf: Float32Array | Float64Array, op: 'sum' | 'max'): void;
  mpiBroadcast(buf: ArrayBufferView, root: number): void;
  mpiBarrier(): void;
  mpiAllgather(out: Float64Array, values: Float64Array): void;
  mpiAbort(code: number): never;
  /** Seconds a collective may wait for the other ranks before this rank ends itself (0 = never). */
  mpiSetTimeout(seconds: number): number;
}

export interface MpiLibraryInfo {
  /** The file dlopen opened, e.g. libmpi.so.40. */
  file: string;
  /** 'openmpi' or 'mpich' (MPICH, Intel MPI, MVAPICH). */
  abi: string;
  /** MPI_Get_library_version's first line, e.g. "Open MPI v4.1.4". */
  version: string;
  /** Whether the library takes GPU memory directly (Open MPI's MPIX_Query_cuda_support). */
  cudaAware: boolean;
}

export interface MpiCommunicator extends Communicator {
  readonly launcher: LaunchInfo;
  readonly library: MpiLibraryInfo;
  /** Native threads this rank uses (its share of the machine's cores), or null when unchanged. */
  readonly threads: number | null;
  /** The GPU this rank uses (INDRNN_CUDA_DEVICE), or null. */
  readonly cudaDevice: number | null;
}

const require = createRequire(import.meta.url);
let started: MpiCommunicator | null = null;

function loadBinding(info: LaunchInfo): { mpi: MpiFunctions; setNumThreads(n: number): number } {
  try {
    const native = require('@indrnn/native') as { mpiBinding(): MpiFunctions; setNumThreads(n: number): number };
    return { mpi: native.mpiBinding(), setNumThreads: (n) => native.setNumThreads(n) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    fail(`started by ${launcherName(info)} as rank ${info.rank}${info.size !== null ? ` of ${info.size}` : ''}, but the native addon that binds MPI is unavailable (${why}); build it with 'npm rebuild @indrnn/native' (a C++17 compiler), or run without the launcher`);
  }
}

/** Threads for this rank: its own cores when the launcher bound it to some, else an equal share of the machine's. */
function threadsPerRank(localSize: number | null): number {
  const usable = os.availableParallelism();
  const machine = os.cpus().length;
  if (usable < machine) return usable; // bound to a subset of cores by the launcher
  return Math.max(1, Math.floor(usable / Math.max(1, localSize ?? 1)));
}

/** The GPU for this local rank (local rank modulo the devices), or null without a usable CUDA package. */
function deviceForRank(localRank: number): number | null {
  try {
    const cuda = require('@indrnn/cuda') as { cudaInfo(): { available: boolean; deviceCount?: number } };
    const info = cuda.cudaInfo();
    return info.available && info.deviceCount ? localRank % info.deviceCount : null;
  } catch {
    return null;
  }
}

/**
 * When a launcher started this process: MPI initialised and wrapped as a Communicator (once per
 * process; later calls return the same). Null in a plain run. Fails, naming what to install, when
 * the launcher is there but MPI cannot be opened.
 */
export function initDistributed(env: NodeJS.ProcessEnv = process.env): MpiCommunicator | null {
  if (started) return started;
  const info = detectLauncher(env);
  if (!info) return null;
  const { mpi, setNumThreads } = loadBinding(info);
  const lib = mpi.mpiLibrary();
  if (!lib.loaded) {
    fail(`started by ${launcherName(info)} as rank ${info.rank}${info.size !== null ? ` of ${info.size}` : ''}, but no MPI library could be opened. Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev, which provides libmpi.so.40; Fedora/RHEL: dnf install openmpi), load your cluster's MPI module, or set INDRNN_MPI_LIB to the path of libmpi.so. ${lib.error.replace(/\n\s*/g, ' ')}`);
  }
  const { rank, size } = mpi.mpiInit();
  let threads: number | null = null;
  if (!env['INDRNN_NUM_THREADS']) threads = setNumThreads(threadsPerRank(info.localSize));
  let cudaDevice: number | null = env['INDRNN_CUDA_DEVICE'] !== undefined ? Number(env['INDRNN_CUDA_DEVICE']) : null;
  if (cudaDevice === null) {
    cudaDevice = deviceForRank(info.localRank);
    if (cudaDevice !== null) env['INDRNN_CUDA_DEVICE'] = String(cudaDevice);
  }
  const comm: MpiCommunicator = {
    rank,
    size,
    localRank: info.localRank,
    localSize: info.localSize ?? 1,
    description: `${lib.version || 'MPI'} (${lib.file})`,
    launcher: info,
    library: { file: lib.file, abi: lib.abi, version: lib.version, cudaAware: lib.cudaAware },
    threads,
    cudaDevice,
    allreduce: (buf, op = 'sum') => mpi.mpiAllreduce(buf, op),
    broadcast: (buf, root) => mpi.mpiBroadcast(buf, root),
    barrier: () => mpi.mpiBarrier(),
    allgather: (values) => {
      const out = new Float64Array(values.length * size);
      mpi.mpiAllgather(out, values);
      return out;
    },
    abort: (code) => mpi.mpiAbort(code),
  };
  // every rank finalises on its way out (after an error, abort() ends the job instead)
  process.on('exit', () => {
    try {
      mpi.mpiFinalize();
    } catch {
      // nothing more can be done while exiting
    }
  });
  started = comm;
  return comm;
}

/** The communicator initDistributed started, or null. */
export function distributedRuntime(): MpiCommunicator | null {
  return started;
}
