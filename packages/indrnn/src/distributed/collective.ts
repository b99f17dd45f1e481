/**
 * Collective helpers built on a Communicator: bytes and JSON from rank 0 to every rank, decisions
 * made on rank 0 (file checks) and shared with the others, flags every rank must agree on, and the
 * broadcast of a model's weights and an optimizer's state.
 */
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { tensor } from '../tensor/tensor.js';
import { IndrnnError, fail } from '../util/errors.js';
import type { Communicator } from './communicator.js';

/** The root's bytes on every rank (`bytes` is ignored elsewhere). */
export function broadcastBytes(comm: Communicator, bytes: Uint8Array | null, root = 0): Uint8Array {
  if (comm.size === 1) return bytes ?? new Uint8Array(0);
  const len = new Float64Array([comm.rank === root ? bytes?.length ?? 0 : 0]);
  comm.broadcast(len, root);
  const buf = comm.rank === root && bytes ? bytes : new Uint8Array(len[0]!);
  if (buf.length > 0) comm.broadcast(buf, root);
  return buf;
}

/** The root's JSON value on every rank. */
export function broadcastJson<T>(comm: Communicator, value: T | undefined, root = 0): T {
  if (comm.size === 1) return value as T;
  const bytes = comm.rank === root ? new TextEncoder().encode(JSON.stringify(value ?? null)) : null;
  return JSON.parse(new TextDecoder().decode(broadcastBytes(comm, bytes, root))) as T;
}

/** Every rank's JSON value, in rank order, on every rank (small values: one broadcast per rank). */
export function gatherJson<T>(comm: Communicator, value: T): T[] {
  const out: T[] = [];
  for (let r = 0; r < comm.size; r++) out.push(broadcastJson(comm, comm.rank === r ? value : undefined, r));
  return out;
}

/**
 * An error raised on rank 0 and re-raised on the other ranks, which need not print it again (rank
 * 0's own error gets `fromRoot: true` too).
 */
export class RootError extends IndrnnError {
  readonly fromRoot = true;
}

/**
 * Runs fn on rank 0 alone (reading or checking files only rank 0 may touch) and gives its JSON
 * result to every rank. When fn throws, every rank throws the same message (RootError elsewhere).
 */
export function fromRoot<T>(comm: Communicator, fn: () => T): T {
  if (comm.size === 1) return fn();
  let out: { ok: true; value: T } | { ok: false; message: string } | undefined;
  if (comm.rank === 0) {
    try {
      out = { ok: true, value: fn() };
    } catch (e) {
      out = { ok: false, message: e instanceof Error ? e.message : String(e) };
      broadcastJson(comm, out);
      // every rank fails alike: the CLI lets rank 0 say it and ends each rank normally
      if (e instanceof Error) Object.assign(e, { fromRoot: true });
      throw e;
    }
  }
  const shared = broadcastJson(comm, out);
  if (!shared.ok) throw new RootError(shared.message);
  return shared.value;
}

/** Flags every rank sees alike: flag i is true everywhere when it is true on any rank. */
export function agree(comm: Communicator, flags: readonly boolean[]): boolean[] {
  if (comm.size === 1) return [...flags];
  const buf = Float64Array.from(flags, (f) => (f ? 1 : 0));
  comm.allreduce(buf, 'max');
  return Array.from(buf, (v) => v > 0);
}

/** Rank 0's parameters and buffers on every rank (one broadcast of their bytes). */
export function broadcastModel(comm: Communicator, model: Module): void {
  if (comm.size === 1) return;
  const entries = [...model.namedParameters(), ...model.namedBuffers()];
  const datas = entries.map(([, t]) => t.data());
  const total = datas.reduce((n, d) => n + d.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const d of datas) {
    bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  comm.broadcast(bytes, 0);
  if (comm.rank === 0) return;
  at = 0;
  entries.forEach(([, t], i) => {
    const d = datas[i]!;
    const copy = new (d.constructor as new (b: ArrayBuffer) => typeof d)(bytes.slice(at, at + d.byteLength).buffer);
    t.assign(tensor(copy, t.shape, t.dtype, t.backend));
    at += d.byteLength;
  });
}

/** Rank 0's optimizer state (step count, learning rates, moment slots) on every rank. */
export function broadcastOptimizer(comm: Communicator, optimizer: Optimizer): void {
  if (comm.size === 1) return;
  const mine = optimizer.stateDict();
  const meta = broadcastJson(comm, comm.rank === 0 ? { step: mine.step, groups: mine.groups, slots: mine.slots.map((s) => s.map((a) => [a.length, a instanceof Float64Array ? 64 : 32])) } : undefined);
  const slots = meta.slots.map((list, i) =>
    list.map(([n, bits], j) => {
      const own = mine.slots[i]?.[j];
      const a = comm.rank === 0 && own ? own : bits === 64 ? new Float64Array(n!) : new Float32Array(n!);
      if (a.length !== n) fail(`optimizer state broadcast: slot ${i}/${j} has ${a.length} values here, ${n} on rank 0`);
      if (n! > 0) comm.broadcast(a, 0);
      return a;
    }),
  );
  if (comm.rank !== 0) optimizer.loadStateDict({ step: meta.step, groups: meta.groups, slots });
}

/**
 * Where the ranks' weights differ (they should not: the same summed gradients and the same update
 * on every rank), the first parameter that does, else null. Compares a float64 sum and sum of
 * squares per tensor, gathered from every rank; every rank gets the same answer.
 */
export function divergedParameter(comm: Communicator, model: Module): string | null {
  if (comm.size === 1) return null;
  const params = model.namedParameters();
  const mine = new Float64Array(params.length * 2);
  params.forEach(([, p], i) => {
    const d = p.data();
    let s = 0;
    let q = 0;
    for (let k = 0; k < d.length; k++) {
      s += d[k]!;
      q += d[k]! * d[k]!;
    }
    mine[2 * i] = s;
    mine[2 * i + 1] = q;
  });
  const all = comm.allgather(mine);
  for (let r = 1; r < comm.size; r++) {
    for (let i = 0; i < mine.length; i++) {
      if (all[r * mine.length + i] !== all[i]) return `${params[i >> 1]![0]} (rank ${r})`;
    }
  }
  return null;
}
