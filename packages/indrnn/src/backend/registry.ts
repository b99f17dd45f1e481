/**
 * Backend registry and selection. Backends register a factory under a name with a priority;
 * `setBackend(name)` picks one explicitly, otherwise the highest-priority backend that loads is used
 * (cuda > native > wasm > reference). `INDRNN_BACKEND` overrides the automatic choice.
 */
import type { Backend } from './backend.js';
import { createReferenceBackend } from './reference/index.js';
import { fail } from '../util/errors.js';

interface Entry {
  priority: number;
  factory: () => Backend;
  instance?: Backend;
  /** Why the factory failed, when it did (said once, then remembered). */
  error?: string;
}

const entries = new Map<string, Entry>();
let current: Backend | null = null;
let reference: Backend | null = null;

export function registerBackend(name: string, factory: () => Backend, priority: number): void {
  entries.set(name, { priority, factory });
}

registerBackend('reference', createReferenceBackend as () => Backend, 0);

/** The reference backend (always available); gradient checks and float64 use it. */
export function referenceBackend(): Backend {
  reference ??= createReferenceBackend() as Backend;
  return reference;
}

function instantiate(name: string): Backend {
  const entry = entries.get(name);
  if (!entry) {
    fail(`unknown backend '${name}'; registered backends: ${[...entries.keys()].join(', ')}`);
  }
  if (entry.instance) return entry.instance;
  if (entry.error) fail(`backend '${name}' is unavailable: ${entry.error}`);
  try {
    entry.instance = name === 'reference' ? referenceBackend() : entry.factory();
    return entry.instance;
  } catch (e) {
    entry.error = e instanceof Error ? e.message : String(e);
    fail(`backend '${name}' is unavailable: ${entry.error}`);
  }
}

/** Selects the backend by name ('reference', 'native', ...). Throws with the reason if it cannot load. */
export function setBackend(name: string): Backend {
  current = instantiate(name);
  return current;
}

/** Names of registered backends, best first. */
export function listBackends(): string[] {
  return [...entries.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([n]) => n);
}

/** Backends that failed to load, with their reasons (for `indrnn info` and the one-time notice). */
export function backendErrors(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, e] of entries) if (e.error) out[n] = e.error;
  return out;
}

function envBackend(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.['INDRNN_BACKEND'] || undefined;
}

/** The current backend, choosing automatically on first use. */
export function getBackend(): Backend {
  if (current) return current;
  const forced = envBackend();
  if (forced) return setBackend(forced);
  for (const name of listBackends()) {
    try {
      return setBackend(name);
    } catch {
      // fall through to the next backend; the reason stays in backendErrors()
    }
  }
  return setBackend('reference');
}
