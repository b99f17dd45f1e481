/**
 * A restricted unpickler for PyTorch state dicts. It interprets pickle opcodes as data only: it
 * never imports, calls or constructs anything. The few globals a state dict names (OrderedDict, the
 * tensor rebuild functions, the storage types) are recognised by name and mapped to plain JS data;
 * any other global, and every opcode that builds an arbitrary object (INST, OBJ, NEWOBJ_EX, EXT*),
 * is refused with an error naming it. Every read is bounds-checked, so malformed input fails with an
 * IndrnnError instead of crashing or running past the buffer.
 */
import { fail } from '../../util/errors.js';

/** A tuple (pickle tuples are immutable lists; kept apart from lists for clarity of errors). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A global the stream named and the allowlist accepted, e.g. torch.FloatStorage. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What the persistent_load callback returns for a storage reference. */
export interface StorageRef {
  kind: 'storage';
  /** Storage class name, e.g. FloatStorage. */
  storageType: string;
  key: string;
  /** Elements in the storage. */
  numel: number;
}

/** A tensor view on a storage (torch._utils._rebuild_tensor_v2's arguments). */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | Map<PickleValue, PickleValue>
  | PickleGlobal
  | StorageRef
  | TensorRef;

/** The globals a state dict may name; nothing else is accepted. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map((t) => `torch.${t}Storage`),
]);

export interface UnpickleOptions {
  /** Names the input in errors. */
  source: string;
  /** Resolves a persistent id (the tuple after BINPERSID) to a storage reference. */
  persistentLoad?: (pid: PickleValue) => StorageRef;
  /** Called with every global the stream asks for, before it is accepted or refused (fuzz tests count them). */
  onGlobal?: (qualified: string, allowed: boolean) => void;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Caps against memory blow-ups from crafted input. */
const MAX_MEMO = 1 << 20;

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x50: 'PERSID',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x53: 'STRING', 0x56: 'UNICODE', 0x67: 'GET', 0x70: 'PUT',
};

/** Parses one pickle starting at `offset`; returns the value and the offset after STOP. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions, offset = 0): { value: PickleValue; end: number } {
  const src = options.source;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  const bad = (what: string): never => fail(`${src}: ${what} (at byte ${pos}); the file is not a valid PyTorch checkpoint (truncated or corrupt?)`);
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) bad(`needs ${n} more bytes but the data ends at byte ${bytes.length}`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return bad('a string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) bad('a text line has no end');
    const s = utf8(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) bad('the pickle pops from an empty stack');
    const v = stack.pop()!;
    if (v === MARK) bad('the pickle pops a MARK as a value');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) bad('the pickle needs a value on the stack');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    let i = stack.length - 1;
    while (i >= 0 && stack[i] !== MARK) i--;
    if (i < 0) bad('the pickle has no MARK to pop to');
    const items = stack.splice(i + 1) as PickleValue[];
    stack.pop();
    return items;
  };
  const push = (v: PickleValue): void => {
    stack.push(v);
  };
  const memoPut = (index: number, v: PickleValue): void => {
    if (memo.size >= MAX_MEMO && !memo.has(index)) bad('the memo grows past its limit');
    memo.set(index, v);
  };
  const memoGet = (index: number): PickleValue => {
    if (!memo.has(index)) bad(`memo entry ${index} is read before it is written`);
    return memo.get(index)!;
  };
  const asList = (v: PickleValue, op: string): PickleValue[] => {
    if (!Array.isArray(v)) bad(`${op} on a ${typeName(v)}, not a list`);
    return v as PickleValue[];
  };
  const asDict = (v: PickleValue, op: string): Map<PickleValue, PickleValue> => {
    if (!(v instanceof Map)) bad(`${op} on a ${typeName(v)}, not a dict`);
    return v as Map<PickleValue, PickleValue>;
  };
  const dictKey = (k: PickleValue): PickleValue => {
    // keys must be hashable plain values (state dicts use strings)
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' || typeof k === 'bigint') return k;
    return bad(`a dict key is a ${typeName(k)}`);
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    const allowed = ALLOWED_GLOBALS.has(qualified);
    options.onGlobal?.(qualified, allowed);
    if (!allowed) {
      fail(
        `${src}: the pickle asks for ${qualified}, which a state_dict never needs; indrnn reads only ` +
          `collections.OrderedDict, torch._utils._rebuild_tensor_v2 (and _rebuild_tensor, _rebuild_parameter) and the torch.*Storage types, ` +
          `and refuses everything else (nothing from the file was executed). Save the weights with torch.save(model.state_dict(), path).`,
      );
    }
    return new PickleGlobal(module, name);
  };
  const call = (fn: PickleValue, args: PickleValue, op: string): PickleValue => {
    if (!(fn instanceof PickleGlobal)) return bad(`${op} calls a ${typeName(fn)}`);
    if (!(args instanceof PickleTuple)) return bad(`${op} of ${fn.qualified} has arguments that are not a tuple`);
    const a = args.items;
    switch (fn.qualified) {
      case 'collections.OrderedDict': {
        const d = new Map<PickleValue, PickleValue>();
        if (a.length === 1 && Array.isArray(a[0])) {
          for (const pair of a[0]) {
            if (!(pair instanceof PickleTuple) && !Array.isArray(pair)) bad('OrderedDict items are not pairs');
            const kv = pair instanceof PickleTuple ? pair.items : (pair as PickleValue[]);
            if (kv.length !== 2) bad('OrderedDict items are not pairs');
            d.set(dictKey(kv[0]!), kv[1]!);
          }
        } else if (a.length !== 0) {
          bad(`OrderedDict gets ${a.length} arguments`);
        }
        return d;
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        if (a.length < 4) bad(`${fn.qualified} gets ${a.length} arguments, expected at least 4`);
        const storage = a[0];
        if (!isStorage(storage)) return bad(`${fn.qualified}'s first argument is a ${typeName(storage ?? null)}, not a storage`);
        return { kind: 'tensor', storage, offset: intOf(a[1]!, 'storage offset'), size: intTuple(a[2]!, 'size'), stride: intTuple(a[3]!, 'stride') };
      }
      case 'torch._utils._rebuild_parameter': {
        if (a.length < 1 || !isTensor(a[0]!)) bad('_rebuild_parameter does not wrap a tensor');
        return a[0]!;
      }
      default:
        return bad(`${op} calls ${fn.qualified}, which is a type tag, not a function`);
    }
  };
  const intOf = (v: PickleValue, what: string): number => {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return bad(`the tensor's ${what} is ${typeName(v)} ${describeValue(v)}, not a non-negative integer`);
  };
  const intTuple = (v: PickleValue, what: string): number[] => {
    const items = v instanceof PickleTuple ? v.items : Array.isArray(v) ? v : bad(`the tensor's ${what} is not a tuple`);
    return items.map((x) => intOf(x, what));
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) bad('pickle protocol above 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) bad(`STOP with ${stack.length} values on the stack`);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PickleTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        push(new PickleTuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        push(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) bad('DICT with an odd number of items');
        const d = new Map<PickleValue, PickleValue>();
        for (let i = 0; i < items.length; i += 2) d.set(dictKey(items[i]!), items[i + 1]!);
        push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = asList(top(), 'APPENDS');
        for (const v of items) list.push(v);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), 'SETITEM').set(dictKey(k), v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) bad('SETITEMS with an odd number of items');
        const d = asDict(top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) d.set(dictKey(items[i]!), items[i + 1]!);
        break;
      }
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(littleEndianInt(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) bad('LONG4 with a negative length');
        if (n > 64) bad(`LONG4 with a ${n}-byte integer`);
        push(littleEndianInt(take(n)));
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(take(u64())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x54: { // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) bad('BINSTRING with a negative length');
        push(latin1(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(latin1(take(u8())));
        break;
      case 0x63: { // GLOBAL
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL names are not strings');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), only for OrderedDict
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PickleGlobal) || cls.qualified !== 'collections.OrderedDict') bad(`NEWOBJ of ${typeName(cls)}`);
        push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x62: { // BUILD: set state; state dicts carry only _metadata on the OrderedDict, which is not needed
        pop();
        top();
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) bad('the pickle refers to external storage, which this file cannot have');
        push(options.persistentLoad!(pid));
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size, top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x30: // POP
        if (stack.length === 0) bad('POP from an empty stack');
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      default: {
        const name = OPCODE_NAMES[op];
        pos--;
        if (name) fail(`${src}: the pickle uses opcode ${name} (0x${op.toString(16)}), which a state_dict never needs; refused (nothing from the file was executed)`);
        bad(`unknown pickle opcode 0x${op.toString(16)}`);
      }
    }
  }
}

function littleEndianInt(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

export function isStorage(v: unknown): v is StorageRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'storage';
}

export function isTensor(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'tensor';
}

export function typeName(v: PickleValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'dict';
  if (v instanceof PickleTuple) return 'tuple';
  if (v instanceof PickleGlobal) return v.qualified;
  if (v instanceof Uint8Array) return 'bytes';
  if (isStorage(v)) return 'storage';
  if (isTensor(v)) return 'tensor';
  return typeof v === 'bigint' ? 'int' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'string' ? 'str' : typeof v;
}

function describeValue(v: PickleValue): string {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : '';
}
