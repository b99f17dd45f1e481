/**
 * IDX, the MNIST file format (also used by Fashion-MNIST). Layout, all integers big-endian:
 *
 *   offset 0  magic: 0x00 0x00 <type> <ndims>   type 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32,
 *                                               0x0D float32, 0x0E float64
 *   offset 4  ndims × uint32 dimension sizes
 *   then      prod(dims) elements, row-major
 *
 * MNIST images are magic 2051 (0x00000803: ubyte, 3 dims [N, rows, cols]); labels 2049 (0x00000801:
 * ubyte, 1 dim [N]). Parsers here take decompressed bytes; the Node reader gunzips `.gz` files.
 */
import { fail } from '../util/errors.js';
import { ByteReader, failIfGzip, hex32 } from './bytes.js';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

export type IdxData =
  Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** Element type code from the magic (0x08 ubyte … 0x0E float64). */
  typeCode: number;
  dims: number[];
  /** prod(dims) elements, row-major. */
  data: IdxData;
}

interface IdxType {
  name: string;
  bytes: number;
  make(n: number): IdxData;
  read(view: DataView, offset: number): number;
}

const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'ubyte', bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { name: 'byte', bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: {
    name: 'int16',
    bytes: 2,
    make: (n) => new Int16Array(n),
    read: (v, o) => v.getInt16(o, false),
  },
  0x0c: {
    name: 'int32',
    bytes: 4,
    make: (n) => new Int32Array(n),
    read: (v, o) => v.getInt32(o, false),
  },
  0x0d: {
    name: 'float32',
    bytes: 4,
    make: (n) => new Float32Array(n),
    read: (v, o) => v.getFloat32(o, false),
  },
  0x0e: {
    name: 'float64',
    bytes: 8,
    make: (n) => new Float64Array(n),
    read: (v, o) => v.getFloat64(o, false),
  },
};

/** What a magic number looks like, for error messages ("0x00000801 is an IDX labels file"). */
export function describeIdxMagic(magic: number): string {
  if (magic === IDX_IMAGES_MAGIC) return 'an IDX images file (ubyte, 3 dims)';
  if (magic === IDX_LABELS_MAGIC) return 'an IDX labels file (ubyte, 1 dim)';
  if (magic >>> 16 === 0x1f8b) return 'gzip data (decompress it first)';
  if (magic >>> 16 !== 0) return 'not an IDX file (IDX magics start with two zero bytes)';
  const type = IDX_TYPES[(magic >>> 8) & 0xff];
  const dims = magic & 0xff;
  return type
    ? `an IDX ${type.name} file with ${dims} dims`
    : `an IDX header with unknown type ${hex32((magic >>> 8) & 0xff)}`;
}

/** Parses any IDX file. `name` is used in error messages (pass the file name). */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  failIfGzip(bytes, name);
  const r = new ByteReader(bytes, name);
  r.need(4, 'the IDX magic number');
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      `${name}: bad magic ${hex32(magic)} at offset 0, expected an IDX file (00 00 <type> ` +
        `<ndims>); ${hex32(magic)} is ${describeIdxMagic(magic)}`,
    );
  }
  const typeCode = bytes[2]!;
  const type = IDX_TYPES[typeCode];
  if (!type) {
    fail(
      `${name}: unknown IDX element type 0x${typeCode.toString(16).padStart(2, '0')} at ` +
        `offset 2, expected one of 0x08 (ubyte), 0x09 (byte), 0x0b (int16), 0x0c (int32), ` +
        `0x0d (float32), 0x0e (float64)`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims === 0)
    fail(`${name}: IDX header at offset 3 declares 0 dimensions, expected at least 1`);
  r.offset = 4;
  r.need(4 * ndims, `the ${ndims} dimension sizes of the IDX header`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(r.u32be(`dimension ${i}`));
  // Compare sizes before allocating anything: a corrupt header may claim billions of elements.
  // The product is exact below 2^53 and huge (never equal to a real file size) above it.
  const count = dims.reduce((a, d) => a * d, 1);
  const dataBytes = count * type.bytes;
  if (dataBytes !== r.remaining) {
    const why =
      dataBytes > r.remaining ? 'truncated file?' : 'extra bytes at the end, or a wrong header?';
    fail(
      `${name}: IDX header declares dims [${dims.join(', ')}] of ${type.name} = ${count} ` +
        `elements (${dataBytes} bytes) after the ${r.offset}-byte header, but the file has ` +
        `${r.remaining} bytes there (${why})`,
    );
  }
  let data: IdxData;
  if (type.bytes === 1) {
    // Copy through the constructor: on a Node Buffer, .slice() would return a view, not a copy.
    const raw = new Uint8Array(bytes.subarray(r.offset, r.offset + count));
    data = typeCode === 0x08 ? raw : new Int8Array(raw.buffer);
  } else {
    data = type.make(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset + r.offset, dataBytes);
    for (let i = 0; i < count; i++) data[i] = type.read(view, i * type.bytes);
  }
  return { typeCode, dims, data };
}

/** Fails unless the magic at offset 0 is `expected`, naming what the file looks like instead. */
function checkMagic(bytes: Uint8Array, name: string, expected: number, kind: string): void {
  failIfGzip(bytes, name);
  new ByteReader(bytes, name).need(4, 'the IDX magic number');
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  if (magic !== expected) {
    const other = expected === IDX_IMAGES_MAGIC ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
    const hint = magic === other ? ' (are the images and labels files swapped?)' : '';
    fail(
      `${name}: bad magic ${hex32(magic)} at offset 0, expected ${expected} ` +
        `(${hex32(expected)}, IDX ${kind}); ${hex32(magic)} is ${describeIdxMagic(magic)}${hint}`,
    );
  }
}

/** MNIST-format images (magic 2051). pixels: Uint8Array [count, rows·cols], row-major. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export function parseIdxImages(bytes: Uint8Array, name = 'images'): IdxImages {
  checkMagic(bytes, name, IDX_IMAGES_MAGIC, 'images');
  const arr = parseIdx(bytes, name);
  const [count, rows, cols] = arr.dims as [number, number, number];
  return { count, rows, cols, pixels: arr.data as Uint8Array };
}

/**
 * MNIST-format labels (magic 2049) as int32 [count]. With `numClasses`, every label must be in
 * [0, numClasses); the message gives the index and byte offset of the first one that is not.
 */
export function parseIdxLabels(
  bytes: Uint8Array,
  name = 'labels',
  numClasses?: number,
): Int32Array {
  checkMagic(bytes, name, IDX_LABELS_MAGIC, 'labels');
  const raw = parseIdx(bytes, name).data as Uint8Array;
  const labels = Int32Array.from(raw);
  if (numClasses !== undefined) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i]! >= numClasses) {
        fail(
          `${name}: label ${labels[i]} of item ${i} (offset ${8 + i}) is outside ` +
            `0..${numClasses - 1}`,
        );
      }
    }
  }
  return labels;
}

/** Serialises an IdxArray (the inverse of parseIdx), e.g. to write a small fixture or a subset. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const type = IDX_TYPES[arr.typeCode];
  if (!type) fail(`encodeIdx: unknown IDX type code ${hex32(arr.typeCode)}`);
  const count = arr.dims.reduce((a, d) => a * d, 1);
  if (count !== arr.data.length) {
    fail(
      `encodeIdx: dims [${arr.dims.join(', ')}] need ${count} elements, data has ` +
        `${arr.data.length}`,
    );
  }
  if (arr.dims.length < 1 || arr.dims.length > 255)
    fail(`encodeIdx: need 1..255 dims, got ${arr.dims.length}`);
  const header = 4 + 4 * arr.dims.length;
  const out = new Uint8Array(header + count * type.bytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, (arr.typeCode << 8) | arr.dims.length, false);
  arr.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const o = header + i * type.bytes;
    const v = arr.data[i]!;
    switch (arr.typeCode) {
      case 0x08:
        view.setUint8(o, v);
        break;
      case 0x09:
        view.setInt8(o, v);
        break;
      case 0x0b:
        view.setInt16(o, v, false);
        break;
      case 0x0c:
        view.setInt32(o, v, false);
        break;
      case 0x0d:
        view.setFloat32(o, v, false);
        break;
      default:
        view.setFloat64(o, v, false);
    }
  }
  return out;
}
