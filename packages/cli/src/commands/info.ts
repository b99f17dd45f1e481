/** `indrnn info`: versions, the backend that would run, and what decides its bits (threads, BLAS). */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { backendErrors, describeCompute, distributed, getBackend, listBackends } from 'indrnn';
import { initDistributed } from 'indrnn/node';

export function infoCommand(): Command {
  return new Command('info')
    .description('print the version, the backend, and what decides bit-identical runs: threads, SIMD, BLAS library and choice')
    .option('--json', 'print one JSON object')
    .action((flags: { json?: boolean }) => {
      // under mpirun/srun: MPI starts first (it sets this rank's threads and GPU)
      const comm = initDistributed();
      const require = createRequire(import.meta.url);
      const version = (require('indrnn/package.json') as { version: string }).version;
      const compute = describeCompute(getBackend());
      const info = {
        version,
        node: process.version,
        platform: `${os.platform()}-${os.arch()}`,
        cpus: os.availableParallelism(),
        ...compute,
        threads: compute.threads ?? 1,
        backends: listBackends(),
        unavailable: backendErrors(true),
        mpi: comm
          ? {
              rank: comm.rank, world_size: comm.size, local_rank: comm.localRank, launcher: comm.launcher.launcher,
              library: comm.library.version, file: comm.library.file, abi: comm.library.abi, cuda_aware: comm.library.cudaAware,
            }
          : null,
      };
      // every rank reports itself; rank 0 prints them all, in rank order
      const ranks = comm ? distributed.gatherJson(comm, { rank: comm.rank, host: os.hostname(), pid: process.pid, threads: info.threads, backend: info.backend, cuda_device: comm.cudaDevice }) : [];
      if (comm && comm.rank > 0) return;
      if (flags.json) {
        process.stdout.write(JSON.stringify(comm ? { ...info, ranks } : info) + '\n');
        return;
      }
      const blas = info.blas
        ? `${info.blas}${info.blasCore ? ` (core ${info.blasCore})` : ''}, mode ${info.blasMode ?? 'auto'}${info.blasRule ? `: ${info.blasRule}` : ''}`
        : 'none';
      const lines = [
        `indrnn ${info.version} (node ${info.node}, ${info.platform}, ${info.cpus} cpus)`,
        `backend: ${info.backend}${info.simd ? ` (${info.simd})` : ''}, threads: ${info.threads}`,
        `BLAS: ${blas}`,
        'same seed, backend, threads, SIMD and BLAS: the same bits on every run',
        `registered backends: ${info.backends.join(', ')}`,
        ...Object.entries(info.unavailable).map(([n, why]) => `unavailable: ${n}: ${why}`),
        ...(comm
          ? [
              `MPI: rank ${comm.rank} of world size ${comm.size}, ${comm.library.version} (${comm.library.file}, ${comm.library.abi} ABI${comm.library.cudaAware ? ', CUDA-aware' : ''}), started by ${distributed.launcherName(comm.launcher)}`,
              ...ranks.map((r) => `  rank ${r.rank}: host ${r.host}, pid ${r.pid}, backend ${r.backend}, threads ${r.threads}${r.cuda_device !== null ? `, GPU ${r.cuda_device}` : ''}`),
            ]
          : ['MPI: not started by a launcher (mpirun, mpiexec or srun run one process per rank)']),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
