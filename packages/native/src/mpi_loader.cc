// dlopen loader for MPI (see mpi_loader.h). The library is opened RTLD_GLOBAL: Open MPI loads its
// transport plugins with dlopen too, and they resolve symbols of libmpi/libopen-pal globally.
//
// Handles are passed as intptr_t whatever the ABI: an Open MPI handle is a pointer, an MPICH handle
// an int; on the x86-64 and AArch64 calling conventions an int argument is read from the low half
// of the same integer register, so one function-pointer type serves both families.
#include "mpi_loader.h"

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#include <unistd.h>
#define INDRNN_HAVE_DLOPEN 1
#endif

namespace indrnn {
namespace {

using Handle = intptr_t;

struct Api {
  int (*Init_thread)(int*, char***, int, int*) = nullptr;
  int (*Initialized)(int*) = nullptr;
  int (*Finalized)(int*) = nullptr;
  int (*Finalize)() = nullptr;
  int (*Comm_rank)(Handle, int*) = nullptr;
  int (*Comm_size)(Handle, int*) = nullptr;
  int (*Comm_set_errhandler)(Handle, Handle) = nullptr;
  int (*Allreduce)(const void*, void*, int, Handle, Handle, Handle) = nullptr;
  int (*Bcast)(void*, int, Handle, int, Handle) = nullptr;
  int (*Barrier)(Handle) = nullptr;
  int (*Allgather)(const void*, int, Handle, void*, int, Handle, Handle) = nullptr;
  int (*Abort)(Handle, int) = nullptr;
  int (*Error_string)(int, char*, int*) = nullptr;
  int (*Get_library_version)(char*, int*) = nullptr;
  int (*Query_cuda_support)() = nullptr;  // Open MPI extension, optional

  Handle comm_world = 0, t_float = 0, t_double = 0, t_byte = 0, op_sum = 0, op_max = 0,
         errors_return = 0;
  void* in_place = nullptr;
};

struct State {
  MpiLibrary lib;
  Api api;
  bool initialized_here = false;
  bool finalized = false;
  int rank = -1;
  int size = 0;
};

// MPI_THREAD_FUNNELED in both families.
constexpr int kThreadFunneled = 1;

template <class F>
bool bind(void* h, const char* name, F* out) {
#ifdef INDRNN_HAVE_DLOPEN
  *out = reinterpret_cast<F>(dlsym(h, name));
#endif
  return *out != nullptr;
}

bool bind_api(void* h, Api& a, std::string* missing) {
  bool ok = true;
  auto need = [&](const char* name, auto* slot) {
    if (!bind(h, name, slot)) {
      ok = false;
      *missing += std::string(missing->empty() ? "" : ", ") + name;
    }
  };
  need("MPI_Init_thread", &a.Init_thread);
  need("MPI_Initialized", &a.Initialized);
  need("MPI_Finalized", &a.Finalized);
  need("MPI_Finalize", &a.Finalize);
  need("MPI_Comm_rank", &a.Comm_rank);
  need("MPI_Comm_size", &a.Comm_size);
  need("MPI_Comm_set_errhandler", &a.Comm_set_errhandler);
  need("MPI_Allreduce", &a.Allreduce);
  need("MPI_Bcast", &a.Bcast);
  need("MPI_Barrier", &a.Barrier);
  need("MPI_Allgather", &a.Allgather);
  need("MPI_Abort", &a.Abort);
  need("MPI_Error_string", &a.Error_string);
  need("MPI_Get_library_version", &a.Get_library_version);
  bind(h, "MPIX_Query_cuda_support", &a.Query_cuda_support);
  return ok;
}

#ifdef INDRNN_HAVE_DLOPEN
// The predefined handles: addresses of Open MPI's globals, or MPICH's documented constants.
bool bind_handles(void* h, Api& a, std::string* abi) {
  void* world = dlsym(h, "ompi_mpi_comm_world");
  if (world) {
    *abi = "openmpi";
    const char* names[] = {"ompi_mpi_float",  "ompi_mpi_double", "ompi_mpi_byte",
                           "ompi_mpi_op_sum", "ompi_mpi_op_max", "ompi_mpi_errors_return"};
    Handle* slots[] = {&a.t_float, &a.t_double, &a.t_byte, &a.op_sum, &a.op_max, &a.errors_return};
    for (int i = 0; i < 6; i++) {
      void* p = dlsym(h, names[i]);
      if (!p) return false;
      *slots[i] = reinterpret_cast<Handle>(p);
    }
    a.comm_world = reinterpret_cast<Handle>(world);
    a.in_place = reinterpret_cast<void*>(1);
    return true;
  }
  // MPICH ABI (mpi.h of MPICH 3/4, Intel MPI, MVAPICH)
  *abi = "mpich";
  a.comm_world = 0x44000000;
  a.t_float = 0x4c00040a;
  a.t_double = 0x4c00080b;
  a.t_byte = 0x4c00010d;
  a.op_sum = 0x58000003;
  a.op_max = 0x58000001;
  a.errors_return = 0x54000001;
  a.in_place = reinterpret_cast<void*>(-1);
  return true;
}
#endif

void load(State& s) {
#ifdef INDRNN_HAVE_DLOPEN
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("INDRNN_MPI_LIB"); env && *env) {
    candidates.emplace_back(env);
  } else {
    candidates = {"libmpi.so.40", "libmpi.so.12", "libmpi.so", "libmpich.so.12",
                  "libmpi.dylib", "libmpi.40.dylib"};
  }
  std::string tried;
  for (const std::string& file : candidates) {
    void* h = dlopen(file.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
      const char* why = dlerror();
      tried += "\n  " + file + ": " + (why ? why : "not found");
      continue;
    }
    Api api;
    std::string missing;
    std::string abi;
    if (!bind_api(h, api, &missing) || !bind_handles(h, api, &abi)) {
      tried += "\n  " + file + ": not an MPI library (missing " +
               (missing.empty() ? std::string("predefined handles") : missing) + ")";
      dlclose(h);
      continue;
    }
    s.api = api;
    s.lib.loaded = true;
    s.lib.file = file;
    s.lib.abi = abi;
    char version[8192] = {0};
    int len = 0;
    // callable before MPI_Init (MPI-3)
    if (api.Get_library_version(version, &len) == 0 && len > 0) {
      std::string v(version, static_cast<size_t>(len));
      const size_t nl = v.find_first_of("\r\n,");
      s.lib.version = nl == std::string::npos ? v : v.substr(0, nl);
      while (!s.lib.version.empty() && s.lib.version.back() == ' ') s.lib.version.pop_back();
    }
    return;  // the handle stays open for the life of the process
  }
  s.lib.error = "could not open an MPI library:" + tried;
#else
  s.lib.error = "MPI needs dlopen, which this platform lacks";
#endif
}

State& state() {
  static State s;
  static const bool loaded = (load(s), true);
  (void)loaded;
  return s;
}

const Api& api_or_throw(const char* call) {
  State& s = state();
  if (!s.lib.loaded) throw MpiError(std::string(call) + ": " + s.lib.error);
  return s.api;
}

std::string error_text(const Api& a, int code) {
  char buf[8192] = {0};
  int len = 0;
  if (a.Error_string && a.Error_string(code, buf, &len) == 0 && len > 0) {
    return std::string(buf, static_cast<size_t>(len)) + " (code " + std::to_string(code) + ")";
  }
  return "MPI error code " + std::to_string(code);
}

void check(const Api& a, int code, const char* call) {
  if (code == 0) return;  // MPI_SUCCESS in every implementation
  throw MpiError(std::string(call) + " failed: " + error_text(a, code));
}

// ---- watchdog: a collective blocked for too long ends the process (see mpi_loader.h) ----

class Watchdog {
 public:
  Watchdog() {
    double t = 600;
    if (const char* env = std::getenv("INDRNN_MPI_TIMEOUT"); env && *env) {
      char* end = nullptr;
      const double v = std::strtod(env, &end);
      if (end && *end == '\0' && v >= 0) t = v;
    }
    timeout_ = t;
  }

  void set_timeout(double seconds) {
    std::lock_guard<std::mutex> lk(mu_);
    timeout_ = seconds;
  }
  double timeout() {
    std::lock_guard<std::mutex> lk(mu_);
    return timeout_;
  }

  void enter(const char* call) {
    std::lock_guard<std::mutex> lk(mu_);
    call_ = call;
    since_ = std::chrono::steady_clock::now();
    if (!thread_started_) {
      thread_started_ = true;
      std::thread([this] { loop(); }).detach();  // lives as long as the process
    }
  }
  void leave() {
    std::lock_guard<std::mutex> lk(mu_);
    call_ = nullptr;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait_for(lk, std::chrono::milliseconds(500));
      if (!call_ || timeout_ <= 0) continue;
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
      if (waited < timeout_) continue;
      const State& s = state();
      std::fprintf(stderr,
                   "indrnn (rank %d of %d): no answer from the other ranks for %.0f s in %s; a "
                   "rank has died or hung. Ending this rank so the launcher ends the job "
                   "(INDRNN_MPI_TIMEOUT sets this limit, 0 turns it off).\n",
                   s.rank, s.size, waited, call_);
      std::fflush(stderr);
      // MPI_Abort may not be called from this thread (funneled); leaving without MPI_Finalize
      // makes mpirun and srun --kill-on-bad-exit end the other ranks.
      _exit(70);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  const char* call_ = nullptr;
  std::chrono::steady_clock::time_point since_;
  double timeout_ = 600;
  bool thread_started_ = false;
};

Watchdog& watchdog() {
  static Watchdog* w = new Watchdog();  // never destroyed: its thread outlives static teardown
  return *w;
}

struct Guarded {
  explicit Guarded(const char* call) { watchdog().enter(call); }
  ~Guarded() { watchdog().leave(); }
};

Handle type_handle(const Api& a, MpiType t) {
  switch (t) {
    case MpiType::Float32:
      return a.t_float;
    case MpiType::Float64:
      return a.t_double;
    default:
      return a.t_byte;
  }
}

size_t type_size(MpiType t) { return t == MpiType::Float64 ? 8 : t == MpiType::Float32 ? 4 : 1; }

const Api& ready(const char* call) {
  const Api& a = api_or_throw(call);
  if (!state().initialized_here) throw MpiError(std::string(call) + ": MPI is not initialised");
  if (state().finalized) throw MpiError(std::string(call) + ": MPI was already finalised");
  return a;
}

}  // namespace

const MpiLibrary& mpi_library() { return state().lib; }

void mpi_init() {
  State& s = state();
  const Api& a = api_or_throw("MPI_Init_thread");
  if (s.initialized_here) return;
  int already = 0;
  check(a, a.Initialized(&already), "MPI_Initialized");
  if (!already) {
    int provided = 0;
    check(a, a.Init_thread(nullptr, nullptr, kThreadFunneled, &provided), "MPI_Init_thread");
  }
  // errors come back as codes (checked below) instead of aborting inside MPI without a message
  check(a, a.Comm_set_errhandler(a.comm_world, a.errors_return), "MPI_Comm_set_errhandler");
  check(a, a.Comm_rank(a.comm_world, &s.rank), "MPI_Comm_rank");
  check(a, a.Comm_size(a.comm_world, &s.size), "MPI_Comm_size");
  s.initialized_here = true;
}

bool mpi_initialized() { return state().initialized_here && !state().finalized; }

void mpi_finalize() {
  State& s = state();
  if (!s.initialized_here || s.finalized) return;
  const Api& a = s.api;
  int done = 0;
  check(a, a.Finalized(&done), "MPI_Finalized");
  s.finalized = true;
  if (!done) {
    Guarded g("MPI_Finalize");
    check(a, a.Finalize(), "MPI_Finalize");
  }
}

int mpi_rank() {
  ready("MPI_Comm_rank");
  return state().rank;
}

int mpi_size() {
  ready("MPI_Comm_size");
  return state().size;
}

bool mpi_cuda_aware() {
  const State& s = state();
  if (!s.lib.loaded || !s.api.Query_cuda_support) return false;
  return s.api.Query_cuda_support() == 1;
}

void mpi_allreduce(void* buf, int64_t count, MpiType type, MpiOp op) {
  const Api& a = ready("MPI_Allreduce");
  if (type == MpiType::Byte) throw MpiError("MPI_Allreduce: bytes cannot be summed");
  char* p = static_cast<char*>(buf);
  const size_t es = type_size(type);
  Guarded g("MPI_Allreduce");
  for (int64_t done = 0; done < count;) {
    const int n = static_cast<int>(count - done < INT_MAX ? count - done : INT_MAX);
    check(a,
          a.Allreduce(a.in_place, p + static_cast<size_t>(done) * es, n, type_handle(a, type),
                      op == MpiOp::Sum ? a.op_sum : a.op_max, a.comm_world),
          "MPI_Allreduce");
    done += n;
  }
}

void mpi_broadcast(void* buf, int64_t count, MpiType type, int root) {
  const Api& a = ready("MPI_Bcast");
  if (root < 0 || root >= state().size) {
    throw MpiError("MPI_Bcast: root " + std::to_string(root) + " is not a rank of " +
                   std::to_string(state().size));
  }
  char* p = static_cast<char*>(buf);
  const size_t es = type_size(type);
  Guarded g("MPI_Bcast");
  for (int64_t done = 0; done < count;) {
    const int n = static_cast<int>(count - done < INT_MAX ? count - done : INT_MAX);
    check(a, a.Bcast(p + static_cast<size_t>(done) * es, n, type_handle(a, type), root, a.comm_world),
          "MPI_Bcast");
    done += n;
  }
}

void mpi_barrier() {
  const Api& a = ready("MPI_Barrier");
  Guarded g("MPI_Barrier");
  check(a, a.Barrier(a.comm_world), "MPI_Barrier");
}

void mpi_allgather(const void* send, void* recv, int64_t count, MpiType type) {
  const Api& a = ready("MPI_Allgather");
  if (count > INT_MAX) throw MpiError("MPI_Allgather: more than INT_MAX values per rank");
  const Handle t = type_handle(a, type);
  Guarded g("MPI_Allgather");
  check(a, a.Allgather(send, static_cast<int>(count), t, recv, static_cast<int>(count), t, a.comm_world),
        "MPI_Allgather");
}

void mpi_abort(int code) {
  const State& s = state();
  if (s.lib.loaded && s.initialized_here && !s.finalized) s.api.Abort(s.api.comm_world, code);
  std::fflush(stderr);
  _exit(code);  // MPI_Abort returned (it should not): leave anyway
}

void mpi_set_timeout(double seconds) { watchdog().set_timeout(seconds); }

double mpi_timeout() { return watchdog().timeout(); }

}  // namespace indrnn
