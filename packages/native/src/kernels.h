// Declarations of every native kernel (float32). Shapes are row-major and time-major like the
// Backend interface in packages/indrnn/src/backend/backend.ts; outputs arrive zero-filled from JS.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

namespace indrnn {

using Dims = std::vector<int64_t>;

enum class UnaryOp : int { Neg, Relu, Tanh, Sigmoid, Exp, Log, Sqrt, Square, Abs };
enum class BinaryOp : int { Add, Sub, Mul, Div, Maximum, Minimum };

// ---- elementwise.cc ----
void unary(UnaryOp op, const float* x, float* y, int64_t n);
void unary_grad(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n);
void binary(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape,
            const Dims& out_shape, float* out);
void affine(const float* x, float* y, int64_t n, float scale, float shift);
void clamp_inplace(float* x, int64_t n, float lo, float hi);
void scale_inplace(float* x, int64_t n, float scale);
double sum_squares(const float* x, int64_t n);
void cast_f32_to_i32(const float* x, int32_t* y, int64_t n);
void cast_i32_to_f32(const int32_t* x, float* y, int64_t n);

// ---- reduce.cc ----
void reduce_sum(const float* x, const Dims& shape, const std::vector<bool>& reduced, float* out);
void argmax(const float* x, int64_t rows, int64_t cols, int32_t* out);

// ---- layout.cc (element size in bytes, so int32 and float32 share the code) ----
void broadcast_to(const void* x, const Dims& shape, const Dims& out_shape, void* out, int esize);
void transpose(const void* x, const Dims& shape, const Dims& perm, void* out, int esize);
void slice(const void* x, const Dims& shape, const Dims& begin, const Dims& size, void* out,
           int esize);
void pad_slice(const void* x, const Dims& size, const Dims& begin, const Dims& full, void* out,
               int esize);
void concat(const std::vector<const void*>& xs, const std::vector<Dims>& shapes, int64_t axis,
            void* out, int esize);
void gather_rows(const float* table, int64_t table_rows, int64_t cols, const int32_t* idx,
                 int64_t n, float* out);
void scatter_add_rows(const float* dy, int64_t cols, const int32_t* idx, int64_t n, int64_t rows,
                      float* out);

// ---- softmax.cc ----
void softmax(const float* x, int64_t rows, int64_t cols, float* out);
void softmax_cross_entropy(const float* logits, int64_t rows, int64_t cols, const int32_t* targets,
                           int32_t ignore_index, float* loss, float* probs);
void softmax_cross_entropy_grad(const float* probs, const int32_t* targets, const float* dloss,
                                int64_t rows, int64_t cols, int32_t ignore_index, float* dx);

// ---- batchnorm.cc: x viewed as [groups, rows, channels] ----
void batch_norm_train(const float* x, int64_t groups, int64_t rows, int64_t channels,
                      const float* gamma, const float* beta, float eps, float* y, float* mean,
                      float* variance, float* inv_std);
void batch_norm_grad(const float* dy, const float* x, int64_t groups, int64_t rows,
                     int64_t channels, const float* mean, const float* inv_std, const float* gamma,
                     float* dx, float* dgamma, float* dbeta);
// x [T, R, C], lengths int32 [R] in [0, T]: statistics over the rows with t < lengths[r] only, per
// step (per_step) or over all steps; padded rows of y and dx are 0
void batch_norm_train_masked(const float* x, int64_t T, int64_t R, int64_t channels,
                             const int32_t* lengths, bool per_step, const float* gamma,
                             const float* beta, float eps, float* y, float* mean, float* variance,
                             float* inv_std);
void batch_norm_grad_masked(const float* dy, const float* x, int64_t T, int64_t R,
                            int64_t channels, const int32_t* lengths, bool per_step,
                            const float* mean, const float* inv_std, const float* gamma, float* dx,
                            float* dgamma, float* dbeta);

// ---- indrnn_scan.cc: z, h, dz [T, B, N]; u, du [N]; h0, dh0 [B, N]; lengths int32 [B] ----
// bias [N] may be null (no bias); db [N] may be null (not wanted)
void indrnn_scan(const float* z, const float* u, const float* bias, const float* h0,
                 const int32_t* lengths, int64_t T, int64_t B, int64_t N, Act act, float* h);
void indrnn_scan_grad(const float* dh, const float* h, const float* u, const float* h0,
                      const int32_t* lengths, int64_t T, int64_t B, int64_t N, Act act, float* dz,
                      float* du, float* db, float* dh0);

// ---- indrnn_scan_proj.cc: x [T, B, F], w / dw [N, F] (F small), b, db, u, du [N]; dx may be null ----
void indrnn_scan_proj(const float* x, const float* w, const float* bias, const float* u,
                      const float* h0, const int32_t* lengths, int64_t T, int64_t B, int64_t N,
                      int64_t F, Act act, float* h);
void indrnn_scan_proj_grad(const float* dh, const float* h, const float* x, const float* w,
                           const float* u, const float* h0, const int32_t* lengths, int64_t T,
                           int64_t B, int64_t N, int64_t F, Act act, float* dw, float* db,
                           float* du, float* dx, float* dh0);

// ---- rnn_scan.cc: Elman RNN (gx, h [T, B, H], whh [H, H]) and LSTM (gx [T, B, 4H]) ----
void rnn_scan(const float* gx, const float* whh, const float* h0, const int32_t* lengths, int64_t T,
              int64_t B, int64_t H, Act act, float* h);
void rnn_scan_grad(const float* dh, const float* h, const float* whh, const float* h0,
                   const int32_t* lengths, int64_t T, int64_t B, int64_t H, Act act, float* dgx,
                   float* dwhh, float* dh0);
void lstm_scan(const float* gx, const float* whh, const float* h0, const float* c0,
               const int32_t* lengths, int64_t T, int64_t B, int64_t H, float* h, float* c,
               float* gates);
void lstm_scan_grad(const float* dh, const float* dc, const float* gates, const float* h,
                    const float* c, const float* whh, const float* h0, const float* c0,
                    const int32_t* lengths, int64_t T, int64_t B, int64_t H, float* dgx,
                    float* dwhh, float* dh0, float* dc0);

// Test hook: the RNN/LSTM scans drop to one thread after this many steps (-1: only when waiting
// at the per-step barrier outweighs the work, the normal rule).
void force_serial_scan_at(int64_t step);

// ---- optim.cc ----
// β and dampening stay double: the kernels take 1-β computed in double, as PyTorch does
// (1 - float(0.999) is 1.3e-5 off).
struct AdamHyper {
  float lr;
  double beta1, beta2;
  float eps, weight_decay;
  double step;
};
struct SgdHyper {
  float lr, momentum;
  double dampening;
  float weight_decay;
  bool nesterov, has_momentum;
};
void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamHyper& hp);
void sgd_step(float* param, const float* grad, float* buf, int64_t n, const SgdHyper& hp);

// Elements per thread below which elementwise loops stay on one thread.
constexpr int64_t kElementwiseGrain = 1 << 15;

}  // namespace indrnn
