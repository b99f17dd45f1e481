/**
 * Backend registry and selection. Backends register a factory under a name with a priority;
 * `setBackend(name)` picks one explicitly, otherwise the highest-priority backend that loads is used
 * (cuda > native > wasm > reference). `INDRNN_BACKEND` overrides the automatic choice. When the
 * automatic choice skips a backend that failed to load, it says so once (console.warn), except for
 * an expected absence (the CUDA backend on a machine without a GPU): that is skipped silently and
 * left out of backendErrors(), while setBackend(name) still fails with the reason.
 */
import type { Backend } from './backend.js';
import { createReferenceBackend } from './reference/index.js';
import { allocOutput, trackStorage } from './memory.js';
import { fail } from '../util/errors.js';

interface Entry {
  priority: number;
  factory: () => Backend;
  instance?: Backend;
  /** Why the factory failed, when it did (said once, then remembered). */
  error?: string;
  /** Whether the automatic choice has already warned that it skipped this backend. */
  warned?: boolean;
  /** The failure is an expected absence (no GPU here): no warning, not in backendErrors(). */
  quiet?: boolean;
}

const entries = new Map<string, Entry>();
/** Error code of a backend that cannot run on this machine by design, not by fault (no GPU here). */
const QUIET_UNAVAILABLE = 'ERR_INDRNN_CUDA_UNAVAILABLE';
let current: Backend | null = null;
let reference: Backend | null = null;

export function registerBackend(name: string, factory: () => Backend, priority: number): void {
  entries.set(name, { priority, factory });
}

registerBackend('reference', createReferenceBackend as () => Backend, 0);

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * The native CPU backend (packages/native), loaded on demand through Node's require so the core
 * never imports a Node-only module statically and stays browser-safe.
 */
function createNativeBackend(): Backend {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.('module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  if (!mod) fail('the native backend needs Node.js >= 20.16 (process.getBuiltinModule)');
  let pkg: { createNativeBackend(options: { reference: Backend; allocate: typeof allocOutput }): Backend };
  try {
    pkg = mod.createRequire(import.meta.url)('@indrnn/native') as typeof pkg;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') fail(`package '@indrnn/native' is not installed`);
    throw e;
  }
  return pkg.createNativeBackend({ reference: referenceBackend(), allocate: allocOutput });
}

if ((globalThis as { process?: NodeProcess }).process?.versions?.node) {
  registerBackend('native', createNativeBackend, 20);
}

/**
 * The WebAssembly backend (packages/wasm). Browsers compile it asynchronously: `await initWasm()`
 * from '@indrnn/wasm' registers the compiled backend over this entry. Node loads it on demand
 * (require of the ESM package, Node >= 20.19, then a synchronous compile).
 */
type WasmRequireApi = { createRequire(url: string): (id: string) => unknown };

function createWasmBackend(): Backend {
  const hint = "call `await initWasm()` from '@indrnn/wasm' before the first tensor";
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.('module') as WasmRequireApi | undefined;
  if (!mod) fail(`not initialised; ${hint}`);
  let pkg: { createWasmBackendSync(): Backend };
  try {
    pkg = mod.createRequire(import.meta.url)('@indrnn/wasm') as typeof pkg;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') fail(`package '@indrnn/wasm' is not installed`);
    if (code === 'ERR_REQUIRE_ESM') fail(`this Node cannot load it synchronously; ${hint}`);
    throw e;
  }
  return pkg.createWasmBackendSync();
}

registerBackend('wasm', createWasmBackend, 10);

/** Fails with the quiet code: the automatic choice moves on without a warning. */
function unavailable(message: string): never {
  throw Object.assign(new Error(message), { code: QUIET_UNAVAILABLE });
}

/**
 * The CUDA backend (packages/cuda), loaded on demand like the native one. On a machine without the
 * package, its built addon, an NVIDIA driver or a device (every CPU machine), it throws with the
 * quiet code, so `getBackend()` skips it silently and `setBackend('cuda')` names the reason.
 */
function createCudaBackend(): Backend {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.('module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  if (!mod) unavailable('the cuda backend needs Node.js >= 20.16 (process.getBuiltinModule)');
  let pkg: { createCudaBackend(options: { reference: Backend; track: typeof trackStorage }): Backend };
  try {
    pkg = mod.createRequire(import.meta.url)('@indrnn/cuda') as typeof pkg;
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') unavailable(`package '@indrnn/cuda' is not installed`);
    throw e;
  }
  // @indrnn/cuda throws ERR_INDRNN_CUDA_UNAVAILABLE itself when its addon or the driver is missing
  // track: kernel outputs join the caller's tidy scopes (Trainer steps free them deterministically)
  return pkg.createCudaBackend({ reference: referenceBackend(), track: trackStorage });
}

if ((globalThis as { process?: NodeProcess }).process?.versions?.node) {
  registerBackend('cuda', createCudaBackend, 30);
}

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
    entry.quiet = (e as { code?: string }).code === QUIET_UNAVAILABLE;
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

/**
 * Backends that failed to load, with their reasons (for `indrnn info` and the one-time notice).
 * Expected absences (the CUDA backend without a GPU) are left out unless includeQuiet.
 */
export function backendErrors(includeQuiet = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, e] of entries) if (e.error && (includeQuiet || !e.quiet)) out[n] = e.error;
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
  const skipped: string[] = [];
  for (const name of listBackends()) {
    try {
      const chosen = setBackend(name);
      for (const s of skipped) warnSkipped(s, chosen.name);
      return chosen;
    } catch {
      // fall through to the next backend; the reason stays in backendErrors()
      skipped.push(name);
    }
  }
  return setBackend('reference');
}

/** Says once per backend that automatic selection skipped it, and why. */
function warnSkipped(name: string, using: string): void {
  const entry = entries.get(name);
  if (!entry || entry.warned || entry.quiet) return;
  entry.warned = true;
  console.warn(`indrnn: the ${name} backend is unavailable (${entry.error ?? 'unknown error'}); using the ${using} backend`);
}
