/**
 * Per-kernel accounting for a profile of our step (`--kernels`): every method of the backend object
 * is wrapped in place with a timer, a call counter and a tally of the bytes it returns (fresh output
 * storage, i.e. allocation). Time outside the kernels is the JS overhead of ops, autograd and the
 * optimizer. The wrappers cost ~0.1 µs a call, so the step is a little slower while they are on.
 */
import type { Backend } from 'indrnn';

export interface KernelStat {
  calls: number;
  ms: number;
  /** Bytes of typed arrays returned (outputs the kernel allocated). */
  bytesOut: number;
}

export type KernelTable = Record<string, KernelStat>;

function bytesOf(v: unknown): number {
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v && typeof v === 'object') {
    let n = 0;
    for (const x of Object.values(v as Record<string, unknown>)) if (ArrayBuffer.isView(x)) n += x.byteLength;
    return n;
  }
  return 0;
}

export interface KernelRecorder {
  table: KernelTable;
  /** Stops counting (the wrappers stay, but add nothing). */
  pause(): void;
  resume(): void;
}

/** Wraps the backend's methods in place; counting starts paused. */
export function instrumentBackend(backend: Backend): KernelRecorder {
  const table: KernelTable = {};
  let on = false;
  const target = backend as unknown as Record<string, unknown>;
  // methods may sit on the object (the native backend's literal) or on its prototypes (a class)
  const keys = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor') keys.add(k);
  }
  for (const key of keys) {
    const fn = target[key];
    if (typeof fn !== 'function' || key === 'supports') continue;
    const original = fn as (...args: unknown[]) => unknown;
    target[key] = function timed(this: unknown, ...args: unknown[]): unknown {
      if (!on) return original.apply(this, args);
      const t0 = performance.now();
      const out = original.apply(this, args);
      const dt = performance.now() - t0;
      const s = (table[key] ??= { calls: 0, ms: 0, bytesOut: 0 });
      s.calls++;
      s.ms += dt;
      s.bytesOut += bytesOf(out);
      return out;
    };
  }
  return { table, pause: () => void (on = false), resume: () => void (on = true) };
}

/** Per-step averages, largest time first. */
export function perStep(table: KernelTable, steps: number): [string, KernelStat][] {
  return Object.entries(table)
    .map(([k, s]): [string, KernelStat] => [k, { calls: s.calls / steps, ms: s.ms / steps, bytesOut: s.bytesOut / steps }])
    .sort((a, b) => b[1].ms - a[1].ms);
}
