/**
 * The native backend: the Backend interface over host typed arrays (zero copy, like the reference
 * backend), with every float32 kernel running in the C++ addon. Outputs are allocated here as JS
 * typed arrays and filled in place by C++. float64 (only used by gradient checks) and any other
 * dtype a kernel does not take natively go to the reference kernels, so the answer never changes
 * with the backend, only the speed.
 */
import type {
  AdamHyper,
  Activation,
  Backend,
  BinaryOp,
  DType,
  Shape,
  SgdHyper,
  TypedArray,
  UnaryOp,
} from 'indrnn';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addon, loadError, type NativeAddon } from './addon.js';

type F32 = Float32Array;
type I32 = Int32Array;

function alloc(dtype: DType, size: number): TypedArray {
  return dtype === 'float32'
    ? new Float32Array(size)
    : dtype === 'int32'
      ? new Int32Array(size)
      : new Float64Array(size);
}

function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const isF32 = (x: TypedArray): x is F32 => x instanceof Float32Array;
/** float32 or int32: the 4-byte element types the layout kernels move. */
const is4 = (x: TypedArray): x is F32 | I32 => x instanceof Float32Array || x instanceof Int32Array;
const allF32 = (...xs: TypedArray[]): boolean => xs.every(isF32);
const lengthsOk = (l: TypedArray | null): l is I32 | null => l === null || l instanceof Int32Array;


/**
 * The core package's reference backend, for the kernels that do not run natively. The core's
 * registry passes it in; otherwise it is loaded from the installed 'indrnn' package (ESM, loaded
 * through require(esm), which Node 20.19+ supports).
 */
function loadReference(): Backend<TypedArray> {
  const pkgJson = require.resolve('indrnn/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as {
    main?: string;
    exports?: { '.'?: { import?: string } };
  };
  const entry = path.join(
    path.dirname(pkgJson),
    pkg.exports?.['.']?.import ?? pkg.main ?? 'index.js',
  );
  const core = require(entry) as { referenceBackend(): Backend };
  return core.referenceBackend() as Backend<TypedArray>;
}

export interface NativeBackendOptions {
  /** Kernels for float64 and other dtypes the addon does not take (default: indrnn's reference backend). */
  reference?: Backend;
  /**
   * Allocator for kernel outputs (zero-filled). The core passes its recycling allocator, so tidy()
   * scopes reuse resident memory instead of faulting in fresh pages every step.
   */
  allocate?: (dtype: DType, size: number, zeroed?: boolean) => TypedArray;
}

/** Creates the native backend; throws, saying why, if the addon is not built or did not load. */
export function createNativeBackend(options: NativeBackendOptions = {}): Backend<TypedArray> {
  if (!addon) throw new Error(`@indrnn/native: ${loadError}`);
  const k: NativeAddon = addon;
  let refCache = options.reference as Backend<TypedArray> | undefined;
  const ref = (): Backend<TypedArray> => (refCache ??= loadReference());
  const allocate = options.allocate ?? alloc;
  const f32 = (size: number): F32 => allocate('float32', size) as F32;
  /** For outputs the kernel overwrites completely: a recycled array need not be zero-filled. */
  const f32Full = (size: number): F32 =>
    (options.allocate ? options.allocate('float32', size, false) : new Float32Array(size)) as F32;
  const i32 = (size: number): I32 => allocate('int32', size) as I32;
  const like = (x: TypedArray, size: number): TypedArray =>
    allocate(x instanceof Float32Array ? 'float32' : x instanceof Int32Array ? 'int32' : 'float64', size);

  return {
    name: 'native',
    info: () => {
      const i = k.info();
      return { threads: i.threads, simd: i.simd, blas: i.blas, blasCore: i.blasCore, blasMode: i.blasMode, blasRule: i.blasRule };
    },
    supports: (dtype) => dtype !== 'float64',

    alloc,
    fromHost: (data) => data,
    toHost: (s) => s,
    free: () => {},
    clone: (s) => s.slice(),

    unary(op: UnaryOp, x) {
      if (!isF32(x)) return ref().unary(op, x);
      const y = f32Full(x.length);
      k.unary(op, y, x);
      return y;
    },
    unaryGrad(op: UnaryOp, x, y, dy) {
      if (!allF32(x, y, dy)) return ref().unaryGrad(op, x, y, dy);
      const dx = f32Full(dy.length);
      k.unaryGrad(op, dx, x as F32, y as F32, dy as F32);
      return dx;
    },
    binary(op: BinaryOp, a, aShape, b, bShape, outShape) {
      if (!allF32(a, b)) return ref().binary(op, a, aShape, b, bShape, outShape);
      const out = f32Full(sizeOf(outShape));
      k.binary(op, out, a as F32, aShape, b as F32, bShape, outShape);
      return out;
    },
    affine(x, scale, shift) {
      if (!isF32(x)) return ref().affine(x, scale, shift);
      const y = f32Full(x.length);
      k.affine(y, x, scale, shift);
      return y;
    },
    broadcastTo(x, shape, outShape) {
      if (!is4(x)) return ref().broadcastTo(x, shape, outShape);
      const out = like(x, sizeOf(outShape)) as F32 | I32;
      k.broadcastTo(out, x, shape, outShape);
      return out;
    },
    reduceSum(x, shape, axes) {
      if (!isF32(x)) return ref().reduceSum(x, shape, axes);
      const out = f32(sizeOf(shape.map((d, i) => (axes.includes(i) ? 1 : d))));
      k.reduceSum(out, x, shape, axes);
      return out;
    },
    argmax(x, rows, cols) {
      if (!isF32(x)) return ref().argmax(x, rows, cols);
      const out = i32(rows);
      k.argmax(out, x, rows, cols);
      return out;
    },
    clampInPlace(x, lo, hi) {
      if (!isF32(x)) return ref().clampInPlace(x, lo, hi);
      k.clampInPlace(x, lo, hi);
    },
    scaleInPlace(x, scale) {
      if (!isF32(x)) return ref().scaleInPlace(x, scale);
      k.scaleInPlace(x, scale);
    },
    sumSquares(x) {
      return isF32(x) ? k.sumSquares(x) : ref().sumSquares(x);
    },
    cast(x, dtype) {
      if (!is4(x) || dtype === 'float64') return ref().cast(x, dtype);
      const out = alloc(dtype, x.length) as F32 | I32;
      k.cast(out, x);
      return out;
    },

    transpose(x, shape, perm) {
      if (!is4(x)) return ref().transpose(x, shape, perm);
      const out = like(x, x.length) as F32 | I32;
      k.transpose(out, x, shape, perm);
      return out;
    },
    slice(x, shape, begin, size) {
      if (!is4(x)) return ref().slice(x, shape, begin, size);
      const out = like(x, sizeOf(size)) as F32 | I32;
      k.slice(out, x, shape, begin, size);
      return out;
    },
    padSlice(x, size, begin, fullShape) {
      if (!is4(x)) return ref().padSlice(x, size, begin, fullShape);
      const out = like(x, sizeOf(fullShape)) as F32 | I32;
      k.padSlice(out, x, size, begin, fullShape);
      return out;
    },
    concat(xs, shapes, axis) {
      const first = xs[0];
      if (!first || !is4(first) || !xs.every((x) => x.constructor === first.constructor)) {
        return ref().concat(xs, shapes, axis);
      }
      const out = like(
        first,
        shapes.reduce((n, s) => n + sizeOf(s), 0),
      ) as F32 | I32;
      k.concat(out, xs as (F32 | I32)[], shapes, axis);
      return out;
    },

    matmul(a, b, m, n, kk, transA, transB) {
      if (!allF32(a, b)) return ref().matmul(a, b, m, n, kk, transA, transB);
      const out = f32Full(m * n);
      k.matmul(out, a as F32, b as F32, m, n, kk, transA, transB);
      return out;
    },

    gatherRows(table, cols, idx) {
      if (!isF32(table) || !(idx instanceof Int32Array)) return ref().gatherRows(table, cols, idx);
      const out = f32(idx.length * cols);
      k.gatherRows(out, table, cols, idx);
      return out;
    },
    scatterAddRows(dy, cols, idx, rows) {
      if (!isF32(dy) || !(idx instanceof Int32Array))
        return ref().scatterAddRows(dy, cols, idx, rows);
      const out = f32(rows * cols);
      k.scatterAddRows(out, dy, cols, idx, rows);
      return out;
    },
    softmax(x, rows, cols) {
      if (!isF32(x)) return ref().softmax(x, rows, cols);
      const out = f32(rows * cols);
      k.softmax(out, x, rows, cols);
      return out;
    },
    softmaxCrossEntropy(logits, rows, cols, targets, ignoreIndex) {
      if (!isF32(logits) || !(targets instanceof Int32Array)) {
        return ref().softmaxCrossEntropy(logits, rows, cols, targets, ignoreIndex);
      }
      const loss = f32(rows);
      const probs = f32(rows * cols);
      k.softmaxCrossEntropy(loss, probs, logits, rows, cols, targets, ignoreIndex);
      return { loss, probs };
    },
    softmaxCrossEntropyGrad(probs, targets, dloss, rows, cols, ignoreIndex) {
      if (!allF32(probs, dloss) || !(targets instanceof Int32Array)) {
        return ref().softmaxCrossEntropyGrad(probs, targets, dloss, rows, cols, ignoreIndex);
      }
      const dx = f32(rows * cols);
      k.softmaxCrossEntropyGrad(dx, probs as F32, targets, dloss as F32, rows, cols, ignoreIndex);
      return dx;
    },
    batchNormTrain(x, groups, rows, channels, gamma, beta, eps) {
      if (!allF32(x, gamma, beta))
        return ref().batchNormTrain(x, groups, rows, channels, gamma, beta, eps);
      const y = f32Full(x.length); // every element normalised
      const mean = f32(groups * channels);
      const variance = f32(groups * channels);
      const invStd = f32(groups * channels);
      k.batchNormTrain(
        y,
        mean,
        variance,
        invStd,
        x as F32,
        groups,
        rows,
        channels,
        gamma as F32,
        beta as F32,
        eps,
      );
      return { y, mean, variance, invStd };
    },
    batchNormGrad(dy, x, groups, rows, channels, mean, invStd, gamma) {
      if (!allF32(dy, x, mean, invStd, gamma)) {
        return ref().batchNormGrad(dy, x, groups, rows, channels, mean, invStd, gamma);
      }
      const dx = f32Full(dy.length); // every element written
      const dgamma = f32(channels);
      const dbeta = f32(channels);
      k.batchNormGrad(
        dx,
        dgamma,
        dbeta,
        dy as F32,
        x as F32,
        groups,
        rows,
        channels,
        mean as F32,
        invStd as F32,
        gamma as F32,
      );
      return { dx, dgamma, dbeta };
    },
    batchNormTrainMasked(x, T, R, channels, lengths, perStep, gamma, beta, eps) {
      if (!allF32(x, gamma, beta) || !(lengths instanceof Int32Array))
        return ref().batchNormTrainMasked(x, T, R, channels, lengths, perStep, gamma, beta, eps);
      const groups = perStep ? T : 1;
      const y = f32Full(x.length); // valid rows normalised, padded rows written as 0
      const mean = f32(groups * channels);
      const variance = f32(groups * channels);
      const invStd = f32(groups * channels);
      k.batchNormTrainMasked(y, mean, variance, invStd, x as F32, T, R, channels, lengths, perStep, gamma as F32, beta as F32, eps);
      return { y, mean, variance, invStd };
    },
    batchNormGradMasked(dy, x, T, R, channels, lengths, perStep, mean, invStd, gamma) {
      if (!allF32(dy, x, mean, invStd, gamma) || !(lengths instanceof Int32Array)) {
        return ref().batchNormGradMasked(dy, x, T, R, channels, lengths, perStep, mean, invStd, gamma);
      }
      const dx = f32Full(dy.length); // every element written (0 on padded rows)
      const dgamma = f32(channels);
      const dbeta = f32(channels);
      k.batchNormGradMasked(dx, dgamma, dbeta, dy as F32, x as F32, T, R, channels, lengths, perStep, mean as F32, invStd as F32, gamma as F32);
      return { dx, dgamma, dbeta };
    },

    indrnnScan(z, u, h0, lengths, T, B, N, act: Activation) {
      if (!allF32(z, u, h0) || !lengthsOk(lengths))
        return ref().indrnnScan(z, u, h0, lengths, T, B, N, act);
      const h = f32Full(T * B * N);
      k.indrnnScan(h, z as F32, u as F32, h0 as F32, lengths, T, B, N, act);
      return h;
    },
    indrnnScanBias(z, u, bias, h0, lengths, T, B, N, act: Activation) {
      if (!allF32(z, u, bias, h0) || !lengthsOk(lengths))
        return ref().indrnnScanBias!(z, u, bias, h0, lengths, T, B, N, act);
      const h = f32Full(T * B * N);
      k.indrnnScanBias(h, z as F32, u as F32, bias as F32, h0 as F32, lengths, T, B, N, act);
      return h;
    },
    indrnnScanBiasGrad(dh, h, u, h0, lengths, T, B, N, act: Activation) {
      if (!allF32(dh, h, u, h0) || !lengthsOk(lengths))
        return ref().indrnnScanBiasGrad!(dh, h, u, h0, lengths, T, B, N, act);
      // masked steps leave dz untouched, so it must start at zero only when there are lengths
      const dz = lengths ? f32(T * B * N) : f32Full(T * B * N);
      const du = f32(N);
      const db = f32(N);
      const dh0 = f32(B * N);
      k.indrnnScanBiasGrad(dz, du, db, dh0, dh as F32, h as F32, u as F32, h0 as F32, lengths, T, B, N, act);
      return { dz, du, db, dh0 };
    },
    indrnnScanProj(x, w, bias, u, h0, lengths, T, B, N, F, act: Activation) {
      if (!allF32(x, w, bias, u, h0) || !lengthsOk(lengths))
        return ref().indrnnScanProj!(x, w, bias, u, h0, lengths, T, B, N, F, act);
      const h = f32Full(T * B * N);
      k.indrnnScanProj(h, x as F32, w as F32, bias as F32, u as F32, h0 as F32, lengths, T, B, N, F, act);
      return h;
    },
    indrnnScanProjGrad(dh, h, x, w, u, h0, lengths, T, B, N, F, act: Activation, wantDx: boolean) {
      if (!allF32(dh, h, x, w, u, h0) || !lengthsOk(lengths))
        return ref().indrnnScanProjGrad!(dh, h, x, w, u, h0, lengths, T, B, N, F, act, wantDx);
      const dw = f32(N * F);
      const db = f32(N);
      const du = f32(N);
      // masked steps do not write dx, so it starts at zero
      const dx = wantDx ? f32(T * B * F) : null;
      const dh0 = f32(B * N);
      k.indrnnScanProjGrad(dw, db, du, dx, dh0, dh as F32, h as F32, x as F32, w as F32, u as F32, h0 as F32, lengths, T, B, N, F, act);
      return { dw, db, du, dx, dh0 };
    },
    indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act: Activation) {
      if (!allF32(dh, h, u, h0) || !lengthsOk(lengths)) {
        return ref().indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act);
      }
      // masked steps leave dz untouched, so it must start at zero only when there are lengths
      const dz = lengths ? f32(T * B * N) : f32Full(T * B * N);
      const du = f32(N);
      const dh0 = f32(B * N);
      k.indrnnScanGrad(
        dz,
        du,
        dh0,
        dh as F32,
        h as F32,
        u as F32,
        h0 as F32,
        lengths,
        T,
        B,
        N,
        act,
      );
      return { dz, du, dh0 };
    },
    rnnScan(gx, whh, h0, lengths, T, B, H, act: Activation) {
      if (!allF32(gx, whh, h0) || !lengthsOk(lengths))
        return ref().rnnScan(gx, whh, h0, lengths, T, B, H, act);
      const h = f32(T * B * H);
      k.rnnScan(h, gx as F32, whh as F32, h0 as F32, lengths, T, B, H, act);
      return h;
    },
    rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act: Activation) {
      if (!allF32(dh, h, whh, h0) || !lengthsOk(lengths)) {
        return ref().rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act);
      }
      const dgx = f32(T * B * H);
      const dwhh = f32(H * H);
      const dh0 = f32(B * H);
      k.rnnScanGrad(
        dgx,
        dwhh,
        dh0,
        dh as F32,
        h as F32,
        whh as F32,
        h0 as F32,
        lengths,
        T,
        B,
        H,
        act,
      );
      return { dgx, dwhh, dh0 };
    },
    lstmScan(gx, whh, h0, c0, lengths, T, B, H) {
      if (!allF32(gx, whh, h0, c0) || !lengthsOk(lengths))
        return ref().lstmScan(gx, whh, h0, c0, lengths, T, B, H);
      const h = f32(T * B * H);
      const c = f32(T * B * H);
      const gates = f32(T * B * 4 * H);
      k.lstmScan(h, c, gates, gx as F32, whh as F32, h0 as F32, c0 as F32, lengths, T, B, H);
      return { h, c, gates };
    },
    lstmScanGrad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H) {
      if (!allF32(dh, dc, gates, h, c, whh, h0, c0) || !lengthsOk(lengths)) {
        return ref().lstmScanGrad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H);
      }
      const dgx = f32(T * B * 4 * H);
      const dwhh = f32(4 * H * H);
      const dh0 = f32(B * H);
      const dc0 = f32(B * H);
      k.lstmScanGrad(
        dgx,
        dwhh,
        dh0,
        dc0,
        dh as F32,
        dc as F32,
        gates as F32,
        h as F32,
        c as F32,
        whh as F32,
        h0 as F32,
        c0 as F32,
        lengths,
        T,
        B,
        H,
      );
      return { dgx, dwhh, dh0, dc0 };
    },

    adamStep(param, grad, m, v, hp: AdamHyper) {
      if (!allF32(param, grad, m, v)) return ref().adamStep(param, grad, m, v, hp);
      k.adamStep(
        param as F32,
        grad as F32,
        m as F32,
        v as F32,
        hp.lr,
        hp.beta1,
        hp.beta2,
        hp.eps,
        hp.weightDecay,
        hp.step,
      );
    },
    sgdStep(param, grad, buf, hp: SgdHyper) {
      if (!allF32(param, grad, buf)) return ref().sgdStep(param, grad, buf, hp);
      k.sgdStep(
        param as F32,
        grad as F32,
        buf as F32,
        hp.lr,
        hp.momentum,
        hp.dampening,
        hp.nesterov,
        hp.weightDecay,
        hp.hasMomentum,
      );
    },
  };
}
