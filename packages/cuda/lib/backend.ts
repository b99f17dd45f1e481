/**
 * The 'cuda' backend: the Backend interface over device memory. A tensor's storage is a small
 * CudaStorage handle (dtype, element count, and the device buffer the addon attaches to it); data
 * moves only through fromHost / toHost. Every kernel is queued on one CUDA stream and returns at
 * once; toHost (and sumSquares, which returns a number) are the only synchronisation points.
 *
 * Lifetime: free(s) (Tensor.dispose) returns the memory at once, stream-ordered. Otherwise a
 * storage is released when V8 collects its handle: the addon's finalizer runs inside the GC, and
 * the allocator asks for a collection when live device memory passes its budget (src/memory.cc).
 *
 * float64 is not held on the device (supports('float64') is false; the core keeps float64 tensors
 * on the reference backend). Kernels given int32 where they compute in float32 (int arithmetic is
 * rare: labels and lengths are only moved, gathered and compared) run on the reference kernels
 * through a host round trip, so answers never depend on the backend.
 */
import type {
  Activation,
  AdamHyper,
  Backend,
  BinaryOp,
  DType,
  Shape,
  SgdHyper,
  TypedArray,
  UnaryOp,
} from 'indrnn';

/** Geometry of a channels-last convolution (the Backend interface's ConvGeometry). */
type ConvGeometry = Parameters<NonNullable<Backend['im2col']>>[1];
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import {
  addon,
  loadError,
  type CudaAddon,
  type DeviceInfo,
  type MemoryStats,
  type ProfileTotal,
} from './addon.js';
import { broadcastStrides, coalesce, reducePlan, scatterPlan, sizeOf, stridesOf } from './layout.js';

type DeviceDType = 'float32' | 'int32';

/** A tensor's storage on the GPU. Treat it as opaque; `dtype` and `size` are informative. */
export class CudaStorage {
  /**
   * A host copy known to equal the device data, or null. fromHost keeps the array it was handed,
   * toHost keeps what it downloaded (up to 16 MiB), and every kernel that writes a storage in place
   * drops it. toHost returns it without a download or a synchronisation: inputs are re-read every
   * step (the model's finiteness check, sequence lengths) and never change on the device.
   */
  host: Float32Array | Int32Array | null = null;
  /**
   * sumSquares of the data while `host` is the array it was computed with (so every in-place
   * write, which drops `host`, invalidates it): the model checks its input for NaN with a
   * sumSquares every forward, and a reused input then costs no kernel and no wait.
   */
  sumSquaresOf: { host: Float32Array | Int32Array; value: number } | null = null;
  constructor(
    readonly dtype: DeviceDType,
    readonly size: number,
  ) {}
}
type S = CudaStorage;

export type CudaBackend = Omit<Backend<CudaStorage>, 'info'> & {
  /** Waits until every queued kernel has run (timing; toHost does this by itself). */
  synchronize(): void;
  /** The device, cuBLAS, and (for `indrnn info` and the bench harness) what runs the GEMMs. */
  info(): DeviceInfo & { blas: 'cublas'; threads: null; simd: null };
  memoryStats(): MemoryStats;
  /** Lets cuBLAS use TF32 tensor cores for fp32 GEMMs (off by default, as in PyTorch). */
  setTf32(on: boolean): void;
  /** While on, the GPU time of every kernel call is measured with CUDA events (a little slower). */
  setProfiling(on: boolean): void;
  /** Waits for the GPU; the time per kernel entry point since the last take, largest first. */
  takeProfile(): ProfileTotal[];
};

const UNARY: Record<UnaryOp, number> = {
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
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };
const ACT: Record<Activation, number> = { relu: 0, tanh: 1, identity: 2 };

/** Adam's scalars after the tensors, as the addon takes them: the bias corrections computed here. */
function adamScalars(hp: AdamHyper): [number, number, number, number, number, number, number] {
  const bc1 = 1 - Math.pow(hp.beta1, hp.step);
  const bc2 = 1 - Math.pow(hp.beta2, hp.step);
  return [hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, bc1, bc2];
}
const MAX_RANK = 8;
/** Downloads up to this many elements stay cached on their storage (16 MiB). */
const HOST_CACHE_MAX = 4 << 20;

export interface CudaBackendOptions {
  /** Kernels for int32 arithmetic (default: indrnn's reference backend). */
  reference?: Backend;
  /** Device index (default: INDRNN_CUDA_DEVICE or 0). */
  device?: number;
  /**
   * Registers a kernel output with the open `tidy` scope, which frees it when the scope closes
   * (default: the core's trackStorage). The registry passes its own, so both share one scope stack.
   */
  track?: Track;
}

/** An Error whose code marks the expected absence of a GPU (the registry skips it quietly). */
export class CudaUnavailableError extends Error {
  readonly code = 'ERR_INDRNN_CUDA_UNAVAILABLE';
}

/**
 * Whether the backend can run here, without creating a CUDA context: the addon is built and the
 * NVIDIA driver reports a device. Never throws.
 */
export function probeCuda(): { ok: true } | { ok: false; reason: string } {
  if (!addon) return { ok: false, reason: loadError ?? 'the addon did not load' };
  const p = addon.probe();
  return p.ok ? { ok: true } : { ok: false, reason: p.reason };
}

/** What this backend takes from the core at run time (its reference kernels and tidy scopes). */
type Track = <T extends object>(storage: T, release: (storage: T) => void) => T;
interface CoreModule {
  referenceBackend(): Backend;
  trackStorage: Track;
}

/** The core package's entry, loaded through require (this package is CommonJS). */
function loadCore(): CoreModule {
  const pkgJson = require.resolve('indrnn/package.json');
  type PackageJson = { main?: string; exports?: { '.'?: { import?: string } } };
  const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as PackageJson;
  const main = pkg.exports?.['.']?.import ?? pkg.main ?? 'index.js';
  const entry = path.join(path.dirname(pkgJson), main);
  return require(entry) as CoreModule;
}

/**
 * A function that runs a garbage collection, for the allocator's memory budget: `gc` when Node was
 * started with --expose-gc, else the same function obtained through a V8 flag. Null if neither
 * works (device memory is then freed only by dispose() and collections V8 starts by itself).
 */
function collector(): ((major: boolean) => void) | null {
  type Gc = (options?: { type: 'minor' | 'major' }) => void;
  let gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      return null;
    }
  }
  const run = gc;
  return (major) => (major ? run({ type: 'major' }) : run({ type: 'minor' }));
}

/** Creates the backend on the first use of the GPU; throws, saying why, when it cannot run here. */
export function createCudaBackend(options: CudaBackendOptions = {}): CudaBackend {
  const probe = probeCuda();
  if (!probe.ok) throw new CudaUnavailableError(`@indrnn/cuda: ${probe.reason}`);
  const k: CudaAddon = addon!;
  const envDevice = Number(process.env['INDRNN_CUDA_DEVICE'] ?? '0');
  const device = options.device ?? (Number.isInteger(envDevice) ? envDevice : 0);
  const deviceInfo = k.init(device);
  const gc = collector();
  if (gc) k.setCollector(gc);
  if (process.env['INDRNN_CUDA_TF32'] === '1') k.setTf32(true);

  let core: CoreModule | undefined;
  let refCache = options.reference as Backend<TypedArray> | undefined;
  const ref = (): Backend<TypedArray> =>
    (refCache ??= (core ??= loadCore()).referenceBackend() as Backend<TypedArray>);
  const track: Track = options.track ?? ((s, r) => (core ??= loadCore()).trackStorage(s, r));
  const release = (s: S): void => {
    s.host = null;
    k.free(s);
  };

  /** New device memory; a kernel output unless `owned` (alloc, fromHost, clone): tidy frees those. */
  const fresh = (dtype: DeviceDType, size: number, zero = false, owned = false): S => {
    const s = new CudaStorage(dtype, size);
    k.alloc(s, dtype === 'float32' ? 0 : 1, size, zero);
    return owned ? s : track(s, release);
  };
  const f32 = (size: number): S => fresh('float32', size);
  /** A device copy of s: owned for clone(), a tidy-freed kernel output otherwise. */
  const copyOf = (s: S, owned: boolean): S => {
    const c = fresh(s.dtype, s.size, false, owned);
    k.copy(c, s);
    return c;
  };
  const isF32 = (...xs: S[]): boolean => xs.every((x) => x.dtype === 'float32');
  const lengthsOk = (l: S | null): boolean => l === null || l.dtype === 'int32';

  const upload = (data: TypedArray, owned = false): S => {
    if (data instanceof Float64Array) {
      throw new Error(
        'cuda: fromHost: float64 is not supported on the GPU (the core keeps float64 on the ' +
          'reference backend)',
      );
    }
    const s = fresh(data instanceof Float32Array ? 'float32' : 'int32', data.length, false, owned);
    k.upload(s, data);
    s.host = data; // the caller hands the array over (the Backend contract of fromHost)
    return s;
  };
  /** Every array of a host (reference-kernel) result, uploaded under the same name. */
  const uploadAll = <K extends string>(r: Record<K, TypedArray>): Record<K, S> => {
    const out = {} as Record<K, S>;
    for (const name in r) out[name] = upload(r[name]);
    return out;
  };
  /** New float32 outputs of one kernel call, by name and size, allocated in that order. */
  const f32Outputs = <K extends string>(sizes: Record<K, number>): Record<K, S> => {
    const out = {} as Record<K, S>;
    for (const name in sizes) out[name] = f32(sizes[name]);
    return out;
  };
  /** The data on the host: the cached copy, else a download (synchronises). Do not mutate it. */
  const download = (s: S): Float32Array | Int32Array => {
    if (s.host) return s.host;
    const out = s.dtype === 'float32' ? new Float32Array(s.size) : new Int32Array(s.size);
    k.download(s, out);
    if (s.size <= HOST_CACHE_MAX) s.host = out;
    return out;
  };
  /** Copies host data into an existing storage (in-place ops that ran on the host). */
  const overwrite = (s: S, data: TypedArray): void => {
    const copy = s.dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
    k.upload(s, copy);
    s.host = copy;
  };

  /** strided gather with a coalesced layout; false when the layout is too deep for the kernel. */
  const gather = (out: S, x: S, shape: Shape, strides: readonly number[], base: number) => {
    const c = coalesce(shape, [strides]);
    if (c.shape.length > MAX_RANK) return false;
    k.gather(out, x, c.shape, c.strides[0]!, base);
    return true;
  };

  /** The IndRNN scan, with the projection bias folded in when bias is given. */
  const scan = (
    what: string, z: S, u: S, bias: S | null, h0: S, lengths: S | null,
    T: number, B: number, N: number, act: Activation,
  ): S => {
    if (!isF32(z, u, h0, ...(bias ? [bias] : [])) || !lengthsOk(lengths)) throw dtypeError(what);
    const h = f32(T * B * N);
    k.indrnnScan(h, z, u, h0, lengths, T, B, N, ACT[act], bias);
    return h;
  };
  /** Its reverse loop; db (Σ dz) comes out of the same pass when withBias. */
  const scanGrad = (
    what: string, dh: S, h: S, u: S, h0: S, lengths: S | null,
    T: number, B: number, N: number, act: Activation, withBias: boolean,
  ): { dz: S; du: S; db: S | null; dh0: S } => {
    if (!isF32(dh, h, u, h0) || !lengthsOk(lengths)) throw dtypeError(what);
    const dz = f32(T * B * N);
    const du = f32(N);
    const db = withBias ? f32(N) : null;
    const dh0 = f32(B * N);
    k.indrnnScanGrad(dz, du, dh0, dh, h, u, h0, lengths, T, B, N, ACT[act], db);
    return { dz, du, db, dh0 };
  };

  const backend: CudaBackend = {
    name: 'cuda',
    supports: (dtype) => dtype !== 'float64',

    // ---- storage ----
    alloc(dtype: DType, size) {
      if (dtype === 'float64') throw new Error('cuda: alloc: float64 is not supported on the GPU');
      return fresh(dtype, size, true, true);
    },
    fromHost: (data) => upload(data, true),
    toHost: download,
    free: release,
    clone: (s) => copyOf(s, true),

    // ---- elementwise ----
    unary(op, x) {
      if (!isF32(x)) return upload(ref().unary(op, download(x)));
      const y = f32(x.size);
      k.unary(UNARY[op], y, x);
      return y;
    },
    unaryGrad(op, x, y, dy) {
      if (!isF32(x, y, dy)) {
        return upload(ref().unaryGrad(op, download(x), download(y), download(dy)));
      }
      const dx = f32(dy.size);
      k.unaryGrad(UNARY[op], dx, x, y, dy);
      return dx;
    },
    binary(op, a, aShape, b, bShape, outShape) {
      const strides = [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)];
      const c = coalesce(outShape, strides);
      if (!isF32(a, b) || c.shape.length > MAX_RANK) {
        return upload(ref().binary(op, download(a), aShape, download(b), bShape, outShape));
      }
      const out = f32(sizeOf(outShape));
      k.binary(BINARY[op], out, a, b, c.shape, c.strides[0]!, c.strides[1]!);
      return out;
    },
    affine(x, scale, shift) {
      if (!isF32(x)) return upload(ref().affine(download(x), scale, shift));
      const y = f32(x.size);
      k.affine(y, x, scale, shift);
      return y;
    },
    broadcastTo(x, shape, outShape) {
      const out = fresh(x.dtype, sizeOf(outShape));
      if (!gather(out, x, outShape, broadcastStrides(shape, outShape), 0)) {
        k.free(out);
        return upload(ref().broadcastTo(download(x), shape, outShape));
      }
      return out;
    },
    reduceSum(x, shape, axes) {
      const outSize = sizeOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
      if (!isF32(x)) return upload(ref().reduceSum(download(x), shape, axes));
      const passes = reducePlan(shape, axes);
      if (passes.length === 0) return copyOf(x, false);
      let cur = x;
      passes.forEach((p, i) => {
        const out = i === passes.length - 1 ? f32(outSize) : f32(p.O * p.I);
        k.reduceSum(out, cur, p.O, p.R, p.I);
        if (cur !== x) k.free(cur); // an intermediate: stream order makes freeing it now safe
        cur = out;
      });
      return cur;
    },
    argmax(x, rows, cols) {
      if (!isF32(x)) return upload(ref().argmax(download(x), rows, cols));
      const out = fresh('int32', rows);
      k.argmax(out, x, rows, cols);
      return out;
    },
    clampInPlace(x, lo, hi) {
      if (!isF32(x)) {
        const host = download(x).slice();
        ref().clampInPlace(host, lo, hi);
        return overwrite(x, host);
      }
      x.host = null;
      k.clampInPlace(x, lo, hi);
    },
    scaleInPlace(x, scale) {
      if (!isF32(x)) {
        const host = download(x).slice();
        ref().scaleInPlace(host, scale);
        return overwrite(x, host);
      }
      x.host = null;
      k.scaleInPlace(x, scale);
    },
    sumSquares(x) {
      if (!isF32(x)) return ref().sumSquares(download(x));
      if (x.host !== null && x.sumSquaresOf?.host === x.host) return x.sumSquaresOf.value;
      const value = k.sumSquares(x);
      x.sumSquaresOf = x.host !== null ? { host: x.host, value } : null;
      return value;
    },
    cast(x, dtype) {
      if (dtype === 'float64') {
        throw new Error(
          'cuda: cast: float64 is not supported on the GPU (castTo moves it to the reference ' +
            'backend)',
        );
      }
      const out = fresh(dtype, x.size);
      k.cast(out, x);
      return out;
    },

    // ---- layout ----
    transpose(x, shape, perm) {
      const inStrides = stridesOf(shape);
      const outShape = perm.map((p) => shape[p]!);
      const out = fresh(x.dtype, x.size);
      if (
        !gather(
          out,
          x,
          outShape,
          perm.map((p) => inStrides[p]!),
          0,
        )
      ) {
        k.free(out);
        return upload(ref().transpose(download(x), shape, perm));
      }
      return out;
    },
    slice(x, shape, begin, size) {
      const strides = stridesOf(shape);
      const base = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
      const out = fresh(x.dtype, sizeOf(size));
      if (!gather(out, x, size, strides, base)) {
        k.free(out);
        return upload(ref().slice(download(x), shape, begin, size));
      }
      return out;
    },
    padSlice(x, size, begin, fullShape) {
      const strides = stridesOf(fullShape);
      const base = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
      const c = coalesce(size, [strides]);
      if (c.shape.length > MAX_RANK) {
        return upload(ref().padSlice(download(x), size, begin, fullShape));
      }
      const out = fresh(x.dtype, sizeOf(fullShape), true);
      k.scatter(out, x, c.shape, c.strides[0]!, base);
      return out;
    },
    concat(xs, shapes, axis) {
      const first = xs[0]!;
      if (!xs.every((x) => x.dtype === first.dtype)) {
        return upload(ref().concat(xs.map(download), shapes, axis));
      }
      const outer = sizeOf(shapes[0]!.slice(0, axis));
      const widths = shapes.map((s) => sizeOf(s.slice(axis)));
      const out = fresh(first.dtype, outer * widths.reduce((a, b) => a + b, 0));
      k.concat(out, xs, outer, widths);
      return out;
    },

    // ---- linear algebra ----
    matmul(a, b, m, n, kk, transA, transB) {
      if (!isF32(a, b)) {
        return upload(ref().matmul(download(a), download(b), m, n, kk, transA, transB));
      }
      const out = f32(m * n);
      k.matmul(out, a, b, m, n, kk, transA, transB);
      return out;
    },

    // ---- nn ----
    gatherRows(table, cols, idx) {
      if (!isF32(table) || idx.dtype !== 'int32') {
        return upload(ref().gatherRows(download(table), cols, download(idx)));
      }
      const out = f32(idx.size * cols);
      k.gatherRows(out, table, cols, idx);
      return out;
    },
    scatterAddRows(dy, cols, idx, rows) {
      if (!isF32(dy) || idx.dtype !== 'int32') {
        return upload(ref().scatterAddRows(download(dy), cols, download(idx), rows));
      }
      const out = fresh('float32', rows * cols, true);
      // the plan needs idx on the host: an input's cached copy (embedding ids, the reversal and
      // last-step indices are all made on the host), else a download that synchronises
      const { plan, segments, valid } = scatterPlan(download(idx) as Int32Array, rows);
      if (segments > 0 && cols > 0) k.scatterAddRows(out, dy, cols, upload(plan), segments, valid);
      return out;
    },
    softmax(x, rows, cols) {
      if (!isF32(x)) return upload(ref().softmax(download(x), rows, cols));
      const out = f32(rows * cols);
      k.softmax(out, x, rows, cols);
      return out;
    },
    softmaxCrossEntropy(logits, rows, cols, targets, ignoreIndex) {
      if (!isF32(logits) || targets.dtype !== 'int32') {
        const r = ref().softmaxCrossEntropy(
          download(logits),
          rows,
          cols,
          download(targets),
          ignoreIndex,
        );
        return { loss: upload(r.loss), probs: upload(r.probs) };
      }
      const loss = f32(rows);
      const probs = f32(rows * cols);
      k.softmaxCrossEntropy(loss, probs, logits, targets, rows, cols, ignoreIndex);
      return { loss, probs };
    },
    softmaxCrossEntropyGrad(probs, targets, dloss, rows, cols, ignoreIndex) {
      if (!isF32(probs, dloss) || targets.dtype !== 'int32') {
        return upload(
          ref().softmaxCrossEntropyGrad(
            download(probs),
            download(targets),
            download(dloss),
            rows,
            cols,
            ignoreIndex,
          ),
        );
      }
      const dx = f32(rows * cols);
      k.softmaxCrossEntropyGrad(dx, probs, targets, dloss, rows, cols, ignoreIndex);
      return dx;
    },
    batchNormTrain(x, groups, rows, channels, gamma, beta, eps) {
      if (!isF32(x, gamma, beta)) {
        const r = ref().batchNormTrain(download(x), groups, rows, channels, download(gamma), download(beta), eps);
        return uploadAll(r);
      }
      const stats = groups * channels;
      const { y, mean, variance, invStd } = f32Outputs({ y: x.size, mean: stats, variance: stats, invStd: stats });
      k.batchNormTrain(y, mean, variance, invStd, x, gamma, beta, groups, rows, channels, eps);
      return { y, mean, variance, invStd };
    },
    batchNormGrad(dy, x, groups, rows, channels, mean, invStd, gamma) {
      if (!isF32(dy, x, mean, invStd, gamma)) {
        const r = ref().batchNormGrad(
          download(dy),
          download(x),
          groups,
          rows,
          channels,
          download(mean),
          download(invStd),
          download(gamma),
        );
        return uploadAll(r);
      }
      const { dx, dgamma, dbeta } = f32Outputs({ dx: dy.size, dgamma: channels, dbeta: channels });
      k.batchNormGrad(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, groups, rows, channels);
      return { dx, dgamma, dbeta };
    },
    batchNormTrainMasked(x, T, R, channels, lengths, perStep, gamma, beta, eps) {
      if (!isF32(x, gamma, beta) || !lengthsOk(lengths)) {
        const r = ref().batchNormTrainMasked(
          download(x),
          T,
          R,
          channels,
          download(lengths),
          perStep,
          download(gamma),
          download(beta),
          eps,
        );
        return uploadAll(r);
      }
      const stats = (perStep ? T : 1) * channels;
      const { y, mean, variance, invStd } = f32Outputs({ y: x.size, mean: stats, variance: stats, invStd: stats });
      k.batchNormTrainMasked(y, mean, variance, invStd, x, lengths, gamma, beta, T, R, channels, perStep, eps);
      return { y, mean, variance, invStd };
    },
    batchNormGradMasked(dy, x, T, R, channels, lengths, perStep, mean, invStd, gamma) {
      if (!isF32(dy, x, mean, invStd, gamma) || !lengthsOk(lengths)) {
        const r = ref().batchNormGradMasked(
          download(dy),
          download(x),
          T,
          R,
          channels,
          download(lengths),
          perStep,
          download(mean),
          download(invStd),
          download(gamma),
        );
        return uploadAll(r);
      }
      const { dx, dgamma, dbeta } = f32Outputs({ dx: dy.size, dgamma: channels, dbeta: channels });
      k.batchNormGradMasked(dx, dgamma, dbeta, dy, x, lengths, mean, invStd, gamma, T, R, channels, perStep);
      return { dx, dgamma, dbeta };
    },

    // ---- recurrences ----
    indrnnScan(z, u, h0, lengths, T, B, N, act) {
      return scan('indrnnScan', z, u, null, h0, lengths, T, B, N, act);
    },
    indrnnScanGrad(dh, _z, h, u, h0, lengths, T, B, N, act) {
      // the slope is read from h, so z is not needed (as in the reference)
      const { dz, du, dh0 } = scanGrad('indrnnScanGrad', dh, h, u, h0, lengths, T, B, N, act, false);
      return { dz, du, dh0 };
    },
    // the projection bias inside the loop: no [T, B, N] add before it, no T·B-row reduction for db
    indrnnScanBias(z, u, bias, h0, lengths, T, B, N, act) {
      return scan('indrnnScanBias', z, u, bias, h0, lengths, T, B, N, act);
    },
    indrnnScanBiasGrad(dh, h, u, h0, lengths, T, B, N, act) {
      const { dz, du, db, dh0 } = scanGrad('indrnnScanBiasGrad', dh, h, u, h0, lengths, T, B, N, act, true);
      return { dz, du, db: db!, dh0 };
    },
    // a narrow input projection (F <= 8 features) inside the loop: z [T, B, N] is never stored
    indrnnScanProj(x, w, bias, u, h0, lengths, T, B, N, F, act) {
      if (!isF32(x, w, bias, u, h0) || !lengthsOk(lengths)) throw dtypeError('indrnnScanProj');
      const h = f32(T * B * N);
      k.indrnnScanProj(h, x, w, bias, u, h0, lengths, T, B, N, F, ACT[act]);
      return h;
    },
    indrnnScanProjGrad(dh, h, x, w, u, h0, lengths, T, B, N, F, act, wantDx) {
      if (!isF32(dh, h, x, w, u, h0) || !lengthsOk(lengths)) throw dtypeError('indrnnScanProjGrad');
      const dw = f32(N * F);
      const db = f32(N);
      const du = f32(N);
      const dx = wantDx ? f32(T * B * F) : null;
      const dh0 = f32(B * N);
      k.indrnnScanProjGrad(dw, db, du, dx, dh0, dh, h, x, w, u, h0, lengths, T, B, N, F, ACT[act]);
      return { dw, db, du, dx, dh0 };
    },
    rnnScan(gx, whh, h0, lengths, T, B, H, act) {
      if (!isF32(gx, whh, h0) || !lengthsOk(lengths)) throw dtypeError('rnnScan');
      const h = f32(T * B * H);
      k.rnnScan(h, gx, whh, h0, lengths, T, B, H, ACT[act]);
      return h;
    },
    rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act) {
      if (!isF32(dh, h, whh, h0) || !lengthsOk(lengths)) throw dtypeError('rnnScanGrad');
      const dgx = f32(T * B * H);
      const dwhh = f32(H * H);
      const dh0 = f32(B * H);
      k.rnnScanGrad(dgx, dwhh, dh0, dh, h, whh, h0, lengths, T, B, H, ACT[act]);
      return { dgx, dwhh, dh0 };
    },
    lstmScan(gx, whh, h0, c0, lengths, T, B, H) {
      if (!isF32(gx, whh, h0, c0) || !lengthsOk(lengths)) throw dtypeError('lstmScan');
      const h = f32(T * B * H);
      const c = f32(T * B * H);
      const gates = f32(T * B * 4 * H);
      k.lstmScan(h, c, gates, gx, whh, h0, c0, lengths, T, B, H);
      return { h, c, gates };
    },
    lstmScanGrad(dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H) {
      if (!isF32(dh, dc, gates, h, c, whh, h0, c0) || !lengthsOk(lengths)) {
        throw dtypeError('lstmScanGrad');
      }
      const dgx = f32(T * B * 4 * H);
      const dwhh = f32(4 * H * H);
      const dh0 = f32(B * H);
      const dc0 = f32(B * H);
      k.lstmScanGrad(dgx, dwhh, dh0, dc0, dh, dc, gates, h, c, whh, h0, c0, lengths, T, B, H);
      return { dgx, dwhh, dh0, dc0 };
    },

    // ---- convolution ----
    im2col(x, g) {
      const [OH, OW] = outputSize(g);
      const cols = f32(g.N * OH * OW * g.KH * g.KW * g.C);
      k.im2col(cols, x, g.N, g.H, g.W, g.C, g.KH, g.KW, g.padH, g.padW, g.strideH, g.strideW);
      return cols;
    },
    col2im(cols, g) {
      const x = f32(g.N * g.H * g.W * g.C);
      k.col2im(x, cols, g.N, g.H, g.W, g.C, g.KH, g.KW, g.padH, g.padW, g.strideH, g.strideW);
      return x;
    },

    // ---- optimizers ----
    adamStep(param, grad, m, v, hp: AdamHyper) {
      if (!isF32(param, grad, m, v)) throw dtypeError('adamStep');
      param.host = m.host = v.host = null; // updated in place
      k.adamStep(param, grad, m, v, ...adamScalars(hp));
    },
    adamStepMany(params, grads, m, v, hp: AdamHyper, gradClip, bounds) {
      if (!isF32(...params, ...grads, ...m, ...v)) throw dtypeError('adamStepMany');
      for (const s of [...params, ...m, ...v]) s.host = null; // updated in place
      if (gradClip > 0) for (const g of grads) g.host = null; // clamped in place
      k.adamStepMany(params, grads, m, v, bounds, ...adamScalars(hp), gradClip);
    },
    sgdStep(param, grad, buf, hp: SgdHyper) {
      if (!isF32(param, grad, buf)) throw dtypeError('sgdStep');
      param.host = buf.host = null; // updated in place
      k.sgdStep(
        param,
        grad,
        buf,
        hp.lr,
        hp.momentum,
        hp.dampening,
        hp.nesterov,
        hp.weightDecay,
        hp.hasMomentum,
      );
    },

    // ---- extras ----
    synchronize: () => k.synchronize(),
    info: () => ({ ...deviceInfo, blas: 'cublas', threads: null, simd: null }),
    memoryStats: () => k.memoryStats(),
    setProfiling: (on: boolean) => k.setProfiling(on),
    takeProfile: () => k.takeProfile(),
    setTf32: (on) => k.setTf32(on),
  };
  return backend;
}

function dtypeError(kernel: string): Error {
  return new Error(`cuda: ${kernel}: every tensor must be float32 (lengths int32)`);
}

/** Output height and width of a convolution (as backend/reference/conv.ts). */
function outputSize(g: ConvGeometry): [number, number] {
  return [
    Math.floor((g.H + 2 * g.padH - g.KH) / g.strideH) + 1,
    Math.floor((g.W + 2 * g.padW - g.KW) / g.strideW) + 1,
  ];
}
