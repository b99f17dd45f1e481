// The Node-API surface of the addon (loaded by lib/addon.ts). Storage handles are JS objects made
// by lib/backend.ts (class CudaStorage) that `alloc` wraps around a DevBuf; every kernel entry
// point takes outputs first, then inputs, then sizes and options, checks each storage's dtype and
// element count against what the kernel will touch (a wrong size would otherwise fault on the
// GPU and poison the whole context), queues the work and returns without synchronising.
//
// NAPI_EXPERIMENTAL: in Node >= 20.? finalizers of such modules run synchronously inside the GC,
// so device memory is released during the very collection that found the handle dead (see
// memory.h). The finalizer calls no Node-API function, as that mode requires.
#define NAPI_EXPERIMENTAL
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "cublas.h"
#include "driver.h"
#include "kernels.h"
#include "memory.h"
#include "profile.h"

namespace icu {
namespace {

constexpr int32_t kF32 = 0, kI32 = 1;
constexpr size_t kMaxArgs = 24;

const char* dtypeName(int32_t d) {
  return d == kF32 ? "float32" : "int32";
}

void finalizeBuffer(node_api_basic_env, void* data, void*) {
  auto* d = static_cast<DevBuf*>(data);
  if (!d->freed) deviceFree(d->ptr, size_t(d->size) * 4);
  delete d;
}

/** The arguments of one call. Every failure throws a CudaError that names the entry point. */
class Args {
 public:
  Args(napi_env env, napi_callback_info info) : env_(env) {
    void* data = nullptr;
    argc_ = kMaxArgs;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, &data) != napi_ok) fail("bad call");
    what_ = static_cast<const char*>(data);
    if (argc_ > kMaxArgs) argc_ = kMaxArgs;
  }

  napi_env env() const { return env_; }
  const char* what() const { return what_; }

  [[noreturn]] void fail(const std::string& msg) const {
    throwMsg(std::string("cuda: ") + (what_ ? what_ : "?") + ": " + msg);
  }

  napi_value at(size_t i) const {
    if (i >= argc_) fail("missing argument " + std::to_string(i));
    return argv_[i];
  }

  bool isNull(size_t i) const {
    napi_valuetype t;
    napi_typeof(env_, at(i), &t);
    return t == napi_null || t == napi_undefined;
  }

  DevBuf* buf(size_t i, const char* name) const {
    return storage(at(i), name, " (argument " + std::to_string(i) + ")");
  }

  /** The live storage behind a JS handle (an argument, or an element of an array argument). */
  DevBuf* storage(napi_value v, const std::string& name, const std::string& where = "") const {
    void* p = nullptr;
    if (napi_unwrap(env_, v, &p) != napi_ok || p == nullptr) {
      fail(name + " is not a cuda storage" + where);
    }
    auto* d = static_cast<DevBuf*>(p);
    if (d->freed) fail(name + " was used after free()");
    return d;
  }

  /** A storage of `dtype` with exactly `expected` elements (-1: any); its device pointer. */
  void* typed(size_t i, const char* name, int32_t dtype, int64_t expected) const {
    DevBuf* d = buf(i, name);
    if (d->dtype != dtype) {
      fail(std::string(name) + " must be " + dtypeName(dtype) + ", got " + dtypeName(d->dtype));
    }
    if (expected >= 0 && d->size != expected) {
      fail(std::string(name) + " has " + std::to_string(d->size) + " elements, expected " +
           std::to_string(expected));
    }
    return d->ptr;
  }
  float* f32(size_t i, const char* name, int64_t expected) const {
    return static_cast<float*>(typed(i, name, kF32, expected));
  }
  int32_t* i32(size_t i, const char* name, int64_t expected) const {
    return static_cast<int32_t*>(typed(i, name, kI32, expected));
  }
  const int32_t* lengths(size_t i, int64_t B) const {
    return isNull(i) ? nullptr : i32(i, "lengths", B);
  }

  double num(size_t i, const char* name) const {
    double v = 0;
    if (napi_get_value_double(env_, at(i), &v) != napi_ok)
      fail(std::string(name) + " must be a number");
    return v;
  }
  /** A non-negative integer (sizes and counts). */
  int64_t size(size_t i, const char* name) const {
    const double v = num(i, name);
    if (!(v >= 0) || v != std::floor(v) || v > 9.0e15) {
      fail(std::string(name) + " must be a non-negative integer, got " + std::to_string(v));
    }
    return int64_t(v);
  }
  int32_t int32(size_t i, const char* name) const {
    int32_t v = 0;
    if (napi_get_value_int32(env_, at(i), &v) != napi_ok)
      fail(std::string(name) + " must be a number");
    return v;
  }
  bool flag(size_t i) const {
    bool v = false;
    if (napi_get_value_bool(env_, at(i), &v) != napi_ok)
      fail("argument " + std::to_string(i) + " must be a boolean");
    return v;
  }
  std::vector<int64_t> ints(size_t i, const char* name) const {
    uint32_t n = 0;
    if (napi_get_array_length(env_, at(i), &n) != napi_ok)
      fail(std::string(name) + " must be an array");
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; k++) {
      napi_value e;
      double v = 0;
      napi_get_element(env_, at(i), k, &e);
      if (napi_get_value_double(env_, e, &v) != napi_ok)
        fail(std::string(name) + " must hold numbers");
      out[k] = int64_t(v);
    }
    return out;
  }

 private:
  napi_env env_;
  size_t argc_;
  napi_value argv_[kMaxArgs];
  const char* what_ = nullptr;
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value string(napi_env env, const std::string& s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

void set(napi_env env, napi_value obj, const char* key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

Unary unaryOp(const Args& a, size_t i) {
  const int32_t op = a.int32(i, "op");
  if (op < 0 || op > int32_t(Unary::Abs)) a.fail("unknown unary op " + std::to_string(op));
  return Unary(op);
}

Act activation(const Args& a, size_t i) {
  const int32_t act = a.int32(i, "activation");
  if (act < 0 || act > int32_t(Act::Identity)) a.fail("unknown activation " + std::to_string(act));
  return Act(act);
}

int dim(const Args& a, size_t i, const char* name) {
  const int64_t v = a.size(i, name);
  if (v >= (int64_t(1) << 31)) a.fail(std::string(name) + " must be below 2^31");
  return int(v);
}

Strides readStrides(const Args& a, size_t shapeArg, size_t strideArg) {
  const auto shape = a.ints(shapeArg, "shape");
  const auto stride = a.ints(strideArg, "strides");
  if (shape.size() != stride.size() || shape.size() > size_t(kMaxRank)) {
    a.fail("layout of rank " + std::to_string(shape.size()) + " (at most 8, after coalescing)");
  }
  Strides s{int(shape.size()), {}, {}};
  for (size_t d = 0; d < shape.size(); d++) {
    s.shape[d] = shape[d];
    s.stride[d] = stride[d];
  }
  return s;
}

// ---- device and memory ----

napi_value probe(Args& a) {
  const DriverProbe p = probeDriver();
  napi_env env = a.env();
  napi_value r;
  napi_create_object(env, &r);
  napi_value ok;
  napi_get_boolean(env, p.ok, &ok);
  set(env, r, "ok", ok);
  set(env, r, "reason", string(env, p.reason));
  set(env, r, "driverVersion", number(env, p.driverVersion));
  set(env, r, "runtimeVersion", number(env, p.runtimeVersion));
  set(env, r, "deviceCount", number(env, p.deviceCount));
  return r;
}

napi_value init(Args& a) {
  int cublasVersion = 0;
  std::string cublasPath;
  const DeviceInfo d = initDevice(int(a.size(0, "device")), &cublasVersion, &cublasPath);
  napi_env env = a.env();
  napi_value r;
  napi_create_object(env, &r);
  set(env, r, "device", number(env, d.index));
  set(env, r, "name", string(env, d.name));
  set(env, r, "computeCapability",
      string(env, std::to_string(d.major) + "." + std::to_string(d.minor)));
  set(env, r, "multiprocessors", number(env, d.smCount));
  set(env, r, "totalMemory", number(env, double(d.totalMemory)));
  set(env, r, "cublasVersion", number(env, cublasVersion));
  set(env, r, "cublasPath", string(env, cublasPath));
  return r;
}

// setCollector(fn): fn(major: boolean) runs a garbage collection (see memory.h).
napi_value setCollectorFn(Args& a) {
  napi_env env = a.env();
  static napi_ref ref = nullptr;
  if (ref != nullptr) napi_delete_reference(env, ref);
  napi_create_reference(env, a.at(0), 1, &ref);
  setCollector([env](bool major) {
    napi_value fn, arg, global, result;
    napi_get_reference_value(env, ref, &fn);
    napi_get_boolean(env, major, &arg);
    napi_get_global(env, &global);
    if (napi_call_function(env, global, fn, 1, &arg, &result) != napi_ok) {
      throwMsg("cuda: the garbage-collection callback threw");
    }
  });
  return undefined(env);
}

// setProfiling(on): time every later call's GPU work by entry point (see profile.h)
napi_value setProfilingFn(Args& a) {
  setProfiling(a.flag(0));
  return undefined(a.env());
}

// takeProfile() -> [{name, calls, ms}], largest first; waits for the stream and resets the totals
napi_value takeProfileFn(Args& a) {
  napi_env env = a.env();
  const auto totals = takeProfile();
  napi_value arr;
  napi_create_array_with_length(env, totals.size(), &arr);
  for (size_t i = 0; i < totals.size(); i++) {
    napi_value o, name;
    napi_create_object(env, &o);
    napi_create_string_utf8(env, totals[i].name.c_str(), NAPI_AUTO_LENGTH, &name);
    napi_set_named_property(env, o, "name", name);
    set(env, o, "calls", number(env, double(totals[i].calls)));
    set(env, o, "ms", number(env, totals[i].ms));
    napi_set_element(env, arr, uint32_t(i), o);
  }
  return arr;
}

napi_value setTf32Fn(Args& a) {
  setTf32(a.flag(0));
  return undefined(a.env());
}

napi_value stats(Args& a) {
  const MemoryStats m = memoryStats();
  napi_env env = a.env();
  napi_value r;
  napi_create_object(env, &r);
  set(env, r, "liveBytes", number(env, double(m.liveBytes)));
  set(env, r, "peakBytes", number(env, double(m.peakBytes)));
  set(env, r, "softLimitBytes", number(env, double(m.softLimitBytes)));
  set(env, r, "totalBytes", number(env, double(m.totalBytes)));
  set(env, r, "freeBytes", number(env, double(m.freeBytes)));
  set(env, r, "allocations", number(env, double(m.allocations)));
  set(env, r, "minorGcs", number(env, double(m.minorGcs)));
  set(env, r, "majorGcs", number(env, double(m.majorGcs)));
  return r;
}

// alloc(storage, dtype, size, zero): wraps fresh device memory into the JS storage object.
napi_value alloc(Args& a) {
  const int32_t dtype = a.int32(1, "dtype");
  if (dtype != kF32 && dtype != kI32) a.fail("dtype code " + std::to_string(dtype));
  const int64_t size = a.size(2, "size");
  const bool zero = a.flag(3);
  const size_t bytes = size_t(size) * 4;
  void* p = deviceAlloc(bytes, a.what());
  auto* d = new DevBuf{p, size, dtype, false};
  if (napi_wrap(a.env(), a.at(0), d, finalizeBuffer, nullptr, nullptr) != napi_ok) {
    deviceFree(p, bytes);
    delete d;
    a.fail("could not wrap the storage object");
  }
  if (zero && bytes > 0) CUDA_CHECK(a.what(), cudaMemsetAsync(p, 0, bytes, stream()));
  return undefined(a.env());
}

napi_value freeFn(Args& a) {
  void* p = nullptr;
  if (napi_unwrap(a.env(), a.at(0), &p) != napi_ok || p == nullptr) a.fail("not a cuda storage");
  auto* d = static_cast<DevBuf*>(p);
  if (!d->freed) {
    deviceFree(d->ptr, size_t(d->size) * 4);
    d->ptr = nullptr;
    d->freed = true;
  }
  return undefined(a.env());
}

/** The bytes of a typed array argument, checked against the storage's size. */
void* hostBytes(const Args& a, size_t i, const DevBuf* d) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(a.env(), a.at(i), &type, &length, &data, nullptr, nullptr) !=
      napi_ok) {
    a.fail("expected a typed array");
  }
  const bool ok = (type == napi_float32_array && d->dtype == kF32) ||
                  (type == napi_int32_array && d->dtype == kI32);
  if (!ok)
    a.fail(std::string("host array type does not match the ") + dtypeName(d->dtype) + " storage");
  if (int64_t(length) != d->size) {
    a.fail("host array has " + std::to_string(length) + " elements, the storage " +
           std::to_string(d->size));
  }
  return data;
}

// upload(storage, typedArray)
napi_value uploadFn(Args& a) {
  DevBuf* d = a.buf(0, "storage");
  upload(d->ptr, hostBytes(a, 1, d), size_t(d->size) * 4, a.what());
  return undefined(a.env());
}

// download(storage, typedArray): synchronises.
napi_value downloadFn(Args& a) {
  DevBuf* d = a.buf(0, "storage");
  copyToHostSync(hostBytes(a, 1, d), d->ptr, size_t(d->size) * 4, a.what());
  return undefined(a.env());
}

// copy(dst, src): same dtype and size.
napi_value copy(Args& a) {
  DevBuf* src = a.buf(1, "source");
  void* dst = a.typed(0, "destination", src->dtype, src->size);
  if (src->size > 0) {
    CUDA_CHECK(a.what(), cudaMemcpyAsync(dst, src->ptr, size_t(src->size) * 4,
                                         cudaMemcpyDeviceToDevice, stream()));
  }
  return undefined(a.env());
}

napi_value synchronizeFn(Args& a) {
  synchronize(a.what());
  return undefined(a.env());
}

// ---- elementwise ----

// unary(op, y, x)
napi_value unary(Args& a) {
  const Unary op = unaryOp(a, 0);
  const int64_t n = a.buf(2, "x")->size;
  unaryForward(op, a.f32(2, "x", n), a.f32(1, "y", n), n);
  return undefined(a.env());
}

// unaryGrad(op, dx, x, y, dy)
napi_value unaryGrad(Args& a) {
  const Unary op = unaryOp(a, 0);
  const int64_t n = a.buf(4, "dy")->size;
  unaryBackward(op, a.f32(2, "x", n), a.f32(3, "y", n), a.f32(4, "dy", n), a.f32(1, "dx", n), n);
  return undefined(a.env());
}

// binary(op, out, a, b, shape[], stridesA[], stridesB[]): coalesced by lib/layout.ts.
napi_value binary(Args& a) {
  const int32_t op = a.int32(0, "op");
  if (op < 0 || op > int32_t(Binary::Minimum)) a.fail("unknown binary op " + std::to_string(op));
  const auto shape = a.ints(4, "shape"), sa = a.ints(5, "stridesA"), sb = a.ints(6, "stridesB");
  if (shape.size() > size_t(kMaxRank) || sa.size() != shape.size() || sb.size() != shape.size()) {
    a.fail("layout of rank " + std::to_string(shape.size()));
  }
  BinaryLayout l{int(shape.size()), {}, {}, {}};
  int64_t n = 1, lastA = 0, lastB = 0;
  for (size_t d = 0; d < shape.size(); d++) {
    l.shape[d] = shape[d];
    l.strideA[d] = sa[d];
    l.strideB[d] = sb[d];
    n *= shape[d];
    lastA += (shape[d] - 1) * sa[d];
    lastB += (shape[d] - 1) * sb[d];
  }
  float* out = a.f32(1, "out", n);
  const DevBuf* da = a.buf(2, "a");
  const DevBuf* db = a.buf(3, "b");
  if (n > 0 && (lastA >= da->size || lastB >= db->size)) a.fail("layout reads past an operand");
  binaryForward(Binary(op), a.f32(2, "a", -1), a.f32(3, "b", -1), out, l, n);
  return undefined(a.env());
}

// affine(y, x, scale, shift)
napi_value affineFn(Args& a) {
  const int64_t n = a.buf(1, "x")->size;
  affine(a.f32(1, "x", n), a.f32(0, "y", n), n, float(a.num(2, "scale")), float(a.num(3, "shift")));
  return undefined(a.env());
}

napi_value clampFn(Args& a) {
  float* x = a.f32(0, "x", -1);
  clampInPlace(x, a.buf(0, "x")->size, float(a.num(1, "lo")), float(a.num(2, "hi")));
  return undefined(a.env());
}

napi_value scaleFn(Args& a) {
  float* x = a.f32(0, "x", -1);
  scaleInPlace(x, a.buf(0, "x")->size, float(a.num(1, "scale")));
  return undefined(a.env());
}

napi_value sumSquaresFn(Args& a) {
  float* x = a.f32(0, "x", -1);
  return number(a.env(), sumSquares(x, a.buf(0, "x")->size));
}

// cast(out, x): float32 <-> int32, or a copy for the same dtype.
napi_value cast(Args& a) {
  const DevBuf* x = a.buf(1, "x");
  const DevBuf* out = a.buf(0, "out");
  if (out->size != x->size) a.fail("out and x differ in size");
  if (x->dtype == out->dtype) {
    if (x->size > 0) {
      CUDA_CHECK(a.what(), cudaMemcpyAsync(out->ptr, x->ptr, size_t(x->size) * 4,
                                           cudaMemcpyDeviceToDevice, stream()));
    }
  } else if (x->dtype == kF32) {
    castF32ToI32(static_cast<const float*>(x->ptr), static_cast<int32_t*>(out->ptr), x->size);
  } else {
    castI32ToF32(static_cast<const int32_t*>(x->ptr), static_cast<float*>(out->ptr), x->size);
  }
  return undefined(a.env());
}

// ---- layout ----

/** Checks that a strided view starting at `base` stays inside a storage of `size` elements. */
void checkView(const Args& a, const Strides& s, int64_t base, int64_t size, const char* name) {
  int64_t last = base, n = 1;
  for (int d = 0; d < s.rank; d++) {
    last += (s.shape[d] - 1) * s.stride[d];
    n *= s.shape[d];
  }
  if (n > 0 && (base < 0 || last >= size)) a.fail(std::string("view reaches past ") + name);
}

// gather(out, x, shape[], strides[], base): out[i] = x[base + offset(i)], 4-byte elements.
napi_value gather(Args& a) {
  const DevBuf* x = a.buf(1, "x");
  const Strides s = readStrides(a, 2, 3);
  const int64_t base = a.size(4, "base");
  int64_t n = 1;
  for (int d = 0; d < s.rank; d++) n *= s.shape[d];
  void* out = a.typed(0, "out", x->dtype, n);
  checkView(a, s, base, x->size, "x");
  stridedGather(static_cast<const uint32_t*>(x->ptr) + base, static_cast<uint32_t*>(out), s, n);
  return undefined(a.env());
}

// scatter(out, x, shape[], strides[], base): out[base + offset(i)] = x[i] (out already zeroed).
napi_value scatter(Args& a) {
  const DevBuf* x = a.buf(1, "x");
  const Strides s = readStrides(a, 2, 3);
  const int64_t base = a.size(4, "base");
  int64_t n = 1;
  for (int d = 0; d < s.rank; d++) n *= s.shape[d];
  if (n != x->size)
    a.fail("x has " + std::to_string(x->size) + " elements, the view " + std::to_string(n));
  const DevBuf* out = a.buf(0, "out");
  void* o = a.typed(0, "out", x->dtype, -1);
  checkView(a, s, base, out->size, "out");
  stridedScatter(static_cast<const uint32_t*>(x->ptr), static_cast<uint32_t*>(o) + base, s, n);
  return undefined(a.env());
}

// concat(out, xs[], outer, widths[]): out [outer, Σ widths]; input j is [outer, widths[j]].
napi_value concat(Args& a) {
  const int64_t outer = a.size(2, "outer");
  const auto widths = a.ints(3, "widths");
  int64_t rowOut = 0;
  for (int64_t w : widths) rowOut += w;
  const DevBuf* out = a.buf(0, "out");
  if (out->size != outer * rowOut) a.fail("out has the wrong size");
  napi_value xs = a.at(1);
  int64_t col = 0;
  for (size_t j = 0; j < widths.size(); j++) {
    napi_value e;
    napi_get_element(a.env(), xs, uint32_t(j), &e);
    const DevBuf* x = a.storage(e, "input " + std::to_string(j));
    if (x->dtype != out->dtype || x->size != outer * widths[j]) {
      a.fail("input " + std::to_string(j) + " has the wrong dtype or size");
    }
    const int64_t w = widths[j];
    if (w > 0 && outer > 0) {
      // one 2-D copy per input: `outer` rows of w words into rows of rowOut words
      CUDA_CHECK(a.what(),
                 cudaMemcpy2DAsync(static_cast<uint32_t*>(out->ptr) + col, size_t(rowOut) * 4,
                                   x->ptr, size_t(w) * 4, size_t(w) * 4, size_t(outer),
                                   cudaMemcpyDeviceToDevice, stream()));
    }
    col += w;
  }
  return undefined(a.env());
}

// ---- reductions ----

// reduceSum(out, x, O, R, I): out[o, i] = Σ_r x[o, r, i].
napi_value reduceSumFn(Args& a) {
  const int64_t O = a.size(2, "O"), R = a.size(3, "R"), I = a.size(4, "I");
  reduceSum(a.f32(1, "x", O * R * I), a.f32(0, "out", O * I), O, R, I);
  return undefined(a.env());
}

// argmax(out, x, rows, cols)
napi_value argmaxFn(Args& a) {
  const int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  if (cols >= (int64_t(1) << 31)) a.fail("cols must be below 2^31");
  argmax(a.f32(1, "x", rows * cols), a.i32(0, "out", rows), rows, cols);
  return undefined(a.env());
}

// ---- linear algebra ----

// matmul(out, a, b, m, n, k, transA, transB)
napi_value matmul(Args& a) {
  const int m = dim(a, 3, "m"), n = dim(a, 4, "n"), k = dim(a, 5, "k");
  const bool ta = a.flag(6), tb = a.flag(7);
  gemm(a.what(), a.f32(1, "a", int64_t(m) * k), a.f32(2, "b", int64_t(k) * n),
       a.f32(0, "out", int64_t(m) * n), m, n, k, ta, tb);
  return undefined(a.env());
}

// ---- nn ----

// gatherRows(out, table, cols, idx)
napi_value gatherRowsFn(Args& a) {
  const int64_t cols = a.size(2, "cols");
  const DevBuf* table = a.buf(1, "table");
  const DevBuf* idx = a.buf(3, "idx");
  const int64_t rows = cols > 0 ? table->size / cols : 0;
  gatherRows(a.f32(1, "table", -1), rows, cols, a.i32(3, "idx", -1), idx->size,
             a.f32(0, "out", idx->size * cols));
  return undefined(a.env());
}

// scatterAddRows(out, dy, cols, plan, segments, valid): out must be zeroed; plan is
// lib/layout.ts scatterPlan's [segments + 1 starts | segments rows | valid positions].
napi_value scatterAddRowsFn(Args& a) {
  const int64_t cols = a.size(2, "cols"), segments = a.size(4, "segments"),
                valid = a.size(5, "valid");
  const DevBuf* out = a.buf(0, "out");
  const DevBuf* dy = a.buf(1, "dy");
  const int64_t rows = cols > 0 ? out->size / cols : 0;
  const int64_t nIdx = cols > 0 ? dy->size / cols : 0;
  if (valid > nIdx || segments > valid) {
    a.fail("plan of " + std::to_string(segments) + " rows and " + std::to_string(valid) +
           " positions does not fit " + std::to_string(nIdx) + " rows of dy");
  }
  scatterAddRows(a.f32(1, "dy", nIdx * cols), cols, a.i32(3, "plan", 2 * segments + 1 + valid),
                 segments, a.f32(0, "out", rows * cols));
  return undefined(a.env());
}

// softmax(out, x, rows, cols)
napi_value softmaxFn(Args& a) {
  const int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  softmax(a.f32(1, "x", rows * cols), a.f32(0, "out", rows * cols), rows, cols);
  return undefined(a.env());
}

// softmaxCrossEntropy(loss, probs, logits, targets, rows, cols, ignoreIndex)
napi_value softmaxCrossEntropyFn(Args& a) {
  const int64_t rows = a.size(4, "rows"), cols = a.size(5, "cols");
  softmaxCrossEntropy(a.f32(2, "logits", rows * cols), a.i32(3, "targets", rows),
                      a.f32(0, "loss", rows), a.f32(1, "probs", rows * cols), rows, cols,
                      a.int32(6, "ignoreIndex"));
  return undefined(a.env());
}

// softmaxCrossEntropyGrad(dx, probs, targets, dloss, rows, cols, ignoreIndex)
napi_value softmaxCrossEntropyGradFn(Args& a) {
  const int64_t rows = a.size(4, "rows"), cols = a.size(5, "cols");
  softmaxCrossEntropyGrad(a.f32(1, "probs", rows * cols), a.i32(2, "targets", rows),
                          a.f32(3, "dloss", rows), a.f32(0, "dx", rows * cols), rows, cols,
                          a.int32(6, "ignoreIndex"));
  return undefined(a.env());
}

// batchNormTrain(y, mean, variance, invStd, x, gamma, beta, groups, rows, channels, eps)
napi_value batchNormTrainFn(Args& a) {
  const int64_t G = a.size(7, "groups"), R = a.size(8, "rows"), C = a.size(9, "channels");
  batchNormTrain(a.f32(4, "x", G * R * C), a.f32(5, "gamma", C), a.f32(6, "beta", C),
                 a.f32(0, "y", G * R * C), a.f32(1, "mean", G * C), a.f32(2, "variance", G * C),
                 a.f32(3, "invStd", G * C), G, R, C, a.num(10, "eps"));
  return undefined(a.env());
}

// batchNormGrad(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, groups, rows, channels)
napi_value batchNormGradFn(Args& a) {
  const int64_t G = a.size(8, "groups"), R = a.size(9, "rows"), C = a.size(10, "channels");
  batchNormGrad(a.f32(3, "dy", G * R * C), a.f32(4, "x", G * R * C), a.f32(5, "mean", G * C),
                a.f32(6, "invStd", G * C), a.f32(7, "gamma", C), a.f32(0, "dx", G * R * C),
                a.f32(1, "dgamma", C), a.f32(2, "dbeta", C), G, R, C);
  return undefined(a.env());
}

// batchNormTrainMasked(y, mean, variance, invStd, x, lengths, gamma, beta, T, R, C, perStep, eps)
napi_value batchNormTrainMaskedFn(Args& a) {
  const int64_t T = a.size(8, "T"), R = a.size(9, "R"), C = a.size(10, "channels");
  const bool perStep = a.flag(11);
  const int64_t G = perStep ? T : 1;
  batchNormTrainMasked(a.f32(4, "x", T * R * C), a.i32(5, "lengths", R), a.f32(6, "gamma", C),
                       a.f32(7, "beta", C), a.f32(0, "y", T * R * C), a.f32(1, "mean", G * C),
                       a.f32(2, "variance", G * C), a.f32(3, "invStd", G * C), T, R, C, perStep,
                       a.num(12, "eps"));
  return undefined(a.env());
}

// batchNormGradMasked(dx, dgamma, dbeta, dy, x, lengths, mean, invStd, gamma, T, R, C, perStep)
napi_value batchNormGradMaskedFn(Args& a) {
  const int64_t T = a.size(9, "T"), R = a.size(10, "R"), C = a.size(11, "channels");
  const bool perStep = a.flag(12);
  const int64_t G = perStep ? T : 1;
  batchNormGradMasked(a.f32(3, "dy", T * R * C), a.f32(4, "x", T * R * C),
                      a.i32(5, "lengths", R), a.f32(6, "mean", G * C), a.f32(7, "invStd", G * C),
                      a.f32(8, "gamma", C), a.f32(0, "dx", T * R * C), a.f32(1, "dgamma", C),
                      a.f32(2, "dbeta", C), T, R, C, perStep);
  return undefined(a.env());
}

// ---- recurrences ----

// indrnnScan(h, z, u, h0, lengths|null, T, B, N, act, bias|null)
napi_value indrnnScanFn(Args& a) {
  const int T = dim(a, 5, "T"), B = dim(a, 6, "B"), N = dim(a, 7, "N");
  const int64_t all = int64_t(T) * B * N;
  indrnnScanForward(a.f32(1, "z", all), a.f32(2, "u", N), a.f32(3, "h0", int64_t(B) * N),
                    a.lengths(4, B), a.f32(0, "h", all), T, B, N, activation(a, 8),
                    a.isNull(9) ? nullptr : a.f32(9, "bias", N));
  return undefined(a.env());
}

// indrnnScanGrad(dz, du, dh0, dh, h, u, h0, lengths|null, T, B, N, act, db|null)
napi_value indrnnScanGradFn(Args& a) {
  const int T = dim(a, 8, "T"), B = dim(a, 9, "B"), N = dim(a, 10, "N");
  const int64_t all = int64_t(T) * B * N, cols = int64_t(B) * N;
  indrnnScanBackward(a.f32(3, "dh", all), a.f32(4, "h", all), a.f32(5, "u", N),
                     a.f32(6, "h0", cols), a.lengths(7, B), a.f32(0, "dz", all), a.f32(1, "du", N),
                     a.f32(2, "dh0", cols), T, B, N, activation(a, 11),
                     a.isNull(12) ? nullptr : a.f32(12, "db", N));
  return undefined(a.env());
}

// indrnnScanProj(h, x, w, bias, u, h0, lengths|null, T, B, N, F, act)
napi_value indrnnScanProjFn(Args& a) {
  const int T = dim(a, 7, "T"), B = dim(a, 8, "B"), N = dim(a, 9, "N"), F = dim(a, 10, "F");
  indrnnScanProjForward(a.f32(1, "x", int64_t(T) * B * F), a.f32(2, "w", int64_t(N) * F),
                        a.f32(3, "bias", N), a.f32(4, "u", N), a.f32(5, "h0", int64_t(B) * N),
                        a.lengths(6, B), a.f32(0, "h", int64_t(T) * B * N), T, B, N, F,
                        activation(a, 11));
  return undefined(a.env());
}

// indrnnScanProjGrad(dw, db, du, dx|null, dh0, dh, h, x, w, u, h0, lengths|null, T, B, N, F, act)
napi_value indrnnScanProjGradFn(Args& a) {
  const int T = dim(a, 12, "T"), B = dim(a, 13, "B"), N = dim(a, 14, "N"), F = dim(a, 15, "F");
  const int64_t all = int64_t(T) * B * N, cols = int64_t(B) * N, xs = int64_t(T) * B * F;
  indrnnScanProjBackward(a.f32(5, "dh", all), a.f32(6, "h", all), a.f32(7, "x", xs),
                         a.f32(8, "w", int64_t(N) * F), a.f32(9, "u", N), a.f32(10, "h0", cols),
                         a.lengths(11, B), a.f32(0, "dw", int64_t(N) * F), a.f32(1, "db", N),
                         a.f32(2, "du", N), a.isNull(3) ? nullptr : a.f32(3, "dx", xs),
                         a.f32(4, "dh0", cols), T, B, N, F, activation(a, 16));
  return undefined(a.env());
}

// rnnScan(h, gx, whh, h0, lengths|null, T, B, H, act)
napi_value rnnScanFn(Args& a) {
  const int T = dim(a, 5, "T"), B = dim(a, 6, "B"), H = dim(a, 7, "H");
  const int64_t all = int64_t(T) * B * H;
  rnnScanForward(a.f32(1, "gx", all), a.f32(2, "whh", int64_t(H) * H),
                 a.f32(3, "h0", int64_t(B) * H), a.lengths(4, B), a.f32(0, "h", all), T, B, H,
                 activation(a, 8));
  return undefined(a.env());
}

// rnnScanGrad(dgx, dwhh, dh0, dh, h, whh, h0, lengths|null, T, B, H, act)
napi_value rnnScanGradFn(Args& a) {
  const int T = dim(a, 8, "T"), B = dim(a, 9, "B"), H = dim(a, 10, "H");
  const int64_t all = int64_t(T) * B * H, bh = int64_t(B) * H;
  rnnScanBackward(a.f32(3, "dh", all), a.f32(4, "h", all), a.f32(5, "whh", int64_t(H) * H),
                  a.f32(6, "h0", bh), a.lengths(7, B), a.f32(0, "dgx", all),
                  a.f32(1, "dwhh", int64_t(H) * H), a.f32(2, "dh0", bh), T, B, H,
                  activation(a, 11));
  return undefined(a.env());
}

// lstmScan(h, c, gates, gx, whh, h0, c0, lengths|null, T, B, H)
napi_value lstmScanFn(Args& a) {
  const int T = dim(a, 8, "T"), B = dim(a, 9, "B"), H = dim(a, 10, "H");
  const int64_t all = int64_t(T) * B * H, bh = int64_t(B) * H;
  lstmScanForward(a.f32(3, "gx", 4 * all), a.f32(4, "whh", int64_t(4) * H * H), a.f32(5, "h0", bh),
                  a.f32(6, "c0", bh), a.lengths(7, B), a.f32(0, "h", all), a.f32(1, "c", all),
                  a.f32(2, "gates", 4 * all), T, B, H);
  return undefined(a.env());
}

// lstmScanGrad(dgx, dwhh, dh0, dc0, dh, dc, gates, h, c, whh, h0, c0, lengths|null, T, B, H)
napi_value lstmScanGradFn(Args& a) {
  const int T = dim(a, 13, "T"), B = dim(a, 14, "B"), H = dim(a, 15, "H");
  const int64_t all = int64_t(T) * B * H, bh = int64_t(B) * H;
  lstmScanBackward(a.f32(4, "dh", all), a.f32(5, "dc", all), a.f32(6, "gates", 4 * all),
                   a.f32(7, "h", all), a.f32(8, "c", all), a.f32(9, "whh", int64_t(4) * H * H),
                   a.f32(10, "h0", bh), a.f32(11, "c0", bh), a.lengths(12, B),
                   a.f32(0, "dgx", 4 * all), a.f32(1, "dwhh", int64_t(4) * H * H),
                   a.f32(2, "dh0", bh), a.f32(3, "dc0", bh), T, B, H);
  return undefined(a.env());
}

// ---- convolution ----

ConvGeometry geometry(const Args& a, size_t first) {
  ConvGeometry g{};
  int* fields[] = {&g.N, &g.H, &g.W, &g.C, &g.KH, &g.KW, &g.padH, &g.padW, &g.strideH, &g.strideW};
  const char* names[] = {"N", "H", "W", "C", "KH", "KW", "padH", "padW", "strideH", "strideW"};
  for (size_t i = 0; i < 10; i++) *fields[i] = dim(a, first + i, names[i]);
  if (g.strideH < 1 || g.strideW < 1) a.fail("strides must be at least 1");
  g.OH = (g.H + 2 * g.padH - g.KH) / g.strideH + 1;
  g.OW = (g.W + 2 * g.padW - g.KW) / g.strideW + 1;
  if (g.OH < 0 || g.OW < 0) a.fail("the kernel is larger than the padded image");
  return g;
}

// im2col(cols, x, N, H, W, C, KH, KW, padH, padW, strideH, strideW)
napi_value im2colFn(Args& a) {
  const ConvGeometry g = geometry(a, 2);
  const int64_t rows = int64_t(g.N) * g.OH * g.OW, rowLen = int64_t(g.KH) * g.KW * g.C;
  im2col(a.f32(1, "x", int64_t(g.N) * g.H * g.W * g.C), a.f32(0, "cols", rows * rowLen), g);
  return undefined(a.env());
}

// col2im(x, cols, N, H, W, C, KH, KW, padH, padW, strideH, strideW)
napi_value col2imFn(Args& a) {
  const ConvGeometry g = geometry(a, 2);
  const int64_t rows = int64_t(g.N) * g.OH * g.OW, rowLen = int64_t(g.KH) * g.KW * g.C;
  col2im(a.f32(1, "cols", rows * rowLen), a.f32(0, "x", int64_t(g.N) * g.H * g.W * g.C), g);
  return undefined(a.env());
}

// ---- optimizers ----

// adamStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, biasCorr1, biasCorr2)
napi_value adamStepFn(Args& a) {
  const int64_t n = a.buf(0, "param")->size;
  adamStep(a.f32(0, "param", n), a.f32(1, "grad", n), a.f32(2, "m", n), a.f32(3, "v", n), n,
           float(a.num(4, "lr")), a.num(5, "beta1"), a.num(6, "beta2"),
           float(a.num(7, "eps")), float(a.num(8, "weightDecay")), float(a.num(9, "biasCorr1")),
           float(a.num(10, "biasCorr2")));
  return undefined(a.env());
}

// adamStepMany(params[], grads[], m[], v[], bounds[], lr, beta1, beta2, eps, weightDecay,
//              biasCorr1, biasCorr2, gradClip)
napi_value adamStepManyFn(Args& a) {
  napi_env env = a.env();
  uint32_t count = 0;
  if (napi_get_array_length(env, a.at(0), &count) != napi_ok) a.fail("params must be an array");
  uint32_t boundCount = 0;
  if (napi_get_array_length(env, a.at(4), &boundCount) != napi_ok || boundCount != count) {
    a.fail("bounds must be an array with one entry per parameter");
  }
  const char* names[] = {"params", "grads", "m", "v"};
  for (int k = 1; k < 4; k++) {
    uint32_t len = 0;
    if (napi_get_array_length(env, a.at(size_t(k)), &len) != napi_ok || len != count) {
      a.fail(std::string(names[k]) + " must be an array as long as params");
    }
  }
  std::vector<AdamItem> items(count);
  for (uint32_t j = 0; j < count; j++) {
    DevBuf* bufs[4];
    for (int k = 0; k < 4; k++) {
      napi_value e;
      napi_get_element(env, a.at(size_t(k)), j, &e);
      bufs[k] = a.storage(e, std::string(names[k]) + "[" + std::to_string(j) + "]");
      if (bufs[k]->dtype != kF32 || bufs[k]->size != bufs[0]->size) {
        a.fail(std::string(names[k]) + "[" + std::to_string(j) +
               "] must be float32 with as many elements as params[" + std::to_string(j) + "]");
      }
    }
    napi_value b;
    double bound = 0;
    if (napi_get_element(env, a.at(4), j, &b) != napi_ok ||
        napi_get_value_double(env, b, &bound) != napi_ok || !(bound >= 0)) {
      a.fail("bounds[" + std::to_string(j) + "] must be a number >= 0");
    }
    items[j] = AdamItem{static_cast<float*>(bufs[0]->ptr), static_cast<float*>(bufs[1]->ptr),
                        static_cast<float*>(bufs[2]->ptr), static_cast<float*>(bufs[3]->ptr),
                        bufs[0]->size, float(bound)};
  }
  adamStepMany(items.data(), int(count), float(a.num(5, "lr")), a.num(6, "beta1"),
               a.num(7, "beta2"), float(a.num(8, "eps")), float(a.num(9, "weightDecay")),
               float(a.num(10, "biasCorr1")), float(a.num(11, "biasCorr2")),
               float(a.num(12, "gradClip")));
  return undefined(env);
}

// sgdStep(param, grad, buf, lr, momentum, dampening, nesterov, weightDecay, hasMomentum)
napi_value sgdStepFn(Args& a) {
  const int64_t n = a.buf(0, "param")->size;
  sgdStep(a.f32(0, "param", n), a.f32(1, "grad", n), a.f32(2, "buf", n), n, float(a.num(3, "lr")),
          float(a.num(4, "momentum")), a.num(5, "dampening"), a.flag(6),
          float(a.num(7, "weightDecay")), a.flag(8));
  return undefined(a.env());
}

/** Runs one entry point, turning C++ exceptions into JS errors (code ERR_INDRNN_CUDA). */
template <napi_value (*Body)(Args&)>
napi_value entry(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info);
    ProfileScope scope(a.what());  // GPU time of whatever this call queues (when profiling)
    return Body(a);
  } catch (const std::exception& e) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "ERR_INDRNN_CUDA", e.what());
    return nullptr;
  }
}

struct Export {
  const char* name;
  napi_callback fn;
};

const Export kExports[] = {
    {"probe", entry<probe>},
    {"init", entry<init>},
    {"setCollector", entry<setCollectorFn>},
    {"setTf32", entry<setTf32Fn>},
    {"setProfiling", entry<setProfilingFn>},
    {"takeProfile", entry<takeProfileFn>},
    {"memoryStats", entry<stats>},
    {"alloc", entry<alloc>},
    {"free", entry<freeFn>},
    {"upload", entry<uploadFn>},
    {"download", entry<downloadFn>},
    {"copy", entry<copy>},
    {"synchronize", entry<synchronizeFn>},
    {"unary", entry<unary>},
    {"unaryGrad", entry<unaryGrad>},
    {"binary", entry<binary>},
    {"affine", entry<affineFn>},
    {"clampInPlace", entry<clampFn>},
    {"scaleInPlace", entry<scaleFn>},
    {"sumSquares", entry<sumSquaresFn>},
    {"cast", entry<cast>},
    {"gather", entry<gather>},
    {"scatter", entry<scatter>},
    {"concat", entry<concat>},
    {"reduceSum", entry<reduceSumFn>},
    {"argmax", entry<argmaxFn>},
    {"matmul", entry<matmul>},
    {"gatherRows", entry<gatherRowsFn>},
    {"scatterAddRows", entry<scatterAddRowsFn>},
    {"softmax", entry<softmaxFn>},
    {"softmaxCrossEntropy", entry<softmaxCrossEntropyFn>},
    {"softmaxCrossEntropyGrad", entry<softmaxCrossEntropyGradFn>},
    {"batchNormTrain", entry<batchNormTrainFn>},
    {"batchNormGrad", entry<batchNormGradFn>},
    {"batchNormTrainMasked", entry<batchNormTrainMaskedFn>},
    {"batchNormGradMasked", entry<batchNormGradMaskedFn>},
    {"indrnnScan", entry<indrnnScanFn>},
    {"indrnnScanGrad", entry<indrnnScanGradFn>},
    {"indrnnScanProj", entry<indrnnScanProjFn>},
    {"indrnnScanProjGrad", entry<indrnnScanProjGradFn>},
    {"rnnScan", entry<rnnScanFn>},
    {"rnnScanGrad", entry<rnnScanGradFn>},
    {"lstmScan", entry<lstmScanFn>},
    {"lstmScanGrad", entry<lstmScanGradFn>},
    {"im2col", entry<im2colFn>},
    {"col2im", entry<col2imFn>},
    {"adamStep", entry<adamStepFn>},
    {"adamStepMany", entry<adamStepManyFn>},
    {"sgdStep", entry<sgdStepFn>},
};

}  // namespace
}  // namespace icu

NAPI_MODULE_INIT() {
  for (const auto& e : icu::kExports) {
    napi_value fn;
    // the entry point's name rides along as the callback data, so errors can name it
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, const_cast<char*>(e.name), &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}
