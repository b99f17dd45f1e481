/**
 * The step's one gradient all-reduce: every gradient, scaled by this rank's share of the batch, is
 * copied into one flat float32 buffer with the loss and the training metrics behind it, the buffer
 * is summed over the ranks (in buckets when large), and the sums come back as the gradients. A GPU
 * backend concatenates its gradients on the device first, so the buffer crosses to the host once
 * each way (host staging).
 */
import type { Parameter } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { fail } from '../util/errors.js';
import type { Communicator } from './communicator.js';

/** Elements per all-reduce call (64 MiB of float32 by default; INDRNN_ALLREDUCE_BUCKET_MB). */
export function bucketElements(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['INDRNN_ALLREDUCE_BUCKET_MB'];
  const mb = env && Number(env) > 0 ? Number(env) : 64;
  return Math.max(1024, Math.floor((mb * 1024 * 1024) / 4));
}

export interface ReducedStep {
  loss: number;
  metrics: Record<string, number>;
}

/** Sums buf over the ranks, `bucket` elements per call. */
export function allreduceInBuckets(comm: Communicator, buf: Float32Array, bucket = bucketElements()): void {
  for (let at = 0; at < buf.length; at += bucket) comm.allreduce(buf.subarray(at, Math.min(buf.length, at + bucket)), 'sum');
}

export class GradientReducer {
  private buffer = new Float32Array(0);

  constructor(private readonly comm: Communicator) {}

  /**
   * Replaces every parameter's gradient by the sum over the ranks of weight × gradient (weight =
   * this rank's share of the batch, so the sum is the gradient of the whole batch's mean loss), and
   * returns the loss and metrics summed the same way. A parameter that has no gradient on any rank
   * keeps none (so the optimizer skips it, as in one process).
   */
  reduce(params: readonly Parameter[], weight: number, loss: number, metrics: Record<string, number>): ReducedStep {
    const names = Object.keys(metrics).sort();
    let total = 0;
    for (const p of params) {
      if (p.dtype !== 'float32') fail(`data-parallel training supports float32 parameters; got ${p.dtype} (${p.shape.join('×')})`);
      total += p.size;
    }
    // after the gradients: one presence flag per parameter, the loss, the metrics
    const extras = params.length + 1 + names.length;
    if (this.buffer.length !== total + extras) this.buffer = new Float32Array(total + extras);
    const buf = this.buffer;
    buf.fill(0, total);
    this.flatten(params, weight, buf);
    params.forEach((p, i) => {
      if (p.grad) buf[total + i] = 1;
    });
    buf[total + params.length] = loss * weight;
    names.forEach((n, i) => (buf[total + params.length + 1 + i] = metrics[n]! * weight));

    allreduceInBuckets(this.comm, buf);

    this.unflatten(params, buf, total);
    const out: Record<string, number> = {};
    names.forEach((n, i) => (out[n] = buf[total + params.length + 1 + i]!));
    return { loss: buf[total + params.length]!, metrics: out };
  }

  /** weight × each gradient into buf[0 … total) (zeros where a parameter has none). */
  private flatten(params: readonly Parameter[], weight: number, buf: Float32Array): void {
    const withGrad = params.filter((p) => p.grad);
    const host = withGrad.length > 0 && withGrad.every((p) => ArrayBuffer.isView(p.grad!.storage));
    let device: Float32Array | null = null;
    if (!host && withGrad.length > 0) {
      // a device backend: one concatenation on the device, one download
      const b = withGrad[0]!.backend;
      const flat = b.concat(withGrad.map((p) => p.grad!.storage), withGrad.map((p) => [p.size]), 0);
      device = b.toHost(flat) as Float32Array; // flat is a kernel output: the step's tidy scope frees it
    }
    let at = 0;
    let d = 0;
    for (const p of params) {
      if (!p.grad) {
        buf.fill(0, at, at + p.size);
      } else {
        const g = device ? device.subarray(d, d + p.size) : (p.grad.data() as Float32Array);
        d += p.size;
        if (weight === 1) buf.set(g, at);
        else for (let i = 0; i < p.size; i++) buf[at + i] = g[i]! * weight;
      }
      at += p.size;
    }
  }

  /** The summed gradients back into fresh gradient tensors (grads may share storage, so never in place). */
  private unflatten(params: readonly Parameter[], buf: Float32Array, total: number): void {
    const any = params.find((p) => p.grad) ?? params[0];
    if (!any) return;
    const b = any.backend;
    const host = ArrayBuffer.isView(any.storage);
    const device = host ? null : b.fromHost(buf.slice(0, total));
    let at = 0;
    params.forEach((p, i) => {
      if (buf[total + i]! > 0) {
        const storage = device ? b.slice(device, [total], [at], [p.size]) : b.fromHost(buf.slice(at, at + p.size));
        p.grad = new Tensor(storage, p.shape, p.dtype, b);
      } else {
        p.grad = null;
      }
      at += p.size;
    });
    if (device) b.free(device);
  }
}
