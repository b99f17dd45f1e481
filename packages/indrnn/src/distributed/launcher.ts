/**
 * Which launcher started this process, read from the environment it sets: Open MPI's mpirun
 * (OMPI_COMM_WORLD_*), a PMI launcher (MPICH's hydra, Intel MPI, srun --mpi=pmi2: PMI_RANK/PMI_SIZE),
 * PMIx (srun --mpi=pmix, prterun: PMIX_RANK) or a plain Slurm step (srun: SLURM_PROCID with
 * SLURM_STEP_NUM_TASKS). Browser-safe: the environment is passed in.
 */
export interface LaunchInfo {
  /** Which variables were found: 'openmpi', 'pmi', 'pmix' or 'slurm'. */
  launcher: 'openmpi' | 'pmi' | 'pmix' | 'slurm';
  rank: number;
  /** World size as the launcher states it (MPI_Comm_size is the authority once MPI runs). */
  size: number | null;
  localRank: number;
  /** Ranks on this machine, when the launcher says. */
  localSize: number | null;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, ...names: string[]): number | null {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && /^\d+$/.test(v.trim())) return Number(v);
  }
  return null;
}

/**
 * The launcher's view of this process, or null when no launcher started it (a plain
 * `indrnn train`). INDRNN_MPI=off ignores every launcher variable.
 */
export function detectLauncher(env: Env): LaunchInfo | null {
  if (env['INDRNN_MPI'] === 'off' || env['INDRNN_MPI'] === '0') return null;
  const local = (): number => int(env, 'OMPI_COMM_WORLD_LOCAL_RANK', 'MPI_LOCALRANKID', 'PMIX_LOCAL_RANK', 'SLURM_LOCALID') ?? 0;
  const localSize = (): number | null => int(env, 'OMPI_COMM_WORLD_LOCAL_SIZE', 'MPI_LOCALNRANKS', 'PMIX_LOCAL_SIZE');
  const ompiRank = int(env, 'OMPI_COMM_WORLD_RANK');
  const ompiSize = int(env, 'OMPI_COMM_WORLD_SIZE');
  if (ompiSize !== null && ompiRank !== null) {
    return { launcher: 'openmpi', rank: ompiRank, size: ompiSize, localRank: local(), localSize: localSize() };
  }
  const pmiRank = int(env, 'PMI_RANK');
  const pmiSize = int(env, 'PMI_SIZE');
  if (pmiRank !== null && pmiSize !== null) {
    return { launcher: 'pmi', rank: pmiRank, size: pmiSize, localRank: local(), localSize: localSize() };
  }
  const pmixRank = int(env, 'PMIX_RANK');
  if (pmixRank !== null) {
    return { launcher: 'pmix', rank: pmixRank, size: int(env, 'PMIX_SIZE', 'SLURM_STEP_NUM_TASKS', 'SLURM_NTASKS'), localRank: local(), localSize: localSize() };
  }
  // srun sets SLURM_STEP_NUM_TASKS for the tasks of a step; a batch script itself (one process,
  // even with --ntasks N) has SLURM_PROCID but is not a parallel step
  const slurmRank = int(env, 'SLURM_PROCID');
  const slurmSize = int(env, 'SLURM_STEP_NUM_TASKS');
  if (slurmRank !== null && slurmSize !== null && slurmSize > 1) {
    const perNode = env['SLURM_STEP_TASKS_PER_NODE'] ?? env['SLURM_TASKS_PER_NODE'];
    const first = perNode ? /^(\d+)/.exec(perNode) : null;
    return { launcher: 'slurm', rank: slurmRank, size: slurmSize, localRank: local(), localSize: first ? Number(first[1]) : null };
  }
  return null;
}

/** How the launcher is named in messages. */
export function launcherName(info: LaunchInfo): string {
  return { openmpi: 'mpirun (Open MPI)', pmi: 'a PMI launcher (mpiexec/hydra or srun --mpi=pmi2)', pmix: 'a PMIx launcher (srun --mpi=pmix or prterun)', slurm: 'srun (Slurm)' }[info.launcher];
}
