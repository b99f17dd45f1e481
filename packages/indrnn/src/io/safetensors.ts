/**
 * safetensors (the format PyTorch users load directly): 8-byte little-endian header length n, then n
 * bytes of JSON mapping tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the end of the header) plus an optional "__metadata__" string map, then the raw little-endian data.
 * The decoder validates everything and names the file and the problem; it never trusts sizes.
 */
import { arrayFor, type DType, type TypedArray } from '../tensor/dtype.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import type { Backend } from '../backend/backend.js';
import { fail } from '../util/errors.js';
import { isRawDType, RAW_ITEM_SIZE, rawSize, type RawDType, type RawTensor } from './raw.js';

const DTYPE_CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const CODE_DTYPES: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32' };
const ITEM_SIZE: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
/** Headers larger than this are rejected before parsing (real ones are kilobytes). */
const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: Iterable<[string, Tensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const entries: [string, RawTensor][] = [];
  for (const [name, t] of tensors) {
    const data = t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    entries.push([name, { dtype: DTYPE_CODES[t.dtype] as RawDType, shape: [...t.shape], data: littleEndian(bytes, ITEM_SIZE[t.dtype]) }]);
  }
  return encodeSafetensorsRaw(entries, metadata);
}

/** safetensors bytes from raw (little-endian) tensors of any dtype, in the order given. */
export function encodeSafetensorsRaw(tensors: Iterable<[string, RawTensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...tensors];
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = rawSize(t.shape) * RAW_ITEM_SIZE[t.dtype];
    if (bytes !== t.data.length) fail(`encodeSafetensors: tensor '${name}' has ${t.data.length} bytes of data, but shape [${t.shape.join(', ')}] of ${t.dtype} needs ${bytes}`);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // pad with spaces so the data starts 8-byte aligned (as the reference implementation does)
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    out.set(t.data, pos);
    pos += t.data.length;
  }
  return out;
}

const HOST_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte-swaps each item on big-endian hosts; identity (no copy) on little-endian ones. */
function littleEndian(bytes: Uint8Array, itemSize: number): Uint8Array {
  if (HOST_IS_LE) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += itemSize) for (let j = 0; j < itemSize; j++) out[i + j] = bytes[i + itemSize - 1 - j]!;
  return out;
}

export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes; `source` (a file name) prefixes every error message. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data', backend?: Backend): DecodedSafetensors {
  const raw = decodeSafetensorsRaw(bytes, source);
  const tensors = new Map<string, Tensor>();
  for (const [name, r] of raw.tensors) {
    const dtype = CODE_DTYPES[r.dtype];
    if (!dtype) fail(`${source}: tensor '${name}' has dtype ${JSON.stringify(r.dtype)}; supported: F32, F64, I32; the file is not valid safetensors (truncated or corrupt?)`);
    const arr: TypedArray = arrayFor(dtype, rawSize(r.shape));
    new Uint8Array(arr.buffer).set(littleEndian(r.data, ITEM_SIZE[dtype]));
    tensors.set(name, tensor(arr, r.shape, dtype, backend));
  }
  return { tensors, metadata: raw.metadata };
}

export interface DecodedSafetensorsRaw {
  /** In file order; data is little-endian as stored. */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/**
 * Parses safetensors bytes of any common dtype (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)
 * without converting them, as PyTorch's safetensors files hold (int64 num_batches_tracked, half weights).
 */
export function decodeSafetensorsRaw(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensorsRaw {
  const bad = (what: string): never => fail(`${source}: ${what}; the file is not valid safetensors (truncated or corrupt?)`);
  if (bytes.length < 8) bad(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) bad(`header length ${n} at offset 0 exceeds the ${bytes.length - 8} bytes that follow`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    bad(`header (bytes 8..${8 + headerLen}) is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry) || Object.values(entry).some((v) => typeof v !== 'string')) {
        bad('__metadata__ must be an object of strings');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') bad(`entry '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !isRawDType(e.dtype)) bad(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(RAW_ITEM_SIZE).join(', ')}`);
    const code = e.dtype as RawDType;
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const count = rawSize(shape as number[]);
    const item = RAW_ITEM_SIZE[code];
    if (end < begin || end - begin !== count * item) {
      bad(`tensor '${name}' data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${(shape as number[]).join(', ')}] of ${code} needs ${count * item}`);
    }
    if (end > dataLen) bad(`tensor '${name}' data ends at byte ${dataStart + end}, past the end of the file (${bytes.length} bytes)`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype: code, shape: shape as number[], data: bytes.slice(dataStart + begin, dataStart + end) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) bad(`tensors '${ranges[i - 1]![2]}' and '${ranges[i]![2]}' overlap`);
  }
  return { tensors, metadata };
}
