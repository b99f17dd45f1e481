// Node-API glue: argument checking and conversion, then one call into a kernel. Typed arrays are
// used in place (zero copy): JS allocates every output and passes it first. Every N-API status is
// checked, and every failure becomes a JS Error naming the kernel and the argument.
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "blas_loader.h"
#include "gemm.h"
#include "kernels.h"
#include "mpi_loader.h"
#include "pool.h"

namespace indrnn {
namespace {

const char* typed_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
      return "Int8Array";
    case napi_uint8_array:
      return "Uint8Array";
    case napi_uint8_clamped_array:
      return "Uint8ClampedArray";
    case napi_int16_array:
      return "Int16Array";
    case napi_uint16_array:
      return "Uint16Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint32_array:
      return "Uint32Array";
    case napi_float32_array:
      return "Float32Array";
    case napi_float64_array:
      return "Float64Array";
    default:
      return "a BigInt typed array";
  }
}

// The arguments of one call, with checked accessors that name the kernel and argument.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* kernel, size_t expected)
      : env_(env), kernel_(kernel) {
    argc_ = kMax;
    check(napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr), "reading the arguments");
    if (argc_ < expected) {
      fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc_));
    }
  }

  napi_env env() const { return env_; }

  [[noreturn]] void fail(const std::string& msg) const {
    throw KernelError(std::string("native ") + kernel_ + ": " + msg);
  }

  void check(napi_status st, const char* what) const {
    if (st == napi_ok) return;
    const napi_extended_error_info* info = nullptr;
    const bool have =
        napi_get_last_error_info(env_, &info) == napi_ok && info && info->error_message;
    fail(std::string(what) + " failed: " + (have ? info->error_message : "unknown N-API error") +
         " (status " + std::to_string(static_cast<int>(st)) + ")");
  }

  napi_valuetype type_of(size_t i) const {
    napi_valuetype t;
    check(napi_typeof(env_, argv_[i], &t), "reading an argument's type");
    return t;
  }

  bool is_nullish(size_t i) const {
    if (i >= argc_) return true;
    const napi_valuetype t = type_of(i);
    return t == napi_null || t == napi_undefined;
  }

  // A typed array of `type` with at least `min_len` elements; returns its data, sets *len.
  void* typed(size_t i, const char* name, napi_typedarray_type type, int64_t min_len,
              int64_t* len = nullptr) const {
    bool is_ta = false;
    check(napi_is_typedarray(env_, argv_[i], &is_ta), "checking for a typed array");
    if (!is_ta) fail(std::string("argument '") + name + "' must be a " + typed_name(type));
    napi_typedarray_type t;
    size_t n = 0;
    void* data = nullptr;
    check(napi_get_typedarray_info(env_, argv_[i], &t, &n, &data, nullptr, nullptr),
          "reading a typed array");
    if (t != type) {
      fail(std::string("argument '") + name + "' must be a " + typed_name(type) + ", got " +
           typed_name(t));
    }
    if (static_cast<int64_t>(n) < min_len) {
      fail(std::string("argument '") + name + "' needs at least " + std::to_string(min_len) +
           " elements, got " + std::to_string(n));
    }
    if (len) *len = static_cast<int64_t>(n);
    return data;
  }

  float* f32(size_t i, const char* name, int64_t min_len, int64_t* len = nullptr) const {
    return static_cast<float*>(typed(i, name, napi_float32_array, min_len, len));
  }
  int32_t* i32(size_t i, const char* name, int64_t min_len, int64_t* len = nullptr) const {
    return static_cast<int32_t*>(typed(i, name, napi_int32_array, min_len, len));
  }
  // Int32Array or null
  const int32_t* i32_or_null(size_t i, const char* name, int64_t min_len) const {
    return is_nullish(i) ? nullptr : i32(i, name, min_len);
  }

  double num(size_t i, const char* name) const {
    if (type_of(i) != napi_number) fail(std::string("argument '") + name + "' must be a number");
    double v;
    check(napi_get_value_double(env_, argv_[i], &v), "reading a number");
    return v;
  }

  // A non-negative integer (a size or count).
  int64_t dim(size_t i, const char* name) const {
    const double v = num(i, name);
    if (!(v >= 0) || v != std::floor(v) || v > 9007199254740991.0) {
      fail(std::string("argument '") + name + "' must be a non-negative integer, got " +
           std::to_string(v));
    }
    return static_cast<int64_t>(v);
  }

  bool flag(size_t i, const char* name) const {
    if (type_of(i) != napi_boolean) fail(std::string("argument '") + name + "' must be a boolean");
    bool v;
    check(napi_get_value_bool(env_, argv_[i], &v), "reading a boolean");
    return v;
  }

  std::string str(size_t i, const char* name) const {
    if (type_of(i) != napi_string) fail(std::string("argument '") + name + "' must be a string");
    char buf[64];
    size_t n = 0;
    check(napi_get_value_string_utf8(env_, argv_[i], buf, sizeof buf, &n), "reading a string");
    return std::string(buf, n);
  }

  uint32_t array_length(napi_value v, const char* name) const {
    bool is_arr = false;
    check(napi_is_array(env_, v, &is_arr), "checking for an array");
    if (!is_arr) fail(std::string("argument '") + name + "' must be an array");
    uint32_t n = 0;
    check(napi_get_array_length(env_, v, &n), "reading an array's length");
    return n;
  }

  napi_value element(napi_value arr, uint32_t k) const {
    napi_value e;
    check(napi_get_element(env_, arr, k, &e), "reading an array element");
    return e;
  }

  // An array of non-negative integers (a shape, permutation or index list).
  Dims dims_of(napi_value arr, const char* name) const {
    const uint32_t n = array_length(arr, name);
    Dims out(n);
    for (uint32_t k = 0; k < n; k++) {
      napi_value e = element(arr, k);
      napi_valuetype t;
      check(napi_typeof(env_, e, &t), "reading an element's type");
      double v = -1;
      if (t == napi_number) check(napi_get_value_double(env_, e, &v), "reading a number");
      if (!(v >= 0) || v != std::floor(v)) {
        fail(std::string("argument '") + name + "' must hold non-negative integers (entry " +
             std::to_string(k) + ")");
      }
      out[k] = static_cast<int64_t>(v);
    }
    return out;
  }
  Dims dims(size_t i, const char* name) const { return dims_of(argv_[i], name); }

  napi_value arg(size_t i) const { return argv_[i]; }

  napi_value undefined() const {
    napi_value u;
    check(napi_get_undefined(env_, &u), "creating undefined");
    return u;
  }
  napi_value number(double v) const {
    napi_value r;
    check(napi_create_double(env_, v, &r), "creating a number");
    return r;
  }
  napi_value boolean(bool v) const {
    napi_value r;
    check(napi_get_boolean(env_, v, &r), "creating a boolean");
    return r;
  }
  napi_value string(const char* s) const {
    napi_value r;
    check(napi_create_string_utf8(env_, s, NAPI_AUTO_LENGTH, &r), "creating a string");
    return r;
  }
  // An empty object, for a binding that returns several named values (filled with set()).
  napi_value object() const {
    napi_value r;
    check(napi_create_object(env_, &r), "creating an object");
    return r;
  }
  void set(napi_value obj, const char* key, napi_value v) const {
    check(napi_set_named_property(env_, obj, key, v), "setting an object's field");
  }

 private:
  static constexpr size_t kMax = 20;
  napi_env env_;
  const char* kernel_;
  size_t argc_ = 0;
  napi_value argv_[kMax] = {};
};

// Runs one binding body, turning C++ exceptions into JS errors.
napi_value guard(napi_env env, napi_callback_info info, const char* kernel, size_t nargs,
                 const std::function<napi_value(Args&)>& body) {
  std::string message;
  try {
    Args a(env, info, kernel, nargs);
    return body(a);
  } catch (const KernelError& e) {
    message = e.what();
  } catch (const std::bad_alloc&) {
    message = std::string("native ") + kernel + ": out of memory";
  } catch (const std::exception& e) {
    message = std::string("native ") + kernel + ": " + e.what();
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
    napi_throw_error(env, nullptr, message.c_str());  // nothing more to do if even this fails
  }
  return nullptr;
}

int64_t product(const Dims& d) {
  int64_t p = 1;
  for (int64_t v : d) p *= v;
  return p;
}

std::string fmt(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); i++) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

Act act_of(const Args& a, size_t i) {
  const std::string s = a.str(i, "activation");
  if (s == "relu") return Act::Relu;
  if (s == "tanh") return Act::Tanh;
  if (s == "identity") return Act::Identity;
  a.fail("activation must be 'relu', 'tanh' or 'identity', got '" + s + "'");
}

UnaryOp unary_of(const Args& a, size_t i) {
  static const char* names[] = {"neg", "relu", "tanh",   "sigmoid", "exp",
                                "log", "sqrt", "square", "abs"};
  const std::string s = a.str(i, "op");
  for (int k = 0; k < 9; k++) {
    if (s == names[k]) return static_cast<UnaryOp>(k);
  }
  a.fail("unknown unary op '" + s + "'");
}

BinaryOp binary_of(const Args& a, size_t i) {
  static const char* names[] = {"add", "sub", "mul", "div", "maximum", "minimum"};
  const std::string s = a.str(i, "op");
  for (int k = 0; k < 6; k++) {
    if (s == names[k]) return static_cast<BinaryOp>(k);
  }
  a.fail("unknown binary op '" + s + "'");
}

// Both typed arrays share one element type (float32 or int32) for the layout kernels.
napi_typedarray_type elem_type(const Args& a, size_t i, const char* name) {
  bool is_ta = false;
  a.check(napi_is_typedarray(a.env(), a.arg(i), &is_ta), "checking for a typed array");
  if (!is_ta) a.fail(std::string("argument '") + name + "' must be a typed array");
  napi_typedarray_type t;
  size_t n;
  void* d;
  a.check(napi_get_typedarray_info(a.env(), a.arg(i), &t, &n, &d, nullptr, nullptr),
          "reading a typed array");
  if (t != napi_float32_array && t != napi_int32_array) {
    a.fail(std::string("argument '") + name + "' must be a Float32Array or Int32Array, got " +
           typed_name(t));
  }
  return t;
}

// ---------------------------------------------------------------- bindings

napi_value Info(napi_env env, napi_callback_info info) {
  return guard(env, info, "info", 0, [](Args& a) {
    napi_value obj = a.object();
    napi_value null_v;
    a.check(napi_get_null(a.env(), &null_v), "creating null");
    a.set(obj, "threads", a.number(num_threads()));
    a.set(obj, "simd", a.string(simd_name(simd_level())));
    a.set(obj, "simdSupported", a.string(simd_name(simd_supported())));
    a.set(obj, "blas", blas_name() ? a.string(blas_name()) : null_v);
    const BlasMode mode = blas_mode();
    a.set(obj, "blasMode", a.string(mode == BlasMode::On ? "on" : mode == BlasMode::Off ? "off" : "auto"));
    a.set(obj, "blasCore", blas_core() ? a.string(blas_core()) : null_v);
    a.set(obj, "blasRule", a.string(blas_rule()));
    return obj;
  });
}

// Whether a product of this shape goes to the system BLAS in the current mode (the rule, for tests
// and run records).
napi_value BlasChoice(napi_env env, napi_callback_info info) {
  return guard(env, info, "blasChoice", 5, [](Args& a) {
    const int64_t m = a.dim(0, "m"), n = a.dim(1, "n"), k = a.dim(2, "k");
    return a.boolean(blas_should_handle_product(a.flag(3, "transA"), a.flag(4, "transB"), m, n, k));
  });
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guard(env, info, "setNumThreads", 1, [](Args& a) {
    const int64_t n = a.dim(0, "threads");
    if (n < 1 || n > 1024) a.fail("threads must be in [1, 1024], got " + std::to_string(n));
    set_num_threads(static_cast<int>(n));
    return a.number(num_threads());
  });
}

napi_value SetSimd(napi_env env, napi_callback_info info) {
  return guard(env, info, "setSimd", 1, [](Args& a) {
    const std::string s = a.str(0, "level");
    Simd want;
    if (s == "avx512")
      want = Simd::Avx512;
    else if (s == "avx2")
      want = Simd::Avx2;
    else if (s == "generic")
      want = Simd::Generic;
    else
      a.fail("level must be 'avx512', 'avx2' or 'generic', got '" + s + "'");
    return a.string(simd_name(set_simd_level(want)));
  });
}

napi_value SetBlas(napi_env env, napi_callback_info info) {
  return guard(env, info, "setBlas", 1, [](Args& a) {
    const std::string m = a.str(0, "mode");
    if (m == "on")
      set_blas_mode(BlasMode::On);
    else if (m == "off")
      set_blas_mode(BlasMode::Off);
    else if (m == "auto")
      set_blas_mode(BlasMode::Auto);
    else
      a.fail("mode must be 'on', 'off' or 'auto', got '" + m + "'");
    return a.boolean(blas_name() != nullptr && blas_mode() != BlasMode::Off);
  });
}

napi_value ForceSerialScanAt(napi_env env, napi_callback_info info) {
  return guard(env, info, "forceSerialScanAt", 1, [](Args& a) {
    force_serial_scan_at(static_cast<int64_t>(a.num(0, "step")));
    return a.undefined();
  });
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  return guard(env, info, "matmul", 8, [](Args& a) {
    const int64_t m = a.dim(3, "m"), n = a.dim(4, "n"), k = a.dim(5, "k");
    const bool ta = a.flag(6, "transA"), tb = a.flag(7, "transB");
    float* out = a.f32(0, "out", m * n);
    const float* A = a.f32(1, "a", m * k);
    const float* B = a.f32(2, "b", k * n);
    sgemm(ta, tb, m, n, k, A, ta ? m : k, B, tb ? k : n, out, n, false);
    return a.undefined();
  });
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guard(env, info, "unary", 3, [](Args& a) {
    const UnaryOp op = unary_of(a, 0);
    int64_t n;
    const float* x = a.f32(2, "x", 0, &n);
    float* y = a.f32(1, "out", n);
    unary(op, x, y, n);
    return a.undefined();
  });
}

napi_value UnaryGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "unaryGrad", 5, [](Args& a) {
    const UnaryOp op = unary_of(a, 0);
    int64_t n;
    const float* dy = a.f32(4, "dy", 0, &n);
    float* dx = a.f32(1, "out", n);
    const float* x = a.f32(2, "x", n);
    const float* y = a.f32(3, "y", n);
    unary_grad(op, x, y, dy, dx, n);
    return a.undefined();
  });
}

// Checks that `shape` broadcasts to `out` (NumPy rules, right-aligned).
void check_broadcast(const Args& a, const Dims& shape, const Dims& out, const char* name) {
  bool ok = shape.size() <= out.size();
  for (size_t i = 0; ok && i < shape.size(); i++) {
    const int64_t d = shape[i], o = out[out.size() - shape.size() + i];
    ok = d == o || d == 1;
  }
  if (!ok)
    a.fail(std::string(name) + " shape " + fmt(shape) + " does not broadcast to " + fmt(out));
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guard(env, info, "binary", 7, [](Args& a) {
    const BinaryOp op = binary_of(a, 0);
    const Dims as = a.dims(3, "aShape"), bs = a.dims(5, "bShape"), os = a.dims(6, "outShape");
    check_broadcast(a, as, os, "a");
    check_broadcast(a, bs, os, "b");
    float* out = a.f32(1, "out", product(os));
    const float* A = a.f32(2, "a", product(as));
    const float* B = a.f32(4, "b", product(bs));
    binary(op, A, as, B, bs, os, out);
    return a.undefined();
  });
}

napi_value Affine(napi_env env, napi_callback_info info) {
  return guard(env, info, "affine", 4, [](Args& a) {
    int64_t n;
    const float* x = a.f32(1, "x", 0, &n);
    float* y = a.f32(0, "out", n);
    affine(x, y, n, static_cast<float>(a.num(2, "scale")), static_cast<float>(a.num(3, "shift")));
    return a.undefined();
  });
}

napi_value BroadcastTo(napi_env env, napi_callback_info info) {
  return guard(env, info, "broadcastTo", 4, [](Args& a) {
    const Dims s = a.dims(2, "shape"), os = a.dims(3, "outShape");
    check_broadcast(a, s, os, "input");
    const napi_typedarray_type t = elem_type(a, 1, "x");
    void* out = a.typed(0, "out", t, product(os));
    const void* x = a.typed(1, "x", t, product(s));
    broadcast_to(x, s, os, out, 4);
    return a.undefined();
  });
}

napi_value ReduceSum(napi_env env, napi_callback_info info) {
  return guard(env, info, "reduceSum", 4, [](Args& a) {
    const Dims s = a.dims(2, "shape"), axes = a.dims(3, "axes");
    std::vector<bool> red(s.size(), false);
    int64_t out_n = 1;
    for (int64_t ax : axes) {
      if (ax >= static_cast<int64_t>(s.size()))
        a.fail("axis " + std::to_string(ax) + " is out of range for shape " + fmt(s));
      red[ax] = true;
    }
    for (size_t i = 0; i < s.size(); i++) out_n *= red[i] ? 1 : s[i];
    float* out = a.f32(0, "out", out_n);
    const float* x = a.f32(1, "x", product(s));
    reduce_sum(x, s, red, out);
    return a.undefined();
  });
}

napi_value Argmax(napi_env env, napi_callback_info info) {
  return guard(env, info, "argmax", 4, [](Args& a) {
    const int64_t rows = a.dim(2, "rows"), cols = a.dim(3, "cols");
    int32_t* out = a.i32(0, "out", rows);
    const float* x = a.f32(1, "x", rows * cols);
    argmax(x, rows, cols, out);
    return a.undefined();
  });
}

napi_value ClampInPlace(napi_env env, napi_callback_info info) {
  return guard(env, info, "clampInPlace", 3, [](Args& a) {
    int64_t n;
    float* x = a.f32(0, "x", 0, &n);
    clamp_inplace(x, n, static_cast<float>(a.num(1, "lo")), static_cast<float>(a.num(2, "hi")));
    return a.undefined();
  });
}

napi_value ScaleInPlace(napi_env env, napi_callback_info info) {
  return guard(env, info, "scaleInPlace", 2, [](Args& a) {
    int64_t n;
    float* x = a.f32(0, "x", 0, &n);
    scale_inplace(x, n, static_cast<float>(a.num(1, "scale")));
    return a.undefined();
  });
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  return guard(env, info, "sumSquares", 1, [](Args& a) {
    int64_t n;
    const float* x = a.f32(0, "x", 0, &n);
    return a.number(sum_squares(x, n));
  });
}

napi_value Cast(napi_env env, napi_callback_info info) {
  return guard(env, info, "cast", 2, [](Args& a) {
    const napi_typedarray_type to = elem_type(a, 0, "out");
    const napi_typedarray_type from = elem_type(a, 1, "x");
    int64_t n;
    const void* x = a.typed(1, "x", from, 0, &n);
    void* out = a.typed(0, "out", to, n);
    if (from == napi_float32_array && to == napi_int32_array) {
      cast_f32_to_i32(static_cast<const float*>(x), static_cast<int32_t*>(out), n);
    } else if (from == napi_int32_array && to == napi_float32_array) {
      cast_i32_to_f32(static_cast<const int32_t*>(x), static_cast<float*>(out), n);
    } else {
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
    }
    return a.undefined();
  });
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  return guard(env, info, "transpose", 4, [](Args& a) {
    const Dims s = a.dims(2, "shape"), perm = a.dims(3, "perm");
    std::vector<bool> seen(s.size(), false);
    bool ok = perm.size() == s.size();
    for (size_t i = 0; ok && i < perm.size(); i++) {
      ok = perm[i] < static_cast<int64_t>(s.size()) && !seen[perm[i]];
      if (ok) seen[perm[i]] = true;
    }
    if (!ok) a.fail("perm " + fmt(perm) + " is not a permutation of the axes of " + fmt(s));
    const napi_typedarray_type t = elem_type(a, 1, "x");
    void* out = a.typed(0, "out", t, product(s));
    const void* x = a.typed(1, "x", t, product(s));
    transpose(x, s, perm, out, 4);
    return a.undefined();
  });
}

void check_window(const Args& a, const Dims& full, const Dims& begin, const Dims& size) {
  bool ok = begin.size() == full.size() && size.size() == full.size();
  for (size_t i = 0; ok && i < full.size(); i++) ok = begin[i] + size[i] <= full[i];
  if (!ok)
    a.fail("window begin " + fmt(begin) + " size " + fmt(size) + " does not fit in " + fmt(full));
}

napi_value Slice(napi_env env, napi_callback_info info) {
  return guard(env, info, "slice", 5, [](Args& a) {
    const Dims s = a.dims(2, "shape"), begin = a.dims(3, "begin"), size = a.dims(4, "size");
    check_window(a, s, begin, size);
    const napi_typedarray_type t = elem_type(a, 1, "x");
    void* out = a.typed(0, "out", t, product(size));
    const void* x = a.typed(1, "x", t, product(s));
    slice(x, s, begin, size, out, 4);
    return a.undefined();
  });
}

napi_value PadSlice(napi_env env, napi_callback_info info) {
  return guard(env, info, "padSlice", 5, [](Args& a) {
    const Dims size = a.dims(2, "size"), begin = a.dims(3, "begin"), full = a.dims(4, "fullShape");
    check_window(a, full, begin, size);
    const napi_typedarray_type t = elem_type(a, 1, "x");
    void* out = a.typed(0, "out", t, product(full));
    const void* x = a.typed(1, "x", t, product(size));
    pad_slice(x, size, begin, full, out, 4);
    return a.undefined();
  });
}

napi_value Concat(napi_env env, napi_callback_info info) {
  return guard(env, info, "concat", 4, [](Args& a) {
    const uint32_t count = a.array_length(a.arg(1), "xs");
    if (a.array_length(a.arg(2), "shapes") != count) a.fail("xs and shapes differ in length");
    const int64_t axis = a.dim(3, "axis");
    const napi_typedarray_type t = elem_type(a, 0, "out");
    std::vector<const void*> ptrs(count);
    std::vector<Dims> shapes(count);
    int64_t total = 0;
    for (uint32_t j = 0; j < count; j++) {
      shapes[j] = a.dims_of(a.element(a.arg(2), j), "shapes");
      if (axis >= static_cast<int64_t>(shapes[j].size()) || shapes[j].size() != shapes[0].size()) {
        a.fail("shape " + fmt(shapes[j]) + " does not fit axis " + std::to_string(axis));
      }
      for (size_t i = 0; i < shapes[j].size(); i++) {
        if (static_cast<int64_t>(i) != axis && shapes[j][i] != shapes[0][i]) {
          a.fail("shapes " + fmt(shapes[0]) + " and " + fmt(shapes[j]) + " differ outside axis " +
                 std::to_string(axis));
        }
      }
      napi_value el = a.element(a.arg(1), j);
      bool is_ta = false;
      a.check(napi_is_typedarray(a.env(), el, &is_ta), "checking for a typed array");
      if (!is_ta) a.fail("xs[" + std::to_string(j) + "] must be a typed array");
      napi_typedarray_type tj;
      size_t n;
      void* d;
      a.check(napi_get_typedarray_info(a.env(), el, &tj, &n, &d, nullptr, nullptr),
              "reading a typed array");
      if (tj != t) a.fail("xs[" + std::to_string(j) + "] has another element type than out");
      if (static_cast<int64_t>(n) < product(shapes[j])) {
        a.fail("xs[" + std::to_string(j) + "] has " + std::to_string(n) + " elements, its shape " +
               fmt(shapes[j]) + " needs " + std::to_string(product(shapes[j])));
      }
      ptrs[j] = d;
      total += product(shapes[j]);
    }
    void* out = a.typed(0, "out", t, total);
    if (count > 0) concat(ptrs, shapes, axis, out, 4);
    return a.undefined();
  });
}

napi_value GatherRows(napi_env env, napi_callback_info info) {
  return guard(env, info, "gatherRows", 4, [](Args& a) {
    const int64_t cols = a.dim(2, "cols");
    int64_t n, tlen;
    const int32_t* idx = a.i32(3, "idx", 0, &n);
    float* out = a.f32(0, "out", n * cols);
    const float* table = a.f32(1, "table", 0, &tlen);
    gather_rows(table, cols > 0 ? tlen / cols : 0, cols, idx, n, out);
    return a.undefined();
  });
}

napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  return guard(env, info, "scatterAddRows", 5, [](Args& a) {
    const int64_t cols = a.dim(2, "cols"), rows = a.dim(4, "rows");
    int64_t n;
    const int32_t* idx = a.i32(3, "idx", 0, &n);
    float* out = a.f32(0, "out", rows * cols);
    const float* dy = a.f32(1, "dy", n * cols);
    scatter_add_rows(dy, cols, idx, n, rows, out);
    return a.undefined();
  });
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  return guard(env, info, "softmax", 4, [](Args& a) {
    const int64_t rows = a.dim(2, "rows"), cols = a.dim(3, "cols");
    float* out = a.f32(0, "out", rows * cols);
    const float* x = a.f32(1, "x", rows * cols);
    softmax(x, rows, cols, out);
    return a.undefined();
  });
}

napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return guard(env, info, "softmaxCrossEntropy", 7, [](Args& a) {
    const int64_t rows = a.dim(3, "rows"), cols = a.dim(4, "cols");
    float* loss = a.f32(0, "loss", rows);
    float* probs = a.f32(1, "probs", rows * cols);
    const float* logits = a.f32(2, "logits", rows * cols);
    const int32_t* targets = a.i32(5, "targets", rows);
    const int32_t ignore = static_cast<int32_t>(a.num(6, "ignoreIndex"));
    softmax_cross_entropy(logits, rows, cols, targets, ignore, loss, probs);
    return a.undefined();
  });
}

napi_value SoftmaxCrossEntropyGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "softmaxCrossEntropyGrad", 7, [](Args& a) {
    const int64_t rows = a.dim(4, "rows"), cols = a.dim(5, "cols");
    float* dx = a.f32(0, "out", rows * cols);
    const float* probs = a.f32(1, "probs", rows * cols);
    const int32_t* targets = a.i32(2, "targets", rows);
    const float* dloss = a.f32(3, "dloss", rows);
    const int32_t ignore = static_cast<int32_t>(a.num(6, "ignoreIndex"));
    softmax_cross_entropy_grad(probs, targets, dloss, rows, cols, ignore, dx);
    return a.undefined();
  });
}

napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  return guard(env, info, "batchNormTrain", 11, [](Args& a) {
    const int64_t G = a.dim(5, "groups"), R = a.dim(6, "rows"), C = a.dim(7, "channels");
    float* y = a.f32(0, "y", G * R * C);
    float* mean = a.f32(1, "mean", G * C);
    float* var = a.f32(2, "variance", G * C);
    float* inv = a.f32(3, "invStd", G * C);
    const float* x = a.f32(4, "x", G * R * C);
    const float* gamma = a.f32(8, "gamma", C);
    const float* beta = a.f32(9, "beta", C);
    batch_norm_train(x, G, R, C, gamma, beta, static_cast<float>(a.num(10, "eps")), y, mean, var,
                     inv);
    return a.undefined();
  });
}

napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "batchNormGrad", 11, [](Args& a) {
    const int64_t G = a.dim(5, "groups"), R = a.dim(6, "rows"), C = a.dim(7, "channels");
    float* dx = a.f32(0, "dx", G * R * C);
    float* dgamma = a.f32(1, "dgamma", C);
    float* dbeta = a.f32(2, "dbeta", C);
    const float* dy = a.f32(3, "dy", G * R * C);
    const float* x = a.f32(4, "x", G * R * C);
    const float* mean = a.f32(8, "mean", G * C);
    const float* inv = a.f32(9, "invStd", G * C);
    const float* gamma = a.f32(10, "gamma", C);
    batch_norm_grad(dy, x, G, R, C, mean, inv, gamma, dx, dgamma, dbeta);
    return a.undefined();
  });
}

// lengths[b] must lie in [0, T] (the op checks this; a native kernel must not trust it).
void check_lengths(const Args& a, const int32_t* lengths, int64_t B, int64_t T) {
  if (!lengths) return;
  for (int64_t b = 0; b < B; b++) {
    if (lengths[b] < 0 || lengths[b] > T) {
      a.fail("lengths[" + std::to_string(b) + "] = " + std::to_string(lengths[b]) +
             " is outside [0, " + std::to_string(T) + "]");
    }
  }
}

// batchNormTrainMasked(y, mean, variance, invStd, x, T, R, C, lengths, perStep, gamma, beta, eps)
napi_value BatchNormTrainMasked(napi_env env, napi_callback_info info) {
  return guard(env, info, "batchNormTrainMasked", 13, [](Args& a) {
    const int64_t T = a.dim(5, "T"), R = a.dim(6, "R"), C = a.dim(7, "channels");
    const bool per_step = a.flag(9, "perStep");
    const int64_t G = per_step ? T : 1;
    float* y = a.f32(0, "y", T * R * C);
    float* mean = a.f32(1, "mean", G * C);
    float* var = a.f32(2, "variance", G * C);
    float* inv = a.f32(3, "invStd", G * C);
    const float* x = a.f32(4, "x", T * R * C);
    const int32_t* lengths = a.i32(8, "lengths", R);
    check_lengths(a, lengths, R, T);
    const float* gamma = a.f32(10, "gamma", C);
    const float* beta = a.f32(11, "beta", C);
    batch_norm_train_masked(x, T, R, C, lengths, per_step, gamma, beta,
                            static_cast<float>(a.num(12, "eps")), y, mean, var, inv);
    return a.undefined();
  });
}

// batchNormGradMasked(dx, dgamma, dbeta, dy, x, T, R, C, lengths, perStep, mean, invStd, gamma)
napi_value BatchNormGradMasked(napi_env env, napi_callback_info info) {
  return guard(env, info, "batchNormGradMasked", 13, [](Args& a) {
    const int64_t T = a.dim(5, "T"), R = a.dim(6, "R"), C = a.dim(7, "channels");
    const bool per_step = a.flag(9, "perStep");
    const int64_t G = per_step ? T : 1;
    float* dx = a.f32(0, "dx", T * R * C);
    float* dgamma = a.f32(1, "dgamma", C);
    float* dbeta = a.f32(2, "dbeta", C);
    const float* dy = a.f32(3, "dy", T * R * C);
    const float* x = a.f32(4, "x", T * R * C);
    const int32_t* lengths = a.i32(8, "lengths", R);
    check_lengths(a, lengths, R, T);
    const float* mean = a.f32(10, "mean", G * C);
    const float* inv = a.f32(11, "invStd", G * C);
    const float* gamma = a.f32(12, "gamma", C);
    batch_norm_grad_masked(dy, x, T, R, C, lengths, per_step, mean, inv, gamma, dx, dgamma, dbeta);
    return a.undefined();
  });
}

napi_value IndrnnScan(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScan", 9, [](Args& a) {
    const int64_t T = a.dim(5, "T"), B = a.dim(6, "B"), N = a.dim(7, "N");
    const Act act = act_of(a, 8);
    float* h = a.f32(0, "h", T * B * N);
    const float* z = a.f32(1, "z", T * B * N);
    const float* u = a.f32(2, "u", N);
    const float* h0 = a.f32(3, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(4, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan(z, u, nullptr, h0, lengths, T, B, N, act, h);
    return a.undefined();
  });
}

// (h, z, u, bias, h0, lengths, T, B, N, act): the scan with the projection bias folded in
napi_value IndrnnScanBias(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScanBias", 10, [](Args& a) {
    const int64_t T = a.dim(6, "T"), B = a.dim(7, "B"), N = a.dim(8, "N");
    const Act act = act_of(a, 9);
    float* h = a.f32(0, "h", T * B * N);
    const float* z = a.f32(1, "z", T * B * N);
    const float* u = a.f32(2, "u", N);
    const float* bias = a.f32(3, "bias", N);
    const float* h0 = a.f32(4, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(5, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan(z, u, bias, h0, lengths, T, B, N, act, h);
    return a.undefined();
  });
}

// (dz, du, db, dh0, dh, h, u, h0, lengths, T, B, N, act)
napi_value IndrnnScanBiasGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScanBiasGrad", 13, [](Args& a) {
    const int64_t T = a.dim(9, "T"), B = a.dim(10, "B"), N = a.dim(11, "N");
    const Act act = act_of(a, 12);
    float* dz = a.f32(0, "dz", T * B * N);
    float* du = a.f32(1, "du", N);
    float* db = a.f32(2, "db", N);
    float* dh0 = a.f32(3, "dh0", B * N);
    const float* dh = a.f32(4, "dh", T * B * N);
    const float* h = a.f32(5, "h", T * B * N);
    const float* u = a.f32(6, "u", N);
    const float* h0 = a.f32(7, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(8, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan_grad(dh, h, u, h0, lengths, T, B, N, act, dz, du, db, dh0);
    return a.undefined();
  });
}

napi_value IndrnnScanGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScanGrad", 12, [](Args& a) {
    const int64_t T = a.dim(8, "T"), B = a.dim(9, "B"), N = a.dim(10, "N");
    const Act act = act_of(a, 11);
    float* dz = a.f32(0, "dz", T * B * N);
    float* du = a.f32(1, "du", N);
    float* dh0 = a.f32(2, "dh0", B * N);
    const float* dh = a.f32(3, "dh", T * B * N);
    const float* h = a.f32(4, "h", T * B * N);
    const float* u = a.f32(5, "u", N);
    const float* h0 = a.f32(6, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(7, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan_grad(dh, h, u, h0, lengths, T, B, N, act, dz, du, nullptr, dh0);
    return a.undefined();
  });
}

// (h, x, w, bias, u, h0, lengths, T, B, N, F, act): the scan with a narrow projection folded in
napi_value IndrnnScanProj(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScanProj", 12, [](Args& a) {
    const int64_t T = a.dim(7, "T"), B = a.dim(8, "B"), N = a.dim(9, "N"), F = a.dim(10, "F");
    const Act act = act_of(a, 11);
    float* h = a.f32(0, "h", T * B * N);
    const float* x = a.f32(1, "x", T * B * F);
    const float* w = a.f32(2, "w", N * F);
    const float* bias = a.f32(3, "bias", N);
    const float* u = a.f32(4, "u", N);
    const float* h0 = a.f32(5, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(6, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan_proj(x, w, bias, u, h0, lengths, T, B, N, F, act, h);
    return a.undefined();
  });
}

// (dw, db, du, dx | null, dh0, dh, h, x, w, u, h0, lengths, T, B, N, F, act)
napi_value IndrnnScanProjGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "indrnnScanProjGrad", 17, [](Args& a) {
    const int64_t T = a.dim(12, "T"), B = a.dim(13, "B"), N = a.dim(14, "N"), F = a.dim(15, "F");
    const Act act = act_of(a, 16);
    float* dw = a.f32(0, "dw", N * F);
    float* db = a.f32(1, "db", N);
    float* du = a.f32(2, "du", N);
    float* dx = a.is_nullish(3) ? nullptr : a.f32(3, "dx", T * B * F);
    float* dh0 = a.f32(4, "dh0", B * N);
    const float* dh = a.f32(5, "dh", T * B * N);
    const float* h = a.f32(6, "h", T * B * N);
    const float* x = a.f32(7, "x", T * B * F);
    const float* w = a.f32(8, "w", N * F);
    const float* u = a.f32(9, "u", N);
    const float* h0 = a.f32(10, "h0", B * N);
    const int32_t* lengths = a.i32_or_null(11, "lengths", B);
    check_lengths(a, lengths, B, T);
    indrnn_scan_proj_grad(dh, h, x, w, u, h0, lengths, T, B, N, F, act, dw, db, du, dx, dh0);
    return a.undefined();
  });
}

napi_value RnnScan(napi_env env, napi_callback_info info) {
  return guard(env, info, "rnnScan", 9, [](Args& a) {
    const int64_t T = a.dim(5, "T"), B = a.dim(6, "B"), H = a.dim(7, "H");
    const Act act = act_of(a, 8);
    float* h = a.f32(0, "h", T * B * H);
    const float* gx = a.f32(1, "gx", T * B * H);
    const float* whh = a.f32(2, "whh", H * H);
    const float* h0 = a.f32(3, "h0", B * H);
    const int32_t* lengths = a.i32_or_null(4, "lengths", B);
    check_lengths(a, lengths, B, T);
    rnn_scan(gx, whh, h0, lengths, T, B, H, act, h);
    return a.undefined();
  });
}

napi_value RnnScanGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "rnnScanGrad", 12, [](Args& a) {
    const int64_t T = a.dim(8, "T"), B = a.dim(9, "B"), H = a.dim(10, "H");
    const Act act = act_of(a, 11);
    float* dgx = a.f32(0, "dgx", T * B * H);
    float* dwhh = a.f32(1, "dwhh", H * H);
    float* dh0 = a.f32(2, "dh0", B * H);
    const float* dh = a.f32(3, "dh", T * B * H);
    const float* h = a.f32(4, "h", T * B * H);
    const float* whh = a.f32(5, "whh", H * H);
    const float* h0 = a.f32(6, "h0", B * H);
    const int32_t* lengths = a.i32_or_null(7, "lengths", B);
    check_lengths(a, lengths, B, T);
    rnn_scan_grad(dh, h, whh, h0, lengths, T, B, H, act, dgx, dwhh, dh0);
    return a.undefined();
  });
}

napi_value LstmScan(napi_env env, napi_callback_info info) {
  return guard(env, info, "lstmScan", 11, [](Args& a) {
    const int64_t T = a.dim(8, "T"), B = a.dim(9, "B"), H = a.dim(10, "H");
    float* h = a.f32(0, "h", T * B * H);
    float* c = a.f32(1, "c", T * B * H);
    float* gates = a.f32(2, "gates", T * B * 4 * H);
    const float* gx = a.f32(3, "gx", T * B * 4 * H);
    const float* whh = a.f32(4, "whh", 4 * H * H);
    const float* h0 = a.f32(5, "h0", B * H);
    const float* c0 = a.f32(6, "c0", B * H);
    const int32_t* lengths = a.i32_or_null(7, "lengths", B);
    check_lengths(a, lengths, B, T);
    lstm_scan(gx, whh, h0, c0, lengths, T, B, H, h, c, gates);
    return a.undefined();
  });
}

napi_value LstmScanGrad(napi_env env, napi_callback_info info) {
  return guard(env, info, "lstmScanGrad", 16, [](Args& a) {
    const int64_t T = a.dim(13, "T"), B = a.dim(14, "B"), H = a.dim(15, "H");
    float* dgx = a.f32(0, "dgx", T * B * 4 * H);
    float* dwhh = a.f32(1, "dwhh", 4 * H * H);
    float* dh0 = a.f32(2, "dh0", B * H);
    float* dc0 = a.f32(3, "dc0", B * H);
    const float* dh = a.f32(4, "dh", T * B * H);
    const float* dc = a.f32(5, "dc", T * B * H);
    const float* gates = a.f32(6, "gates", T * B * 4 * H);
    const float* h = a.f32(7, "h", T * B * H);
    const float* c = a.f32(8, "c", T * B * H);
    const float* whh = a.f32(9, "whh", 4 * H * H);
    const float* h0 = a.f32(10, "h0", B * H);
    const float* c0 = a.f32(11, "c0", B * H);
    const int32_t* lengths = a.i32_or_null(12, "lengths", B);
    check_lengths(a, lengths, B, T);
    lstm_scan_grad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H, dgx, dwhh, dh0, dc0);
    return a.undefined();
  });
}

napi_value AdamStep(napi_env env, napi_callback_info info) {
  return guard(env, info, "adamStep", 10, [](Args& a) {
    int64_t n;
    float* p = a.f32(0, "param", 0, &n);
    const float* g = a.f32(1, "grad", n);
    float* m = a.f32(2, "m", n);
    float* v = a.f32(3, "v", n);
    AdamHyper hp{static_cast<float>(a.num(4, "lr")),          a.num(5, "beta1"),
                 a.num(6, "beta2"),                           static_cast<float>(a.num(7, "eps")),
                 static_cast<float>(a.num(8, "weightDecay")), a.num(9, "step")};
    adam_step(p, g, m, v, n, hp);
    return a.undefined();
  });
}

napi_value SgdStep(napi_env env, napi_callback_info info) {
  return guard(env, info, "sgdStep", 9, [](Args& a) {
    int64_t n;
    float* p = a.f32(0, "param", 0, &n);
    const float* g = a.f32(1, "grad", n);
    float* buf = a.f32(2, "momentumBuf", 0);
    SgdHyper hp{static_cast<float>(a.num(3, "lr")),
                static_cast<float>(a.num(4, "momentum")),
                a.num(5, "dampening"),
                static_cast<float>(a.num(7, "weightDecay")),
                a.flag(6, "nesterov"),
                a.flag(8, "hasMomentum")};
    if (hp.momentum != 0.0f) a.f32(2, "momentumBuf", n);  // only read when momentum is used
    sgd_step(p, g, buf, n, hp);
    return a.undefined();
  });
}

// ---- MPI (mpi_loader.h): data-parallel training's collectives, on the JS thread ----

// A typed array of any element type: its data and byte length (for broadcasts of raw bytes).
void* any_typed(const Args& a, size_t i, const char* name, size_t* bytes, napi_typedarray_type* type) {
  bool is_ta = false;
  a.check(napi_is_typedarray(a.env(), a.arg(i), &is_ta), "checking for a typed array");
  if (!is_ta) a.fail(std::string("argument '") + name + "' must be a typed array");
  size_t n = 0;
  void* data = nullptr;
  napi_value ab;
  size_t offset = 0;
  a.check(napi_get_typedarray_info(a.env(), a.arg(i), type, &n, &data, &ab, &offset), "reading a typed array");
  size_t es = 1;
  switch (*type) {
    case napi_int16_array:
    case napi_uint16_array:
      es = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      es = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      es = 8;
      break;
    default:
      break;
  }
  *bytes = n * es;
  return data;
}

// A Float32Array or Float64Array: its data, element count and MPI type.
void* float_buffer(const Args& a, size_t i, const char* name, int64_t* count, MpiType* type) {
  size_t bytes = 0;
  napi_typedarray_type t;
  void* data = any_typed(a, i, name, &bytes, &t);
  if (t == napi_float32_array) {
    *type = MpiType::Float32;
    *count = static_cast<int64_t>(bytes / 4);
  } else if (t == napi_float64_array) {
    *type = MpiType::Float64;
    *count = static_cast<int64_t>(bytes / 8);
  } else {
    a.fail(std::string("argument '") + name + "' must be a Float32Array or Float64Array, got " + typed_name(t));
  }
  return data;
}

napi_value MpiLibraryInfo(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiLibrary", 0, [](Args& a) {
    const MpiLibrary& lib = mpi_library();
    napi_value obj = a.object();
    a.set(obj, "loaded", a.boolean(lib.loaded));
    a.set(obj, "file", a.string(lib.file.c_str()));
    a.set(obj, "abi", a.string(lib.abi.c_str()));
    a.set(obj, "version", a.string(lib.version.c_str()));
    a.set(obj, "error", a.string(lib.error.c_str()));
    a.set(obj, "cudaAware", a.boolean(mpi_cuda_aware()));
    return obj;
  });
}

napi_value MpiInit(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiInit", 0, [](Args& a) {
    mpi_init();
    napi_value obj = a.object();
    a.set(obj, "rank", a.number(mpi_rank()));
    a.set(obj, "size", a.number(mpi_size()));
    return obj;
  });
}

napi_value MpiFinalize(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiFinalize", 0, [](Args& a) {
    mpi_finalize();
    return a.undefined();
  });
}

napi_value MpiAllreduce(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiAllreduce", 2, [](Args& a) {
    int64_t count = 0;
    MpiType type;
    void* data = float_buffer(a, 0, "buffer", &count, &type);
    const std::string op = a.str(1, "op");
    if (op != "sum" && op != "max") a.fail("op must be 'sum' or 'max', got '" + op + "'");
    mpi_allreduce(data, count, type, op == "sum" ? MpiOp::Sum : MpiOp::Max);
    return a.undefined();
  });
}

napi_value MpiBroadcast(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiBroadcast", 2, [](Args& a) {
    size_t bytes = 0;
    napi_typedarray_type t;
    void* data = any_typed(a, 0, "buffer", &bytes, &t);
    const int64_t root = a.dim(1, "root");
    mpi_broadcast(data, static_cast<int64_t>(bytes), MpiType::Byte, static_cast<int>(root));
    return a.undefined();
  });
}

napi_value MpiBarrier(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiBarrier", 0, [](Args& a) {
    mpi_barrier();
    return a.undefined();
  });
}

napi_value MpiAllgather(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiAllgather", 2, [](Args& a) {
    int64_t n = 0;
    const double* send = static_cast<const double*>(a.typed(1, "values", napi_float64_array, 0, &n));
    int64_t total = 0;
    double* recv = static_cast<double*>(a.typed(0, "out", napi_float64_array, 0, &total));
    if (total != n * mpi_size()) {
      a.fail("out must hold size * values.length = " + std::to_string(n * mpi_size()) + " values, got " +
             std::to_string(total));
    }
    mpi_allgather(send, recv, n, MpiType::Float64);
    return a.undefined();
  });
}

napi_value MpiAbort(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiAbort", 1, [](Args& a) -> napi_value {
    mpi_abort(static_cast<int>(a.dim(0, "code")));
  });
}

napi_value MpiSetTimeout(napi_env env, napi_callback_info info) {
  return guard(env, info, "mpiSetTimeout", 1, [](Args& a) {
    mpi_set_timeout(a.num(0, "seconds"));
    return a.number(mpi_timeout());
  });
}

napi_value Init(napi_env env, napi_value exports) {
  struct Entry {
    const char* name;
    napi_callback fn;
  };
  static const Entry entries[] = {
      {"info", Info},
      {"setNumThreads", SetNumThreads},
      {"setSimd", SetSimd},
      {"setBlas", SetBlas},
      {"blasChoice", BlasChoice},
      {"forceSerialScanAt", ForceSerialScanAt},
      {"matmul", Gemm},
      {"unary", Unary},
      {"unaryGrad", UnaryGrad},
      {"binary", Binary},
      {"affine", Affine},
      {"broadcastTo", BroadcastTo},
      {"reduceSum", ReduceSum},
      {"argmax", Argmax},
      {"clampInPlace", ClampInPlace},
      {"scaleInPlace", ScaleInPlace},
      {"sumSquares", SumSquares},
      {"cast", Cast},
      {"transpose", Transpose},
      {"slice", Slice},
      {"padSlice", PadSlice},
      {"concat", Concat},
      {"gatherRows", GatherRows},
      {"scatterAddRows", ScatterAddRows},
      {"softmax", Softmax},
      {"softmaxCrossEntropy", SoftmaxCrossEntropy},
      {"softmaxCrossEntropyGrad", SoftmaxCrossEntropyGrad},
      {"batchNormTrain", BatchNormTrain},
      {"batchNormGrad", BatchNormGrad},
      {"batchNormTrainMasked", BatchNormTrainMasked},
      {"batchNormGradMasked", BatchNormGradMasked},
      {"indrnnScan", IndrnnScan},
      {"indrnnScanGrad", IndrnnScanGrad},
      {"indrnnScanBias", IndrnnScanBias},
      {"indrnnScanBiasGrad", IndrnnScanBiasGrad},
      {"indrnnScanProj", IndrnnScanProj},
      {"indrnnScanProjGrad", IndrnnScanProjGrad},
      {"rnnScan", RnnScan},
      {"rnnScanGrad", RnnScanGrad},
      {"lstmScan", LstmScan},
      {"lstmScanGrad", LstmScanGrad},
      {"adamStep", AdamStep},
      {"sgdStep", SgdStep},
      {"mpiLibrary", MpiLibraryInfo},
      {"mpiInit", MpiInit},
      {"mpiFinalize", MpiFinalize},
      {"mpiAllreduce", MpiAllreduce},
      {"mpiBroadcast", MpiBroadcast},
      {"mpiBarrier", MpiBarrier},
      {"mpiAllgather", MpiAllgather},
      {"mpiAbort", MpiAbort},
      {"mpiSetTimeout", MpiSetTimeout},
  };
  for (const Entry& e : entries) {
    napi_value fn;
    napi_status st = napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn);
    if (st == napi_ok) st = napi_set_named_property(env, exports, e.name, fn);
    if (st != napi_ok) {
      const std::string msg = std::string("indrnn native: could not export '") + e.name + "'";
      napi_throw_error(env, nullptr, msg.c_str());
      return nullptr;
    }
  }
  return exports;
}

}  // namespace
}  // namespace indrnn

NAPI_MODULE(NODE_GYP_MODULE_NAME, indrnn::Init)
