// Host-side launchers of every kernel family, one .cu file per family. All of them queue work on
// icu::stream() and return without synchronising; sizes of 0 launch nothing.
// Layout conventions are the Backend interface's: dense, row-major, time-major [T, B, F].
#pragma once

#include <cstdint>

#include "common.h"

namespace icu {

enum class Unary { Neg, Relu, Tanh, Sigmoid, Exp, Log, Sqrt, Square, Abs };
enum class Binary { Add, Sub, Mul, Div, Maximum, Minimum };
/** Activation of a recurrent scan. */
enum class Act { Relu, Tanh, Identity };

/** Output shape (coalesced) and the strides of both operands (0 on broadcast axes). */
struct BinaryLayout {
  int rank;
  int64_t shape[kMaxRank];
  int64_t strideA[kMaxRank];
  int64_t strideB[kMaxRank];
};

/** Words carried inside the launch parameters by fillInline (small uploads need no staging). */
constexpr int kInlineWords = 256;
struct InlineWords {
  uint32_t w[kInlineWords];
};

// ---- elementwise.cu ----
void unaryForward(Unary op, const float* x, float* y, int64_t n);
void unaryBackward(Unary op, const float* x, const float* y, const float* dy, float* dx, int64_t n);
void binaryForward(Binary op, const float* a, const float* b, float* out, const BinaryLayout& l,
                   int64_t n);
void affine(const float* x, float* y, int64_t n, float scale, float shift);
void clampInPlace(float* x, int64_t n, float lo, float hi);
void scaleInPlace(float* x, int64_t n, float scale);
void castF32ToI32(const float* x, int32_t* y, int64_t n);
void castI32ToF32(const int32_t* x, float* y, int64_t n);
void fillInline(uint32_t* dst, int n, const InlineWords& words);

// ---- layout.cu ----
/** dst[i] = src[offset(i)] for i < n, offset from `s` (transpose, slice, broadcastTo). */
void stridedGather(const uint32_t* src, uint32_t* dst, const Strides& s, int64_t n);
/** dst[offset(i)] = src[i] (padSlice writes a block into a zeroed tensor). */
void stridedScatter(const uint32_t* src, uint32_t* dst, const Strides& s, int64_t n);
/** out[i, :] = table[idx[i], :]; rows outside [0, tableRows) give zeros. */
void gatherRows(const float* table, int64_t tableRows, int64_t cols, const int32_t* idx,
                int64_t nIdx, float* out);
/** out (zeroed by the caller) [rows, cols]: row plan_row[s] = the sum of dy's rows plan_pos[start[s]
 * .. start[s + 1]) in that order, for each of `segments` segments (lib/layout.ts scatterPlan: plan =
 * [starts (segments + 1) | rows (segments) | positions]), which the caller checked against dy and
 * out. Deterministic: no atomics. */
void scatterAddRows(const float* dy, int64_t cols, const int32_t* plan, int64_t segments,
                    float* out);

// ---- reduce.cu ----
/** out[o, i] = Σ_r x[o, r, i]; x [O, R, I] (float or double partials), sums in double. */
void reduceSum(const float* x, float* out, int64_t O, int64_t R, int64_t I);
void reduceSum(const double* x, float* out, int64_t O, int64_t R, int64_t I);
/** Σ x² over n elements, returned to the host (synchronises). */
double sumSquares(const float* x, int64_t n);
/** Index of the first largest value of each row of [rows, cols] (NaN never wins; as the reference).
 */
void argmax(const float* x, int32_t* out, int64_t rows, int64_t cols);

// ---- softmax.cu ----
void softmax(const float* x, float* out, int64_t rows, int64_t cols);
void softmaxCrossEntropy(const float* logits, const int32_t* targets, float* loss, float* probs,
                         int64_t rows, int64_t cols, int32_t ignoreIndex);
void softmaxCrossEntropyGrad(const float* probs, const int32_t* targets, const float* dloss,
                             float* dx, int64_t rows, int64_t cols, int32_t ignoreIndex);

// ---- batchnorm.cu ----
void batchNormTrain(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                    float* variance, float* invStd, int64_t groups, int64_t rows, int64_t channels,
                    double eps);
void batchNormGrad(const float* dy, const float* x, const float* mean, const float* invStd,
                   const float* gamma, float* dx, float* dgamma, float* dbeta, int64_t groups,
                   int64_t rows, int64_t channels);
// x [T, R, C], lengths int32 [R]: statistics over the rows with t < lengths[r] only, per step
// (perStep) or over all steps; padded rows of y and dx are 0
void batchNormTrainMasked(const float* x, const int32_t* lengths, const float* gamma,
                          const float* beta, float* y, float* mean, float* variance,
                          float* invStd, int64_t T, int64_t R, int64_t C, bool perStep, double eps);
void batchNormGradMasked(const float* dy, const float* x, const int32_t* lengths,
                         const float* mean, const float* invStd, const float* gamma, float* dx,
                         float* dgamma, float* dbeta, int64_t T, int64_t R, int64_t C,
                         bool perStep);

// ---- indrnn_scan.cu ----
// bias (forward) and db (backward) may be null: the scan without the projection bias folded in
void indrnnScanForward(const float* z, const float* u, const float* h0, const int32_t* lengths,
                       float* h, int T, int B, int N, Act act, const float* bias);
void indrnnScanBackward(const float* dh, const float* h, const float* u, const float* h0,
                        const int32_t* lengths, float* dz, float* du, float* dh0, int T, int B,
                        int N, Act act, float* db);
// The scan with the input projection folded in: z[t] = x[t] · wᵀ, x [T, B, F], w [N, F], F <= 8;
// z is never stored. The backward gives dw, db, du, dh0, and dx [T, B, F] when dx is not null.
void indrnnScanProjForward(const float* x, const float* w, const float* bias, const float* u,
                           const float* h0, const int32_t* lengths, float* h, int T, int B, int N,
                           int F, Act act);
void indrnnScanProjBackward(const float* dh, const float* h, const float* x, const float* w,
                            const float* u, const float* h0, const int32_t* lengths, float* dw,
                            float* db, float* du, float* dx, float* dh0, int T, int B, int N, int F,
                            Act act);

// ---- rnn_scan.cu ----
void rnnScanForward(const float* gx, const float* whh, const float* h0, const int32_t* lengths,
                    float* h, int T, int B, int H, Act act);
void rnnScanBackward(const float* dh, const float* h, const float* whh, const float* h0,
                     const int32_t* lengths, float* dgx, float* dwhh, float* dh0, int T, int B,
                     int H, Act act);
void lstmScanForward(const float* gx, const float* whh, const float* h0, const float* c0,
                     const int32_t* lengths, float* h, float* c, float* gates, int T, int B, int H);
void lstmScanBackward(const float* dh, const float* dc, const float* gates, const float* h,
                      const float* c, const float* whh, const float* h0, const float* c0,
                      const int32_t* lengths, float* dgx, float* dwhh, float* dh0, float* dc0,
                      int T, int B, int H);

// ---- optim.cu ----
void adamStep(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
              double beta1, double beta2, float eps, float weightDecay, float biasCorr1,
              float biasCorr2);
/** One tensor of a fused multi-tensor Adam: its arrays, size and |param| bound (0 = none). */
struct AdamItem {
  float* param;
  float* grad;
  float* m;
  float* v;
  int64_t n;
  float bound;
};
/** Tensors per launch: their table travels in the kernel's parameters (48 B each, 4 KiB max). */
constexpr int kAdamBatch = 32;
struct AdamBatch {
  AdamItem items[kAdamBatch];
  int count;
};
/** Clamps each grad to ±gradClip (> 0), Adam-updates, clamps each param to ±bound (> 0). */
void adamStepMany(const AdamItem* items, int count, float lr, double beta1, double beta2,
                  float eps, float weightDecay, float biasCorr1, float biasCorr2, float gradClip);
void sgdStep(float* param, const float* grad, float* buf, int64_t n, float lr, float momentum,
             double dampening, bool nesterov, float weightDecay, bool hasMomentum);

// ---- conv.cu ----
struct ConvGeometry {
  int N, H, W, C, KH, KW, padH, padW, strideH, strideW, OH, OW;
};
void im2col(const float* x, float* cols, const ConvGeometry& g);
void col2im(const float* cols, float* x, const ConvGeometry& g);

}  // namespace icu
