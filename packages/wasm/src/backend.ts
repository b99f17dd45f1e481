/**
 * The 'wasm' backend: the Backend interface over kernels.wasm. Storage is the same host typed
 * arrays the reference and native backends use, so tensors move between them freely; each call
 * copies its inputs into the arena, runs one kernel and copies the outputs out (GEMM and the scans
 * do O(n³) or O(T·B·N) work over O(n²) copies); the IndRNN scans go over time in chunks, so long
 * sequences do not grow linear memory to three [T, B, N] tensors. float64 and int32 inputs, the layout kernels,
 * gather / scatter, argmax and cast run on the reference kernels (copies, not arithmetic).
 */
import {
  allocOutput,
  referenceBackend,
  type Activation,
  type AdamHyper,
  type Backend,
  type BinaryOp,
  type SgdHyper,
  type Shape,
  type TypedArray,
  type UnaryOp,
} from 'indrnn';
import { Arena } from './arena.js';
import type { KernelExports } from './exports.js';
import { broadcastStrides, coalesce, descriptor, stridesOf } from './layout.js';

export type WasmBackend = Backend<TypedArray> & {
  /** Bytes of WebAssembly memory the arena holds now (it grows, never shrinks). */
  memoryBytes(): number;
  /** What runs the kernels: GEMM threads (1 unless '@indrnn/wasm/threads'), SIMD, no BLAS. */
  info(): { threads: number; simd: string; blas: null };
};

const UNARY_CODES: Record<UnaryOp, number> = {
  neg: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  exp: 4,
  log: 5,
  sqrt: 6,
  square: 7,
  abs: 8,
};
const BINARY_CODES: Record<BinaryOp, number> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
};
const ACT_CODES: Record<Activation, number> = { relu: 0, tanh: 1, identity: 2 };
/** Which of x and y each unary gradient reads (the other is not copied in). */
const GRAD_READS: Record<UnaryOp, 'x' | 'y' | 'none'> = {
  neg: 'none',
  relu: 'x',
  tanh: 'y',
  sigmoid: 'y',
  exp: 'y',
  log: 'x',
  sqrt: 'y',
  square: 'x',
  abs: 'x',
};

const isF32 = (...xs: TypedArray[]): boolean => xs.every((x) => x instanceof Float32Array);
/** The op checks lengths; a kernel entry point does not trust them (R of them, each in [0, T]). */
function checkLengths(kernel: string, lengths: Int32Array, R: number, T: number): void {
  if (lengths.length < R) throw new Error(`wasm ${kernel}: lengths has ${lengths.length} entries, needs ${R}`);
  for (let r = 0; r < R; r++) {
    const len = lengths[r]!;
    if (len < 0 || len > T) throw new Error(`wasm ${kernel}: lengths[${r}] = ${len} is outside [0, ${T}]`);
  }
}
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/**
 * A GEMM that splits rows across threads sharing the module's memory (src/threads.ts). Given the
 * placed operands and packed B, it computes C and returns true, or returns false when the product
 * is too small to be worth splitting.
 */
export interface ParallelGemm {
  /** Threads a GEMM is split over (the caller's included). */
  readonly threads: number;
  run(
    arena: Arena,
    a: number,
    packedB: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
  ): boolean;
}

export interface WasmBackendOptions {
  /**
   * The IndRNN scans run over time in chunks of at most this many [B, N] elements (default 4M, 16
   * MiB), carrying the state (forward) and the gradient (backward) between chunks, so linear memory
   * holds three chunks instead of three [T, B, N] tensors (it never shrinks once grown).
   */
  scanChunkElements?: number;
  /**
   * A GEMM whose operands and result exceed this many elements (default 8M, 32 MiB) runs in row
   * blocks (or, for aᵀ·b over a long k, in k blocks whose partial products are summed), for the
   * same reason.
   */
  gemmChunkElements?: number;
}

export function createWasmBackend(
  k: KernelExports,
  parallel?: ParallelGemm,
  options: WasmBackendOptions = {},
): WasmBackend {
  const scanChunk = Math.max(1, options.scanChunkElements ?? 4 << 20);
  const gemmChunk = Math.max(1, options.gemmChunkElements ?? 8 << 20);
  const ref = referenceBackend() as Backend<TypedArray>;
  const arena = new Arena(k.memory, k.heapBase());
  /** Copies optional int32 lengths in; 0 is the kernels' "no masking". */
  const putLengths = (lengths: TypedArray | null): number => (lengths ? arena.put(lengths) : 0);
  /**
   * Float32 outputs of one kernel call, by name and length, placed in the arena in that order
   * (`at` holds their addresses); `take` copies them all out after the kernel has run.
   */
  const placeOutputs = <K extends string>(lengths: Record<K, number>) => {
    const at = {} as Record<K, number>;
    for (const name in lengths) at[name] = arena.f32(lengths[name]);
    const take = (): Record<K, Float32Array> => {
      const out = {} as Record<K, Float32Array>;
      for (const name in lengths) out[name] = arena.takeF32(at[name], lengths[name]);
      return out;
    };
    return { at, take };
  };
  /** One GEMM with every operand copied into linear memory; returns the address of the result. */
  const gemmInArena = (
    a: Float32Array, b: Float32Array, m: number, n: number, kk: number, transA: boolean, transB: boolean,
  ): number => {
    arena.reset();
    const pa = arena.put(a);
    const pb = arena.put(b);
    const pc = arena.f32(m * n);
    const packB = arena.f32(k.packBSize(kk, n));
    if (parallel) {
      k.packB(pb, kk, n, +transB, packB);
      if (!parallel.run(arena, pa, packB, pc, m, n, kk, transA)) {
        k.gemmPackedLd(pa, +transA, transA ? m : kk, m, n, kk, packB, packA(), pc, 0);
      }
    } else {
      k.gemm(pa, pb, pc, m, n, kk, +transA, +transB, packB, packA(), 0);
    }
    return pc;
  };
  /** Steps [t0, t0 + tc) covering [0, T), each at most scanChunk elements of [B·N] rows. */
  const timeChunks = (T: number, cols: number): [number, number][] => {
    const per = Math.max(1, Math.floor(scanChunk / Math.max(cols, 1)));
    const out: [number, number][] = [];
    for (let t0 = 0; t0 < T; t0 += per) out.push([t0, Math.min(per, T - t0)]);
    return out;
  };
  /**
   * What the scan reads for z: a stored z [T, B, N], or x [T, B, F] and w [N, F] (the projection
   * folded in; w goes in transposed, [F, N], so the kernel vectorises over neurons).
   */
  type ScanInput = { z: Float32Array } | { x: Float32Array; w: TypedArray; F: number };
  const transpose = (w: ArrayLike<number>, rows: number, cols: number): Float32Array => {
    const t = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
    return t;
  };
  /** The IndRNN scan over time chunks, the state carried from one to the next. */
  const scanForward = (
    input: ScanInput, u: TypedArray, bias: TypedArray | null, h0: TypedArray, lengths: TypedArray | null,
    T: number, B: number, N: number, act: Activation,
  ): Float32Array => {
    const cols = B * N;
    const h = allocOutput('float32', T * cols, false) as Float32Array;
    const wt = 'x' in input ? transpose(input.w, N, input.F) : null;
    let state = h0 as Float32Array;
    for (const [t0, tc] of timeChunks(T, cols)) {
      arena.reset();
      const pu = arena.put(u);
      const ph0 = arena.put(state);
      const pl = putChunkLengths(lengths, t0, tc);
      const pb = bias ? arena.put(bias) : 0;
      const ph = arena.f32(tc * cols);
      if ('x' in input) {
        const px = arena.put(input.x.subarray(t0 * B * input.F, (t0 + tc) * B * input.F));
        k.indrnnScanProj(px, arena.put(wt!), input.F, pb, pu, ph0, pl, tc, B, N, ACT_CODES[act], ph);
      } else {
        const pz = arena.put(input.z.subarray(t0 * cols, (t0 + tc) * cols));
        k.indrnnScan(pz, pu, ph0, pl, tc, B, N, ACT_CODES[act], ph, pb);
      }
      arena.copyOut(ph, h, t0 * cols, tc * cols);
      state = h.subarray((t0 + tc - 1) * cols, (t0 + tc) * cols); // past a length, h keeps the state
    }
    return h;
  };
  /**
   * Its reverse loop over the chunks, last first, dL/dh carried into the chunk before. With x (the
   * projected scan), dw [F, N] is summed over the chunks and dz is kept only when wantDz.
   */
  const scanBackward = (
    dh: Float32Array, h: Float32Array, u: TypedArray, h0: TypedArray, lengths: TypedArray | null,
    T: number, B: number, N: number, act: Activation, withBias: boolean,
    proj: { x: Float32Array; F: number; wantDz: boolean } | null = null,
  ): { dz: Float32Array | null; du: Float32Array; db: Float32Array | null; dw: Float64Array | null; dh0: Float32Array } => {
    const cols = B * N;
    const F = proj?.F ?? 0;
    const dz = !proj || proj.wantDz ? (allocOutput('float32', T * cols, false) as Float32Array) : null;
    const duTotal = new Float64Array(N);
    const dbTotal = new Float64Array(withBias ? N : 0);
    const dwTotal = proj ? new Float64Array(F * N) : null;
    let carry: Float32Array | null = null;
    for (const [t0, tc] of timeChunks(T, cols).reverse()) {
      arena.reset();
      const pdh = arena.put(dh.subarray(t0 * cols, (t0 + tc) * cols));
      if (carry) arena.addAt(pdh + (tc - 1) * cols * 4, carry);
      const ph = arena.put(h.subarray(t0 * cols, (t0 + tc) * cols));
      const pu = arena.put(u);
      const ph0 = t0 === 0 ? arena.put(h0) : arena.put(h.subarray((t0 - 1) * cols, t0 * cols));
      const pl = putChunkLengths(lengths, t0, tc);
      const pdz = dz ? arena.f32(tc * cols) : 0;
      const pdu = arena.f32(N);
      const pdh0 = arena.f32(cols);
      const scratch = arena.f32(cols);
      const duAcc = arena.f64(N);
      const pdb = withBias ? arena.f32(N) : 0;
      const dbAcc = withBias ? arena.f64(N) : 0;
      const code = ACT_CODES[act];
      if (proj) {
        const px = arena.put(proj.x.subarray(t0 * B * F, (t0 + tc) * B * F));
        const pdw = arena.f32(F * N);
        const dwAcc = arena.f64(F * N);
        k.indrnnScanProjGrad(pdh, ph, px, F, pu, ph0, pl, tc, B, N, code, pdz, pdu, pdh0, scratch, duAcc, pdb, dbAcc, pdw, dwAcc);
        const dw = arena.viewF32(pdw, F * N);
        for (let i = 0; i < F * N; i++) dwTotal![i] += dw[i]!;
      } else {
        k.indrnnScanGrad(pdh, ph, pu, ph0, pl, tc, B, N, code, pdz, pdu, pdh0, scratch, duAcc, pdb, dbAcc);
      }
      if (dz) arena.copyOut(pdz, dz, t0 * cols, tc * cols);
      const du = arena.viewF32(pdu, N);
      for (let n = 0; n < N; n++) duTotal[n] += du[n]!;
      if (withBias) {
        const db = arena.viewF32(pdb, N);
        for (let n = 0; n < N; n++) dbTotal[n] += db[n]!;
      }
      carry = arena.takeF32(pdh0, cols);
    }
    return {
      dz,
      du: Float32Array.from(duTotal),
      db: withBias ? Float32Array.from(dbTotal) : null,
      dw: dwTotal,
      dh0: carry ?? new Float32Array(cols),
    };
  };
  /** A chunk's lengths: how many of its steps each sequence still has (0 = all masked). */
  const putChunkLengths = (lengths: TypedArray | null, t0: number, tc: number): number =>
    lengths ? arena.putInts(Int32Array.from(lengths, (l) => Math.min(Math.max(l - t0, 0), tc))) : 0;
  const packA = (): number => arena.f32(k.packASize());

  const backend: WasmBackend = {
    ...ref,
    name: 'wasm',
    supports: (dtype) => dtype !== 'float64',
    memoryBytes: () => arena.capacity,
    info: () => ({ threads: parallel?.threads ?? 1, simd: 'wasm simd128', blas: null }),

    // ---- elementwise ----
    unary(op, x) {
      if (!isF32(x)) return ref.unary(op, x);
      arena.reset();
      const px = arena.put(x);
      const py = arena.f32(x.length);
      k.unary(UNARY_CODES[op], px, py, x.length);
      return arena.takeF32(py, x.length);
    },
    unaryGrad(op, x, y, dy) {
      if (!isF32(x, y, dy)) return ref.unaryGrad(op, x, y, dy);
      arena.reset();
      const reads = GRAD_READS[op];
      const px = reads === 'x' ? arena.put(x) : 0;
      const py = reads === 'y' ? arena.put(y) : 0;
      const pdy = arena.put(dy);
      const pdx = arena.f32(dy.length);
      k.unaryGrad(UNARY_CODES[op], px, py, pdy, pdx, dy.length);
      return arena.takeF32(pdx, dy.length);
    },
    binary(op, a, aShape, b, bShape, outShape) {
      const n = size(outShape);
      if (!isF32(a, b) || n === 0) return ref.binary(op, a, aShape, b, bShape, outShape);
      const layout = coalesce(outShape, [
        broadcastStrides(aShape, outShape),
        broadcastStrides(bShape, outShape),
      ]);
      arena.reset();
      const pa = arena.put(a);
      const pb = arena.put(b);
      const po = arena.f32(n);
      const desc = arena.putInts(descriptor(layout));
      k.binary(BINARY_CODES[op], pa, pb, po, desc, arena.i32(layout.shape.length), arena.i32(2));
      return arena.takeF32(po, n);
    },
    affine(x, scale, shift) {
      if (!isF32(x)) return ref.affine(x, scale, shift);
      arena.reset();
      const px = arena.put(x);
      const py = arena.f32(x.length);
      k.affine(px, py, x.length, scale, shift);
      return arena.takeF32(py, x.length);
    },
    broadcastTo(x, shape, outShape) {
      const n = size(outShape);
      if (!isF32(x) || n === 0) return ref.broadcastTo(x, shape, outShape);
      const layout = coalesce(outShape, [broadcastStrides(shape, outShape), stridesOf(outShape)]);
      arena.reset();
      const px = arena.put(x);
      const po = arena.f32(n);
      const desc = arena.putInts(descriptor(layout));
      k.broadcastTo(px, po, desc, arena.i32(layout.shape.length), arena.i32(2));
      return arena.takeF32(po, n);
    },
    reduceSum(x, shape, axes) {
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const outSize = size(outShape);
      if (!isF32(x) || x.length === 0) return ref.reduceSum(x, shape, axes);
      const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
      const layout = coalesce(shape, [stridesOf(shape), outStrides]);
      arena.reset();
      const px = arena.put(x);
      const po = arena.f32(outSize);
      const desc = arena.putInts(descriptor(layout));
      const rank = layout.shape.length;
      k.reduceSum(px, po, outSize, desc, arena.i32(rank), arena.i32(2), arena.f64(outSize));
      return arena.takeF32(po, outSize);
    },
    clampInPlace(x, lo, hi) {
      if (!isF32(x)) return ref.clampInPlace(x, lo, hi);
      arena.reset();
      const px = arena.put(x);
      k.clamp(px, x.length, lo, hi);
      arena.copyOut(px, x as Float32Array);
    },
    scaleInPlace(x, s) {
      if (!isF32(x)) return ref.scaleInPlace(x, s);
      arena.reset();
      const px = arena.put(x);
      k.scale(px, x.length, s);
      arena.copyOut(px, x as Float32Array);
    },
    sumSquares(x) {
      if (!isF32(x)) return ref.sumSquares(x);
      arena.reset();
      return k.sumSquares(arena.put(x), x.length);
    },

    // ---- linear algebra ----
    matmul(a, b, m, n, kk, transA, transB) {
      if (!isF32(a, b)) return ref.matmul(a, b, m, n, kk, transA, transB);
      const out = allocOutput('float32', m * n, false) as Float32Array;
      const A = a as Float32Array;
      const B_ = b as Float32Array;
      const fits = m * kk + kk * n + m * n <= gemmChunk;
      // Too large for one pass through linear memory: split where the operands are contiguous.
      if (!fits && !transA && m >= kk) {
        // many rows (W x over T·B rows, dz · W): row blocks of a and out, b whole
        const rows = Math.max(1, Math.floor((gemmChunk - kk * n) / (kk + n)));
        for (let r0 = 0; r0 < m; r0 += rows) {
          const rc = Math.min(rows, m - r0);
          const pc = gemmInArena(A.subarray(r0 * kk, (r0 + rc) * kk), B_, rc, n, kk, false, transB);
          arena.copyOut(pc, out, r0 * n, rc * n);
        }
      } else if (!fits && transA && !transB && kk >= m) {
        // a long sum (dW = xᵀ dz over T·B rows): blocks of the k rows of both, partials summed
        const acc = new Float64Array(m * n);
        const depth = Math.max(1, Math.floor((gemmChunk - m * n) / (m + n)));
        for (let k0 = 0; k0 < kk; k0 += depth) {
          const kc = Math.min(depth, kk - k0);
          const pc = gemmInArena(
            A.subarray(k0 * m, (k0 + kc) * m), B_.subarray(k0 * n, (k0 + kc) * n), m, n, kc, true, false,
          );
          const part = arena.viewF32(pc, m * n);
          for (let i = 0; i < m * n; i++) acc[i] += part[i]!;
        }
        out.set(acc);
      } else {
        arena.copyOut(gemmInArena(A, B_, m, n, kk, transA, transB), out, 0, m * n);
      }
      return out;
    },

    // ---- nn ----
    softmax(x, rows, cols) {
      if (!isF32(x)) return ref.softmax(x, rows, cols);
      arena.reset();
      const px = arena.put(x);
      const po = arena.f32(rows * cols);
      k.softmax(px, rows, cols, po);
      return arena.takeF32(po, rows * cols);
    },
    softmaxCrossEntropy(logits, rows, cols, targets, ignoreIndex) {
      if (!isF32(logits)) return ref.softmaxCrossEntropy(logits, rows, cols, targets, ignoreIndex);
      arena.reset();
      const pl = arena.put(logits);
      const pt = arena.put(targets);
      const loss = arena.f32(rows);
      const probs = arena.f32(rows * cols);
      k.softmaxCrossEntropy(pl, rows, cols, pt, ignoreIndex, loss, probs);
      return { loss: arena.takeF32(loss, rows), probs: arena.takeF32(probs, rows * cols) };
    },
    softmaxCrossEntropyGrad(probs, targets, dloss, rows, cols, ignoreIndex) {
      if (!isF32(probs, dloss))
        return ref.softmaxCrossEntropyGrad(probs, targets, dloss, rows, cols, ignoreIndex);
      arena.reset();
      const pp = arena.put(probs);
      const pt = arena.put(targets);
      const pd = arena.put(dloss);
      const dx = arena.f32(rows * cols);
      k.softmaxCrossEntropyGrad(pp, pt, pd, rows, cols, ignoreIndex, dx);
      return arena.takeF32(dx, rows * cols);
    },
    batchNormTrain(x, groups, rows, channels, gamma, beta, eps) {
      if (!isF32(x, gamma, beta))
        return ref.batchNormTrain(x, groups, rows, channels, gamma, beta, eps);
      arena.reset();
      const px = arena.put(x);
      const pg = arena.put(gamma);
      const pb = arena.put(beta);
      const stats = groups * channels;
      const out = placeOutputs({ y: x.length, mean: stats, variance: stats, invStd: stats });
      const scratch = arena.f64(2 * channels);
      k.batchNormTrain(px, groups, rows, channels, pg, pb, eps, out.at.y, out.at.mean, out.at.variance, out.at.invStd, scratch);
      return out.take();
    },
    batchNormGrad(dy, x, groups, rows, channels, mean, invStd, gamma) {
      if (!isF32(dy, x, mean, invStd, gamma)) {
        return ref.batchNormGrad(dy, x, groups, rows, channels, mean, invStd, gamma);
      }
      arena.reset();
      const pdy = arena.put(dy);
      const px = arena.put(x);
      const pm = arena.put(mean);
      const pi = arena.put(invStd);
      const pg = arena.put(gamma);
      const out = placeOutputs({ dx: dy.length, dgamma: channels, dbeta: channels });
      const scratch = arena.f64(4 * channels);
      k.batchNormGrad(pdy, px, groups, rows, channels, pm, pi, pg, out.at.dx, out.at.dgamma, out.at.dbeta, scratch);
      return out.take();
    },

    batchNormTrainMasked(x, T, R, channels, lengths, perStep, gamma, beta, eps) {
      if (!isF32(x, gamma, beta) || !(lengths instanceof Int32Array))
        return ref.batchNormTrainMasked(x, T, R, channels, lengths, perStep, gamma, beta, eps);
      checkLengths('batchNormTrainMasked', lengths, R, T);
      arena.reset();
      const px = arena.put(x);
      const pl = arena.put(lengths);
      const pg = arena.put(gamma);
      const pb = arena.put(beta);
      const stats = (perStep ? T : 1) * channels;
      const out = placeOutputs({ y: x.length, mean: stats, variance: stats, invStd: stats });
      const scratch = arena.f64(2 * channels);
      k.batchNormTrainMasked(px, T, R, channels, pl, +perStep, pg, pb, eps, out.at.y, out.at.mean, out.at.variance, out.at.invStd, scratch);
      return out.take();
    },
    batchNormGradMasked(dy, x, T, R, channels, lengths, perStep, mean, invStd, gamma) {
      if (!isF32(dy, x, mean, invStd, gamma) || !(lengths instanceof Int32Array)) {
        return ref.batchNormGradMasked(dy, x, T, R, channels, lengths, perStep, mean, invStd, gamma);
      }
      checkLengths('batchNormGradMasked', lengths, R, T);
      arena.reset();
      const pdy = arena.put(dy);
      const px = arena.put(x);
      const pl = arena.put(lengths);
      const pm = arena.put(mean);
      const pi = arena.put(invStd);
      const pg = arena.put(gamma);
      const out = placeOutputs({ dx: dy.length, dgamma: channels, dbeta: channels });
      const scratch = arena.f64(4 * channels);
      k.batchNormGradMasked(pdy, px, T, R, channels, pl, +perStep, pm, pi, pg, out.at.dx, out.at.dgamma, out.at.dbeta, scratch);
      return out.take();
    },

    // ---- recurrences ----
    indrnnScan(z, u, h0, lengths, T, B, N, act) {
      if (!isF32(z, u, h0)) return ref.indrnnScan(z, u, h0, lengths, T, B, N, act);
      return scanForward({ z: z as Float32Array }, u, null, h0, lengths, T, B, N, act);
    },
    indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act) {
      if (!isF32(dh, h, u, h0)) return ref.indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act);
      const { dz, du, dh0 } = scanBackward(dh as Float32Array, h as Float32Array, u, h0, lengths, T, B, N, act, false);
      return { dz: dz!, du, dh0 };
    },
    // the projection bias inside the loop: no [T, B, N] add before it, no T·B-row sum for db
    indrnnScanBias(z, u, bias, h0, lengths, T, B, N, act) {
      if (!isF32(z, u, bias, h0)) return ref.indrnnScanBias!(z, u, bias, h0, lengths, T, B, N, act);
      return scanForward({ z: z as Float32Array }, u, bias, h0, lengths, T, B, N, act);
    },
    indrnnScanBiasGrad(dh, h, u, h0, lengths, T, B, N, act) {
      if (!isF32(dh, h, u, h0)) return ref.indrnnScanBiasGrad!(dh, h, u, h0, lengths, T, B, N, act);
      const { dz, du, db, dh0 } = scanBackward(dh as Float32Array, h as Float32Array, u, h0, lengths, T, B, N, act, true);
      return { dz: dz!, du, db: db!, dh0 };
    },
    // a narrow input projection (few features) inside the loop: z [T, B, N] is never stored
    indrnnScanProj(x, w, bias, u, h0, lengths, T, B, N, F, act) {
      if (!isF32(x, w, bias, u, h0)) return ref.indrnnScanProj!(x, w, bias, u, h0, lengths, T, B, N, F, act);
      return scanForward({ x: x as Float32Array, w, F }, u, bias, h0, lengths, T, B, N, act);
    },
    indrnnScanProjGrad(dh, h, x, w, u, h0, lengths, T, B, N, F, act, wantDx) {
      if (!isF32(dh, h, x, w, u, h0)) {
        return ref.indrnnScanProjGrad!(dh, h, x, w, u, h0, lengths, T, B, N, F, act, wantDx);
      }
      const proj = { x: x as Float32Array, F, wantDz: wantDx };
      const r = scanBackward(dh as Float32Array, h as Float32Array, u, h0, lengths, T, B, N, act, true, proj);
      const dw = transpose(r.dw!, F, N); // back to w's [N, F]
      // dx = dz · w: [T·B, N] · [N, F]
      const dx = wantDx ? (backend.matmul(r.dz!, w, T * B, F, N, false, false) as Float32Array) : null;
      return { dw, db: r.db!, du: r.du, dx, dh0: r.dh0 };
    },
    rnnScan(gx, whh, h0, lengths, T, B, H, act) {
      if (!isF32(gx, whh, h0)) return ref.rnnScan(gx, whh, h0, lengths, T, B, H, act);
      arena.reset();
      const pgx = arena.put(gx);
      const pw = arena.put(whh);
      const ph0 = arena.put(h0);
      const pl = putLengths(lengths);
      const h = arena.f32(T * B * H);
      k.rnnScan(
        pgx,
        pw,
        ph0,
        pl,
        T,
        B,
        H,
        ACT_CODES[act],
        h,
        arena.f32(k.packBSize(H, H)),
        packA(),
        arena.f32(B * H),
      );
      return arena.takeF32(h, T * B * H);
    },
    rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act) {
      if (!isF32(dh, h, whh, h0)) return ref.rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act);
      arena.reset();
      const pdh = arena.put(dh);
      const ph = arena.put(h);
      const pw = arena.put(whh);
      const ph0 = arena.put(h0);
      const pl = putLengths(lengths);
      const dgx = arena.f32(T * B * H);
      const dwhh = arena.f32(H * H);
      const dh0 = arena.f32(B * H);
      k.rnnScanGrad(
        pdh,
        ph,
        pw,
        ph0,
        pl,
        T,
        B,
        H,
        ACT_CODES[act],
        dgx,
        dwhh,
        dh0,
        arena.f32(k.packBSize(H, H)),
        packA(),
        arena.f32(B * H),
        arena.f32(B * H),
        arena.f32(k.packBSize(T * B, H)),
      );
      return {
        dgx: arena.takeF32(dgx, T * B * H),
        dwhh: arena.takeF32(dwhh, H * H),
        dh0: arena.takeF32(dh0, B * H),
      };
    },
    lstmScan(gx, whh, h0, c0, lengths, T, B, H) {
      if (!isF32(gx, whh, h0, c0)) return ref.lstmScan(gx, whh, h0, c0, lengths, T, B, H);
      arena.reset();
      const pgx = arena.put(gx);
      const pw = arena.put(whh);
      const ph0 = arena.put(h0);
      const pc0 = arena.put(c0);
      const pl = putLengths(lengths);
      const h = arena.f32(T * B * H);
      const c = arena.f32(T * B * H);
      const gates = arena.f32(T * B * 4 * H);
      k.lstmScan(
        pgx,
        pw,
        ph0,
        pc0,
        pl,
        T,
        B,
        H,
        h,
        c,
        gates,
        arena.f32(k.packBSize(H, 4 * H)),
        packA(),
        arena.f32(B * 4 * H),
      );
      return {
        h: arena.takeF32(h, T * B * H),
        c: arena.takeF32(c, T * B * H),
        gates: arena.takeF32(gates, T * B * 4 * H),
      };
    },
    lstmScanGrad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H) {
      if (!isF32(dh, dc, gates, h, c, whh, h0, c0)) {
        return ref.lstmScanGrad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H);
      }
      arena.reset();
      const args = [dh, dc, gates, h, c, whh, h0, c0].map((x) => arena.put(x));
      const pl = putLengths(lengths);
      const dgx = arena.f32(T * B * 4 * H);
      const dwhh = arena.f32(4 * H * H);
      const dh0 = arena.f32(B * H);
      const dc0 = arena.f32(B * H);
      const [pdh, pdc, pg, ph, pc, pw, ph0, pc0] = args as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      k.lstmScanGrad(
        pdh,
        pdc,
        pg,
        ph,
        pc,
        pw,
        ph0,
        pc0,
        pl,
        T,
        B,
        H,
        dgx,
        dwhh,
        dh0,
        dc0,
        arena.f32(k.packBSize(4 * H, H)),
        packA(),
        arena.f32(B * H),
        arena.f32(B * H),
        arena.f32(B * H),
        arena.f32(k.packBSize(T * B, H)),
      );
      return {
        dgx: arena.takeF32(dgx, T * B * 4 * H),
        dwhh: arena.takeF32(dwhh, 4 * H * H),
        dh0: arena.takeF32(dh0, B * H),
        dc0: arena.takeF32(dc0, B * H),
      };
    },

    // ---- optimizer updates (in place) ----
    adamStep(param, grad, m, v, hp: AdamHyper) {
      if (!isF32(param, grad, m, v)) return ref.adamStep(param, grad, m, v, hp);
      arena.reset();
      const pp = arena.put(param);
      const pg = arena.put(grad);
      const pm = arena.put(m);
      const pv = arena.put(v);
      const bc1 = 1 - Math.pow(hp.beta1, hp.step);
      const bc2 = 1 - Math.pow(hp.beta2, hp.step);
      const { lr, beta1, beta2, eps, weightDecay } = hp;
      k.adamStep(
        pp,
        pg,
        pm,
        pv,
        param.length,
        lr,
        beta1,
        beta2,
        1 - beta1,
        1 - beta2,
        eps,
        weightDecay,
        bc1,
        bc2,
      );
      arena.copyOut(pp, param as Float32Array);
      arena.copyOut(pm, m as Float32Array);
      arena.copyOut(pv, v as Float32Array);
    },
    sgdStep(param, grad, buf, hp: SgdHyper) {
      if (!isF32(param, grad, buf)) return ref.sgdStep(param, grad, buf, hp);
      arena.reset();
      const pp = arena.put(param);
      const pg = arena.put(grad);
      const pb = arena.put(buf);
      k.sgdStep(
        pp,
        pg,
        pb,
        param.length,
        hp.lr,
        hp.momentum,
        1 - hp.dampening,
        +hp.nesterov,
        hp.weightDecay,
        +hp.hasMomentum,
      );
      arena.copyOut(pp, param as Float32Array);
      arena.copyOut(pb, buf as Float32Array);
    },
  };
  return backend;
}
