// MPI, loaded at run time with dlopen (no build-time dependency, as for the BLAS): the addon builds
// and runs without MPI; a run started by mpirun/srun opens libmpi when it initialises. Both ABI
// families are handled: Open MPI (handles are addresses of predefined globals) and MPICH-derived
// libraries (MPICH, Intel MPI, MVAPICH; handles are integer constants). Every MPI return code is
// checked; a failure becomes an MpiError naming the call and MPI's own error string.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace indrnn {

struct MpiError : std::runtime_error {
  explicit MpiError(const std::string& msg) : std::runtime_error(msg) {}
};

enum class MpiType : int { Float32 = 0, Float64 = 1, Byte = 2 };
enum class MpiOp : int { Sum = 0, Max = 1 };

struct MpiLibrary {
  bool loaded = false;
  // the file that was opened, its ABI family ("openmpi" or "mpich") and MPI_Get_library_version
  std::string file;
  std::string abi;
  std::string version;
  // why nothing could be opened (the files tried and dlerror), when !loaded
  std::string error;
};

// Opens libmpi (once): $INDRNN_MPI_LIB if set, else libmpi.so.40 (Open MPI 3-5), libmpi.so.12
// (MPICH, Intel MPI), libmpi.so, libmpich.so.12. Does not initialise MPI.
const MpiLibrary& mpi_library();

// MPI_Init_thread (funneled: only the JS thread calls MPI) and errors returned instead of fatal on
// MPI_COMM_WORLD. Idempotent. Throws MpiError when the library is missing or MPI fails.
void mpi_init();
bool mpi_initialized();
// MPI_Finalize, once, when initialised and not yet finalised.
void mpi_finalize();
int mpi_rank();
int mpi_size();
// MPIX_Query_cuda_support() where the library has it (Open MPI), else false.
bool mpi_cuda_aware();

// In place over MPI_COMM_WORLD; counts above INT_MAX are split into several calls.
void mpi_allreduce(void* buf, int64_t count, MpiType type, MpiOp op);
void mpi_broadcast(void* buf, int64_t count, MpiType type, int root);
void mpi_barrier();
// recv holds size() * count elements: rank r's `count` values at r * count.
void mpi_allgather(const void* send, void* recv, int64_t count, MpiType type);
// MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job.
[[noreturn]] void mpi_abort(int code);

// A collective that waits longer than this many seconds for the other ranks ends the job (prints
// which rank waited, in which call, then aborts), so a rank that died or hung never leaves the
// others blocked. 0 turns the watchdog off. Default: $INDRNN_MPI_TIMEOUT, else 600.
void mpi_set_timeout(double seconds);
double mpi_timeout();

}  // namespace indrnn
