/**
 * A tensor as a file holds it, before it becomes a library Tensor: a dtype code (safetensors'
 * spelling), a shape and contiguous little-endian bytes. Both PyTorch checkpoints and safetensors
 * files read into this form, so one conversion checks dtypes for both.
 */
import { tensor, type Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { fail, fmtShape } from '../util/errors.js';

export type RawDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const RAW_ITEM_SIZE: Record<RawDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export const FLOAT_RAW_DTYPES: readonly RawDType[] = ['F32', 'F64', 'F16', 'BF16'];

export interface RawTensor {
  dtype: RawDType;
  shape: number[];
  /** Contiguous, row-major, little-endian. */
  data: Uint8Array;
}

export function isRawDType(code: string): code is RawDType {
  return Object.prototype.hasOwnProperty.call(RAW_ITEM_SIZE, code);
}

export function rawSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half → number (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The values of a floating-point raw tensor as a library tensor of `dtype` (F16 and BF16 widen
 * exactly; F64 into float32 rounds, as PyTorch's load_state_dict copy does).
 */
export function rawToTensor(raw: RawTensor, dtype: DType, name: string, source: string): Tensor {
  const n = rawSize(raw.shape);
  const view = new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  switch (raw.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
      break;
    case 'BF16':
      {
        // bfloat16 is the high half of a float32
        const bits = new DataView(new ArrayBuffer(4));
        for (let i = 0; i < n; i++) {
          bits.setUint32(0, view.getUint16(2 * i, true) << 16, true);
          out[i] = bits.getFloat32(0, true);
        }
      }
      break;
    default:
      fail(`${source}: tensor '${name}' has dtype ${raw.dtype} ${fmtShape(raw.shape)}; weights must be floating point (F32, F64, F16 or BF16)`);
  }
  return tensor(out, raw.shape, dtype);
}

/** A library float tensor as raw little-endian bytes (F32 or F64). */
export function tensorToRaw(t: Tensor): RawTensor {
  const data = t.data();
  const dtype: RawDType = t.dtype === 'float64' ? 'F64' : t.dtype === 'int32' ? 'I32' : 'F32';
  const size = RAW_ITEM_SIZE[dtype];
  const bytes = new Uint8Array(data.length * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'F64') view.setFloat64(8 * i, data[i]!, true);
    else if (dtype === 'I32') view.setInt32(4 * i, data[i]!, true);
    else view.setFloat32(4 * i, data[i]!, true);
  }
  return { dtype, shape: [...t.shape], data: bytes };
}

/** An int64 scalar (BN's num_batches_tracked). */
export function int64Scalar(value: number): RawTensor {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigInt64(0, BigInt(value), true);
  return { dtype: 'I64', shape: [], data };
}
