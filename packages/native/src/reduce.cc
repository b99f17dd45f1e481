// Reductions: reduceSum (float64 accumulation, like the reference) and argmax.
// reduceSum first merges adjacent axes of the same kind; the common cases — summing leading axes
// (bias gradients: [T·B, H] → [H]), trailing axes (row sums) or one middle block — become
// x viewed as [A, R, C] summed over R, which runs over contiguous memory in parallel.
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// out[c] (double, [C]) += Σ_r x[r, c] for rows [r0, r1) of x viewed [R, C].
INDRNN_CLONES void column_sums(const float* x, int64_t C, int64_t r0, int64_t r1, double* out) {
  for (int64_t r = r0; r < r1; r++) {
    const float* row = x + r * C;
    for (int64_t c = 0; c < C; c++) out[c] += row[c];
  }
}

INDRNN_CLONES double row_sum(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += x[i + j];
  }
  double s = 0.0;
  for (; i < n; i++) s += x[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

// x [A, R, C] summed over R into out [A, C].
void sum_middle(const float* x, int64_t A, int64_t R, int64_t C, float* out) {
  if (C == 1) {  // row sums
    parallel_for(A, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(R, 1)),
                 [&](int64_t a0, int64_t a1) {
                   for (int64_t a = a0; a < a1; a++)
                     out[a] = static_cast<float>(row_sum(x + a * R, R));
                 });
    return;
  }
  if (A >= num_threads() * 2 || A * R * C < kElementwiseGrain * 2) {
    parallel_for(A, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(R * C, 1)),
                 [&](int64_t a0, int64_t a1) {
                   std::vector<double> acc(static_cast<size_t>(C));
                   for (int64_t a = a0; a < a1; a++) {
                     std::fill(acc.begin(), acc.end(), 0.0);
                     column_sums(x + a * R * C, C, 0, R, acc.data());
                     for (int64_t c = 0; c < C; c++) out[a * C + c] = static_cast<float>(acc[c]);
                   }
                 });
    return;
  }
  // few, long blocks (e.g. a bias gradient): split the rows, one partial [C] per thread, then add
  // the partials in thread order
  for (int64_t a = 0; a < A; a++) {
    const int nt = threads_for(R * C, kElementwiseGrain);
    std::vector<double> part(static_cast<size_t>(nt * C), 0.0);
    run_parallel(nt, [&](int tid, int parts) {
      int64_t r0, r1;
      split_range(R, parts, tid, 1, &r0, &r1);
      column_sums(x + a * R * C, C, r0, r1, part.data() + tid * C);
    });
    for (int64_t c = 0; c < C; c++) {
      double s = 0.0;
      for (int t = 0; t < nt; t++) s += part[t * C + c];
      out[a * C + c] = static_cast<float>(s);
    }
  }
}

}  // namespace

void reduce_sum(const float* x, const Dims& shape, const std::vector<bool>& reduced, float* out) {
  // merge adjacent axes of the same kind, dropping size-1 axes
  Dims sizes;
  std::vector<bool> kinds;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 1) continue;
    if (!kinds.empty() && kinds.back() == reduced[i]) {
      sizes.back() *= shape[i];
    } else {
      sizes.push_back(shape[i]);
      kinds.push_back(reduced[i]);
    }
  }
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  if (total == 0) return;  // the output is already zero
  if (sizes.empty()) {     // a single element
    out[0] = x[0];
    return;
  }
  // [R], [K], [R, K], [K, R], [K, R, K] map onto sum_middle
  size_t first_r = 0;
  while (first_r < kinds.size() && !kinds[first_r]) first_r++;
  if (first_r == kinds.size()) {  // nothing reduced: a copy
    std::copy(x, x + total, out);
    return;
  }
  if (kinds.size() - first_r <= 2 && first_r <= 1) {
    const int64_t A = first_r == 1 ? sizes[0] : 1;
    const int64_t R = sizes[first_r];
    const int64_t C = first_r + 1 < sizes.size() ? sizes[first_r + 1] : 1;
    sum_middle(x, A, R, C, out);
    return;
  }
  // general case: an odometer over the merged axes, float64 accumulators per output element
  const size_t rank = sizes.size();
  Dims out_strides(rank, 0);
  int64_t st = 1, out_n = 1;
  for (size_t i = rank; i-- > 0;) {
    if (!kinds[i]) {
      out_strides[i] = st;
      st *= sizes[i];
      out_n *= sizes[i];
    }
  }
  std::vector<double> acc(static_cast<size_t>(out_n), 0.0);
  std::vector<int64_t> idx(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < total; i++) {
    acc[o] += x[i];
    for (size_t ax = rank; ax-- > 0;) {
      o += out_strides[ax];
      if (++idx[ax] < sizes[ax]) break;
      o -= out_strides[ax] * sizes[ax];
      idx[ax] = 0;
    }
  }
  for (int64_t i = 0; i < out_n; i++) out[i] = static_cast<float>(acc[i]);
}

void argmax(const float* x, int64_t rows, int64_t cols, int32_t* out) {
  parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(cols, 1)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; r++) {
                   const float* row = x + r * cols;
                   int32_t best = 0;
                   float best_v = -__builtin_inff();
                   // strict >, starting from -Inf: the first maximum wins and NaN never does
                   for (int64_t c = 0; c < cols; c++) {
                     if (row[c] > best_v) {
                       best_v = row[c];
                       best = static_cast<int32_t>(c);
                     }
                   }
                   out[r] = best;
                 }
               });
}

}  // namespace indrnn
