/**
 * Reading PyTorch weight files into raw tensors by name, without Python and without running anything
 * from the file:
 * - `.pt`/`.pth` written by torch.save (PyTorch >= 1.6): a zip holding `<name>/data.pkl` (the pickled
 *   state dict, whose tensors point at storages) and `<name>/data/<key>` (each storage's raw bytes);
 * - the legacy torch.save format (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`): five
 *   pickles in a row (magic number, protocol, system info, the object, the storage keys), then each
 *   storage as an 8-byte element count and its bytes;
 * - safetensors.
 * The format is told by content, not by file name (the authors' scripts save without an extension).
 */
import { unzipSync } from 'fflate';
import { fail, fmtShape } from '../../util/errors.js';
import { decodeSafetensorsRaw } from '../safetensors.js';
import { RAW_ITEM_SIZE, rawSize, type RawDType, type RawTensor } from '../raw.js';
import {
  isTensor, PickleGlobal, PickleTuple, typeName, unpickle,
  type PickleValue, type StorageRef, type TensorRef, type UnpickleOptions,
} from './unpickler.js';

export type WeightFileFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

const STORAGE_DTYPES: Record<string, RawDType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

/** The legacy format's first pickle: this number. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

export function detectWeightFormat(bytes: Uint8Array): WeightFileFormat | null {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (bytes.length >= 3 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5 && bytes[2] === 0x8a) return 'torch-legacy';
  if (bytes.length >= 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n > 0n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b) return 'safetensors';
  }
  return null;
}

export interface ReadWeightsOptions {
  /** Names the file in errors. */
  source?: string;
  /** Read the state dict stored under this key of a checkpoint dict (e.g. 'state_dict' or 'model'). */
  key?: string;
  /** Passed to the unpickler (fuzz tests count the globals asked for). */
  onGlobal?: UnpickleOptions['onGlobal'];
}

export interface WeightFile {
  format: WeightFileFormat;
  tensors: Map<string, RawTensor>;
}

/** Reads the tensors of a weight file by name, in file order. */
export function readWeightFile(bytes: Uint8Array, options: ReadWeightsOptions = {}): WeightFile {
  const source = options.source ?? 'weights';
  const format = detectWeightFormat(bytes);
  switch (format) {
    case 'safetensors':
      if (options.key) fail(`${source}: --key ${options.key} applies to PyTorch checkpoints; a safetensors file holds one flat set of tensors`);
      return { format, tensors: decodeSafetensorsRaw(bytes, source).tensors };
    case 'torch-zip':
      return { format, tensors: readTorchZip(bytes, source, options) };
    case 'torch-legacy':
      return { format, tensors: readTorchLegacy(bytes, source, options) };
    default:
      fail(`${source}: not a PyTorch checkpoint (.pt/.pth, zip or legacy) nor a safetensors file (${bytes.length} bytes starting ${hex(bytes.subarray(0, 8))})`);
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function readTorchZip(bytes: Uint8Array, source: string, options: ReadWeightsOptions): Map<string, RawTensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    fail(`${source}: the zip archive cannot be read (${(e as Error).message}); the file is truncated or corrupt`);
  }
  const pickles = Object.keys(files).filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pickles.length !== 1) {
    fail(`${source}: a torch.save zip holds one <name>/data.pkl, this one holds ${pickles.length ? pickles.join(', ') : 'none'} (files: ${Object.keys(files).slice(0, 8).join(', ')})`);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteorder = files[`${prefix}byteorder`];
  const bigEndian = byteorder !== undefined && new TextDecoder().decode(byteorder).trim() === 'big';
  const persistentLoad = (pid: PickleValue): StorageRef => {
    // ('storage', storage_type, key, location, numel)
    const t = tupleItems(pid, source, 'a persistent id');
    if (t.length !== 5 || t[0] !== 'storage') fail(`${source}: a persistent id is ${describeTuple(t)}, expected ('storage', type, key, location, numel)`);
    const storageType = storageTypeName(t[1]!, source);
    const key = t[2];
    if (typeof key !== 'string') fail(`${source}: a storage key is a ${typeName(t[2]!)}`);
    return { kind: 'storage', storageType, key, numel: nonNegative(t[4]!, source, 'storage size') };
  };
  const { value } = unpickle(files[pickles[0]!]!, { source: `${source} (${pickles[0]})`, persistentLoad, onGlobal: options.onGlobal });
  const dict = stateDictOf(value, source, options.key);
  const storageBytes = (ref: StorageRef): Uint8Array => {
    const data = files[`${prefix}data/${ref.key}`];
    if (!data) fail(`${source}: storage ${ref.key} is missing from the archive (${prefix}data/${ref.key})`);
    return data;
  };
  return tensorsOf(dict, source, storageBytes, bigEndian);
}

function readTorchLegacy(bytes: Uint8Array, source: string, options: ReadWeightsOptions): Map<string, RawTensor> {
  const opts = (what: string): UnpickleOptions => ({ source: `${source} (${what})`, onGlobal: options.onGlobal });
  const magic = unpickle(bytes, opts('magic number'));
  if (magic.value !== LEGACY_MAGIC && !(typeof magic.value === 'bigint' && magic.value === LEGACY_MAGIC)) {
    fail(`${source}: starts with a pickle that is not torch.save's magic number; not a PyTorch checkpoint`);
  }
  const protocol = unpickle(bytes, opts('protocol version'), magic.end);
  if (protocol.value !== 1001) fail(`${source}: torch.save protocol version ${String(protocol.value)} is not supported (expected 1001)`);
  const sysInfo = unpickle(bytes, opts('system info'), protocol.end);
  let littleEndian = true;
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) littleEndian = false;
  const views = new Map<string, { root: string; offset: number }>();
  const itemSizes = new Map<string, number>();
  const persistentLoad = (pid: PickleValue): StorageRef => {
    // ('storage', storage_type, root_key, location, numel, view_metadata)
    const t = tupleItems(pid, source, 'a persistent id');
    if (t.length !== 6 || t[0] !== 'storage') fail(`${source}: a persistent id is ${describeTuple(t)}, expected ('storage', type, key, location, numel, view)`);
    const storageType = storageTypeName(t[1]!, source);
    const key = t[2];
    if (typeof key !== 'string') fail(`${source}: a storage key is a ${typeName(t[2]!)}`);
    const numel = nonNegative(t[4]!, source, 'storage size');
    // the element size of every storage the file holds, used or not (a checkpoint dict read with --key has others)
    itemSizes.set(key, RAW_ITEM_SIZE[STORAGE_DTYPES[storageType]!]);
    if (t[5] !== null) {
      // a view on part of another storage: (view_key, offset, view_size)
      const v = tupleItems(t[5]!, source, 'a storage view');
      if (v.length !== 3 || typeof v[0] !== 'string') fail(`${source}: a storage view is ${describeTuple(v)}`);
      views.set(v[0], { root: key, offset: nonNegative(v[1]!, source, 'view offset') });
      return { kind: 'storage', storageType, key: v[0], numel: nonNegative(v[2]!, source, 'view size') };
    }
    return { kind: 'storage', storageType, key, numel };
  };
  const main = unpickle(bytes, { ...opts('state dict'), persistentLoad }, sysInfo.end);
  const keys = unpickle(bytes, opts('storage keys'), main.end);
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string')) fail(`${source}: the storage key list is not a list of strings`);
  // each storage: int64 element count, then the elements
  const roots = new Map<string, Uint8Array>();
  const dict = stateDictOf(main.value, source, options.key);
  let pos = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as string[]) {
    if (pos + 8 > bytes.length) fail(`${source}: storage ${key} starts past the end of the file (${bytes.length} bytes); truncated?`);
    const count = view.getBigInt64(pos, true);
    const item = itemSizes.get(key);
    if (item === undefined) fail(`${source}: storage ${key} is listed but no tensor refers to it`);
    const size = Number(count) * item;
    if (count < 0n || !Number.isSafeInteger(size) || pos + 8 + size > bytes.length) {
      fail(`${source}: storage ${key} claims ${count} elements, past the end of the file (${bytes.length} bytes); truncated?`);
    }
    roots.set(key, bytes.subarray(pos + 8, pos + 8 + size));
    pos += 8 + size;
  }
  const storageBytes = (ref: StorageRef): Uint8Array => {
    const v = views.get(ref.key);
    const root = roots.get(v ? v.root : ref.key);
    if (!root) fail(`${source}: storage ${ref.key} is not in the file`);
    if (!v) return root;
    const item = RAW_ITEM_SIZE[STORAGE_DTYPES[ref.storageType]!];
    return root.subarray(v.offset * item, (v.offset + ref.numel) * item);
  };
  return tensorsOf(dict, source, storageBytes, !littleEndian);
}

function tupleItems(v: PickleValue, source: string, what: string): PickleValue[] {
  if (v instanceof PickleTuple) return v.items;
  return fail(`${source}: ${what} is a ${typeName(v)}, not a tuple`);
}

function describeTuple(items: PickleValue[]): string {
  return `(${items.map((i) => (typeof i === 'string' ? `'${i}'` : typeName(i))).join(', ')})`;
}

function storageTypeName(v: PickleValue, source: string): string {
  if (!(v instanceof PickleGlobal) || v.module !== 'torch' || !STORAGE_DTYPES[v.name]) {
    fail(`${source}: a storage has type ${typeName(v)}, not one of torch.${Object.keys(STORAGE_DTYPES).join(', torch.')}`);
  }
  return v.name;
}

function nonNegative(v: PickleValue, source: string, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  return fail(`${source}: a ${what} is ${typeName(v)} ${typeof v === 'number' || typeof v === 'bigint' ? String(v) : ''}, not a non-negative integer`);
}

/** The state dict: the top-level dict, or the dict under `key` of a checkpoint dict. */
function stateDictOf(value: PickleValue, source: string, key: string | undefined): Map<string, PickleValue> {
  let dict = value;
  if (key !== undefined) {
    if (!(value instanceof Map)) fail(`${source}: --key ${key} needs a dict at the top of the file, found a ${typeName(value)}`);
    if (!value.has(key)) fail(`${source}: the checkpoint has no entry '${key}'; its keys are ${[...value.keys()].map(String).join(', ')}`);
    dict = value.get(key)!;
  }
  if (!(dict instanceof Map)) fail(`${source}: holds a ${typeName(dict)}, not a state dict (save with torch.save(model.state_dict(), path))`);
  const out = new Map<string, PickleValue>();
  const nested: string[] = [];
  for (const [k, v] of dict) {
    if (typeof k !== 'string') fail(`${source}: a state dict key is a ${typeName(k)}, not a string`);
    if (v instanceof Map) nested.push(k);
    out.set(k, v);
  }
  if (nested.length && key === undefined && ![...out.values()].some(isTensor)) {
    fail(`${source}: is a checkpoint dict (keys ${[...out.keys()].join(', ')}), not a state dict; pick the weights with --key ${nested[0]}`);
  }
  return out;
}

/** Each tensor's elements, gathered through its offset and strides into contiguous little-endian bytes. */
function tensorsOf(dict: Map<string, PickleValue>, source: string, storageBytes: (ref: StorageRef) => Uint8Array, bigEndian: boolean): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, v] of dict) {
    if (!isTensor(v)) fail(`${source}: entry '${name}' is a ${typeName(v)}, not a tensor`);
    out.set(name, gather(v, name, source, storageBytes(v.storage), bigEndian));
  }
  return out;
}

function gather(t: TensorRef, name: string, source: string, storage: Uint8Array, bigEndian: boolean): RawTensor {
  const dtype = STORAGE_DTYPES[t.storage.storageType]!;
  const item = RAW_ITEM_SIZE[dtype];
  if (t.size.length !== t.stride.length) fail(`${source}: tensor '${name}' has size ${fmtShape(t.size)} but ${t.stride.length} strides`);
  const n = rawSize(t.size);
  if (storage.length < t.storage.numel * item) fail(`${source}: the storage of '${name}' holds ${storage.length} bytes, less than its ${t.storage.numel} ${dtype} elements`);
  let last = t.offset;
  for (let d = 0; d < t.size.length; d++) if (t.size[d]! > 0) last += (t.size[d]! - 1) * t.stride[d]!;
  if (n > 0 && last >= t.storage.numel) {
    fail(`${source}: tensor '${name}' (size ${fmtShape(t.size)}, stride ${fmtShape(t.stride)}, offset ${t.offset}) reads element ${last} of a storage of ${t.storage.numel}`);
  }
  const data = new Uint8Array(n * item);
  let contiguous = true;
  for (let d = t.size.length - 1, step = 1; d >= 0; d--) {
    if (t.size[d]! > 1 && t.stride[d] !== step) contiguous = false;
    step *= t.size[d]!;
  }
  if (contiguous && !bigEndian) {
    data.set(storage.subarray(t.offset * item, (t.offset + n) * item));
    return { dtype, shape: [...t.size], data };
  }
  const index = new Array<number>(t.size.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = t.offset;
    for (let d = 0; d < index.length; d++) src += index[d]! * t.stride[d]!;
    const from = storage.subarray(src * item, src * item + item);
    if (bigEndian) for (let b = 0; b < item; b++) data[i * item + b] = from[item - 1 - b]!;
    else data.set(from, i * item);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < t.size[d]!) break;
      index[d] = 0;
    }
  }
  return { dtype, shape: [...t.size], data };
}

