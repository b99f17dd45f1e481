// Layout kernels: broadcastTo, transpose, slice and its inverse, concat, row gather/scatter.
// They move 4-byte elements (float32 or int32 alike). Each first merges axes that stay adjacent,
// so most calls reduce to contiguous row copies; transpose moves 32 × 32 tiles so both the reads
// and the writes stay within a few cache lines.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

using Elem = uint32_t;

void check_esize(int esize, const char* kernel) {
  if (esize != 4) throw KernelError(std::string(kernel) + ": only 4-byte elements are supported");
}

int64_t product(const Dims& d) {
  int64_t p = 1;
  for (int64_t v : d) p *= v;
  return p;
}

Dims strides_of(const Dims& shape) {
  Dims s(shape.size());
  int64_t st = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = st;
    st *= shape[i];
  }
  return s;
}

// Copies rows of `n` elements: row r of the odometer over `shape` (all but the last axis) reads
// src + Σ idx·src_strides with element stride src_inner, and writes dst + Σ idx·dst_strides
// with element stride 1. Rows are split over the pool.
void copy_rows(const Elem* src, const Dims& shape, const Dims& src_strides, Elem* dst,
               const Dims& dst_strides) {
  const size_t rank = shape.size();
  const int64_t n = shape[rank - 1];
  const int64_t s_in = src_strides[rank - 1];
  const int64_t rows = product(shape) / std::max<int64_t>(n, 1);
  if (n == 0 || rows == 0) return;
  parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / n), [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> idx(rank, 0);
    int64_t rem = r0, os = 0, od = 0;
    for (size_t ax = rank - 1; ax-- > 0;) {
      idx[ax] = rem % shape[ax];
      rem /= shape[ax];
      os += idx[ax] * src_strides[ax];
      od += idx[ax] * dst_strides[ax];
    }
    for (int64_t r = r0; r < r1; r++) {
      const Elem* s = src + os;
      Elem* d = dst + od;
      if (s_in == 1) {
        std::memcpy(d, s, sizeof(Elem) * n);
      } else if (s_in == 0) {
        std::fill(d, d + n, s[0]);
      } else {
        for (int64_t i = 0; i < n; i++) d[i] = s[i * s_in];
      }
      for (size_t ax = rank - 1; ax-- > 0;) {
        os += src_strides[ax];
        od += dst_strides[ax];
        if (++idx[ax] < shape[ax]) break;
        os -= src_strides[ax] * shape[ax];
        od -= dst_strides[ax] * shape[ax];
        idx[ax] = 0;
      }
    }
  });
}

// Merges axes i-1 and i wherever both stride lists stay affine across them (and drops size-1
// axes), so copies run over as few, as long rows as possible.
void merge_axes(Dims& shape, Dims& sa, Dims& sb) {
  Dims s2, a2, b2;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 1) continue;
    if (!s2.empty() && a2.back() == sa[i] * shape[i] && b2.back() == sb[i] * shape[i]) {
      s2.back() *= shape[i];
      a2.back() = sa[i];
      b2.back() = sb[i];
    } else {
      s2.push_back(shape[i]);
      a2.push_back(sa[i]);
      b2.push_back(sb[i]);
    }
  }
  if (s2.empty()) {
    s2.push_back(1);
    a2.push_back(1);
    b2.push_back(1);
  }
  shape.swap(s2);
  sa.swap(a2);
  sb.swap(b2);
}

constexpr int64_t kTile = 32;

// out [P, Q] (row stride ldo) = x [Q, P] (row stride ldx) transposed, in tiles.
void transpose_2d(const Elem* x, int64_t ldx, Elem* out, int64_t ldo, int64_t P, int64_t Q) {
  for (int64_t p0 = 0; p0 < P; p0 += kTile) {
    const int64_t p1 = std::min(P, p0 + kTile);
    for (int64_t q0 = 0; q0 < Q; q0 += kTile) {
      const int64_t q1 = std::min(Q, q0 + kTile);
      for (int64_t p = p0; p < p1; p++) {
        for (int64_t q = q0; q < q1; q++) out[p * ldo + q] = x[q * ldx + p];
      }
    }
  }
}

}  // namespace

void broadcast_to(const void* xv, const Dims& shape, const Dims& out_shape, void* outv, int esize) {
  check_esize(esize, "broadcastTo");
  const int64_t n = product(out_shape);
  if (n == 0) return;
  Dims full = out_shape;
  Dims src(out_shape.size(), 0);
  const Dims st = strides_of(shape);
  const size_t off = out_shape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); i++) src[off + i] = shape[i] == 1 ? 0 : st[i];
  Dims dst = strides_of(out_shape);
  merge_axes(full, src, dst);
  copy_rows(static_cast<const Elem*>(xv), full, src, static_cast<Elem*>(outv), dst);
}

void transpose(const void* xv, const Dims& shape, const Dims& perm, void* outv, int esize) {
  check_esize(esize, "transpose");
  const Elem* x = static_cast<const Elem*>(xv);
  Elem* out = static_cast<Elem*>(outv);
  const int64_t n = product(shape);
  if (n == 0) return;
  const Dims in_st = strides_of(shape);
  Dims oshape(perm.size()), src(perm.size());
  for (size_t i = 0; i < perm.size(); i++) {
    oshape[i] = shape[perm[i]];
    src[i] = in_st[perm[i]];
  }
  Dims dst = strides_of(oshape);
  merge_axes(oshape, src, dst);
  const size_t rank = oshape.size();
  if (src[rank - 1] == 1 || rank == 1) {  // rows stay contiguous: plain row copies
    copy_rows(x, oshape, src, out, dst);
    return;
  }
  // The output's last axis q reads with a stride; the source's unit-stride axis p (it exists
  // once merged, unless p was a size-1 axis) is some other output axis. Tile-transpose the
  // (p, q) planes, one per index of the remaining axes.
  size_t p_ax = rank;
  for (size_t i = 0; i < rank; i++) {
    if (src[i] == 1) p_ax = i;
  }
  if (p_ax == rank) {
    copy_rows(x, oshape, src, out, dst);
    return;
  }
  const size_t q_ax = rank - 1;
  Dims rest_shape, rest_src, rest_dst;
  for (size_t i = 0; i < rank; i++) {
    if (i == p_ax || i == q_ax) continue;
    rest_shape.push_back(oshape[i]);
    rest_src.push_back(src[i]);
    rest_dst.push_back(dst[i]);
  }
  const int64_t planes = product(rest_shape);
  const int64_t P = oshape[p_ax], Q = oshape[q_ax];
  const int64_t ldx = src[q_ax], ldo = dst[p_ax];
  parallel_for(
      planes, std::max<int64_t>(1, kElementwiseGrain / (P * Q)), [&](int64_t a, int64_t b) {
        for (int64_t pl = a; pl < b; pl++) {
          int64_t rem = pl, os = 0, od = 0;
          for (size_t ax = rest_shape.size(); ax-- > 0;) {
            const int64_t i = rem % rest_shape[ax];
            rem /= rest_shape[ax];
            os += i * rest_src[ax];
            od += i * rest_dst[ax];
          }
          if (planes == 1 && P * Q >= kElementwiseGrain * 2) {
            // one big plane: split its P rows over the pool
            parallel_for(P, std::max<int64_t>(kTile, kElementwiseGrain / Q),
                         [&](int64_t p0, int64_t p1) {
                           transpose_2d(x + os + p0, ldx, out + od + p0 * ldo, ldo, p1 - p0, Q);
                         });
          } else {
            transpose_2d(x + os, ldx, out + od, ldo, P, Q);
          }
        }
      });
}

void slice(const void* xv, const Dims& shape, const Dims& begin, const Dims& size, void* outv,
           int esize) {
  check_esize(esize, "slice");
  if (product(size) == 0) return;
  Dims st = strides_of(shape);
  int64_t base = 0;
  for (size_t i = 0; i < shape.size(); i++) base += begin[i] * st[i];
  Dims sz = size;
  Dims dst = strides_of(size);
  merge_axes(sz, st, dst);
  copy_rows(static_cast<const Elem*>(xv) + base, sz, st, static_cast<Elem*>(outv), dst);
}

void pad_slice(const void* xv, const Dims& size, const Dims& begin, const Dims& full, void* outv,
               int esize) {
  check_esize(esize, "padSlice");
  if (product(size) == 0) return;
  // the inverse copy: read x densely, write at the strides of the full shape
  Dims st = strides_of(full);
  int64_t base = 0;
  for (size_t i = 0; i < full.size(); i++) base += begin[i] * st[i];
  Dims sz = size;
  Dims src = strides_of(size);
  merge_axes(sz, src, st);
  copy_rows(static_cast<const Elem*>(xv), sz, src, static_cast<Elem*>(outv) + base, st);
}

void concat(const std::vector<const void*>& xs, const std::vector<Dims>& shapes, int64_t axis,
            void* outv, int esize) {
  check_esize(esize, "concat");
  Elem* out = static_cast<Elem*>(outv);
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; i++) outer *= shapes[0][i];
  std::vector<int64_t> inner(xs.size());
  int64_t row_out = 0;
  for (size_t j = 0; j < xs.size(); j++) {
    int64_t w = 1;
    for (size_t i = axis; i < shapes[j].size(); i++) w *= shapes[j][i];
    inner[j] = w;
    row_out += w;
  }
  if (outer == 0 || row_out == 0) return;
  parallel_for(
      outer, std::max<int64_t>(1, kElementwiseGrain / row_out), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          int64_t col = 0;
          for (size_t j = 0; j < xs.size(); j++) {
            std::memcpy(out + r * row_out + col, static_cast<const Elem*>(xs[j]) + r * inner[j],
                        sizeof(Elem) * inner[j]);
            col += inner[j];
          }
        }
      });
}

void gather_rows(const float* table, int64_t table_rows, int64_t cols, const int32_t* idx,
                 int64_t n, float* out) {
  for (int64_t i = 0; i < n; i++) {  // checked up front: no throwing inside the parallel region
    if (idx[i] >= table_rows) {
      throw KernelError("gatherRows: index " + std::to_string(idx[i]) + " at position " +
                        std::to_string(i) + " is past the table's " + std::to_string(table_rows) +
                        " rows");
    }
  }
  parallel_for(n, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(cols, 1)),
               [&](int64_t a, int64_t b) {
                 for (int64_t i = a; i < b; i++) {
                   if (idx[i] >= 0)
                     std::memcpy(out + i * cols, table + idx[i] * cols, sizeof(float) * cols);
                 }
               });
}

void scatter_add_rows(const float* dy, int64_t cols, const int32_t* idx, int64_t n, int64_t rows,
                      float* out) {
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] >= rows) {
      throw KernelError("scatterAddRows: index " + std::to_string(idx[i]) + " at position " +
                        std::to_string(i) + " is past the " + std::to_string(rows) + " rows");
    }
  }
  // Threads split the columns, not the indices: repeated indices never race, and every element
  // is summed in index order, exactly as the reference does.
  const int nt = threads_for(n * cols, kElementwiseGrain);
  run_parallel(cols >= 32 ? nt : 1, [&](int tid, int parts) {
    int64_t c0, c1;
    split_range(cols, parts, tid, 16, &c0, &c1);
    for (int64_t i = 0; i < n; i++) {
      if (idx[i] < 0) continue;
      float* o = out + idx[i] * cols;
      const float* d = dy + i * cols;
      for (int64_t c = c0; c < c1; c++) o[c] += d[c];
    }
  });
}

}  // namespace indrnn
