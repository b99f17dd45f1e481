/**
 * Run by distributed.mpi.test.ts under `mpirun -np 2` with INDRNN_MPI_TIMEOUT=2 (does nothing
 * without a launcher): rank 1 stops answering (a busy loop, as a hung rank would) while rank 0 waits
 * in a barrier, so rank 0's watchdog must end it with a message after about 2 s.
 */
import { initDistributed } from '../src/node.js';

const comm = initDistributed();
if (comm) {
  if (comm.rank === 1) {
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      // hung: never reaches the barrier within the test's time
    }
  }
  comm.barrier();
  process.stdout.write(`rank ${comm.rank} passed the barrier\n`);
}
