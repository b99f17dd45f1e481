/**
 * A small reader and writer for NumPy's .npy format, enough for the authors' NTU arrays
 * (`train_ntus.npy` float (N, 300, 50, 3), `_label.npy` and `_len.npy` integers).
 *
 * Layout: magic "\x93NUMPY", version major/minor bytes, header length (uint16 LE for v1,
 * uint32 LE for v2/v3), an ASCII Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (N, M), }
 * padded with spaces and ended by '\n', then the raw data. Supported: little-endian '<f4', '<f8',
 * '<i4', '<i8' in C order; anything else is an error that names the dtype found.
 */
import { fail } from '../util/errors.js';
import { ByteReader, decodeAscii, failIfGzip } from './bytes.js';

export type NpyDescr = '<f4' | '<f8' | '<i4' | '<i8';
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface NpyArray {
  descr: NpyDescr;
  shape: number[];
  /** prod(shape) elements in C (row-major) order. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_BYTES: Record<NpyDescr, number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8 };
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses the header dict; `at` is the header's byte offset, for messages. */
function parseHeader(
  header: string,
  name: string,
  at: number,
): { descr: NpyDescr; shape: number[] } {
  const h = header.trim();
  if (!h.startsWith('{') || !h.endsWith('}')) {
    fail(
      `${name}: .npy header at offset ${at} is not a Python dict literal: ` +
        `${JSON.stringify(h.slice(0, 80))}`,
    );
  }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(h)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(h)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(
      `${name}: .npy header at offset ${at} lacks 'descr', 'fortran_order' or 'shape': ` +
        `${JSON.stringify(h.slice(0, 120))}`,
    );
  }
  if (!(descr in ITEM_BYTES)) {
    fail(
      `${name}: unsupported .npy dtype '${descr}' (header at offset ${at}); supported: '<f4', ` +
        `'<f8', '<i4', '<i8' (little-endian)`,
    );
  }
  if (fortran === 'True')
    fail(
      `${name}: .npy array is in Fortran order; only C order is supported (save with ` +
        `np.ascontiguousarray)`,
    );
  const shape: number[] = [];
  for (const part of shapeText.split(',')) {
    const s = part.trim();
    if (s === '') continue;
    if (!/^\d+L?$/.test(s))
      fail(
        `${name}: .npy shape (${shapeText}) has a non-integer dimension '${s}' (header at offset ` +
          `${at})`,
      );
    shape.push(Number.parseInt(s, 10));
  }
  return { descr: descr as NpyDescr, shape };
}

/** What a .npy header says: the element type, the shape, and where the data starts. */
export interface NpyHeader {
  descr: NpyDescr;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** prod(shape) · item size. */
  dataBytes: number;
}

/**
 * Parses the magic, version and header of a .npy file from its first bytes (the whole file, or
 * a prefix long enough to hold the header: readers of arrays larger than memory read the data
 * themselves from `dataOffset`). `name` is used in error messages.
 */
export function parseNpyHeader(bytes: Uint8Array, name = 'array.npy'): NpyHeader {
  failIfGzip(bytes, name);
  const r = new ByteReader(bytes, name);
  const magic = r.take(6, 'the .npy magic "\\x93NUMPY"');
  if (!MAGIC.every((b, i) => magic[i] === b)) {
    const got = Array.from(magic, (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(
      `${name}: bad magic ${got} at offset 0, expected 93 4e 55 4d 50 59 ("\\x93NUMPY"); not a ` +
        `.npy file`,
    );
  }
  const major = r.u8('the .npy major version');
  r.u8('the .npy minor version');
  if (major < 1 || major > 3)
    fail(`${name}: unsupported .npy version ${major} at offset 6, expected 1, 2 or 3`);
  const headerLen =
    major === 1 ? r.u16le('the .npy header length') : r.u32le('the .npy header length');
  const headerAt = r.offset;
  const header = decodeAscii(
    r.take(headerLen, `the ${headerLen}-byte .npy header`),
    name,
    'a .npy header',
  );
  const { descr, shape } = parseHeader(header, name, headerAt);
  const count = shape.reduce((a, d) => a * d, 1);
  return { descr, shape, dataOffset: r.offset, dataBytes: count * ITEM_BYTES[descr] };
}

/**
 * Fails unless the data after the header is exactly what the header declares (`available` bytes
 * from `dataOffset` to the end of the file).
 */
export function checkNpyDataSize(h: NpyHeader, available: number, name: string): void {
  if (h.dataBytes !== available) {
    const why = h.dataBytes > available ? 'truncated file?' : 'extra bytes at the end?';
    fail(
      `${name}: .npy header declares shape (${h.shape.join(', ')}) of ${h.descr} = ${h.dataBytes} ` +
        `bytes of data at offset ${h.dataOffset}, but the file has ${available} bytes there ` +
        `(${why})`,
    );
  }
}

/** Bytes per element of a .npy dtype. */
export function npyItemBytes(descr: NpyDescr): number {
  return ITEM_BYTES[descr];
}

/** Parses a .npy file. `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = 'array.npy'): NpyArray {
  const h = parseNpyHeader(bytes, name);
  // Check the size before allocating: a corrupt header may claim a huge shape.
  checkNpyDataSize(h, bytes.length - h.dataOffset, name);
  const count = h.dataBytes / ITEM_BYTES[h.descr];
  return { descr: h.descr, shape: h.shape, data: decodeNpyData(bytes.subarray(h.dataOffset), h.descr, count) };
}

/** Little-endian .npy elements → a typed array of `count` elements (always a copy). */
export function decodeNpyData(raw: Uint8Array, descr: NpyDescr, count: number): NpyData {
  if (LITTLE_ENDIAN_HOST) {
    // A copy starts at offset 0, so any alignment works. Not raw.slice(): on a Buffer, a view.
    const aligned = new Uint8Array(raw).buffer;
    if (descr === '<f4') return new Float32Array(aligned, 0, count);
    if (descr === '<f8') return new Float64Array(aligned, 0, count);
    if (descr === '<i4') return new Int32Array(aligned, 0, count);
    return new BigInt64Array(aligned, 0, count);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (descr === '<f4')
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  if (descr === '<f8')
    return Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
  if (descr === '<i4')
    return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
  return BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(8 * i, true));
}

function descrOf(data: NpyData): NpyDescr {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  return '<i8';
}

/** Writes a v1 .npy file (header padded to a multiple of 64 bytes, as NumPy does). */
export function encodeNpy(shape: readonly number[], data: NpyData): Uint8Array {
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== data.length)
    fail(`encodeNpy: shape (${shape.join(', ')}) needs ${count} elements, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) body.setFloat32(4 * i, data[i]!, true);
    else if (data instanceof Float64Array) body.setFloat64(8 * i, data[i]!, true);
    else if (data instanceof Int32Array) body.setInt32(4 * i, data[i]!, true);
    else body.setBigInt64(8 * i, data[i]!, true);
  }
  return out;
}

/**
 * The values of an array as int32 (labels, lengths). Every value must be an integer within
 * [min, max]; the message names the first element that is not.
 */
export function npyToInt32(arr: NpyArray, name: string, min: number, max: number): Int32Array {
  const out = new Int32Array(arr.data.length);
  for (let i = 0; i < arr.data.length; i++) {
    const v = Number(arr.data[i]!);
    if (!Number.isInteger(v) || v < min || v > max) {
      fail(
        `${name}: element ${i} is ${String(arr.data[i])}, expected an integer in ${min}..${max}`,
      );
    }
    out[i] = v;
  }
  return out;
}
